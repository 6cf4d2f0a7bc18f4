//! Verifying CMS SignedData: strict by default.
//!
//! [`verify`] says yes only when there is at least one signer and, for every signer, the
//! signature, the content digest, the signed attributes and the signer certificate's path to a
//! trust anchor (with revocation) are all valid. There is no default [`VerifyOptions`]: a
//! caller either names its trust anchors ([`VerifyOptions::trusting`]) or says explicitly that
//! it checks signatures only ([`VerifyOptions::signatures_only`]), e.g. for an archive whose CA
//! is gone. [`verify_report`] gives the same checks as a report per signer without failing.
//!
//! The signer certificate is validated by the `trust` crate (RFC 5280 path, CRL/OCSP), with the
//! certificates and CRLs carried in the SignedData offered as candidates: they are data, not
//! trust; only the anchors are trusted.

use std::time::SystemTime;

use cms::cert::CertificateChoices;
use cms::revocation::RevocationInfoChoice;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::Encode;
use der::asn1::{Any, ObjectIdentifier, OctetString};
use token_core::{CertificateInfo, DigestAlgorithm, Error, Result, SignatureScheme, oid};
use trust::signature::{digest, verify_digest, verify_message};
use trust::{
    KeyPurpose, NoRevocation, RevocationPolicy, RevocationSource, TrustAnchors, ValidatedPath,
    ValidationOptions,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::time::Time;

use crate::{SigningCertificateV2, content_of, der_err, parse};

/// Which instant the signer certificates are validated at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ValidationTime {
    /// The time of verification (the default).
    #[default]
    Now,
    /// Each signer's signingTime attribute (a signer without one is refused). The attribute is
    /// the signer's claim; revocations for key compromise count whatever it says.
    SigningTime,
    /// A given instant.
    At(SystemTime),
}

/// What [`verify`] checks besides the signatures. Built with [`VerifyOptions::trusting`] or
/// [`VerifyOptions::signatures_only`]; there is deliberately no default.
#[derive(Clone, Copy)]
pub struct VerifyOptions<'a> {
    anchors: Option<&'a TrustAnchors>,
    revocation: &'a dyn RevocationSource,
    revocation_policy: RevocationPolicy,
    time: ValidationTime,
    purpose: KeyPurpose,
    check_extended_key_usage: bool,
}

impl core::fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("anchors", &self.anchors.map(TrustAnchors::len))
            .field("revocation_policy", &self.revocation_policy)
            .field("time", &self.time)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

static NO_REVOCATION: NoRevocation = NoRevocation;

impl<'a> VerifyOptions<'a> {
    /// Full verification: every signer certificate must chain to one of `anchors`, be valid
    /// now, allow document signing, and be covered by revocation information (CRLs carried in
    /// the SignedData, or from [`Self::with_revocation`]); no information is a refusal unless
    /// [`Self::with_revocation_policy`] relaxes it.
    pub fn trusting(anchors: &'a TrustAnchors) -> Self {
        Self {
            anchors: Some(anchors),
            revocation: &NO_REVOCATION,
            revocation_policy: RevocationPolicy::Require,
            time: ValidationTime::Now,
            purpose: KeyPurpose::DocumentSigning,
            check_extended_key_usage: true,
        }
    }

    /// Signatures, digests and signed attributes only: says nothing about who signed. For
    /// archives and diagnostics; a payment must not be accepted on this alone.
    pub fn signatures_only() -> VerifyOptions<'static> {
        VerifyOptions {
            anchors: None,
            revocation: &NO_REVOCATION,
            revocation_policy: RevocationPolicy::Require,
            time: ValidationTime::Now,
            purpose: KeyPurpose::DocumentSigning,
            check_extended_key_usage: true,
        }
    }

    /// Where CRLs and OCSP responses come from (besides the CRLs in the SignedData).
    pub fn with_revocation(mut self, source: &'a dyn RevocationSource) -> Self {
        self.revocation = source;
        self
    }

    /// What to do when a certificate has no revocation information (default: refuse).
    pub fn with_revocation_policy(mut self, policy: RevocationPolicy) -> Self {
        self.revocation_policy = policy;
        self
    }

    /// The validation time (default: now).
    pub fn at(mut self, time: ValidationTime) -> Self {
        self.time = time;
        self
    }

    /// What the signer keys must be allowed to do (default: document signing).
    pub fn with_purpose(mut self, purpose: KeyPurpose) -> Self {
        self.purpose = purpose;
        self
    }

    /// Whether extendedKeyUsage must name the purpose where present (default yes, as
    /// `openssl cms -verify`). Turn off only for issuers known to omit it.
    pub fn check_extended_key_usage(mut self, check: bool) -> Self {
        self.check_extended_key_usage = check;
        self
    }

    /// Whether this checks signatures only (no trust anchors).
    pub fn is_signatures_only(&self) -> bool {
        self.anchors.is_none()
    }
}

