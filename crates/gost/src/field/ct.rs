//! Field arithmetic on secret values: addition, subtraction, Montgomery and pseudo-Mersenne
//! multiplication and squaring, conversions, and inversion by exponentiation (an addition
//! chain for the pseudo-Mersenne primes, a fixed 4-bit window otherwise).
//!
//! **Constant time.** Every function here runs in time independent of the element values: no
//! branches or indices depend on them (the modulus, its shape and the exponents are public).
#![allow(
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "fixed-size limb arrays indexed by loop counters bounded by the const N"
)]

use super::limbs::{adc, add_mod, mac, mac_row, sbb, select_mask, sub_limbs};
use super::wide::{from4, mul_4x4, mul_8x8, reduce_4, square_4, square_8, to4, to8};
use super::{Fe, Modulus, PM_LOW};

impl<const N: usize> Modulus<N> {
    /// `a·b mod m` for `m = 2^(64N) − c` (plain representation), constant time.
    #[inline(always)]
    fn pm_mul(&self, a: &[u64; N], b: &[u64; N], c: u64) -> [u64; N] {
        if N == 4 {
            return from4(&reduce_4(&mul_4x4(&to4(a), &to4(b)), c));
        }
        if N == 8 {
            return self.pm_reduce(&mul_8x8(&to8(a), &to8(b)), c);
        }
        let mut t = [0u64; 16];
        for i in 0..N {
            let mut carry = 0u64;
            for j in 0..N {
                let (lo, hi) = mac(t[i + j], a[i], b[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + N] = carry;
        }
        self.pm_reduce(&t, c)
    }

    /// `a² mod m` for `m = 2^(64N) − c`: off-diagonal products once, doubled, plus squares.
    #[inline(always)]
    fn pm_square(&self, a: &[u64; N], c: u64) -> [u64; N] {
        if N == 4 {
            return from4(&reduce_4(&square_4(&to4(a)), c));
        }
        if N == 8 {
            return self.pm_reduce(&square_8(&to8(a)), c);
        }
        let mut t = [0u64; 16];
        for i in 0..N {
            let mut carry = 0u64;
            for j in (i + 1)..N {
                let (lo, hi) = mac(t[i + j], a[i], a[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + N] = carry;
        }
        // Double.
        let mut top = 0u64;
        for limb in t.iter_mut().take(2 * N) {
            let next = *limb >> 63;
            *limb = (*limb << 1) | top;
            top = next;
        }
        // Add the squares a[i]² at position 2i.
        let mut carry = 0u64;
        for i in 0..N {
            let (lo, hi) = mac(t[2 * i], a[i], a[i], carry);
            t[2 * i] = lo;
            let (v, c2) = adc(t[2 * i + 1], hi, 0);
            t[2 * i + 1] = v;
            carry = c2;
        }
        self.pm_reduce(&t, c)
    }

    /// Reduces the 2N-limb value in `t` to the canonical value modulo `2^(64N) − c`
    /// (`c < 2^32`); the same two short carry chains as `reduce_4`.
    #[inline(always)]
    fn pm_reduce(&self, t: &[u64; 16], c: u64) -> [u64; N] {
        // t = lo + hi·2^(64N) ≡ lo + hi·c = r + k·2^(64N), k ≤ c.
        let mut r = [0u64; N];
        let mut k = 0u64;
        for i in 0..N {
            let (v, kk) = mac(t[i], t[N + i], c, k);
            r[i] = v;
            k = kk;
        }
        // y = r + k·c; z = y + c carries out exactly when y ≥ m (then z mod 2^(64N) = y − m).
        let (v, mut e) = adc(r[0], k.wrapping_mul(c).wrapping_add(c), 0);
        r[0] = v;
        for limb in r.iter_mut().skip(1) {
            let (v, ee) = adc(*limb, 0, e);
            *limb = v;
            e = ee;
        }
        // No carry: the result is y = z − c (z ≥ c, so no borrow out).
        let (v, mut b) = sbb(r[0], c & e.wrapping_sub(1), 0);
        r[0] = v;
        for limb in r.iter_mut().skip(1) {
            let (v, bb) = sbb(*limb, 0, b);
            *limb = v;
            b = bb;
        }
        r
    }

    /// `(a + b) mod m` for reduced `a`, `b` and `m = 2^(64N) − c`: `z = a + b + c` carries
    /// out of `64N` bits exactly when `a + b ≥ m` (then `z mod 2^(64N) = a + b − m`);
    /// otherwise the sum is `z − c`. Two carry chains, no select.
    #[inline(always)]
    fn pm_add(&self, a: &[u64; N], b: &[u64; N], c: u64) -> [u64; N] {
        let mut z = [0u64; N];
        // The first carry can be 2 (a₀ + b₀ + c ≥ 2^65); u128 sums hold it.
        let mut carry = c;
        for i in 0..N {
            let (v, cc) = adc(a[i], b[i], carry);
            z[i] = v;
            carry = cc;
        }
        let (v, mut b) = sbb(z[0], c & carry.wrapping_sub(1), 0);
        z[0] = v;
        for limb in z.iter_mut().skip(1) {
            let (v, bb) = sbb(*limb, 0, b);
            *limb = v;
            b = bb;
        }
        z
    }

    /// `(a + b) mod m` for reduced `a`, `b`.
    /// `(a + b) mod m` for reduced `a`, `b`.
    #[inline(always)]
    fn add_raw(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        add_mod(a, b, &self.m)
    }

    /// `a + b`.
    #[inline(always)]
    pub(crate) fn add(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_add(&a.0, &b.0, c)),
            None => Fe(self.add_raw(&a.0, &b.0)),
        }
    }

    /// `a - b`.
    #[inline(always)]
    pub(crate) fn sub(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let (d, borrow) = sub_limbs(&a.0, &b.0);
        let mut out = [0u64; N];
        let mut carry = 0u64;
        for i in 0..N {
            let (s, c) = adc(d[i], self.m[i] & borrow, carry);
            out[i] = s;
            carry = c;
        }
        Fe(out)
    }

    /// `-a`.
    #[inline(always)]
    pub(crate) fn neg(&self, a: &Fe<N>) -> Fe<N> {
        self.sub(&self.zero(), a)
    }

    /// Montgomery product `a·b·R⁻¹ mod m` (CIOS). Correct for any `a < 2^(64N)` and `b < m`.
    #[inline(always)]
    pub(crate) fn mul(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_mul(&a.0, &b.0, c)),
            None => Fe(self.mont_mul(&a.0, &b.0)),
        }
    }

