//! ATR parsing (ISO/IEC 7816-3 §8.2) and token-family identification.
//!
//! [`Atr::parse`] reads TS, T0, the interface-byte groups (TAi, TBi, TCi, TDi), the protocols
//! offered, the historical bytes and TCK (required and checked whenever a protocol other than
//! T=0 is offered). [`identify`] then answers which carrier family this is and which vendor
//! PKCS#11 module to load.
//!
//! # Where the ATRs come from
//!
//! The built-in table [`KNOWN_ATRS`] is a small curated set of ATRs copied from Debian's
//! `pcsc-tools` list, `/usr/share/pcsc/smartcard_list.txt` (Ludovic Rousseau's
//! "smartcard_list.txt", version shipped with pcsc-tools 1.6 in Debian 12; line numbers in the
//! table comments refer to that file). ATR values are facts about cards; only those values and a
//! short name are used. When the file is installed, [`SmartcardList::load_default`] parses it at
//! run time for the human description of any ATR.
//!
//! ```
//! use keycarrier_pcsc_apdu::atr::{Atr, identify};
//! use token_core::CarrierFamily;
//! let atr = Atr::parse(&[0x3B, 0x8B, 0x01, 0x52, 0x75, 0x74, 0x6F, 0x6B, 0x65, 0x6E,
//!                        0x20, 0x45, 0x43, 0x50, 0xA0]).unwrap();
//! assert_eq!(atr.historical(), b"Rutoken ECP");
//! let id = identify(&atr);
//! assert_eq!(id.family, CarrierFamily::Rutoken);
//! assert_eq!(id.pkcs11_modules, ["librtpkcs11ecp.so"]);
//! ```

use core::fmt;

use token_core::{CarrierFamily, Error};

use crate::apdu::Hex;

/// A parsed ATR. Keeps the raw bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Atr {
    raw: Vec<u8>,
    /// `true` for direct convention (`TS = 3B`), `false` for inverse (`3F`).
    pub direct_convention: bool,
    /// Interface-byte groups, group `i` (1-based in ISO) at index `i - 1`.
    pub groups: Vec<InterfaceGroup>,
    /// The protocols offered (from the TDi bytes; T=0 when there is no TD1), in order, no
    /// duplicates.
    pub protocols: Vec<u8>,
    hist_start: usize,
    hist_len: usize,
    /// TCK, when present.
    pub tck: Option<u8>,
}

/// One group of interface bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InterfaceGroup {
    /// TAi.
    pub ta: Option<u8>,
    /// TBi.
    pub tb: Option<u8>,
    /// TCi.
    pub tc: Option<u8>,
    /// TDi.
    pub td: Option<u8>,
}

fn bad(at: usize, reason: &str) -> Error {
    Error::Malformed {
        what: "ATR",
        at: Some(at),
        reason: reason.into(),
    }
}

impl Atr {
    /// Longest ATR ISO 7816-3 allows.
    pub const MAX_LEN: usize = 33;

