//! Wide products for the two limb counts the curves use: 4×4 and 8×8 limb products and
//! squares (the 8-limb ones by one level of Karatsuba), and the reduction modulo
//! `2^256 − c`.
//!
//! **Constant time.** Straight-line code over fixed-size arrays: no branch or index depends
//! on a value; carries enter through masks.
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by constants and loop counters bounded by N"
)]

use super::limbs::{adc, mac, sbb};

/// `a` as a 4-limb array; only called when `N == 4`.
#[inline(always)]
pub(super) fn to4<const N: usize>(a: &[u64; N]) -> [u64; 4] {
    let mut x = [0u64; 4];
    for (o, v) in x.iter_mut().zip(a) {
        *o = *v;
    }
    x
}

/// A 4-limb array as `[u64; N]`; only called when `N == 4`.
#[inline(always)]
pub(super) fn from4<const N: usize>(x: &[u64; 4]) -> [u64; N] {
    let mut out = [0u64; N];
    for (o, v) in out.iter_mut().zip(x) {
        *o = *v;
    }
    out
}

/// The 512-bit product `a·b` (operand scanning, fully unrolled so it stays in registers).
#[inline(always)]
pub(super) fn mul_4x4(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
    let (w0, k) = mac(0, a[0], b[0], 0);
    let (w1, k) = mac(0, a[0], b[1], k);
    let (w2, k) = mac(0, a[0], b[2], k);
    let (w3, w4) = mac(0, a[0], b[3], k);

    let (w1, k) = mac(w1, a[1], b[0], 0);
    let (w2, k) = mac(w2, a[1], b[1], k);
    let (w3, k) = mac(w3, a[1], b[2], k);
    let (w4, w5) = mac(w4, a[1], b[3], k);

    let (w2, k) = mac(w2, a[2], b[0], 0);
    let (w3, k) = mac(w3, a[2], b[1], k);
    let (w4, k) = mac(w4, a[2], b[2], k);
    let (w5, w6) = mac(w5, a[2], b[3], k);

    let (w3, k) = mac(w3, a[3], b[0], 0);
    let (w4, k) = mac(w4, a[3], b[1], k);
    let (w5, k) = mac(w5, a[3], b[2], k);
    let (w6, w7) = mac(w6, a[3], b[3], k);
    [w0, w1, w2, w3, w4, w5, w6, w7]
}

/// The 512-bit square `a²`: the six off-diagonal products once, doubled by shifts (independent
/// per limb), plus the four squares in one carry chain.
#[inline(always)]
pub(super) fn square_4(a: &[u64; 4]) -> [u64; 8] {
    let (t1, k) = mac(0, a[0], a[1], 0);
    let (t2, k) = mac(0, a[0], a[2], k);
    let (t3, t4) = mac(0, a[0], a[3], k);
    let (t3, k) = mac(t3, a[1], a[2], 0);
    let (t4, t5) = mac(t4, a[1], a[3], k);
    let (t5, t6) = mac(t5, a[2], a[3], 0);

    let t7 = t6 >> 63;
    let t6 = (t6 << 1) | (t5 >> 63);
    let t5 = (t5 << 1) | (t4 >> 63);
    let t4 = (t4 << 1) | (t3 >> 63);
    let t3 = (t3 << 1) | (t2 >> 63);
    let t2 = (t2 << 1) | (t1 >> 63);
    let t1 = t1 << 1;

    let (s0, h0) = mac(0, a[0], a[0], 0);
    let (s1, h1) = mac(0, a[1], a[1], 0);
    let (s2, h2) = mac(0, a[2], a[2], 0);
    let (s3, h3) = mac(0, a[3], a[3], 0);
    let (w1, k) = adc(t1, h0, 0);
    let (w2, k) = adc(t2, s1, k);
    let (w3, k) = adc(t3, h1, k);
    let (w4, k) = adc(t4, s2, k);
    let (w5, k) = adc(t5, h2, k);
    let (w6, k) = adc(t6, s3, k);
    let (w7, _) = adc(t7, h3, k);
    [s0, w1, w2, w3, w4, w5, w6, w7]
}

/// `a + b` for 4-limb values and the carry out (0 or 1).
#[inline(always)]
pub(super) fn add_4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (s0, k) = adc(a[0], b[0], 0);
    let (s1, k) = adc(a[1], b[1], k);
    let (s2, k) = adc(a[2], b[2], k);
    let (s3, k) = adc(a[3], b[3], k);
    ([s0, s1, s2, s3], k)
}

/// The low and high 4-limb halves of an 8-limb value.
#[inline(always)]
pub(super) fn halves(a: &[u64; 8]) -> ([u64; 4], [u64; 4]) {
    ([a[0], a[1], a[2], a[3]], [a[4], a[5], a[6], a[7]])
}

/// `w = lo + hi·2^512 + mid·2^256` for the 8-limb `lo`, `hi` and the 9-limb `mid` (the sum
/// fits in 1024 bits by construction: it is a product of two 512-bit values).
#[inline(always)]
pub(super) fn assemble_16(lo: &[u64; 8], hi: &[u64; 8], mid: &[u64; 9]) -> [u64; 16] {
    let mut w = [0u64; 16];
    w[..8].copy_from_slice(lo);
    w[8..].copy_from_slice(hi);
    let mut k = 0u64;
    for i in 0..9 {
        let (v, kk) = adc(w[4 + i], mid[i], k);
        w[4 + i] = v;
        k = kk;
    }
    for limb in w.iter_mut().skip(13) {
        let (v, kk) = adc(*limb, 0, k);
        *limb = v;
        k = kk;
    }
    w
}

