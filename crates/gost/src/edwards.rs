//! The Edwards form `u² + v² = 1 + d·u²·v²` (RFC 7836 §A, e = 1) of the two cofactor-4
//! curves, TC26-256-A and TC26-512-C, used for their scalar multiplications.
//!
//! Both curves are birationally equivalent to their short Weierstrass form through
//! `s = (1 − d)/4`, `t = (1 + d)/6`:
//! `x = s(1 + v)/(1 − v) + t`, `y = s(1 + v)/((1 − v)·u)` and back
//! `u = (x − t)/y`, `v = (x − t − s)/(x − t + s)`.
//! With `a = 1` a square and `d` a non-square modulo p (checked in the tests), the unified
//! extended-coordinate formulas of Hisil–Wong–Carter–Dawson 2008 are complete: no input
//! (identity, doubling, inverses) is exceptional, so the constant-time comb needs no special
//! cases. The maps are exact for every point of the odd-order subgroup, which is all that
//! ever reaches them (multiples of G, and public keys already checked with `q·Q = O`).
//!
//! Costs: mixed addition 8M, doubling 3M + 4S (4M + 4S when the next step adds), against
//! 11M + 5 constant multiplications for the general-`a` complete Weierstrass addition.
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public digits (vartime paths)"
)]

use std::sync::OnceLock;

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::curve::{
    PIECE_DIGITS, Point, W, WNAF_G, WNAF_KEY, any_x_candidate, bits_at, signed_digit, split_wnaf,
    wnaf,
};
use crate::field::{Fe, Modulus};

/// Entries per window of the signed comb (`1·B … 32·B`).
const T: usize = 1 << (W - 1);
/// wNAF width for the variable base in verification.
const WNAF: u32 = 5;

/// Extended coordinates `(X : Y : Z : T)`: `u = X/Z`, `v = Y/Z`, `T = X·Y/Z`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ext<const N: usize> {
    x: Fe<N>,
    y: Fe<N>,
    z: Fe<N>,
    t: Fe<N>,
}

/// An affine point with `d·u·v` precomputed (table entries); the identity is `(0, 1, 0)`.
#[derive(Clone, Copy, Debug)]
struct Niels<const N: usize> {
    u: Fe<N>,
    v: Fe<N>,
    duv: Fe<N>,
}

/// A projective point with `d·T` precomputed (variable-base multiples in verification).
#[derive(Clone, Copy, Debug)]
struct Cached<const N: usize> {
    x: Fe<N>,
    y: Fe<N>,
    z: Fe<N>,
    dt: Fe<N>,
}

/// Edwards parameters and the Edwards comb table of one cofactor-4 curve.
#[derive(Debug)]
pub(crate) struct Edwards<const N: usize> {
    d: Fe<N>,
    s: Fe<N>,
    t: Fe<N>,
    /// The generator in Edwards form.
    g: Ext<N>,
    /// `table[i][j] = (j+1)·2^(6i)·G` (affine, with `d·u·v`).
    table: OnceLock<Vec<[Niels<N>; T]>>,
    /// `G, 3G, …, 255G` for the verification wNAF; built on first use.
    g_odd: OnceLock<Vec<Niels<N>>>,
    /// The same for `2^(64j)·G`, `j = 0..N` (verification with a key seen before).
    g_split: OnceLock<SplitTables<N>>,
}

/// For `j = 0..N`, odd multiples `P_j, 3P_j, …` of `P_j = 2^(64j)·P` (affine): with them a
/// scalar multiplication splits into N 64-bit pieces that share 65 doublings.
#[derive(Debug)]
pub(crate) struct SplitTables<const N: usize>(Vec<Vec<Niels<N>>>);

impl<const N: usize> Edwards<N> {
    /// Parameters for `u² + v² = 1 + d·u²·v²` (d in Montgomery form of the field `f`), with
    /// the Weierstrass generator `g` (affine, Z = 1).
    pub(crate) fn new(f: &Modulus<N>, d: Fe<N>, g: &Point<N>) -> Self {
        let one = f.one();
        let two = f.add(&one, &one);
        let four = f.add(&two, &two);
        let six = f.add(&four, &two);
        let s = f.mul(&f.sub(&one, &d), &f.invert(&four));
        let t = f.mul(&f.add(&one, &d), &f.invert(&six));
        let mut ed = Self {
            d,
            s,
            t,
            g: Ext {
                x: f.zero(),
                y: one,
                z: one,
                t: f.zero(),
            },
            table: OnceLock::new(),
            g_odd: OnceLock::new(),
            g_split: OnceLock::new(),
        };
        ed.g = ed.weierstrass_to_ext(f, g);
        ed
    }

