//! The Streebog compression function g_N(h, m) on 64-bit words.
//!
//! The 512-bit state is eight little-endian words: word `j` holds bytes `8j..8j+8` of the
//! block in the order the hash reads and writes them (the reverse of the way RFC 6986 prints
//! vectors), so byte `i` of word `j` is byte `8j + i`.
//!
//! One round step LPS = L ∘ P ∘ S: S replaces every byte by π'(byte), P transposes the 8×8
//! byte matrix (byte `i` of word `j` moves to byte `j` of word `i`), and L multiplies every
//! word by the 64×64 bit matrix A. Because L is linear, word `i` of the result is the XOR
//! over `j` of `L(π'(byte i of word j) << 8j)`, so `T[j][b] = L(π'(b) << 8j)` turns one LPS
//! into 64 table reads and XORs. The tables are computed at compile time from π' and A.

use super::consts::{A, C, PI};

/// `l(x)`: multiplication of the 64-bit word `x` by the matrix A (bit 63 of `x` selects
/// `A[0]`, bit 0 selects `A[63]`).
#[allow(
    clippy::indexing_slicing,
    reason = "only evaluated at compile time (and in tests); bit < 64, j < 8, b < 256"
)]
const fn linear(x: u64) -> u64 {
    let mut acc = 0u64;
    let mut bit = 0;
    while bit < 64 {
        if (x >> bit) & 1 == 1 {
            acc ^= A[63 - bit];
        }
        bit += 1;
    }
    acc
}

/// The 8×256 word tables, cache-line aligned (16 KiB, fits in L1 next to the state).
#[repr(C, align(64))]
pub(super) struct Tables(pub(super) [[u64; 256]; 8]);

#[allow(
    clippy::indexing_slicing,
    reason = "only evaluated at compile time (and in tests); bit < 64, j < 8, b < 256"
)]
const fn build_tables() -> Tables {
    let mut t = [[0u64; 256]; 8];
    let mut j = 0;
    while j < 8 {
        let mut b = 0;
        while b < 256 {
            t[j][b] = linear((PI[b] as u64) << (8 * j));
            b += 1;
        }
        j += 1;
    }
    Tables(t)
}

/// `T[j][b] = L(π'(b) << 8j)`.
pub(super) static TABLES: Tables = build_tables();

/// One table read: `row[b]`. A `u8` index is always inside the 256 entries, so the optimiser
/// removes the bounds check and the fallback.
#[inline(always)]
fn t(row: &[u64; 256], b: u8) -> u64 {
    row.get(usize::from(b)).copied().unwrap_or(0)
}

/// The state ⊕ key as bytes: byte `i` of word `j` is `x[j][i]`.
type Bytes = [[u8; 8]; 8];

/// `a ⊕ b` as bytes in memory (the X step).
#[inline(always)]
fn xor_bytes(a: &[u64; 8], b: &[u64; 8]) -> Bytes {
    let mut x = [[0u8; 8]; 8];
    for ((x, a), b) in x.iter_mut().zip(a).zip(b) {
        *x = (a ^ b).to_le_bytes();
    }
    x
}

/// The two halves of an LPS output.
#[inline(always)]
fn join(lo: [u64; 4], hi: [u64; 4]) -> [u64; 8] {
    let [a, b, c, d] = lo;
    let [e, f, g, h] = hi;
    [a, b, c, d, e, f, g, h]
}

/// LPS(a ⊕ b): the key addition X, then the substitution, transposition and linear map of one
/// round.
#[inline(always)]
pub(super) fn lpsx(a: &[u64; 8], b: &[u64; 8]) -> [u64; 8] {
    let x = xor_bytes(a, b);
    join(lps_half::<0>(&x), lps_half::<32>(&x))
}

