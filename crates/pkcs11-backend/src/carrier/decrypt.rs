//! Opening envelopes on any PKCS#11 token (flow U17): RSA key transport with `C_Decrypt` and
//! GOST VKO with `C_DeriveKey`, the two private-key steps of [`token_core::decrypt`].
//!
//! * RSA: `CKM_RSA_PKCS` or `CKM_RSA_PKCS_OAEP` (CK_RSA_PKCS_OAEP_PARAMS: the hash, MGF1 with
//!   the same hash, an empty label). `CKR_ENCRYPTED_DATA_INVALID` / `_LEN_RANGE` become
//!   [`Error::VerificationFailed`] with one text, the `CKR_*` code kept in it as evidence.
//! * GOST: `CKM_GOSTR3410_12_DERIVE` with CK_GOSTR3410_DERIVE_PARAMS, `kdf` =
//!   `CKD_KDF_GOSTR3411_2012_256`, for Streebog-256; `CKM_VKO_GOSTR3410_2012_512` with
//!   CK_ECDH1_DERIVE_PARAMS, `kdf` = `CKD_NULL`, the UKM as shared data, for Streebog-512 (no
//!   TC26 header defines a Streebog-512 `kdf`). The peer's point goes in as `X_le ‖ Y_le`, the
//!   UKM as the integer's little-endian bytes. The token makes an extractable, non-sensitive
//!   generic secret session key; its CKA_VALUE is read and the object destroyed at once.

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki_sys::{CK_ECDH1_DERIVE_PARAMS, CK_GOSTR3410_DERIVE_PARAMS, CK_ULONG, CKD_NULL};
use token_core::{
    BackendEvidence, Error, KeyAgreement, KeyDecryption, OaepHash, Result, RsaKeyTransport,
    SecretBytes, VkoHash,
};

use super::objects::KeyKind;
use crate::error::{ck, ckr_of, ckr_u64};

/// `CKM_GOSTR3410_12_DERIVE` (TC26).
const CKM_GOSTR3410_12_DERIVE: u64 = 0xD432_1007;
/// `CKD_KDF_GOSTR3411_2012_256` = `CKM_KDF_GOSTR3411_2012_256` (TC26).
const CKD_KDF_GOSTR3411_2012_256: CK_ULONG = 0xD432_1026;
/// `CKM_VKO_GOSTR3410_2012_512` (TC26, Rutoken).
const CKM_VKO_GOSTR3410_2012_512: u64 = 0xD432_1038;

fn oaep(hash: OaepHash) -> Result<Mechanism<'static>> {
    let (h, mgf) = match hash {
        OaepHash::Sha1 => (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
        OaepHash::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        OaepHash::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        OaepHash::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
        other => {
            return Err(Error::Unsupported {
                what: format!("RSAES-OAEP with {other:?}"),
            });
        }
    };
    Ok(Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        h,
        mgf,
        PkcsOaepSource::empty(),
    )))
}

/// `C_Decrypt` of an RSA-encrypted key with the private key `key`.
pub(super) fn decrypt_key(
    s: &Session,
    key: ObjectHandle,
    kind: KeyKind,
    request: &KeyDecryption<'_>,
) -> Result<SecretBytes> {
    if kind != KeyKind::Rsa {
        return Err(Error::Unsupported {
            what: format!("RSA decryption with a {kind:?} key"),
        });
    }
    let mechanism = match request.padding {
        RsaKeyTransport::Pkcs1v15 => Mechanism::RsaPkcs,
        RsaKeyTransport::Oaep(hash) => oaep(hash)?,
        other => {
            return Err(Error::Unsupported {
                what: format!("{other:?}"),
            });
        }
    };
    match s.decrypt(&mechanism, key, request.encrypted_key) {
        Ok(plain) => Ok(SecretBytes::from_vec(plain)),
        Err(cryptoki::error::Error::Pkcs11(rv, _))
            if matches!(
                ckr_of(rv),
                cryptoki_sys::CKR_ENCRYPTED_DATA_INVALID
                    | cryptoki_sys::CKR_ENCRYPTED_DATA_LEN_RANGE
            ) =>
        {
            let evidence = BackendEvidence::Pkcs11 {
                function: "C_Decrypt",
                ckr: ckr_u64(ckr_of(rv)),
            };
            Err(Error::VerificationFailed {
                what: format!(
                    "the encrypted key (wrong key, or a damaged or foreign ciphertext; {evidence})"
                ),
            })
        }
        Err(e) => Err(ck("C_Decrypt")(e)),
    }
}

