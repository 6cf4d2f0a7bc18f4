//! Opening envelopes with a container's private key (flow U17): RSA key-transport decryption
//! and GOST VKO key agreement, the two private-key steps of [`token_core::decrypt`].
//!
//! Both are methods of [`PrivateKey`] so that the Rust token ([`token_core::Carrier`]) and the
//! PKCS#11 module (`C_Decrypt`, `C_DeriveKey`) run the same code.
//!
//! # RSAES-PKCS1-v1_5 and padding oracles
//!
//! The `rsa` crate decrypts PKCS#1 v1.5 with *implicit rejection*
//! (draft-irtf-cfrg-rsa-guidance, the Marvin countermeasure also in OpenSSL ≥ 3.2): a
//! ciphertext whose padding is wrong does not fail, it decrypts in constant time to a
//! pseudo-random message derived from the private key and the ciphertext. So there is no
//! padding error for an attacker to observe at all; a damaged or foreign ciphertext shows up
//! when the recovered key fails to open the content. Errors that remain (a ciphertext of the
//! wrong length or out of range, every OAEP failure) are one [`Error::VerificationFailed`]
//! with a fixed text that never says which check failed.

use rsa::RsaPrivateKey;
use token_core::{Error, OaepHash, PublicKey, Result, RsaKeyTransport, SecretBytes, VkoHash};
use zeroize::Zeroizing;

use crate::keys::{PrivateKey, rng};

/// The one error of a failed decryption: the same words whatever went wrong.
pub(crate) fn decryption_failed() -> Error {
    Error::VerificationFailed {
        what: "the encrypted key (wrong key, or a damaged or foreign ciphertext)".into(),
    }
}

/// RSA decryption with blinding (the workspace's `rsa` has no default random source, so the
/// generator is passed explicitly; without one the crate would decrypt unblinded).
fn rsa_decrypt(
    key: &RsaPrivateKey,
    ciphertext: &[u8],
    padding: RsaKeyTransport,
) -> rsa::Result<Vec<u8>> {
    let mut rng = rng();
    match padding {
        RsaKeyTransport::Pkcs1v15 => {
            key.decrypt_blinded(&mut rng, rsa::Pkcs1v15Encrypt, ciphertext)
        }
        RsaKeyTransport::Oaep(OaepHash::Sha1) => {
            key.decrypt_blinded(&mut rng, rsa::Oaep::<sha1::Sha1>::new(), ciphertext)
        }
        RsaKeyTransport::Oaep(OaepHash::Sha256) => {
            key.decrypt_blinded(&mut rng, rsa::Oaep::<sha2::Sha256>::new(), ciphertext)
        }
        RsaKeyTransport::Oaep(OaepHash::Sha384) => {
            key.decrypt_blinded(&mut rng, rsa::Oaep::<sha2::Sha384>::new(), ciphertext)
        }
        RsaKeyTransport::Oaep(OaepHash::Sha512) => {
            key.decrypt_blinded(&mut rng, rsa::Oaep::<sha2::Sha512>::new(), ciphertext)
        }
        // `RsaKeyTransport` and `OaepHash` are non-exhaustive; a padding added there later is
        // refused here until it is implemented.
        #[allow(unreachable_patterns)]
        _ => Err(rsa::Error::Decryption),
    }
}

impl PrivateKey {
    /// Decrypts an RSA-encrypted content-encryption key ([`token_core::KeyDecryption`]).
    ///
    /// A GOST key is [`Error::Unsupported`]; every decryption failure is the same
    /// [`Error::VerificationFailed`] (see the module documentation for PKCS#1 v1.5, which
    /// never fails on padding).
    #[doc(hidden)]
    pub fn decrypt_key(&self, ciphertext: &[u8], padding: RsaKeyTransport) -> Result<SecretBytes> {
        let key = self.as_rsa().ok_or_else(|| Error::Unsupported {
            what: "RSA decryption with a GOST key".into(),
        })?;
        let plain =
            Zeroizing::new(rsa_decrypt(key, ciphertext, padding).map_err(|_| decryption_failed())?);
        Ok(SecretBytes::new(&plain))
    }

    /// Computes the GOST VKO shared key with `peer` ([`token_core::KeyAgreement`]):
    /// `gost::SigningKey::vko`, constant-time in the private key. `ukm` holds the UKM
    /// integer's little-endian bytes (1 to 64).
    ///
    /// An RSA key is [`Error::Unsupported`]; a peer key that is no valid GOST point, or one on
    /// another curve than this key, is [`Error::Malformed`].
    #[doc(hidden)]
    pub fn agree_key(&self, peer: &PublicKey, ukm: &[u8], hash: VkoHash) -> Result<SecretBytes> {
        let key = self.as_gost().ok_or_else(|| Error::Unsupported {
            what: "GOST key agreement with an RSA key".into(),
        })?;
        let peer = gost::VerifyingKey::from_spki_der(&peer.to_der()?)?;
        let digest = match hash {
            VkoHash::Streebog256 => gost::VkoDigest::Streebog256,
            VkoHash::Streebog512 => gost::VkoDigest::Streebog512,
        };
        let agreed = key.vko(&peer, ukm, digest).map_err(|e| match e {
            e @ gost::Error::CurveMismatch { .. } => Error::Malformed {
                what: "peer public key",
                at: None,
                reason: e.to_string(),
            },
            other => Error::from(other),
        })?;
        Ok(SecretBytes::new(&agreed))
    }
}