/// The outcome for one signer.
#[derive(Debug)]
pub struct SignerReport {
    /// Signer certificate subject (RFC 4514), when the certificate was found.
    pub subject: Option<String>,
    /// Signer certificate (DER), when found.
    pub certificate: Option<Vec<u8>>,
    /// The signature scheme, when known.
    pub scheme: Option<SignatureScheme>,
    /// The signingTime attribute, when present.
    pub signing_time: Option<SystemTime>,
    /// Whether a signingCertificateV2 attribute named this certificate (checked).
    pub signing_certificate_v2: bool,
    /// The validated path to a trust anchor (absent with signatures-only checking or when
    /// an earlier check failed).
    pub path: Option<ValidatedPath>,
    /// `Ok` when every check passed, else the first failure (path refusals are
    /// [`Error::Untrusted`] with the validator's code).
    pub result: Result<()>,
}

/// A verified SignedData: the content and one report per signer.
#[derive(Debug)]
pub struct Verified {
    /// The signed content (attached or the detached content given).
    pub content: Vec<u8>,
    /// One report per SignerInfo, in the order of the SET.
    pub signers: Vec<SignerReport>,
}

impl Verified {
    /// Whether there is at least one signer and every signer verified.
    pub fn all_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(|s| s.result.is_ok())
    }
}

/// Verifies a SignedData strictly: fails unless there is at least one signer and every
/// signer's signature, content digest, signed attributes and (unless
/// [`VerifyOptions::signatures_only`]) certificate path are valid. The error is the first
/// failing signer's.
pub fn verify(
    cms_der: &[u8],
    detached_content: Option<&[u8]>,
    options: &VerifyOptions<'_>,
) -> Result<Verified> {
    let mut v = verify_report(cms_der, detached_content, options)?;
    if v.signers.is_empty() {
        return Err(failed("SignedData has no signer"));
    }
    if let Some(pos) = v.signers.iter().position(|s| s.result.is_err()) {
        let report = v.signers.swap_remove(pos);
        report.result?;
    }
    Ok(v)
}

/// The checks of [`verify`] as a report per signer: malformed input (and a trust setup that
/// cannot work, such as an empty anchor set) is an error; each signer's own outcome is in its
/// [`SignerReport`]. Use [`Verified::all_valid`] before acting on it.
pub fn verify_report(
    cms_der: &[u8],
    detached_content: Option<&[u8]>,
    options: &VerifyOptions<'_>,
) -> Result<Verified> {
    if options.anchors.is_some_and(TrustAnchors::is_empty) {
        return Err(trust::TrustError::NoTrustAnchor.into());
    }
    let sd = parse(cms_der)?;
    let content = content_of(&sd, detached_content)?;
    let digests = Digests::of_content(&sd, &content)?;
    let signers = report_all(&sd, &digests, options);
    Ok(Verified { content, signers })
}

/// Verifies a **detached** SignedData over everything `reader` yields, read in 64 KiB pieces:
/// memory stays constant whatever the content's size. [`Verified::content`] is empty.
pub fn verify_detached_reader<R: std::io::Read>(
    cms_der: &[u8],
    reader: R,
    options: &VerifyOptions<'_>,
) -> Result<Verified> {
    if options.anchors.is_some_and(TrustAnchors::is_empty) {
        return Err(trust::TrustError::NoTrustAnchor.into());
    }
    let sd = parse(cms_der)?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(Error::Malformed {
            what: "SignedData",
            at: None,
            reason: "the content is attached; use verify".into(),
        });
    }
    let digests = Digests::of_reader(&sd, reader)?;
    let signers = report_all(&sd, &digests, options);
    let v = Verified {
        content: Vec::new(),
        signers,
    };
    if v.signers.is_empty() {
        return Err(failed("SignedData has no signer"));
    }
    if let Some(e) = v.signers.iter().find_map(|s| s.result.as_ref().err()) {
        return Err(failed(e.to_string()));
    }
    Ok(v)
}

/// The content's digest under every digest algorithm a signer uses, computed in one pass.
struct Digests(Vec<(DigestAlgorithm, Vec<u8>)>);

