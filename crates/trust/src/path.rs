//! Certification path validation, shaped like RFC 5280 §6.1.
//!
//! # What is checked, and why
//!
//! A path runs from an explicitly trusted certificate (a [`TrustAnchors`] entry) down to the
//! end-entity certificate. For every certificate in it:
//!
//! * its signature verifies with the key of the certificate above it, and its outer and inner
//!   signature algorithms agree (§6.1.3 (a)(1), §4.1.1.2);
//! * the validation time lies within its validity (§6.1.3 (a)(2)), the anchor's included, as
//!   OpenSSL does; the notAfter second itself already counts as expired, as in OpenSSL (RFC 5280
//!   §4.1.2.5 would still accept it; never being more permissive than `openssl verify` wins);
//! * its issuer name equals the subject of the certificate above, and where both carry key
//!   identifiers the authorityKeyIdentifier equals the issuer's subjectKeyIdentifier (§6.1.3
//!   (a)(4); the identifiers also choose among several issuers with the same name);
//! * it is not revoked, by an OCSP response or a CRL of its issuer (§6.1.3 (a)(3)), and when no
//!   revocation information can be had, [`RevocationPolicy`] decides: refuse (the default) or
//!   accept with a warning;
//! * it has no critical extension this validator does not process (§6.1.4 (o), §6.1.5 (f)).
//!
//! For every certificate that issues another, the anchor included:
//!
//! * basicConstraints cA = TRUE (§6.1.4 (k)); an anchor without basicConstraints (a v1 root) is
//!   accepted as a CA because trusting it was the caller's explicit decision;
//! * pathLenConstraint counts the CA certificates below it that are not self-issued (§6.1.4
//!   (l), (m));
//! * keyUsage, when present, includes keyCertSign (§6.1.4 (n)).
//!
//! For the end-entity certificate, the [`KeyPurpose`] the caller names: keyUsage and, where the
//! certificates carry extendedKeyUsage, the purpose's OID in each of them (OpenSSL's S/MIME rule
//! for document signatures).
//!
//! Policy processing (§6.1.3 (d)–(f)) and name constraints are not implemented: a certificate
//! that marks nameConstraints, policyConstraints, policyMappings or inhibitAnyPolicy critical is
//! refused rather than half-checked.
//!
//! Path *building* tries the anchors first, then the given certificates, each candidate issuer
//! at most once per path, so pools with loops or many cross-certificates end; the length is
//! bounded by [`ValidationOptions::max_intermediates`] and the number of paths tried by
//! [`MAX_PATHS_TRIED`].

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use x509_cert::ext::pkix::KeyUsage;

use crate::cert::Cert;
use crate::error::TrustError;
use crate::oids;
use crate::revocation::{RevocationPolicy, RevocationSource, RevocationStatus, check_revocation};

/// At most this many candidate paths are validated before giving up.
pub const MAX_PATHS_TRIED: usize = 32;

/// The certificates a caller trusts explicitly: bank or national CA roots, read from DER or PEM.
///
/// ```
/// let anchors = keycarrier_trust::TrustAnchors::new();
/// assert!(anchors.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    certs: Vec<Cert>,
}

impl TrustAnchors {
    /// No anchors: nothing validates until one is added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Anchors from DER certificates.
    pub fn from_der<'a>(certs: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, TrustError> {
        let mut out = Self::new();
        for der in certs {
            out.add_der(der)?;
        }
        Ok(out)
    }

    /// Adds one DER certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), TrustError> {
        let cert = Cert::from_der(der)?;
        if !self.certs.iter().any(|c| c.same_as(&cert)) {
            self.certs.push(cert);
        }
        Ok(())
    }

    /// Adds every certificate of a PEM text (one or more `CERTIFICATE` blocks) or, when the
    /// bytes are not PEM, one DER certificate.
    pub fn add_pem_or_der(&mut self, bytes: &[u8]) -> Result<usize, TrustError> {
        let ders = read_certificates(bytes)?;
        let n = ders.len();
        for der in ders {
            self.add_der(&der)?;
        }
        Ok(n)
    }

    /// Whether there is no anchor.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// How many anchors.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether this exact certificate (DER) is an anchor.
    pub fn contains_der(&self, der: &[u8]) -> bool {
        self.certs.iter().any(|c| c.der == der)
    }

    pub(crate) fn certs(&self) -> &[Cert] {
        &self.certs
    }
}

