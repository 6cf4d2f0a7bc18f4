//! Signing (flows U14, U15): the private key looked up by container (handles cached), the
//! mechanism chosen by key kind, scheme and [`CarrierOptions::hash_on_token`](super::CarrierOptions::hash_on_token),
//! host hashing where the token does not hash.

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::types::Ulong;
use cryptoki_sys::CK_MECHANISM_TYPE;
use sha2::{Digest as _, Sha256};
use token_core::{ContainerId, Error, Result, SignInput, SignRequest, SignatureScheme};

use super::Pkcs11Carrier;
use super::objects::{KeyKind, key_type_of, kind_of};
use crate::consts::{
    CKM_GOSTR3410, CKM_GOSTR3410_512, CKM_GOSTR3410_WITH_GOSTR3411_12_256,
    CKM_GOSTR3410_WITH_GOSTR3411_12_512,
};
use crate::convert::{self, sha256_digest_info};
use crate::error::{ck, is_ckr};

impl Pkcs11Carrier {
    /// The private key handle for `id`, cached (object handles are valid in every session of
    /// the application).
    pub(super) fn key(&self, s: &Session, id: &ContainerId) -> Result<(ObjectHandle, KeyKind)> {
        if let Some(k) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(*k);
        }
        let found = self.find(
            s,
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(id.as_bytes().to_vec()),
            ],
        )?;
        let Some(&h) = found.first() else {
            // Private objects are invisible before login: say so, as the soft token does,
            // rather than "not found".
            self.require_user_login(s)?;
            return Err(Error::NotFound {
                what: format!("private key of container {id}"),
            });
        };
        let a = self.get(s, h, &[AttributeType::KeyType])?;
        let kind = key_type_of(&a)
            .and_then(kind_of)
            .ok_or_else(|| Error::Unsupported {
                what: format!("key type of container {id}"),
            })?;
        let _ = self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), (h, kind));
        Ok((h, kind))
    }

    /// Drops the cached key handles (after a logout, a login, a deletion, a re-created object).
    pub(super) fn forget_keys(&self) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A parameterless vendor mechanism (the TC26 GOST numbers) as `cryptoki` takes it.
    pub(super) fn vendor(ckm: CK_MECHANISM_TYPE) -> Result<Mechanism<'static>> {
        let t = MechanismType::new_vendor_defined(ckm).map_err(|_| Error::Unsupported {
            what: format!("mechanism 0x{ckm:08X}"),
        })?;
        Ok(Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
            t, None,
        )))
    }

    /// Signs with `key` by the mechanism its kind, the scheme and the options call for.
    pub(super) fn sign_with(
        &self,
        s: &Session,
        key: ObjectHandle,
        kind: KeyKind,
        scheme: SignatureScheme,
        input: SignInput<'_>,
    ) -> Result<Vec<u8>> {
        let pss = PkcsPssParams {
            hash_alg: MechanismType::SHA256,
            mgf: PkcsMgfType::MGF1_SHA256,
            s_len: Ulong::from(32),
        };
        let on_token =
            |ckm: CK_MECHANISM_TYPE| self.options.hash_on_token && self.has_mechanism(ckm);
        let typed = |m: &Mechanism<'_>, data: &[u8]| s.sign(m, key, data).map_err(ck("C_Sign"));
        match (kind, scheme, input) {
            (KeyKind::Rsa, SignatureScheme::RsaPkcs1Sha256, SignInput::Message(m))
                if on_token(cryptoki_sys::CKM_SHA256_RSA_PKCS) =>
            {
                typed(&Mechanism::Sha256RsaPkcs, m)
            }
            (KeyKind::Rsa, SignatureScheme::RsaPkcs1Sha256, input) => {
                let digest = host_digest(SignatureScheme::RsaPkcs1Sha256, input)?;
                typed(&Mechanism::RsaPkcs, &sha256_digest_info(&digest))
            }
            (KeyKind::Rsa, SignatureScheme::RsaPssSha256, SignInput::Message(m))
                if on_token(cryptoki_sys::CKM_SHA256_RSA_PKCS_PSS) =>
            {
                typed(&Mechanism::Sha256RsaPkcsPss(pss), m)
            }
            (KeyKind::Rsa, SignatureScheme::RsaPssSha256, input) => typed(
                &Mechanism::RsaPkcsPss(pss),
                &host_digest(SignatureScheme::RsaPssSha256, input)?,
            ),
            (KeyKind::Gost256, SignatureScheme::Gost256, SignInput::Message(m))
                if on_token(CKM_GOSTR3410_WITH_GOSTR3411_12_256) =>
            {
                typed(&Self::vendor(CKM_GOSTR3410_WITH_GOSTR3411_12_256)?, m)
            }
            (KeyKind::Gost512, SignatureScheme::Gost512, SignInput::Message(m))
                if on_token(CKM_GOSTR3410_WITH_GOSTR3411_12_512) =>
            {
                typed(&Self::vendor(CKM_GOSTR3410_WITH_GOSTR3411_12_512)?, m)
            }
            // Streebog on the host (or the caller's digest), then the raw GOST mechanism.
            (KeyKind::Gost256, SignatureScheme::Gost256, input) => {
                Ok(self
                    .module()
                    .raw()
                    .sign(s, CKM_GOSTR3410, key, &host_digest(scheme, input)?)?)
            }
            (KeyKind::Gost512, SignatureScheme::Gost512, input) => typed(
                &Self::vendor(CKM_GOSTR3410_512)?,
                &host_digest(scheme, input)?,
            ),
            // ECDSA: SHA-2 on the host (the only path: SoftHSM2 2.6, the test module, has no
            // CKM_ECDSA_SHA*), `r ‖ s` from the token, DER Ecdsa-Sig-Value out.
            (KeyKind::Ec, SignatureScheme::EcdsaSha256 | SignatureScheme::EcdsaSha384, input) => {
                convert::ecdsa_der(&typed(&Mechanism::Ecdsa, &host_digest(scheme, input)?)?)
            }
            (kind, scheme, _) => Err(Error::Unsupported {
                what: format!("{scheme:?} with a {kind:?} key"),
            }),
        }
    }

    /// [`Carrier::sign`](token_core::Carrier::sign): the digest length, then the login (as on
    /// the soft token, before anyone is asked to confirm), then the U15 confirmation, then the
    /// key. A cached key handle that went stale is looked up once more.
    pub(super) fn sign_request(&self, request: &SignRequest<'_>) -> Result<Vec<u8>> {
        request.check_digest_len()?;
        // With a confirmation hook the login is checked in a session of its own, before the
        // user is asked; without one, in the session that signs (one pool round trip).
        let hook = request.confirmation.is_some();
        if hook {
            self.pool
                .run(|s| self.require_user_login(s))
                .map_err(|e| self.explain(e))?;
            // U15: the hook decides before the key is looked up or used.
            request.confirm()?;
        }
        let id = request.container;
        self.pool
            .run(|s| {
                if !hook {
                    self.require_user_login(s)?;
                }
                let (key, kind) = self.key(s, id)?;
                match self.sign_with(s, key, kind, request.scheme, request.input) {
                    Err(e)
                        if is_ckr(&e, cryptoki_sys::CKR_KEY_HANDLE_INVALID)
                            || is_ckr(&e, cryptoki_sys::CKR_OBJECT_HANDLE_INVALID) =>
                    {
                        // The cached handle went stale (objects re-created); look it up again.
                        self.forget_keys();
                        let (key, kind) = self.key(s, id)?;
                        self.sign_with(s, key, kind, request.scheme, request.input)
                    }
                    r => r,
                }
            })
            .map_err(|e| self.explain(e))
    }
}

