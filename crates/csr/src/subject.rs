//! Subject names: the Russian profile (RFC 9215 attributes INN, INNLE, OGRN, OGRNIP, SNILS as
//! NumericString) and the Kazakh profile (IIN as `SERIALNUMBER=IIN…`, BIN as `OU=BIN…`).

use der::asn1::{Any, Ia5StringRef, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode, Tag, Tagged};
use token_core::{Error, Result, oid};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::Certificate;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::ids;

/// How an attribute value is encoded.
#[derive(Clone, Copy)]
enum Kind {
    Utf8,
    Printable,
    Ia5,
    Numeric,
}

fn value(field: &'static str, kind: Kind, text: &str) -> Result<Any> {
    let bad = |e: der::Error| Error::malformed_der(field, e);
    match kind {
        Kind::Utf8 => Any::encode_from(&Utf8StringRef::new(text).map_err(bad)?).map_err(bad),
        Kind::Printable => {
            Any::encode_from(&PrintableStringRef::new(text).map_err(bad)?).map_err(bad)
        }
        Kind::Ia5 => Any::encode_from(&Ia5StringRef::new(text).map_err(bad)?).map_err(bad),
        Kind::Numeric => {
            if !text.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
                return Err(Error::Malformed {
                    what: field,
                    at: None,
                    reason: "NumericString allows digits and spaces only".into(),
                });
            }
            Any::new(Tag::NumericString, text.as_bytes()).map_err(bad)
        }
    }
}