    /// `d` (for the tests).
    #[cfg(test)]
    pub(crate) fn d(&self) -> Fe<N> {
        self.d
    }

    /// `s` and `t` of the map (for the tests).
    #[cfg(test)]
    pub(crate) fn s_t(&self) -> (Fe<N>, Fe<N>) {
        (self.s, self.t)
    }

    /// The generator's affine Edwards `(u, v)` (for the tests).
    #[cfg(test)]
    pub(crate) fn g_affine(&self, f: &Modulus<N>) -> (Fe<N>, Fe<N>) {
        let zi = f.invert(&self.g.z);
        (f.mul(&self.g.x, &zi), f.mul(&self.g.y, &zi))
    }

    fn identity(f: &Modulus<N>) -> Ext<N> {
        Ext {
            x: f.zero(),
            y: f.one(),
            z: f.one(),
            t: f.zero(),
        }
    }

    /// A Weierstrass point `(X : Y : Z)` of the odd-order subgroup, not the identity, in
    /// extended Edwards coordinates: with `W = X − t·Z`, `u = W/Y`, `v = (W − sZ)/(W + sZ)`.
    pub(crate) fn weierstrass_to_ext(&self, f: &Modulus<N>, p: &Point<N>) -> Ext<N> {
        let w = f.sub(&p.x, &f.mul(&self.t, &p.z));
        let sz = f.mul(&self.s, &p.z);
        let wp = f.add(&w, &sz);
        let wm = f.sub(&w, &sz);
        Ext {
            x: f.mul(&w, &wp),
            y: f.mul(&p.y, &wm),
            z: f.mul(&p.y, &wp),
            t: f.mul(&w, &wm),
        }
    }

    /// Back to Weierstrass projective coordinates, constant time:
    /// `(X : Y : Z) ↦ ((s(Z+Y) + t(Z−Y))·X : s(Z+Y)·Z : (Z−Y)·X)`. The Edwards identity
    /// `(0 : 1 : 1)` maps to the Weierstrass identity `(0 : 2s : 0)`.
    pub(crate) fn ext_to_weierstrass(&self, f: &Modulus<N>, p: &Ext<N>) -> Point<N> {
        let zp = f.add(&p.z, &p.y);
        let zm = f.sub(&p.z, &p.y);
        let szp = f.mul(&self.s, &zp);
        let num = f.add(&szp, &f.mul(&self.t, &zm));
        Point {
            x: f.mul(&num, &p.x),
            y: f.mul(&szp, &p.z),
            z: f.mul(&zm, &p.x),
        }
    }

