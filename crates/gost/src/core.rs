//! The GOST R 34.10-2012 signature equations over one curve size (`N` = 4 or 8 limbs).
//!
//! Sign: `e = LE(H) mod q` (0 → 1), `C = k·G`, `r = C.x mod q`, `s = r·d + k·e mod q`.
//! Verify: `v = e⁻¹`, `z1 = s·v`, `z2 = −r·v`, `C = z1·G + z2·Q`, accept iff `C.x mod q = r`.

use hmac::{Hmac, KeyInit, Mac};
use streebog::Streebog512;
use zeroize::{Zeroize, Zeroizing};

use crate::curve::{Curve, Point};
use crate::field::{Fe, Modulus, is_zero_ct, limbs_from_be, limbs_to_be, lt_ct, lt_vartime};

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
    let v = q.invert(e);
    let z1 = q.retrieve(&q.mul(&q.to_mont(s), &v));
    let z2 = q.retrieve(&q.neg(&q.mul(&q.to_mont(r), &v)));
    let c = curve.mul2_vartime(&z1, pt, &z2);
    let Some((x, _)) = curve.to_affine(&c) else {
        return false;
    };
    let x = curve.p.retrieve(&x);
    let rr = q.retrieve(&q.to_mont(&x));
    rr == *r
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
    if curve.cofactor != 1 && !curve.is_identity_strict(&curve.mul_vartime(&pt, &curve.q.m)) {
        return Err("point is not in the prime-order subgroup");
    }
    Ok(pt)
}

type HmacStreebog = Hmac<Streebog512>;

fn hmac_parts(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 64]> {
    let mut out = Zeroizing::new([0u8; 64]);
    // HMAC accepts keys of any length, so this cannot fail.
    if let Ok(mut mac) = <HmacStreebog as KeyInit>::new_from_slice(key) {
        for p in parts {
            mac.update(p);
        }
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// A nonce `0 < k < q` from an HMAC-DRBG over Streebog-512 (RFC 6979 §3.2 construction), seeded
/// with the private key, the digest and `extra` (fresh randomness, or empty for the
/// deterministic mode). Candidates are the first 8·N output bytes, big-endian, masked to the bit
/// length of q, and rejected unless `0 < k < q`.
pub(crate) fn derive_k<const N: usize>(
    q: &Modulus<N>,
    d: &[u64; N],
    digest: &[u8],
    extra: &[u8],
    attempt: u32,
) -> Zeroizing<[u64; N]> {
    let mut d_be = Zeroizing::new(vec![0u8; 8 * N]);
    limbs_to_be(d, &mut d_be);
    let mut v = Zeroizing::new([1u8; 64]);
    let mut key = Zeroizing::new([0u8; 64]);
    let counter = attempt.to_be_bytes();
    *key = *hmac_parts(&*key, &[&*v, &[0], &d_be, digest, extra, &counter]);
    *v = *hmac_parts(&*key, &[&*v]);
    *key = *hmac_parts(&*key, &[&*v, &[1], &d_be, digest, extra, &counter]);
    *v = *hmac_parts(&*key, &[&*v]);
    let top_bits = q.bits % 64;
    let mask = if top_bits == 0 {
        u64::MAX
    } else {
        (1u64 << top_bits) - 1
    };
    let top = (q.bits as usize).div_ceil(64) - 1;
    loop {
        let mut t = Zeroizing::new(vec![0u8; 8 * N]);
        let mut filled = 0;
        while filled < t.len() {
            *v = *hmac_parts(&*key, &[&*v]);
            let n = (t.len() - filled).min(64);
            if let (Some(dst), Some(src)) = (t.get_mut(filled..filled + n), v.get(..n)) {
                dst.copy_from_slice(src);
            }
            filled += n;
        }
        let mut k = Zeroizing::new(limbs_from_be::<N>(&t).unwrap_or([0; N]));
        for (i, limb) in k.iter_mut().enumerate() {
            if i > top {
                *limb = 0;
            } else if i == top {
                *limb &= mask;
            }
        }
        if scalar_in_range(q, &k) {
            return k;
        }
        *key = *hmac_parts(&*key, &[&*v, &[0]]);
        *v = *hmac_parts(&*key, &[&*v]);
    }
}
