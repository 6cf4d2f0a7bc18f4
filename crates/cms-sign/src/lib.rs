//! Signed documents for client-bank applications: CMS SignedData (RFC 5652) signed on a key
//! carrier — GOST R 34.10-2012 256/512 with Streebog and RSA (PKCS#1 v1.5 and PSS with
//! SHA-256), attached or detached, several signers on one document — and strict verification
//! with a typed report per signer (flow U14). The re-issue request of flow U11 lives in
//! [`reissue`], the PKCS#12 import of flow U03 in [`pfx`].
//!
//! A payment order signed on the built-in soft token and verified against the signer's
//! (here self-signed) certificate as trust anchor:
//!
//! ```
//! # use std::str::FromStr;
//! # use soft_token::{SoftToken, TokenSettings};
//! # use token_core::der::{Decode, Encode};
//! # use token_core::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
//! # use token_core::x509_cert::{TbsCertificate, ext::Extension, name::Name};
//! # use token_core::x509_cert::serial_number::SerialNumber;
//! # use token_core::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
//! # use token_core::x509_cert::time::Validity;
//! # use token_core::{AdminPin, CarrierSignature, ContainerSigner, FinalTry, Pin, PinPolicy};
//! # use token_core::{CancelToken, Carrier, GostParamSet, KeyAlgorithm, NewContainer, NoProgress};
//! # struct SelfSigned(Name);
//! # impl BuilderProfile for SelfSigned {
//! #     fn get_issuer(&self, subject: &Name) -> Name { subject.clone() }
//! #     fn get_subject(&self) -> Name { self.0.clone() }
//! #     fn build_extensions(&self, _: SubjectPublicKeyInfoRef<'_>, _: SubjectPublicKeyInfoRef<'_>,
//! #         _: &TbsCertificate) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
//! #         Ok(vec![])
//! #     }
//! # }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let settings = TokenSettings { kdf_iterations: 1000, ..TokenSettings::new("Example") };
//! # let admin = AdminPin::new("Adm1nQw8");
//! # let mut token = SoftToken::create(dir.path(), &settings, &admin)?;
//! # let pin = PinPolicy::default().approve(Pin::new("Rx7mQ2wz"), None).map_err(token_core::Error::from)?;
//! # token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
//! # token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
//! # let spec = NewContainer::new("Signing key", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
//! # let id = token.generate(&spec, &mut NoProgress, &CancelToken::new())?.id;
//! # let signer = ContainerSigner::new(&token, &id)?;
//! # let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der()?)?;
//! # let profile = SelfSigned(Name::from_str("CN=Ivanov Ivan,O=Romashka,C=RU")?);
//! # let validity = Validity::from_now(std::time::Duration::from_secs(365 * 86_400))?;
//! # let certificate = CertificateBuilder::new(profile, SerialNumber::from(1u32), validity, spki)?
//! #     .build::<_, CarrierSignature>(&signer)?
//! #     .to_der()?;
//! use keycarrier_cms_sign::{CmsSigner, Content, VerifyOptions};
//! use trust::TrustAnchors;
//!
//! // `token` is any logged-in carrier, `id` a container on it, `certificate` its DER.
//! let order = "Payment order No. 118: 15 000.00 RUB".as_bytes();
//! let signer = CmsSigner::new(&token, &id, &certificate)?;
//! let signed = keycarrier_cms_sign::sign(order, &signer, Content::Attached)?;
//!
//! let anchors = TrustAnchors::from_der([certificate.as_slice()])?;
//! let verified = keycarrier_cms_sign::verify(&signed, None, &VerifyOptions::trusting(&anchors))?;
//! assert_eq!(verified.content, order);
//! assert!(verified.all_valid());
//! # Ok(()) }
//! ```
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository.
//!
//! What is written, as OpenSSL 3 with the gost engine writes it:
//! * `SignerInfo.digestAlgorithm` = Streebog-256/512 (NULL parameters) or SHA-256;
//! * `SignerInfo.signatureAlgorithm` = the *key* OID for GOST (1.2.643.7.1.1.1.1/.2, NULL
//!   parameters), `rsaEncryption` for PKCS#1 v1.5, RSASSA-PSS with its parameters;
//! * signed attributes contentType, signingTime, messageDigest, signingCertificateV2
//!   (ESSCertIDv2 hashed with Streebog-256 for GOST, SHA-256 for RSA);
//! * the signer named by issuerAndSerialNumber, its certificate included.
//!
//! The signature is made by [`token_core::Carrier::sign`] over the digest of the DER of the
//! signed attributes as a SET, so tokens, PIN rules and the confirmation hook (flow U15) apply.
//!
//! The `cms` crate's builder cannot do attached GOST SignedData (its hasher table has no
//! Streebog), so the `SignerInfo` is assembled here; the `cms` crate supplies the types.

