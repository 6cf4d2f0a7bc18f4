//! The unified formulas of Hisil–Wong–Carter–Dawson 2008 on `u² + v² = 1 + d·u²·v²`
//! (a = 1): doubling, mixed addition with an affine `(u, v, d·u·v)`, projective addition with
//! `d·T` precomputed.
//!
//! **Constant time.** Straight-line field arithmetic; with `d` a non-square the formulas are
//! complete, so no input needs a special case. The `with_t` flag of doubling is a public
//! schedule, never secret.

use super::{Cached, Edwards, Ext, Niels};
use crate::field::{Fe, Modulus};

impl<const N: usize> Edwards<N> {
    pub(super) fn identity(f: &Modulus<N>) -> Ext<N> {
        Ext {
            x: f.zero(),
            y: f.one(),
            z: f.one(),
            t: f.zero(),
        }
    }

    /// Doubling (dbl-2008-hwcd with a = 1); `T` is computed only when `with_t` (the caller
    /// adds next). `with_t` is a public schedule, never secret.
    #[inline]
    pub(super) fn double(f: &Modulus<N>, p: &Ext<N>, with_t: bool) -> Ext<N> {
        let a = f.square(&p.x);
        let b = f.square(&p.y);
        let zz = f.square(&p.z);
        let c = f.add(&zz, &zz);
        let e = f.sub(&f.sub(&f.square(&f.add(&p.x, &p.y)), &a), &b);
        let g = f.add(&a, &b);
        let fv = f.sub(&g, &c);
        let h = f.sub(&a, &b);
        Ext {
            x: f.mul(&e, &fv),
            y: f.mul(&g, &h),
            z: f.mul(&fv, &g),
            t: if with_t { f.mul(&e, &h) } else { f.zero() },
        }
    }

    /// `E, F, G, H` to the sum (shared tail of the additions).
    #[inline(always)]
    fn finish(f: &Modulus<N>, e: &Fe<N>, fv: &Fe<N>, g: &Fe<N>, h: &Fe<N>) -> Ext<N> {
        Ext {
            x: f.mul(e, fv),
            y: f.mul(g, h),
            z: f.mul(fv, g),
            t: f.mul(e, h),
        }
    }

    /// Complete mixed addition `p + q` (add-2008-hwcd with a = 1, Z2 = 1): 8M.
    #[inline]
    pub(super) fn add_niels(&self, f: &Modulus<N>, p: &Ext<N>, q: &Niels<N>) -> Ext<N> {
        let a = f.mul(&p.x, &q.u);
        let b = f.mul(&p.y, &q.v);
        let c = f.mul(&p.t, &q.duv);
        let e = f.sub(
            &f.sub(&f.mul(&f.add(&p.x, &p.y), &f.add(&q.u, &q.v)), &a),
            &b,
        );
        let fv = f.sub(&p.z, &c);
        let g = f.add(&p.z, &c);
        let h = f.sub(&b, &a);
        Self::finish(f, &e, &fv, &g, &h)
    }

    /// Complete projective addition with `d·T2` precomputed: 9M.
    #[inline]
    pub(super) fn add_cached(&self, f: &Modulus<N>, p: &Ext<N>, q: &Cached<N>) -> Ext<N> {
        let a = f.mul(&p.x, &q.x);
        let b = f.mul(&p.y, &q.y);
        let c = f.mul(&p.t, &q.dt);
        let dd = f.mul(&p.z, &q.z);
        let e = f.sub(
            &f.sub(&f.mul(&f.add(&p.x, &p.y), &f.add(&q.x, &q.y)), &a),
            &b,
        );
        let fv = f.sub(&dd, &c);
        let g = f.add(&dd, &c);
        let h = f.sub(&b, &a);
        Self::finish(f, &e, &fv, &g, &h)
    }

    pub(super) fn cached(&self, f: &Modulus<N>, p: &Ext<N>) -> Cached<N> {
        Cached {
            x: p.x,
            y: p.y,
            z: p.z,
            dt: f.mul(&self.d, &p.t),
        }
    }
}
