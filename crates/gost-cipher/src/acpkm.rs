//! CTR and CTR-ACPKM encryption (GOST R 34.13-2015 §5.2; RFC 8645 §6.2.2, R 1323565.1.017-2018
//! §4.1), streaming with constant memory.
//!
//! CTR: the counter block starts as `IV ‖ 0…0` (IV = n/2 bytes) and is incremented as one
//! big-endian integer modulo `2^n` per block; the keystream is `E_K(CTR_1) ‖ E_K(CTR_2) ‖ …`.
//! CTR-ACPKM cuts the keystream into sections of N bytes and, at the start of each section
//! after the first, replaces the key with `ACPKM(K) = first 256 bits of E_K(D_1) ‖ E_K(D_2) ‖ …`
//! where `D = 80 81 82 … 9F` (32 bytes) split into blocks. The counter is not reset.

use zeroize::Zeroize;

use crate::block::{BlockBuf, BlockCipher, Keyed};
use crate::error::{Error, Result};
use crate::key::SecretKey;

/// The ACPKM constant `D`: the bytes 0x80 … 0x9F (RFC 8645 §6.2.1).
const ACPKM_D: [u8; 32] = [
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
];

/// `ACPKM(K)`: the next section key from the current keyed cipher (RFC 8645 §6.2.1).
pub(crate) fn acpkm_next_key(cipher: BlockCipher, keyed: &Keyed) -> SecretKey {
    let n = cipher.block_len();
    let mut out = [0u8; 32];
    for (chunk, d) in out.chunks_mut(n).zip(ACPKM_D.chunks(n)) {
        let mut b: BlockBuf = [0; 16];
        if let Some(dst) = b.get_mut(..n) {
            dst.copy_from_slice(d);
        }
        keyed.encrypt(&mut b);
        if let Some(src) = b.get(..n) {
            chunk.copy_from_slice(src);
        }
        b.zeroize();
    }
    let key = SecretKey::from_array(out);
    out.zeroize();
    key
}

/// A CTR or CTR-ACPKM keystream: [`CtrAcpkm::apply_keystream`] encrypts and decrypts alike,
/// in pieces of any length (the keystream continues across calls), with constant memory.
///
/// ```
/// use keycarrier_gost_cipher::{BlockCipher, CtrAcpkm, SecretKey};
///
/// let key = SecretKey::from_array([1; 32]);
/// let mut enc = CtrAcpkm::new(BlockCipher::Magma, &key, &[1, 2, 3, 4], 1024)?;
/// let mut data = *b"payment order 42, 1000 roubles";
/// enc.apply_keystream(&mut data[..5]);
/// enc.apply_keystream(&mut data[5..]);
/// let mut dec = CtrAcpkm::new(BlockCipher::Magma, &key, &[1, 2, 3, 4], 1024)?;
/// dec.apply_keystream(&mut data);
/// assert_eq!(&data, b"payment order 42, 1000 roubles");
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub struct CtrAcpkm {
    cipher: BlockCipher,
    keyed: Keyed,
    /// The counter block (first `n` bytes used).
    counter: BlockBuf,
    /// The current keystream block.
    keystream: BlockBuf,
    /// Bytes of `keystream` already used (`n` = none left).
    used: usize,
    /// Section length N in bytes; `None` for plain CTR.
    section: Option<usize>,
    /// Keystream bytes produced in the current section.
    in_section: usize,
}

impl core::fmt::Debug for CtrAcpkm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CtrAcpkm")
            .field("cipher", &self.cipher)
            .field("section", &self.section)
            .finish_non_exhaustive()
    }
}

impl Drop for CtrAcpkm {
    fn drop(&mut self) {
        self.counter.zeroize();
        self.keystream.zeroize();
    }
}

impl CtrAcpkm {
    /// CTR-ACPKM with sections of `section_len` bytes (a nonzero multiple of the block length;
    /// the CMS values are [`crate::ContentCipher::section_len`]), `iv` of `n/2` bytes.
    pub fn new(
        cipher: BlockCipher,
        key: &SecretKey,
        iv: &[u8],
        section_len: usize,
    ) -> Result<Self> {
        let n = cipher.block_len();
        if section_len == 0 || !section_len.is_multiple_of(n) {
            return Err(Error::parameter(
                "ACPKM section length",
                format!("{section_len} bytes; a nonzero multiple of {n} is needed"),
            ));
        }
        Self::with_section(cipher, key, iv, Some(section_len))
    }

    /// Plain CTR (GOST R 34.13-2015 §5.2), no key change: what KExp15 uses.
    pub fn ctr(cipher: BlockCipher, key: &SecretKey, iv: &[u8]) -> Result<Self> {
        Self::with_section(cipher, key, iv, None)
    }

    fn with_section(
        cipher: BlockCipher,
        key: &SecretKey,
        iv: &[u8],
        section: Option<usize>,
    ) -> Result<Self> {
        let half = cipher.iv_len();
        if iv.len() != half {
            return Err(Error::length("CTR IV", iv.len(), half.to_string()));
        }
        let mut counter: BlockBuf = [0; 16];
        if let Some(dst) = counter.get_mut(..half) {
            dst.copy_from_slice(iv);
        }
        Ok(Self {
            cipher,
            keyed: cipher.keyed(key),
            counter,
            keystream: [0; 16],
            used: cipher.block_len(),
            section,
            in_section: 0,
        })
    }

    /// The block cipher.
    pub fn cipher(&self) -> BlockCipher {
        self.cipher
    }

    /// XORs the next `data.len()` keystream bytes into `data` (encrypts or decrypts).
    pub fn apply_keystream(&mut self, data: &mut [u8]) {
        let n = self.cipher.block_len();
        for byte in data {
            if self.used >= n {
                self.next_block();
            }
            if let Some(k) = self.keystream.get(self.used) {
                *byte ^= *k;
            }
            self.used += 1;
        }
    }

    /// The next keystream block; a new section key first when a section is complete.
    fn next_block(&mut self) {
        let n = self.cipher.block_len();
        if self.section == Some(self.in_section) {
            let next = acpkm_next_key(self.cipher, &self.keyed);
            self.keyed = self.cipher.keyed(&next);
            self.in_section = 0;
        }
        self.keystream = self.counter;
        self.keyed.encrypt(&mut self.keystream);
        // Counter + 1, big-endian over the n bytes.
        if let Some(ctr) = self.counter.get_mut(..n) {
            for b in ctr.iter_mut().rev() {
                let (v, carry) = b.overflowing_add(1);
                *b = v;
                if !carry {
                    break;
                }
            }
        }
        self.used = 0;
        self.in_section += n;
    }
}
