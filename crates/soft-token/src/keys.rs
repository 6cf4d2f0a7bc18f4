//! Key algorithms inside the soft token: generation, public key derivation, signing, and the
//! PKCS#11 attributes each key type carries.

use der::asn1::OctetString;
use der::{Decode, Encode};
use token_core::{
    DigestAlgorithm, Error, GostKeySize, KeyAlgorithm, PublicKey, Result, SecretBytes,
    SignatureScheme,
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

fn not_yet(what: impl core::fmt::Display) -> Error {
    Error::Unsupported {
        what: format!("{what} in the soft token (the signing engine for it is not built in yet)"),
    }
}

/// Generates a key pair.
pub(crate) fn generate(algorithm: KeyAlgorithm) -> Result<Generated> {
    Err(not_yet(algorithm))
}

/// The public key of a PKCS#8 private key.
pub(crate) fn public_key_of(pkcs8: &[u8]) -> Result<PublicKey> {
    let _ = pkcs8;
    Err(not_yet("importing private keys"))
}

/// Signs a message with the scheme's digest.
pub(crate) fn sign_message(
    pkcs8: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
) -> Result<Vec<u8>> {
    let _ = (pkcs8, message);
    Err(not_yet(format!("{scheme:?}")))
}

/// Signs a digest computed with the scheme's digest algorithm.
pub(crate) fn sign_digest(pkcs8: &[u8], scheme: SignatureScheme, digest: &[u8]) -> Result<Vec<u8>> {
    let _ = (pkcs8, digest);
    Err(not_yet(format!("{scheme:?}")))
}

/// Whether two public keys are the same key (GOST keys on one curve named by different OIDs
/// count as the same).
pub(crate) fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    let same_family = match (a.algorithm(), b.algorithm()) {
        (KeyAlgorithm::Gost(x), KeyAlgorithm::Gost(y)) => x.curve() == y.curve(),
        (KeyAlgorithm::Rsa { .. }, KeyAlgorithm::Rsa { .. }) => true,
        _ => false,
    };
    same_family && a.key_bytes() == b.key_bytes()
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
        KeyAlgorithm::Rsa { .. } => Ok((attr::CKK_RSA, Vec::new())),
        other => Err(Error::Unsupported {
            what: format!("{other} in the soft token"),
        }),
    }
}
