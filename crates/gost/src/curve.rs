//! Short Weierstrass curves `y² = x³ + a·x + b` in projective coordinates with the complete
//! addition formulas of Renes–Costello–Batina 2016 (Algorithms 1 and 3, arbitrary `a`).
//!
//! The formulas are complete on curves without points of order two. The two cofactor-4 curves
//! (TC26-256-A, TC26-512-C) do have one, but all points handled here lie in the odd-order
//! subgroup (multiples of G, and public keys checked with `q·Q = O` before use), where no
//! exceptional case can occur.
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public nibbles (vartime paths)"
)]

use std::sync::{Arc, OnceLock};

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::cache::KeyCache;
use crate::edwards::{Edwards, SplitTables};
use crate::field::{Fe, Modulus, limbs_from_hex, lt_vartime};

/// A point in projective coordinates `(X : Y : Z)`; the identity is `(0 : 1 : 0)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Point<const N: usize> {
    pub(crate) x: Fe<N>,
    pub(crate) y: Fe<N>,
    pub(crate) z: Fe<N>,
}

impl<const N: usize> ConditionallySelectable for Point<N> {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Self {
            x: Fe::conditional_select(&a.x, &b.x, choice),
            y: Fe::conditional_select(&a.y, &b.y, choice),
            z: Fe::conditional_select(&a.z, &b.z, choice),
        }
    }
}

/// Window width of the fixed-base comb for G.
pub(crate) const W: usize = 6;
/// Entries per window of the signed comb: `1·B … 32·B` (digits are in [−32, 31]).
const T: usize = 1 << (W - 1);
/// Window width of the variable-base table (4 bits, for the legacy ladder).
const W4: usize = 4;
/// wNAF width for the variable-base part of verification.
const WNAF: u32 = 5;
/// wNAF width for G in verification (a table of the 2^(WNAF_G−2) = 128 odd multiples).
pub(crate) const WNAF_G: u32 = 9;
/// wNAF width for a public key verified with before (its split tables, built once and kept,
/// hold 2^(WNAF_KEY−2) = 32 odd multiples per 64-bit piece).
pub(crate) const WNAF_KEY: u32 = 7;

/// An affine point `(x, y)` in Montgomery form (never the identity).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine<const N: usize> {
    pub(crate) x: Fe<N>,
    pub(crate) y: Fe<N>,
}

impl<const N: usize> ConditionallySelectable for Affine<N> {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Self {
            x: Fe::conditional_select(&a.x, &b.x, choice),
            y: Fe::conditional_select(&a.y, &b.y, choice),
        }
    }
}

/// Jacobian coordinates `(X/Z², Y/Z³)` for the variable-time verification path; `Z = 0` is
/// the identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jac<const N: usize> {
    x: Fe<N>,
    y: Fe<N>,
    z: Fe<N>,
}

/// Signed recoding of one window value `v ∈ [0, 64]` (6 bits plus the incoming carry):
/// `(|d|, d < 0, carry out)` with `v = d + 64·carry`, `d ∈ [−32, 31]`. Branch-free.
pub(crate) fn signed_digit(v: u64) -> (u64, u64, u64) {
    let carry = (v + 32) >> W;
    let d = (v as i64) - ((carry << W) as i64);
    let neg = ((d >> 63) & 1) as u64;
    let abs = ((d ^ (neg as i64).wrapping_neg()) + neg as i64) as u64;
    (abs, neg, carry)
}

/// `w` bits of `k` starting at bit `pos` (public position; little-endian limbs).
pub(crate) fn bits_at<const N: usize>(k: &[u64; N], pos: usize, w: usize) -> u64 {
    let limb = pos / 64;
    let shift = pos % 64;
    let mut v = k.get(limb).copied().unwrap_or(0) >> shift;
    if shift + w > 64 && shift != 0 {
        v |= k.get(limb + 1).copied().unwrap_or(0) << (64 - shift);
    }
    v & ((1u64 << w) - 1)
}

/// Everything about one curve, in Montgomery form where it is a field element.
#[derive(Debug)]
pub(crate) struct Curve<const N: usize> {
    /// The base field.
    pub(crate) p: Modulus<N>,
    /// The scalar ring modulo the subgroup order q.
    pub(crate) q: Modulus<N>,
    a: Fe<N>,
    b: Fe<N>,
    b3: Fe<N>,
    /// Whether `a = −3` (CryptoPro-A/B/C, TC26-512-A/B): cheaper Jacobian doubling.
    a_minus_3: bool,
    /// The generator (Z = 1).
    pub(crate) g: Point<N>,
    /// Cofactor h (#E = h·q).
    pub(crate) cofactor: u32,
    /// `table[i][j] = (j+1)·2^(6i)·G` (Weierstrass; not built for the Edwards curves).
    table: OnceLock<Vec<[Affine<N>; T]>>,
    /// The Edwards form, for the two cofactor-4 curves: their scalar multiplications run there.
    ed: Option<Edwards<N>>,
    /// `G, 3G, …, 255G` (affine) for the verification wNAF; built on first use.
    g_odd: OnceLock<Vec<Affine<N>>>,
    /// The same for `2^(64j)·G`, `j = 0..N` (Weierstrass verification with a key seen before).
    g_split: OnceLock<Vec<Vec<Affine<N>>>>,
    /// Public keys verified with recently: `None` after the first signature, the key's split
    /// tables from the second one on (see [`Curve::mul2_vartime_matches_r`]).
    prepared: KeyCache<Option<Arc<KeyTables<N>>>>,
}

