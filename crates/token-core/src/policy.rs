//! PIN policy (flow U04): check a new PIN before it reaches the carrier.
//!
//! Banks tell clients: at least 8 characters, Latin letters and digits, no runs like `123`,
//! `678` or `abc`, not the vendor default (`12345678` user, `87654321` admin). A GUI wants *all*
//! the problems at once, so [`PinPolicy::check`] returns every violation, in a typed list that
//! never contains the PIN itself (positions and counts only).
//!
//! ```
//! use keycarrier_token_core::{Pin, PinPolicy, PolicyViolation};
//! let policy = PinPolicy::default();
//! assert!(policy.check(&Pin::new("Rx7mQ2wz"), None).is_ok());
//!
//! let violations = policy.check(&Pin::new("abc1"), None).unwrap_err();
//! assert!(violations.contains(&PolicyViolation::TooShort { min: 8, actual: 4 }));
//! assert!(violations.contains(&PolicyViolation::Sequence { position: 0, length: 3 }));
//! ```

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{AdminPin, Pin};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Pin {}
    impl Sealed for crate::AdminPin {}
}

/// The PIN types a policy checks: [`Pin`] and [`AdminPin`].
pub trait PinSecret: sealed::Sealed + PartialEq {
    /// The PIN bytes.
    fn pin_bytes(&self) -> &[u8];
}

impl PinSecret for Pin {
    fn pin_bytes(&self) -> &[u8] {
        self.expose()
    }
}

impl PinSecret for AdminPin {
    fn pin_bytes(&self) -> &[u8] {
        self.expose()
    }
}

/// A new PIN that passed a [`PinPolicy`]. Carrier methods that set a PIN take this type, so a
/// PIN that was never checked cannot reach a carrier. Made only by [`PinPolicy::approve`].
///
/// ```
/// use keycarrier_token_core::{Pin, PinPolicy};
/// let approved = PinPolicy::default().approve(Pin::new("Rx7mQ2wz"), None).unwrap();
/// assert_eq!(approved.expose(), b"Rx7mQ2wz");
/// assert!(PinPolicy::default().approve(Pin::new("12345678"), None).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved<P>(P);

impl<P> core::ops::Deref for Approved<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> Approved<P> {
    /// The approved PIN.
    pub fn into_inner(self) -> P {
        self.0
    }
}

/// Which characters a PIN may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinAlphabet {
    /// ASCII Latin letters (either case) and digits: the bank rule.
    LatinAlphanumeric,
    /// Digits only (card PINs).
    Digits,
    /// Any printable ASCII character (0x20..=0x7E).
    PrintableAscii,
}

impl PinAlphabet {
    fn allows(self, b: u8) -> bool {
        match self {
            Self::LatinAlphanumeric => b.is_ascii_alphanumeric(),
            Self::Digits => b.is_ascii_digit(),
            Self::PrintableAscii => (0x20..=0x7E).contains(&b),
        }
    }
}

/// One reason a PIN is refused. Never carries PIN characters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Shorter than the minimum.
    TooShort {
        /// Minimum length.
        min: usize,
        /// Length given.
        actual: usize,
    },
    /// Longer than the maximum.
    TooLong {
        /// Maximum length.
        max: usize,
        /// Length given.
        actual: usize,
    },
    /// A character outside the allowed alphabet at this 0-based byte position.
    CharacterNotAllowed {
        /// Byte position of the first such character.
        position: usize,
        /// How many such characters in all.
        count: usize,
    },
    /// A run of ascending or descending digits or letters (`123`, `cba`) starting here.
    Sequence {
        /// Byte position where the run starts.
        position: usize,
        /// Length of the run (at least the policy's limit).
        length: usize,
    },
    /// A vendor default or otherwise forbidden PIN.
    VendorDefault,
    /// Same as the PIN it replaces.
    SameAsOld,
    /// The policy requires at least one letter.
    NoLetter,
    /// The policy requires at least one digit.
    NoDigit,
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min, actual } => {
                write!(f, "too short: {actual} characters, at least {min} needed")
            }
            Self::TooLong { max, actual } => {
                write!(f, "too long: {actual} characters, at most {max} allowed")
            }
            Self::CharacterNotAllowed { position, count } => write!(
                f,
                "{count} character(s) not allowed, the first at position {}",
                position + 1
            ),
            Self::Sequence { position, length } => write!(
                f,
                "a run of {length} consecutive characters (like 123 or abc) at position {}",
                position + 1
            ),
            Self::VendorDefault => f.write_str("a vendor default PIN"),
            Self::SameAsOld => f.write_str("the same as the current PIN"),
            Self::NoLetter => f.write_str("contains no letter"),
            Self::NoDigit => f.write_str("contains no digit"),
        }
    }
}