/// BER → DER (moved to `token_core::ber`, shared with the envelope crate).
pub use token_core::ber;
pub mod pfx;
pub mod reissue;
mod verify;

pub use verify::{
    SignerReport, ValidationTime, Verified, VerifyOptions, verify, verify_detached_reader,
    verify_report,
};

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use token_core::{
    Carrier, CertificateInfo, Confirm, ContainerId, ContainerSigner, DigestAlgorithm, Error,
    Result, SignatureScheme, oid,
};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use trust::signature::digest;

/// `SigningCertificateV2` (RFC 5035).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub(crate) certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// `ESSCertIDv2`; `hashAlgorithm` absent means SHA-256 (DEFAULT).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub(crate) hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub(crate) cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub(crate) issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial` (RFC 5035).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct IssuerSerial {
    pub(crate) issuer: Vec<GeneralName>,
    pub(crate) serial: SerialNumber,
}

pub(crate) fn der_err(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |e| Error::malformed_der(what, e)
}

/// The signingCertificateV2 attribute (ESSCertIDv2 with issuer and serial) of a signer
/// certificate: Streebog-256 for GOST signers, SHA-256 (the default, no algorithm) otherwise.
fn ess_cert_id(certificate: &Certificate, der: &[u8], gost: bool) -> Result<Attribute> {
    let (alg, hash) = if gost {
        (
            Some(null_params(oid::TC26_GOST_3411_12_256)),
            digest(DigestAlgorithm::Streebog256, der),
        )
    } else {
        (None, digest(DigestAlgorithm::Sha256, der))
    };
    let tbs = certificate.tbs_certificate();
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: alg,
            cert_hash: OctetString::new(hash).map_err(der_err("signingCertificateV2"))?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial: tbs.serial_number().clone(),
            }),
        }],
        policies: None,
    };
    attribute(oid::SIGNING_CERTIFICATE_V2, &value)
}

fn null_params(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    }
}

/// The `SignerInfo.signatureAlgorithm` written for a scheme.
fn cms_signature_algorithm(scheme: SignatureScheme) -> Result<AlgorithmIdentifierOwned> {
    Ok(match scheme {
        SignatureScheme::RsaPkcs1Sha256 => null_params(oid::RSA_ENCRYPTION),
        SignatureScheme::RsaPssSha256 => token_core::signature_algorithm_identifier(scheme)?,
        other if other.is_ecdsa() => {
            return Err(Error::Unsupported {
                what: format!("{other:?} signers in CMS (only GOST and RSA)"),
            });
        }
        other => null_params(other.cms_oid()),
    })
}

/// A container key with its certificate, ready to sign CMS.
pub struct CmsSigner<'c, C: Carrier + ?Sized> {
    signer: ContainerSigner<'c, C>,
    certificate: Certificate,
    certificate_der: Vec<u8>,
    /// The signingCertificateV2 attribute: the same for every signature of this signer (its
    /// digest family does not change with [`CmsSigner::with_scheme`]), so hashed once.
    ess_cert_id: Attribute,
}

