//! Hazardous signing: calls that let the caller choose the nonce.
//!
//! A GOST R 34.10-2012 signature reveals the private key to anyone who knows its nonce `k`, or
//! who holds two signatures made with the same `k` over different digests. The signing traits
//! of [`crate::SigningKey`] derive `k` from the key and the digest, hedged with fresh
//! randomness, and never let it out. The functions here exist to reproduce the standard's
//! known-answer tests (GOST R 34.10-2012 Appendix A, RFC 7091 §7), where `k` is given.
//!
//! ```
//! use keycarrier_gost::{ParamSet, SigningKey};
//!
//! // GOST R 34.10-2012 Appendix A, example 1 (the 256-bit test curve).
//! let hex = |s: &str| -> Vec<u8> {
//!     (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
//! };
//! let d = hex("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28");
//! let key = SigningKey::from_be_bytes(ParamSet::Test256, &d).unwrap();
//! let mut digest = hex("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5");
//! digest.reverse(); // e is the digest read little-endian
//! let k = hex("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3");
//! let sig = keycarrier_gost::hazmat::sign_prehash_with_nonce(&key, &digest, &k).unwrap();
//! assert_eq!(
//!     sig.r(),
//!     hex("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493")
//! );
//! ```

use zeroize::Zeroizing;

use crate::dispatch::with_curve;
use crate::error::{Error, Result};
use crate::field::limbs_from_be;
use crate::scheme::{digest_to_e, sign};
use crate::sig::Signature;
use crate::signing_key::{SigningKey, encode};

/// Signs a Streebog digest (L bytes, as the hash outputs them) with the explicit nonce `k`
/// (big-endian, L bytes, `0 < k < q`).
///
/// **Hazardous**: reusing `k` for two digests, or letting anyone learn it, reveals the private
/// key. For known-answer tests only.
pub fn sign_prehash_with_nonce(key: &SigningKey, prehash: &[u8], k: &[u8]) -> Result<Signature> {
    key.check_digest(prehash)?;
    with_curve!(key.param_set(), c, N => {
        let d = Zeroizing::new(
            limbs_from_be::<N>(&key.d).ok_or_else(|| Error::malformed("GOST private key", "width"))?,
        );
        let k = Zeroizing::new(
            limbs_from_be::<N>(k).ok_or_else(|| Error::malformed("nonce", "wrong width"))?,
        );
        if !sign::scalar_in_range(&c.q, &k) {
            return Err(Error::malformed("nonce", "k is zero or not below q"));
        }
        let e = digest_to_e(&c.q, prehash).ok_or_else(|| Error::malformed("digest", "length"))?;
        let (r, s) = sign::sign_with_k(c, &d, &e, &k)
            .ok_or_else(|| Error::malformed("nonce", "k gives r = 0 or s = 0"))?;
        encode(&r, &s)
    })
}
