//! Key containers (flow U02): a key pair and its certificates under one id.
//!
//! CryptoPro shows a container as a folder `XXXXXX.000`; a PKCS#11 token as objects sharing a
//! `CKA_ID`. keycarrier calls both a container and names it by a [`ContainerId`].

use core::fmt;
use std::time::SystemTime;

use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use spki::{Document, EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::pkix::KeyUsage;

use crate::{
    EcCurve, Error, GostKeyParameters, GostKeySize, GostParamSet, KeyAlgorithm, Result,
    SecretBytes, oid,
};

/// The identifier of a container (the PKCS#11 `CKA_ID`, the soft token's object id).
///
/// ```
/// use keycarrier_token_core::ContainerId;
/// let id = ContainerId::new(vec![0x3f, 0x2a]);
/// assert_eq!(id.to_string(), "3f2a");
/// assert_eq!("3F2A".parse::<ContainerId>().unwrap(), id);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerId(Vec<u8>);

impl ContainerId {
    /// From raw bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The id every keycarrier backend gives a new container when none is asked for: SHA-1 of
    /// the `subjectPublicKey` bits, i.e. the RFC 5280 key identifier (method 1). It therefore
    /// equals the subjectKeyIdentifier that CAs usually put into the certificate.
    pub fn derived_from(key: &PublicKey) -> Self {
        use sha1::Digest as _;
        Self(sha1::Sha1::digest(key.key_bytes()).to_vec())
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContainerId({self})")
    }
}

impl core::str::FromStr for ContainerId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |at| Error::Malformed {
            what: "container id",
            at: Some(at),
            reason: "expected an even number of hex digits".into(),
        };
        if !s.len().is_multiple_of(2) {
            return Err(bad(s.len()));
        }
        (0..s.len())
            .step_by(2)
            .map(|i| {
                s.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(i))
            })
            .collect::<Result<Vec<u8>>>()
            .map(Self)
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (borrowed).
#[derive(Sequence)]
struct RsaPublicKeyRef<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// A public key as SubjectPublicKeyInfo, with its algorithm read once.
///
/// Implements [`EncodePublicKey`], so it is the `VerifyingKey` of every container signer and
/// fits the x509-cert and cms builders unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    spki: SubjectPublicKeyInfoOwned,
    algorithm: KeyAlgorithm,
}

impl PublicKey {
    /// Parses SPKI DER: a GOST R 34.10-2012 key (TC26 or Kazakh OIDs), an RSA key, or an EC key
    /// on a named [`EcCurve`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(|e| Error::malformed_der("public key", e))?;
        let algorithm = algorithm_of(&spki)?;
        Ok(Self { spki, algorithm })
    }

    /// The key's algorithm and parameter set or size.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The SPKI structure.
    pub fn spki(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }

    /// The contents of the `subjectPublicKey` BIT STRING (for GOST: a DER OCTET STRING holding
    /// `X_le ‖ Y_le`; for RSA: the `RSAPublicKey` DER; for EC: the point, `04 ‖ X ‖ Y`).
    pub fn key_bytes(&self) -> &[u8] {
        self.spki.subject_public_key.raw_bytes()
    }

    /// Whether `other` is the same key, however it is encoded: a GOST key counts as the same
    /// on CryptoPro and TC26 OIDs of one curve and with or without `digestParamSet`.
    ///
    /// ```
    /// # use keycarrier_token_core::PublicKey;
    /// # fn check(a: &PublicKey, b: &PublicKey) -> bool {
    /// a.same_key(b) // e.g. a container's key and a certificate's key
    /// # }
    /// ```
    pub fn same_key(&self, other: &PublicKey) -> bool {
        let same_family = match (self.algorithm, other.algorithm) {
            (KeyAlgorithm::Gost(x), KeyAlgorithm::Gost(y)) => x.curve() == y.curve(),
            (KeyAlgorithm::Rsa { .. }, KeyAlgorithm::Rsa { .. }) => true,
            (KeyAlgorithm::Ec(x), KeyAlgorithm::Ec(y)) => x == y,
            _ => false,
        };
        // The subjectPublicKey contents are canonical DER (the GOST point's OCTET STRING, the
        // RSAPublicKey SEQUENCE), so equal keys have equal bytes.
        same_family && self.key_bytes() == other.key_bytes()
    }

    /// DER of the whole SPKI.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        self.spki
            .to_der()
            .map_err(|e| Error::malformed_der("public key", e))
    }
}