impl<C: Carrier + ?Sized> core::fmt::Debug for CmsSigner<'_, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CmsSigner")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl<'c, C: Carrier + ?Sized> CmsSigner<'c, C> {
    /// The key of container `id` with `certificate_der`; refuses a certificate of another key
    /// ([`Error::CertificateMismatch`]). The scheme is the key's default.
    pub fn new(carrier: &'c C, id: &ContainerId, certificate_der: &[u8]) -> Result<Self> {
        let info = CertificateInfo::from_der(certificate_der)?;
        let signer = ContainerSigner::new(carrier, id)?;
        // Refuse a scheme CMS cannot carry (ECDSA) here, before anything is signed.
        cms_signature_algorithm(signer.scheme())?;
        if !info.public_key.same_key(signer.public_key()) {
            return Err(Error::CertificateMismatch);
        }
        let certificate = Certificate::from_der(certificate_der).map_err(der_err("certificate"))?;
        let ess_cert_id = ess_cert_id(&certificate, certificate_der, signer.scheme().is_gost())?;
        Ok(Self {
            signer,
            certificate,
            certificate_der: certificate_der.to_vec(),
            ess_cert_id,
        })
    }

    /// Another scheme the key supports (RSA: [`SignatureScheme::RsaPssSha256`]).
    pub fn with_scheme(mut self, scheme: SignatureScheme) -> Result<Self> {
        self.signer = self.signer.with_scheme(scheme)?;
        Ok(self)
    }

    /// Asks `hook` before signing, showing `description` (flow U15).
    pub fn with_confirmation(
        mut self,
        hook: &'c dyn Confirm,
        description: impl Into<String>,
    ) -> Self {
        self.signer = self.signer.with_confirmation(hook, description);
        self
    }

    /// The signer's certificate (DER).
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    fn digest_algorithm(&self) -> AlgorithmIdentifierOwned {
        null_params(self.signer.scheme().digest().oid())
    }

    /// Makes the SignerInfo over `content` of type `content_type`.
    fn signer_info(
        &self,
        content: &[u8],
        content_type: ObjectIdentifier,
        signing_time: SystemTime,
    ) -> Result<SignerInfo> {
        let md = digest(self.signer.scheme().digest(), content);
        self.signer_info_for_digest(md, content_type, signing_time)
    }

    /// Makes the SignerInfo for content whose digest (with this signer's digest) is `md`.
    fn signer_info_for_digest(
        &self,
        md: Vec<u8>,
        content_type: ObjectIdentifier,
        signing_time: SystemTime,
    ) -> Result<SignerInfo> {
        let mut attrs: SetOfVec<Attribute> = SetOfVec::new();
        let e = der_err("signed attributes");
        attrs
            .insert(attribute(oid::CONTENT_TYPE, &content_type)?)
            .map_err(&e)?;
        let time = Time::try_from(signing_time).map_err(&e)?;
        attrs
            .insert(attribute(oid::SIGNING_TIME, &time)?)
            .map_err(&e)?;
        attrs
            .insert(attribute(
                oid::MESSAGE_DIGEST,
                &OctetString::new(md).map_err(&e)?,
            )?)
            .map_err(&e)?;
        attrs.insert(self.ess_cert_id.clone()).map_err(&e)?;
        let to_sign = digest(self.signer.scheme().digest(), &attrs.to_der().map_err(&e)?);
        let signature = Vec::from(Box::<[u8]>::from(self.signer.sign_digest(&to_sign)?));
        let tbs = self.certificate.tbs_certificate();
        Ok(SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: self.digest_algorithm(),
            signed_attrs: Some(attrs),
            signature_algorithm: cms_signature_algorithm(self.signer.scheme())?,
            signature: OctetString::new(signature).map_err(&e)?,
            unsigned_attrs: None,
        })
    }
}

fn attribute<T: Encode>(oid: ObjectIdentifier, value: &T) -> Result<Attribute> {
    let e = der_err("signed attribute");
    let mut values = SetOfVec::new();
    values
        .insert(Any::from_der(&value.to_der().map_err(&e)?).map_err(&e)?)
        .map_err(&e)?;
    Ok(Attribute { oid, values })
}