impl Digests {
    fn algorithms(sd: &SignedData) -> Vec<DigestAlgorithm> {
        let mut out = Vec::new();
        for si in sd.signer_infos.0.iter() {
            if let Some(a) = DigestAlgorithm::from_oid(&si.digest_alg.oid)
                && !out.contains(&a)
            {
                out.push(a);
            }
        }
        out
    }

    fn of_content(sd: &SignedData, content: &[u8]) -> Result<Self> {
        Ok(Self(
            Self::algorithms(sd)
                .into_iter()
                .map(|a| (a, digest(a, content)))
                .collect(),
        ))
    }

    fn of_reader<R: std::io::Read>(sd: &SignedData, mut reader: R) -> Result<Self> {
        let algs = Self::algorithms(sd);
        let mut hashers: Vec<Box<dyn digest::DynDigest>> = Vec::new();
        for a in &algs {
            hashers.push(match a {
                DigestAlgorithm::Streebog256 => Box::new(gost::Streebog256::default()),
                DigestAlgorithm::Streebog512 => Box::new(gost::Streebog512::default()),
                DigestAlgorithm::Sha256 => Box::new(sha2::Sha256::default()),
                DigestAlgorithm::Sha384 => Box::new(sha2::Sha384::default()),
                other => {
                    return Err(Error::Unsupported {
                        what: format!("{other:?} for streaming verification"),
                    });
                }
            });
        }
        let mut buf = vec![0u8; crate::READ_CHUNK];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let piece = buf.get(..n).unwrap_or_default();
                    for h in &mut hashers {
                        h.update(piece);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::storage("reading the signed content", e)),
            }
        }
        Ok(Self(
            algs.into_iter()
                .zip(hashers)
                .map(|(a, h)| (a, h.finalize().to_vec()))
                .collect(),
        ))
    }

    fn get(&self, alg: DigestAlgorithm) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_slice())
    }
}

fn report_all(
    sd: &SignedData,
    digests: &Digests,
    options: &VerifyOptions<'_>,
) -> Vec<SignerReport> {
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let embedded_crls: Vec<Vec<u8>> = sd
        .crls
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            RevocationInfoChoice::Crl(crl) => crl.to_der().ok(),
            RevocationInfoChoice::Other(_) => None,
        })
        .collect();
    let revocation = WithEmbedded {
        caller: options.revocation,
        crls: embedded_crls,
    };
    sd.signer_infos
        .0
        .iter()
        .map(|si| {
            let mut report = SignerReport {
                subject: None,
                certificate: None,
                scheme: None,
                signing_time: None,
                signing_certificate_v2: false,
                path: None,
                result: Ok(()),
            };
            report.result =
                check_signer(si, sd, digests, &certs, options, &revocation, &mut report);
            report
        })
        .collect()
}

/// The caller's revocation source plus the CRLs carried in the SignedData.
struct WithEmbedded<'a> {
    caller: &'a dyn RevocationSource,
    crls: Vec<Vec<u8>>,
}

impl RevocationSource for WithEmbedded<'_> {
    fn crls(&self, certificate: &[u8], issuer: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        let mut out = self.crls.clone();
        out.extend(self.caller.crls(certificate, issuer)?);
        Ok(out)
    }
    fn ocsp_responses(&self, certificate: &[u8], issuer: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        self.caller.ocsp_responses(certificate, issuer)
    }
}

fn failed(what: impl Into<String>) -> Error {
    Error::VerificationFailed { what: what.into() }
}

fn find_attr(si: &SignerInfo, id: ObjectIdentifier) -> Option<&Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == id)
        .and_then(|a| a.values.iter().next())
}

fn signer_certificate<'c>(si: &SignerInfo, certs: &'c [Certificate]) -> Option<&'c Certificate> {
    certs.iter().find(|c| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            c.tbs_certificate().issuer() == &isn.issuer
                && c.tbs_certificate().serial_number() == &isn.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, k)| k == *ski),
    })
}

