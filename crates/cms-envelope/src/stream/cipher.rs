//! Content ciphers that work chunk by chunk, for envelopes larger than memory: AES-CBC (the
//! last block held back until the padding can be removed) and AES-GCM (CTR plus GHASH; the
//! tag is checked at the end).

use aes_gcm::aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::{Padding, Pkcs7};
use cbc::cipher::{
    Array, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit, StreamCipher,
};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use token_core::{Error, Result};
use zeroize::Zeroizing;

/// An AES key size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AesBits {
    B128,
    B192,
    B256,
}

/// One direction of a content cipher, fed in chunks. `update` may hold back bytes (CBC keeps
/// its last block); `finish` releases them and checks or produces the tag.
pub(crate) trait ChunkCipher {
    /// Processes `input`, appending output to `out`.
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()>;
    /// Ends the stream: appends the held-back output to `out`. Decrypting, `tag` is the
    /// received tag and is checked; encrypting, the computed tag is returned.
    fn finish(self: Box<Self>, tag: Option<&[u8]>, out: &mut Vec<u8>) -> Result<Option<Vec<u8>>>;
}

fn bad_key() -> Error {
    Error::VerificationFailed {
        what: "the content key does not fit the content cipher".into(),
    }
}

fn cbc_failed() -> Error {
    Error::VerificationFailed {
        what: "the encrypted content does not decrypt with this key".into(),
    }
}

// --- AES-CBC ------------------------------------------------------------------------------

enum CbcDec {
    B128(cbc::Decryptor<Aes128>),
    B192(cbc::Decryptor<Aes192>),
    B256(cbc::Decryptor<Aes256>),
}

enum CbcEnc {
    B128(cbc::Encryptor<Aes128>),
    B192(cbc::Encryptor<Aes192>),
    B256(cbc::Encryptor<Aes256>),
}

/// AES-CBC decryption; the last whole block is kept until [`ChunkCipher::finish`] so the
/// PKCS#7 padding can be checked and removed.
pub(crate) struct CbcDecrypt {
    mode: CbcDec,
    pending: Zeroizing<Vec<u8>>,
}