/// All the violations of one PIN, in the order of the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolations(pub Vec<PolicyViolation>);

impl PolicyViolations {
    /// Whether `v` is among them.
    pub fn contains(&self, v: &PolicyViolation) -> bool {
        self.0.contains(v)
    }

    /// Iterate over them.
    pub fn iter(&self) -> impl Iterator<Item = &PolicyViolation> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for PolicyViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Vendor default PINs that a policy refuses out of the box: the user and admin defaults of
/// Rutoken, JaCarta and KAZTOKEN (`12345678`, `87654321`), and a few other common factory PINs.
pub const VENDOR_DEFAULT_PINS: &[&str] = &["12345678", "87654321", "1234567890", "00000000"];

/// The rules a new PIN must satisfy.
#[derive(Clone, Debug)]
pub struct PinPolicy {
    /// Minimum length in bytes (default 8).
    pub min_length: usize,
    /// Maximum length in bytes, if the carrier has one (default `None`).
    pub max_length: Option<usize>,
    /// Allowed characters (default Latin letters and digits).
    pub alphabet: PinAlphabet,
    /// Refuse runs of this many ascending or descending digits or letters (default `Some(3)`);
    /// `None` turns the rule off.
    pub max_sequence: Option<usize>,
    /// Require at least one letter (default false).
    pub require_letter: bool,
    /// Require at least one digit (default false).
    pub require_digit: bool,
    /// PINs refused outright (default [`VENDOR_DEFAULT_PINS`]); compared case-insensitively.
    pub forbidden: Vec<String>,
}

impl Default for PinPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: None,
            alphabet: PinAlphabet::LatinAlphanumeric,
            max_sequence: Some(3),
            require_letter: false,
            require_digit: false,
            forbidden: VENDOR_DEFAULT_PINS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl PinPolicy {
    /// Adds PINs to refuse (a bank's own list of weak PINs).
    pub fn forbid<I, S>(mut self, pins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.forbidden.extend(pins.into_iter().map(Into::into));
        self
    }

    /// Whether `pin` is one of the forbidden (vendor default) PINs. Use it to flag a carrier
    /// that still has its factory PIN after a successful login.
    pub fn is_forbidden(&self, pin: &[u8]) -> bool {
        let lower = Zeroizing::new(pin.to_ascii_lowercase());
        let mut hit = subtle::Choice::from(0);
        for f in &self.forbidden {
            if f.len() == pin.len() {
                hit |= lower.ct_eq(f.to_ascii_lowercase().as_bytes());
            }
        }
        hit.into()
    }

    /// Checks a new PIN and, when it passes, wraps it as [`Approved`] for the carrier calls
    /// that set PINs.
    pub fn approve<P: PinSecret>(
        &self,
        new: P,
        old: Option<&P>,
    ) -> Result<Approved<P>, PolicyViolations> {
        self.check(&new, old).map(|()| Approved(new))
    }

    /// Checks a new PIN, and that it differs from `old` when given. Returns every violation.
    pub fn check<P: PinSecret>(&self, new: &P, old: Option<&P>) -> Result<(), PolicyViolations> {
        let pin = new.pin_bytes();
        let mut out = Vec::new();
        if pin.len() < self.min_length {
            out.push(PolicyViolation::TooShort {
                min: self.min_length,
                actual: pin.len(),
            });
        }
        if let Some(max) = self.max_length
            && pin.len() > max
        {
            out.push(PolicyViolation::TooLong {
                max,
                actual: pin.len(),
            });
        }
        let bad: Vec<usize> = pin
            .iter()
            .enumerate()
            .filter(|(_, b)| !self.alphabet.allows(**b))
            .map(|(i, _)| i)
            .collect();
        if let Some(&position) = bad.first() {
            out.push(PolicyViolation::CharacterNotAllowed {
                position,
                count: bad.len(),
            });
        }
        if let Some(limit) = self.max_sequence {
            out.extend(find_sequences(pin, limit));
        }
        if self.require_letter && !pin.iter().any(u8::is_ascii_alphabetic) {
            out.push(PolicyViolation::NoLetter);
        }
        if self.require_digit && !pin.iter().any(u8::is_ascii_digit) {
            out.push(PolicyViolation::NoDigit);
        }
        if self.is_forbidden(pin) {
            out.push(PolicyViolation::VendorDefault);
        }
        if old.is_some_and(|old| old == new) {
            out.push(PolicyViolation::SameAsOld);
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(PolicyViolations(out))
        }
    }
}

/// Class of a character for run detection: runs are within digits or within letters.
fn class(b: u8) -> Option<(u8, u8)> {
    if b.is_ascii_digit() {
        Some((0, b))
    } else if b.is_ascii_alphabetic() {
        Some((1, b.to_ascii_lowercase()))
    } else {
        None
    }
}

/// Maximal runs of at least `limit` characters, each one more (or each one less) than the one
/// before, within digits or within letters. `limit` below 2 is treated as 2.
fn find_sequences(pin: &[u8], limit: usize) -> Vec<PolicyViolation> {
    let limit = limit.max(2);
    let mut out = Vec::new();
    for step in [1i16, -1] {
        let mut start = 0;
        let mut i = 1;
        while i <= pin.len() {
            let continues = match (
                pin.get(i.wrapping_sub(1)).copied().and_then(class),
                pin.get(i).copied().and_then(class),
            ) {
                (Some((ca, a)), Some((cb, b))) => ca == cb && i16::from(b) - i16::from(a) == step,
                _ => false,
            };
            if !continues {
                let length = i - start;
                if length >= limit {
                    out.push(PolicyViolation::Sequence {
                        position: start,
                        length,
                    });
                }
                start = i;
            }
            i += 1;
        }
    }
    out.sort_by_key(|v| match v {
        PolicyViolation::Sequence { position, .. } => *position,
        _ => 0,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pin: &str) -> Result<(), PolicyViolations> {
        PinPolicy::default().check(&Pin::new(pin), None)
    }

    #[test]
    fn good_pins_pass() {
        for pin in ["Rx7mQ2wz", "k9d4p7r2", "A1b3C5d7e9", "90wq81ZZ"] {
            assert_eq!(check(pin), Ok(()), "{pin}");
        }
    }

    #[test]
    fn length_rule_both_ways() {
        assert!(
            check("k9d4p7r")
                .unwrap_err()
                .contains(&PolicyViolation::TooShort { min: 8, actual: 7 })
        );
        assert_eq!(check("k9d4p7r2"), Ok(()));
        let p = PinPolicy {
            max_length: Some(10),
            ..PinPolicy::default()
        };
        let v = p.check(&Pin::new("k9d4p7r2k9d"), None).unwrap_err();
        assert!(v.contains(&PolicyViolation::TooLong {
            max: 10,
            actual: 11
        }));
        assert!(p.check(&Pin::new("k9d4p7r2k9"), None).is_ok());
    }

    #[test]
    fn alphabet_rule_both_ways() {
        let v = check("k9d4-7r2_").unwrap_err();
        assert!(v.contains(&PolicyViolation::CharacterNotAllowed {
            position: 4,
            count: 2
        }));
        // Cyrillic letters are not Latin.
        assert!(check("k9d4p7rЖ").is_err());
        let printable = PinPolicy {
            alphabet: PinAlphabet::PrintableAscii,
            ..PinPolicy::default()
        };
        assert!(printable.check(&Pin::new("k9d4-7r2_"), None).is_ok());
        let digits = PinPolicy {
            alphabet: PinAlphabet::Digits,
            ..PinPolicy::default()
        };
        assert!(digits.check(&Pin::new("90817263"), None).is_ok());
        assert!(digits.check(&Pin::new("9081726a"), None).is_err());
    }

    #[test]
    fn runs_up_and_down_in_digits_and_letters() {
        for (pin, position) in [
            ("x123kq9w", 1),
            ("w9q678zz", 3),
            ("abc9q7w2", 0),
            ("q9w7cba2", 4),
            ("q9w7w987", 5),
            ("q9w7kXYZ", 5),
            ("q9w7kxYz", 5),
        ] {
            let v = check(pin).unwrap_err();
            assert!(
                v.iter().any(
                    |x| matches!(x, PolicyViolation::Sequence { position: p, .. } if *p == position)
                ),
                "{pin}: {v}"
            );
        }
        // Two-character steps, wrap-arounds and digit/letter borders are not runs.
        for pin in ["q12w89ka", "k890q1wz", "9ab2z7qy", "z9a0k1q3"] {
            assert_eq!(check(pin), Ok(()), "{pin}");
        }
        let long = check("k12345qz").unwrap_err();
        assert!(long.contains(&PolicyViolation::Sequence {
            position: 1,
            length: 5
        }));
        let off = PinPolicy {
            max_sequence: None,
            ..PinPolicy::default()
        };
        assert!(off.check(&Pin::new("k12345qz"), None).is_ok());
    }

    #[test]
    fn vendor_defaults_refused() {
        let v = check("87654321").unwrap_err();
        assert!(v.contains(&PolicyViolation::VendorDefault));
        let custom = PinPolicy::default().forbid(["Password1"]);
        assert!(
            custom
                .check(&Pin::new("PASSWORD1"), None)
                .unwrap_err()
                .contains(&PolicyViolation::VendorDefault)
        );
        assert!(PinPolicy::default().is_forbidden(b"12345678"));
        assert!(!PinPolicy::default().is_forbidden(b"Rx7mQ2wz"));
    }

    #[test]
    fn same_as_old_refused() {
        let p = PinPolicy::default();
        let old = Pin::new("Rx7mQ2wz");
        assert!(
            p.check(&Pin::new("Rx7mQ2wz"), Some(&old))
                .unwrap_err()
                .contains(&PolicyViolation::SameAsOld)
        );
        assert!(p.check(&Pin::new("Rx7mQ2wy"), Some(&old)).is_ok());
    }

    #[test]
    fn letter_and_digit_requirements() {
        let p = PinPolicy {
            require_letter: true,
            require_digit: true,
            ..PinPolicy::default()
        };
        let v = p.check(&Pin::new("qwrtzuio"), None).unwrap_err();
        assert_eq!(v.0, vec![PolicyViolation::NoDigit]);
        let v = p.check(&Pin::new("90817263"), None).unwrap_err();
        assert_eq!(v.0, vec![PolicyViolation::NoLetter]);
        assert!(p.check(&Pin::new("q9w7e5r3"), None).is_ok());
    }

    #[test]
    fn all_violations_reported_together() {
        let v = PinPolicy::default()
            .check(&Pin::new("123"), Some(&Pin::new("123")))
            .unwrap_err();
        assert!(v.contains(&PolicyViolation::TooShort { min: 8, actual: 3 }));
        assert!(v.contains(&PolicyViolation::Sequence {
            position: 0,
            length: 3
        }));
        assert!(v.contains(&PolicyViolation::SameAsOld));
        assert_eq!(v.len(), 3);
        let shown = v.to_string();
        assert!(
            shown.contains("too short") && shown.contains("run of 3"),
            "{shown}"
        );
    }
}
