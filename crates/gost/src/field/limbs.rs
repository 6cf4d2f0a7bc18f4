//! Limb primitives: carries, borrows, masked selects, comparisons and byte conversions over
//! `[u64; N]` little-endian limbs.
//!
//! **Constant time.** No branch or index depends on a limb value; loop bounds are the public
//! `N`. The byte and hex conversions read public lengths only.
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by loop counters bounded by the const N"
)]

use subtle::{Choice, ConstantTimeEq};

#[inline(always)]
pub(super) const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
pub(super) const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + ((borrow >> 63) as u128));
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
pub(super) const fn mac(acc: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = (acc as u128) + (b as u128) * (c as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `t += a·bi` over N limbs; returns the carry word (one CIOS product row).
#[inline(always)]
pub(super) fn mac_row<const N: usize>(t: &mut [u64; N], a: &[u64; N], bi: u64) -> u64 {
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
pub(super) fn sub_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
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
pub(super) fn select_mask<const N: usize>(
    mask: u64,
    if_set: &[u64; N],
    if_clear: &[u64; N],
) -> [u64; N] {
    let mut out = [0u64; N];
    for i in 0..N {
        out[i] = (if_set[i] & mask) | (if_clear[i] & !mask);
    }
    out
}

/// `(a + b) mod m` for reduced `a`, `b` (`m` the modulus).
#[inline(always)]
pub(super) fn add_mod<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let mut sum = [0u64; N];
    let mut carry = 0u64;
    for i in 0..N {
        let (s, c) = adc(a[i], b[i], carry);
        sum[i] = s;
        carry = c;
    }
    let (diff, borrow) = sub_limbs(&sum, m);
    // Keep `sum` only when it is below m and did not overflow.
    let keep_sum = borrow & carry.wrapping_sub(1);
    select_mask(keep_sum, &sum, &diff)
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