impl EncodePublicKey for PublicKey {
    fn to_public_key_der(&self) -> spki::Result<Document> {
        Ok(Document::try_from(self.spki.to_der()?.as_slice())?)
    }
}

fn algorithm_of(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyAlgorithm> {
    let alg = &spki.algorithm.oid;
    let gost = [
        oid::TC26_GOST_3410_12_256,
        oid::TC26_GOST_3410_12_512,
        oid::KZ_GOST_3410_2015_256,
        oid::KZ_GOST_3410_2015_512,
    ];
    if gost.contains(alg) {
        let params = spki
            .algorithm
            .parameters
            .as_ref()
            .ok_or_else(|| Error::Malformed {
                what: "public key",
                at: None,
                reason: "GOST key without parameters".into(),
            })?
            .decode_as::<GostKeyParameters>()
            .map_err(|e| Error::malformed_der("GOST key parameters", e))?;
        let set = GostParamSet::from_oid(&params.public_key_param_set).ok_or_else(|| {
            Error::Unsupported {
                what: format!("GOST parameter set {}", params.public_key_param_set),
            }
        })?;
        let is_512 = *alg == oid::TC26_GOST_3410_12_512 || *alg == oid::KZ_GOST_3410_2015_512;
        if is_512 != (set.key_size() == GostKeySize::Bits512) {
            return Err(Error::Malformed {
                what: "public key",
                at: None,
                reason: format!("key algorithm {alg} does not match parameter set {set}"),
            });
        }
        return Ok(KeyAlgorithm::Gost(set));
    }
    if *alg == oid::RSA_ENCRYPTION {
        let key = RsaPublicKeyRef::from_der(spki.subject_public_key.raw_bytes())
            .map_err(|e| Error::malformed_der("RSA public key", e))?;
        let n = key.modulus.as_bytes();
        let bits = match n.first() {
            Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
            None => 0,
        };
        let _ = key.public_exponent;
        return Ok(KeyAlgorithm::Rsa {
            bits: u32::try_from(bits).unwrap_or(u32::MAX),
        });
    }
    if *alg == oid::EC_PUBLIC_KEY {
        return ec_algorithm(spki);
    }
    Err(Error::Unsupported {
        what: format!("public key algorithm {alg}"),
    })
}

/// An id-ecPublicKey SPKI (RFC 5480): `namedCurve` parameters naming a supported curve, and an
/// uncompressed (`04 ‖ X ‖ Y`) or compressed (`02|03 ‖ X`) point of the curve's size. The
/// point is not checked to lie on the curve here.
fn ec_algorithm(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyAlgorithm> {
    let curve = EcCurve::from_parameters(
        spki.algorithm.parameters.as_ref().map(der::AnyRef::from),
        "public key",
    )?;
    let point = spki.subject_public_key.raw_bytes();
    let l = curve.coordinate_len();
    let fits = match point.first() {
        Some(0x04) => point.len() == 1 + 2 * l,
        Some(0x02 | 0x03) => point.len() == 1 + l,
        _ => false,
    };
    if !fits {
        return Err(Error::Malformed {
            what: "EC public key",
            at: None,
            reason: format!("{} bytes of point for {curve}", point.len()),
        });
    }
    Ok(KeyAlgorithm::Ec(curve))
}

/// Key usage bits of a certificate, in the order of RFC 5280.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsageFlags {
    /// digitalSignature.
    pub digital_signature: bool,
    /// nonRepudiation / contentCommitment.
    pub non_repudiation: bool,
    /// keyEncipherment.
    pub key_encipherment: bool,
    /// dataEncipherment.
    pub data_encipherment: bool,
    /// keyAgreement.
    pub key_agreement: bool,
    /// keyCertSign.
    pub key_cert_sign: bool,
    /// cRLSign.
    pub crl_sign: bool,
}

impl From<KeyUsage> for KeyUsageFlags {
    fn from(ku: KeyUsage) -> Self {
        Self {
            digital_signature: ku.digital_signature(),
            non_repudiation: ku.non_repudiation(),
            key_encipherment: ku.key_encipherment(),
            data_encipherment: ku.data_encipherment(),
            key_agreement: ku.key_agreement(),
            key_cert_sign: ku.key_cert_sign(),
            crl_sign: ku.crl_sign(),
        }
    }
}

/// What a GUI shows about a certificate in a container (flow U02).
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// Subject DN in RFC 4514 form.
    pub subject: String,
    /// Issuer DN in RFC 4514 form.
    pub issuer: String,
    /// Serial number bytes (big-endian).
    pub serial: Vec<u8>,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
    /// Key usage, when the extension is present.
    pub key_usage: Option<KeyUsageFlags>,
    /// The certified public key.
    pub public_key: PublicKey,
}

