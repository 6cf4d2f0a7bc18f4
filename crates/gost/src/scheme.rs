//! The GOST R 34.10-2012 signature equations over one curve size (`N` = 4 or 8 limbs).
//!
//! Sign: `e = LE(H) mod q` (0 → 1), `C = k·G`, `r = C.x mod q`, `s = r·d + k·e mod q`.
//! Verify: `v = e⁻¹`, `z1 = s·v`, `z2 = −r·v`, `C = z1·G + z2·Q`, accept iff `C.x mod q = r`.
//!
//! | module | timing | what |
//! | --- | --- | --- |
//! | `sign` | constant time | nonce derivation, `(r, s)` from `d`, `k` and `e`, the public point of `d` |
//! | `verify` | **variable time**, public data only | the verification equation, public-key validation |

pub(crate) mod sign;
pub(crate) mod verify;

use crate::field::{Fe, Modulus, is_zero_ct, limbs_from_be};

/// `e` (Montgomery form mod q) from the hash bytes as the hash outputs them (8·N bytes).
pub(crate) fn digest_to_e<const N: usize>(q: &Modulus<N>, digest: &[u8]) -> Option<Fe<N>> {
    let mut be = digest.to_vec();
    be.reverse();
    let limbs = limbs_from_be::<N>(&be)?;
    let e = q.to_mont(&limbs);
    // e = 0 → 1 (public value, a branch is fine).
    if bool::from(is_zero_ct(&e.0)) {
        return Some(q.one());
    }
    Some(e)
}