/// LPS(a ⊕ b) and LPS(c ⊕ d), halves interleaved.
#[inline(always)]
pub(super) fn lpsx2(
    a: &[u64; 8],
    b: &[u64; 8],
    c: &[u64; 8],
    d: &[u64; 8],
) -> ([u64; 8], [u64; 8]) {
    let x = xor_bytes(a, b);
    let y = xor_bytes(c, d);
    let x0 = lps_half::<0>(&x);
    let y0 = lps_half::<0>(&y);
    let x1 = lps_half::<32>(&x);
    let y1 = lps_half::<32>(&y);
    (join(x0, x1), join(y0, y1))
}

/// Four output words of LPS (words 0..4 for `SHIFT = 0`, 4..8 for `SHIFT = 32`).
///
/// Column by column: input word `j` is loaded once, shifted, and four of its bytes are added
/// into four accumulators that stay in registers.
///
/// Why half an LPS, out of line (measured on the AMD EPYC this workspace benchmarks on; the
/// alternatives below were all tried and are slower):
/// * inlined into the round loop, LLVM keeps all 16 state words of a round live, runs out of
///   registers and spills a shifted copy of a word for each table read (this is what the
///   `streebog` crate compiles to): about one extra load per read;
/// * behind a pointer, one LPS as one call has no spills but is ~230 instructions, about the
///   size of the out-of-order window, so consecutive LPS barely overlap (+7% only);
/// * half an LPS per call (~120 instructions) lets the cipher's and the key schedule's halves
///   of a round run side by side: +18% over the `streebog` crate. Quarters (+12%), byte loads
///   instead of shifts, both LPS in one call and a fully unrolled round loop were slower.
///
/// Also tried later and slower than this (whole-hash throughput relative to this code, same
/// process): halves that XOR their two operands themselves and write straight into the next
/// round's buffers (0.96), carrying `s ⊕ K` and `K ⊕ C` between rounds so the key addition
/// disappears (0.93), running the key schedule one round ahead of the cipher (0.95), 32-bit
/// loads for the upper half (0.85), two accumulator chains per output word (0.84), a
/// byte-swapped upper half extracted like the lower one (0.96), and the lower half storing the
/// upper 32 bits for the upper half (0.97). Loads that start inside an earlier, wider store
/// (byte or upper-dword loads of the just-written state) were consistently slow here.
#[inline(never)]
fn lps_half<const SHIFT: u32>(x: &Bytes) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (row, w) in TABLES.0.iter().zip(x) {
        let w = u64::from_le_bytes(*w) >> SHIFT;
        let [o0, o1, o2, o3] = &mut out;
        *o0 ^= t(row, w as u8);
        *o1 ^= t(row, (w >> 8) as u8);
        *o2 ^= t(row, (w >> 16) as u8);
        *o3 ^= t(row, (w >> 24) as u8);
    }
    out
}

/// LPS(x).
#[cfg(test)]
fn lps(x: &[u64; 8]) -> [u64; 8] {
    lpsx(x, &[0; 8])
}

/// g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m, updating `h` in place. E runs the 12 rounds of
/// the block cipher with the key schedule K_{i+1} = LPS(K_i ⊕ C_i) computed alongside.
#[inline(always)]
pub(super) fn g(h: &mut [u64; 8], n: &[u64; 8], m: &[u64; 8]) {
    let mut k = lpsx(h, n);
    let mut s = *m;
    for c in &C {
        (s, k) = lpsx2(&s, &k, &k, c);
    }
    for (((h, s), k), m) in h.iter_mut().zip(&s).zip(&k).zip(m) {
        *h ^= s ^ k ^ m;
    }
}

/// `a += b` on 512-bit little-endian word vectors, modulo 2^512.
#[inline(always)]
pub(super) fn add512(a: &mut [u64; 8], b: &[u64; 8]) {
    let mut carry = 0u64;
    for (a, b) in a.iter_mut().zip(b) {
        let (s1, c1) = a.overflowing_add(*b);
        let (s2, c2) = s1.overflowing_add(carry);
        *a = s2;
        carry = u64::from(c1) | u64::from(c2);
    }
}