    /// Parses an ATR. Errors (all [`Error::Malformed`] with the offset) for a bad TS, bytes
    /// missing, trailing bytes, or a wrong TCK.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > Self::MAX_LEN {
            return Err(bad(Self::MAX_LEN, "longer than 33 bytes"));
        }
        let get = |i: usize, what: &str| bytes.get(i).copied().ok_or_else(|| bad(i, what));
        let ts = get(0, "missing TS")?;
        let direct_convention = match ts {
            0x3B => true,
            0x3F => false,
            _ => return Err(bad(0, "TS is neither 3B nor 3F")),
        };
        let t0 = get(1, "missing T0")?;
        let hist_len = usize::from(t0 & 0x0F);
        let mut y = t0 >> 4;
        let mut pos = 2usize;
        let mut groups = Vec::new();
        let mut protocols = Vec::new();
        loop {
            let mut g = InterfaceGroup::default();
            if y & 0x1 != 0 {
                g.ta = Some(get(pos, "missing TA")?);
                pos += 1;
            }
            if y & 0x2 != 0 {
                g.tb = Some(get(pos, "missing TB")?);
                pos += 1;
            }
            if y & 0x4 != 0 {
                g.tc = Some(get(pos, "missing TC")?);
                pos += 1;
            }
            if y & 0x8 != 0 {
                let td = get(pos, "missing TD")?;
                pos += 1;
                g.td = Some(td);
                let t = td & 0x0F;
                if !protocols.contains(&t) {
                    protocols.push(t);
                }
                y = td >> 4;
                groups.push(g);
            } else {
                groups.push(g);
                break;
            }
        }
        if protocols.is_empty() {
            protocols.push(0);
        }
        let hist_start = pos;
        let hist_end = hist_start + hist_len;
        if bytes.len() < hist_end {
            return Err(bad(bytes.len(), "historical bytes missing"));
        }
        let needs_tck = protocols.iter().any(|t| *t != 0);
        let tck = if needs_tck {
            let tck = get(hist_end, "missing TCK")?;
            let xor = bytes
                .get(1..hist_end)
                .unwrap_or_default()
                .iter()
                .fold(tck, |acc, b| acc ^ b);
            if xor != 0 {
                return Err(bad(hist_end, "TCK does not match"));
            }
            Some(tck)
        } else {
            None
        };
        let end = hist_end + usize::from(tck.is_some());
        if bytes.len() != end {
            return Err(bad(end, "trailing bytes after the ATR"));
        }
        Ok(Self {
            raw: bytes.to_vec(),
            direct_convention,
            groups,
            protocols,
            hist_start,
            hist_len,
            tck,
        })
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The historical bytes.
    pub fn historical(&self) -> &[u8] {
        self.raw
            .get(self.hist_start..self.hist_start + self.hist_len)
            .unwrap_or_default()
    }

    /// Whether T=1 is offered.
    pub fn offers_t1(&self) -> bool {
        self.protocols.contains(&1)
    }

    /// The ATR as upper-case hex with spaces, as in `smartcard_list.txt`.
    pub fn to_spaced_hex(&self) -> String {
        spaced_hex(&self.raw)
    }
}

fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Debug for Atr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atr({})", Hex(&self.raw))
    }
}

/// One entry of the built-in ATR table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAtr {
    /// ATR pattern as in `smartcard_list.txt`: hex bytes separated by spaces, `..` matches any
    /// byte.
    pub pattern: &'static str,
    /// Card name as the list gives it.
    pub name: &'static str,
    /// Carrier family.
    pub family: CarrierFamily,
}

