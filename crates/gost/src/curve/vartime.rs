//! Verification arithmetic: `u1·G + u2·Q` with an interleaved wNAF in Jacobian coordinates,
//! the split tables of keys seen before, the inversion-free comparison with `r`, a plain
//! double-and-add for public scalars, and the prime-order subgroup check of public keys.
//!
//! **Variable time**, on public data only: the public key, `r`, `s` and the digest. Branches
//! and table indices depend on these values; no private key or nonce ever reaches this module.
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public digits"
)]

use std::sync::Arc;

use super::{Affine, Curve, KeyTables};
use crate::field::{Fe, any_x_candidate};
use crate::point::Point;
use crate::recode::{PIECE_DIGITS, WNAF, WNAF_G, WNAF_KEY, split_wnaf, wnaf};

/// Window width of the plain double-and-add for public scalars.
const W4: usize = 4;

/// Jacobian coordinates `(X/Z², Y/Z³)` for the variable-time verification path; `Z = 0` is
/// the identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jac<const N: usize> {
    pub(super) x: Fe<N>,
    pub(super) y: Fe<N>,
    pub(super) z: Fe<N>,
}

impl<const N: usize> Curve<N> {
    /// `k·P` with the complete formulas, variable time (public scalar and point only).
    pub(crate) fn mul_vartime(&self, pt: &Point<N>, k: &[u64; N]) -> Point<N> {
        let mut row = [self.identity(); 1 << W4];
        for j in 1..(1 << W4) {
            row[j] = self.add(&row[j - 1], pt);
        }
        let mut acc = self.identity();
        let mut started = false;
        for i in (0..(64 * N / W4)).rev() {
            if started {
                for _ in 0..W4 {
                    acc = self.double(&acc);
                }
            }
            let nibble = crate::recode::bits_at(k, i * W4, W4) as usize;
            if nibble != 0 {
                acc = self.add(&acc, &row[nibble]);
                started = true;
            }
        }
        acc
    }

    fn jac_identity(&self) -> Jac<N> {
        Jac {
            x: self.p.one(),
            y: self.p.one(),
            z: self.p.zero(),
        }
    }

    fn jac_is_identity(&self, p: &Jac<N>) -> bool {
        p.z == self.p.zero()
    }

    /// dbl-2007-bl (any a).
    fn jac_double(&self, p: &Jac<N>) -> Jac<N> {
        if self.jac_is_identity(p) || p.y == self.p.zero() {
            return self.jac_identity();
        }
        let f = &self.p;
        if self.a_minus_3 {
            // dbl-2001-b: 3M + 5S.
            let delta = f.square(&p.z);
            let gamma = f.square(&p.y);
            let beta = f.mul(&p.x, &gamma);
            let t = f.mul(&f.sub(&p.x, &delta), &f.add(&p.x, &delta));
            let alpha = f.add(&f.add(&t, &t), &t);
            let beta4 = f.add(&beta, &beta);
            let beta4 = f.add(&beta4, &beta4);
            let x3 = f.sub(&f.square(&alpha), &f.add(&beta4, &beta4));
            let z3 = f.sub(&f.sub(&f.square(&f.add(&p.y, &p.z)), &gamma), &delta);
            let g2 = f.square(&gamma);
            let g8 = f.add(&g2, &g2);
            let g8 = f.add(&g8, &g8);
            let g8 = f.add(&g8, &g8);
            let y3 = f.sub(&f.mul(&alpha, &f.sub(&beta4, &x3)), &g8);
            return Jac {
                x: x3,
                y: y3,
                z: z3,
            };
        }
        let xx = f.square(&p.x);
        let yy = f.square(&p.y);
        let yyyy = f.square(&yy);
        let zz = f.square(&p.z);
        let s = f.sub(&f.sub(&f.square(&f.add(&p.x, &yy)), &xx), &yyyy);
        let s = f.add(&s, &s);
        let m = f.add(
            &f.add(&f.add(&xx, &xx), &xx),
            &f.mul(&self.a, &f.square(&zz)),
        );
        let t = f.sub(&f.square(&m), &f.add(&s, &s));
        let y8 = f.add(&yyyy, &yyyy);
        let y8 = f.add(&y8, &y8);
        let y8 = f.add(&y8, &y8);
        let y3 = f.sub(&f.mul(&m, &f.sub(&s, &t)), &y8);
        let z3 = f.sub(&f.sub(&f.square(&f.add(&p.y, &p.z)), &yy), &zz);
        Jac { x: t, y: y3, z: z3 }
    }

