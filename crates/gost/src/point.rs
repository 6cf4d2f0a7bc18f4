//! The projective Weierstrass point, the one type the Weierstrass code (`curve`) and the
//! Edwards code (`edwards`, whose birational maps convert to and from it) share. Data only.

use subtle::{Choice, ConditionallySelectable};

use crate::field::Fe;

/// A point in projective coordinates `(X : Y : Z)`; the identity is `(0 : 1 : 0)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Point<const N: usize> {
    pub(crate) x: Fe<N>,
    pub(crate) y: Fe<N>,
    pub(crate) z: Fe<N>,
}

impl<const N: usize> ConditionallySelectable for Point<N> {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Self {
            x: Fe::conditional_select(&a.x, &b.x, choice),
            y: Fe::conditional_select(&a.y, &b.y, choice),
            z: Fe::conditional_select(&a.z, &b.z, choice),
        }
    }
}
