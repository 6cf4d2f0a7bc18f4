//! From a [`ParamSet`] to the arithmetic of its size: the curve as a `&'static Curve<4>` or
//! `Curve<8>`, and a validated public point of either size.

use crate::curve::Curve;
use crate::curve::params::{AnyCurve, curve};
use crate::params::ParamSet;
use crate::point::Point;

/// Runs `$body` with `$c` bound to the `&'static Curve<N>` of `$set` and `N` = 4 or 8.
macro_rules! with_curve {
    ($set:expr, $c:ident, $n:ident => $body:expr) => {
        match $crate::dispatch::curve_of($set) {
            $crate::curve::params::AnyCurve::C256($c) => {
                #[allow(dead_code)]
                const $n: usize = 4;
                $body
            }
            $crate::curve::params::AnyCurve::C512($c) => {
                #[allow(dead_code)]
                const $n: usize = 8;
                $body
            }
        }
    };
}
pub(crate) use with_curve;

/// The curve of a parameter set.
pub(crate) fn curve_of(set: ParamSet) -> AnyCurve {
    curve(set.curve())
}

/// `L`: the byte length of a coordinate, a scalar and a signature half.
pub(crate) fn key_len(set: ParamSet) -> usize {
    set.key_size().coordinate_len()
}

/// A validated public point of either size.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PubPoint {
    /// On a 256-bit curve.
    P256(Point<4>),
    /// On a 512-bit curve.
    P512(Point<8>),
}

impl From<Point<4>> for PubPoint {
    fn from(p: Point<4>) -> Self {
        Self::P256(p)
    }
}

impl From<Point<8>> for PubPoint {
    fn from(p: Point<8>) -> Self {
        Self::P512(p)
    }
}

/// Picks the `Curve<N>` out of an [`AnyCurve`].
pub(crate) trait CurveN<const N: usize> {
    /// The curve, if it has `N` limbs.
    fn get(any: AnyCurve) -> Option<&'static Curve<N>>;
}

impl CurveN<4> for AnyCurve {
    fn get(any: AnyCurve) -> Option<&'static Curve<4>> {
        match any {
            AnyCurve::C256(c) => Some(c),
            AnyCurve::C512(_) => None,
        }
    }
}

impl CurveN<8> for AnyCurve {
    fn get(any: AnyCurve) -> Option<&'static Curve<8>> {
        match any {
            AnyCurve::C512(c) => Some(c),
            AnyCurve::C256(_) => None,
        }
    }
}
