//! Width-`w` non-adjacent forms of public scalars, for verification: the whole scalar
//! ([`wnaf`]) or each 64-bit limb on its own ([`split_wnaf`], for the split tables of keys
//! seen before).
//!
//! **Variable time.** Loops skip runs of zero bits and branch on digit signs: public scalars
//! (`s·e⁻¹`, `−r·e⁻¹`, the group order) only, never a private key or a nonce.
#![allow(
    clippy::indexing_slicing,
    reason = "limb vectors indexed by positions found in them"
)]

/// wNAF width for the variable-base part of verification.
pub(crate) const WNAF: u32 = 5;
/// wNAF width for G in verification (a table of the 2^(WNAF_G−2) = 128 odd multiples).
pub(crate) const WNAF_G: u32 = 9;
/// wNAF width for a public key verified with before (its split tables, built once and kept,
/// hold 2^(WNAF_KEY−2) = 32 odd multiples per 64-bit piece).
pub(crate) const WNAF_KEY: u32 = 7;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
