//! PKCS#10 requests: build and sign on a carrier (flow U10), parse and verify.

use der::asn1::{BitString, ObjectIdentifier, OctetString, Utf8StringRef};
use der::flagset::FlagSet;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use token_core::{Carrier, ContainerSigner, Error, KeyUsageFlags, PublicKey, Result, oid};
use x509_cert::builder::Builder;
use x509_cert::certificate::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::{
    CertificatePolicies, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, ExtensionReq};

use crate::subject::{RussianSubject, Subject};

/// The extensions a request asks the CA for (PKCS#9 extensionRequest).
///
/// ```
/// use keycarrier_csr::RequestedExtensions;
/// let ext = RequestedExtensions::signing_and_encryption("КриптоПро CSP версии 5.0");
/// assert!(ext.key_usage.unwrap().digital_signature);
/// assert_eq!(ext.policies, [token_core::oid::CLASS_KC1]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestedExtensions {
    /// keyUsage (written critical).
    pub key_usage: Option<KeyUsageFlags>,
    /// extKeyUsage purposes (e.g. [`oid::KP_CLIENT_AUTH`], [`oid::KP_EMAIL_PROTECTION`]).
    pub extended_key_usage: Vec<ObjectIdentifier>,
    /// subjectSignTool (1.2.643.100.111): the name of the signing tool, UTF8String.
    pub subject_sign_tool: Option<String>,
    /// certificatePolicies: e.g. [`oid::CLASS_KC1`], [`oid::CLASS_KC2`].
    pub policies: Vec<ObjectIdentifier>,
    /// Ask for a subjectKeyIdentifier (SHA-1 of the public key bits, RFC 5280 method 1).
    pub subject_key_identifier: bool,
}

impl RequestedExtensions {
    /// The usual set for a client-bank signing key: digitalSignature, nonRepudiation,
    /// keyEncipherment, keyAgreement; clientAuth + emailProtection; class KC1; the sign tool;
    /// a subjectKeyIdentifier.
    pub fn signing_and_encryption(sign_tool: &str) -> Self {
        Self {
            key_usage: Some(KeyUsageFlags {
                digital_signature: true,
                non_repudiation: true,
                key_encipherment: true,
                data_encipherment: false,
                key_agreement: true,
                key_cert_sign: false,
                crl_sign: false,
            }),
            extended_key_usage: vec![oid::KP_CLIENT_AUTH, oid::KP_EMAIL_PROTECTION],
            subject_sign_tool: Some(sign_tool.to_owned()),
            policies: vec![oid::CLASS_KC1],
            subject_key_identifier: true,
        }
    }

    /// The X.509 extensions, for `key` (the subjectKeyIdentifier is computed from it).
    pub fn to_extensions(&self, key: &PublicKey) -> Result<Vec<Extension>> {
        let enc = |e: der::Error| Error::malformed_der("requested extension", e);
        let make = |id: ObjectIdentifier, critical: bool, value: Vec<u8>| -> Result<Extension> {
            Ok(Extension {
                extn_id: id,
                critical,
                extn_value: OctetString::new(value).map_err(enc)?,
            })
        };
        let mut out = Vec::new();
        if let Some(ku) = self.key_usage {
            let pairs = [
                (ku.digital_signature, KeyUsages::DigitalSignature),
                (ku.non_repudiation, KeyUsages::NonRepudiation),
                (ku.key_encipherment, KeyUsages::KeyEncipherment),
                (ku.data_encipherment, KeyUsages::DataEncipherment),
                (ku.key_agreement, KeyUsages::KeyAgreement),
                (ku.key_cert_sign, KeyUsages::KeyCertSign),
                (ku.crl_sign, KeyUsages::CRLSign),
            ];
            let flags = pairs
                .into_iter()
                .filter(|(on, _)| *on)
                .fold(FlagSet::<KeyUsages>::default(), |acc, (_, f)| acc | f);
            out.push(make(
                oid::CE_KEY_USAGE,
                true,
                KeyUsage(flags).to_der().map_err(enc)?,
            )?);
        }
        if !self.extended_key_usage.is_empty() {
            let eku = ExtendedKeyUsage(self.extended_key_usage.clone());
            out.push(make(
                oid::CE_EXT_KEY_USAGE,
                false,
                eku.to_der().map_err(enc)?,
            )?);
        }
        if let Some(tool) = &self.subject_sign_tool {
            let v = Utf8StringRef::new(tool)
                .map_err(enc)?
                .to_der()
                .map_err(enc)?;
            out.push(make(oid::SUBJECT_SIGN_TOOL, false, v)?);
        }
        if !self.policies.is_empty() {
            let policies = CertificatePolicies(
                self.policies
                    .iter()
                    .map(|p| PolicyInformation {
                        policy_identifier: *p,
                        policy_qualifiers: None,
                    })
                    .collect(),
            );
            out.push(make(
                oid::CE_CERTIFICATE_POLICIES,
                false,
                policies.to_der().map_err(enc)?,
            )?);
        }
        if self.subject_key_identifier {
            use sha1::Digest;
            let spki = spki::SubjectPublicKeyInfoOwned::from_der(&key.to_der()?)
                .map_err(|e| Error::malformed_der("public key", e))?;
            let hash = sha1::Sha1::digest(spki.subject_public_key.raw_bytes());
            let ski = SubjectKeyIdentifier(OctetString::new(hash.to_vec()).map_err(enc)?);
            out.push(make(
                oid::CE_SUBJECT_KEY_IDENTIFIER,
                false,
                ski.to_der().map_err(enc)?,
            )?);
        }
        Ok(out)
    }

