//! The key that encrypts a container's private key, derived from the PIN and the salt in
//! `masks.key`. CryptoPro's own construction, HMAC-like but not HMAC:
//!
//! 1. `h = H(salt ‖ P)`, where `P` is the PIN as 4-byte little-endian characters;
//! 2. `c` starts as the 32 ASCII bytes `DENEFH028.760246785.IUEFHWUIO.EF`; always read as a
//!    block of the hash (32 bytes for GOST R 34.11-94, 64 for Streebog) padded with zeros;
//! 3. `n` times: `c = H((c ⊕ 0x36…) ‖ h ‖ (c ⊕ 0x5C…) ‖ h)`, `n` = 2000 with a PIN, 2 without;
//! 4. `c = H((c ⊕ 0x36…)[..32] ‖ salt ‖ (c ⊕ 0x5C…)[..32] ‖ P)`;
//! 5. the key is `H(c)`.
//!
//! `H` is GOST R 34.11-94 with the CryptoPro parameters for GOST R 34.10-2001 containers and
//! Streebog-256 for GOST R 34.10-2012 ones (256- and 512-bit keys alike). This is what the
//! independent readers kmvi/cp-extract-data and li0ard/ckey implement; the tests check it by
//! opening containers made by CryptoPro CSP.

use digest::Digest;
use gost_cipher::SecretKey;
use token_core::Password;
use zeroize::{Zeroize, Zeroizing};

/// The starting value of step 2.
const SEED: &[u8; 32] = b"DENEFH028.760246785.IUEFHWUIO.EF";
/// Iterations of step 3 when the container has a PIN.
const ITERATIONS_WITH_PIN: usize = 2000;
/// Iterations of step 3 when it has none.
const ITERATIONS_WITHOUT_PIN: usize = 2;
/// The longest PIN accepted, in characters: CryptoPro limits the wide PIN to 1024 bytes.
pub(crate) const MAX_PIN_CHARS: usize = 256;

/// Which hash the container's generation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PinHash {
    /// GOST R 34.11-94, CryptoPro parameters (GOST R 34.10-2001 containers).
    Gost94,
    /// Streebog-256 (GOST R 34.10-2012 containers).
    Streebog256,
}

/// The PIN as CryptoPro hashes it: each character as a 4-byte little-endian code (a Unix
/// `wchar_t`). A PIN that is not UTF-8 is read byte by byte. `None` when it is too long.
fn wide_pin(password: &Password) -> Option<Zeroizing<Vec<u8>>> {
    let bytes = password.expose();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() * 4));
    let mut push = |code: u32| out.extend_from_slice(&code.to_le_bytes());
    match core::str::from_utf8(bytes) {
        Ok(text) => text.chars().for_each(|c| push(u32::from(c))),
        Err(_) => bytes.iter().for_each(|b| push(u32::from(*b))),
    }
    (out.len() <= 4 * MAX_PIN_CHARS).then_some(out)
}

/// Derives the 256-bit key of `primary.key` from the PIN (empty for a container without one)
/// and the salt. `None` for a PIN longer than [`MAX_PIN_CHARS`].
pub(crate) fn derive(hash: PinHash, salt: &[u8], password: &Password) -> Option<SecretKey> {
    let pin = wide_pin(password)?;
    let iterations = if password.is_empty() {
        ITERATIONS_WITHOUT_PIN
    } else {
        ITERATIONS_WITH_PIN
    };
    let out = match hash {
        PinHash::Gost94 => run::<gost94::Gost94CryptoPro, 32>(salt, &pin, iterations),
        PinHash::Streebog256 => run::<gost::Streebog256, 64>(salt, &pin, iterations),
    };
    Some(SecretKey::from_array(*out))
}

/// Steps 1–5 with the hash `D` (32-byte output) whose block is `W` bytes.
fn run<D: Digest, const W: usize>(
    salt: &[u8],
    pin: &[u8],
    iterations: usize,
) -> Zeroizing<[u8; 32]> {
    let hash = |parts: &[&[u8]]| -> Zeroizing<[u8; 32]> {
        let mut d = D::new();
        parts.iter().for_each(|p| d.update(p));
        let mut out = Zeroizing::new([0u8; 32]);
        out.iter_mut()
            .zip(d.finalize().iter())
            .for_each(|(o, i)| *o = *i);
        out
    };
    let pads = |c: &[u8; W]| -> (Zeroizing<[u8; W]>, Zeroizing<[u8; W]>) {
        let (mut inner, mut outer) = (Zeroizing::new([0u8; W]), Zeroizing::new([0u8; W]));
        for ((i, o), x) in inner.iter_mut().zip(outer.iter_mut()).zip(c.iter()) {
            *i = x ^ 0x36;
            *o = x ^ 0x5C;
        }
        (inner, outer)
    };
    let h = hash(&[salt, pin]);
    let mut c = Zeroizing::new([0u8; W]);
    c.iter_mut().zip(SEED.iter()).for_each(|(c, s)| *c = *s);
    for _ in 0..iterations {
        let (inner, outer) = pads(&c);
        let next = hash(&[&inner[..], &h[..], &outer[..], &h[..]]);
        c.zeroize();
        c.iter_mut().zip(next.iter()).for_each(|(c, n)| *c = *n);
    }
    let (inner, outer) = pads(&c);
    let last = hash(&[
        inner.get(..32).unwrap_or_default(),
        salt,
        outer.get(..32).unwrap_or_default(),
        pin,
    ]);
    hash(&[&last[..]])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn pin_characters_are_four_bytes_little_endian() {
        assert_eq!(
            wide_pin(&Password::new("1a")).unwrap().as_slice(),
            &[0x31, 0, 0, 0, 0x61, 0, 0, 0]
        );
        // Cyrillic "д" is U+0434.
        assert_eq!(
            wide_pin(&Password::new("д")).unwrap().as_slice(),
            &[0x34, 0x04, 0, 0]
        );
        assert!(wide_pin(&Password::new(&"1".repeat(MAX_PIN_CHARS + 1))).is_none());
        assert!(derive(PinHash::Gost94, &[0; 12], &Password::new(&"1".repeat(300))).is_none());
    }

    /// The PIN, the salt and the hash each change the key (the values themselves are checked
    /// by opening CryptoPro's containers in the integration tests).
    #[test]
    fn every_input_matters() {
        let salt = [7u8; 12];
        let k = |h, s: &[u8], p: &str| derive(h, s, &Password::new(p)).unwrap();
        let base = k(PinHash::Streebog256, &salt, "1");
        assert_ne!(base, k(PinHash::Streebog256, &salt, "2"));
        assert_ne!(base, k(PinHash::Streebog256, &[8u8; 12], "1"));
        assert_ne!(base, k(PinHash::Gost94, &salt, "1"));
        assert_ne!(base, k(PinHash::Streebog256, &salt, ""));
        assert_eq!(base, k(PinHash::Streebog256, &salt, "1"));
    }
}