/// Per-key verification tables: odd multiples of `2^(64j)·Q` for `j = 0..N` (affine).
#[derive(Debug)]
enum KeyTables<const N: usize> {
    /// In Edwards form (the cofactor-4 curves).
    Edwards(SplitTables<N>),
    /// In Weierstrass form.
    Weierstrass(Vec<Vec<Affine<N>>>),
}

/// Hex constants of one curve (big-endian, as in the reference).
pub(crate) struct CurveHex {
    pub(crate) p: &'static str,
    pub(crate) a: &'static str,
    pub(crate) b: &'static str,
    pub(crate) q: &'static str,
    pub(crate) x: &'static str,
    pub(crate) y: &'static str,
    pub(crate) cofactor: u32,
    /// `d` of the Edwards form `u² + v² = 1 + d·u²·v²` (the cofactor-4 curves only).
    pub(crate) edwards_d: Option<&'static str>,
}

impl<const N: usize> Curve<N> {
    /// Builds the curve from its constants.
    pub(crate) fn new(c: &CurveHex) -> Self {
        let p = Modulus::new_field(limbs_from_hex::<N>(c.p));
        let q = Modulus::new(limbs_from_hex::<N>(c.q));
        let a = p.to_mont(&limbs_from_hex::<N>(c.a));
        let b = p.to_mont(&limbs_from_hex::<N>(c.b));
        let b3 = p.add(&p.add(&b, &b), &b);
        let g = Point {
            x: p.to_mont(&limbs_from_hex::<N>(c.x)),
            y: p.to_mont(&limbs_from_hex::<N>(c.y)),
            z: p.one(),
        };
        let three = p.add(&p.add(&p.one(), &p.one()), &p.one());
        let a_minus_3 = a == p.neg(&three);
        let ed = c
            .edwards_d
            .map(|d| Edwards::new(&p, p.to_mont(&limbs_from_hex::<N>(d)), &g));
        Self {
            p,
            q,
            a,
            b,
            b3,
            a_minus_3,
            g,
            cofactor: c.cofactor,
            table: OnceLock::new(),
            ed,
            g_odd: OnceLock::new(),
            g_split: OnceLock::new(),
            prepared: KeyCache::new(),
        }
    }

    /// The Edwards form, if the curve has one in use.
    pub(crate) fn edwards(&self) -> Option<&Edwards<N>> {
        self.ed.as_ref()
    }

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

    /// Converts **public** projective points (none the identity) to affine with one
    /// variable-time inversion (the G table and the verification multiples only).
    fn batch_affine(&self, pts: &[Point<N>]) -> Vec<Affine<N>> {
        let f = &self.p;
        let zs: Vec<Fe<N>> = pts.iter().map(|p| p.z).collect();
        pts.iter()
            .zip(f.batch_invert_vartime(&zs))
            .map(|(p, zi)| Affine {
                x: f.mul(&p.x, &zi),
                y: f.mul(&p.y, &zi),
            })
            .collect()
    }

    /// The fixed-base signed comb for G, built on first use: `table[i][j] = (j+1)·2^(6i)·G`
    /// (affine) for `j = 0..32`.
    fn table(&self) -> &[[Affine<N>; T]] {
        self.table.get_or_init(|| {
            let windows = (64 * N + 1).div_ceil(W);
            let mut out = Vec::with_capacity(windows);
            let mut base = self.g;
            for _ in 0..windows {
                let mut row = [base; T];
                for j in 1..T {
                    row[j] = self.add(&row[j - 1], &base);
                }
                // Next base = 2^W·base = 2·(32·base).
                let next = self.double(&row[T - 1]);
                let affine = self.batch_affine(&row);
                let mut arr = [affine[0]; T];
                arr.copy_from_slice(&affine);
                out.push(arr);
                base = next;
            }
            out
        })
    }

    /// `k·G` in constant time (k given as limbs, any value below 2^(64N)). Signed 6-bit
    /// digits in [−32, 31] (branch-free recoding), one mixed complete addition per window;
    /// every table entry of a window is read and masked, the sign applied by a constant-time
    /// negation, and a zero digit discarded by a constant-time select.
    pub(crate) fn mul_base_ct(&self, k: &[u64; N]) -> Point<N> {
        if let Some(ed) = &self.ed {
            return ed.ext_to_weierstrass(&self.p, &ed.mul_base_ct(&self.p, k));
        }
        self.mul_base_ct_weierstrass(k)
    }

