//! Signed fixed-window digits for the fixed-base comb: `k = Σ dᵢ·2^(6i)` with
//! `dᵢ ∈ [−32, 31]`, so a window reads one of 32 table entries and a sign.
//!
//! **Constant time.** The recoding is branch-free: the digit, its sign and the carry come from
//! arithmetic and shifts; the bit positions are public.

/// Window width of the constant-time variable-base multiplication `k·P` (key agreement): 16
/// table entries, `64·N / 4` windows.
pub(crate) const VAR_W: usize = 4;

/// Window width of the fixed-base comb for G.
pub(crate) const W: usize = 6;
/// Entries per window of the signed comb: `1·B … 32·B` (digits are in [−32, 31]).
pub(crate) const T: usize = 1 << (W - 1);

/// Signed recoding of one window value `v ∈ [0, 64]` (6 bits plus the incoming carry):
/// `(|d|, d < 0, carry out)` with `v = d + 64·carry`, `d ∈ [−32, 31]`. Branch-free.
pub(crate) fn signed_digit(v: u64) -> (u64, u64, u64) {
    let carry = (v + 32) >> W;
    let d = (v as i64) - ((carry << W) as i64);
    let neg = ((d >> 63) & 1) as u64;
    let abs = ((d ^ (neg as i64).wrapping_neg()) + neg as i64) as u64;
    (abs, neg, carry)
}

/// `w` bits of `k` starting at bit `pos` (public position; little-endian limbs).
pub(crate) fn bits_at<const N: usize>(k: &[u64; N], pos: usize, w: usize) -> u64 {
    let limb = pos / 64;
    let shift = pos % 64;
    let mut v = k.get(limb).copied().unwrap_or(0) >> shift;
    if shift + w > 64 && shift != 0 {
        v |= k.get(limb + 1).copied().unwrap_or(0) << (64 - shift);
    }
    v & ((1u64 << w) - 1)
}
