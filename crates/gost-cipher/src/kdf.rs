//! KDF_GOSTR3411_2012_256 and KDF_TREE_GOSTR3411_2012_256 (RFC 7836 §4.4, §4.5;
//! R 50.1.113-2016 §4.4, §4.5): key derivation with HMAC-Streebog-256.
//!
//! `K(i) = HMAC256(K_in, [i]_b ‖ label ‖ 0x00 ‖ seed ‖ [L]_b)`, `i = 1, 2, …` written in R
//! bytes big-endian, L the output length in bits written big-endian in as few bytes as it
//! takes; the output is `K(1) ‖ K(2) ‖ …` cut to L bits. KDF_256 is the one-block case
//! with R = 1 and L = 256.

use hmac::{Hmac, KeyInit, Mac};
use streebog::Streebog256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::key::SecretKey;

type HmacStreebog256 = Hmac<Streebog256>;

/// KDF_GOSTR3411_2012_256(K_in, label, seed): one 256-bit key (RFC 7836 §4.4).
///
/// ```
/// // RFC 7836 §4.4 / R 50.1.113-2016 example.
/// let k_in: Vec<u8> = (0u8..32).collect();
/// let key = keycarrier_gost_cipher::kdf_256(&k_in, &[0x26, 0xbd, 0xb8, 0x78],
///     &[0xaf, 0x21, 0x43, 0x41, 0x45, 0x65, 0x63, 0x78]);
/// assert_eq!(key.as_bytes()[..4], [0xa1, 0xaa, 0x5f, 0x7d]);
/// ```
pub fn kdf_256(key: &[u8], label: &[u8], seed: &[u8]) -> SecretKey {
    let mut block = [0u8; 32];
    kdf_tree_block(key, &[1], label, seed, &[0x01, 0x00], &mut block);
    let out = SecretKey::from_array(block);
    block.zeroize();
    out
}

/// KDF_TREE_GOSTR3411_2012_256(K_in, label, seed, R) with an output of `out_len` bytes
/// (RFC 7836 §4.5): `r` = R, the width of the counter in bytes (1 to 4).
///
/// CMS and KEG use `label = "kdf tree"`, R = 1 and 64 bytes of output.
pub fn kdf_tree_256(
    key: &[u8],
    label: &[u8],
    seed: &[u8],
    r: usize,
    out_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    if !(1..=4).contains(&r) {
        return Err(Error::parameter(
            "KDF_TREE counter width R",
            format!("{r}; 1 to 4 bytes"),
        ));
    }
    let blocks = out_len.div_ceil(32);
    let max_blocks = (1u64 << (8 * r as u64)) - 1;
    if out_len == 0 || blocks as u64 > max_blocks {
        return Err(Error::parameter(
            "KDF_TREE output length",
            format!("{out_len} bytes; 1 to {} with R = {r}", max_blocks * 32),
        ));
    }
    let bits = (out_len as u64)
        .checked_mul(8)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| Error::parameter("KDF_TREE output length", "too long"))?;
    let l_be = bits.to_be_bytes();
    let l_len = l_be.iter().position(|b| *b != 0).unwrap_or(l_be.len() - 1);
    let l_bytes = l_be.get(l_len..).unwrap_or(&l_be);
    let mut out = Zeroizing::new(vec![0u8; blocks * 32]);
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let counter = ((i + 1) as u32).to_be_bytes();
        let i_bytes = counter.get(4 - r..).unwrap_or(&counter);
        let mut block = [0u8; 32];
        kdf_tree_block(key, i_bytes, label, seed, l_bytes, &mut block);
        chunk.copy_from_slice(&block);
        block.zeroize();
    }
    out.truncate(out_len);
    Ok(out)
}

/// One HMAC block `HMAC256(key, i ‖ label ‖ 0x00 ‖ seed ‖ L)`.
fn kdf_tree_block(key: &[u8], i: &[u8], label: &[u8], seed: &[u8], l: &[u8], out: &mut [u8; 32]) {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacStreebog256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacStreebog256 as KeyInit>::new(&Default::default()));
    for part in [i, label, &[0u8], seed, l] {
        mac.update(part);
    }
    out.copy_from_slice(&mac.finalize().into_bytes());
}
