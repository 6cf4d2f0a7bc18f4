//! Scalar multiplications by a secret: `k·G` for signing and key generation (a signed 6-bit
//! comb over the precomputed affine multiples of G, one complete mixed addition per window),
//! and `k·P` for key agreement (VKO), where `P` is a peer's public key (a fixed 4-bit window
//! over `0·P … 15·P` with complete formulas). On the cofactor-4 curves both run in Edwards
//! form ([`crate::edwards`]) and the result is mapped back.
//!
//! **Constant time** in `k`: branch-free recoding, every table entry of a window read and
//! masked, the sign applied by a constant-time negation, a zero digit discarded by a
//! constant-time select (or, for `k·P`, the identity entry added by the complete formulas).
//! The tables are public: G's is built once by `tables`, `P`'s from the public point.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use super::{Affine, Curve};
use crate::field::Fe;
use crate::point::Point;
use crate::recode::{VAR_W, W, bits_at, signed_digit};

impl<const N: usize> Curve<N> {
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
}

impl<const N: usize> Curve<N> {
    /// `k·P` in constant time in `k` (any value below `2^(64N)`) for a public point `P` of the
    /// prime-order subgroup (a validated public key): a fixed window of 4 bits from the top,
    /// four doublings and one complete addition per window, the addend read from the whole
    /// table `0·P … 15·P` by masked selects. `0·P` is the identity, which the complete
    /// formulas add like any other point, so no digit is special.
    pub(crate) fn mul_ct(&self, pt: &Point<N>, k: &[u64; N]) -> Point<N> {
        if let Some(ed) = &self.ed {
            let e = ed.mul_ct(&self.p, &ed.weierstrass_to_ext(&self.p, pt), k);
            return ed.ext_to_weierstrass(&self.p, &e);
        }
        let mut table = [self.identity(); 1 << VAR_W];
        for j in 1..table.len() {
            table[j] = self.add(&table[j - 1], pt);
        }
        let mut acc = self.identity();
        for i in (0..(64 * N / VAR_W)).rev() {
            for _ in 0..VAR_W {
                acc = self.double(&acc);
            }
            let digit = bits_at(k, i * VAR_W, VAR_W);
            let mut sel = table[0];
            for (j, entry) in table.iter().enumerate().skip(1) {
                sel = Point::conditional_select(&sel, entry, (j as u64).ct_eq(&digit));
            }
            acc = self.add(&acc, &sel);
        }
        acc
    }
}