    /// Reads the extensions this type knows from a certificate's or request's extension list;
    /// others are ignored.
    pub fn from_extensions(extensions: &[Extension]) -> Result<Self> {
        let mut out = Self::default();
        for ext in extensions {
            let bytes = ext.extn_value.as_bytes();
            let bad = |e: der::Error| Error::malformed_der("extension", e);
            match ext.extn_id {
                o if o == oid::CE_KEY_USAGE => {
                    let ku = KeyUsage::from_der(bytes).map_err(bad)?;
                    out.key_usage = Some(KeyUsageFlags::from(ku));
                }
                o if o == oid::CE_EXT_KEY_USAGE => {
                    out.extended_key_usage = ExtendedKeyUsage::from_der(bytes).map_err(bad)?.0;
                }
                o if o == oid::SUBJECT_SIGN_TOOL => {
                    let any = der::asn1::Any::from_der(bytes).map_err(bad)?;
                    out.subject_sign_tool = crate::subject::attribute_text(&any);
                }
                o if o == oid::CE_CERTIFICATE_POLICIES => {
                    out.policies = CertificatePolicies::from_der(bytes)
                        .map_err(bad)?
                        .0
                        .into_iter()
                        .map(|p| p.policy_identifier)
                        .collect();
                }
                o if o == oid::CE_SUBJECT_KEY_IDENTIFIER => out.subject_key_identifier = true,
                _ => {}
            }
        }
        Ok(out)
    }
}

/// A request to be signed: subject and requested extensions.
///
/// Pre-fill it from the current certificate for flow U10 with
/// [`RequestTemplate::from_certificate`], let the user correct fields, then
/// [`RequestTemplate::sign`] it with a [`ContainerSigner`] over the new key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTemplate {
    /// The subject.
    pub subject: Subject,
    /// The extensions to ask for.
    pub extensions: RequestedExtensions,
}

impl RequestTemplate {
    /// A template with the given subject and extensions. The subject is a profile or a ready
    /// name as it is, without wrapping: `RequestTemplate::new(russian_subject, extensions)`.
    ///
    /// ```
    /// use keycarrier_csr::{RequestTemplate, RequestedExtensions, RussianSubject, Subject};
    /// let person = RussianSubject { common_name: Some("Иванов Иван".into()), ..Default::default() };
    /// let t = RequestTemplate::new(person.clone(), RequestedExtensions::default());
    /// assert_eq!(t.subject, Subject::Russian(person));
    /// ```
    pub fn new(subject: impl Into<Subject>, extensions: RequestedExtensions) -> Self {
        Self {
            subject: subject.into(),
            extensions,
        }
    }

    /// Pre-fills subject (Russian profile) and extensions (key usage, extended key usage,
    /// certificate policies, subjectSignTool, subjectKeyIdentifier) from the current
    /// certificate (flow U10).
    pub fn from_certificate(der: &[u8]) -> Result<Self> {
        let cert =
            Certificate::from_der(der).map_err(|e| Error::malformed_der("certificate", e))?;
        let tbs = cert.tbs_certificate();
        let extensions = tbs.extensions().map(|e| e.as_slice()).unwrap_or_default();
        Ok(Self {
            subject: RussianSubject::from_name(tbs.subject()).into(),
            extensions: RequestedExtensions::from_extensions(extensions)?,
        })
    }