/// Curated ATRs from Debian `pcsc-tools` `/usr/share/pcsc/smartcard_list.txt` (line numbers of
/// that file in the comments).
pub const KNOWN_ATRS: &[KnownAtr] = &[
    // 6573, 6577
    known(
        "3B 8B 01 52 75 74 6F 6B 65 6E 20 44 53 20 C1",
        "Aktiv Rutoken ECP",
        CarrierFamily::Rutoken,
    ),
    known(
        "3B 8B 01 52 75 74 6F 6B 65 6E 20 45 43 50 A0",
        "Aktiv Rutoken ECP",
        CarrierFamily::Rutoken,
    ),
    // 6585
    known(
        "3B 8B 01 52 75 74 6F 6B 65 6E 6C 69 74 65 C2",
        "Aktiv Rutoken Lite",
        CarrierFamily::Rutoken,
    ),
    // 8228
    known(
        "3B 9C 94 80 11 40 52 75 74 6F 6B 65 6E 45 43 50 73 63 C3",
        "Aktiv Rutoken ECP SC T1",
        CarrierFamily::Rutoken,
    ),
    // 6915
    known(
        "3B 8C 80 01 50 5C 4B 71 A1 52 74 53 43 77 81 83 D9",
        "RUTOKEN ECP 3.0 (PKI)",
        CarrierFamily::Rutoken,
    ),
    // 11079
    known(
        "3B DC 18 FF 81 91 FE 1F C3 80 73 C8 21 13 66 01 06 11 59 00 01 28",
        "JaCarta (PKI)",
        CarrierFamily::JaCarta,
    ),
    // 11066
    known(
        "3B DC 18 FF 81 11 FE 80 73 C8 21 13 66 01 06 01 30 80 01 8D",
        "Aladdin R.D. JaCarta LT",
        CarrierFamily::JaCarta,
    ),
    // 6018
    known(
        "3B 88 01 4B 41 5A 54 4F 4B 45 4E 82",
        "Kaztoken (eID)",
        CarrierFamily::Kaztoken,
    ),
    // 8109
    known(
        "3B 98 96 00 4B 41 5A 54 4F 4B 45 4E",
        "Kaztoken SC",
        CarrierFamily::Kaztoken,
    ),
    // 10712
    known(
        "3B D5 18 00 81 31 3A 7D 80 73 C8 21 10 30",
        "Aladdin eToken PRO (72KB)",
        CarrierFamily::EToken,
    ),
    // 10717
    known(
        "3B D5 18 00 81 31 FE 7D 80 73 C8 21 10 F4",
        "Gemalto SafeNet eToken Java Based Cards",
        CarrierFamily::EToken,
    ),
    // 13618
    known(
        "3B FF 96 00 00 81 31 FE 43 80 31 80 65 B0 84 56 51 10 12 01 78 82 90 00 6A",
        "SafeNet eToken 5300 (PKI)",
        CarrierFamily::EToken,
    ),
    // 12745
    known(
        "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40",
        "Yubico YubiKey 5 NFC (PKI)",
        CarrierFamily::YubiKey,
    ),
    // 12236
    known(
        "3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4",
        "Yubico Yubikey 4 OTP+CCID",
        CarrierFamily::YubiKey,
    ),
    // 7108
    known(
        "3B 8C 80 01 59 75 62 69 6B 65 79 4E 45 4F 72 33 58",
        "Yubikey Neo",
        CarrierFamily::YubiKey,
    ),
];

const fn known(pattern: &'static str, name: &'static str, family: CarrierFamily) -> KnownAtr {
    KnownAtr {
        pattern,
        name,
        family,
    }
}

/// Whether an ATR matches a `smartcard_list.txt` pattern. Supports hex digits and `.` (any hex
/// digit); patterns with other regular-expression syntax never match.
pub fn pattern_matches(pattern: &str, atr: &[u8]) -> bool {
    let pat: Vec<u8> = pattern
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let hex: Vec<u8> = Hex(atr).to_string().into_bytes();
    pat.len() == hex.len()
        && pat
            .iter()
            .zip(&hex)
            .all(|(p, h)| *p == b'.' || (p.is_ascii_hexdigit() && p == h))
}

/// Which family a carrier is and what to load for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    /// The family.
    pub family: CarrierFamily,
    /// The card name, from the table or from the historical bytes.
    pub name: String,
    /// The PKCS#11 modules that usually serve the family, most specific first (Linux file
    /// names; the same stem with `.dll` on Windows): token-core's one table,
    /// [`CarrierFamily::pkcs11_modules`]. OpenSC's module for a generic card.
    pub pkcs11_modules: &'static [&'static str],
    /// How the answer was found.
    pub basis: IdentificationBasis,
}

/// How [`identify`] reached its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentificationBasis {
    /// An exact entry of [`KNOWN_ATRS`].
    KnownAtr,
    /// A vendor string in the historical bytes, as [`CarrierFamily::guess`] reads it
    /// (`Rutoken`, `KAZTOKEN`, `Yubikey`, `eToken`, `JaCarta`, …), or Aladdin's
    /// `80 73 C8 21 13 66` JaCarta prefix.
    HistoricalBytes,
    /// Nothing recognised: a generic card.
    Generic,
}