/// The digest to sign for `scheme`: the caller's, or the message hashed on the host with the
/// scheme's digest (Streebog-256/512 for GOST, as the hash outputs it).
fn host_digest(scheme: SignatureScheme, input: SignInput<'_>) -> Result<Vec<u8>> {
    use token_core::DigestAlgorithm;
    match input {
        SignInput::Digest(d) => Ok(d.to_vec()),
        SignInput::Message(m) => match scheme.digest() {
            DigestAlgorithm::Streebog256 => Ok(gost::Streebog256::digest(m).to_vec()),
            DigestAlgorithm::Streebog512 => Ok(gost::Streebog512::digest(m).to_vec()),
            DigestAlgorithm::Sha256 => Ok(Sha256::digest(m).to_vec()),
            DigestAlgorithm::Sha384 => Ok(sha2::Sha384::digest(m).to_vec()),
            other => Err(Error::Unsupported {
                what: format!("hashing with {other:?} on the host"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GOST messages are hashed on the host with the scheme's Streebog (reference values from
    /// the streebog crate's documentation); digests pass through unchanged.
    #[test]
    fn gost_messages_hash_with_the_schemes_streebog() {
        fn hex(s: &str) -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap(), 16).unwrap())
                .collect()
        }
        let fox = b"The quick brown fox jumps over the lazy dog";
        let d256 = host_digest(SignatureScheme::Gost256, SignInput::Message(fox)).unwrap();
        assert_eq!(
            d256,
            hex("3e7dea7f2384b6c5a3d0e24aaa29c05e89ddd762145030ec22c71a6db8b2c1f4")
        );
        let d512 = host_digest(SignatureScheme::Gost512, SignInput::Message(fox)).unwrap();
        assert_eq!(
            d512,
            hex(concat!(
                "d2b793a0bb6cb5904828b5b6dcfb443bb8f33efc06ad09368878ae4cdc8245b9",
                "7e60802469bed1e7c21a64ff0b179a6a1e0bb74d92965450a0adab69162c00fe"
            ))
        );
        assert_eq!(
            host_digest(SignatureScheme::Gost512, SignInput::Digest(&d512)).unwrap(),
            d512
        );
        assert_eq!(
            host_digest(SignatureScheme::RsaPkcs1Sha256, SignInput::Message(fox)).unwrap(),
            Sha256::digest(fox).to_vec()
        );
    }
}
