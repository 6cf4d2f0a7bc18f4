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
//!
//! | module | timing | what |
//! | --- | --- | --- |
//! | this file | constant time | the types, the maps to and from Weierstrass coordinates |
//! | `complete` | constant time | the unified extended-coordinate formulas |
//! | `ct` | constant time | `k·G` for signing: the signed comb; `k·P` for key agreement |
//! | `tables` | **variable time**, public points only | the comb table of G, odd multiples, split tables |
//! | `vartime` | **variable time**, public data only | verification and the subgroup check |
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public digits"
)]

mod complete;
mod ct;
mod tables;
mod vartime;

use std::sync::OnceLock;

use crate::field::{Fe, Modulus};
use crate::point::Point;
use crate::recode::T;

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
}