impl CertificateInfo {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert =
            Certificate::from_der(der).map_err(|e| Error::malformed_der("certificate", e))?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| Error::malformed_der("certificate", e))?;
        let key_usage = tbs
            .get_extension::<KeyUsage>()
            .map_err(|e| Error::malformed_der("key usage extension", e))?
            .map(|(_, ku)| KeyUsageFlags::from(ku));
        Ok(Self {
            subject: crate::dn::name_to_string(tbs.subject()),
            issuer: crate::dn::name_to_string(tbs.issuer()),
            serial: tbs.serial_number().as_bytes().to_vec(),
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
            key_usage,
            public_key: PublicKey::from_spki_der(&spki_der)?,
        })
    }

    /// Whether `at` lies within the validity period.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// A container as listed or inspected.
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    /// The id.
    pub id: ContainerId,
    /// The label, where set.
    pub label: Option<String>,
    /// Key algorithm with parameter set or size.
    pub algorithm: KeyAlgorithm,
    /// The public key.
    pub public_key: PublicKey,
    /// Certificates in the container, DER, the end-entity certificate first.
    pub certificates: Vec<Vec<u8>>,
    /// Whether the container holds the private key (not only a public key and certificate).
    pub has_private_key: bool,
    /// Whether the private key can leave the carrier (`CKA_EXTRACTABLE`). Should be false.
    pub extractable: bool,
    /// Whether the private key is sensitive (`CKA_SENSITIVE`). Should be true.
    pub sensitive: bool,
}

impl ContainerInfo {
    /// The end-entity certificate parsed: `Ok(None)` when the container has none, an error
    /// when the one it has does not parse.
    pub fn certificate(&self) -> Result<Option<CertificateInfo>> {
        self.certificates
            .first()
            .map(|der| CertificateInfo::from_der(der))
            .transpose()
    }
}

/// What to generate (flow U09).
///
/// ```
/// use keycarrier_token_core::{NewContainer, KeyAlgorithm, GostParamSet};
/// let spec = NewContainer::new("Signing key 2026", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
/// assert!(!spec.extractable);
/// ```
#[derive(Debug, Clone)]
pub struct NewContainer {
    /// Label for the key objects.
    pub label: String,
    /// Id to use; `None` lets the backend derive one from the public key.
    pub id: Option<ContainerId>,
    /// Key algorithm.
    pub algorithm: KeyAlgorithm,
    /// Whether the private key may be exported. Default false: keys stay on the carrier.
    pub extractable: bool,
}

impl NewContainer {
    /// A non-extractable key with a derived id.
    pub fn new(label: impl Into<String>, algorithm: KeyAlgorithm) -> Self {
        Self {
            label: label.into(),
            id: None,
            algorithm,
            extractable: false,
        }
    }
}

