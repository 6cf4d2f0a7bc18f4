//! Constant-time arithmetic modulo an odd modulus of `64·N` bits or fewer.
//!
//! Elements are `[u64; N]` little-endian limbs, always fully reduced: in Montgomery form in
//! general, in plain form for the pseudo-Mersenne primes `2^(64N) − c` (TC26-256-A/B and
//! TC26-512-A/C), which reduce with `2^(64N) ≡ c` instead. Every
//! function here runs in time independent of the element values: no branches or indices depend
//! on them (the modulus and the loop bounds are public). Indexing is over compile-time sized
//! arrays with loop bounds `0..N`, so it cannot go out of range.
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by loop counters bounded by the const N"
)]

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// A field (or scalar ring) element in Montgomery form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fe<const N: usize>(pub(crate) [u64; N]);

impl<const N: usize> Zeroize for Fe<N> {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl<const N: usize> ConditionallySelectable for Fe<N> {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        let mut out = [0u64; N];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u64::conditional_select(&a.0[i], &b.0[i], choice);
        }
        Self(out)
    }
}

impl<const N: usize> ConstantTimeEq for Fe<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        let mut acc = 0u64;
        for i in 0..N {
            acc |= self.0[i] ^ other.0[i];
        }
        acc.ct_eq(&0)
    }
}

