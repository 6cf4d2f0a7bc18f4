//! Key algorithms inside the soft token: generation, public key derivation, signing, and the
//! PKCS#11 attributes each key type carries.

use der::asn1::OctetString;
use der::{Decode, Encode};
use gost::signature::Signer;
use gost::signature::hazmat::PrehashSigner;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::Digest;
use token_core::{
    DigestAlgorithm, Error, GostKeySize, KeyAlgorithm, PublicKey, Result, SecretBytes,
    SignatureScheme, oid,
};

use crate::attr;
use crate::store::StoredAttribute;

/// A freshly generated key pair.
pub(crate) struct Generated {
    /// The private key as PKCS#8 DER.
    pub(crate) pkcs8: SecretBytes,
    /// Its public key.
    pub(crate) public_key: PublicKey,
}

/// A fresh random source for RSA key generation and PSS salts.
pub(crate) fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

pub(crate) fn rsa_error(e: impl core::fmt::Display) -> Error {
    Error::Backend(token_core::BackendEvidence::Other(format!("RSA: {e}")))
}

/// RSA key sizes the soft token generates.
const RSA_SIZES: [u32; 3] = [2048, 3072, 4096];

/// Generates a key pair.
pub(crate) fn generate(algorithm: KeyAlgorithm) -> Result<Generated> {
    match algorithm {
        KeyAlgorithm::Gost(set) => {
            let key = gost::SigningKey::generate(set)?;
            Ok(Generated {
                pkcs8: SecretBytes::new(key.to_pkcs8_der()?.as_bytes()),
                public_key: gost_public_key(key.verifying_key())?,
            })
        }
        KeyAlgorithm::Rsa { bits } if RSA_SIZES.contains(&bits) => {
            let bits = usize::try_from(bits).map_err(rsa_error)?;
            let key = rsa::RsaPrivateKey::new(&mut rng(), bits).map_err(rsa_error)?;
            let pkcs8 = key.to_pkcs8_der().map_err(rsa_error)?;
            let spki = key.to_public_key().to_public_key_der().map_err(rsa_error)?;
            Ok(Generated {
                pkcs8: SecretBytes::new(pkcs8.as_bytes()),
                public_key: PublicKey::from_spki_der(spki.as_bytes())?,
            })
        }
        other => Err(Error::Unsupported {
            what: format!("{other} key generation in the soft token (RSA: 2048, 3072, 4096)"),
        }),
    }
}

/// A parsed private key of the soft token: GOST R 34.10-2012 or RSA.
///
/// For the PKCS#11 module (`soft-token-pkcs11`), whose mechanisms sign with the key itself
/// ([`crate::SoftToken::private_key`]); applications sign through
/// [`token_core::Carrier::sign`]. The key is zeroized when dropped (by the `gost` and `rsa`
/// key types).
#[doc(hidden)]
pub struct PrivateKey(Private);

enum Private {
    Gost(Box<gost::SigningKey>),
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kind = match &self.0 {
            Private::Gost(k) => format!("GOST {:?}", k.param_set()),
            Private::Rsa(k) => format!("RSA-{}", k.size() * 8),
        };
        f.debug_tuple("PrivateKey").field(&kind).finish()
    }
}

impl PrivateKey {
    /// Parses a PKCS#8 private key: RSA (`rsaEncryption`) or GOST R 34.10-2012.
    pub fn from_pkcs8_der(pkcs8: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(pkcs8)
            .map_err(|e| Error::malformed_der("private key", e))?;
        let alg = info.algorithm.oid;
        if alg == oid::RSA_ENCRYPTION {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| Error::Malformed {
                what: "RSA private key",
                at: None,
                reason: e.to_string(),
            })?;
            return Ok(Self(Private::Rsa(Box::new(key))));
        }
        Ok(Self(Private::Gost(Box::new(
            gost::SigningKey::from_pkcs8_der(pkcs8)?,
        ))))
    }

    /// The GOST key, if this is one.
    pub fn as_gost(&self) -> Option<&gost::SigningKey> {
        match &self.0 {
            Private::Gost(k) => Some(k),
            Private::Rsa(_) => None,
        }
    }

    /// The RSA key, if this is one.
    pub fn as_rsa(&self) -> Option<&rsa::RsaPrivateKey> {
        match &self.0 {
            Private::Rsa(k) => Some(k),
            Private::Gost(_) => None,
        }
    }

    /// The length of its signatures: 2L bytes for GOST (L = 32 or 64), the modulus length for
    /// RSA.
    pub fn signature_len(&self) -> usize {
        match &self.0 {
            Private::Gost(k) => 2 * k.param_set().key_size().coordinate_len(),
            Private::Rsa(k) => k.size(),
        }
    }
}

/// A GOST public key as token-core's [`PublicKey`] (through its SubjectPublicKeyInfo).
pub(crate) fn gost_public_key(key: &gost::VerifyingKey) -> Result<PublicKey> {
    PublicKey::from_spki_der(&key.to_spki_der()?)
}

/// A GOST signing failure in token-core's terms: the [`gost::Error`] the `signature` error
/// carries (a digest of the wrong width, a failed random generator).
fn gost_signing_error(e: gost::signature::Error) -> Error {
    match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<gost::Error>()) {
        Some(cause) => Error::from(cause.clone()),
        None => Error::Backend(token_core::BackendEvidence::Other(
            "GOST signing failed".into(),
        )),
    }
}