/// One subject attribute: the field name errors use, its OID and its string type.
struct Attribute(&'static str, ObjectIdentifier, Kind);

const C: Attribute = Attribute("C", oid::AT_COUNTRY_NAME, Kind::Printable);
const ST: Attribute = Attribute("ST", oid::AT_STATE_OR_PROVINCE_NAME, Kind::Utf8);
const L: Attribute = Attribute("L", oid::AT_LOCALITY_NAME, Kind::Utf8);
const STREET: Attribute = Attribute("street", oid::AT_STREET_ADDRESS, Kind::Utf8);
const O: Attribute = Attribute("O", oid::AT_ORGANIZATION_NAME, Kind::Utf8);
const OU: Attribute = Attribute("OU", oid::AT_ORGANIZATIONAL_UNIT_NAME, Kind::Utf8);
const T: Attribute = Attribute("T", oid::AT_TITLE, Kind::Utf8);
const SN: Attribute = Attribute("SN", oid::AT_SURNAME, Kind::Utf8);
const GN: Attribute = Attribute("GN", oid::AT_GIVEN_NAME, Kind::Utf8);
const CN: Attribute = Attribute("CN", oid::AT_COMMON_NAME, Kind::Utf8);
const E: Attribute = Attribute("E", oid::AT_EMAIL_ADDRESS, Kind::Ia5);
const INN: Attribute = Attribute("INN", oid::INN, Kind::Numeric);
const INNLE: Attribute = Attribute("INNLE", oid::INNLE, Kind::Numeric);
const OGRN: Attribute = Attribute("OGRN", oid::OGRN, Kind::Numeric);
const OGRNIP: Attribute = Attribute("OGRNIP", oid::OGRNIP, Kind::Numeric);
const SNILS: Attribute = Attribute("SNILS", oid::SNILS, Kind::Numeric);
const SERIAL_NUMBER: Attribute = Attribute("SERIALNUMBER", oid::AT_SERIAL_NUMBER, Kind::Printable);
/// `OU` as the Kazakh profile writes it (`BIN…`, PrintableString).
const OU_BIN: Attribute = Attribute("OU", oid::AT_ORGANIZATIONAL_UNIT_NAME, Kind::Printable);

/// Builds a [`Name`] from attribute entries, one attribute per RDN, in the order given.
struct NameBuilder(RdnSequence);

impl NameBuilder {
    fn new() -> Self {
        Self(RdnSequence::default())
    }

    fn add(&mut self, attribute: &Attribute, text: Option<&str>) -> Result<()> {
        let &Attribute(field, oid, kind) = attribute;
        let Some(text) = text else { return Ok(()) };
        if text.is_empty() {
            return Err(Error::Malformed {
                what: field,
                at: None,
                reason: "empty value".into(),
            });
        }
        let atv = AttributeTypeAndValue {
            oid,
            value: value(field, kind, text)?,
        };
        let rdn = RelativeDistinguishedName::try_from(vec![atv])
            .map_err(|e| Error::malformed_der(field, e))?;
        self.0.push(rdn);
        Ok(())
    }

    fn finish(self) -> Result<Name> {
        let der = self
            .0
            .to_der()
            .map_err(|e| Error::malformed_der("subject", e))?;
        Name::from_der(&der).map_err(|e| Error::malformed_der("subject", e))
    }
}

/// Reads any directory string type as text (UTF8, Printable, IA5, Numeric, Teletex as Latin-1,
/// BMP as UTF-16BE).
pub fn attribute_text(value: &Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => String::from_utf8(bytes.to_vec()).ok(),
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// A subject in the Russian profile (the fields a bank's request form shows; RFC 9215;
/// order No. 795 practice).
///
/// Identifiers are checked with their check digits when the name is built; the error names
/// the field.
///
/// ```
/// let subject = keycarrier_csr::RussianSubject {
///     common_name: Some("ООО «Ромашка»".into()),
///     organization: Some("ООО «Ромашка»".into()),
///     country: Some("RU".into()),
///     inn_le: Some("7707083893".into()),
///     ogrn: Some("1027700132195".into()),
///     ..Default::default()
/// };
/// let name = subject.to_name().unwrap();
/// assert!(name.to_string().contains("C=RU"));
/// let bad = keycarrier_csr::RussianSubject { snils: Some("11223344596".into()), ..subject };
/// assert!(bad.to_name().unwrap_err().to_string().contains("SNILS"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RussianSubject {
    /// CN: the person's full name or the organisation's name.
    pub common_name: Option<String>,
    /// SN: surname.
    pub surname: Option<String>,
    /// GN: given name and patronymic (`"Иван Иванович"`).
    pub given_name: Option<String>,
    /// T: title (position in the organisation).
    pub title: Option<String>,
    /// O: organisation.
    pub organization: Option<String>,
    /// OU: unit.
    pub organizational_unit: Option<String>,
    /// C: two-letter country code (PrintableString).
    pub country: Option<String>,
    /// ST: region (`"77 г. Москва"`).
    pub state: Option<String>,
    /// L: city.
    pub locality: Option<String>,
    /// street: street address.
    pub street: Option<String>,
    /// E: e-mail (IA5String).
    pub email: Option<String>,
    /// INN attribute: an individual's 12-digit INN (or `"00"` + a legal entity's 10 digits).
    pub inn: Option<String>,
    /// INNLE: a legal entity's 10-digit INN.
    pub inn_le: Option<String>,
    /// OGRN (13 digits).
    pub ogrn: Option<String>,
    /// OGRNIP (15 digits).
    pub ogrnip: Option<String>,
    /// SNILS (11 digits, no separators).
    pub snils: Option<String>,
}

impl RussianSubject {
    /// Checks every identifier's check digits; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        if let Some(v) = &self.inn {
            ids::check_inn_attribute(v)?;
        }
        if let Some(v) = &self.inn_le {
            ids::check_inn_le(v)?;
        }
        if let Some(v) = &self.ogrn {
            ids::check_ogrn(v)?;
        }
        if let Some(v) = &self.ogrnip {
            ids::check_ogrnip(v)?;
        }
        if let Some(v) = &self.snils {
            ids::check_snils(v)?;
        }
        if self
            .country
            .as_ref()
            .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::Malformed {
                what: "C",
                at: None,
                reason: "two upper-case letters expected".into(),
            });
        }
        Ok(())
    }

    /// The X.501 name, after [`RussianSubject::validate`]. INN, INNLE, OGRN, OGRNIP and SNILS
    /// are NumericString (RFC 9215), C PrintableString, E IA5String, the rest UTF8String.
    pub fn to_name(&self) -> Result<Name> {
        self.validate()?;
        let mut b = NameBuilder::new();
        b.add(&C, self.country.as_deref())?;
        b.add(&ST, self.state.as_deref())?;
        b.add(&L, self.locality.as_deref())?;
        b.add(&STREET, self.street.as_deref())?;
        b.add(&O, self.organization.as_deref())?;
        b.add(&OU, self.organizational_unit.as_deref())?;
        b.add(&T, self.title.as_deref())?;
        b.add(&SN, self.surname.as_deref())?;
        b.add(&GN, self.given_name.as_deref())?;
        b.add(&CN, self.common_name.as_deref())?;
        b.add(&E, self.email.as_deref())?;
        b.add(&INN, self.inn.as_deref())?;
        b.add(&INNLE, self.inn_le.as_deref())?;
        b.add(&OGRN, self.ogrn.as_deref())?;
        b.add(&OGRNIP, self.ogrnip.as_deref())?;
        b.add(&SNILS, self.snils.as_deref())?;
        b.finish()
    }

    /// Reads the fields this profile knows from a name (any string type; unknown attributes are
    /// ignored). Identifiers are not checked here; [`RussianSubject::to_name`] checks them.
    pub fn from_name(name: &Name) -> Self {
        let mut s = Self::default();
        for rdn in name.as_ref().iter() {
            for atv in rdn.iter() {
                let Some(text) = attribute_text(&atv.value) else {
                    continue;
                };
                let slot = match atv.oid {
                    o if o == oid::AT_COMMON_NAME => &mut s.common_name,
                    o if o == oid::AT_SURNAME => &mut s.surname,
                    o if o == oid::AT_GIVEN_NAME => &mut s.given_name,
                    o if o == oid::AT_TITLE => &mut s.title,
                    o if o == oid::AT_ORGANIZATION_NAME => &mut s.organization,
                    o if o == oid::AT_ORGANIZATIONAL_UNIT_NAME => &mut s.organizational_unit,
                    o if o == oid::AT_COUNTRY_NAME => &mut s.country,
                    o if o == oid::AT_STATE_OR_PROVINCE_NAME => &mut s.state,
                    o if o == oid::AT_LOCALITY_NAME => &mut s.locality,
                    o if o == oid::AT_STREET_ADDRESS => &mut s.street,
                    o if o == oid::AT_EMAIL_ADDRESS => &mut s.email,
                    o if o == oid::INN => &mut s.inn,
                    o if o == oid::INNLE => &mut s.inn_le,
                    o if o == oid::OGRN => &mut s.ogrn,
                    o if o == oid::OGRNIP => &mut s.ogrnip,
                    o if o == oid::SNILS => &mut s.snils,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(text);
                }
            }
        }
        s
    }

    /// Pre-fills the subject from the current certificate (flow U10).
    pub fn from_certificate(der: &[u8]) -> Result<Self> {
        let cert =
            Certificate::from_der(der).map_err(|e| Error::malformed_der("certificate", e))?;
        Ok(Self::from_name(cert.tbs_certificate().subject()))
    }
}