#[inline(always)]
const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + ((borrow >> 63) as u128));
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
const fn mac(acc: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = (acc as u128) + (b as u128) * (c as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `t += a·bi` over N limbs; returns the carry word (one CIOS product row).
#[inline(always)]
fn mac_row<const N: usize>(t: &mut [u64; N], a: &[u64; N], bi: u64) -> u64 {
    let mut c = 0u64;
    for j in 0..N {
        let (lo, hi) = mac(t[j], a[j], bi, c);
        t[j] = lo;
        c = hi;
    }
    c
}

/// `a - b` and the borrow as an all-ones / all-zeros mask.
#[inline(always)]
fn sub_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut borrow = 0u64;
    for i in 0..N {
        let (d, bo) = sbb(a[i], b[i], borrow);
        out[i] = d;
        borrow = bo;
    }
    (out, borrow)
}

#[inline(always)]
fn select_mask<const N: usize>(mask: u64, if_set: &[u64; N], if_clear: &[u64; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for i in 0..N {
        out[i] = (if_set[i] & mask) | (if_clear[i] & !mask);
    }
    out
}

/// Big-endian bytes (exactly `8·N` of them) to limbs.
pub(crate) fn limbs_from_be<const N: usize>(bytes: &[u8]) -> Option<[u64; N]> {
    if bytes.len() != 8 * N {
        return None;
    }
    let mut out = [0u64; N];
    for (i, chunk) in bytes.rchunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        out[i] = u64::from_be_bytes(w);
    }
    Some(out)
}

/// Limbs to big-endian bytes (`8·N` of them).
pub(crate) fn limbs_to_be<const N: usize>(limbs: &[u64; N], out: &mut [u8]) {
    for (i, chunk) in out.rchunks_exact_mut(8).enumerate().take(N) {
        chunk.copy_from_slice(&limbs[i].to_be_bytes());
    }
}

/// Parses hex (for the built-in curve constants only).
pub(crate) fn limbs_from_hex<const N: usize>(hex: &str) -> [u64; N] {
    let mut out = [0u64; N];
    let digits: Vec<u8> = hex
        .bytes()
        .filter_map(|c| (c as char).to_digit(16))
        .map(|d| d as u8)
        .collect();
    for (k, d) in digits.iter().rev().enumerate() {
        let limb = k / 16;
        if limb < N {
            out[limb] |= u64::from(*d) << (4 * (k % 16));
        }
    }
    out
}

/// `a` as a 4-limb array; only called when `N == 4`.
#[inline(always)]
fn to4<const N: usize>(a: &[u64; N]) -> [u64; 4] {
    let mut x = [0u64; 4];
    for (o, v) in x.iter_mut().zip(a) {
        *o = *v;
    }
    x
}

/// A 4-limb array as `[u64; N]`; only called when `N == 4`.
#[inline(always)]
fn from4<const N: usize>(x: &[u64; 4]) -> [u64; N] {
    let mut out = [0u64; N];
    for (o, v) in out.iter_mut().zip(x) {
        *o = *v;
    }
    out
}

/// The 512-bit product `a·b` (operand scanning, fully unrolled so it stays in registers).
#[inline(always)]
fn mul_4x4(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
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
fn square_4(a: &[u64; 4]) -> [u64; 8] {
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
fn add_4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (s0, k) = adc(a[0], b[0], 0);
    let (s1, k) = adc(a[1], b[1], k);
    let (s2, k) = adc(a[2], b[2], k);
    let (s3, k) = adc(a[3], b[3], k);
    ([s0, s1, s2, s3], k)
}

/// The low and high 4-limb halves of an 8-limb value.
#[inline(always)]
fn halves(a: &[u64; 8]) -> ([u64; 4], [u64; 4]) {
    ([a[0], a[1], a[2], a[3]], [a[4], a[5], a[6], a[7]])
}

/// `w = lo + hi·2^512 + mid·2^256` for the 8-limb `lo`, `hi` and the 9-limb `mid` (the sum
/// fits in 1024 bits by construction: it is a product of two 512-bit values).
#[inline(always)]
fn assemble_16(lo: &[u64; 8], hi: &[u64; 8], mid: &[u64; 9]) -> [u64; 16] {
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
fn mul_8x8(a: &[u64; 8], b: &[u64; 8]) -> [u64; 16] {
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
fn square_8(a: &[u64; 8]) -> [u64; 16] {
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
fn to8<const N: usize>(a: &[u64; N]) -> [u64; 8] {
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
fn reduce_4(w: &[u64; 8], c: u64) -> [u64; 4] {
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

/// `x >>= 1` with `top` (0 or 1) shifted in at the most significant bit.
#[inline(always)]
fn shr1<const N: usize>(x: &mut [u64; N], top: u64) {
    for i in 0..N {
        let hi = if i + 1 < N { x[i + 1] } else { top };
        x[i] = (x[i] >> 1) | (hi << 63);
    }
}

/// `a < b`, variable time (for public values only).
pub(crate) fn lt_vartime<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `a < b` in constant time.
pub(crate) fn lt_ct<const N: usize>(a: &[u64; N], b: &[u64; N]) -> Choice {
    let (_, borrow) = sub_limbs(a, b);
    Choice::from((borrow & 1) as u8)
}

/// `a == 0` in constant time.
pub(crate) fn is_zero_ct<const N: usize>(a: &[u64; N]) -> Choice {
    let mut acc = 0u64;
    for limb in a {
        acc |= *limb;
    }
    acc.ct_eq(&0)
}

/// Low exponent bits handled by windows in the pseudo-Mersenne inversion chain.
const PM_LOW: usize = 12;

/// Montgomery parameters of one odd modulus.
#[derive(Debug)]
pub(crate) struct Modulus<const N: usize> {
    /// The modulus.
    pub(crate) m: [u64; N],
    /// `-m⁻¹ mod 2⁶⁴`.
    inv: u64,
    /// `R mod m` (Montgomery one).
    one: [u64; N],
    /// `R² mod m`.
    r2: [u64; N],
    /// `m - 2`, the Fermat inversion exponent (public).
    m_minus_2: [u64; N],
    /// Bit length of `m`.
    pub(crate) bits: u32,
    /// `Some(c)` when `m = 2^(64N) − c` with small `c` (CryptoPro-A / TC26-256-A and
    /// TC26-512-A / -C primes): elements are then kept in plain (not Montgomery) form and
    /// products are reduced with `2^(64N) ≡ c`.
    pm_c: Option<u64>,
    /// `m = 2^(64N−1) + m₀` (the TC26-256-C and TC26-512-B primes): the Montgomery reduction
    /// then needs one limb product per round instead of `N` (`mont_mul_sparse`).
    sparse: bool,
}

impl<const N: usize> Modulus<N> {
    /// Parameters for the odd modulus `m` (a public curve constant).
    pub(crate) fn new(m: [u64; N]) -> Self {
        // Newton iteration for m0⁻¹ mod 2⁶⁴.
        let m0 = m[0];
        let mut x: u64 = 1;
        for _ in 0..7 {
            x = x.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(x)));
        }
        let inv = x.wrapping_neg();
        // R mod m by doubling 1 (64·N times), then R² by doubling 64·N more times.
        let mut tmp = Self {
            m,
            inv,
            one: [0; N],
            r2: [0; N],
            m_minus_2: [0; N],
            bits: 0,
            pm_c: None,
            sparse: N >= 3
                && m.iter().skip(1).take(N.saturating_sub(2)).all(|l| *l == 0)
                && m.last() == Some(&(1 << 63)),
        };
        let mut v = [0u64; N];
        v[0] = 1;
        // 1 might already be ≥ m only for m = 1, which is not a curve modulus.
        for _ in 0..(64 * N) {
            v = tmp.add_raw(&v, &v);
        }
        let one = v;
        for _ in 0..(64 * N) {
            v = tmp.add_raw(&v, &v);
        }
        tmp.one = one;
        tmp.r2 = v;
        let mut two = [0u64; N];
        two[0] = 2;
        tmp.m_minus_2 = sub_limbs(&m, &two).0;
        let mut bits = 0u32;
        for i in (0..N).rev() {
            if m[i] != 0 {
                bits = (i as u32) * 64 + (64 - m[i].leading_zeros());
                break;
            }
        }
        tmp.bits = bits;
        tmp
    }

    /// Like [`Modulus::new`], but uses the faster plain representation when `m` has the form
    /// `2^(64N) − c` with `c < 2^32`.
    pub(crate) fn new_field(m: [u64; N]) -> Self {
        let mut f = Self::new(m);
        let top_ones = m.iter().skip(1).all(|l| *l == u64::MAX);
        let c = m[0].wrapping_neg();
        if top_ones && c < (1 << 32) {
            f.pm_c = Some(c);
            let mut one = [0u64; N];
            one[0] = 1;
            f.one = one;
        }
        f
    }

    /// `a·b mod m` for `m = 2^(64N) − c` (plain representation), constant time.
    #[inline(always)]
    fn pm_mul(&self, a: &[u64; N], b: &[u64; N], c: u64) -> [u64; N] {
        if N == 4 {
            return from4(&reduce_4(&mul_4x4(&to4(a), &to4(b)), c));
        }
        if N == 8 {
            return self.pm_reduce(&mul_8x8(&to8(a), &to8(b)), c);
        }
        let mut t = [0u64; 16];
        for i in 0..N {
            let mut carry = 0u64;
            for j in 0..N {
                let (lo, hi) = mac(t[i + j], a[i], b[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + N] = carry;
        }
        self.pm_reduce(&t, c)
    }

    /// `a² mod m` for `m = 2^(64N) − c`: off-diagonal products once, doubled, plus squares.
    #[inline(always)]
    fn pm_square(&self, a: &[u64; N], c: u64) -> [u64; N] {
        if N == 4 {
            return from4(&reduce_4(&square_4(&to4(a)), c));
        }
        if N == 8 {
            return self.pm_reduce(&square_8(&to8(a)), c);
        }
        let mut t = [0u64; 16];
        for i in 0..N {
            let mut carry = 0u64;
            for j in (i + 1)..N {
                let (lo, hi) = mac(t[i + j], a[i], a[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + N] = carry;
        }
        // Double.
        let mut top = 0u64;
        for limb in t.iter_mut().take(2 * N) {
            let next = *limb >> 63;
            *limb = (*limb << 1) | top;
            top = next;
        }
        // Add the squares a[i]² at position 2i.
        let mut carry = 0u64;
        for i in 0..N {
            let (lo, hi) = mac(t[2 * i], a[i], a[i], carry);
            t[2 * i] = lo;
            let (v, c2) = adc(t[2 * i + 1], hi, 0);
            t[2 * i + 1] = v;
            carry = c2;
        }
        self.pm_reduce(&t, c)
    }

    /// Reduces the 2N-limb value in `t` to the canonical value modulo `2^(64N) − c`
    /// (`c < 2^32`); the same two short carry chains as `reduce_4`.
    #[inline(always)]
    fn pm_reduce(&self, t: &[u64; 16], c: u64) -> [u64; N] {
        // t = lo + hi·2^(64N) ≡ lo + hi·c = r + k·2^(64N), k ≤ c.
        let mut r = [0u64; N];
        let mut k = 0u64;
        for i in 0..N {
            let (v, kk) = mac(t[i], t[N + i], c, k);
            r[i] = v;
            k = kk;
        }
        // y = r + k·c; z = y + c carries out exactly when y ≥ m (then z mod 2^(64N) = y − m).
        let (v, mut e) = adc(r[0], k.wrapping_mul(c).wrapping_add(c), 0);
        r[0] = v;
        for limb in r.iter_mut().skip(1) {
            let (v, ee) = adc(*limb, 0, e);
            *limb = v;
            e = ee;
        }
        // No carry: the result is y = z − c (z ≥ c, so no borrow out).
        let (v, mut b) = sbb(r[0], c & e.wrapping_sub(1), 0);
        r[0] = v;
        for limb in r.iter_mut().skip(1) {
            let (v, bb) = sbb(*limb, 0, b);
            *limb = v;
            b = bb;
        }
        r
    }

    /// `(a + b) mod m` for reduced `a`, `b` and `m = 2^(64N) − c`: `z = a + b + c` carries
    /// out of `64N` bits exactly when `a + b ≥ m` (then `z mod 2^(64N) = a + b − m`);
    /// otherwise the sum is `z − c`. Two carry chains, no select.
    #[inline(always)]
    fn pm_add(&self, a: &[u64; N], b: &[u64; N], c: u64) -> [u64; N] {
        let mut z = [0u64; N];
        // The first carry can be 2 (a₀ + b₀ + c ≥ 2^65); u128 sums hold it.
        let mut carry = c;
        for i in 0..N {
            let (v, cc) = adc(a[i], b[i], carry);
            z[i] = v;
            carry = cc;
        }
        let (v, mut b) = sbb(z[0], c & carry.wrapping_sub(1), 0);
        z[0] = v;
        for limb in z.iter_mut().skip(1) {
            let (v, bb) = sbb(*limb, 0, b);
            *limb = v;
            b = bb;
        }
        z
    }

    /// `(a + b) mod m` for reduced `a`, `b`.
    #[inline(always)]
    fn add_raw(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut sum = [0u64; N];
        let mut carry = 0u64;
        for i in 0..N {
            let (s, c) = adc(a[i], b[i], carry);
            sum[i] = s;
            carry = c;
        }
        let (diff, borrow) = sub_limbs(&sum, &self.m);
        // Keep `sum` only when it is below m and did not overflow.
        let keep_sum = borrow & carry.wrapping_sub(1);
        select_mask(keep_sum, &sum, &diff)
    }

    /// Montgomery one.
    pub(crate) fn one(&self) -> Fe<N> {
        Fe(self.one)
    }

    /// Zero.
    pub(crate) fn zero(&self) -> Fe<N> {
        Fe([0; N])
    }

    /// `a + b`.
    #[inline(always)]
    pub(crate) fn add(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_add(&a.0, &b.0, c)),
            None => Fe(self.add_raw(&a.0, &b.0)),
        }
    }

    /// `a - b`.
    #[inline(always)]
    pub(crate) fn sub(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let (d, borrow) = sub_limbs(&a.0, &b.0);
        let mut out = [0u64; N];
        let mut carry = 0u64;
        for i in 0..N {
            let (s, c) = adc(d[i], self.m[i] & borrow, carry);
            out[i] = s;
            carry = c;
        }
        Fe(out)
    }

    /// `-a`.
    #[inline(always)]
    pub(crate) fn neg(&self, a: &Fe<N>) -> Fe<N> {
        self.sub(&self.zero(), a)
    }

    /// Montgomery product `a·b·R⁻¹ mod m` (CIOS). Correct for any `a < 2^(64N)` and `b < m`.
    #[inline(always)]
    pub(crate) fn mul(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_mul(&a.0, &b.0, c)),
            None => Fe(self.mont_mul(&a.0, &b.0)),
        }
    }

    /// Montgomery product, dispatching on the shape of `m` (public).
    #[inline(always)]
    fn mont_mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        if self.sparse {
            self.mont_mul_sparse(a, b)
        } else {
            self.mont_mul_generic(a, b)
        }
    }

    /// CIOS for `m = 2^(64N−1) + m₀`: `k·m = k·m₀ + (k·2^63)·2^(64(N−1))`, so each reduction
    /// round is one limb product and a carry chain instead of `N` limb products. Same value
    /// and bounds as [`Modulus::mont_mul_generic`] (constant time: `k` only feeds shifts
    /// and multiplications).
    #[inline(always)]
    fn mont_mul_sparse(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m0 = self.m[0];
        let mut t = [0u64; N];
        let mut t_n = 0u64;
        for i in 0..N {
            let (tn, t_n1) = adc(t_n, mac_row(&mut t, a, b[i]), 0);
            let k = t[0].wrapping_mul(self.inv);
            // t₀ + k·m₀ ≡ 0 mod 2⁶⁴: only its carry word remains.
            let (_, hi) = mac(t[0], k, m0, 0);
            let (lo, mut c) = adc(t[1], hi, 0);
            t[0] = lo;
            for j in 2..N {
                let add = if j == N - 1 { k << 63 } else { 0 };
                let (lo, cc) = adc(t[j], add, c);
                t[j - 1] = lo;
                c = cc;
            }
            let (lo, hi) = adc(tn, k >> 1, c);
            t[N - 1] = lo;
            t_n = t_n1 + hi;
        }
        self.cios_final(&t, t_n)
    }

    /// Montgomery product for any odd `m` (CIOS).
    #[inline(always)]
    fn mont_mul_generic(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut t_n = 0u64;
        for i in 0..N {
            let (tn, t_n1) = adc(t_n, mac_row(&mut t, a, b[i]), 0);
            let k = t[0].wrapping_mul(self.inv);
            let (_, mut c) = mac(t[0], k, self.m[0], 0);
            for j in 1..N {
                let (lo, hi) = mac(t[j], k, self.m[j], c);
                t[j - 1] = lo;
                c = hi;
            }
            let (lo, hi) = adc(tn, c, 0);
            t[N - 1] = lo;
            t_n = t_n1 + hi;
        }
        self.cios_final(&t, t_n)
    }

    /// The CIOS result `(t_n, t) < 2m` brought below m: subtract m unless that borrows out of
    /// the `(t_n, t)` value (constant time).
    #[inline(always)]
    fn cios_final(&self, t: &[u64; N], t_n: u64) -> [u64; N] {
        let (diff, borrow) = sub_limbs(t, &self.m);
        let keep_t = borrow & t_n.wrapping_sub(1);
        select_mask(keep_t, t, &diff)
    }

    /// `a²`.
    #[inline(always)]
    pub(crate) fn square(&self, a: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_square(&a.0, c)),
            None => Fe(self.mont_mul(&a.0, &a.0)),
        }
    }

    /// Converts an integer `x < 2^(64N)` (any size, not necessarily below m) to Montgomery form
    /// of `x mod m`.
    pub(crate) fn to_mont(&self, x: &[u64; N]) -> Fe<N> {
        if self.pm_c.is_some() {
            // x < 2^(64N) < 2m: one conditional subtraction.
            let (diff, borrow) = sub_limbs(x, &self.m);
            return Fe(select_mask(borrow, x, &diff));
        }
        Fe(self.mont_mul(x, &self.r2))
    }

    /// Back from Montgomery form to the canonical integer in `[0, m)`.
    pub(crate) fn retrieve(&self, a: &Fe<N>) -> [u64; N] {
        if self.pm_c.is_some() {
            return a.0;
        }
        let mut one = [0u64; N];
        one[0] = 1;
        self.mont_mul(&a.0, &one)
    }

    /// `a⁻¹` by Fermat's little theorem (m prime); `0⁻¹ = 0`. Constant time in `a` (the
    /// exponent is public).
    pub(crate) fn invert(&self, a: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) if c + 2 < (1 << PM_LOW) => self.invert_pm(a),
            _ => self.pow_public(a, &self.m_minus_2),
        }
    }

    /// `a` squared `n` times.
    #[inline]
    fn square_n(&self, a: &Fe<N>, n: usize) -> Fe<N> {
        let mut x = *a;
        for _ in 0..n {
            x = self.square(&x);
        }
        x
    }

    /// `a^(m−2)` for `m = 2^(64N) − c`, `c + 2 < 2^12`: then `m − 2 = (2^L − 1)·2^12 + low`
    /// with `L = 64N − 12`, so an addition chain for `a^(2^L − 1)` (about `L` squarings and
    /// `2·log₂ L` multiplications) and three 4-bit windows for `low` replace the generic
    /// window's `64N/4` multiplications. The exponent is public; constant time in `a`.
    fn invert_pm(&self, a: &Fe<N>) -> Fe<N> {
        let l = 64 * N - PM_LOW;
        // chain[i] = a^(2^(2^i) − 1).
        let mut chain = [*a; 10];
        let mut len = 1;
        while len < chain.len() && (1usize << len) <= l {
            let k = 1usize << (len - 1);
            chain[len] = self.mul(&self.square_n(&chain[len - 1], k), &chain[len - 1]);
            len += 1;
        }
        // a^(2^l − 1) along the binary expansion of l, high to low.
        let mut acc: Option<Fe<N>> = None;
        for i in (0..len).rev() {
            if l & (1 << i) != 0 {
                acc = Some(match acc {
                    None => chain[i],
                    Some(y) => self.mul(&self.square_n(&y, 1 << i), &chain[i]),
                });
            }
        }
        let mut acc = acc.unwrap_or(*a);
        let mut table = [self.one(); 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let low = self.m_minus_2[0] & ((1 << PM_LOW) - 1);
        for nib in (0..PM_LOW / 4).rev() {
            acc = self.square_n(&acc, 4);
            let idx = ((low >> (4 * nib)) & 0xf) as usize;
            // The exponent is public: skipping a zero nibble and a direct index are fine.
            if idx != 0 {
                acc = self.mul(&acc, &table[idx]);
            }
        }
        acc
    }

    /// `z⁻¹` for every **public** `z` (none zero) with one variable-time inversion
    /// (Montgomery's batch trick: 3 multiplications per element).
    pub(crate) fn batch_invert_vartime(&self, zs: &[Fe<N>]) -> Vec<Fe<N>> {
        let mut prefix = Vec::with_capacity(zs.len());
        let mut acc = self.one();
        for z in zs {
            prefix.push(acc);
            acc = self.mul(&acc, z);
        }
        let mut inv = self.invert_vartime(&acc);
        let mut out = vec![self.zero(); zs.len()];
        for ((o, z), pre) in out.iter_mut().zip(zs).zip(&prefix).rev() {
            *o = self.mul(&inv, pre);
            inv = self.mul(&inv, z);
        }
        out
    }

    /// `a⁻¹` for a **public** `a` (variable time: binary extended Euclid, several times faster
    /// than [`Modulus::invert`]); `0⁻¹ = 0`. Needs `m` odd (every modulus here is an odd
    /// prime). For verification only, never for secret values.
    pub(crate) fn invert_vartime(&self, a: &Fe<N>) -> Fe<N> {
        let mut u = self.retrieve(a);
        if u.iter().all(|l| *l == 0) {
            return self.zero();
        }
        let mut v = self.m;
        let mut one = [0u64; N];
        one[0] = 1;
        // Invariants: x1·a ≡ u, x2·a ≡ v (mod m); x1, x2 in [0, m).
        let mut x1 = one;
        let mut x2 = [0u64; N];
        loop {
            while u[0] & 1 == 0 {
                shr1(&mut u, 0);
                self.half_vartime(&mut x1);
            }
            while v[0] & 1 == 0 {
                shr1(&mut v, 0);
                self.half_vartime(&mut x2);
            }
            if u == one {
                return self.to_mont(&x1);
            }
            if v == one {
                return self.to_mont(&x2);
            }
            if lt_vartime(&u, &v) {
                v = sub_limbs(&v, &u).0;
                x2 = self.sub(&Fe(x2), &Fe(x1)).0;
            } else {
                u = sub_limbs(&u, &v).0;
                x1 = self.sub(&Fe(x1), &Fe(x2)).0;
            }
        }
    }

    /// `x/2 mod m` for `x < m` (variable time).
    fn half_vartime(&self, x: &mut [u64; N]) {
        if x[0] & 1 == 0 {
            shr1(x, 0);
        } else {
            let mut carry = 0u64;
            for i in 0..N {
                let (s, c) = adc(x[i], self.m[i], carry);
                x[i] = s;
                carry = c;
            }
            shr1(x, carry);
        }
    }

    /// `a^e` for a public exponent, 4-bit fixed window; constant time in `a`.
    pub(crate) fn pow_public(&self, a: &Fe<N>, e: &[u64; N]) -> Fe<N> {
        let mut table = [self.one(); 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let mut acc = self.one();
        for i in (0..N).rev() {
            for nib in (0..16).rev() {
                acc = self.square(&acc);
                acc = self.square(&acc);
                acc = self.square(&acc);
                acc = self.square(&acc);
                let idx = ((e[i] >> (nib * 4)) & 0xf) as usize;
                // The exponent is public: a direct index is fine.
                acc = self.mul(&acc, &table[idx]);
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_modulus_arithmetic() {
        // m = 2^255 - 19, check 3 * 5 = 15 and inversion.
        let m: [u64; 4] =
            limbs_from_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
        let f = Modulus::new(m);
        let three = f.to_mont(&[3, 0, 0, 0]);
        let five = f.to_mont(&[5, 0, 0, 0]);
        assert_eq!(f.retrieve(&f.mul(&three, &five)), [15, 0, 0, 0]);
        let inv = f.invert(&three);
        assert_eq!(f.retrieve(&f.mul(&inv, &three)), [1, 0, 0, 0]);
        assert_eq!(f.retrieve(&f.sub(&three, &five)), {
            let mut x = m;
            x[0] -= 2;
            x
        });
        // Reduction of an integer above m.
        let big = [u64::MAX; 4];
        assert_eq!(f.retrieve(&f.to_mont(&big)), [18 + 19, 0, 0, 0]);
    }

    #[test]
    fn pseudo_mersenne_matches_montgomery() {
        for hex in ["FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"] {
            let m: [u64; 4] = limbs_from_hex(hex);
            let mont = Modulus::new(m);
            let pm = Modulus::new_field(m);
            assert!(pm.pm_c.is_some());
            let mut x = [0x1234_5678_9abc_def0u64, u64::MAX, 7, u64::MAX - 5];
            let mut y = [u64::MAX; 4];
            for _ in 0..200 {
                let a = mont.retrieve(&mont.mul(&mont.to_mont(&x), &mont.to_mont(&y)));
                let b = pm.retrieve(&pm.mul(&pm.to_mont(&x), &pm.to_mont(&y)));
                assert_eq!(a, b);
                let sq = mont.retrieve(&mont.square(&mont.to_mont(&x)));
                assert_eq!(sq, pm.retrieve(&pm.square(&pm.to_mont(&x))));
                let inv = pm.invert(&pm.to_mont(&x));
                assert_eq!(pm.retrieve(&pm.mul(&inv, &pm.to_mont(&x))), [1, 0, 0, 0]);
                // The addition chain equals the generic exponentiation.
                assert_eq!(inv, pm.pow_public(&pm.to_mont(&x), &pm.m_minus_2));
                y = x;
                x = a;
                x[3] ^= 0xffff_0000_0000_0000;
            }
            // -1 · -1 = 1 and the near-2^256 edge.
            let mut minus1 = m;
            minus1[0] -= 1;
            let a = pm.to_mont(&minus1);
            assert_eq!(pm.retrieve(&pm.mul(&a, &a)), [1, 0, 0, 0]);
            assert_eq!(pm.retrieve(&pm.to_mont(&[u64::MAX; 4])), [616, 0, 0, 0]);
            assert_eq!(pm.invert(&a), a);
            assert_eq!(pm.invert(&pm.zero()), pm.zero());
            assert_eq!(pm.invert(&pm.one()), pm.one());
        }
        let m: [u64; 8] = limbs_from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        );
        let mont = Modulus::new(m);
        let pm = Modulus::new_field(m);
        assert!(pm.pm_c.is_some());
        let mut x = [u64::MAX - 1; 8];
        let mut y = [0x0123_4567_89ab_cdefu64; 8];
        for _ in 0..200 {
            let a = mont.retrieve(&mont.mul(&mont.to_mont(&x), &mont.to_mont(&y)));
            let b = pm.retrieve(&pm.mul(&pm.to_mont(&x), &pm.to_mont(&y)));
            assert_eq!(a, b);
            let sq = mont.retrieve(&mont.square(&mont.to_mont(&x)));
            assert_eq!(sq, pm.retrieve(&pm.square(&pm.to_mont(&x))));
            let inv = pm.invert(&pm.to_mont(&x));
            assert_eq!(inv, pm.pow_public(&pm.to_mont(&x), &pm.m_minus_2));
            assert_eq!(pm.mul(&inv, &pm.to_mont(&x)), pm.one());
            y = x;
            x = a;
            x[7] |= 0xfff0_0000_0000_0000;
        }
    }

    /// Deterministic xorshift64 for test inputs.
    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    /// Every pseudo-Mersenne operation (the specialised N = 4 code, the generic N = 8 code,
    /// the reduction and the add shortcut) against the generic Montgomery path, on edge values
    /// (0, 1, 2^64 − 1, m − 2, m − 1, m, m + 1, 2^(64N) − 1, limbs of all ones and zeros) and
    /// seeded random values, including random values just below m and unreduced inputs to
    /// `mul`/`square` (allowed up to 2^(64N) − 1).
    fn check_pm_against_montgomery<const N: usize>(hex: &str, seed: u64) {
        let m: [u64; N] = limbs_from_hex(hex);
        let mont = Modulus::new(m);
        let pm = Modulus::new_field(m);
        assert!(pm.pm_c.is_some(), "{hex}");
        let small = |v: u64| {
            let mut x = [0u64; N];
            x[0] = v;
            x
        };
        let plus = |d: u64| {
            let mut x = m;
            x[0] = x[0].wrapping_add(d);
            x
        };
        let mut values = vec![
            small(0),
            small(1),
            small(2),
            small(u64::MAX),
            plus(u64::MAX - 1), // m − 2
            plus(u64::MAX),     // m − 1
            m,
            plus(1),
            [u64::MAX; N],
        ];
        let mut top_only = [0u64; N];
        top_only[N - 1] = u64::MAX;
        values.push(top_only);
        let mut low_zero = [u64::MAX; N];
        low_zero[0] = 0;
        values.push(low_zero);
        let mut s = seed;
        for _ in 0..24 {
            let mut x = [0u64; N];
            for limb in x.iter_mut() {
                *limb = xorshift(&mut s);
            }
            values.push(x);
            // Just below m: the top limbs all ones.
            let mut near = m;
            near[0] = m[0].wrapping_sub(xorshift(&mut s) % (1 << 40));
            values.push(near);
        }
        let canon = |x: &[u64; N]| mont.retrieve(&mont.to_mont(x));
        for x in &values {
            let (xm, xp) = (mont.to_mont(x), pm.to_mont(x));
            assert_eq!(pm.retrieve(&xp), canon(x));
            assert!(lt_vartime(&xp.0, &m));
            let sq = mont.retrieve(&mont.square(&xm));
            assert_eq!(pm.retrieve(&pm.square(&xp)), sq, "square {x:x?}");
            // Unreduced input (x itself may be ≥ m).
            assert_eq!(pm.retrieve(&pm.square(&Fe(*x))), sq, "square raw {x:x?}");
            assert_eq!(pm.retrieve(&pm.neg(&xp)), mont.retrieve(&mont.neg(&xm)));
            for y in &values {
                let (ym, yp) = (mont.to_mont(y), pm.to_mont(y));
                let prod = mont.retrieve(&mont.mul(&xm, &ym));
                let got = pm.mul(&xp, &yp);
                assert!(lt_vartime(&got.0, &m));
                assert_eq!(pm.retrieve(&got), prod, "mul {x:x?} {y:x?}");
                assert_eq!(pm.retrieve(&pm.mul(&Fe(*x), &yp)), prod, "mul raw {x:x?}");
                let sum = pm.add(&xp, &yp);
                assert!(lt_vartime(&sum.0, &m));
                assert_eq!(pm.retrieve(&sum), mont.retrieve(&mont.add(&xm, &ym)));
                let diff = pm.sub(&xp, &yp);
                assert!(lt_vartime(&diff.0, &m));
                assert_eq!(pm.retrieve(&diff), mont.retrieve(&mont.sub(&xm, &ym)));
            }
        }
    }

    #[test]
    fn pseudo_mersenne_ops_match_montgomery() {
        check_pm_against_montgomery::<4>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
            0x9e37_79b9_7f4a_7c15,
        );
        check_pm_against_montgomery::<8>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
            0x0123_4567_89ab_cdef,
        );
        // The largest c allowed (2^32 − 1, so that k·c + c cannot overflow): stresses the
        // reduction's final carries. m need not be prime for these ring operations.
        check_pm_against_montgomery::<4>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000001",
            7,
        );
        check_pm_against_montgomery::<8>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000001",
            11,
        );
    }

    /// The sparse Montgomery reduction (`m = 2^(64N−1) + m₀`) against the generic CIOS, on
    /// edge and seeded values (first operand up to 2^(64N) − 1, as `mul` allows), and exact
    /// small products through `to_mont`/`retrieve`.
    fn check_sparse_montgomery<const N: usize>(hex: &str, seed: u64) {
        let m: [u64; N] = limbs_from_hex(hex);
        let f = Modulus::new_field(m);
        assert!(f.sparse && f.pm_c.is_none(), "{hex}");
        let small = |v: u64| {
            let mut x = [0u64; N];
            x[0] = v;
            x
        };
        let minus = |d: u64| {
            let mut x = m;
            x[0] = x[0].wrapping_sub(d);
            x
        };
        let mut values = vec![small(0), small(1), small(u64::MAX), minus(1), minus(2)];
        values.push(f.one);
        values.push(f.r2);
        let mut s = seed;
        for _ in 0..30 {
            let mut x = [0u64; N];
            for limb in x.iter_mut() {
                *limb = xorshift(&mut s);
            }
            // Random values below m (top bit clear) and just below m.
            x[N - 1] >>= 1;
            values.push(x);
            values.push(minus(xorshift(&mut s) % (1 << 40) + 1));
        }
        for x in &values {
            for y in &values {
                let got = f.mont_mul_sparse(x, y);
                assert_eq!(got, f.mont_mul_generic(x, y), "{x:x?} {y:x?}");
                assert!(lt_vartime(&got, &m));
            }
            // Any a < 2^(64N) in the first operand.
            let top = [u64::MAX; N];
            assert_eq!(f.mont_mul_sparse(&top, x), f.mont_mul_generic(&top, x));
        }
        let three = f.to_mont(&small(3));
        let five = f.to_mont(&small(5));
        assert_eq!(f.retrieve(&f.mul(&three, &five)), small(15));
        let minus1 = f.to_mont(&minus(1));
        assert_eq!(f.retrieve(&f.square(&minus1)), small(1));
        // Only the sparse shape takes the sparse path.
        let mut other = m;
        other[1] = 1;
        assert!(!Modulus::new(other).sparse);
    }

    #[test]
    fn sparse_montgomery_matches_generic() {
        check_sparse_montgomery::<4>(
            "8000000000000000000000000000000000000000000000000000000000000C99",
            0x5151_5151_0000_0001,
        );
        check_sparse_montgomery::<8>(
            "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006F",
            0xdead_beef_0bad_cafe,
        );
        // The largest m₀ (odd): exercises the carries out of the k·m₀ product.
        check_sparse_montgomery::<4>(
            "800000000000000000000000000000000000000000000000FFFFFFFFFFFFFFFF",
            3,
        );
    }

    fn check_invert_vartime<const N: usize>(hex: &str) {
        let m: [u64; N] = limbs_from_hex(hex);
        for f in [Modulus::new(m), Modulus::new_field(m)] {
            assert_eq!(f.invert_vartime(&f.zero()), f.zero());
            let mut minus1 = m;
            minus1[0] -= 1;
            let mut x = [0x0123_4567_89ab_cdefu64; N];
            x[N - 1] >>= 2;
            let mut edge = vec![[0u64; N], minus1, [u64::MAX; N]];
            edge[0][0] = 1;
            let mut two = [0u64; N];
            two[0] = 2;
            edge.push(two);
            for i in 0..100 {
                let a = f.to_mont(edge.get(i).unwrap_or(&x));
                let inv = f.invert_vartime(&a);
                assert_eq!(inv, f.invert(&a), "{hex} {i}");
                assert_eq!(f.mul(&inv, &a), f.one());
                x = f.retrieve(&f.add(&f.square(&f.to_mont(&x)), &f.one()));
            }
        }
    }

    #[test]
    fn invert_vartime_matches_fermat() {
        // Near 2^256 and 2^512 (carry out of x + m), a 255-bit q, a generic 256-bit p, a
        // 510-bit q.
        check_invert_vartime::<4>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        );
        check_invert_vartime::<4>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
        );
        check_invert_vartime::<4>(
            "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
        );
        check_invert_vartime::<4>(
            "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
        );
        check_invert_vartime::<8>(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        );
        check_invert_vartime::<8>(
            "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED",
        );
    }

    #[test]
    fn modulus_near_word_size() {
        // 2^256 - 617 exercises the carry word.
        let m: [u64; 4] =
            limbs_from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97");
        let f = Modulus::new(m);
        let mut x = m;
        x[0] -= 1; // -1
        let a = f.to_mont(&x);
        assert_eq!(f.retrieve(&f.mul(&a, &a)), [1, 0, 0, 0]);
        assert_eq!(f.retrieve(&f.add(&a, &a)), {
            let mut y = m;
            y[0] -= 2;
            y
        });
    }
}
