//! Key wrapping of RFC 4357 §6: the GOST 28147-89 key wrap (§6.1, §6.2), CryptoPro key
//! diversification (§6.5) and the CryptoPro key wrap (§6.3, §6.4) that RFC 4490 CMS
//! (`openssl cms -encrypt -gost89`) uses to carry the content-encryption key.
//!
//! Both wraps output `UKM (8) ‖ ECB(KEK', CEK) (32) ‖ IMIT(KEK', IV = UKM, CEK) (4)`: 44 bytes,
//! with `KEK' = KEK` (§6.1) or `KEK' = diversify(KEK, UKM)` (§6.3). Unwrapping checks the MAC
//! in constant time and gives [`Error::Integrity`] when it does not match.

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::key::SecretKey;

use super::Gost89Sbox;
use super::cfb::Gost89CfbEncryptor;
use super::cipher::Gost89;
use super::imit::Gost89Imit;

/// Length of a wrapped key: UKM (8) ‖ encrypted key (32) ‖ MAC (4).
pub const WRAPPED_KEY_LEN: usize = 44;

fn ukm_array(ukm: &[u8]) -> Result<[u8; 8]> {
    ukm.try_into()
        .map_err(|_| Error::length("key-wrap UKM", ukm.len(), "8"))
}

/// CryptoPro KEK diversification (RFC 4357 §6.5): eight rounds, round i encrypting the key
/// with itself in CFB (no meshing) under an IV made of the sums of the key's little-endian
/// words selected (and not selected) by the bits of `ukm[i]`.
pub fn diversify_cryptopro(sbox: Gost89Sbox, kek: &SecretKey, ukm: &[u8]) -> Result<SecretKey> {
    let ukm = ukm_array(ukm)?;
    let mut key = Zeroizing::new(*kek.as_bytes());
    for bits in ukm {
        let (mut s1, mut s2) = (0u32, 0u32);
        for (j, word) in key.chunks_exact(4).enumerate() {
            let mut w = [0u8; 4];
            w.copy_from_slice(word);
            let k = u32::from_le_bytes(w);
            // The (public) UKM bit picks the sum the (secret) word joins, by masks.
            let mask = 0u32.wrapping_sub(u32::from((bits >> j) & 1));
            s1 = s1.wrapping_add(k & mask);
            s2 = s2.wrapping_add(k & !mask);
            w.zeroize();
        }
        let [a0, a1, a2, a3] = s1.to_le_bytes();
        let [b0, b1, b2, b3] = s2.to_le_bytes();
        let mut iv = [a0, a1, a2, a3, b0, b1, b2, b3];
        let current = SecretKey::from_array(*key);
        let mut cfb = Gost89CfbEncryptor::without_meshing(sbox, &current, &iv)?;
        cfb.encrypt(key.as_mut_slice());
        iv.zeroize();
        s1.zeroize();
        s2.zeroize();
    }
    Ok(SecretKey::from_array(*key))
}

fn wrap_with(sbox: Gost89Sbox, kek: &SecretKey, ukm: [u8; 8], cek: &SecretKey) -> Result<Vec<u8>> {
    let cipher = Gost89::new(sbox, kek);
    let mut out = Vec::with_capacity(WRAPPED_KEY_LEN);
    out.extend_from_slice(&ukm);
    for chunk in cek.as_bytes().chunks_exact(8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        cipher.encrypt(&mut b);
        out.extend_from_slice(&b);
    }
    let mut mac = Gost89Imit::with_iv(sbox, kek, &ukm)?;
    mac.update(cek.as_bytes());
    out.extend_from_slice(&mac.finalize());
    Ok(out)
}

fn unwrap_with(
    sbox: Gost89Sbox,
    kek: &SecretKey,
    wrapped: &[u8],
    what: &'static str,
) -> Result<SecretKey> {
    let cipher = Gost89::new(sbox, kek);
    let (ukm, rest) = wrapped.split_at(8);
    let (enc, tag) = rest.split_at(32);
    let mut cek = Zeroizing::new([0u8; 32]);
    for (dst, src) in cek.chunks_exact_mut(8).zip(enc.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(src);
        cipher.decrypt(&mut b);
        dst.copy_from_slice(&b);
        b.zeroize();
    }
    let mut mac = Gost89Imit::with_iv(sbox, kek, ukm)?;
    mac.update(cek.as_slice());
    let computed = mac.finalize();
    if !bool::from(computed.as_slice().ct_eq(tag)) {
        return Err(Error::Integrity { what });
    }
    Ok(SecretKey::from_array(*cek))
}

fn check_wrapped(wrapped: &[u8]) -> Result<()> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(Error::length(
            "wrapped key",
            wrapped.len(),
            WRAPPED_KEY_LEN.to_string(),
        ));
    }
    Ok(())
}

/// GOST 28147-89 key wrap (RFC 4357 §6.1): 44 bytes.
pub fn gost28147_key_wrap(
    sbox: Gost89Sbox,
    kek: &SecretKey,
    ukm: &[u8],
    cek: &SecretKey,
) -> Result<Vec<u8>> {
    wrap_with(sbox, kek, ukm_array(ukm)?, cek)
}

/// GOST 28147-89 key unwrap (RFC 4357 §6.2).
pub fn gost28147_key_unwrap(
    sbox: Gost89Sbox,
    kek: &SecretKey,
    wrapped: &[u8],
) -> Result<SecretKey> {
    check_wrapped(wrapped)?;
    unwrap_with(sbox, kek, wrapped, "wrapped key (GOST 28147-89 key wrap)")
}

/// CryptoPro key wrap (RFC 4357 §6.3): the KEK diversified with the UKM, then the GOST
/// 28147-89 key wrap; 44 bytes.
///
/// ```
/// use keycarrier_gost_cipher::gost89::{cryptopro_key_unwrap, cryptopro_key_wrap, Gost89Sbox};
/// use keycarrier_gost_cipher::SecretKey;
///
/// let kek = SecretKey::from_array([1; 32]);
/// let cek = SecretKey::from_array([2; 32]);
/// let wrapped = cryptopro_key_wrap(Gost89Sbox::Tc26Z, &kek, &[7; 8], &cek)?;
/// assert_eq!(wrapped.len(), 44);
/// assert_eq!(cryptopro_key_unwrap(Gost89Sbox::Tc26Z, &kek, &wrapped)?, cek);
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub fn cryptopro_key_wrap(
    sbox: Gost89Sbox,
    kek: &SecretKey,
    ukm: &[u8],
    cek: &SecretKey,
) -> Result<Vec<u8>> {
    let ukm = ukm_array(ukm)?;
    let diversified = diversify_cryptopro(sbox, kek, &ukm)?;
    wrap_with(sbox, &diversified, ukm, cek)
}

/// CryptoPro key unwrap (RFC 4357 §6.4): the UKM is the first 8 bytes of `wrapped`.
pub fn cryptopro_key_unwrap(
    sbox: Gost89Sbox,
    kek: &SecretKey,
    wrapped: &[u8],
) -> Result<SecretKey> {
    check_wrapped(wrapped)?;
    let diversified = diversify_cryptopro(sbox, kek, wrapped.get(..8).unwrap_or_default())?;
    unwrap_with(
        sbox,
        &diversified,
        wrapped,
        "wrapped key (CryptoPro key wrap)",
    )
}