/// Identifies the carrier family from the ATR: the curated table first, then vendor strings in
/// the historical bytes, else generic.
pub fn identify(atr: &Atr) -> Identification {
    if let Some(k) = KNOWN_ATRS
        .iter()
        .find(|k| pattern_matches(k.pattern, atr.as_bytes()))
    {
        return Identification {
            family: k.family,
            name: k.name.into(),
            pkcs11_modules: k.family.pkcs11_modules(),
            basis: IdentificationBasis::KnownAtr,
        };
    }
    let hist = atr.historical();
    let text: String = hist
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                ' '
            }
        })
        .collect();
    // token-core's one vendor-string rule, as for PKCS#11 manufacturer / model strings.
    let by_text = match CarrierFamily::guess(&text, "") {
        CarrierFamily::Other => None,
        family => Some(family),
    };
    let jacarta_prefix = hist
        .windows(6)
        .any(|w| w == [0x80, 0x73, 0xC8, 0x21, 0x13, 0x66]);
    let family = by_text.or(jacarta_prefix.then_some(CarrierFamily::JaCarta));
    match family {
        Some(family) => Identification {
            family,
            name: text.split_whitespace().collect::<Vec<_>>().join(" "),
            pkcs11_modules: family.pkcs11_modules(),
            basis: IdentificationBasis::HistoricalBytes,
        },
        None => Identification {
            family: CarrierFamily::Other,
            name: "generic ISO 7816 card".into(),
            pkcs11_modules: CarrierFamily::Other.pkcs11_modules(),
            basis: IdentificationBasis::Generic,
        },
    }
}

/// Debian `pcsc-tools`' ATR list, parsed at run time.
#[derive(Debug, Clone, Default)]
pub struct SmartcardList {
    entries: Vec<(String, Vec<String>)>,
}

impl SmartcardList {
    /// Where Debian's `pcsc-tools` installs the list.
    pub const DEFAULT_PATH: &'static str = "/usr/share/pcsc/smartcard_list.txt";

