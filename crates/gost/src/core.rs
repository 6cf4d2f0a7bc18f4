//! The GOST R 34.10-2012 signature equations over one curve size (`N` = 4 or 8 limbs).
//!
//! Sign: `e = LE(H) mod q` (0 → 1), `C = k·G`, `r = C.x mod q`, `s = r·d + k·e mod q`.
//! Verify: `v = e⁻¹`, `z1 = s·v`, `z2 = −r·v`, `C = z1·G + z2·Q`, accept iff `C.x mod q = r`.

use crate::Streebog512;
use hmac::{Hmac, KeyInit, Mac};
use zeroize::{Zeroize, Zeroizing};

use crate::cache::KeyCache;
use crate::curve::{Curve, Point};
use crate::field::{Fe, Modulus, is_zero_ct, limbs_from_be, lt_ct, lt_vartime};

/// `e` (Montgomery form mod q) from the hash bytes as the hash outputs them (8·N bytes).
pub(crate) fn digest_to_e<const N: usize>(q: &Modulus<N>, digest: &[u8]) -> Option<Fe<N>> {
    let mut be = digest.to_vec();
    be.reverse();
    let limbs = limbs_from_be::<N>(&be)?;
    let e = q.to_mont(&limbs);
    // e = 0 → 1 (public value, a branch is fine).
    if bool::from(is_zero_ct(&e.0)) {
        return Some(q.one());
    }
    Some(e)
}

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

/// Verifies `(r, s)` over `e` against the public point `pt` (already validated).
pub(crate) fn verify<const N: usize>(
    curve: &Curve<N>,
    pt: &Point<N>,
    e: &Fe<N>,
    r: &[u64; N],
    s: &[u64; N],
) -> bool {
    let q = &curve.q;
    let zero = [0u64; N];
    if !lt_vartime(&zero, r)
        || !lt_vartime(r, &q.m)
        || !lt_vartime(&zero, s)
        || !lt_vartime(s, &q.m)
    {
        return false;
    }
    // e is public (it comes from the digest): the fast variable-time inversion is fine.
    let v = q.invert_vartime(e);
    let z1 = q.retrieve(&q.mul(&q.to_mont(s), &v));
    let z2 = q.retrieve(&q.neg(&q.mul(&q.to_mont(r), &v)));
    curve.mul2_vartime_matches_r(&z1, pt, &z2, r)
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

/// Validates and converts an affine public point (canonical big-endian integers): coordinates
/// below p, on the curve, and in the order-q subgroup (which also excludes the identity).
pub(crate) fn validate_point<const N: usize>(
    curve: &Curve<N>,
    x: &[u64; N],
    y: &[u64; N],
) -> Result<Point<N>, &'static str> {
    if !lt_vartime(x, &curve.p.m) || !lt_vartime(y, &curve.p.m) {
        return Err("coordinate not below the field prime");
    }
    let xm = curve.p.to_mont(x);
    let ym = curve.p.to_mont(y);
    if !curve.is_on_curve(&xm, &ym) {
        return Err("point is not on the curve");
    }
    let pt = Point {
        x: xm,
        y: ym,
        z: curve.p.one(),
    };
    // For cofactor-1 curves every affine point has order q; check q·P = O anyway where it
    // matters (cofactor 4: reject small-order and mixed-order points).
    if curve.cofactor == 1 {
        return Ok(pt);
    }
    let key = subgroup_key(curve.p.m.as_slice(), x, y);
    if SUBGROUP_CHECKED.get(&key).is_none() {
        let in_subgroup = match curve.edwards() {
            Some(ed) => ed.in_subgroup_vartime(&curve.p, &curve.q.m, &pt),
            None => curve.is_identity_strict(&curve.mul_vartime(&pt, &curve.q.m)),
        };
        if !in_subgroup {
            return Err("point is not in the prime-order subgroup");
        }
        SUBGROUP_CHECKED.insert(&key, ());
    }
    Ok(pt)
}

/// Public keys on the cofactor-4 curves that passed the `q·Q = O` check, keyed by the field
/// prime and both coordinates ([`subgroup_key`]), so that a server verifying many documents of
/// the same signers pays that scalar multiplication once per key rather than once per document.
static SUBGROUP_CHECKED: KeyCache<()> = KeyCache::new();

fn subgroup_key(p: &[u64], x: &[u64], y: &[u64]) -> Vec<u64> {
    [p, x, y].concat()
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
    use token_core::GostCurve;

    #[test]
    #[ignore = "timing probe"]
    fn sign_breakdown() {
        use crate::field::limbs_to_be;
        let AnyCurve::C256(c) = curve(GostCurve::CryptoProA).unwrap() else {
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
        let e = digest_to_e(&c.q, &digest).unwrap();
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
