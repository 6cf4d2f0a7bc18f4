//! Field arithmetic on public values only: comparison, binary-Euclid inversion, batch
//! inversion, and the `x ≡ r (mod q)` candidate walk of verification.
//!
//! **Variable time.** Branches and loop counts depend on the values; nothing here may ever see
//! a private key, a nonce or anything derived from them. Callers: verification, public-key
//! validation, and the precomputed tables of public points.
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by loop counters bounded by the const N"
)]

use super::limbs::{adc, sub_limbs};
use super::{Fe, Modulus};

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

impl<const N: usize> Modulus<N> {
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
}

/// Whether `matches(x)` holds for one of the integers `x ≡ r (mod q)` below `p`:
/// `r, r + q, r + 2q, …` (p < 5q on every curve here, q ≈ p/4 on the cofactor-4 ones). This is
/// how verification compares `r` with the x of a projective result without an inversion.
/// Public values only.
pub(crate) fn any_x_candidate<const N: usize>(
    r: &[u64; N],
    q: &[u64; N],
    p: &[u64; N],
    mut matches: impl FnMut(&[u64; N]) -> bool,
) -> bool {
    let mut cand = *r;
    for _ in 0..5 {
        if !lt_vartime(&cand, p) {
            return false;
        }
        if matches(&cand) {
            return true;
        }
        // cand += q (stop on overflow past 2^(64N), which is above p anyway).
        let mut carry = 0u64;
        for (c, q) in cand.iter_mut().zip(q.iter()) {
            let (v1, o1) = c.overflowing_add(*q);
            let (v2, o2) = v1.overflowing_add(carry);
            *c = v2;
            carry = u64::from(o1 | o2);
        }
        if carry != 0 {
            return false;
        }
    }
    false
}
