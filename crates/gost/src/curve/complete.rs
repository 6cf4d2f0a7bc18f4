//! The complete projective formulas of Renes–Costello–Batina 2016 (Algorithms 1, 2 and 3,
//! arbitrary `a`), the identity, equality with the curve equation, and the affine conversion.
//!
//! **Constant time.** Straight-line field arithmetic; the only branch (`a = −3` or not) depends
//! on the curve. The formulas are complete on curves without points of order two. The two
//! cofactor-4 curves (TC26-256-A, TC26-512-C) do have one, but all points handled here lie in
//! the odd-order subgroup (multiples of G, and public keys checked with `q·Q = O` before use),
//! where no exceptional case can occur.

use subtle::{Choice, ConstantTimeEq};

use super::{Affine, Curve};
use crate::field::Fe;
use crate::point::Point;

impl<const N: usize> Curve<N> {
    /// `a·x`: three additions instead of a multiplication when `a = −3` (CryptoPro-A/B/C,
    /// TC26-512-A/B), which saves three of the sixteen multiplications of a complete addition.
    /// Which branch runs depends only on the curve, never on `x`.
    #[inline(always)]
    fn mul_a(&self, x: &Fe<N>) -> Fe<N> {
        let f = &self.p;
        if self.a_minus_3 {
            f.neg(&f.add(&f.add(x, x), x))
        } else {
            f.mul(&self.a, x)
        }
    }

    /// The identity `(0 : 1 : 0)`.
    pub(crate) fn identity(&self) -> Point<N> {
        Point {
            x: self.p.zero(),
            y: self.p.one(),
            z: self.p.zero(),
        }
    }

    /// Complete addition, RCB 2016 Algorithm 1.
    pub(crate) fn add(&self, p1: &Point<N>, p2: &Point<N>) -> Point<N> {
        let f = &self.p;
        let (x1, y1, z1) = (&p1.x, &p1.y, &p1.z);
        let (x2, y2, z2) = (&p2.x, &p2.y, &p2.z);
        let t0 = f.mul(x1, x2);
        let t1 = f.mul(y1, y2);
        let t2 = f.mul(z1, z2);
        let t3 = f.add(x1, y1);
        let t4 = f.add(x2, y2);
        let t3 = f.mul(&t3, &t4);
        let t4 = f.add(&t0, &t1);
        let t3 = f.sub(&t3, &t4);
        let t4 = f.add(x1, z1);
        let t5 = f.add(x2, z2);
        let t4 = f.mul(&t4, &t5);
        let t5 = f.add(&t0, &t2);
        let t4 = f.sub(&t4, &t5);
        let t5 = f.add(y1, z1);
        let x3 = f.add(y2, z2);
        let t5 = f.mul(&t5, &x3);
        let x3 = f.add(&t1, &t2);
        let t5 = f.sub(&t5, &x3);
        self.add_tail(&t0, &t1, &t2, &t3, &t4, &t5)
    }

