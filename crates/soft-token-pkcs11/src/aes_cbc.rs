//! AES-CBC with PKCS#7 padding (CKM_AES_CBC_PAD, PKCS#11 v2.40 §2.10.4), streaming: the
//! state is the previous ciphertext block and the bytes not yet forming a whole block.
//! Decryption holds the last whole block back until the final call, which strips the padding.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use cryptoki_sys::{CK_RV, CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE};
use zeroize::{Zeroize, Zeroizing};

/// The AES block length.
pub(crate) const BLOCK: usize = 16;

/// A keyed AES (128, 192 or 256), its round keys zeroized on drop by the `aes` crate.
#[derive(Clone)]
enum Aes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Option<Self> {
        Some(match key.len() {
            16 => Self::A128(aes::Aes128::new_from_slice(key).ok()?),
            24 => Self::A192(aes::Aes192::new_from_slice(key).ok()?),
            32 => Self::A256(aes::Aes256::new_from_slice(key).ok()?),
            _ => return None,
        })
    }

    fn encrypt(&self, block: &mut [u8; BLOCK]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            Self::A128(c) => c.encrypt_block(b),
            Self::A192(c) => c.encrypt_block(b),
            Self::A256(c) => c.encrypt_block(b),
        }
    }

    fn decrypt(&self, block: &mut [u8; BLOCK]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            Self::A128(c) => c.decrypt_block(b),
            Self::A192(c) => c.decrypt_block(b),
            Self::A256(c) => c.decrypt_block(b),
        }
    }
}

/// One direction of AES-CBC-PAD in progress. Cloneable, so that a decryption's final output
/// can be computed on a copy before the caller's buffer is known to be large enough.
#[derive(Clone)]
pub(crate) struct AesCbcPad {
    aes: Aes,
    encrypt: bool,
    /// The chaining value: the IV, then the last ciphertext block.
    prev: [u8; BLOCK],
    /// Input not yet processed (less than a block; for decryption up to one whole block).
    buf: Zeroizing<Vec<u8>>,
}

impl Drop for AesCbcPad {
    fn drop(&mut self) {
        self.prev.zeroize();
    }
}

impl AesCbcPad {
    /// A new operation; `None` for a key that is not 16, 24 or 32 bytes.
    pub(crate) fn new(key: &[u8], iv: [u8; BLOCK], encrypt: bool) -> Option<Self> {
        Some(Self {
            aes: Aes::new(key)?,
            encrypt,
            prev: iv,
            buf: Zeroizing::new(Vec::new()),
        })
    }

    /// The exact output length of an update with `n` more bytes.
    pub(crate) fn update_len(&self, n: usize) -> usize {
        let total = self.buf.len().saturating_add(n);
        let whole = total - total % BLOCK;
        if !self.encrypt && total.is_multiple_of(BLOCK) && total > 0 {
            // Decryption keeps the last whole block for the final call (it holds the padding).
            whole - BLOCK
        } else {
            whole
        }
    }

    /// The output length of the final call: exact for encryption, an upper bound for
    /// decryption (the padding is known only once decrypted).
    pub(crate) fn final_len(&self) -> usize {
        if self.encrypt {
            self.buf.len() - self.buf.len() % BLOCK + BLOCK
        } else {
            self.buf.len()
        }
    }

    fn block(&mut self, block: &mut [u8; BLOCK]) {
        if self.encrypt {
            for (b, p) in block.iter_mut().zip(self.prev.iter()) {
                *b ^= *p;
            }
            self.aes.encrypt(block);
            self.prev = *block;
        } else {
            let mut next = *block;
            self.aes.decrypt(block);
            for (b, p) in block.iter_mut().zip(self.prev.iter()) {
                *b ^= *p;
            }
            self.prev = next;
            next.zeroize();
        }
    }

    /// Processes `data`; returns exactly [`Self::update_len`] bytes.
    pub(crate) fn update(&mut self, data: &[u8]) -> Zeroizing<Vec<u8>> {
        let out_len = self.update_len(data.len());
        self.buf.extend_from_slice(data);
        let mut pending = Zeroizing::new(std::mem::take(&mut *self.buf));
        let mut out = Zeroizing::new(Vec::with_capacity(out_len));
        let mut chunks = pending.chunks_exact(BLOCK);
        for chunk in chunks.by_ref().take(out_len / BLOCK) {
            let mut block = [0u8; BLOCK];
            block.copy_from_slice(chunk);
            self.block(&mut block);
            out.extend_from_slice(&block);
            block.zeroize();
        }
        let rest = pending.get(out_len..).unwrap_or_default().to_vec();
        *self.buf = rest;
        pending.zeroize();
        out
    }

    /// Ends the operation: encryption pads and emits the last block(s); decryption checks
    /// and strips the padding (`CKR_ENCRYPTED_DATA_LEN_RANGE` for input that is not whole
    /// blocks, `CKR_ENCRYPTED_DATA_INVALID` for a bad padding).
    pub(crate) fn finish(&mut self) -> Result<Zeroizing<Vec<u8>>, CK_RV> {
        if self.encrypt {
            let n = BLOCK - self.buf.len() % BLOCK;
            let pad = u8::try_from(n).unwrap_or(16);
            let mut block = [pad; BLOCK];
            if let Some(head) = block.get_mut(..self.buf.len()) {
                head.copy_from_slice(&self.buf);
            }
            self.buf.clear();
            self.block(&mut block);
            return Ok(Zeroizing::new(block.to_vec()));
        }
        let mut block = [0u8; BLOCK];
        match self.buf.as_slice() {
            b if b.len() == BLOCK => block.copy_from_slice(b),
            _ => return Err(CKR_ENCRYPTED_DATA_LEN_RANGE),
        }
        self.buf.clear();
        self.block(&mut block);
        let out = unpad(&block);
        block.zeroize();
        out
    }
}

/// The plaintext of the last decrypted block without its PKCS#7 padding.
fn unpad(block: &[u8; BLOCK]) -> Result<Zeroizing<Vec<u8>>, CK_RV> {
    let n = usize::from(block[BLOCK - 1]);
    if n == 0 || n > BLOCK {
        return Err(CKR_ENCRYPTED_DATA_INVALID);
    }
    let (data, pad) = block.split_at(BLOCK - n);
    if pad.iter().any(|b| usize::from(*b) != n) {
        return Err(CKR_ENCRYPTED_DATA_INVALID);
    }
    Ok(Zeroizing::new(data.to_vec()))
}
