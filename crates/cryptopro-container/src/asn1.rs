//! The ASN.1 structures of the four files of a CryptoPro CSP container that this crate reads,
//! mirrored as `der` types. CryptoPro publishes no module for them; the field names follow the
//! ones used by independent readers of the format (kmvi/cp-extract-data, li0ard/ckey, both MIT)
//! and were checked against containers made by CryptoPro CSP.
//!
//! ```text
//! header.key  ::= SEQUENCE { content KeyContainerContent, contentMac OCTET STRING }
//! masks.key   ::= SEQUENCE { mask OCTET STRING, salt OCTET STRING, mac OCTET STRING }
//! primary.key ::= SEQUENCE { key OCTET STRING }   -- encrypted d·mask, little-endian
//! name.key    ::= SEQUENCE { name IA5String }
//! ```
//!
//! `primary2.key` / `masks2.key` are the reserve copy of the primary key (with its own mask
//! and salt) that CryptoPro keeps when `kccaReservePrimary` is set; same structures.

use der::Sequence;
use der::asn1::{AnyRef, BitStringRef, Ia5StringRef, IntRef, ObjectIdentifier, OctetStringRef};

/// `header.key`: the container's description and its MAC (the MAC's key is not derived from
/// the PIN in a way this crate knows, so it is kept but not checked).
#[derive(Sequence)]
pub(crate) struct HeaderFile<'a> {
    pub(crate) content: ContainerContent<'a>,
    #[allow(dead_code, reason = "mirrors the file; its key is unknown")]
    pub(crate) content_mac: &'a OctetStringRef,
}

/// `KeyContainerContent`: algorithms, certificates and the public-key fingerprints.
#[derive(Sequence)]
#[allow(
    dead_code,
    reason = "mirrors the file: every field is decoded, not all are used"
)]
pub(crate) struct ContainerContent<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) container_algorithm: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub(crate) container_name: Option<Ia5StringRef<'a>>,
    /// kccaSoftPassword(0), kccaReservePrimary(1), kccaPrimaryKeyAbsent(2), kccaFKCShared(3).
    pub(crate) attributes: BitStringRef<'a>,
    pub(crate) primary_key_parameters: PrivateKeyParameters<'a>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) password_mac: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) secondary_encrypted_key: Option<AnyRef<'a>>,
    #[asn1(context_specific = "4", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) secondary_key_parameters: Option<PrivateKeyParameters<'a>>,
    /// The certificate DER, as the content of a primitive `[5]`.
    #[asn1(context_specific = "5", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) primary_certificate: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "6", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) secondary_certificate: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "7", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) encryption_container_name: Option<Ia5StringRef<'a>>,
    #[asn1(context_specific = "8", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) primary_certificate_link: Option<CertificateLink<'a>>,
    #[asn1(context_specific = "9", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) secondary_certificate_link: Option<CertificateLink<'a>>,
    /// The first 8 bytes of the public key `X_le ‖ Y_le`.
    #[asn1(context_specific = "10", tag_mode = "IMPLICIT")]
    pub(crate) primary_fingerprint: &'a OctetStringRef,
    #[asn1(context_specific = "11", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) secondary_fingerprint: Option<&'a OctetStringRef>,
    #[asn1(optional = "true")]
    pub(crate) password_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub(crate) security_level: Option<IntRef<'a>>,
    #[asn1(context_specific = "12", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) extensions: Option<Vec<ContainerExtension<'a>>>,
    #[asn1(context_specific = "13", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) secondary_encryption_container_name: Option<Ia5StringRef<'a>>,
}

/// `PrivateKeyParameters`: the key's attributes and its algorithm.
#[derive(Sequence)]
pub(crate) struct PrivateKeyParameters<'a> {
    /// pkaExportable(0), pkaUserProtect(1), pkaExchange(2), pkaEphemeral(3),
    /// pkaNonCachable(4), pkaDhAllowed(5).
    pub(crate) attributes: BitStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    pub(crate) algorithm: KeyAlgorithm,
}

/// The key algorithm: an agreement (DH) or signature OID with GOST key parameters.
#[derive(Sequence)]
pub(crate) struct KeyAlgorithm {
    pub(crate) algorithm: ObjectIdentifier,
    pub(crate) parameters: KeyParameters,
}

/// `GostR3410-PublicKeyParameters`, with the optional cipher parameters 2001 keys may carry.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct KeyParameters {
    pub(crate) public_key_param_set: ObjectIdentifier,
    #[asn1(optional = "true")]
    pub(crate) digest_param_set: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub(crate) encryption_param_set: Option<ObjectIdentifier>,
}

/// Where a certificate kept outside the container is, with a MAC over it.
#[derive(Sequence)]
#[allow(dead_code, reason = "mirrors the file")]
pub(crate) struct CertificateLink<'a> {
    pub(crate) path: Ia5StringRef<'a>,
    pub(crate) mac: &'a OctetStringRef,
}

/// An extension of the container, e.g. 1.2.643.2.2.37.3.10 (the private key's validity).
#[derive(Sequence)]
pub(crate) struct ContainerExtension<'a> {
    pub(crate) id: ObjectIdentifier,
    #[asn1(default = "Default::default")]
    pub(crate) critical: bool,
    pub(crate) value: &'a OctetStringRef,
}

/// `masks.key` / `masks2.key`.
#[derive(Sequence)]
pub(crate) struct MasksFile<'a> {
    /// The mask, L bytes little-endian.
    pub(crate) mask: &'a OctetStringRef,
    /// The salt of the PIN key derivation (12 bytes in the containers seen).
    pub(crate) salt: &'a OctetStringRef,
    #[allow(dead_code, reason = "mirrors the file; its key is unknown")]
    pub(crate) mac: &'a OctetStringRef,
}

/// `primary.key` / `primary2.key`.
#[derive(Sequence)]
pub(crate) struct PrimaryFile<'a> {
    /// `d · mask mod q`, little-endian, encrypted with GOST 28147-89 ECB.
    pub(crate) key: &'a OctetStringRef,
}

/// `name.key`: the name CryptoPro shows for the container. IA5String in the files seen; the
/// other string types are accepted so that a name in another encoding is not an error.
#[derive(Sequence)]
pub(crate) struct NameFile<'a> {
    pub(crate) name: AnyRef<'a>,
}