/// The peer's point `X_le ‖ Y_le`, checked to be a valid point of the key's size.
fn peer_point(kind: KeyKind, request: &KeyAgreement<'_>) -> Result<Vec<u8>> {
    let peer = gost::VerifyingKey::from_spki_der(&request.peer.to_der()?)?;
    let fits = matches!(
        (kind, peer.key_size()),
        (KeyKind::Gost256, gost::KeySize::Bits256) | (KeyKind::Gost512, gost::KeySize::Bits512)
    );
    if !fits {
        return Err(Error::Malformed {
            what: "peer public key",
            at: None,
            reason: "not on the curve of the container's key".into(),
        });
    }
    Ok(peer.as_raw_le().to_vec())
}

/// `C_DeriveKey` with GOST VKO, then CKA_VALUE of the session key, which is destroyed.
pub(super) fn agree_key(
    s: &Session,
    key: ObjectHandle,
    kind: KeyKind,
    request: &KeyAgreement<'_>,
) -> Result<SecretBytes> {
    if !matches!(kind, KeyKind::Gost256 | KeyKind::Gost512) {
        return Err(Error::Unsupported {
            what: format!("GOST key agreement with a {kind:?} key"),
        });
    }
    if request.ukm.is_empty() || request.ukm.len() > gost::MAX_UKM_LEN {
        return Err(Error::Malformed {
            what: "UKM",
            at: None,
            reason: format!(
                "{} bytes (1 to {} allowed)",
                request.ukm.len(),
                gost::MAX_UKM_LEN
            ),
        });
    }
    let public = peer_point(kind, request)?;
    let len = |n: usize| CK_ULONG::try_from(n).unwrap_or(CK_ULONG::MAX);
    let gost_params = CK_GOSTR3410_DERIVE_PARAMS {
        kdf: CKD_KDF_GOSTR3411_2012_256,
        pPublicData: public.as_ptr().cast_mut(),
        ulPublicDataLen: len(public.len()),
        pUKM: request.ukm.as_ptr().cast_mut(),
        ulUKMLen: len(request.ukm.len()),
    };
    let ecdh_params = CK_ECDH1_DERIVE_PARAMS {
        kdf: CKD_NULL,
        ulSharedDataLen: len(request.ukm.len()),
        pSharedData: request.ukm.as_ptr().cast_mut(),
        ulPublicDataLen: len(public.len()),
        pPublicData: public.as_ptr().cast_mut(),
    };
    let vendor = |ckm| {
        MechanismType::new_vendor_defined(ckm).map_err(|_| Error::Unsupported {
            what: format!("mechanism 0x{ckm:08X}"),
        })
    };
    let mechanism = match request.hash {
        VkoHash::Streebog256 => Mechanism::VendorDefined(VendorDefinedMechanism::new(
            vendor(CKM_GOSTR3410_12_DERIVE)?,
            Some(&gost_params),
        )),
        VkoHash::Streebog512 => Mechanism::VendorDefined(VendorDefinedMechanism::new(
            vendor(CKM_VKO_GOSTR3410_2012_512)?,
            Some(&ecdh_params),
        )),
    };
    let out_len = u64::try_from(request.hash.output_len()).unwrap_or(u64::MAX);
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::ValueLen(out_len.into()),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
    ];
    let derived = s
        .derive_key(&mechanism, key, &template)
        .map_err(ck("C_DeriveKey"))?;
    let value = s
        .get_attributes(derived, &[AttributeType::Value])
        .map_err(ck("C_GetAttributeValue"));
    // The session key has served its purpose whatever happened: do not leave it behind.
    let destroyed = s.destroy_object(derived).map_err(ck("C_DestroyObject"));
    let secret = match value?.pop() {
        Some(Attribute::Value(v)) => SecretBytes::from_vec(v),
        _ => {
            return Err(Error::Backend(BackendEvidence::Other(
                "the derived key's CKA_VALUE was not returned".into(),
            )));
        }
    };
    destroyed?;
    if secret.len() != request.hash.output_len() {
        return Err(Error::Backend(BackendEvidence::Other(format!(
            "the token derived {} bytes, not {}",
            secret.len(),
            request.hash.output_len()
        ))));
    }
    Ok(secret)
}
