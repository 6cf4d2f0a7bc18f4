//! Scalar recodings shared by the Weierstrass (`curve`) and Edwards (`edwards`) code, and the
//! window widths that go with them.
//!
//! | module | timing | what |
//! | --- | --- | --- |
//! | `ct` | constant time | signed 6-bit digits of the fixed-base comb (`k·G` when signing), 4-bit windows of `k·P` (key agreement) |
//! | `vartime` | **variable time**, public scalars only | width-`w` NAF, whole and per 64-bit limb (verification) |

mod ct;
mod vartime;

pub(crate) use ct::{T, VAR_W, W, bits_at, signed_digit};
pub(crate) use vartime::{PIECE_DIGITS, WNAF, WNAF_G, WNAF_KEY, split_wnaf, wnaf};