impl CbcDecrypt {
    pub(crate) fn new(bits: AesBits, key: &[u8], iv: &[u8]) -> Result<Self> {
        let mode = match bits {
            AesBits::B128 => {
                CbcDec::B128(cbc::Decryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
            AesBits::B192 => {
                CbcDec::B192(cbc::Decryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
            AesBits::B256 => {
                CbcDec::B256(cbc::Decryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
        };
        Ok(Self {
            mode,
            pending: Zeroizing::new(Vec::new()),
        })
    }

    fn decrypt_blocks(&mut self, blocks: &mut [u8]) {
        let (chunks, _) = Array::<u8, cbc::cipher::consts::U16>::slice_as_chunks_mut(blocks);
        match &mut self.mode {
            CbcDec::B128(m) => m.decrypt_blocks(chunks),
            CbcDec::B192(m) => m.decrypt_blocks(chunks),
            CbcDec::B256(m) => m.decrypt_blocks(chunks),
        }
    }
}

impl ChunkCipher for CbcDecrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.pending.extend_from_slice(input);
        // Keep at least one whole block (the one with the padding) back.
        let whole = self.pending.len() / 16 * 16;
        let release = whole.saturating_sub(if whole == self.pending.len() { 16 } else { 0 });
        if release == 0 {
            return Ok(());
        }
        let mut blocks = Zeroizing::new(self.pending.drain(..release).collect::<Vec<u8>>());
        self.decrypt_blocks(&mut blocks);
        out.extend_from_slice(&blocks);
        Ok(())
    }

    fn finish(mut self: Box<Self>, _: Option<&[u8]>, out: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        if self.pending.len() != 16 {
            return Err(cbc_failed());
        }
        let mut last = Zeroizing::new(core::mem::take(&mut *self.pending));
        self.decrypt_blocks(&mut last);
        let plain = Pkcs7::raw_unpad(&last).map_err(|_| cbc_failed())?;
        out.extend_from_slice(plain);
        Ok(None)
    }
}

/// AES-CBC encryption with PKCS#7 padding added at the end.
pub(crate) struct CbcEncrypt {
    mode: CbcEnc,
    pending: Zeroizing<Vec<u8>>,
}

impl CbcEncrypt {
    pub(crate) fn new(bits: AesBits, key: &[u8], iv: &[u8]) -> Result<Self> {
        let mode = match bits {
            AesBits::B128 => {
                CbcEnc::B128(cbc::Encryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
            AesBits::B192 => {
                CbcEnc::B192(cbc::Encryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
            AesBits::B256 => {
                CbcEnc::B256(cbc::Encryptor::new_from_slices(key, iv).map_err(|_| bad_key())?)
            }
        };
        Ok(Self {
            mode,
            pending: Zeroizing::new(Vec::new()),
        })
    }

    fn encrypt_blocks(&mut self, blocks: &mut [u8]) {
        let (chunks, _) = Array::<u8, cbc::cipher::consts::U16>::slice_as_chunks_mut(blocks);
        match &mut self.mode {
            CbcEnc::B128(m) => m.encrypt_blocks(chunks),
            CbcEnc::B192(m) => m.encrypt_blocks(chunks),
            CbcEnc::B256(m) => m.encrypt_blocks(chunks),
        }
    }
}

impl ChunkCipher for CbcEncrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.pending.extend_from_slice(input);
        let whole = self.pending.len() / 16 * 16;
        if whole == 0 {
            return Ok(());
        }
        let mut blocks: Vec<u8> = self.pending.drain(..whole).collect();
        self.encrypt_blocks(&mut blocks);
        out.extend_from_slice(&blocks);
        Ok(())
    }

    fn finish(mut self: Box<Self>, _: Option<&[u8]>, out: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        let pad = 16 - self.pending.len() % 16;
        let mut last = Zeroizing::new(core::mem::take(&mut *self.pending));
        last.extend(core::iter::repeat_n(pad as u8, pad));
        self.encrypt_blocks(&mut last);
        out.extend_from_slice(&last);
        Ok(None)
    }
}

// --- AES-GCM ------------------------------------------------------------------------------

enum Ctr {
    B128(ctr::Ctr32BE<Aes128>),
    B192(ctr::Ctr32BE<Aes192>),
    B256(ctr::Ctr32BE<Aes256>),
}

impl Ctr {
    fn apply(&mut self, buf: &mut [u8]) {
        match self {
            Self::B128(c) => c.apply_keystream(buf),
            Self::B192(c) => c.apply_keystream(buf),
            Self::B256(c) => c.apply_keystream(buf),
        }
    }
}

/// AES-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag, chunk by chunk: CTR from
/// J0+1 for the data, GHASH over the ciphertext, the tag `GHASH ⊕ E(J0)` checked in constant
/// time at the end. Decrypting, the output is unauthenticated until `finish` succeeds.
pub(crate) struct Gcm {
    ctr: Ctr,
    ghash: GHash,
    /// E_K(J0), which masks the tag.
    tag_mask: Zeroizing<[u8; 16]>,
    /// Ciphertext bytes not yet a whole GHASH block.
    partial: Vec<u8>,
    aad_len: u64,
    len: u64,
    decrypting: bool,
}

impl Gcm {
    /// `aad` is hashed first, so it must be known before the content: AuthEnvelopedData's
    /// authenticated attributes follow the content, so a stream with them cannot be opened.
    pub(crate) fn new(
        bits: AesBits,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        decrypting: bool,
    ) -> Result<Self> {
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| Error::Unsupported {
            what: "AES-GCM with a nonce other than 12 bytes".into(),
        })?;
        let mut j0 = [0u8; 16];
        for (d, s) in j0.iter_mut().zip(nonce) {
            *d = s;
        }
        j0[15] = 1;
        let mut h = Zeroizing::new([0u8; 16]);
        let mut mask = Zeroizing::new(j0);
        let mut first = j0;
        first[15] = 2;
        macro_rules! setup {
            ($aes:ty, $var:ident) => {{
                let aes = <$aes>::new_from_slice(key).map_err(|_| bad_key())?;
                aes.encrypt_block((&mut *h).into());
                aes.encrypt_block((&mut *mask).into());
                Ctr::$var(
                    ctr::Ctr32BE::<$aes>::new_from_slices(key, &first).map_err(|_| bad_key())?,
                )
            }};
        }
        let ctr = match bits {
            AesBits::B128 => setup!(Aes128, B128),
            AesBits::B192 => setup!(Aes192, B192),
            AesBits::B256 => setup!(Aes256, B256),
        };
        let mut ghash = GHash::new(&(*h).into());
        ghash.update_padded(aad);
        Ok(Self {
            ctr,
            ghash,
            aad_len: aad.len() as u64,
            tag_mask: mask,
            partial: Vec::with_capacity(16),
            len: 0,
            decrypting,
        })
    }

    fn hash_ciphertext(&mut self, ciphertext: &[u8]) {
        self.len = self.len.saturating_add(ciphertext.len() as u64);
        self.partial.extend_from_slice(ciphertext);
        let whole = self.partial.len() / 16 * 16;
        if whole > 0 {
            let blocks: Vec<u8> = self.partial.drain(..whole).collect();
            self.ghash.update_padded(&blocks);
        }
    }
}

impl ChunkCipher for Gcm {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(input);
        let Some(fresh) = out.get_mut(start..) else {
            return Ok(());
        };
        if self.decrypting {
            self.hash_ciphertext(input);
            self.ctr.apply(fresh);
        } else {
            self.ctr.apply(fresh);
            let ciphertext = fresh.to_vec();
            self.hash_ciphertext(&ciphertext);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, tag: Option<&[u8]>, _: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        if !self.partial.is_empty() {
            let rest = core::mem::take(&mut self.partial);
            self.ghash.update_padded(&rest);
        }
        let aad_bits = self.aad_len.saturating_mul(8).to_be_bytes();
        let content_bits = self.len.saturating_mul(8).to_be_bytes();
        let mut lengths = [0u8; 16];
        for (d, s) in lengths
            .iter_mut()
            .zip(aad_bits.iter().chain(content_bits.iter()))
        {
            *d = *s;
        }
        self.ghash.update_padded(&lengths);
        let mut computed = self.ghash.finalize().to_vec();
        for (c, m) in computed.iter_mut().zip(self.tag_mask.iter()) {
            *c ^= m;
        }
        if self.decrypting {
            let received = tag.unwrap_or_default();
            if received.len() != 16 || !bool::from(computed.ct_eq(received)) {
                return Err(Error::VerificationFailed {
                    what: "the AES-GCM tag of the encrypted content".into(),
                });
            }
            Ok(None)
        } else {
            Ok(Some(computed))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use aes_gcm::aead::{Aead, Payload};
    use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce};

    use super::*;

    fn chunks(data: &[u8], cipher: &mut dyn ChunkCipher) -> Vec<u8> {
        let mut out = Vec::new();
        // Uneven pieces: 0, 1, 15, 16, 17, 100 bytes, repeated.
        let sizes = [0usize, 1, 15, 16, 17, 100];
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at >= data.len() {
                break;
            }
            let end = (at + size).min(data.len());
            cipher.update(&data[at..end], &mut out).unwrap();
            at = end;
        }
        out
    }

    /// The chunked GCM against the aes-gcm crate's one-shot AEAD (its ciphertext ‖ tag), with
    /// and without AAD, for lengths around the block size.
    #[test]
    fn gcm_in_chunks_matches_aes_gcm() {
        let key = [7u8; 32];
        let nonce = [9u8; 12];
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000] {
            for aad in [&b""[..], b"authenticated attributes"] {
                let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let reference = Aes256Gcm::new_from_slice(&key)
                    .unwrap()
                    .encrypt(&Nonce::from(nonce), Payload { msg: &plain, aad })
                    .unwrap();
                let mut enc = Box::new(Gcm::new(AesBits::B256, &key, &nonce, aad, false).unwrap());
                let mut ct = chunks(&plain, enc.as_mut());
                let tag = enc.finish(None, &mut ct).unwrap().unwrap();
                ct.extend_from_slice(&tag);
                assert_eq!(ct, reference, "len {len}");

                let mut dec = Box::new(Gcm::new(AesBits::B256, &key, &nonce, aad, true).unwrap());
                let back = chunks(&reference[..len], dec.as_mut());
                dec.finish(Some(&reference[len..]), &mut Vec::new())
                    .unwrap();
                assert_eq!(back, plain);

                let mut bad = reference[len..].to_vec();
                bad[0] ^= 1;
                let mut dec = Box::new(Gcm::new(AesBits::B256, &key, &nonce, aad, true).unwrap());
                chunks(&reference[..len], dec.as_mut());
                assert!(dec.finish(Some(&bad), &mut Vec::new()).is_err());
            }
        }
    }

    /// Chunked CBC against the cbc crate's one-shot padded encryption, and back.
    #[test]
    fn cbc_in_chunks_matches_one_shot() {
        let key = [3u8; 16];
        let iv = [5u8; 16];
        for len in [0usize, 1, 15, 16, 17, 48, 1000] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let reference = cbc::Encryptor::<Aes128>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(&plain);
            let mut enc = Box::new(CbcEncrypt::new(AesBits::B128, &key, &iv).unwrap());
            let mut ct = chunks(&plain, enc.as_mut());
            enc.finish(None, &mut ct).unwrap();
            assert_eq!(ct, reference, "len {len}");
            let mut dec = Box::new(CbcDecrypt::new(AesBits::B128, &key, &iv).unwrap());
            let mut back = chunks(&ct, dec.as_mut());
            dec.finish(None, &mut back).unwrap();
            assert_eq!(back, plain);
        }
    }
}