fn wrap(signed_data: &SignedData) -> Result<Vec<u8>> {
    let e = der_err("SignedData");
    ContentInfo {
        content_type: oid::CMS_SIGNED_DATA,
        content: Any::encode_from(signed_data).map_err(&e)?,
    }
    .to_der()
    .map_err(&e)
}

/// Whether the content travels inside the SignedData or next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `eContent` present (attached signature, `openssl cms -nodetach`).
    Attached,
    /// `eContent` absent (detached signature; the verifier gets the content separately).
    Detached,
}

/// Signs `content` (e.g. a payment order) as a CMS SignedData (`ContentInfo` DER), at the
/// current time.
pub fn sign<C: Carrier + ?Sized>(
    content: &[u8],
    signer: &CmsSigner<'_, C>,
    mode: Content,
) -> Result<Vec<u8>> {
    sign_at(content, signer, mode, SystemTime::now())
}

/// [`sign`] with an explicit signingTime.
pub fn sign_at<C: Carrier + ?Sized>(
    content: &[u8],
    signer: &CmsSigner<'_, C>,
    mode: Content,
    signing_time: SystemTime,
) -> Result<Vec<u8>> {
    sign_typed(content, oid::CMS_DATA, signer, mode, signing_time)
}

fn sign_typed<C: Carrier + ?Sized>(
    content: &[u8],
    content_type: ObjectIdentifier,
    signer: &CmsSigner<'_, C>,
    mode: Content,
    signing_time: SystemTime,
) -> Result<Vec<u8>> {
    let info = signer.signer_info(content, content_type, signing_time)?;
    let econtent = match mode {
        Content::Attached => Some(content),
        Content::Detached => None,
    };
    assemble(info, econtent, content_type, signer)
}

/// The size of the pieces [`sign_detached_reader`] reads.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// Signs everything `reader` yields as a **detached** CMS SignedData, at the current time,
/// reading it in 64 KiB pieces: memory stays constant whatever the size (a multi-gigabyte
/// statement file). Verify with the content given separately.
pub fn sign_detached_reader<C: Carrier + ?Sized, R: std::io::Read>(
    reader: R,
    signer: &CmsSigner<'_, C>,
) -> Result<Vec<u8>> {
    sign_detached_reader_at(reader, signer, SystemTime::now())
}

/// [`sign_detached_reader`] with an explicit signingTime.
pub fn sign_detached_reader_at<C: Carrier + ?Sized, R: std::io::Read>(
    mut reader: R,
    signer: &CmsSigner<'_, C>,
    signing_time: SystemTime,
) -> Result<Vec<u8>> {
    fn hash_all<D: digest::Digest, R: std::io::Read>(reader: &mut R) -> Result<Vec<u8>> {
        let mut hasher = D::new();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(hasher.finalize().to_vec()),
                Ok(n) => hasher.update(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::storage("reading the content to sign", e)),
            }
        }
    }
    let md = match signer.signer.scheme().digest() {
        DigestAlgorithm::Streebog256 => hash_all::<gost::Streebog256, _>(&mut reader)?,
        DigestAlgorithm::Streebog512 => hash_all::<gost::Streebog512, _>(&mut reader)?,
        DigestAlgorithm::Sha256 => hash_all::<sha2::Sha256, _>(&mut reader)?,
        other => {
            return Err(Error::Unsupported {
                what: format!("{other:?} for streaming signatures"),
            });
        }
    };
    let info = signer.signer_info_for_digest(md, oid::CMS_DATA, signing_time)?;
    assemble(info, None, oid::CMS_DATA, signer)
}