/// A key and its certificates to import into a new container (flow U03).
#[derive(Debug)]
pub struct KeyImport {
    /// Label for the new objects.
    pub label: String,
    /// Id to use; `None` lets the backend derive one from the public key.
    pub id: Option<ContainerId>,
    /// The private key as PKCS#8 `PrivateKeyInfo` DER, zeroized on drop.
    pub private_key_pkcs8: SecretBytes,
    /// Certificates, DER, the end-entity certificate first.
    pub certificates: Vec<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPKI of a TC26-256-A key (AlgorithmIdentifier from the reference, §4.1) with a dummy
    /// point; the algorithm is read from the parameters.
    fn gost_spki(alg_id_hex: &str, key_len: usize) -> Vec<u8> {
        let alg = hex(alg_id_hex);
        let mut octet = vec![0x04];
        push_len(&mut octet, key_len);
        octet.extend(std::iter::repeat_n(0x11, key_len));
        let mut bits = vec![0x03];
        push_len(&mut bits, octet.len() + 1);
        bits.push(0);
        bits.extend(octet);
        let mut body = alg;
        body.extend(bits);
        let mut out = vec![0x30];
        push_len(&mut out, body.len());
        out.extend(body);
        out
    }

    fn push_len(v: &mut Vec<u8>, n: usize) {
        if n < 128 {
            v.push(n as u8);
        } else {
            v.extend([0x81, n as u8]);
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn gost_spki_algorithms_from_reference_encodings() {
        let cases = [
            (
                "301f06082a85030701010101301306072a85030202230106082a85030701010202",
                64,
                GostParamSet::CryptoProA,
                104,
            ),
            (
                "301706082a85030701010101300b06092a8503070102010101",
                64,
                GostParamSet::Tc26_256A,
                96,
            ),
            (
                "302106082a85030701010102301506092a850307010201020106082a85030701010203",
                128,
                GostParamSet::Tc26_512A,
                173,
            ),
            (
                "301706082a85030701010102300b06092a8503070102010203",
                128,
                GostParamSet::Tc26_512C,
                163,
            ),
        ];
        for (alg, len, set, spki_len) in cases {
            let der = gost_spki(alg, len);
            assert_eq!(der.len(), spki_len, "{set}");
            let pk = PublicKey::from_spki_der(&der).unwrap();
            assert_eq!(pk.algorithm(), KeyAlgorithm::Gost(set));
            assert_eq!(pk.to_der().unwrap(), der);
            assert_eq!(pk.to_public_key_der().unwrap().as_bytes(), der.as_slice());
        }
    }

    /// Every key the `gost` crate makes reads back as the parameter set it was made with.
    #[test]
    fn gost_keys_of_every_param_set_are_recognised() {
        for set in GostParamSet::ALL {
            let mut d = vec![0x11u8; set.key_size().coordinate_len()];
            d[0] = 0x01;
            let key = gost::SigningKey::from_be_bytes(set, &d).unwrap();
            let der = key.verifying_key().to_spki_der().unwrap();
            let pk = PublicKey::from_spki_der(&der).unwrap();
            assert_eq!(pk.algorithm(), KeyAlgorithm::Gost(set), "{set}");
        }
    }

    #[test]
    fn gost_parameters_encode_as_the_engine_writes_them() {
        let p = GostKeyParameters::for_param_set(GostParamSet::CryptoProA);
        assert_eq!(
            p.to_der().unwrap(),
            hex("301306072a85030202230106082a85030701010202")
        );
        let p = GostKeyParameters::for_param_set(GostParamSet::Tc26_256B);
        assert_eq!(p.to_der().unwrap(), hex("300b06092a8503070102010102"));
    }

    #[test]
    fn mismatched_size_and_unknown_sets_are_errors() {
        // 512-bit key OID with a 256-bit parameter set.
        let der = gost_spki("301706082a85030701010102300b06092a8503070102010101", 64);
        assert!(matches!(
            PublicKey::from_spki_der(&der),
            Err(Error::Malformed { .. })
        ));
        // Unknown curve OID 1.2.643.7.1.2.1.1.9.
        let der = gost_spki("301706082a85030701010101300b06092a8503070102010109", 64);
        assert!(matches!(
            PublicKey::from_spki_der(&der),
            Err(Error::Unsupported { .. })
        ));
        // Truncated.
        let der = gost_spki("301706082a85030701010101300b06092a8503070102010101", 64);
        assert!(matches!(
            PublicKey::from_spki_der(&der[..50]),
            Err(Error::Malformed { .. })
        ));
        assert!(PublicKey::from_spki_der(&[]).is_err());
    }

    #[test]
    fn same_key_across_oid_spellings_not_across_curves() {
        // One point written on CryptoPro-A (with digestParamSet) and on TC26-256-B (without).
        let cp = PublicKey::from_spki_der(&gost_spki(
            "301f06082a85030701010101301306072a85030202230106082a85030701010202",
            64,
        ))
        .unwrap();
        let tc = PublicKey::from_spki_der(&gost_spki(
            "301706082a85030701010101300b06092a8503070102010102",
            64,
        ))
        .unwrap();
        let other_curve = PublicKey::from_spki_der(&gost_spki(
            "301706082a85030701010101300b06092a8503070102010101",
            64,
        ))
        .unwrap();
        assert_ne!(cp, tc);
        assert!(cp.same_key(&tc) && tc.same_key(&cp));
        assert!(!cp.same_key(&other_curve));
        assert_eq!(
            ContainerId::derived_from(&cp),
            ContainerId::derived_from(&tc)
        );
    }

    /// A P-256 SPKI as OpenSSL writes it (`openssl ecparam -name prime256v1 -genkey | openssl
    /// ec -pubout -outform DER`), with its point replaced by a dummy one.
    fn p256_spki(point: &[u8]) -> Vec<u8> {
        let mut bits = vec![0x03];
        push_len(&mut bits, point.len() + 1);
        bits.push(0);
        bits.extend(point);
        let mut body = hex("301306072a8648ce3d020106082a8648ce3d030107");
        body.extend(bits);
        let mut out = vec![0x30];
        push_len(&mut out, body.len());
        out.extend(body);
        out
    }

    #[test]
    fn ec_spki_algorithm_and_point_checks() {
        let mut point = vec![0x04];
        point.extend([0x22; 64]);
        let der = p256_spki(&point);
        assert_eq!(der.len(), 91, "the size of every P-256 SPKI");
        let pk = PublicKey::from_spki_der(&der).unwrap();
        assert_eq!(pk.algorithm(), KeyAlgorithm::Ec(EcCurve::P256));
        assert_eq!(pk.key_bytes(), point.as_slice());
        assert!(pk.same_key(&PublicKey::from_spki_der(&der).unwrap()));
        let mut other = point.clone();
        other[5] ^= 1;
        assert!(!pk.same_key(&PublicKey::from_spki_der(&p256_spki(&other)).unwrap()));
        // Compressed form is accepted; wrong sizes and prefixes are malformed.
        let mut compressed = vec![0x02];
        compressed.extend([0x22; 32]);
        assert!(PublicKey::from_spki_der(&p256_spki(&compressed)).is_ok());
        for bad in [&point[..64], &[0x05u8; 65][..], &[][..]] {
            assert!(
                matches!(
                    PublicKey::from_spki_der(&p256_spki(bad)),
                    Err(Error::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
        // secp256k1 (1.3.132.0.10) is not supported.
        let mut k1 = hex("301006072a8648ce3d020106052b8104000a");
        k1.extend([0x03, 0x42, 0x00]);
        k1.extend(&point);
        let mut der = vec![0x30, k1.len() as u8];
        der.extend(k1);
        assert!(matches!(
            PublicKey::from_spki_der(&der),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn container_id_parse_errors() {
        assert!("abc".parse::<ContainerId>().is_err());
        assert!("zz".parse::<ContainerId>().is_err());
        assert_eq!("".parse::<ContainerId>().unwrap().as_bytes(), b"");
    }
}