    /// [`Curve::mul_base_ct`] with the Weierstrass comb (every curve; the Edwards curves use
    /// it only in the tests, as a reference).
    pub(crate) fn mul_base_ct_weierstrass(&self, k: &[u64; N]) -> Point<N> {
        let table = self.table();
        let mut acc = self.identity();
        let mut carry = 0u64;
        for (i, row) in table.iter().enumerate() {
            let (abs, neg, c) = signed_digit(bits_at(k, i * W, W) + carry);
            carry = c;
            let mut x = row[0].x.0;
            let mut y = row[0].y.0;
            for (j, entry) in row.iter().enumerate().skip(1) {
                let hit = ((j + 1) as u64).ct_eq(&abs);
                let mask = 0u64.wrapping_sub(u64::from(hit.unwrap_u8()));
                for l in 0..N {
                    x[l] = (x[l] & !mask) | (entry.x.0[l] & mask);
                    y[l] = (y[l] & !mask) | (entry.y.0[l] & mask);
                }
            }
            let y = Fe(y);
            let sel = Affine {
                x: Fe(x),
                y: Fe::conditional_select(&y, &self.p.neg(&y), Choice::from(neg as u8)),
            };
            let sum = self.add_mixed(&acc, &sel);
            acc = Point::conditional_select(&sum, &acc, abs.ct_eq(&0));
        }
        acc
    }

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
            let nibble = bits_at(k, i * W4, W4) as usize;
            if nibble != 0 {
                acc = self.add(&acc, &row[nibble]);
                started = true;
            }
        }
        acc
    }

    // --- Jacobian, variable time (verification only) -----------------------------------------

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

    /// `P, 3P, …, (2·count − 1)·P` (projective, complete formulas); `None` if one of them is
    /// the identity (never for points of the order-q subgroup).
    fn odd_multiples(&self, pt: &Point<N>, count: usize) -> Option<Vec<Point<N>>> {
        let two_p = self.double(pt);
        let mut odd = Vec::with_capacity(count);
        let mut cur = *pt;
        odd.push(cur);
        for _ in 1..count {
            cur = self.add(&cur, &two_p);
            odd.push(cur);
        }
        if odd.iter().any(|p| bool::from(self.is_identity(p))) {
            return None;
        }
        Some(odd)
    }

    /// For `j = 0..N`: the `count` odd multiples of `2^(64j)·P`, affine (one inversion);
    /// `None` as for [`Self::odd_multiples`].
    fn split_tables(&self, pt: &Point<N>, count: usize) -> Option<Vec<Vec<Affine<N>>>> {
        let mut all = Vec::with_capacity(N * count);
        let mut base = *pt;
        for j in 0..N {
            if j > 0 {
                for _ in 0..64 {
                    base = self.double(&base);
                }
            }
            all.extend(self.odd_multiples(&base, count)?);
        }
        Some(
            self.batch_affine(&all)
                .chunks(count)
                .map(<[Affine<N>]>::to_vec)
                .collect(),
        )
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
    fn mul2_vartime_jac(&self, u1: &[u64; N], pt: &Point<N>, u2: &[u64; N]) -> Option<Jac<N>> {
        let odd = self.batch_affine(&self.odd_multiples(pt, 1 << (WNAF - 2))?);
        let g_odd = self.g_odd.get_or_init(|| {
            // G has order q, so none of its small multiples is the identity.
            self.odd_multiples(&self.g, 1 << (WNAF_G - 2))
                .map(|pts| self.batch_affine(&pts))
                .unwrap_or_default()
        });
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
    fn mul2_split_jac(
        &self,
        u1: &[u64; N],
        key: &[Vec<Affine<N>>],
        u2: &[u64; N],
    ) -> Option<Jac<N>> {
        let g = self.g_split.get_or_init(|| {
            self.split_tables(&self.g, 1 << (WNAF_G - 2))
                .unwrap_or_default()
        });
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

/// Digit positions of the width-`w` NAF of a 64-bit value (one more than its bits).
pub(crate) const PIECE_DIGITS: usize = 65;

/// Width-`w` NAF digits of every 64-bit limb of `k` on its own, least significant first:
/// `k = Σ_j 2^(64j) · Σ_i digits[j][i]·2^i`, each digit zero or odd with `|d| < 2^(w−1)`
/// (public scalars only; `w ≤ 15`).
pub(crate) fn split_wnaf<const N: usize>(k: &[u64; N], w: u32) -> [[i16; PIECE_DIGITS]; N] {
    let mut out = [[0i16; PIECE_DIGITS]; N];
    let window = 1i128 << w;
    for (limb, digits) in k.iter().zip(out.iter_mut()) {
        // v stays below 2^64 + 2^(w−1), so it has at most 65 digit positions.
        let mut v = i128::from(*limb);
        let mut pos = 0usize;
        while v != 0 {
            let tz = v.trailing_zeros();
            v >>= tz;
            pos += tz as usize;
            let mut d = v & (window - 1);
            if d >= window / 2 {
                d -= window;
            }
            v -= d;
            if let Some(slot) = digits.get_mut(pos) {
                *slot = d as i16;
            }
        }
    }
    out
}

/// Width-`w` NAF digits of `k`, least significant first, up to the top nonzero digit (public
/// scalars only): runs of zero bits are skipped a whole shift at a time.
pub(crate) fn wnaf<const N: usize>(k: &[u64; N], w: u32) -> Vec<i32> {
    let mut limbs = k.to_vec();
    limbs.push(0);
    let mut out = vec![0i32; 64 * N + 1];
    let window = 1i64 << w;
    let mut pos = 0usize;
    let mut len = 0usize;
    while let Some(first) = limbs.iter().position(|l| *l != 0) {
        let tz = first * 64 + limbs[first].trailing_zeros() as usize;
        shr_limbs(&mut limbs, tz);
        pos += tz;
        let mut digit = (limbs[0] & (window as u64 - 1)) as i64;
        if digit >= window / 2 {
            digit -= window;
        }
        // k -= digit: k becomes a multiple of 2^w.
        if digit > 0 {
            let mut borrow = digit as u64;
            for l in limbs.iter_mut() {
                let (v, b) = l.overflowing_sub(borrow);
                *l = v;
                borrow = u64::from(b);
                if borrow == 0 {
                    break;
                }
            }
        } else {
            let mut carry = digit.unsigned_abs();
            for l in limbs.iter_mut() {
                let (v, c) = l.overflowing_add(carry);
                *l = v;
                carry = u64::from(c);
                if carry == 0 {
                    break;
                }
            }
        }
        if let Some(slot) = out.get_mut(pos) {
            *slot = digit as i32;
            len = pos + 1;
        }
    }
    out.truncate(len);
    out
}

/// `x >>= n` over little-endian limbs (zeros shifted in).
fn shr_limbs(x: &mut [u64], n: usize) {
    let (words, bits) = (n / 64, n % 64);
    let len = x.len();
    for i in 0..len {
        let lo = x.get(i + words).copied().unwrap_or(0);
        let hi = x.get(i + words + 1).copied().unwrap_or(0);
        x[i] = if bits == 0 {
            lo
        } else {
            (lo >> bits) | (hi << (64 - bits))
        };
    }
}

/// The nine distinct curves, built on first use.
pub(crate) mod params {
    use super::{Curve, CurveHex};
    use std::sync::OnceLock;
    use token_core::GostCurve;

    const TEST256: CurveHex = CurveHex {
        p: "8000000000000000000000000000000000000000000000000000000000000431",
        a: "0000000000000000000000000000000000000000000000000000000000000007",
        b: "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
        q: "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
        x: "0000000000000000000000000000000000000000000000000000000000000002",
        y: "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
        cofactor: 1,
        edwards_d: None,
    };
    const CP_A: CurveHex = CurveHex {
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
        b: "00000000000000000000000000000000000000000000000000000000000000A6",
        q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
        x: "0000000000000000000000000000000000000000000000000000000000000001",
        y: "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
        cofactor: 1,
        edwards_d: None,
    };
    const CP_B: CurveHex = CurveHex {
        p: "8000000000000000000000000000000000000000000000000000000000000C99",
        a: "8000000000000000000000000000000000000000000000000000000000000C96",
        b: "3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B",
        q: "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
        x: "0000000000000000000000000000000000000000000000000000000000000001",
        y: "3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC",
        cofactor: 1,
        edwards_d: None,
    };
    const CP_C: CurveHex = CurveHex {
        p: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
        a: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598",
        b: "000000000000000000000000000000000000000000000000000000000000805A",
        q: "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
        x: "0000000000000000000000000000000000000000000000000000000000000000",
        y: "41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67",
        cofactor: 1,
        edwards_d: None,
    };
    const TC26_256A: CurveHex = CurveHex {
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        a: "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
        b: "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
        q: "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
        x: "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
        y: "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
        cofactor: 4,
        edwards_d: Some("0605F6B7C183FA81578BC39CFAD518132B9DF62897009AF7E522C32D6DC7BFFB"),
    };
    const TEST512: CurveHex = CurveHex {
        p: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15DF1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
        a: "7",
        b: "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC4361834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
        q: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15DA82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
        x: "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
        y: "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
        cofactor: 1,
        edwards_d: None,
    };
    const TC26_512A: CurveHex = CurveHex {
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
        b: "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
        q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
        x: "3",
        y: "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
        cofactor: 1,
        edwards_d: None,
    };
    const TC26_512B: CurveHex = CurveHex {
        p: "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006F",
        a: "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006C",
        b: "687D1B459DC841457E3E06CF6F5E2517B97C7D614AF138BCBF85DC806C4B289F3E965D2DB1416D217F8B276FAD1AB69C50F78BEE1FA3106EFB8CCBC7C5140116",
        q: "800000000000000000000000000000000000000000000000000000000000000149A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD",
        x: "2",
        y: "1A8F7EDA389B094C2C071E3647A8940F3C123B697578C213BE6DD9E6C8EC7335DCB228FD1EDF4A39152CBCAAF8C0398828041055F94CEEEC7E21340780FE41BD",
        cofactor: 1,
        edwards_d: None,
    };
    const TC26_512C: CurveHex = CurveHex {
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        a: "DC9203E514A721875485A529D2C722FB187BC8980EB866644DE41C68E143064546E861C0E2C9EDD92ADE71F46FCF50FF2AD97F951FDA9F2A2EB6546F39689BD3",
        b: "B4C4EE28CEBC6C2C8AC12952CF37F16AC7EFB6A9F69F4B57FFDA2E4F0DE5ADE038CBC2FFF719D2C18DE0284B8BFEF3B52B8CC7A5F5BF0A3C8D2319A5312557E1",
        q: "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED",
        x: "E2E31EDFC23DE7BDEBE241CE593EF5DE2295B7A9CBAEF021D385F7074CEA043AA27272A7AE602BF2A7B9033DB9ED3610C6FB85487EAE97AAC5BC7928C1950148",
        y: "F5CE40D95B5EB899ABBCCFF5911CB8577939804D6527378B8C108C3D2090FF9BE18E2D33E3021ED2EF32D85822423B6304F726AA854BAE07D0396E9A9ADDC40F",
        cofactor: 4,
        edwards_d: Some(
            "9E4F5D8C017D8D9F13A5CF3CDF5BFE4DAB402D54198E31EBDE28A0621050439CA6B39E0A515C06B304E2CE43E79E369E91A0CFC2BC2A22B4CA302DBB33EE7550",
        ),
    };

    macro_rules! curve_fn {
        ($name:ident, $n:literal, $hex:ident) => {
            fn $name() -> &'static Curve<$n> {
                static C: OnceLock<Curve<$n>> = OnceLock::new();
                C.get_or_init(|| Curve::new(&$hex))
            }
        };
    }
    curve_fn!(test256, 4, TEST256);
    curve_fn!(cp_a, 4, CP_A);
    curve_fn!(cp_b, 4, CP_B);
    curve_fn!(cp_c, 4, CP_C);
    curve_fn!(tc26_256a, 4, TC26_256A);
    curve_fn!(test512, 8, TEST512);
    curve_fn!(tc26_512a, 8, TC26_512A);
    curve_fn!(tc26_512b, 8, TC26_512B);
    curve_fn!(tc26_512c, 8, TC26_512C);

    /// A curve of either size.
    #[derive(Clone, Copy, Debug)]
    pub(crate) enum AnyCurve {
        /// 256-bit.
        C256(&'static Curve<4>),
        /// 512-bit.
        C512(&'static Curve<8>),
    }

    /// The curve for a [`GostCurve`]; `None` for a curve this crate does not know (the enum
    /// is non-exhaustive).
    pub(crate) fn curve(c: GostCurve) -> Option<AnyCurve> {
        Some(match c {
            GostCurve::Test256 => AnyCurve::C256(test256()),
            GostCurve::CryptoProA => AnyCurve::C256(cp_a()),
            GostCurve::CryptoProB => AnyCurve::C256(cp_b()),
            GostCurve::CryptoProC => AnyCurve::C256(cp_c()),
            GostCurve::Tc26_256A => AnyCurve::C256(tc26_256a()),
            GostCurve::Test512 => AnyCurve::C512(test512()),
            GostCurve::Tc26_512A => AnyCurve::C512(tc26_512a()),
            GostCurve::Tc26_512B => AnyCurve::C512(tc26_512b()),
            GostCurve::Tc26_512C => AnyCurve::C512(tc26_512c()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::params::{AnyCurve, curve};
    use super::*;
    use token_core::GostCurve;

    fn check<const N: usize>(c: &Curve<N>) {
        let (gx, gy) = c.to_affine(&c.g).unwrap();
        assert!(c.is_on_curve(&gx, &gy));
        // Doubling agrees with addition, and stays on the curve.
        let d = c.double(&c.g);
        let (dx, dy) = c.to_affine(&d).unwrap();
        assert!(c.is_on_curve(&dx, &dy), "2G on curve");
        let d2 = c.add(&c.g, &c.g);
        let (dx, dy) = c.to_affine(&d2).unwrap();
        assert!(c.is_on_curve(&dx, &dy), "G+G on curve");
        assert!(c.eq(&d, &d2));
        let t = c.add(&d, &c.g);
        let (tx, ty) = c.to_affine(&t).unwrap();
        assert!(c.is_on_curve(&tx, &ty), "3G on curve");
        // q·G = O.
        assert!(
            bool::from(c.is_identity(&c.mul_vartime(&c.g, &c.q.m))),
            "qG"
        );
        // Fixed-base (constant-time) agrees with the generic ladder.
        let mut k = c.q.m;
        k[0] ^= 0x1234_5678;
        k[N - 1] >>= 1;
        let a = c.mul_base_ct(&k);
        let b = c.mul_vartime(&c.g, &k);
        assert!(c.eq(&a, &b));
        // Scalars with long runs of ones and zeros exercise the signed-digit carries.
        let mut ones = [u64::MAX; N];
        ones[N - 1] >>= 3;
        let mut qm1 = c.q.m;
        qm1[0] -= 1;
        for s in [ones, qm1, [0x5555_5555_5555_5555; N].map(|x| x >> 2), k] {
            assert!(c.eq(&c.mul_base_ct(&s), &c.mul_vartime(&c.g, &s)));
            // The Edwards comb (cofactor-4 curves) equals the Weierstrass comb.
            assert!(c.eq(&c.mul_base_ct(&s), &c.mul_base_ct_weierstrass(&s)));
        }
        // k = 0 gives the identity on every path.
        assert!(bool::from(c.is_identity(&c.mul_base_ct(&[0; N]))));
        assert!(c.is_identity_strict(&c.mul_base_ct(&[0; N])));
        // Small scalars, including digits that are zero.
        for small in [1u64, 2, 31, 32, 33, 63, 64, 65, 4096] {
            let mut s = [0u64; N];
            s[0] = small;
            assert!(
                c.eq(&c.mul_base_ct(&s), &c.mul_vartime(&c.g, &s)),
                "{small}"
            );
        }
        // u1·G + u2·P via Jacobian/wNAF equals the complete-formula result.
        let p = c.mul_vartime(&c.g, &[7u64; N].map(|x| x & 0xffff));
        let mut u2 = c.q.m;
        u2[0] ^= 0xdead_beef;
        u2[N - 1] >>= 2;
        let expect = c.add(&c.mul_vartime(&c.g, &k), &c.mul_vartime(&p, &u2));
        let (ex, _) = c.to_affine(&expect).unwrap();
        let x = c.p.retrieve(&ex);
        assert_eq!(c.mul2_vartime_x(&k, &p, &u2), Some(x));
        // The inversion-free check agrees: x mod q matches, a neighbour does not.
        let r = c.q.retrieve(&c.q.to_mont(&x));
        assert!(
            c.mul2_vartime_matches_r(&k, &p, &u2, &r),
            "p={:x?} x={x:x?} r={r:x?}",
            c.p.m
        );
        let mut r2 = r;
        r2[0] ^= 1;
        assert!(!c.mul2_vartime_matches_r(&k, &p, &u2, &r2));
        check_split(c, &p, [k, u2, ones, qm1]);
        let (ax, ay) = c.to_affine(&a).unwrap();
        assert!(c.is_on_curve(&ax, &ay));
        // Identity handling.
        let o = c.identity();
        assert!(c.eq(&c.add(&o, &c.g), &c.g));
        assert!(bool::from(c.is_identity(&c.double(&o))));
        let neg = Point {
            x: c.g.x,
            y: c.p.neg(&c.g.y),
            z: c.g.z,
        };
        assert!(bool::from(c.is_identity(&c.add(&neg, &c.g))));
    }

    fn check_edwards<const N: usize>(c: &Curve<N>, u_hex: &str, v_hex: &str) {
        let f = &c.p;
        let ed = c.edwards().unwrap();
        // d is a non-square (a = 1 is a square): the Edwards addition is complete.
        let mut half = f.m;
        half[0] -= 1;
        let mut carry = 0;
        for l in half.iter_mut().rev() {
            let next = *l & 1;
            *l = (*l >> 1) | (carry << 63);
            carry = next;
        }
        let (s, t) = ed.s_t();
        // a = s² − 3t², b = 2t³ − t·s² (RFC 7836 §A).
        let t2 = f.square(&t);
        let a = f.sub(&f.square(&s), &f.add(&f.add(&t2, &t2), &t2));
        assert_eq!(a, c.a);
        let t3 = f.mul(&t2, &t);
        let b = f.sub(&f.add(&t3, &t3), &f.mul(&t, &f.square(&s)));
        assert_eq!(b, c.b);
        // The generator maps to the reference (u, v).
        let (u, v) = ed.g_affine(f);
        assert_eq!(f.retrieve(&u), limbs_from_hex::<N>(u_hex));
        assert_eq!(f.retrieve(&v), limbs_from_hex::<N>(v_hex));
        // Random-looking scalars: Edwards comb = Weierstrass comb = ladder.
        let mut k = c.q.m;
        for i in 0..20u64 {
            k[(i as usize) % N] ^= 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i + 1);
            k[N - 1] &= u64::MAX >> 3;
            let a = c.mul_base_ct(&k);
            assert!(c.eq(&a, &c.mul_base_ct_weierstrass(&k)), "{i}");
            let (x, y) = c.to_affine(&a).unwrap();
            assert!(c.is_on_curve(&x, &y));
        }
        // Verification in Edwards form agrees with the Jacobian (Weierstrass) path, including
        // short scalars and a public point with a non-trivial Z.
        let p = c.mul_base_ct(&[0x0bad_cafe; N]);
        for i in 0..12u64 {
            let mut u1 = k;
            let mut u2 = c.q.m;
            u2[0] ^= i.wrapping_mul(0x1234_5678_9abc_def1);
            u2[N - 1] >>= 1 + (i as u32 % 3);
            if i % 4 == 1 {
                u1 = [0; N];
                u1[0] = i + 1;
            }
            if i % 4 == 2 {
                u2 = [0; N];
                u2[0] = 3 * i;
            }
            let x = c.mul2_vartime_x(&u1, &p, &u2).unwrap();
            let r = c.q.retrieve(&c.q.to_mont(&x));
            assert!(c.mul2_vartime_matches_r(&u1, &p, &u2, &r), "{i}");
            let mut r2 = r;
            r2[0] ^= 2;
            assert!(!c.mul2_vartime_matches_r(&u1, &p, &u2, &r2), "{i}");
            k[0] = k[0].rotate_left(7) ^ i;
        }
        // d^((p−1)/2) = −1.
        let dpow = f.pow_public(&ed_d(ed), &half);
        assert_eq!(dpow, f.neg(&f.one()));
    }

    fn ed_d<const N: usize>(ed: &Edwards<N>) -> Fe<N> {
        ed.d()
    }

    #[test]
    fn edwards_forms_match_the_reference() {
        let AnyCurve::C256(c) = curve(GostCurve::Tc26_256A).unwrap() else {
            panic!()
        };
        check_edwards(
            c,
            "0D",
            "60CA1E32AA475B348488C38FAB07649CE7EF8DBE87F22E81F92B2592DBA300E7",
        );
        let AnyCurve::C512(c) = curve(GostCurve::Tc26_512C).unwrap() else {
            panic!()
        };
        check_edwards(
            c,
            "12",
            "469AF79D1FB1F5E16B99592B77A01E2A0FDFB0D01794368D9A56117F7B38669522DD4B650CF789EEBF068C5D139732F0905622C04B2BAAE7600303EE73001A3D",
        );
        for gc in [GostCurve::CryptoProA, GostCurve::Tc26_512A] {
            match curve(gc).unwrap() {
                AnyCurve::C256(c) => assert!(c.edwards().is_none()),
                AnyCurve::C512(c) => assert!(c.edwards().is_none()),
            }
        }
    }

    /// The split tables (keys verified with before) give the same results as the plain
    /// interleaved wNAF, directly and through the per-key cache (first, second and third use).
    fn check_split<const N: usize>(c: &Curve<N>, p: &Point<N>, scalars: [[u64; N]; 4]) {
        let (px, py) = c.to_affine(p).unwrap();
        let pa = Point {
            x: px,
            y: py,
            z: c.p.one(),
        };
        let mut all = scalars.to_vec();
        // Every limb's wNAF carries into the 65th digit; zero limbs; a single top bit.
        all.push([u64::MAX; N]);
        let mut top = [0u64; N];
        top[N - 1] = 1 << 60;
        all.push(top);
        let mut sparse = [0u64; N];
        sparse[0] = 3;
        sparse[N / 2] = 0x8000_0000_0000_0001;
        all.push(sparse);
        for u1 in &all {
            for u2 in &all {
                let Some(x) = c.mul2_vartime_x(u1, &pa, u2) else {
                    continue;
                };
                let r = c.q.retrieve(&c.q.to_mont(&x));
                if r == [0; N] {
                    continue;
                }
                let mut wrong = r;
                wrong[0] ^= 2;
                match &c.ed {
                    Some(ed) => {
                        let t = ed.key_tables(&c.p, &pa);
                        assert!(ed.mul2_split_matches_r(&c.p, &c.q.m, u1, &t, u2, &r));
                        assert!(!ed.mul2_split_matches_r(&c.p, &c.q.m, u1, &t, u2, &wrong));
                    }
                    None => {
                        let t = c.split_tables(&pa, 1 << (WNAF_KEY - 2)).unwrap();
                        let acc = c.mul2_split_jac(u1, &t, u2).unwrap();
                        let zi = c.p.invert(&acc.z);
                        let ax = c.p.retrieve(&c.p.mul(&acc.x, &c.p.square(&zi)));
                        assert_eq!(ax, x, "u1={u1:x?} u2={u2:x?}");
                    }
                }
            }
        }
        let (u1, u2) = (scalars[0], scalars[1]);
        let x = c.mul2_vartime_x(&u1, &pa, &u2).unwrap();
        let r = c.q.retrieve(&c.q.to_mont(&x));
        let mut wrong = r;
        wrong[0] ^= 2;
        for _ in 0..3 {
            assert!(c.mul2_vartime_matches_r(&u1, &pa, &u2, &r));
            assert!(!c.mul2_vartime_matches_r(&u1, &pa, &u2, &wrong));
        }
        let key: Vec<u64> = pa.x.0.iter().chain(pa.y.0.iter()).copied().collect();
        assert!(
            matches!(c.prepared.get(&key), Some(Some(_))),
            "tables are kept after the second use"
        );
    }

    /// The one-bit-at-a-time wNAF the fast one replaced, as a reference.
    fn wnaf_reference<const N: usize>(k: &[u64; N], w: u32) -> Vec<i32> {
        let mut limbs = k.to_vec();
        limbs.push(0);
        let mut out = Vec::new();
        let window = 1i64 << w;
        while limbs.iter().any(|x| *x != 0) {
            let mut digit = 0i64;
            if limbs[0] & 1 == 1 {
                digit = (limbs[0] & (window as u64 - 1)) as i64;
                if digit >= window / 2 {
                    digit -= window;
                }
                let (mut v, neg) = (digit.unsigned_abs(), digit < 0);
                for l in limbs.iter_mut() {
                    let (x, o) = if neg {
                        l.overflowing_add(v)
                    } else {
                        l.overflowing_sub(v)
                    };
                    *l = x;
                    v = u64::from(o);
                }
            }
            out.push(digit as i32);
            let mut carry = 0u64;
            for l in limbs.iter_mut().rev() {
                let next = *l & 1;
                *l = (*l >> 1) | (carry << 63);
                carry = next;
            }
        }
        out
    }

    #[test]
    fn wnaf_matches_the_reference() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut cases: Vec<[u64; 8]> = vec![[0; 8], [u64::MAX; 8], [1, 0, 0, 0, 0, 0, 0, 0]];
        cases.push([0, 0, 0, 1 << 63, 0, 0, 0, 0]);
        cases.push([u64::MAX, 0, u64::MAX, 0, 1, 0, 0, 1 << 63]);
        for _ in 0..200 {
            let mut k = [0u64; 8];
            for l in k.iter_mut() {
                *l = next() & next();
            }
            cases.push(k);
        }
        for k in &cases {
            for w in [2, 4, 5, 7, 9] {
                assert_eq!(wnaf(k, w), wnaf_reference(k, w), "{k:x?} w={w}");
                let k4 = [k[0], k[1], k[2], k[3]];
                assert_eq!(wnaf(&k4, w), wnaf_reference(&k4, w));
            }
        }
    }

    #[test]
    fn all_curves_are_consistent() {
        for gc in [
            GostCurve::Test256,
            GostCurve::CryptoProA,
            GostCurve::CryptoProB,
            GostCurve::CryptoProC,
            GostCurve::Tc26_256A,
            GostCurve::Test512,
            GostCurve::Tc26_512A,
            GostCurve::Tc26_512B,
            GostCurve::Tc26_512C,
        ] {
            match curve(gc).unwrap() {
                AnyCurve::C256(c) => check(c),
                AnyCurve::C512(c) => check(c),
            }
        }
    }
}

#[cfg(test)]
mod timing {
    use super::params::{AnyCurve, curve};
    use token_core::GostCurve;

    #[test]
    #[ignore = "timing probe"]
    fn probe() {
        let AnyCurve::C256(c) = curve(GostCurve::CryptoProA).unwrap() else {
            panic!()
        };
        let mut x = c.g.y;
        let n = 1_000_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            x = c.p.mul(&x, &c.g.y);
        }
        let dt = t.elapsed();
        println!("mul256: {:?}/op {:?}", dt / n, x.0[0]);
        let mut pt = c.g;
        let t = std::time::Instant::now();
        for _ in 0..100_000 {
            pt = c.add(&pt, &c.g);
        }
        println!("add256: {:?}/op", t.elapsed() / 100_000);
        let t = std::time::Instant::now();
        for _ in 0..100_000 {
            pt = c.double(&pt);
        }
        println!("dbl256: {:?}/op {:?}", t.elapsed() / 100_000, pt.x.0[0]);
        let t = std::time::Instant::now();
        for _ in 0..1000 {
            x = c.p.invert(&x);
        }
        println!("inv256: {:?}/op", t.elapsed() / 1000);
        let k = c.q.m;
        let t = std::time::Instant::now();
        for _ in 0..1000 {
            pt = c.mul_base_ct(&k);
        }
        println!("mulbase: {:?}/op {:?}", t.elapsed() / 1000, pt.x.0[0]);
    }
}
