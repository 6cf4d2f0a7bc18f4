//! The soft token's own cryptography: PIN-derived key-encryption keys and authenticated
//! encryption of key material at rest.
//!
//! * KEK = PBKDF2-HMAC-Streebog-512(PIN, 32-byte random salt, tunable iterations), 32 bytes.
//! * The random 32-byte token key is stored twice, AES-256-GCM-encrypted under the user KEK and
//!   under the SO KEK, so the SO can set a new user PIN without losing keys.
//! * Private key material is AES-256-GCM-encrypted under the token key, with the object's
//!   CKA_ID as associated data (a sealed key cannot be moved to another container unnoticed).
//!
//! AES-GCM was chosen over Kuznyechik-MGM because the RustCrypto MGM crate is still a
//! pre-release; this encryption never leaves the token directory, so no interoperability is lost.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use token_core::{Error, Result};
use zeroize::Zeroizing;

/// Length of the token key and of a KEK.
pub(crate) const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// A 32-byte key, zeroized on drop.
pub(crate) type Key = Zeroizing<[u8; KEY_LEN]>;

/// Fills `buf` from the operating system's random source.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| {
        Error::Backend(token_core::BackendEvidence::Other(format!(
            "operating system random source failed: {e}"
        )))
    })
}

/// A fresh random key.
pub(crate) fn random_key() -> Result<Key> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    random(key.as_mut())?;
    Ok(key)
}

/// The key-encryption key for a PIN.
pub(crate) fn derive_kek(pin: &[u8], salt: &[u8], iterations: u32) -> Key {
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    pbkdf2::pbkdf2_hmac::<gost::Streebog512>(pin, salt, iterations, kek.as_mut());
    kek
}

/// Encrypts: output = nonce ‖ ciphertext ‖ tag.
pub(crate) fn seal(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| internal("AES key length"))?;
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| internal("AES-GCM encryption"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts what [`seal`] made. `None` when the key is wrong or the data was altered: the
/// caller decides whether that means a wrong PIN or a damaged store.
pub(crate) fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (nonce, ct) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad })
        .ok()
        .map(Zeroizing::new)
}

fn internal(what: &str) -> Error {
    Error::Backend(token_core::BackendEvidence::Other(format!(
        "soft token: {what} failed"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let key = random_key().unwrap();
        let sealed = seal(&key, b"aad", b"secret scalar").unwrap();
        assert_eq!(
            open(&key, b"aad", &sealed).unwrap().as_slice(),
            b"secret scalar"
        );
        assert!(open(&key, b"other", &sealed).is_none());
        let other = random_key().unwrap();
        assert!(open(&other, b"aad", &sealed).is_none());
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(open(&key, b"aad", &flipped).is_none());
        assert!(open(&key, b"aad", &sealed[..5]).is_none());
    }

    #[test]
    fn kek_depends_on_pin_and_salt() {
        let a = derive_kek(b"Rx7mQ2wz", b"salt", 2);
        assert_eq!(*a, *derive_kek(b"Rx7mQ2wz", b"salt", 2));
        assert_ne!(*a, *derive_kek(b"Rx7mQ2wy", b"salt", 2));
        assert_ne!(*a, *derive_kek(b"Rx7mQ2wz", b"salu", 2));
        assert_ne!(*a, *derive_kek(b"Rx7mQ2wz", b"salt", 3));
    }
}