    /// The common second half of RCB 2016 Algorithms 1 and 2 (full and mixed addition), from
    /// `t0 = X1X2`, `t1 = Y1Y2`, `t2 = Z1Z2`, `t3 = X1Y2 + X2Y1`, `t4 = X1Z2 + X2Z1`,
    /// `t5 = Y1Z2 + Y2Z1`.
    #[inline(always)]
    #[allow(
        clippy::too_many_arguments,
        reason = "the formula's six intermediate values"
    )]
    fn add_tail(
        &self,
        t0: &Fe<N>,
        t1: &Fe<N>,
        t2: &Fe<N>,
        t3: &Fe<N>,
        t4: &Fe<N>,
        t5: &Fe<N>,
    ) -> Point<N> {
        let f = &self.p;
        let (t0, t1, t2, t3, t4, t5) = (*t0, *t1, *t2, *t3, *t4, *t5);
        let z3 = self.mul_a(&t4);
        let x3 = f.mul(&self.b3, &t2);
        let z3 = f.add(&x3, &z3);
        let x3 = f.sub(&t1, &z3);
        let z3 = f.add(&t1, &z3);
        let y3 = f.mul(&x3, &z3);
        let t1 = f.add(&t0, &t0);
        let t1 = f.add(&t1, &t0);
        let t2 = self.mul_a(&t2);
        let t4 = f.mul(&self.b3, &t4);
        let t1 = f.add(&t1, &t2);
        let t2 = f.sub(&t0, &t2);
        let t2 = self.mul_a(&t2);
        let t4 = f.add(&t4, &t2);
        let t2 = f.mul(&t1, &t4);
        let y3 = f.add(&y3, &t2);
        let t2 = f.mul(&t5, &t4);
        let x3 = f.mul(&t3, &x3);
        let x3 = f.sub(&x3, &t2);
        let t2 = f.mul(&t3, &t1);
        let z3 = f.mul(&t5, &z3);
        let z3 = f.add(&z3, &t2);
        Point {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Doubling, RCB 2016 Algorithm 3.
    pub(crate) fn double(&self, pt: &Point<N>) -> Point<N> {
        let f = &self.p;
        let (x, y, z) = (&pt.x, &pt.y, &pt.z);
        let t0 = f.square(x);
        let t1 = f.square(y);
        let t2 = f.square(z);
        let t3 = f.mul(x, y);
        let t3 = f.add(&t3, &t3);
        let z3 = f.mul(x, z);
        let z3 = f.add(&z3, &z3);
        let x3 = self.mul_a(&z3);
        let y3 = f.mul(&self.b3, &t2);
        let y3 = f.add(&x3, &y3);
        let x3 = f.sub(&t1, &y3);
        let y3 = f.add(&t1, &y3);
        let y3 = f.mul(&x3, &y3);
        let x3 = f.mul(&t3, &x3);
        let z3 = f.mul(&self.b3, &z3);
        let t2 = self.mul_a(&t2);
        let t3 = f.sub(&t0, &t2);
        let t3 = self.mul_a(&t3);
        let t3 = f.add(&t3, &z3);
        let z3 = f.add(&t0, &t0);
        let t0 = f.add(&z3, &t0);
        let t0 = f.add(&t0, &t2);
        let t0 = f.mul(&t0, &t3);
        let y3 = f.add(&y3, &t0);
        let t2 = f.mul(y, z);
        let t2 = f.add(&t2, &t2);
        let t0 = f.mul(&t2, &t3);
        let x3 = f.sub(&x3, &t0);
        let z3 = f.mul(&t2, &t1);
        let z3 = f.add(&z3, &z3);
        let z3 = f.add(&z3, &z3);
        Point {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Whether `pt` is the identity (constant time).
    pub(crate) fn is_identity(&self, pt: &Point<N>) -> Choice {
        pt.z.ct_eq(&self.p.zero())
    }

    /// Whether `pt` is exactly the identity `(0 : Y : 0)` with `Y ≠ 0` (variable time, for
    /// public points; rejects the degenerate `(0 : 0 : 0)` that exceptional inputs can give).
    pub(crate) fn is_identity_strict(&self, pt: &Point<N>) -> bool {
        let zero = self.p.zero();
        bool::from(pt.z.ct_eq(&zero) & pt.x.ct_eq(&zero) & !pt.y.ct_eq(&zero))
    }

    /// Affine `(x, y)` in Montgomery form; `None` for the identity. Constant time apart from
    /// the identity check's outcome.
    pub(crate) fn to_affine(&self, pt: &Point<N>) -> Option<(Fe<N>, Fe<N>)> {
        if bool::from(self.is_identity(pt)) {
            return None;
        }
        let zi = self.p.invert(&pt.z);
        Some((self.p.mul(&pt.x, &zi), self.p.mul(&pt.y, &zi)))
    }

    /// Whether affine `(x, y)` (Montgomery form) satisfies the curve equation.
    pub(crate) fn is_on_curve(&self, x: &Fe<N>, y: &Fe<N>) -> bool {
        let f = &self.p;
        let lhs = f.square(y);
        let x3 = f.mul(&f.square(x), x);
        let rhs = f.add(&f.add(&x3, &f.mul(&self.a, x)), &self.b);
        bool::from(lhs.ct_eq(&rhs))
    }

    /// Mixed addition `p1 + p2` with `p2` affine: RCB Algorithm 1 with `Z2 = 1` substituted
    /// (complete as long as `p2` is not the identity, which affine points never are).
    pub(crate) fn add_mixed(&self, p1: &Point<N>, p2: &Affine<N>) -> Point<N> {
        let f = &self.p;
        let (x1, y1, z1) = (&p1.x, &p1.y, &p1.z);
        let (x2, y2) = (&p2.x, &p2.y);
        let t0 = f.mul(x1, x2);
        let t1 = f.mul(y1, y2);
        let t2 = *z1;
        let t3 = f.add(x1, y1);
        let t4 = f.add(x2, y2);
        let t3 = f.mul(&t3, &t4);
        let t4 = f.add(&t0, &t1);
        let t3 = f.sub(&t3, &t4);
        // (X1 + Z1)(X2 + 1) − (X1X2 + Z1) = X2·Z1 + X1
        let t4 = f.add(&f.mul(x2, z1), x1);
        // (Y1 + Z1)(Y2 + 1) − (Y1Y2 + Z1) = Y2·Z1 + Y1
        let t5 = f.add(&f.mul(y2, z1), y1);
        self.add_tail(&t0, &t1, &t2, &t3, &t4, &t5)
    }

    /// Whether two projective points are equal.
    #[cfg(test)]
    pub(crate) fn eq(&self, a: &Point<N>, b: &Point<N>) -> bool {
        let f = &self.p;
        let l = f.mul(&a.x, &b.z);
        let r = f.mul(&b.x, &a.z);
        let l2 = f.mul(&a.y, &b.z);
        let r2 = f.mul(&b.y, &a.z);
        bool::from(l.ct_eq(&r) & l2.ct_eq(&r2))
    }
}