/// The 1024-bit product `a·b` of 8-limb values: one level of Karatsuba over [`mul_4x4`]
/// (48 limb products instead of 64). With `a = a₀ + a₁·2^256`, `b = b₀ + b₁·2^256`:
/// `a·b = z₀ + z₂·2^512 + (s_a·s_b − z₀ − z₂)·2^256`, where `s_a = a₀ + a₁` and
/// `s_b = b₀ + b₁` are 257-bit; their carry bits enter through masks (constant time).
#[inline(always)]
pub(super) fn mul_8x8(a: &[u64; 8], b: &[u64; 8]) -> [u64; 16] {
    let (a0, a1) = halves(a);
    let (b0, b1) = halves(b);
    let z0 = mul_4x4(&a0, &b0);
    let z2 = mul_4x4(&a1, &b1);
    let (sa, ca) = add_4(&a0, &a1);
    let (sb, cb) = add_4(&b0, &b1);
    let m = mul_4x4(&sa, &sb);
    // (ca·2^256 + sa)(cb·2^256 + sb) = m + 2^256·(ca·sb + cb·sa) + 2^512·ca·cb.
    let (mca, mcb) = (ca.wrapping_neg(), cb.wrapping_neg());
    let mut mid = [0u64; 9];
    mid[..4].copy_from_slice(&m[..4]);
    let mut k = 0u64;
    for i in 0..4 {
        // Three addends plus a carry of at most 2: the u128 sum holds it.
        let t = u128::from(m[4 + i])
            + u128::from(sb[i] & mca)
            + u128::from(sa[i] & mcb)
            + u128::from(k);
        mid[4 + i] = t as u64;
        k = (t >> 64) as u64;
    }
    mid[8] = k.wrapping_add(ca & cb);
    // The middle term a₀·b₁ + a₁·b₀ = mid − z₀ − z₂ ≥ 0 (fits in 9 limbs).
    for z in [&z0, &z2] {
        let mut bo = 0u64;
        for i in 0..8 {
            let (v, bb) = sbb(mid[i], z[i], bo);
            mid[i] = v;
            bo = bb;
        }
        mid[8] = mid[8].wrapping_add(bo);
    }
    assemble_16(&z0, &z2, &mid)
}

/// The 1024-bit square of an 8-limb value: `a₀² + a₁²·2^512 + 2·a₀·a₁·2^256` from two
/// 4-limb squares and one 4×4 product (36 limb products, all in register-sized kernels).
#[inline(always)]
pub(super) fn square_8(a: &[u64; 8]) -> [u64; 16] {
    let (a0, a1) = halves(a);
    let lo = square_4(&a0);
    let hi = square_4(&a1);
    let x = mul_4x4(&a0, &a1);
    let mut mid = [0u64; 9];
    mid[8] = x[7] >> 63;
    for i in (1..8).rev() {
        mid[i] = (x[i] << 1) | (x[i - 1] >> 63);
    }
    mid[0] = x[0] << 1;
    assemble_16(&lo, &hi, &mid)
}

/// `a` as an 8-limb array; only called when `N == 8`.
#[inline(always)]
pub(super) fn to8<const N: usize>(a: &[u64; N]) -> [u64; 8] {
    let mut x = [0u64; 8];
    for (o, v) in x.iter_mut().zip(a) {
        *o = *v;
    }
    x
}

/// Reduces the 512-bit `w` modulo `2^256 − c` (`c < 2^32`) to the canonical value.
///
/// `w = lo + hi·2^256 ≡ lo + hi·c = r + k·2^256` with `k ≤ c`; then `y = r + k·c < 2^256 + 2^64`
/// and `z = y + c` carries out of 256 bits exactly when `y ≥ m`, in which case `z mod 2^256`
/// is `y − m`; otherwise the result is `y = z − c`. Two short carry chains, no select.
#[inline(always)]
pub(super) fn reduce_4(w: &[u64; 8], c: u64) -> [u64; 4] {
    let (r0, k) = mac(w[0], w[4], c, 0);
    let (r1, k) = mac(w[1], w[5], c, k);
    let (r2, k) = mac(w[2], w[6], c, k);
    let (r3, k) = mac(w[3], w[7], c, k);
    // k·c + c < 2^64 + ... : k ≤ c < 2^32, so k·c + c < 2^64.
    let (z0, e) = adc(r0, k * c + c, 0);
    let (z1, e) = adc(r1, 0, e);
    let (z2, e) = adc(r2, 0, e);
    let (z3, e) = adc(r3, 0, e);
    // e = 1: z is the result; e = 0: subtract c back (z ≥ c, so no borrow out).
    let back = c & e.wrapping_sub(1);
    let (o0, b) = sbb(z0, back, 0);
    let (o1, b) = sbb(z1, 0, b);
    let (o2, b) = sbb(z2, 0, b);
    let (o3, _) = sbb(z3, 0, b);
    [o0, o1, o2, o3]
}
