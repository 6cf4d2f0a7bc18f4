//! Precomputed multiples of **public** points: the fixed-base comb table of G (used by the
//! constant-time `k·G`), and the odd multiples and split tables verification reads.
//!
//! **Variable time**, on public points only (G and validated public keys): the affine
//! conversions use one variable-time batch inversion. Nothing secret reaches this module; the
//! signing path only *reads* the finished comb table, with constant-time masked lookups.

use super::{Affine, Curve};
use crate::field::Fe;
use crate::point::Point;
use crate::recode::{T, W, WNAF_G};

impl<const N: usize> Curve<N> {
    /// Converts **public** projective points (none the identity) to affine with one
    /// variable-time inversion (the G table and the verification multiples only).
    pub(super) fn batch_affine(&self, pts: &[Point<N>]) -> Vec<Affine<N>> {
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
    pub(super) fn table(&self) -> &[[Affine<N>; T]] {
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

    /// `P, 3P, …, (2·count − 1)·P` (projective, complete formulas); `None` if one of them is
    /// the identity (never for points of the order-q subgroup).
    pub(super) fn odd_multiples(&self, pt: &Point<N>, count: usize) -> Option<Vec<Point<N>>> {
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
    pub(super) fn split_tables(&self, pt: &Point<N>, count: usize) -> Option<Vec<Vec<Affine<N>>>> {
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

    /// `G, 3G, …, 255G` (affine) for the verification wNAF, built on first use.
    pub(super) fn g_odd(&self) -> &[Affine<N>] {
        self.g_odd.get_or_init(|| {
            // G has order q, so none of its small multiples is the identity.
            self.odd_multiples(&self.g, 1 << (WNAF_G - 2))
                .map(|pts| self.batch_affine(&pts))
                .unwrap_or_default()
        })
    }

    /// The split tables of G (odd multiples of `2^(64j)·G`), built on first use.
    pub(super) fn g_split(&self) -> &[Vec<Affine<N>>] {
        self.g_split.get_or_init(|| {
            self.split_tables(&self.g, 1 << (WNAF_G - 2))
                .unwrap_or_default()
        })
    }
}
