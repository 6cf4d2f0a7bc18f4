//! The GOST 28147-89 MAC, "imitovstavka" (RFC 5830 §8; GOST 28147-89 §5): 16 rounds per block
//! over the XOR of the state and the block, the first 4 bytes of the final state. As CryptoPro
//! and gost-engine compute it: a message of at most one block is padded with a zero block, a
//! last partial block is padded with zeros, and with key meshing the key changes (RFC 4357
//! §2.3.2, without touching the state) after every 1024 bytes.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::key::SecretKey;

use super::cipher::Gost89;
use super::{Gost89Sbox, MESHING_BLOCKS};

/// Length of the MAC in bytes.
pub const IMIT_LEN: usize = 4;

/// A GOST 28147-89 MAC computation (32-bit tag).
///
/// ```
/// use keycarrier_gost_cipher::gost89::{Gost89Imit, Gost89Sbox};
/// use keycarrier_gost_cipher::SecretKey;
///
/// let key = SecretKey::from_array([5; 32]);
/// let mut mac = Gost89Imit::new(Gost89Sbox::CryptoProA, &key);
/// mac.update(b"payment order 42");
/// let tag = mac.clone().finalize();
/// assert_eq!(tag.len(), 4);
/// assert!(mac.verify(&tag).is_ok());
/// ```
#[derive(Clone)]
pub struct Gost89Imit {
    cipher: std::sync::Arc<Gost89>,
    state: [u8; 8],
    partial: [u8; 8],
    partial_len: usize,
    /// Blocks processed in all.
    blocks: u64,
    /// Blocks processed under the current key.
    since_mesh: usize,
    meshing: bool,
}

impl core::fmt::Debug for Gost89Imit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gost89Imit")
            .field("sbox", &self.cipher.sbox())
            .finish_non_exhaustive()
    }
}

impl Drop for Gost89Imit {
    fn drop(&mut self) {
        self.state.zeroize();
        self.partial.zeroize();
    }
}

impl Gost89Imit {
    /// The MAC with a zero initial state and CryptoPro key meshing (gost-engine's
    /// `gost-mac`, CryptoPro CSP).
    pub fn new(sbox: Gost89Sbox, key: &SecretKey) -> Self {
        Self::build(sbox, key, [0; 8], true)
    }

    /// The MAC with an initial state `iv` and no key meshing: the form the key wraps of
    /// RFC 4357 §6 use (with the UKM as `iv`).
    pub fn with_iv(sbox: Gost89Sbox, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        let iv: [u8; 8] = iv
            .try_into()
            .map_err(|_| Error::length("GOST 28147-89 MAC IV", iv.len(), "8"))?;
        Ok(Self::build(sbox, key, iv, false))
    }

    fn build(sbox: Gost89Sbox, key: &SecretKey, state: [u8; 8], meshing: bool) -> Self {
        Self {
            cipher: std::sync::Arc::new(Gost89::new(sbox, key)),
            state,
            partial: [0; 8],
            partial_len: 0,
            blocks: 0,
            since_mesh: 0,
            meshing,
        }
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        for b in data {
            if self.partial_len == 8 {
                let block = self.partial;
                self.process(&block);
                self.partial_len = 0;
            }
            if let Some(slot) = self.partial.get_mut(self.partial_len) {
                *slot = *b;
            }
            self.partial_len += 1;
        }
    }

    fn process(&mut self, block: &[u8; 8]) {
        if self.meshing && self.since_mesh == MESHING_BLOCKS {
            self.cipher = std::sync::Arc::new(self.cipher.meshed());
            self.since_mesh = 0;
        }
        for (s, b) in self.state.iter_mut().zip(block) {
            *s ^= *b;
        }
        self.cipher.mac_rounds(&mut self.state);
        self.since_mesh += 1;
        self.blocks += 1;
    }

    /// The 4-byte MAC.
    pub fn finalize(mut self) -> [u8; IMIT_LEN] {
        let only_block = self.blocks == 0 && self.partial_len > 0;
        if self.partial_len > 0 {
            let mut block = [0u8; 8];
            if let (Some(dst), Some(src)) = (
                block.get_mut(..self.partial_len),
                self.partial.get(..self.partial_len),
            ) {
                dst.copy_from_slice(src);
            }
            self.process(&block);
            block.zeroize();
        }
        if only_block {
            self.process(&[0; 8]);
        }
        let mut out = [0u8; IMIT_LEN];
        if let Some(src) = self.state.first_chunk::<IMIT_LEN>() {
            out = *src;
        }
        out
    }

    /// Whether `tag` is the MAC, in constant time.
    pub fn verify(self, tag: &[u8]) -> Result<()> {
        let mac = self.finalize();
        if bool::from(mac.as_slice().ct_eq(tag)) {
            Ok(())
        } else {
            Err(Error::Integrity {
                what: "GOST 28147-89 MAC",
            })
        }
    }
}