    /// Doubling (dbl-2008-hwcd with a = 1); `T` is computed only when `with_t` (the caller
    /// adds next). `with_t` is a public schedule, never secret.
    #[inline]
    fn double(f: &Modulus<N>, p: &Ext<N>, with_t: bool) -> Ext<N> {
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
    fn add_niels(&self, f: &Modulus<N>, p: &Ext<N>, q: &Niels<N>) -> Ext<N> {
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
    fn add_cached(&self, f: &Modulus<N>, p: &Ext<N>, q: &Cached<N>) -> Ext<N> {
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

    fn cached(&self, f: &Modulus<N>, p: &Ext<N>) -> Cached<N> {
        Cached {
            x: p.x,
            y: p.y,
            z: p.z,
            dt: f.mul(&self.d, &p.t),
        }
    }

    /// Affine forms of the **public** `pts` (none with Z = 0, which complete formulas never
    /// produce) with one variable-time inversion (the G table only).
    fn batch_niels(&self, f: &Modulus<N>, pts: &[Ext<N>]) -> Vec<Niels<N>> {
        let zs: Vec<Fe<N>> = pts.iter().map(|p| p.z).collect();
        pts.iter()
            .zip(f.batch_invert_vartime(&zs))
            .map(|(p, zi)| {
                let u = f.mul(&p.x, &zi);
                let v = f.mul(&p.y, &zi);
                Niels {
                    u,
                    v,
                    duv: f.mul(&self.d, &f.mul(&u, &v)),
                }
            })
            .collect()
    }

    /// The signed comb for G, built on first use.
    fn table(&self, f: &Modulus<N>) -> &[[Niels<N>; T]] {
        self.table.get_or_init(|| {
            let windows = (64 * N + 1).div_ceil(W);
            let mut out = Vec::with_capacity(windows);
            let mut base = self.g;
            for _ in 0..windows {
                let cb = self.cached(f, &base);
                let mut row = [base; T];
                for j in 1..T {
                    row[j] = self.add_cached(f, &row[j - 1], &cb);
                }
                // Next base = 2^W·base = 2·(32·base).
                let next = Self::double(f, &row[T - 1], true);
                let niels = self.batch_niels(f, &row);
                let mut arr = [niels[0]; T];
                arr.copy_from_slice(&niels);
                out.push(arr);
                base = next;
            }
            out
        })
    }

    /// `k·G` in constant time, in Edwards coordinates (k any value below 2^(64N)). Same
    /// signed 6-bit comb as the Weierstrass one: every entry of a window is read and masked,
    /// the sign applied by a constant-time negation; a zero digit selects the identity
    /// `(0, 1, 0)`, which the complete addition handles like any other point.
    pub(crate) fn mul_base_ct(&self, f: &Modulus<N>, k: &[u64; N]) -> Ext<N> {
        let table = self.table(f);
        let mut acc = Self::identity(f);
        let mut carry = 0u64;
        let one = f.one();
        for (i, row) in table.iter().enumerate() {
            let (abs, neg, c) = signed_digit(bits_at(k, i * W, W) + carry);
            carry = c;
            let mut u = [0u64; N];
            let mut v = one.0;
            let mut duv = [0u64; N];
            for (j, entry) in row.iter().enumerate() {
                let hit = ((j + 1) as u64).ct_eq(&abs);
                let mask = 0u64.wrapping_sub(u64::from(hit.unwrap_u8()));
                for l in 0..N {
                    u[l] = (u[l] & !mask) | (entry.u.0[l] & mask);
                    v[l] = (v[l] & !mask) | (entry.v.0[l] & mask);
                    duv[l] = (duv[l] & !mask) | (entry.duv.0[l] & mask);
                }
            }
            let (u, duv) = (Fe(u), Fe(duv));
            let negate = Choice::from(neg as u8);
            let sel = Niels {
                u: Fe::conditional_select(&u, &f.neg(&u), negate),
                v: Fe(v),
                duv: Fe::conditional_select(&duv, &f.neg(&duv), negate),
            };
            acc = self.add_niels(f, &acc, &sel);
        }
        acc
    }

    /// `P, 3P, …, (2·count − 1)·P` in extended coordinates, no inversion.
    fn odd_multiples_ext(&self, f: &Modulus<N>, p: &Ext<N>, count: usize) -> Vec<Ext<N>> {
        let two_p = self.cached(f, &Self::double(f, p, true));
        let mut out = Vec::with_capacity(count);
        let mut cur = *p;
        out.push(cur);
        for _ in 1..count {
            cur = self.add_cached(f, &cur, &two_p);
            out.push(cur);
        }
        out
    }

    /// `P, 3P, …, 15P` (the width-5 wNAF digits' multiples), projective, no inversion.
    fn odd_multiples(&self, f: &Modulus<N>, p: &Ext<N>) -> Vec<Cached<N>> {
        self.odd_multiples_ext(f, p, 1 << (WNAF - 2))
            .iter()
            .map(|e| self.cached(f, e))
            .collect()
    }

    /// For `j = 0..N`: the `count` odd multiples of `2^(64j)·P`, affine (one inversion).
    fn split_tables(&self, f: &Modulus<N>, p: &Ext<N>, count: usize) -> SplitTables<N> {
        let mut all = Vec::with_capacity(N * count);
        let mut base = *p;
        for j in 0..N {
            if j > 0 {
                for step in 0..64 {
                    base = Self::double(f, &base, step == 63);
                }
            }
            all.extend(self.odd_multiples_ext(f, &base, count));
        }
        SplitTables(
            self.batch_niels(f, &all)
                .chunks(count)
                .map(<[Niels<N>]>::to_vec)
                .collect(),
        )
    }

    /// Verification tables for the public key `pt` (a validated Weierstrass point), for
    /// [`Self::mul2_split_matches_r`]: about 64·(N − 1) doublings and one inversion, so they
    /// pay off from the second signature checked with the same key.
    pub(crate) fn key_tables(&self, f: &Modulus<N>, pt: &Point<N>) -> SplitTables<N> {
        self.split_tables(f, &self.weierstrass_to_ext(f, pt), 1 << (WNAF_KEY - 2))
    }

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
        let g_odd = self.g_odd.get_or_init(|| {
            self.batch_niels(f, &self.odd_multiples_ext(f, &self.g, 1 << (WNAF_G - 2)))
        });
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
        let g = self
            .g_split
            .get_or_init(|| self.split_tables(f, &self.g, 1 << (WNAF_G - 2)));
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