/// A one-signer SignedData around `info`.
fn assemble<C: Carrier + ?Sized>(
    info: SignerInfo,
    econtent: Option<&[u8]>,
    content_type: ObjectIdentifier,
    signer: &CmsSigner<'_, C>,
) -> Result<Vec<u8>> {
    let e = der_err("SignedData");
    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms
        .insert(signer.digest_algorithm())
        .map_err(&e)?;
    let mut certs = SetOfVec::new();
    certs
        .insert(CertificateChoices::Certificate(signer.certificate.clone()))
        .map_err(&e)?;
    let mut infos = SetOfVec::new();
    infos.insert(info).map_err(&e)?;
    let econtent = match econtent {
        Some(content) => {
            Some(Any::encode_from(&OctetString::new(content).map_err(&e)?).map_err(&e)?)
        }
        None => None,
    };
    wrap(&SignedData {
        version: CmsVersion::V1,
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: content_type,
            econtent,
        },
        certificates: Some(CertificateSet(certs)),
        crls: None,
        signer_infos: SignerInfos(infos),
    })
}

pub(crate) fn parse(cms_der: &[u8]) -> Result<SignedData> {
    // DER first; BER (indefinite lengths, chunked content: `openssl cms -stream`, CryptoPro)
    // is converted and read again.
    let ci: ContentInfo = ber::decode(cms_der).map_err(der_err("CMS ContentInfo"))?;
    if ci.content_type != oid::CMS_SIGNED_DATA {
        return Err(Error::Malformed {
            what: "CMS ContentInfo",
            at: None,
            reason: format!("content type {} is not signedData", ci.content_type),
        });
    }
    ci.content
        .decode_as::<SignedData>()
        .map_err(der_err("SignedData"))
}

fn econtent(sd: &SignedData) -> Result<Option<Vec<u8>>> {
    match &sd.encap_content_info.econtent {
        None => Ok(None),
        Some(any) => {
            let os: OctetString = any.decode_as().map_err(der_err("eContent"))?;
            Ok(Some(os.into_bytes().into_vec()))
        }
    }
}

pub(crate) fn content_of(sd: &SignedData, detached: Option<&[u8]>) -> Result<Vec<u8>> {
    match (econtent(sd)?, detached) {
        (Some(c), None) => Ok(c),
        (None, Some(d)) => Ok(d.to_vec()),
        (Some(c), Some(d)) if c == d => Ok(c),
        (Some(_), Some(_)) => Err(Error::VerificationFailed {
            what: "the detached content differs from the attached one".into(),
        }),
        (None, None) => Err(Error::Malformed {
            what: "SignedData",
            at: None,
            reason: "detached signature: the content must be given".into(),
        }),
    }
}

/// Adds one more signer to an existing SignedData (flow U14: the head of the organisation
/// signs after the employee). The existing signer infos, certificates and content are kept as
/// they are; for a detached SignedData pass the content.
pub fn add_signer<C: Carrier + ?Sized>(
    cms_der: &[u8],
    detached_content: Option<&[u8]>,
    signer: &CmsSigner<'_, C>,
) -> Result<Vec<u8>> {
    let mut sd = parse(cms_der)?;
    let content = content_of(&sd, detached_content)?;
    let e = der_err("SignedData");
    let info = signer.signer_info(
        &content,
        sd.encap_content_info.econtent_type,
        SystemTime::now(),
    )?;
    let alg = signer.digest_algorithm();
    if !sd.digest_algorithms.iter().any(|a| a.oid == alg.oid) {
        sd.digest_algorithms.insert(alg).map_err(&e)?;
    }
    let cert = CertificateChoices::Certificate(signer.certificate.clone());
    let certs = sd
        .certificates
        .get_or_insert_with(|| CertificateSet(SetOfVec::new()));
    if !certs.0.iter().any(|c| *c == cert) {
        certs.0.insert(cert).map_err(&e)?;
    }
    sd.signer_infos.0.insert(info).map_err(&e)?;
    wrap(&sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_signers_are_unsupported_in_cms() {
        for scheme in [SignatureScheme::EcdsaSha256, SignatureScheme::EcdsaSha384] {
            assert!(matches!(
                cms_signature_algorithm(scheme),
                Err(Error::Unsupported { .. })
            ));
        }
        let gost = cms_signature_algorithm(SignatureScheme::Gost256).unwrap();
        assert_eq!(gost.oid, oid::TC26_GOST_3410_12_256);
    }
}
