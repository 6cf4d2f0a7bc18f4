//! Precomputed multiples of **public** points in Edwards form: the comb table of G (read by the
//! constant-time `k·G`), odd multiples and split tables for verification.
//!
//! **Variable time**, on public points only (G and validated public keys): affine forms come
//! from one variable-time batch inversion.

use super::{Cached, Edwards, Ext, Niels, SplitTables};
use crate::field::{Fe, Modulus};
use crate::point::Point;
use crate::recode::{T, W, WNAF, WNAF_G, WNAF_KEY};

impl<const N: usize> Edwards<N> {
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
    pub(super) fn table(&self, f: &Modulus<N>) -> &[[Niels<N>; T]] {
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
    pub(super) fn odd_multiples(&self, f: &Modulus<N>, p: &Ext<N>) -> Vec<Cached<N>> {
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

    /// `G, 3G, …, 255G` (affine) for the verification wNAF, built on first use.
    pub(super) fn g_odd(&self, f: &Modulus<N>) -> &[Niels<N>] {
        self.g_odd.get_or_init(|| {
            self.batch_niels(f, &self.odd_multiples_ext(f, &self.g, 1 << (WNAF_G - 2)))
        })
    }

    /// The split tables of G, built on first use.
    pub(super) fn g_split(&self, f: &Modulus<N>) -> &SplitTables<N> {
        self.g_split
            .get_or_init(|| self.split_tables(f, &self.g, 1 << (WNAF_G - 2)))
    }
}