/// Reads certificates from PEM (any number of `CERTIFICATE` blocks) or a single DER certificate.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TrustError> {
    let text = core::str::from_utf8(bytes).ok();
    match text {
        Some(t) if t.contains("-----BEGIN") => {
            let mut out = Vec::new();
            let mut rest = t;
            while let Some(start) = rest.find("-----BEGIN") {
                let block = rest.get(start..).unwrap_or_default();
                let end_marker = block
                    .find("-----END")
                    .ok_or_else(|| TrustError::Malformed {
                        what: "PEM",
                        reason: "BEGIN without END".into(),
                    })?;
                let after = block.get(end_marker..).unwrap_or_default();
                let line_end = after.find('\n').map_or(after.len(), |i| i + 1);
                let whole = block.get(..end_marker + line_end).unwrap_or(block);
                let (label, der) =
                    der::pem::decode_vec(whole.as_bytes()).map_err(|e| TrustError::Malformed {
                        what: "PEM",
                        reason: e.to_string(),
                    })?;
                if label == "CERTIFICATE" || label == "X509 CERTIFICATE" {
                    out.push(der);
                }
                rest = block.get(end_marker + line_end..).unwrap_or_default();
            }
            Ok(out)
        }
        _ => Ok(vec![bytes.to_vec()]),
    }
}

/// What the end-entity key is to be trusted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyPurpose {
    /// Signing documents (CMS, payment orders): keyUsage digitalSignature or nonRepudiation;
    /// where a certificate in the path has extendedKeyUsage, it must include
    /// id-kp-emailProtection, as `openssl cms -verify` requires (its S/MIME purpose).
    DocumentSigning,
    /// TLS client authentication: keyUsage digitalSignature; extendedKeyUsage, where present,
    /// includes id-kp-clientAuth.
    ClientAuthentication,
    /// Receiving encrypted documents: keyUsage keyEncipherment or keyAgreement.
    Encryption,
    /// Nothing beyond a valid path (the end-entity key may be for anything its issuer allowed).
    Any,
}

impl KeyPurpose {
    fn name(self) -> &'static str {
        match self {
            Self::DocumentSigning => "document signing",
            Self::ClientAuthentication => "client authentication",
            Self::Encryption => "encryption",
            Self::Any => "any purpose",
        }
    }

    fn key_usage_allows(self, ku: &KeyUsage) -> bool {
        match self {
            Self::DocumentSigning => ku.digital_signature() || ku.non_repudiation(),
            Self::ClientAuthentication => ku.digital_signature(),
            Self::Encryption => ku.key_encipherment() || ku.key_agreement(),
            Self::Any => true,
        }
    }

    fn extended_key_usage(self) -> Option<ObjectIdentifier> {
        match self {
            Self::DocumentSigning => Some(oids::KP_EMAIL_PROTECTION),
            Self::ClientAuthentication => Some(oids::KP_CLIENT_AUTH),
            Self::Encryption | Self::Any => None,
        }
    }
}

/// How to validate: when, for what, and what to do without revocation information.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// The validation time: now, or a document's signing time.
    pub time: SystemTime,
    /// What the end-entity key must be allowed to do.
    pub purpose: KeyPurpose,
    /// Whether the extendedKeyUsage rule of [`KeyPurpose`] applies (default yes). Turn it off
    /// only for certificates whose issuer is known to omit the purpose (the check is then
    /// weaker than `openssl cms -verify`).
    pub check_extended_key_usage: bool,
    /// What to do when no CRL or OCSP response covers a certificate (default: refuse).
    pub revocation: RevocationPolicy,
    /// When CRLs and OCSP responses must be current. `None` (the default): at [`Self::time`],
    /// as `openssl verify -attime` does, and any listed certificate is refused. Set it (to now)
    /// when `time` is a document's past signing time: the current revocation information is
    /// then used, and a revocation dated after the signing time spares the signature if its
    /// reason does (superseded, affiliation changed, cessation of operation, hold); a revocation
    /// for key compromise, or without a reason, refuses it whatever the claimed signing time.
    pub revocation_time: Option<SystemTime>,
    /// At most this many certificates between the anchor and the end entity (default 8).
    pub max_intermediates: usize,
}

impl ValidationOptions {
    /// Strict options for `purpose` at `time`: revocation information required.
    pub fn new(time: SystemTime, purpose: KeyPurpose) -> Self {
        Self {
            time,
            purpose,
            check_extended_key_usage: true,
            revocation: RevocationPolicy::Require,
            revocation_time: None,
            max_intermediates: 8,
        }
    }

    /// The same with another revocation policy.
    pub fn with_revocation(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self
    }
}

/// A path that validated.
#[derive(Debug, Clone)]
pub struct ValidatedPath {
    /// The certificates, DER, the end entity first and the trust anchor last.
    pub certificates: Vec<Vec<u8>>,
    /// Their subjects (RFC 4514), in the same order.
    pub subjects: Vec<String>,
    /// The revocation status of each certificate but the anchor, in the same order.
    pub revocation: Vec<RevocationStatus>,
    /// What was accepted only because the caller allowed it (e.g. missing revocation
    /// information under [`RevocationPolicy::WarnIfUnavailable`]).
    pub warnings: Vec<String>,
}