/// A subject in the Kazakh (NCA RK) profile: IIN as `SERIALNUMBER=IIN…`, BIN as `OU=BIN…`.
///
/// ```
/// let s = keycarrier_csr::KazakhSubject {
///     common_name: Some("ИВАНОВ ИВАН".into()),
///     iin: Some("123456789012".into()),
///     ..Default::default()
/// };
/// // 123456789012 has a wrong check digit.
/// assert!(s.to_name().unwrap_err().to_string().contains("IIN"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KazakhSubject {
    /// CN: surname and given name.
    pub common_name: Option<String>,
    /// SN: surname.
    pub surname: Option<String>,
    /// GN: patronymic (NCA RK practice).
    pub given_name: Option<String>,
    /// C: country, normally `KZ`.
    pub country: Option<String>,
    /// ST: region.
    pub state: Option<String>,
    /// L: city.
    pub locality: Option<String>,
    /// O: organisation.
    pub organization: Option<String>,
    /// E: e-mail.
    pub email: Option<String>,
    /// IIN (12 digits), written as `SERIALNUMBER=IIN<digits>`.
    pub iin: Option<String>,
    /// BIN (12 digits), written as `OU=BIN<digits>`.
    pub bin: Option<String>,
}

impl KazakhSubject {
    /// The X.501 name, after checking the IIN and BIN check digits.
    pub fn to_name(&self) -> Result<Name> {
        if let Some(v) = &self.iin {
            ids::check_iin(v)?;
        }
        if let Some(v) = &self.bin {
            ids::check_bin(v)?;
        }
        let iin = self.iin.as_ref().map(|v| format!("IIN{v}"));
        let bin = self.bin.as_ref().map(|v| format!("BIN{v}"));
        let mut b = NameBuilder::new();
        b.add(&CN, self.common_name.as_deref())?;
        b.add(&SN, self.surname.as_deref())?;
        b.add(&SERIAL_NUMBER, iin.as_deref())?;
        b.add(&C, self.country.as_deref())?;
        b.add(&ST, self.state.as_deref())?;
        b.add(&L, self.locality.as_deref())?;
        b.add(&O, self.organization.as_deref())?;
        b.add(&OU_BIN, bin.as_deref())?;
        b.add(&GN, self.given_name.as_deref())?;
        b.add(&E, self.email.as_deref())?;
        b.finish()
    }