/// `a += x` for a small `x` (the bit count of one block), modulo 2^512.
#[inline(always)]
pub(super) fn add_small(a: &mut [u64; 8], x: u64) {
    let mut carry = x;
    for a in a.iter_mut() {
        let (s, c) = a.overflowing_add(carry);
        *a = s;
        carry = u64::from(c);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    /// LPS straight from the standard's definitions of S, P and L, byte by byte.
    fn lps_naive(x: &[u64; 8]) -> [u64; 8] {
        // a = a_63 ‖ … ‖ a_0 with a_0 the first byte in memory.
        let mut a = [0u8; 64];
        for (j, w) in x.iter().enumerate() {
            a[8 * j..8 * j + 8].copy_from_slice(&w.to_le_bytes());
        }
        // S
        let s: Vec<u8> = a.iter().map(|&b| PI[b as usize]).collect();
        // P: b_i = a_tau(i), tau(8r + c) = 8c + r (a_0 is the least significant byte, the
        // first in memory).
        let mut p = [0u8; 64];
        for r in 0..8 {
            for c in 0..8 {
                p[8 * r + c] = s[8 * c + r];
            }
        }
        // L: l on each 64-bit word, a word = bytes 8k..8k+8 little-endian, bitwise from the
        // matrix rows.
        let mut out = [0u64; 8];
        for k in 0..8 {
            let w = u64::from_le_bytes(p[8 * k..8 * k + 8].try_into().unwrap());
            let mut acc = 0u64;
            for (row, a_row) in A.iter().enumerate() {
                if w & (1u64 << (63 - row)) != 0 {
                    acc ^= a_row;
                }
            }
            out[k] = acc;
        }
        out
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn table_lps_matches_the_definition() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut x = [0u64; 8];
            for w in &mut x {
                *w = xorshift(&mut seed);
            }
            assert_eq!(lps(&x), lps_naive(&x));
        }
        // Every single byte value in every position, through the table entries directly.
        for pos in 0..64 {
            for b in 0..=255u64 {
                let mut x = [0u64; 8];
                x[pos / 8] = b << (8 * (pos % 8));
                assert_eq!(lps(&x), lps_naive(&x), "byte {pos} = {b}");
            }
        }
    }

    #[test]
    fn paired_lps_matches_single() {
        let mut seed = 0x0123_4567_89ab_cdefu64;
        for _ in 0..500 {
            let mut v = [[0u64; 8]; 4];
            for w in v.iter_mut().flatten() {
                *w = xorshift(&mut seed);
            }
            let [a, b, c, d] = &v;
            assert_eq!(lpsx2(a, b, c, d), (lpsx(a, b), lpsx(c, d)));
            let mut x = [0u64; 8];
            for ((x, a), b) in x.iter_mut().zip(a).zip(b) {
                *x = a ^ b;
            }
            assert_eq!(lpsx(a, b), lps_naive(&x));
        }
    }

    #[test]
    fn linear_map_matches_the_standard_example() {
        // RFC 6986 §5 lists l as multiplication by A; l(0x8000…0) = A[0], l(1) = A[63].
        assert_eq!(linear(1u64 << 63), 0x8e20_faa7_2ba0_b470);
        assert_eq!(linear(1), A[63]);
        assert_eq!(linear(3), A[63] ^ A[62]);
    }

    #[test]
    fn counters_carry_across_all_words() {
        let mut n = [
            u64::MAX,
            u64::MAX,
            u64::MAX,
            u64::MAX,
            u64::MAX,
            u64::MAX,
            u64::MAX,
            0,
        ];
        add_small(&mut n, 1);
        assert_eq!(n, [0, 0, 0, 0, 0, 0, 0, 1]);
        let mut wrap = [u64::MAX; 8];
        add_small(&mut wrap, 512);
        assert_eq!(wrap, [511, 0, 0, 0, 0, 0, 0, 0]);
        let mut s = [u64::MAX; 8];
        add512(&mut s, &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s, [0; 8]);
        let mut s = [u64::MAX, 5, 0, 0, 0, 0, 0, 0];
        add512(&mut s, &[u64::MAX, u64::MAX, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s, [u64::MAX - 1, 5, 1, 0, 0, 0, 0, 0]);
    }
}