    /// Builds the PKCS#10 request and signs it through the carrier (so confirmation hooks and
    /// the carrier's PIN rules apply). Identifiers are checked before the key is used.
    pub fn sign<C: Carrier + ?Sized>(
        &self,
        signer: &ContainerSigner<'_, C>,
    ) -> Result<CertificateRequest> {
        let name = self.subject.to_name()?;
        let exts = self.extensions.to_extensions(signer.public_key())?;
        let builder_err = |e: x509_cert::builder::Error| Error::Malformed {
            what: "certificate request",
            at: None,
            reason: e.to_string(),
        };
        let mut builder = x509_cert::request::RequestBuilder::new(name).map_err(builder_err)?;
        for ext in exts {
            builder
                .add_extension(ext)
                .map_err(|e| Error::malformed_der("extension", e))?;
        }
        let tbs = builder.finalize(signer).map_err(builder_err)?;
        let signature = signer.sign_message(&tbs)?;
        let bits = BitString::from_bytes(signature.as_bytes())
            .map_err(|e| Error::malformed_der("signature", e))?;
        let req = builder.assemble(bits, signer).map_err(builder_err)?;
        let der = req
            .to_der()
            .map_err(|e| Error::malformed_der("certificate request", e))?;
        CertificateRequest::from_der(&der)
    }
}

/// A parsed PKCS#10 request, with its DER kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    der: Vec<u8>,
    req: CertReq,
}

impl CertificateRequest {
    /// Parses a DER request (untrusted input: never panics).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let req =
            CertReq::from_der(der).map_err(|e| Error::malformed_der("certificate request", e))?;
        Ok(Self {
            der: der.to_vec(),
            req,
        })
    }

    /// Parses a PEM request (`-----BEGIN CERTIFICATE REQUEST-----`).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (label, der) = der::pem::decode_vec(pem.as_bytes())
            .map_err(|e| Error::malformed_der("certificate request PEM", e.into()))?;
        if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
            return Err(Error::Malformed {
                what: "certificate request PEM",
                at: None,
                reason: format!("label {label}"),
            });
        }
        Self::from_der(&der)
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM with LF line endings.
    pub fn to_pem(&self) -> Result<String> {
        der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &self.der)
            .map_err(|e| Error::malformed_der("certificate request PEM", e.into()))
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        &self.req.info.subject
    }

    /// The subject read with the Russian profile.
    pub fn russian_subject(&self) -> RussianSubject {
        RussianSubject::from_name(self.subject())
    }

    /// The public key the request certifies.
    pub fn public_key(&self) -> Result<PublicKey> {
        let spki = self
            .req
            .info
            .public_key
            .to_der()
            .map_err(|e| Error::malformed_der("certificate request", e))?;
        PublicKey::from_spki_der(&spki)
    }

    /// The signature algorithm of the request.
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.req.algorithm
    }

    /// The extensions in the extensionRequest attribute (empty when there is none).
    pub fn extensions(&self) -> Result<Vec<Extension>> {
        let mut out = Vec::new();
        for attr in self.req.info.attributes.iter() {
            if attr.oid != oid::EXTENSION_REQUEST {
                continue;
            }
            for value in attr.values.iter() {
                let der = value
                    .to_der()
                    .map_err(|e| Error::malformed_der("extensionRequest", e))?;
                let req = ExtensionReq::from_der(&der)
                    .map_err(|e| Error::malformed_der("extensionRequest", e))?;
                out.extend(req.0);
            }
        }
        Ok(out)
    }

    /// The requested extensions this crate knows.
    pub fn requested_extensions(&self) -> Result<RequestedExtensions> {
        RequestedExtensions::from_extensions(&self.extensions()?)
    }

    /// Checks the proof of possession: the signature over the request info with the key the
    /// request contains. GOST parameters NULL or absent are both accepted.
    pub fn verify(&self) -> Result<()> {
        let tbs = trust::signature::signed_part(&self.der)?;
        let sig = self
            .req
            .signature
            .as_bytes()
            .ok_or_else(|| Error::Malformed {
                what: "certificate request",
                at: None,
                reason: "signature BIT STRING has unused bits".into(),
            })?;
        trust::signature::verify_message(&self.public_key()?, &self.req.algorithm, tbs, sig)
    }
}
