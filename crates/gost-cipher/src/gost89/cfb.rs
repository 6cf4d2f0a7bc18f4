//! GOST 28147-89 CFB (RFC 5830 §6) with CryptoPro key meshing (RFC 4357 §2.3.2): after every
//! 1024 bytes the key becomes `D_K(C)` and the feedback register is encrypted once under the
//! new key before it makes the next gamma. Streaming, any piece sizes, constant memory.

use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::key::SecretKey;

use super::cipher::Gost89;
use super::{Gost89Sbox, MESHING_BLOCKS};

/// The CFB state shared by both directions.
struct Cfb {
    cipher: Gost89,
    /// The feedback register: the previous ciphertext block (the IV at first), being
    /// overwritten byte by byte with the current one.
    register: [u8; 8],
    gamma: [u8; 8],
    /// Bytes of `gamma` used (8 = a new gamma is due).
    pos: usize,
    /// Gammas made under the current key.
    blocks: usize,
    meshing: bool,
}

impl Drop for Cfb {
    fn drop(&mut self) {
        self.register.zeroize();
        self.gamma.zeroize();
    }
}

impl Cfb {
    fn new(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8], meshing: bool) -> Result<Self> {
        let register: [u8; 8] = iv
            .try_into()
            .map_err(|_| Error::length("GOST 28147-89 IV", iv.len(), "8"))?;
        Ok(Self {
            cipher: Gost89::new(sbox, key),
            register,
            gamma: [0; 8],
            pos: 8,
            blocks: 0,
            meshing,
        })
    }

    /// One byte: `out = in ^ gamma`, and the ciphertext byte (`in` when decrypting, `out`
    /// when encrypting) goes into the register.
    fn step(&mut self, byte: &mut u8, encrypting: bool) {
        if self.pos == 8 {
            if self.meshing && self.blocks == MESHING_BLOCKS {
                self.cipher = self.cipher.meshed();
                self.cipher.encrypt(&mut self.register);
                self.blocks = 0;
            }
            self.gamma = self.register;
            self.cipher.encrypt(&mut self.gamma);
            self.blocks += 1;
            self.pos = 0;
        }
        let (g, r) = (self.gamma.get(self.pos), self.register.get_mut(self.pos));
        if let (Some(g), Some(r)) = (g, r) {
            let input = *byte;
            *byte ^= *g;
            *r = if encrypting { *byte } else { input };
        }
        self.pos += 1;
    }
}

/// GOST 28147-89 CFB encryption with CryptoPro key meshing (as `openssl enc -gost89` and
/// CryptoPro CSP do).
///
/// ```
/// use keycarrier_gost_cipher::gost89::{Gost89CfbDecryptor, Gost89CfbEncryptor, Gost89Sbox};
/// use keycarrier_gost_cipher::SecretKey;
///
/// let key = SecretKey::from_array([3; 32]);
/// let mut data = *b"payment order 42";
/// let mut enc = Gost89CfbEncryptor::new(Gost89Sbox::CryptoProA, &key, &[0; 8])?;
/// enc.encrypt(&mut data);
/// let mut dec = Gost89CfbDecryptor::new(Gost89Sbox::CryptoProA, &key, &[0; 8])?;
/// dec.decrypt(&mut data[..3]);
/// dec.decrypt(&mut data[3..]);
/// assert_eq!(&data, b"payment order 42");
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub struct Gost89CfbEncryptor(Cfb);

/// GOST 28147-89 CFB decryption with CryptoPro key meshing. CFB has no integrity: pair it
/// with a MAC (the CMS profile of RFC 4490 does not; the wrapped key is protected, the content
/// is not).
pub struct Gost89CfbDecryptor(Cfb);

impl core::fmt::Debug for Gost89CfbEncryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gost89CfbEncryptor")
            .field("sbox", &self.0.cipher.sbox())
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for Gost89CfbDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gost89CfbDecryptor")
            .field("sbox", &self.0.cipher.sbox())
            .finish_non_exhaustive()
    }
}

impl Gost89CfbEncryptor {
    /// CFB with key meshing, `iv` of 8 bytes.
    pub fn new(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        Ok(Self(Cfb::new(sbox, key, iv, true)?))
    }

    /// CFB without key meshing (RFC 5830 alone; CryptoPro key diversification uses it).
    pub fn without_meshing(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        Ok(Self(Cfb::new(sbox, key, iv, false)?))
    }

    /// Encrypts the next piece in place.
    pub fn encrypt(&mut self, data: &mut [u8]) {
        for b in data {
            self.0.step(b, true);
        }
    }
}

impl Gost89CfbDecryptor {
    /// CFB with key meshing, `iv` of 8 bytes.
    pub fn new(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        Ok(Self(Cfb::new(sbox, key, iv, true)?))
    }

    /// CFB without key meshing.
    pub fn without_meshing(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        Ok(Self(Cfb::new(sbox, key, iv, false)?))
    }

    /// Decrypts the next piece in place.
    pub fn decrypt(&mut self, data: &mut [u8]) {
        for b in data {
            self.0.step(b, false);
        }
    }
}