impl ValidatedPath {
    /// The trust anchor the path ends in (DER).
    pub fn anchor(&self) -> &[u8] {
        self.certificates.last().map_or(&[], Vec::as_slice)
    }
}

/// Validates `end_entity` (DER) against `anchors`, building the path through `intermediates`
/// (DER, in any order, extra ones ignored), with revocation information from `revocation`.
///
/// Returns the path that validated, or the refusal of the most natural candidate path.
///
/// ```no_run
/// # fn main() -> Result<(), keycarrier_trust::TrustError> {
/// # let (ca_der, cert_der, crl_der) = (vec![], vec![], vec![]);
/// use std::time::SystemTime;
/// use keycarrier_trust::{KeyPurpose, OfflineRevocation, TrustAnchors, ValidationOptions};
///
/// let anchors = TrustAnchors::from_der([ca_der.as_slice()])?;
/// let mut crls = OfflineRevocation::new();
/// crls.add_crl(&crl_der)?;
/// let options = ValidationOptions::new(SystemTime::now(), KeyPurpose::DocumentSigning);
/// let path = keycarrier_trust::validate(&cert_der, &[], &anchors, &crls, &options)?;
/// println!("trusted through {}", path.subjects.join(" <- "));
/// # Ok(()) }
/// ```
pub fn validate(
    end_entity: &[u8],
    intermediates: &[Vec<u8>],
    anchors: &TrustAnchors,
    revocation: &dyn RevocationSource,
    options: &ValidationOptions,
) -> Result<ValidatedPath, TrustError> {
    let ee = Cert::from_der(end_entity)?;
    // A malformed extra certificate is ignored, as a certificate that cannot be an issuer;
    // only the end entity and the anchors must parse.
    let pool: Vec<Cert> = intermediates
        .iter()
        .filter_map(|d| Cert::from_der(d).ok())
        .collect();
    validate_parsed(&ee, &pool, anchors, revocation, options)
}

pub(crate) fn validate_parsed(
    ee: &Cert,
    pool: &[Cert],
    anchors: &TrustAnchors,
    revocation: &dyn RevocationSource,
    options: &ValidationOptions,
) -> Result<ValidatedPath, TrustError> {
    if anchors.is_empty() {
        return Err(TrustError::NoTrustAnchor);
    }
    let mut builder = Builder {
        anchors: anchors.certs(),
        pool,
        max_len: options.max_intermediates.saturating_add(1),
        paths: Vec::new(),
        dead_end: None,
    };
    let mut chain = vec![ee];
    builder.extend(&mut chain);
    let mut first_error = None;
    for path in &builder.paths {
        match process(path, revocation, options) {
            Ok(v) => return Ok(v),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error
        .or(builder.dead_end)
        .unwrap_or_else(|| TrustError::IssuerNotFound {
            subject: ee.subject_text.clone(),
            issuer: token_core::x509_name_text(ee.issuer()),
        }))
}

/// Depth-first path building. `paths` collects complete candidate paths, end entity first and
/// anchor last.
struct Builder<'a> {
    anchors: &'a [Cert],
    pool: &'a [Cert],
    max_len: usize,
    paths: Vec<Vec<&'a Cert>>,
    /// Why the deepest partial path could go no further.
    dead_end: Option<TrustError>,
}

impl<'a> Builder<'a> {
    fn extend(&mut self, chain: &mut Vec<&'a Cert>) {
        if self.paths.len() >= MAX_PATHS_TRIED {
            return;
        }
        let Some(&top) = chain.last() else { return };
        // The certificate itself is trusted (a directly trusted end entity, or an anchor also
        // given as an intermediate).
        if let Some(anchor) = self.anchors.iter().find(|a| a.same_as(top)) {
            let mut path = chain.clone();
            if let Some(last) = path.last_mut() {
                *last = anchor;
            }
            self.paths.push(path);
            return;
        }
        let mut found = false;
        for anchor in self.anchors.iter().filter(|a| top.names_issuer(a)) {
            found = true;
            let mut path = chain.clone();
            path.push(anchor);
            self.paths.push(path);
        }
        for next in self.pool.iter().filter(|c| top.names_issuer(c)) {
            if chain.iter().any(|c| c.same_as(next)) {
                continue; // a loop
            }
            found = true;
            if chain.len() >= self.max_len {
                self.dead_end.get_or_insert(TrustError::PathTooLong {
                    max: self.max_len.saturating_sub(1),
                });
                continue;
            }
            chain.push(next);
            self.extend(chain);
            chain.pop();
        }
        if !found && self.dead_end.is_none() {
            self.dead_end = Some(TrustError::IssuerNotFound {
                subject: top.subject_text.clone(),
                issuer: token_core::x509_name_text(top.issuer()),
            });
        }
    }
}

