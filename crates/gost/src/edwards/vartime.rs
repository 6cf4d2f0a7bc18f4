//! Verification in Edwards form: `u1·G + u2·Q` by interleaved wNAF or with the split tables of
//! a key seen before, the inversion-free comparison with `r`, and the prime-order subgroup
//! check of public keys.
//!
//! **Variable time**, on public data only: branches and indices follow the public scalars'
//! digits; no private key or nonce ever reaches this module.
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public digits"
)]

use super::{Cached, Edwards, Ext, Niels, SplitTables};
use crate::field::{Modulus, any_x_candidate};
use crate::point::Point;
use crate::recode::{PIECE_DIGITS, WNAF, WNAF_G, WNAF_KEY, split_wnaf, wnaf};

impl<const N: usize> Edwards<N> {
    /// `acc + d·P` for a wNAF digit `d` (zero: `acc`), `row` the affine odd multiples of P
    /// (variable time: public digits only).
    fn add_niels_digit(&self, f: &Modulus<N>, acc: &Ext<N>, row: &[Niels<N>], d: i32) -> Ext<N> {
        let Some(e) = row.get((d.unsigned_abs() as usize) / 2) else {
            return *acc;
        };
        if d > 0 {
            self.add_niels(f, acc, e)
        } else if d < 0 {
            let neg = Niels {
                u: f.neg(&e.u),
                v: e.v,
                duv: f.neg(&e.duv),
            };
            self.add_niels(f, acc, &neg)
        } else {
            *acc
        }
    }

    /// `acc + d·P` for a nonzero odd wNAF digit `d`, `odd` from [`Self::odd_multiples`]
    /// (variable time: public digits only).
    fn add_digit(&self, f: &Modulus<N>, acc: &Ext<N>, odd: &[Cached<N>], d: i32) -> Ext<N> {
        let e = &odd[(d.unsigned_abs() as usize) / 2];
        if d > 0 {
            return self.add_cached(f, acc, e);
        }
        let neg = Cached {
            x: f.neg(&e.x),
            y: e.y,
            z: e.z,
            dt: f.neg(&e.dt),
        };
        self.add_cached(f, acc, &neg)
    }

    /// Whether the affine Weierstrass point `pt` (`Z = 1`, already checked to be on the curve)
    /// lies in the order-`q` subgroup, i.e. `q·pt = O`, variable time (public keys only): the
    /// point is mapped to Edwards form and multiplied there with a width-5 wNAF and the complete
    /// formulas, several times faster than the general-`a` Weierstrass ladder. Points where the
    /// birational map is undefined (`y = 0`, or `x − t = −s`) are small-order points, never in
    /// the subgroup. The map is a group isomorphism on every other point, so `q·ψ(P)` is the
    /// Edwards identity exactly when `q·P = O`.
    pub(crate) fn in_subgroup_vartime(
        &self,
        f: &Modulus<N>,
        q_m: &[u64; N],
        pt: &Point<N>,
    ) -> bool {
        let w = f.sub(&pt.x, &f.mul(&self.t, &pt.z));
        if pt.y == f.zero() || f.add(&w, &f.mul(&self.s, &pt.z)) == f.zero() {
            return false;
        }
        let odd = self.odd_multiples(f, &self.weierstrass_to_ext(f, pt));
        let naf = wnaf(q_m, WNAF);
        let mut acc = Self::identity(f);
        for &d in naf.iter().rev() {
            acc = Self::double(f, &acc, d != 0);
            if d != 0 {
                acc = self.add_digit(f, &acc, &odd, d);
            }
        }
        // The identity (0 : 1 : 1): X = 0 and Y = Z (Z ≠ 0 with complete formulas).
        acc.x == f.zero() && acc.y == acc.z
    }

    /// Whether `(u1·G + u2·P)` has Weierstrass `x ≡ r (mod q)` (`0 < r < q`, `q_m` the
    /// subgroup order), variable time (verification): interleaved width-5 wNAF for P and
    /// width-9 wNAF for G (odd-multiples table built once), and the comparison `(x − t)·(Z − Y) = s·(Z + Y)` for each candidate
    /// `x = r, r + q, …` below p, so no inversion.
    pub(crate) fn mul2_vartime_matches_r(
        &self,
        f: &Modulus<N>,
        q_m: &[u64; N],
        u1: &[u64; N],
        pt: &Point<N>,
        u2: &[u64; N],
        r: &[u64; N],
    ) -> bool {
        let odd = self.odd_multiples(f, &self.weierstrass_to_ext(f, pt));
        let g_odd = self.g_odd(f);
        let naf2 = wnaf(u2, WNAF);
        let naf1 = wnaf(u1, WNAF_G);
        let mut acc = Self::identity(f);
        for i in (0..naf1.len().max(naf2.len())).rev() {
            let d2 = naf2.get(i).copied().unwrap_or(0);
            let d1 = naf1.get(i).copied().unwrap_or(0);
            acc = Self::double(f, &acc, d1 != 0 || d2 != 0);
            if d2 != 0 {
                acc = self.add_digit(f, &acc, &odd, d2);
            }
            acc = self.add_niels_digit(f, &acc, g_odd, d1);
        }
        self.matches_r(f, q_m, &acc, r)
    }

    /// `u1·G + u2·P` with P's [`SplitTables`] (from [`Self::key_tables`]): both scalars in N
    /// 64-bit pieces, so 65 doublings instead of 64·N, compared with r as in
    /// [`Self::mul2_vartime_matches_r`]. Variable time (verification).
    pub(crate) fn mul2_split_matches_r(
        &self,
        f: &Modulus<N>,
        q_m: &[u64; N],
        u1: &[u64; N],
        key: &SplitTables<N>,
        u2: &[u64; N],
        r: &[u64; N],
    ) -> bool {
        let g = self.g_split(f);
        let d1 = split_wnaf(u1, WNAF_G);
        let d2 = split_wnaf(u2, WNAF_KEY);
        let mut acc = Self::identity(f);
        for i in (0..PIECE_DIGITS).rev() {
            let adds = d1.iter().chain(d2.iter()).any(|d| d[i] != 0);
            acc = Self::double(f, &acc, adds);
            for (((dg, dk), grow), krow) in d1.iter().zip(&d2).zip(&g.0).zip(&key.0) {
                acc = self.add_niels_digit(f, &acc, krow, i32::from(dk[i]));
                acc = self.add_niels_digit(f, &acc, grow, i32::from(dg[i]));
            }
        }
        self.matches_r(f, q_m, &acc, r)
    }

    /// Whether the Weierstrass `x` of `acc` is `≡ r (mod q)`: the comparison
    /// `(x − t)·(Z − Y) = s·(Z + Y)` for each candidate `x = r, r + q, …` below p, so no
    /// inversion.
    fn matches_r(&self, f: &Modulus<N>, q_m: &[u64; N], acc: &Ext<N>, r: &[u64; N]) -> bool {
        let zm = f.sub(&acc.z, &acc.y);
        if zm == f.zero() {
            // The identity (the only subgroup point with v = 1).
            return false;
        }
        let rhs = f.mul(&self.s, &f.add(&acc.z, &acc.y));
        any_x_candidate(r, q_m, &f.m, |cand| {
            f.mul(&f.sub(&f.to_mont(cand), &self.t), &zm) == rhs
        })
    }
}