    /// Parses the list's text: an ATR pattern at the start of a line, followed by lines
    /// starting with a tab that describe it; `#` comments.
    pub fn parse(text: &str) -> Self {
        let mut entries: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(desc) = line.strip_prefix('\t') {
                if let Some((_, descs)) = entries.last_mut() {
                    descs.push(desc.trim().to_owned());
                }
            } else {
                entries.push((line.trim().to_owned(), Vec::new()));
            }
        }
        Self { entries }
    }

    /// Reads [`Self::DEFAULT_PATH`]; `None` when it is not installed.
    pub fn load_default() -> Option<Self> {
        std::fs::read_to_string(Self::DEFAULT_PATH)
            .ok()
            .map(|t| Self::parse(&t))
    }

    /// Number of ATR patterns.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The descriptions of every pattern matching the ATR.
    pub fn describe(&self, atr: &[u8]) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(p, _)| pattern_matches(p, atr))
            .flat_map(|(_, d)| d.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn every_known_atr_parses_and_identifies() {
        for k in KNOWN_ATRS {
            let atr = Atr::parse(&hex(k.pattern)).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            let id = identify(&atr);
            assert_eq!(id.family, k.family, "{}", k.name);
            assert_eq!(id.basis, IdentificationBasis::KnownAtr);
        }
    }

    #[test]
    fn t1_atr_with_tck() {
        let atr = Atr::parse(&[0x3B, 0x80, 0x80, 0x01, 0x01]).unwrap();
        assert_eq!(atr.protocols, vec![0, 1]); // TD1 = 80 names T=0, TD2 = 01 T=1
        assert!(atr.offers_t1());
        assert_eq!(atr.tck, Some(0x01));
        assert!(atr.historical().is_empty());
        assert!(Atr::parse(&[0x3B, 0x80, 0x80, 0x01, 0x02]).is_err());
        let vicc = Atr::parse(&hex("3B 95 13 81 01 80 73 FF 01 00 0B")).unwrap();
        assert_eq!(vicc.groups[0].ta, Some(0x13));
        assert_eq!(vicc.historical(), &[0x80, 0x73, 0xFF, 0x01, 0x00]);
        assert_eq!(identify(&vicc).basis, IdentificationBasis::Generic);
    }

    #[test]
    fn t0_only_has_no_tck() {
        let atr = Atr::parse(&hex("3B 98 96 00 4B 41 5A 54 4F 4B 45 4E")).unwrap();
        assert_eq!(atr.protocols, vec![0]);
        assert_eq!(atr.tck, None);
        assert_eq!(atr.historical(), b"KAZTOKEN");
        // T=0 ATR with trailing junk.
        assert!(Atr::parse(&hex("3B 98 96 00 4B 41 5A 54 4F 4B 45 4E 00")).is_err());
    }

    #[test]
    fn hostile_atrs_are_typed_errors() {
        for b in [
            &[][..],
            &[0x3B],
            &[0x3A, 0x00],
            &[0x3B, 0xF0],
            &[0x3B, 0x0F, 1, 2],
            &[0x3B, 0x80, 0x81],
            &[0x3B, 0x80, 0x80, 0x01],
            &[0x3B; 40],
        ] {
            assert!(
                matches!(Atr::parse(b), Err(Error::Malformed { .. })),
                "{b:02X?}"
            );
        }
    }

    #[test]
    fn historical_bytes_heuristics() {
        // A Rutoken with an ATR not in the table: "Rutoken" in the historical bytes.
        let mut b = vec![0x3B, 0x07];
        b.extend_from_slice(b"Rutoken");
        let id = identify(&Atr::parse(&b).unwrap());
        assert_eq!(id.family, CarrierFamily::Rutoken);
        assert_eq!(id.basis, IdentificationBasis::HistoricalBytes);
        assert_eq!(id.pkcs11_modules, ["librtpkcs11ecp.so"]);
        // KAZTOKEN now gets token-core's module names instead of none at all.
        let kz = identify(&Atr::parse(&hex("3B 98 96 00 4B 41 5A 54 4F 4B 45 4E")).unwrap());
        assert_eq!(kz.family, CarrierFamily::Kaztoken);
        assert!(kz.pkcs11_modules.contains(&"libkztoken.so"));
        // No vendor string: OpenSC for a generic card.
        let generic = identify(&Atr::parse(&hex("3B 95 13 81 01 80 73 FF 01 00 0B")).unwrap());
        assert_eq!(generic.pkcs11_modules, ["opensc-pkcs11.so"]);
        // A JaCarta with a different serial part.
        let j = hex("3B DC 18 FF 81 91 FE 1F C3 80 73 C8 21 13 66 01 0B 03 52 00 05 38");
        assert_eq!(
            identify(&Atr::parse(&j).unwrap()).family,
            CarrierFamily::JaCarta
        );
    }

    #[test]
    fn runtime_list() {
        let text = "# c\n3B 8B 01 52 75 74 6F 6B 65 6E 6C 69 74 65 C2\n\tAktiv Rutoken Lite\n\thttps://x\n\n3B 80 80 01 ..\n\tany\n3B [0-9] 00\n\tregex\n";
        let l = SmartcardList::parse(text);
        assert_eq!(l.len(), 3);
        assert_eq!(
            l.describe(&hex("3B 8B 01 52 75 74 6F 6B 65 6E 6C 69 74 65 C2"))[0],
            "Aktiv Rutoken Lite"
        );
        assert_eq!(l.describe(&[0x3B, 0x80, 0x80, 0x01, 0x01]), vec!["any"]);
        let real = SmartcardList::load_default().unwrap_or_else(|| {
            panic!(
                "{} is missing: install pcsc-tools (apt-get install -y pcsc-tools, as the test \
                 setup does); this test checks the parser against the real list",
                SmartcardList::DEFAULT_PATH
            )
        });
        assert!(real.len() > 1000);
        assert!(
            real.describe(&hex("3B 88 01 4B 41 5A 54 4F 4B 45 4E 82"))
                .iter()
                .any(|d| d.contains("Kaztoken"))
        );
    }
}
