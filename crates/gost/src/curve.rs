//! Short Weierstrass curves `y² = x³ + a·x + b`: the curve constants, and the arithmetic
//! split by what it may touch, so that each part can be audited on its own.
//!
//! | module | timing | what |
//! | --- | --- | --- |
//! | `complete` | constant time | complete projective formulas (Renes–Costello–Batina), affine conversion |
//! | `ct` | constant time | `k·G` for signing: the signed comb over the precomputed table; `k·P` for key agreement |
//! | `tables` | **variable time**, public points only | the comb table of G, odd multiples, split tables |
//! | `vartime` | **variable time**, public data only | verification (Jacobian, interleaved wNAF, keys seen before), subgroup checks |
//! | `params` | — | the nine curves' constants |
//!
//! The two cofactor-4 curves (TC26-256-A, TC26-512-C) run their scalar multiplications on the
//! equivalent Edwards curve ([`crate::edwards`]); `ct` and `vartime` dispatch to it.
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size tables indexed by public loop counters or public digits"
)]

mod complete;
mod ct;
pub(crate) mod params;
mod tables;
#[cfg(test)]
mod tests;
mod vartime;

use std::sync::{Arc, OnceLock};

use subtle::{Choice, ConditionallySelectable};

use crate::cache::KeyCache;
use crate::edwards::{Edwards, SplitTables};
use crate::field::{Fe, Modulus, limbs_from_hex};
use crate::point::Point;
use crate::recode::T;

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
    #[cfg(test)]
    pub(crate) fn edwards(&self) -> Option<&Edwards<N>> {
        self.ed.as_ref()
    }
}