    /// Montgomery product, dispatching on the shape of `m` (public).
    #[inline(always)]
    fn mont_mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        if self.sparse {
            self.mont_mul_sparse(a, b)
        } else {
            self.mont_mul_generic(a, b)
        }
    }

    /// CIOS for `m = 2^(64N−1) + m₀`: `k·m = k·m₀ + (k·2^63)·2^(64(N−1))`, so each reduction
    /// round is one limb product and a carry chain instead of `N` limb products. Same value
    /// and bounds as [`Modulus::mont_mul_generic`] (constant time: `k` only feeds shifts
    /// and multiplications).
    #[inline(always)]
    pub(super) fn mont_mul_sparse(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m0 = self.m[0];
        let mut t = [0u64; N];
        let mut t_n = 0u64;
        for i in 0..N {
            let (tn, t_n1) = adc(t_n, mac_row(&mut t, a, b[i]), 0);
            let k = t[0].wrapping_mul(self.inv);
            // t₀ + k·m₀ ≡ 0 mod 2⁶⁴: only its carry word remains.
            let (_, hi) = mac(t[0], k, m0, 0);
            let (lo, mut c) = adc(t[1], hi, 0);
            t[0] = lo;
            for j in 2..N {
                let add = if j == N - 1 { k << 63 } else { 0 };
                let (lo, cc) = adc(t[j], add, c);
                t[j - 1] = lo;
                c = cc;
            }
            let (lo, hi) = adc(tn, k >> 1, c);
            t[N - 1] = lo;
            t_n = t_n1 + hi;
        }
        self.cios_final(&t, t_n)
    }

    /// Montgomery product for any odd `m` (CIOS).
    #[inline(always)]
    pub(super) fn mont_mul_generic(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut t_n = 0u64;
        for i in 0..N {
            let (tn, t_n1) = adc(t_n, mac_row(&mut t, a, b[i]), 0);
            let k = t[0].wrapping_mul(self.inv);
            let (_, mut c) = mac(t[0], k, self.m[0], 0);
            for j in 1..N {
                let (lo, hi) = mac(t[j], k, self.m[j], c);
                t[j - 1] = lo;
                c = hi;
            }
            let (lo, hi) = adc(tn, c, 0);
            t[N - 1] = lo;
            t_n = t_n1 + hi;
        }
        self.cios_final(&t, t_n)
    }

    /// The CIOS result `(t_n, t) < 2m` brought below m: subtract m unless that borrows out of
    /// the `(t_n, t)` value (constant time).
    #[inline(always)]
    fn cios_final(&self, t: &[u64; N], t_n: u64) -> [u64; N] {
        let (diff, borrow) = sub_limbs(t, &self.m);
        let keep_t = borrow & t_n.wrapping_sub(1);
        select_mask(keep_t, t, &diff)
    }

    /// `a²`.
    #[inline(always)]
    pub(crate) fn square(&self, a: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) => Fe(self.pm_square(&a.0, c)),
            None => Fe(self.mont_mul(&a.0, &a.0)),
        }
    }

    /// Converts an integer `x < 2^(64N)` (any size, not necessarily below m) to Montgomery form
    /// of `x mod m`.
    pub(crate) fn to_mont(&self, x: &[u64; N]) -> Fe<N> {
        if self.pm_c.is_some() {
            // x < 2^(64N) < 2m: one conditional subtraction.
            let (diff, borrow) = sub_limbs(x, &self.m);
            return Fe(select_mask(borrow, x, &diff));
        }
        Fe(self.mont_mul(x, &self.r2))
    }

    /// Back from Montgomery form to the canonical integer in `[0, m)`.
    pub(crate) fn retrieve(&self, a: &Fe<N>) -> [u64; N] {
        if self.pm_c.is_some() {
            return a.0;
        }
        let mut one = [0u64; N];
        one[0] = 1;
        self.mont_mul(&a.0, &one)
    }

    /// `a⁻¹` by Fermat's little theorem (m prime); `0⁻¹ = 0`. Constant time in `a` (the
    /// exponent is public).
    pub(crate) fn invert(&self, a: &Fe<N>) -> Fe<N> {
        match self.pm_c {
            Some(c) if c + 2 < (1 << PM_LOW) => self.invert_pm(a),
            _ => self.pow_public(a, &self.m_minus_2),
        }
    }

    /// `a` squared `n` times.
    #[inline]
    fn square_n(&self, a: &Fe<N>, n: usize) -> Fe<N> {
        let mut x = *a;
        for _ in 0..n {
            x = self.square(&x);
        }
        x
    }

    /// `a^(m−2)` for `m = 2^(64N) − c`, `c + 2 < 2^12`: then `m − 2 = (2^L − 1)·2^12 + low`
    /// with `L = 64N − 12`, so an addition chain for `a^(2^L − 1)` (about `L` squarings and
    /// `2·log₂ L` multiplications) and three 4-bit windows for `low` replace the generic
    /// window's `64N/4` multiplications. The exponent is public; constant time in `a`.
    fn invert_pm(&self, a: &Fe<N>) -> Fe<N> {
        let l = 64 * N - PM_LOW;
        // chain[i] = a^(2^(2^i) − 1).
        let mut chain = [*a; 10];
        let mut len = 1;
        while len < chain.len() && (1usize << len) <= l {
            let k = 1usize << (len - 1);
            chain[len] = self.mul(&self.square_n(&chain[len - 1], k), &chain[len - 1]);
            len += 1;
        }
        // a^(2^l − 1) along the binary expansion of l, high to low.
        let mut acc: Option<Fe<N>> = None;
        for i in (0..len).rev() {
            if l & (1 << i) != 0 {
                acc = Some(match acc {
                    None => chain[i],
                    Some(y) => self.mul(&self.square_n(&y, 1 << i), &chain[i]),
                });
            }
        }
        let mut acc = acc.unwrap_or(*a);
        let mut table = [self.one(); 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let low = self.m_minus_2[0] & ((1 << PM_LOW) - 1);
        for nib in (0..PM_LOW / 4).rev() {
            acc = self.square_n(&acc, 4);
            let idx = ((low >> (4 * nib)) & 0xf) as usize;
            // The exponent is public: skipping a zero nibble and a direct index are fine.
            if idx != 0 {
                acc = self.mul(&acc, &table[idx]);
            }
        }
        acc
    }

    /// `a^e` for a public exponent, 4-bit fixed window; constant time in `a`.
    pub(crate) fn pow_public(&self, a: &Fe<N>, e: &[u64; N]) -> Fe<N> {
        let mut table = [self.one(); 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let mut acc = self.one();
        for i in (0..N).rev() {
            for nib in (0..16).rev() {
                acc = self.square(&acc);
                acc = self.square(&acc);
                acc = self.square(&acc);
                acc = self.square(&acc);
                let idx = ((e[i] >> (nib * 4)) & 0xf) as usize;
                // The exponent is public: a direct index is fine.
                acc = self.mul(&acc, &table[idx]);
            }
        }
        acc
    }
}
