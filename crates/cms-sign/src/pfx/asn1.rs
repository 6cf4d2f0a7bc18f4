//! The PKCS#12 structures (RFC 7292, RFC 8018) and the GOST cipher parameters read from them.

use der::Sequence;
use der::asn1::{Any, ObjectIdentifier, OctetString};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

/// `PFX` (RFC 7292 §4).
#[derive(Clone, Debug, Sequence)]
pub(super) struct Pfx {
    pub(super) version: u8,
    pub(super) auth_safe: cms::content_info::ContentInfo,
    #[asn1(optional = "true")]
    pub(super) mac_data: Option<MacData>,
}

/// `MacData`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct MacData {
    pub(super) mac: DigestInfo,
    pub(super) mac_salt: OctetString,
    #[asn1(default = "one")]
    pub(super) iterations: u32,
}

pub(super) fn one() -> u32 {
    1
}

/// `DigestInfo`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct DigestInfo {
    pub(super) algorithm: AlgorithmIdentifierOwned,
    pub(super) digest: OctetString,
}

/// `SafeBag`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct SafeBag {
    pub(super) bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub(super) bag_value: Any,
    #[asn1(optional = "true")]
    pub(super) bag_attributes: Option<der::asn1::SetOfVec<Attribute>>,
}

/// `EncryptedPrivateKeyInfo` (PKCS#8).
#[derive(Clone, Debug, Sequence)]
pub(super) struct EncryptedPrivateKeyInfo {
    pub(super) algorithm: AlgorithmIdentifierOwned,
    pub(super) data: OctetString,
}

/// `CertBag`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct CertBag {
    pub(super) cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub(super) cert_value: OctetString,
}

/// `PBES2-params` (RFC 8018).
#[derive(Clone, Debug, Sequence)]
pub(super) struct Pbes2Params {
    pub(super) kdf: AlgorithmIdentifierOwned,
    pub(super) scheme: AlgorithmIdentifierOwned,
}

/// `PBKDF2-params` with the salt as `specified`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct Pbkdf2Params {
    pub(super) salt: OctetString,
    pub(super) iteration_count: u32,
    #[asn1(optional = "true")]
    pub(super) key_length: Option<u32>,
    #[asn1(optional = "true")]
    pub(super) prf: Option<AlgorithmIdentifierOwned>,
}

/// `Gost28147-89-Parameters` (RFC 4357).
#[derive(Clone, Debug, Sequence)]
pub(super) struct Gost28147Params {
    pub(super) iv: OctetString,
    pub(super) param_set: ObjectIdentifier,
}

/// `pkcs-12PbeParams`.
#[derive(Clone, Debug, Sequence)]
pub(super) struct Pkcs12PbeParams {
    pub(super) salt: OctetString,
    pub(super) iterations: u32,
}