    /// madd-2007-bl with the special cases handled by branches.
    fn jac_add_affine(&self, p: &Jac<N>, q: &Affine<N>) -> Jac<N> {
        let f = &self.p;
        if self.jac_is_identity(p) {
            return Jac {
                x: q.x,
                y: q.y,
                z: f.one(),
            };
        }
        let z1z1 = f.square(&p.z);
        let u2 = f.mul(&q.x, &z1z1);
        let s2 = f.mul(&f.mul(&q.y, &p.z), &z1z1);
        let h = f.sub(&u2, &p.x);
        let r = f.sub(&s2, &p.y);
        if h == f.zero() {
            if r == f.zero() {
                return self.jac_double(&Jac {
                    x: q.x,
                    y: q.y,
                    z: f.one(),
                });
            }
            return self.jac_identity();
        }
        let hh = f.square(&h);
        let i = f.add(&hh, &hh);
        let i = f.add(&i, &i);
        let j = f.mul(&h, &i);
        let r = f.add(&r, &r);
        let v = f.mul(&p.x, &i);
        let x3 = f.sub(&f.sub(&f.square(&r), &j), &f.add(&v, &v));
        let y1j = f.mul(&p.y, &j);
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.add(&y1j, &y1j));
        let z3 = f.sub(&f.sub(&f.square(&f.add(&p.z, &h)), &z1z1), &hh);
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    fn neg_affine(&self, q: &Affine<N>) -> Affine<N> {
        Affine {
            x: q.x,
            y: self.p.neg(&q.y),
        }
    }

    /// `acc + d·P` for a wNAF digit `d` (zero: `acc`), `row` the affine odd multiples of P.
    fn jac_add_digit(&self, acc: &Jac<N>, row: &[Affine<N>], d: i32) -> Jac<N> {
        match row.get((d.unsigned_abs() as usize) / 2) {
            Some(e) if d > 0 => self.jac_add_affine(acc, e),
            Some(e) if d < 0 => self.jac_add_affine(acc, &self.neg_affine(e)),
            _ => *acc,
        }
    }

    /// `u1·G + u2·P` in Jacobian coordinates, variable time (verification): interleaved
    /// width-5 wNAF for P and width-9 wNAF for G (odd-multiples table built once). `None` for
    /// the identity.
    pub(super) fn mul2_vartime_jac(
        &self,
        u1: &[u64; N],
        pt: &Point<N>,
        u2: &[u64; N],
    ) -> Option<Jac<N>> {
        let odd = self.batch_affine(&self.odd_multiples(pt, 1 << (WNAF - 2))?);
        let g_odd = self.g_odd();
        let naf2 = wnaf(u2, WNAF);
        let naf1 = wnaf(u1, WNAF_G);
        let mut acc = self.jac_identity();
        for i in (0..naf1.len().max(naf2.len())).rev() {
            acc = self.jac_double(&acc);
            acc = self.jac_add_digit(&acc, &odd, naf2.get(i).copied().unwrap_or(0));
            acc = self.jac_add_digit(&acc, g_odd, naf1.get(i).copied().unwrap_or(0));
        }
        if self.jac_is_identity(&acc) {
            return None;
        }
        Some(acc)
    }

    /// [`Self::mul2_vartime_jac`] with P's split tables: both scalars in N 64-bit pieces
    /// sharing 65 doublings.
    pub(super) fn mul2_split_jac(
        &self,
        u1: &[u64; N],
        key: &[Vec<Affine<N>>],
        u2: &[u64; N],
    ) -> Option<Jac<N>> {
        let g = self.g_split();
        let d1 = split_wnaf(u1, WNAF_G);
        let d2 = split_wnaf(u2, WNAF_KEY);
        let mut acc = self.jac_identity();
        for i in (0..PIECE_DIGITS).rev() {
            acc = self.jac_double(&acc);
            for (((dg, dk), grow), krow) in d1.iter().zip(&d2).zip(g).zip(key) {
                acc = self.jac_add_digit(&acc, krow, i32::from(dk[i]));
                acc = self.jac_add_digit(&acc, grow, i32::from(dg[i]));
            }
        }
        if self.jac_is_identity(&acc) {
            return None;
        }
        Some(acc)
    }

