//! The two GOST R 34.12-2015 block ciphers behind one small interface: Kuznyechik (128-bit
//! blocks) and Magma (64-bit blocks), from the RustCrypto `kuznyechik` and `magma` crates, in
//! the byte order GOST R 34.12/34.13 print their examples (which both crates use).
//!
//! Side channels: both crates compute with lookup tables indexed by secret-dependent bytes
//! (as OpenSSL's gost engine does); they are not cache-timing hardened.

use kuznyechik::KuznyechikEnc;
use kuznyechik::cipher::consts::{U8, U16};
use kuznyechik::cipher::{Array, BlockCipherEncrypt, KeyInit};
use magma::Magma;

use crate::key::SecretKey;

/// A GOST R 34.12-2015 block cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockCipher {
    /// Kuznyechik: 128-bit blocks.
    Kuznyechik,
    /// Magma: 64-bit blocks (GOST 28147-89 with the TC26 S-box, GOST R 34.12 byte order).
    Magma,
}

impl BlockCipher {
    /// Block length `n` in bytes (16 or 8).
    pub const fn block_len(self) -> usize {
        match self {
            Self::Kuznyechik => 16,
            Self::Magma => 8,
        }
    }

    /// Length of a CTR initial vector (`n/2` bytes: 8 or 4), which is also the IV of KExp15.
    pub const fn iv_len(self) -> usize {
        self.block_len() / 2
    }

    /// The keyed cipher.
    pub(crate) fn keyed(self, key: &SecretKey) -> Keyed {
        let k = Array::from(*key.as_bytes());
        match self {
            Self::Kuznyechik => Keyed::Kuznyechik(Box::new(KuznyechikEnc::new(&k))),
            Self::Magma => Keyed::Magma(Magma::new(&k)),
        }
    }
}

/// A keyed block cipher, encryption direction only (every mode here needs no more). The
/// round keys are zeroized on drop by the cipher crates.
pub(crate) enum Keyed {
    /// Kuznyechik (boxed: its expanded key is large).
    Kuznyechik(Box<KuznyechikEnc>),
    /// Magma.
    Magma(Magma),
}

/// A block buffer big enough for either cipher; a Magma block uses the first 8 bytes.
pub(crate) type BlockBuf = [u8; 16];

impl Keyed {
    /// Encrypts the first `block_len` bytes of `block` in place (no copies of the block are
    /// left behind: it may hold key material, as in ACPKM).
    pub(crate) fn encrypt(&self, block: &mut BlockBuf) {
        match self {
            Self::Kuznyechik(c) => {
                if let Ok(b) = <&mut Array<u8, U16>>::try_from(block.as_mut_slice()) {
                    c.encrypt_block(b);
                }
            }
            Self::Magma(c) => {
                if let Some(half) = block.get_mut(..8)
                    && let Ok(b) = <&mut Array<u8, U8>>::try_from(half)
                {
                    c.encrypt_block(b);
                }
            }
        }
    }
}