    /// Reads the fields of this profile from a name.
    pub fn from_name(name: &Name) -> Self {
        let mut s = Self::default();
        for atv in name.iter() {
            let Some(text) = attribute_text(&atv.value) else {
                continue;
            };
            match atv.oid {
                o if o == oid::AT_COMMON_NAME => s.common_name = Some(text),
                o if o == oid::AT_SURNAME => s.surname = Some(text),
                o if o == oid::AT_GIVEN_NAME => s.given_name = Some(text),
                o if o == oid::AT_COUNTRY_NAME => s.country = Some(text),
                o if o == oid::AT_STATE_OR_PROVINCE_NAME => s.state = Some(text),
                o if o == oid::AT_LOCALITY_NAME => s.locality = Some(text),
                o if o == oid::AT_ORGANIZATION_NAME => s.organization = Some(text),
                o if o == oid::AT_EMAIL_ADDRESS => s.email = Some(text),
                o if o == oid::AT_SERIAL_NUMBER => {
                    s.iin = Some(text.strip_prefix("IIN").unwrap_or(&text).to_owned());
                }
                o if o == oid::AT_ORGANIZATIONAL_UNIT_NAME => {
                    if let Some(b) = text.strip_prefix("BIN") {
                        s.bin = Some(b.to_owned());
                    }
                }
                _ => {}
            }
        }
        s
    }
}

/// The subject of a request: one of the profiles, or a ready name.
///
/// Functions that take a subject take `impl Into<Subject>`, so a profile is passed as it is:
/// the variants matter only when reading a subject back (e.g. to correct a field of a
/// pre-filled [`crate::RequestTemplate`]).
///
/// ```
/// use keycarrier_csr::{KazakhSubject, RussianSubject, Subject};
/// let ru: Subject = RussianSubject::default().into();
/// assert!(matches!(ru, Subject::Russian(_)));
/// let kz = Subject::from(KazakhSubject::default());
/// assert!(matches!(kz, Subject::Kazakh(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The Russian profile (identifiers checked when signing).
    Russian(RussianSubject),
    /// The Kazakh profile (IIN/BIN checked when signing).
    Kazakh(KazakhSubject),
    /// A name used as given.
    Name(Name),
}

impl Subject {
    /// The X.501 name; checks the identifiers of a profile.
    pub fn to_name(&self) -> Result<Name> {
        match self {
            Self::Russian(s) => s.to_name(),
            Self::Kazakh(s) => s.to_name(),
            Self::Name(n) => Ok(n.clone()),
        }
    }
}

impl From<RussianSubject> for Subject {
    fn from(subject: RussianSubject) -> Self {
        Self::Russian(subject)
    }
}

impl From<KazakhSubject> for Subject {
    fn from(subject: KazakhSubject) -> Self {
        Self::Kazakh(subject)
    }
}

impl From<Name> for Subject {
    fn from(name: Name) -> Self {
        Self::Name(name)
    }
}
