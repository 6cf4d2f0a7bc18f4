//! Arithmetic modulo an odd modulus of `64·N` bits or fewer (`N` = 4 or 8 limbs): the base
//! fields and the scalar rings of the curves.
//!
//! Elements are `[u64; N]` little-endian limbs, always fully reduced: in Montgomery form in
//! general, in plain form for the pseudo-Mersenne primes `2^(64N) − c` (TC26-256-A/B and
//! TC26-512-A/C), which reduce with `2^(64N) ≡ c` instead.
//!
//! The code is split by what it may touch, so each part can be audited on its own:
//!
//! | module | timing | what |
//! | --- | --- | --- |
//! | `limbs` | constant time | carries, masked selects, comparisons, byte conversions |
//! | `wide` | constant time | 4×4 / 8×8 limb products and squares, `2^256 − c` reduction |
//! | `ct` | constant time | `add`, `sub`, `mul`, `square`, conversions, `invert`, `pow_public` |
//! | `vartime` | **variable time**, public values only | `lt_vartime`, `invert_vartime`, batch inversion, `any_x_candidate` |
//!
//! This file holds the types and the construction of a [`Modulus`] from its public constant.
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by loop counters bounded by the const N"
)]

mod ct;
mod limbs;
#[cfg(test)]
mod tests;
mod vartime;
mod wide;

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

pub(crate) use limbs::{is_zero_ct, limbs_from_be, limbs_from_hex, limbs_to_be, lt_ct};
pub(crate) use vartime::{any_x_candidate, lt_vartime};

use limbs::{add_mod, sub_limbs};

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
            v = add_mod(&v, &v, &m);
        }
        let one = v;
        for _ in 0..(64 * N) {
            v = add_mod(&v, &v, &m);
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

    /// Montgomery one.
    pub(crate) fn one(&self) -> Fe<N> {
        Fe(self.one)
    }

    /// Zero.
    pub(crate) fn zero(&self) -> Fe<N> {
        Fe([0; N])
    }
}
