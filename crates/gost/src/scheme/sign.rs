//! Signing: the hedged deterministic nonce, `(r, s)` from the private scalar, the nonce and
//! the digest, and the public point of a private scalar.
//!
//! **Constant time** in the private scalar `d` and the nonce `k`: `k·G` by the constant-time
//! comb, the affine conversion by Fermat inversion, `s = r·d + k·e` in Montgomery arithmetic
//! without data-dependent branches. Only the verdicts `r = 0` / `s = 0` (probability ≈ 1/q)
//! are branched on.

use hmac::{Hmac, KeyInit, Mac};
use zeroize::{Zeroize, Zeroizing};

use crate::Streebog512;
use crate::curve::Curve;
use crate::field::{Fe, Modulus, is_zero_ct, limbs_from_be, lt_ct};

/// One signing attempt with nonce `k` (`0 < k < q`, checked by the caller). Returns `None` when
/// r or s comes out zero (then the caller draws another k).
pub(crate) fn sign_with_k<const N: usize>(
    curve: &Curve<N>,
    d: &[u64; N],
    e: &Fe<N>,
    k: &[u64; N],
) -> Option<([u64; N], [u64; N])> {
    let c = curve.mul_base_ct(k);
    let (x, _) = curve.to_affine(&c)?;
    let x = curve.p.retrieve(&x);
    let q = &curve.q;
    let r_m = q.to_mont(&x);
    let r = q.retrieve(&r_m);
    if bool::from(is_zero_ct(&r)) {
        return None;
    }
    let mut d_m = q.to_mont(d);
    let mut k_m = q.to_mont(k);
    let s_m = q.add(&q.mul(&r_m, &d_m), &q.mul(&k_m, e));
    d_m.zeroize();
    k_m.zeroize();
    let s = q.retrieve(&s_m);
    if bool::from(is_zero_ct(&s)) {
        return None;
    }
    Some((r, s))
}

/// The public point `d·G` as affine canonical integers `(x, y)`.
pub(crate) fn public_point<const N: usize>(
    curve: &Curve<N>,
    d: &[u64; N],
) -> Option<([u64; N], [u64; N])> {
    let (x, y) = curve.to_affine(&curve.mul_base_ct(d))?;
    Some((curve.p.retrieve(&x), curve.p.retrieve(&y)))
}

/// Whether `0 < d < q` (constant time; only the verdict is revealed).
pub(crate) fn scalar_in_range<const N: usize>(q: &Modulus<N>, d: &[u64; N]) -> bool {
    bool::from(!is_zero_ct(d) & lt_ct(d, &q.m))
}

/// HMAC-Streebog-512 keyed with the private scalar, for nonces: keyed once per signature
/// (the key schedule is two Streebog compressions) and cloned for each block.
pub(crate) type NonceKey = Hmac<Streebog512>;

/// The nonce HMAC keyed with `d_be`, the private scalar big-endian (L bytes).
pub(crate) fn nonce_key(d_be: &[u8]) -> NonceKey {
    // HMAC accepts keys of any length, so this cannot fail; an empty key would only be a
    // weaker nonce, never a wrong signature.
    <NonceKey as KeyInit>::new_from_slice(d_be)
        .unwrap_or_else(|_| <NonceKey as KeyInit>::new(&Default::default()))
}

/// A nonce `0 < k < q`: `HMAC-Streebog-512` keyed with the private key `d` (`key`, from
/// [`nonce_key`]) over `"GOST-R-34.10-2012-nonce" ‖ counter ‖ attempt ‖ digest ‖ extra`, two
/// 64-byte blocks (one for 256-bit curves) taken as a `2·8N`-byte big-endian integer and reduced
/// mod q, so the bias is below 2^-256. `extra` is fresh randomness (hedged mode) or empty
/// (deterministic mode). A zero result (probability ≈ 1/q) moves on to the next attempt.
pub(crate) fn derive_k<const N: usize>(
    q: &Modulus<N>,
    key: &NonceKey,
    digest: &[u8],
    extra: &[u8],
    attempt: u32,
) -> Zeroizing<[u64; N]> {
    let mut wide = Zeroizing::new(vec![0u8; 16 * N]);
    let mut attempt = attempt;
    loop {
        for (block, chunk) in wide.chunks_mut(64).enumerate() {
            let mut mac = key.clone();
            for part in [
                b"GOST-R-34.10-2012-nonce".as_slice(),
                &[block as u8],
                &attempt.to_be_bytes(),
                digest,
                extra,
            ] {
                mac.update(part);
            }
            let mut out = Zeroizing::new([0u8; 64]);
            out.copy_from_slice(&mac.finalize().into_bytes());
            if let Some(src) = out.get(..chunk.len()) {
                chunk.copy_from_slice(src);
            }
        }
        let (hi, lo) = wide.split_at(8 * N);
        let hi = Zeroizing::new(limbs_from_be::<N>(hi).unwrap_or([0; N]));
        let lo = Zeroizing::new(limbs_from_be::<N>(lo).unwrap_or([0; N]));
        // hi·2^(64N) + lo mod q: the Montgomery form of hi *is* hi·R mod q as an integer.
        let mut hi_r = q.to_mont(&hi);
        let mut lo_m = q.to_mont(&lo);
        let mut lo_red = Fe(q.retrieve(&lo_m));
        let k = Zeroizing::new(q.add(&hi_r, &lo_red).0);
        hi_r.zeroize();
        lo_m.zeroize();
        lo_red.zeroize();
        if scalar_in_range(q, &k) {
            return k;
        }
        attempt = attempt.wrapping_add(0x1_0000);
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use crate::curve::params::{AnyCurve, curve};
    use crate::params::CurveId;

    #[test]
    #[ignore = "timing probe"]
    fn sign_breakdown() {
        use crate::field::limbs_to_be;
        let AnyCurve::C256(c) = curve(CurveId::CryptoProA) else {
            panic!()
        };
        let d = [0x1234_5678u64, 99, 77, 0x0fff];
        let digest = [7u8; 32];
        let n = 2000u32;
        let t = std::time::Instant::now();
        let mut d_be = [0u8; 32];
        limbs_to_be(&d, &mut d_be);
        let key = nonce_key(&d_be);
        for i in 0..n {
            let _ = derive_k(&c.q, &key, &digest, &[1u8; 32], i);
        }
        println!("derive_k: {:?}", t.elapsed() / n);
        let e = crate::scheme::digest_to_e(&c.q, &digest).unwrap();
        let k = derive_k(&c.q, &key, &digest, &[], 0);
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = sign_with_k(c, &d, &e, &k);
        }
        println!("sign_with_k: {:?}", t.elapsed() / n);
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b).unwrap();
        }
        println!("getrandom: {:?}", t.elapsed() / n);
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = c.mul_base_ct(&k);
        }
        println!("mul_base_ct: {:?}", t.elapsed() / n);
        let t = std::time::Instant::now();
        let mut acc = c.g;
        for _ in 0..n {
            for _ in 0..43 {
                acc = c.add(&acc, &c.g);
            }
        }
        println!("43 full adds: {:?} {:?}", t.elapsed() / n, acc.x.0[0]);
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = c.p.invert(&e);
        }
        println!("invert: {:?}", t.elapsed() / n);
    }
}
