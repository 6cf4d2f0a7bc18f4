//! GOST 28147-89 in simple-replacement (ECB) mode, block by block (RFC 5830 §5): what
//! CryptoPro CSP uses to encrypt a private key under the key derived from a container's PIN.
//! ECB shows equal plaintext blocks as equal ciphertext blocks, so it is only fit for
//! encrypting random key material; nothing else here uses it.

use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::key::SecretKey;

use super::Gost89Sbox;
use super::cipher::Gost89;

/// The block length of GOST 28147-89.
const BLOCK: usize = 8;

fn check_len(data: &[u8]) -> Result<()> {
    if data.len().is_multiple_of(BLOCK) {
        Ok(())
    } else {
        Err(Error::length(
            "GOST 28147-89 ECB data",
            data.len(),
            "a multiple of 8",
        ))
    }
}

fn each_block(data: &mut [u8], mut f: impl FnMut(&mut [u8; BLOCK])) {
    for chunk in data.chunks_exact_mut(BLOCK) {
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(chunk);
        f(&mut block);
        chunk.copy_from_slice(&block);
        block.zeroize();
    }
}

/// Encrypts `data` (a whole number of 8-byte blocks) in place, each block on its own, in the
/// 28147 byte order. No key meshing: ECB data is a key or two, far below 1 KiB.
///
/// ```
/// use keycarrier_gost_cipher::gost89::{ecb_decrypt, ecb_encrypt, Gost89Sbox};
/// use keycarrier_gost_cipher::SecretKey;
///
/// let key = SecretKey::from_array([3; 32]);
/// let mut data = *b"32 bytes of random key material!";
/// ecb_encrypt(Gost89Sbox::Tc26Z, &key, &mut data)?;
/// ecb_decrypt(Gost89Sbox::Tc26Z, &key, &mut data)?;
/// assert_eq!(&data, b"32 bytes of random key material!");
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub fn ecb_encrypt(sbox: Gost89Sbox, key: &SecretKey, data: &mut [u8]) -> Result<()> {
    check_len(data)?;
    let cipher = Gost89::new(sbox, key);
    each_block(data, |b| cipher.encrypt(b));
    Ok(())
}

/// Decrypts `data` (a whole number of 8-byte blocks) in place; see [`ecb_encrypt`].
pub fn ecb_decrypt(sbox: Gost89Sbox, key: &SecretKey, data: &mut [u8]) -> Result<()> {
    check_len(data)?;
    let cipher = Gost89::new(sbox, key);
    each_block(data, |b| cipher.decrypt(b));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// `openssl enc -engine gost -gost89-cbc -nopad -iv 0000000000000000`, one block at a time
    /// (CBC of a single block under a zero IV is that block's ECB encryption), key 00 01 … 1f,
    /// OpenSSL 3.0 with gost engine 3.0.1: with `CRYPT_PARAMS=id-Gost28147-89-CryptoPro-A-ParamSet`
    /// for CryptoPro-A, and without it for TC26 Z (that engine's default).
    #[test]
    fn both_sboxes_match_openssl() {
        let key = SecretKey::from_slice(&hex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ))
        .unwrap();
        for (sbox, expected) in [
            (Gost89Sbox::CryptoProA, "ce263bd2d57acadebfc35b84dbec4f77"),
            (Gost89Sbox::Tc26Z, "9e1ad9570e29a23cc14c5031fcfc07ef"),
        ] {
            let mut data = *b"payment!order 42";
            ecb_encrypt(sbox, &key, &mut data).unwrap();
            assert_eq!(data.to_vec(), hex(expected), "{sbox:?}");
            ecb_decrypt(sbox, &key, &mut data).unwrap();
            assert_eq!(&data, b"payment!order 42");
        }
    }

    /// TC26 Z: the Magma example of GOST R 34.12-2015 A.2 / RFC 8891 §A.2, written in the
    /// 28147 byte order (each 32-bit key word and the whole block byte-reversed).
    #[test]
    fn z_matches_the_magma_example() {
        let mut key = hex("ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        key.chunks_exact_mut(4).for_each(<[u8]>::reverse);
        let key = SecretKey::from_slice(&key).unwrap();
        let mut block = hex("fedcba9876543210");
        block.reverse();
        ecb_encrypt(Gost89Sbox::Tc26Z, &key, &mut block).unwrap();
        let mut expected = hex("4ee901e5c2d8ca3d");
        expected.reverse();
        assert_eq!(block, expected);
    }

    #[test]
    fn partial_blocks_are_refused() {
        let key = SecretKey::from_array([1; 32]);
        let mut data = [0u8; 12];
        assert!(matches!(
            ecb_decrypt(Gost89Sbox::Tc26Z, &key, &mut data),
            Err(Error::Length { got: 12, .. })
        ));
        assert_eq!(data, [0u8; 12], "nothing decrypted");
    }
}