/// The public key of a PKCS#8 private key.
pub(crate) fn public_key_of(pkcs8: &[u8]) -> Result<PublicKey> {
    match PrivateKey::from_pkcs8_der(pkcs8)?.0 {
        Private::Gost(key) => gost_public_key(key.verifying_key()),
        Private::Rsa(key) => {
            let spki = key.to_public_key().to_public_key_der().map_err(rsa_error)?;
            PublicKey::from_spki_der(spki.as_bytes())
        }
    }
}

fn mismatch(scheme: SignatureScheme) -> Error {
    Error::Unsupported {
        what: format!("{scheme:?} with this container's key"),
    }
}

/// Whether a parsed key can sign with `scheme`.
fn fits(key: &PrivateKey, scheme: SignatureScheme) -> bool {
    match &key.0 {
        Private::Gost(k) => KeyAlgorithm::Gost(k.param_set()).signature_scheme() == scheme,
        Private::Rsa(_) => !scheme.is_gost(),
    }
}

/// Signs a message with the scheme's digest.
pub(crate) fn sign_message(
    key: &PrivateKey,
    scheme: SignatureScheme,
    message: &[u8],
) -> Result<Vec<u8>> {
    if !fits(key, scheme) {
        return Err(mismatch(scheme));
    }
    match &key.0 {
        Private::Gost(k) => Ok(k.try_sign(message).map_err(gost_signing_error)?.to_vec()),
        Private::Rsa(_) => sign_digest(key, scheme, &sha2::Sha256::digest(message)),
    }
}

/// Signs a digest computed with the scheme's digest algorithm.
pub(crate) fn sign_digest(
    key: &PrivateKey,
    scheme: SignatureScheme,
    digest: &[u8],
) -> Result<Vec<u8>> {
    match (&key.0, scheme) {
        (Private::Gost(k), _) if fits(key, scheme) => {
            Ok(k.sign_prehash(digest).map_err(gost_signing_error)?.to_vec())
        }
        (Private::Rsa(k), SignatureScheme::RsaPkcs1Sha256) => k
            .sign_with_rng(&mut rng(), rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), digest)
            .map_err(rsa_error),
        (Private::Rsa(k), SignatureScheme::RsaPssSha256) => k
            .sign_with_rng(&mut rng(), rsa::Pss::<sha2::Sha256>::new(), digest)
            .map_err(rsa_error),
        _ => Err(mismatch(scheme)),
    }
}

/// `CKA_VALUE` of a GOST public key object: `X_le ‖ Y_le`, the SPKI's inner OCTET STRING.
pub(crate) fn gost_public_value(key: &PublicKey) -> Option<Vec<u8>> {
    match key.algorithm() {
        KeyAlgorithm::Gost(_) => OctetString::from_der(key.key_bytes())
            .ok()
            .map(|o| o.as_bytes().to_vec()),
        _ => None,
    }
}

/// `CKA_KEY_TYPE` and the algorithm attributes (GOST parameter OIDs) of a key.
pub(crate) fn pkcs11_key_attributes(key: &PublicKey) -> Result<(u64, Vec<StoredAttribute>)> {
    match key.algorithm() {
        KeyAlgorithm::Gost(set) => {
            let (key_type, digest) = match set.key_size() {
                GostKeySize::Bits256 => (attr::CKK_GOSTR3410, DigestAlgorithm::Streebog256),
                GostKeySize::Bits512 => (attr::CKK_GOSTR3410_512, DigestAlgorithm::Streebog512),
            };
            let der = |oid: token_core::const_oid::ObjectIdentifier| {
                oid.to_der()
                    .map_err(|e| Error::malformed_der("OID", e))
                    .and_then(|v| OctetString::new(v).map_err(|e| Error::malformed_der("OID", e)))
            };
            Ok((
                key_type,
                vec![
                    StoredAttribute {
                        kind: attr::GOSTR3410_PARAMS,
                        value: der(set.oid())?,
                        sealed: false,
                    },
                    StoredAttribute {
                        kind: attr::GOSTR3411_PARAMS,
                        value: der(digest.oid())?,
                        sealed: false,
                    },
                ],
            ))
        }
        KeyAlgorithm::Rsa { .. } => {
            use rsa::pkcs8::DecodePublicKey;
            let rsa = rsa::RsaPublicKey::from_public_key_der(&key.to_der()?).map_err(rsa_error)?;
            let bits = u64::from(rsa.n().bits());
            let clear = |kind, value: Vec<u8>| -> Result<StoredAttribute> {
                Ok(StoredAttribute {
                    kind,
                    value: OctetString::new(value).map_err(|e| Error::malformed_der("RSA", e))?,
                    sealed: false,
                })
            };
            Ok((
                attr::CKK_RSA,
                vec![
                    clear(attr::MODULUS, rsa.n_bytes().into_vec())?,
                    clear(attr::PUBLIC_EXPONENT, rsa.e_bytes().into_vec())?,
                    clear(attr::MODULUS_BITS, attr::ulong(bits))?,
                ],
            ))
        }
        other => Err(Error::Unsupported {
            what: format!("{other} in the soft token"),
        }),
    }
}