    /// The split tables of the public key `pt` if it was verified with before (built on its
    /// second use and then kept); `None` on first sight, when the plain interleaved wNAF is
    /// cheaper than building tables that may never be used again.
    fn prepared_tables(&self, pt: &Point<N>) -> Option<Arc<KeyTables<N>>> {
        if pt.z != self.p.one() {
            return None;
        }
        // x ‖ y on the stack (2N ≤ 16 limbs): no allocation per verification.
        let mut buf = [0u64; 16];
        for (b, l) in buf.iter_mut().zip(pt.x.0.iter().chain(pt.y.0.iter())) {
            *b = *l;
        }
        let key = buf.get(..2 * N).unwrap_or(&buf);
        match self.prepared.get(key) {
            None => {
                self.prepared.insert(key, None);
                None
            }
            Some(Some(tables)) => Some(tables),
            Some(None) => {
                let tables = match &self.ed {
                    Some(ed) => KeyTables::Edwards(ed.key_tables(&self.p, pt)),
                    None => KeyTables::Weierstrass(self.split_tables(pt, 1 << (WNAF_KEY - 2))?),
                };
                let tables = Arc::new(tables);
                self.prepared.insert(key, Some(Arc::clone(&tables)));
                Some(tables)
            }
        }
    }

    /// The affine x of `u1·G + u2·P` (canonical integer), or `None` for the identity.
    #[cfg(test)]
    pub(crate) fn mul2_vartime_x(
        &self,
        u1: &[u64; N],
        pt: &Point<N>,
        u2: &[u64; N],
    ) -> Option<[u64; N]> {
        let acc = self.mul2_vartime_jac(u1, pt, u2)?;
        let f = &self.p;
        let zi = f.invert(&acc.z);
        Some(f.retrieve(&f.mul(&acc.x, &f.square(&zi))))
    }

    /// Whether `(u1·G + u2·P).x ≡ r (mod q)` for `0 < r < q`, without an inversion: checks
    /// `X = x·Z²` for the candidates `x = r, r + q, r + 2q, …` below p.
    ///
    /// A key seen for the first time goes through the plain interleaved wNAF (64·N doublings).
    /// From its second use on, the key's split tables (odd multiples of `2^(64j)·P`, built
    /// once, kept for the last [`crate::cache::CAPACITY`] keys per curve: 12 KiB per 256-bit
    /// key, 48 KiB per 512-bit key) cut the doublings to 65: a bank verifying many documents
    /// of the same clients pays the long part once per client key.
    pub(crate) fn mul2_vartime_matches_r(
        &self,
        u1: &[u64; N],
        pt: &Point<N>,
        u2: &[u64; N],
        r: &[u64; N],
    ) -> bool {
        let prepared = self.prepared_tables(pt);
        let acc = match (prepared.as_deref(), &self.ed) {
            (Some(KeyTables::Edwards(key)), Some(ed)) => {
                return ed.mul2_split_matches_r(&self.p, &self.q.m, u1, key, u2, r);
            }
            (_, Some(ed)) => {
                return ed.mul2_vartime_matches_r(&self.p, &self.q.m, u1, pt, u2, r);
            }
            (Some(KeyTables::Weierstrass(key)), None) => self.mul2_split_jac(u1, key, u2),
            (_, None) => self.mul2_vartime_jac(u1, pt, u2),
        };
        let Some(acc) = acc else {
            return false;
        };
        let f = &self.p;
        let zz = f.square(&acc.z);
        any_x_candidate(r, &self.q.m, &f.m, |cand| {
            f.mul(&f.to_mont(cand), &zz) == acc.x
        })
    }

    /// Whether the validated affine point `pt` (on the curve, `Z = 1`) lies in the order-`q`
    /// subgroup: in Edwards form on the cofactor-4 curves, with `q·P = O` by double-and-add
    /// otherwise (every affine point of a cofactor-1 curve passes).
    pub(crate) fn in_subgroup_vartime(&self, pt: &Point<N>) -> bool {
        if self.cofactor == 1 {
            return true;
        }
        match &self.ed {
            Some(ed) => ed.in_subgroup_vartime(&self.p, &self.q.m, pt),
            None => self.is_identity_strict(&self.mul_vartime(pt, &self.q.m)),
        }
    }
}