/// RFC 5280 §6.1 processing of one candidate path (end entity first, anchor last).
fn process(
    path: &[&Cert],
    revocation: &dyn RevocationSource,
    options: &ValidationOptions,
) -> Result<ValidatedPath, TrustError> {
    let (&anchor, below) = path.split_last().ok_or(TrustError::NoTrustAnchor)?;
    let t = options.time;
    check_time(anchor, t)?;
    check_critical(anchor)?;
    let mut out = ValidatedPath {
        certificates: path.iter().map(|c| c.der.clone()).collect(),
        subjects: path.iter().map(|c| c.subject_text.clone()).collect(),
        revocation: Vec::with_capacity(below.len()),
        warnings: Vec::new(),
    };
    // From the anchor down: `issuer` signed `cert`.
    let mut max_path_length = anchor
        .basic_constraints
        .as_ref()
        .and_then(|b| b.path_len_constraint)
        .map_or(usize::MAX, usize::from);
    // The CA whose pathLenConstraint set `max_path_length`, named when it is exceeded.
    let mut path_length_set_by = anchor;
    let mut issuer = anchor;
    for (depth, &cert) in below.iter().rev().enumerate() {
        let is_end_entity = depth + 1 == below.len();
        check_issuer(issuer, anchor)?;
        cert.verify_signed_by(&issuer.public_key)?;
        check_time(cert, t)?;
        check_critical(cert)?;
        let status = check_revocation(cert, issuer, revocation, options)?;
        if let RevocationStatus::Unavailable { why } = &status {
            out.warnings.push(format!(
                "no revocation information for \"{}\": {why}",
                cert.subject_text
            ));
        }
        out.revocation.push(status);
        if !is_end_entity {
            // `cert` is an intermediate CA (§6.1.4).
            if !cert.is_self_issued() {
                if max_path_length == 0 {
                    return Err(TrustError::PathLengthExceeded {
                        subject: path_length_set_by.subject_text.clone(),
                    });
                }
                max_path_length -= 1;
            }
            if let Some(p) = cert
                .basic_constraints
                .as_ref()
                .and_then(|b| b.path_len_constraint)
                && usize::from(p) <= max_path_length
            {
                max_path_length = usize::from(p);
                path_length_set_by = cert;
            }
        }
        issuer = cert;
    }
    // Statuses were pushed from the anchor down; report them end entity first.
    out.revocation.reverse();
    let ee = path.first().copied().unwrap_or(anchor);
    check_purpose(ee, path, options)?;
    Ok(out)
}

/// The rules for a certificate that signs another.
fn check_issuer(issuer: &Cert, anchor: &Cert) -> Result<(), TrustError> {
    let is_ca = if core::ptr::eq(issuer, anchor) {
        issuer.basic_constraints.as_ref().is_none_or(|b| b.ca)
    } else {
        issuer.is_ca()
    };
    if !is_ca {
        return Err(TrustError::NotCa {
            subject: issuer.subject_text.clone(),
        });
    }
    if !issuer.may_sign_certificates() {
        return Err(TrustError::IssuerKeyUsage {
            subject: issuer.subject_text.clone(),
            what: "certificates",
        });
    }
    Ok(())
}

pub(crate) fn check_time(cert: &Cert, t: SystemTime) -> Result<(), TrustError> {
    if t < cert.not_before {
        return Err(TrustError::NotYetValid {
            subject: cert.subject_text.clone(),
            not_before: cert.not_before,
        });
    }
    // OpenSSL's `X509_cmp_time` treats notAfter == t as expired; so do we.
    if t >= cert.not_after {
        return Err(TrustError::Expired {
            subject: cert.subject_text.clone(),
            not_after: cert.not_after,
        });
    }
    Ok(())
}

pub(crate) fn check_critical(cert: &Cert) -> Result<(), TrustError> {
    match cert.unknown_critical.first() {
        Some(oid) => Err(TrustError::UnknownCriticalExtension {
            subject: cert.subject_text.clone(),
            oid: *oid,
        }),
        None => Ok(()),
    }
}

fn check_purpose(ee: &Cert, path: &[&Cert], options: &ValidationOptions) -> Result<(), TrustError> {
    let purpose = options.purpose;
    if let Some(ku) = &ee.key_usage
        && !purpose.key_usage_allows(ku)
    {
        return Err(TrustError::KeyUsage {
            subject: ee.subject_text.clone(),
            purpose: purpose.name(),
        });
    }
    if !options.check_extended_key_usage {
        return Ok(());
    }
    if let Some(oid) = purpose.extended_key_usage() {
        for cert in path {
            if let Some(eku) = &cert.ext_key_usage
                && !eku.0.contains(&oid)
            {
                return Err(TrustError::ExtendedKeyUsage {
                    subject: cert.subject_text.clone(),
                    purpose: purpose.name(),
                    oid,
                });
            }
        }
    }
    Ok(())
}
