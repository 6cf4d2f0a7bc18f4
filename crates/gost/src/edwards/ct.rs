//! Scalar multiplications by a secret in Edwards form for the cofactor-4 curves: `k·G` with
//! the same signed 6-bit comb as the Weierstrass one, over the table of affine `(u, v, d·u·v)`
//! multiples, and `k·P` for key agreement with a fixed 4-bit window over `0·P … 15·P`.
//!
//! **Constant time** in `k`: every entry of a window is read and masked, the sign applied by a
//! constant-time negation; a zero digit selects the identity, which the complete addition
//! handles like any other point.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use super::{Cached, Edwards, Ext, Niels};
use crate::field::{Fe, Modulus};
use crate::recode::{VAR_W, W, bits_at, signed_digit};

impl<const N: usize> Edwards<N> {
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
}

impl<const N: usize> Edwards<N> {
    /// `k·P` in constant time in `k` (any value below `2^(64N)`), `P` a public point in
    /// extended coordinates: a fixed 4-bit window from the top, four doublings and one complete
    /// addition per window, the addend read from the whole table `0·P … 15·P` (projective, with
    /// `d·T`) by masked selects; digit 0 adds the identity `(0 : 1 : 1)`.
    pub(crate) fn mul_ct(&self, f: &Modulus<N>, p: &Ext<N>, k: &[u64; N]) -> Ext<N> {
        let identity = Self::identity(f);
        let base = self.cached(f, p);
        let mut table = [self.cached(f, &identity); 1 << VAR_W];
        let mut cur = identity;
        for entry in table.iter_mut().skip(1) {
            cur = self.add_cached(f, &cur, &base);
            *entry = self.cached(f, &cur);
        }
        let mut acc = identity;
        for i in (0..(64 * N / VAR_W)).rev() {
            for step in 0..VAR_W {
                acc = Self::double(f, &acc, step + 1 == VAR_W);
            }
            let digit = bits_at(k, i * VAR_W, VAR_W);
            let mut sel = table[0];
            for (j, entry) in table.iter().enumerate().skip(1) {
                let hit = (j as u64).ct_eq(&digit);
                sel = Cached {
                    x: Fe::conditional_select(&sel.x, &entry.x, hit),
                    y: Fe::conditional_select(&sel.y, &entry.y, hit),
                    z: Fe::conditional_select(&sel.z, &entry.z, hit),
                    dt: Fe::conditional_select(&sel.dt, &entry.dt, hit),
                };
            }
            acc = self.add_cached(f, &acc, &sel);
        }
        acc
    }
}
