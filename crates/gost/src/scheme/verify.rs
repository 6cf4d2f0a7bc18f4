//! Verification and public-key validation.
//!
//! **Variable time**, on public data only: the public key, the signature and the digest.

use crate::cache::KeyCache;
use crate::curve::Curve;
use crate::field::{Fe, lt_vartime};
use crate::point::Point;

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
    // For cofactor-1 curves every affine point has order q; the cofactor-4 curves reject
    // small-order and mixed-order points (`q·P = O`), once per key.
    if curve.cofactor == 1 {
        return Ok(pt);
    }
    let key = subgroup_key(curve.p.m.as_slice(), x, y);
    if SUBGROUP_CHECKED.get(&key).is_none() {
        if !curve.in_subgroup_vartime(&pt) {
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