fn check_signer(
    si: &SignerInfo,
    sd: &SignedData,
    digests: &Digests,
    certs: &[Certificate],
    options: &VerifyOptions<'_>,
    revocation: &dyn RevocationSource,
    report: &mut SignerReport,
) -> Result<()> {
    let cert = signer_certificate(si, certs)
        .ok_or_else(|| failed("signer certificate not found in the SignedData"))?;
    let cert_der = cert.to_der().map_err(der_err("certificate"))?;
    let info = CertificateInfo::from_der(&cert_der)?;
    report.subject = Some(info.subject.clone());
    report.certificate = Some(cert_der.clone());
    let scheme = trust::signature::scheme_of(&si.signature_algorithm)?;
    report.scheme = Some(scheme);
    let digest_alg =
        DigestAlgorithm::from_oid(&si.digest_alg.oid).ok_or_else(|| Error::Unsupported {
            what: format!("digest algorithm {}", si.digest_alg.oid),
        })?;
    if digest_alg != scheme.digest() {
        return Err(failed(
            "digest algorithm does not fit the signature algorithm",
        ));
    }
    let md = digests
        .get(digest_alg)
        .ok_or_else(|| failed("content digest"))?;
    match &si.signed_attrs {
        None => verify_digest(
            &info.public_key,
            &si.signature_algorithm,
            md,
            si.signature.as_bytes(),
        )?,
        Some(attrs) => {
            check_signed_attributes(si, sd, md)?;
            let signed = attrs.to_der().map_err(der_err("signed attributes"))?;
            verify_message(
                &info.public_key,
                &si.signature_algorithm,
                &signed,
                si.signature.as_bytes(),
            )?;
            if let Some(t) = find_attr(si, oid::SIGNING_TIME) {
                let time = t.decode_as::<Time>().map_err(der_err("signingTime"))?;
                let at = time.to_system_time();
                report.signing_time = Some(at);
                if !info.is_valid_at(at) {
                    return Err(failed("signing time outside the certificate's validity"));
                }
            }
            if let Some(v2) = find_attr(si, oid::SIGNING_CERTIFICATE_V2) {
                check_signing_certificate_v2(v2, cert, &cert_der)?;
                report.signing_certificate_v2 = true;
            }
        }
    }
    let Some(anchors) = options.anchors else {
        return Ok(());
    };
    let time = match options.time {
        ValidationTime::Now => SystemTime::now(),
        ValidationTime::At(t) => t,
        ValidationTime::SigningTime => report
            .signing_time
            .ok_or_else(|| failed("no signingTime attribute to validate at"))?,
    };
    let mut vopts =
        ValidationOptions::new(time, options.purpose).with_revocation(options.revocation_policy);
    vopts.check_extended_key_usage = options.check_extended_key_usage;
    if options.time == ValidationTime::SigningTime {
        // Revocation as known now, judged against the signing time.
        vopts.revocation_time = Some(SystemTime::now());
    }
    let pool: Vec<Vec<u8>> = certs
        .iter()
        .filter(|c| *c != cert)
        .filter_map(|c| c.to_der().ok())
        .collect();
    let path = trust::validate(&cert_der, &pool, anchors, revocation, &vopts)?;
    report.path = Some(path);
    Ok(())
}

fn check_signed_attributes(si: &SignerInfo, sd: &SignedData, md: &[u8]) -> Result<()> {
    let given = find_attr(si, oid::MESSAGE_DIGEST)
        .ok_or_else(|| failed("messageDigest attribute missing"))?
        .decode_as::<OctetString>()
        .map_err(der_err("messageDigest"))?;
    if given.as_bytes() != md {
        return Err(failed("message digest (the content was changed)"));
    }
    let ct = find_attr(si, oid::CONTENT_TYPE)
        .ok_or_else(|| failed("contentType attribute missing"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(der_err("contentType"))?;
    if ct != sd.encap_content_info.econtent_type {
        return Err(failed("contentType attribute"));
    }
    Ok(())
}

/// signingCertificateV2 (RFC 5035) must name the certificate that verified the signature: its
/// hash, and the issuer and serial number when given.
fn check_signing_certificate_v2(v2: &Any, cert: &Certificate, cert_der: &[u8]) -> Result<()> {
    let v2 = v2
        .decode_as::<SigningCertificateV2>()
        .map_err(der_err("signingCertificateV2"))?;
    let first = v2
        .certs
        .first()
        .ok_or_else(|| failed("signingCertificateV2 is empty"))?;
    let alg = first
        .hash_algorithm
        .as_ref()
        .map_or(Some(DigestAlgorithm::Sha256), |a| {
            DigestAlgorithm::from_oid(&a.oid)
        })
        .ok_or_else(|| Error::Unsupported {
            what: "signingCertificateV2 hash".into(),
        })?;
    if first.cert_hash.as_bytes() != digest(alg, cert_der).as_slice() {
        return Err(failed("signingCertificateV2 names another certificate"));
    }
    if let Some(is) = &first.issuer_serial {
        let tbs = cert.tbs_certificate();
        let issuer_named = is
            .issuer
            .iter()
            .any(|g| matches!(g, GeneralName::DirectoryName(n) if n == tbs.issuer()));
        if !issuer_named || &is.serial != tbs.serial_number() {
            return Err(failed(
                "signingCertificateV2 issuer and serial name another certificate",
            ));
        }
    }
    Ok(())
}
