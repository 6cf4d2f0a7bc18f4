//! Distinguished names as RFC 4514 strings, exactly as `x509-cert`'s `Display` writes them,
//! without its cost.
//!
//! `x509-cert` finds each attribute's short name by scanning const-oid's whole OID database,
//! once per attribute of every name it prints. Parsing a certificate prints two names, and a
//! bank's verification server parses a certificate per signature: that scan was about an
//! eighth of a CMS verification. Here the name found for an OID is remembered; the output is
//! byte for byte the same (tested against `x509-cert` on names with every escape case).

use std::fmt::Write as _;
use std::sync::{PoisonError, RwLock};

use const_oid::ObjectIdentifier;
use const_oid::db::DB;
use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Encode, Tag};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

/// OIDs looked up so far and the shortest name const-oid's database has for each.
/// Read-mostly: threads verifying at once only share a read lock once the names are known.
static SHORT_NAMES: RwLock<Vec<(ObjectIdentifier, Option<&'static str>)>> = RwLock::new(Vec::new());

/// The shortest database name of `oid` (the first of equally short ones, as `x509-cert`).
fn shortest_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    if let Some((_, name)) = SHORT_NAMES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(o, _)| o == oid)
    {
        return *name;
    }
    let mut best: Option<&'static str> = None;
    for m in DB.find_names_for_oid(*oid) {
        if best.is_none_or(|b| m.len() < b.len()) {
            best = Some(m);
        }
    }
    // Names in certificates come from a short list; the bound only guards against a hostile
    // stream of made-up OIDs.
    let mut known = SHORT_NAMES.write().unwrap_or_else(PoisonError::into_inner);
    if known.len() < 256 && !known.iter().any(|(o, _)| o == oid) {
        known.push((*oid, best));
    }
    best
}

/// `name` in RFC 4514 form (RDNs last to first, `+` inside a multi-valued RDN).
pub fn name_to_string(name: &Name) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            write_atv(&mut out, atv);
        }
    }
    out
}

fn write_atv(out: &mut String, atv: &AttributeTypeAndValue) {
    let val = match der::Tagged::tag(&atv.value) {
        Tag::PrintableString => PrintableStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        _ => None,
    };
    if let (Some(key), Some(val)) = (shortest_name(&atv.oid), val) {
        out.push_str(&key.to_ascii_uppercase());
        out.push('=');
        let mut iter = val.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            match c {
                '#' if i == 0 => out.push_str("\\#"),
                ' ' if i == 0 || iter.peek().is_none() => out.push_str("\\ "),
                '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                '\x00'..='\x1f' | '\x7f' => {
                    let _ = write!(out, "\\{:02x}", c as u8);
                }
                _ => out.push(c),
            }
        }
    } else {
        let _ = write!(out, "{}=#", atv.oid);
        for b in atv.value.to_der().unwrap_or_default() {
            let _ = write!(out, "{b:02x}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use core::str::FromStr;
    use der::Decode;
    use der::asn1::{Any, SetOfVec};
    use x509_cert::name::{RdnSequence, RelativeDistinguishedName};

    fn atv(oid: &str, tag: Tag, value: &[u8]) -> AttributeTypeAndValue {
        AttributeTypeAndValue {
            oid: ObjectIdentifier::new_unwrap(oid),
            value: Any::new(tag, value).unwrap(),
        }
    }

    #[test]
    fn same_text_as_x509_cert() {
        let mut names: Vec<Name> = [
            "CN=Ivanov Ivan,O=Romashka,C=RU",
            "CN=\\#hash,OU=a\\,b+L=Moscow,ST=\\ lead and trail\\ ,C=RU",
            "CN=quote\\\"semi\\;lt\\<gt\\>back\\\\plus\\+",
        ]
        .iter()
        .map(|s| Name::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect();
        names.push(Name::default());
        // Russian identifiers (NumericString: hex form), UTF-8 Cyrillic, a control character,
        // an unknown OID, a BMPString, and a multi-valued RDN.
        let rdn = |atvs: Vec<AttributeTypeAndValue>| {
            RelativeDistinguishedName::from(SetOfVec::try_from(atvs).unwrap())
        };
        let seq = RdnSequence::from(vec![
            rdn(vec![atv(
                "1.2.643.3.131.1.1",
                Tag::NumericString,
                b"007707083893",
            )]),
            rdn(vec![atv(
                "1.2.643.100.1",
                Tag::NumericString,
                b"1027700132195",
            )]),
            rdn(vec![atv(
                "2.5.4.3",
                Tag::Utf8String,
                "Иванов Иван".as_bytes(),
            )]),
            rdn(vec![atv("2.5.4.10", Tag::Utf8String, b"ctl\x01\x7fend")]),
            rdn(vec![atv("1.2.3.4.5", Tag::Utf8String, b"unknown")]),
            rdn(vec![atv("2.5.4.7", Tag::BmpString, &[0, 0x41])]),
            rdn(vec![
                atv("2.5.4.3", Tag::PrintableString, b"A"),
                atv("2.5.4.11", Tag::Ia5String, b"B"),
            ]),
            rdn(vec![atv("2.5.4.3", Tag::TeletexString, b"teletex")]),
            // The rest of the Russian subject profile.
            rdn(vec![atv(
                "1.2.840.113549.1.9.1",
                Tag::Ia5String,
                b"ivanov@example.ru",
            )]),
            rdn(vec![atv(
                "2.5.4.9",
                Tag::Utf8String,
                "ул. Ленина, 1".as_bytes(),
            )]),
            rdn(vec![atv("2.5.4.12", Tag::Utf8String, b"Director")]),
            rdn(vec![atv("2.5.4.4", Tag::Utf8String, b"Ivanov")]),
            rdn(vec![atv("2.5.4.42", Tag::Utf8String, b"Ivan Ivanovich")]),
            rdn(vec![atv(
                "1.2.643.100.3",
                Tag::NumericString,
                b"11223344595",
            )]),
            rdn(vec![atv(
                "1.2.643.100.4",
                Tag::NumericString,
                b"7707083893",
            )]),
            rdn(vec![atv(
                "1.2.643.100.5",
                Tag::NumericString,
                b"304500116000157",
            )]),
            rdn(vec![atv("2.5.4.6", Tag::PrintableString, b"RU")]),
            rdn(vec![atv("2.5.4.8", Tag::Utf8String, b" both ends ")]),
        ]);
        names.push(Name::from_der(&seq.to_der().unwrap()).unwrap());
        for name in &names {
            assert_eq!(name_to_string(name), name.to_string());
            // Second time from the memo.
            assert_eq!(name_to_string(name), name.to_string());
        }
    }
}
