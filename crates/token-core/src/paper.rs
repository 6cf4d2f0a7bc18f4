//! Codes typed from paper or dictated over the phone (flows U04, U07).
//!
//! OTP-card PINs, unblock request and response codes are read by a person and typed again.
//! Banks warn: type capitals; a `1` may be an `I`; the request code has no letter `O`, so every
//! `O` is a zero. [`normalize_code`] applies those rules for a given [`CodeAlphabet`]: it drops
//! spaces and dashes, upper-cases, turns Cyrillic look-alikes typed on a Russian keyboard layout
//! into their Latin twins, and maps `O`→`0` / `I`→`1` only when the alphabet has no such
//! letter.
//!
//! ```
//! use keycarrier_token_core::{normalize_code, CodeAlphabet};
//! let code = normalize_code("a7k2-o9c1 i", &CodeAlphabet::WITHOUT_O_AND_I).unwrap();
//! assert_eq!(code.as_str(), "A7K209C11");
//! ```

use zeroize::Zeroizing;

use crate::Error;

/// The characters a code is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeAlphabet {
    /// Digits `0`–`9` are part of the alphabet.
    pub digits: bool,
    /// The capital Latin letters of the alphabet, as a string of ASCII capitals.
    pub letters: &'static str,
}

impl CodeAlphabet {
    /// Digits and all 26 Latin capitals: nothing is remapped.
    pub const LATIN_ALPHANUMERIC: Self = Self {
        digits: true,
        letters: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    };
    /// Digits and capitals without `O` (JaCarta request codes): `O` is read as `0`.
    pub const WITHOUT_O: Self = Self {
        digits: true,
        letters: "ABCDEFGHIJKLMNPQRSTUVWXYZ",
    };
    /// Digits and capitals without `O` and `I`: `O` is `0`, `I` is `1`.
    pub const WITHOUT_O_AND_I: Self = Self {
        digits: true,
        letters: "ABCDEFGHJKLMNPQRSTUVWXYZ",
    };
    /// Digits only: `O` is `0`, `I` and `L` are `1`.
    pub const DIGITS: Self = Self {
        digits: true,
        letters: "",
    };

    /// Whether the (upper-case ASCII) character belongs to the alphabet.
    pub fn contains(&self, c: char) -> bool {
        (self.digits && c.is_ascii_digit()) || (c.is_ascii_uppercase() && self.letters.contains(c))
    }
}

/// Cyrillic capitals that look like Latin ones, as typed with a Russian keyboard layout.
fn latin_twin(c: char) -> char {
    match c {
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        other => other,
    }
}

/// Normalises a code typed from paper: drops spaces, tabs and dashes (`-`, `–`, `—`),
/// upper-cases, replaces Cyrillic look-alikes, maps `O`→`0` and `I`/`L`→`1` where the alphabet
/// lacks those letters, and checks that every remaining character belongs to the alphabet.
///
/// The result is zeroized on drop: such codes are often PINs. An error names the position
/// (1-based, in the normalised code) of the first character that is not in the alphabet, never
/// the character itself.
pub fn normalize_code(input: &str, alphabet: &CodeAlphabet) -> Result<Zeroizing<String>, Error> {
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    for c in input.chars() {
        if c.is_whitespace() || matches!(c, '-' | '\u{2013}' | '\u{2014}') {
            continue;
        }
        let mut c = latin_twin(c.to_uppercase().next().unwrap_or(c));
        if !alphabet.contains(c) && alphabet.digits {
            c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
        }
        if !alphabet.contains(c) {
            return Err(Error::Malformed {
                what: "code typed from paper",
                at: Some(out.chars().count() + 1),
                reason: "a character that is not in the code's alphabet".into(),
            });
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(Error::Malformed {
            what: "code typed from paper",
            at: None,
            reason: "empty".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_separators_and_upper_cases() {
        let c = normalize_code(" ab12 - cd34\t—ef ", &CodeAlphabet::LATIN_ALPHANUMERIC).unwrap();
        assert_eq!(c.as_str(), "AB12CD34EF");
    }

    #[test]
    fn maps_o_and_i_only_when_the_alphabet_lacks_them() {
        let full = normalize_code("oI1", &CodeAlphabet::LATIN_ALPHANUMERIC).unwrap();
        assert_eq!(full.as_str(), "OI1");
        let no_o = normalize_code("oI1", &CodeAlphabet::WITHOUT_O).unwrap();
        assert_eq!(no_o.as_str(), "0I1");
        let neither = normalize_code("oI1", &CodeAlphabet::WITHOUT_O_AND_I).unwrap();
        assert_eq!(neither.as_str(), "011");
        let digits = normalize_code("1O2l", &CodeAlphabet::DIGITS).unwrap();
        assert_eq!(digits.as_str(), "1021");
    }

    #[test]
    fn cyrillic_look_alikes_become_latin() {
        // "АВ7СО" typed on a Russian layout: А, В, С, О are Cyrillic.
        let c = normalize_code("АВ7СО", &CodeAlphabet::WITHOUT_O).unwrap();
        assert_eq!(c.as_str(), "AB7C0");
    }

    #[test]
    fn foreign_characters_are_refused_with_position() {
        let err = normalize_code("AB-Ж1", &CodeAlphabet::LATIN_ALPHANUMERIC).unwrap_err();
        match err {
            Error::Malformed { at, .. } => assert_eq!(at, Some(3)),
            other => panic!("unexpected {other:?}"),
        }
        assert!(!format!("{:?}", normalize_code("AB-Ж1", &CodeAlphabet::DIGITS)).contains('Ж'));
        assert!(normalize_code("AB", &CodeAlphabet::DIGITS).is_err());
        assert!(normalize_code(" - ", &CodeAlphabet::DIGITS).is_err());
    }
}
