//! The ASN.1 that the `cms` crate does not define: algorithm parameters of the content
//! ciphers and key transports, and the GOST key-transport structures. Types mirror the modules
//! they come from; names keep the ASN.1 names.

use der::Sequence;
use der::asn1::{ObjectIdentifier, OctetString};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// `GCMParameters` (RFC 5084 §3.2): the nonce and the tag length of AES-GCM content.
///
/// ```text
/// GCMParameters ::= SEQUENCE {
///   aes-nonce        OCTET STRING, -- recommended size is 12 octets
///   aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct GcmParameters {
    pub(crate) nonce: OctetString,
    #[asn1(default = "default_icv_len")]
    pub(crate) icv_len: u8,
}

fn default_icv_len() -> u8 {
    12
}

/// `RSAES-OAEP-params` (RFC 4055 §4.1 / RFC 8017 A.2.1); every field defaults to the SHA-1
/// variant.
///
/// ```text
/// RSAES-OAEP-params ::= SEQUENCE {
///   hashFunc          [0] AlgorithmIdentifier DEFAULT sha1Identifier,
///   maskGenFunc       [1] AlgorithmIdentifier DEFAULT mgf1SHA1Identifier,
///   pSourceFunc       [2] AlgorithmIdentifier DEFAULT pSpecifiedEmptyIdentifier }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence, Default)]
pub(crate) struct RsaesOaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) p_source: Option<AlgorithmIdentifierOwned>,
}

/// The parameters of the TC26 content ciphers (`*-ctracpkm`, `*-ctracpkm-omac`,
/// R 1323565.1.025-2019): one octet string, the IV half followed by the KDF seed (8 bytes).
///
/// ```text
/// GostR3412-15-Encryption-Parameters ::= SEQUENCE { ukm OCTET STRING }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Gost2015Parameters {
    pub(crate) ukm: OctetString,
}

/// `Gost28147-89-Parameters` (RFC 4357 §10.3): the IV and S-box of GOST 28147-89 CFB content.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Gost28147Parameters {
    pub(crate) iv: OctetString,
    pub(crate) encryption_param_set: ObjectIdentifier,
}

/// `GostR3410-KeyTransport` (RFC 4490 §4.2): the CryptoPro key transport that OpenSSL writes
/// with `-gost89`, for 2001 and 2012 keys alike.
///
/// ```text
/// GostR3410-KeyTransport ::= SEQUENCE {
///   sessionEncryptedKey   Gost28147-89-EncryptedKey,
///   transportParameters   [0] IMPLICIT GostR3410-TransportParameters OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct GostR3410KeyTransport {
    pub(crate) session_encrypted_key: Gost28147EncryptedKey,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) transport_parameters: Option<GostR3410TransportParameters>,
}

/// `Gost28147-89-EncryptedKey` (RFC 4357 §10.6): the wrapped key and its 4-byte MAC.
///
/// ```text
/// Gost28147-89-EncryptedKey ::= SEQUENCE {
///   encryptedKey  OCTET STRING (SIZE (32)),
///   maskKey       [0] IMPLICIT OCTET STRING OPTIONAL,
///   macKey        OCTET STRING (SIZE (1..4)) }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Gost28147EncryptedKey {
    pub(crate) encrypted_key: OctetString,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) mask_key: Option<OctetString>,
    pub(crate) mac_key: OctetString,
}

/// `GostR3410-TransportParameters` (RFC 4490 §4.2): the S-box, the sender's ephemeral key and
/// the 8-byte UKM.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct GostR3410TransportParameters {
    pub(crate) encryption_param_set: ObjectIdentifier,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) ephemeral_public_key: Option<SubjectPublicKeyInfoOwned>,
    pub(crate) ukm: OctetString,
}

/// `GostR3410-12-PSKeyTransport` (R 1323565.1.025-2019, the KExp15 key transport): the key
/// exported with KExp15 under a key derived by KEG, the sender's ephemeral key and the UKM.
///
/// ```text
/// PSKeyTransport ::= SEQUENCE {
///   PSEXP                 OCTET STRING,
///   ephemeralPublicKey    SubjectPublicKeyInfo,
///   ukm                   OCTET STRING OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct PsKeyTransport {
    pub(crate) psexp: OctetString,
    pub(crate) ephemeral_public_key: SubjectPublicKeyInfoOwned,
    pub(crate) ukm: Option<OctetString>,
}

/// The parameter of the KExp15 key-encryption algorithm identifiers: which agreement
/// (`id-tc26-agreement-gost-3410-12-256/512`) derived the export keys.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct KeyWrapParameters {
    pub(crate) agreement: ObjectIdentifier,
}
