//! OCSP responses (RFC 6960) given as bytes: read, verify, look a certificate up.
//!
//! Responses reach the validator through a [`crate::RevocationSource`] (for instance
//! [`crate::OfflineRevocation::add_ocsp_response`]); [`OcspResponse::from_der`] reads one for
//! display without trusting it.
//!
//! # What is checked, and why
//!
//! A response is read as an `OCSPResponse` whose `responseStatus` is `successful` and whose
//! `responseBytes` hold an `id-pkix-ocsp-basic` `BasicOCSPResponse` of version v1. Any other
//! status (`malformedRequest`, `internalError`, `tryLater`, `sigRequired`, `unauthorized`) is a
//! [`TrustError::Ocsp`] naming it: the responder said nothing about any certificate.
//!
//! When a certificate is checked against a response, with the certificate's issuer at hand:
//!
//! 1. **Is it about this certificate?** A `SingleResponse` counts when its `CertID` has the
//!    certificate's serial number and, hashed with the `CertID`'s own algorithm (SHA-1,
//!    SHA-256, SHA-384, Streebog-256 or Streebog-512, parameters absent or NULL), the hash of
//!    the issuer's subject name (DER) and of the issuer's key (the contents of the
//!    `subjectPublicKey` BIT STRING, without the unused-bits byte: RFC 6960 §4.1.1). When
//!    none counts, the response says nothing about the certificate; nothing in it is trusted
//!    (not even its signature is looked at), and the next response or a CRL is tried.
//! 2. **Who signed it?** Either the issuer itself — the `responderID` names the issuer by
//!    subject, or by key (SHA-1 of the key, as in §4.2.2.3) — or a *delegated responder*
//!    (§4.2.2.2): a certificate among the response's `certs` that the `responderID` names and
//!    that
//!    * was issued by the issuer (its issuer name is the issuer's subject) and is signed by
//!      the issuer's key: the CA authorised it, not someone else;
//!    * has extendedKeyUsage with `id-kp-OCSPSigning`: the CA authorised it *for OCSP*;
//!    * has, when it carries keyUsage, `digitalSignature`;
//!    * is valid at the validation time and has no critical extension this crate does not
//!      process (`id-pkix-ocsp-nocheck` is understood).
//!
//!    Anything else ("signed by a responder the CA did not authorise") is refused. The
//!    delegated responder's own revocation is **not** checked: RFC 6960 §4.2.2.2.1 lets the CA
//!    say so with `id-pkix-ocsp-nocheck`, and this crate follows that convention for every
//!    delegated responder (as OpenSSL does), whether or not the extension is present — a CA
//!    that delegates OCSP signing vouches for the responder for the responder's lifetime.
//! 3. **Does the signature verify?** Over `tbsResponseData` exactly as received, with the
//!    signer's key. `signatureAlgorithm` must be a signature algorithm in its X.509 form (a
//!    bare key algorithm OID such as `rsaEncryption` is refused), with absent or NULL
//!    parameters (RSASSA-PSS: its own parameters), and fit the signer's key (GOST 256 with a
//!    256-bit key, RSA with RSA). Algorithms [`crate::signature`] does not implement — the
//!    Kazakh GOST 34.310 and GOST 2015 signature OIDs among them — give
//!    [`TrustError::Unsupported`], never a silent pass.
//! 4. **Is it current?** For each `SingleResponse` about the certificate: `thisUpdate` is no
//!    later than the validation time plus [`CLOCK_SKEW`], and, when `nextUpdate` is present,
//!    the validation time is no later than `nextUpdate` plus [`CLOCK_SKEW`] (and `nextUpdate`
//!    is not before `thisUpdate`). When `nextUpdate` is absent there is no upper bound, as in
//!    OpenSSL (`openssl ocsp` without `-status_age`): the responder claims its information is
//!    always current. `producedAt` is read but not checked.
//! 5. **Extensions.** A critical response or single extension other than the nonce, CRL
//!    reference, archive cutoff, extended-revoke marker, reason code or invalidity date is
//!    refused. The nonce is not compared: responses here are given as bytes, without the
//!    request, so replay is bounded only by the freshness rule above.
//!
//! The status is then `good`, `revoked` (with its reason, `unspecified` when absent), or
//! `unknown`. Several `SingleResponse`s about the same certificate all have to pass, and the
//! worst status wins (revoked, then unknown, then good). An RFC 6960 §2.10 "non-issued"
//! answer (revoked, certificateHold, 1970-01-01) reads as revoked.

mod asn1;
#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::asn1::Any;
use der::{Decode, Encode, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;
use token_core::{DigestAlgorithm, KeyAlgorithm, PublicKey, SignatureScheme};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;

use self::asn1::{BasicOcspResponse, CertId, CertStatus, OcspResponseAsn1, ResponderId};
use crate::cert::{Cert, name_der};
use crate::error::{RevocationReason, Rfc3339, TrustError};
use crate::oids;

/// How far `thisUpdate` may lie after, and `nextUpdate` before, the validation time: five
/// minutes of clock difference between the responder and this machine (OpenSSL's default
/// `-validity_period`).
pub const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// What an OCSP response says about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OcspVerdict {
    /// The response has no SingleResponse for this certificate.
    NotForThisCertificate,
    /// certStatus good.
    Good,
    /// certStatus revoked.
    Revoked {
        since: SystemTime,
        reason: RevocationReason,
    },
    /// certStatus unknown.
    Unknown,
}

/// The status a response gives one certificate (`certStatus`), as read, not yet trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspCertStatus {
    /// `good`: not revoked (as far as the responder knows).
    Good,
    /// `revoked`.
    Revoked {
        /// `revocationTime`.
        since: SystemTime,
        /// `revocationReason`, [`RevocationReason::Unspecified`] when absent.
        reason: RevocationReason,
    },
    /// `unknown`: the responder does not know the certificate.
    Unknown,
}

/// Who the response says signed it (`responderID`), as read, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspResponder {
    /// `byName`: the responder's subject (RFC 4514).
    ByName(String),
    /// `byKey`: the SHA-1 hash of the responder's public key (BIT STRING contents).
    ByKeyHash(Vec<u8>),
}

/// One `SingleResponse`, as read, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OcspEntry {
    /// The certificate's serial number (big-endian, as encoded).
    pub serial: Vec<u8>,
    /// Its status.
    pub status: OcspCertStatus,
    /// `thisUpdate`.
    pub this_update: SystemTime,
    /// `nextUpdate`, when present.
    pub next_update: Option<SystemTime>,
}

/// A parsed `OCSPResponse` with `responseStatus` successful and a basic response inside.
///
/// Reading one checks its form only; whether it is believed is decided when a certificate is
/// validated (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct OcspResponse {
    /// The `BasicOCSPResponse` DER, as received (its signed part is taken from these bytes).
    basic_der: Vec<u8>,
    basic: BasicOcspResponse,
}

impl OcspResponse {
    /// Reads a DER `OCSPResponse` (untrusted input: typed errors, never a panic).
    ///
    /// A response whose `responseStatus` is not `successful` is a [`TrustError::Ocsp`] naming
    /// the status; a response type other than `id-pkix-ocsp-basic` or a version other than v1
    /// is [`TrustError::Unsupported`].
    pub fn from_der(der: &[u8]) -> Result<Self, TrustError> {
        let outer = OcspResponseAsn1::from_der(der)
            .map_err(|e| TrustError::malformed_der("OCSP response", e))?;
        let status = enumerated(&outer.response_status).ok_or_else(|| TrustError::Malformed {
            what: "OCSP response",
            reason: "responseStatus is not a one-byte ENUMERATED".into(),
        })?;
        if status != 0 {
            return Err(TrustError::Ocsp {
                why: format!(
                    "the responder answered {} ({status}), not successful",
                    status_name(status)
                ),
            });
        }
        let bytes = outer.response_bytes.ok_or_else(|| TrustError::Malformed {
            what: "OCSP response",
            reason: "successful, but without responseBytes".into(),
        })?;
        if bytes.response_type != oids::OCSP_BASIC {
            return Err(TrustError::Unsupported {
                what: format!(
                    "OCSP response type {} (only id-pkix-ocsp-basic)",
                    bytes.response_type
                ),
            });
        }
        let basic_der = bytes.response.as_bytes().to_vec();
        let basic = BasicOcspResponse::from_der(&basic_der)
            .map_err(|e| TrustError::malformed_der("BasicOCSPResponse", e))?;
        if let Some(v) = basic.tbs_response_data.version
            && v != 0
        {
            return Err(TrustError::Unsupported {
                what: format!("OCSP ResponseData version {}", u16::from(v) + 1),
            });
        }
        // The signed part must be locatable now, so that a response accepted here can be
        // checked later.
        crate::signature::signed_part(&basic_der)
            .map_err(|e| crate::error::from_core("BasicOCSPResponse", e))?;
        for single in &basic.tbs_response_data.responses {
            if let CertStatus::Revoked(info) = &single.cert_status {
                reason_of(info.revocation_reason.as_ref())?;
            }
        }
        Ok(Self { basic_der, basic })
    }

    /// `producedAt`: when the responder signed the response.
    pub fn produced_at(&self) -> SystemTime {
        self.basic.tbs_response_data.produced_at.to_system_time()
    }

    /// `responderID`: who the response says signed it.
    pub fn responder(&self) -> OcspResponder {
        match &self.basic.tbs_response_data.responder_id {
            ResponderId::ByName(name) => OcspResponder::ByName(token_core::x509_name_text(name)),
            ResponderId::ByKey(hash) => OcspResponder::ByKeyHash(hash.as_bytes().to_vec()),
        }
    }

    /// How many `SingleResponse`s (certificates answered for) the response holds.
    pub fn response_count(&self) -> usize {
        self.basic.tbs_response_data.responses.len()
    }

    /// How many certificates the responder attached (`certs`), e.g. its own.
    pub fn certificate_count(&self) -> usize {
        self.basic.certs.as_ref().map_or(0, Vec::len)
    }

    /// The `signatureAlgorithm` OID.
    pub fn signature_algorithm(&self) -> ObjectIdentifier {
        self.basic.signature_algorithm.oid
    }

    /// Every `SingleResponse`: serial number, status and dates.
    pub fn entries(&self) -> Vec<OcspEntry> {
        self.basic
            .tbs_response_data
            .responses
            .iter()
            .map(|s| OcspEntry {
                serial: s.cert_id.serial_number.as_bytes().to_vec(),
                // The reasons were checked by `from_der`.
                status: cert_status(&s.cert_status).unwrap_or(OcspCertStatus::Unknown),
                this_update: s.this_update.to_system_time(),
                next_update: s.next_update.map(|t| t.to_system_time()),
            })
            .collect()
    }

    /// What this response says about `cert`, issued by `issuer`, at `t` (see the module docs).
    pub(crate) fn check(
        &self,
        cert: &Cert,
        issuer: &Cert,
        t: SystemTime,
    ) -> Result<OcspVerdict, TrustError> {
        if cert.issuer() != issuer.subject() {
            return Ok(OcspVerdict::NotForThisCertificate);
        }
        let tbs = &self.basic.tbs_response_data;
        let issuer_name = name_der(issuer.subject())?;
        let serial = cert.cert.tbs_certificate().serial_number().as_bytes();
        let about: Vec<_> = tbs
            .responses
            .iter()
            .filter(|s| {
                cert_id_matches(
                    &s.cert_id,
                    &issuer_name,
                    issuer.public_key.key_bytes(),
                    serial,
                )
            })
            .collect();
        if about.is_empty() {
            return Ok(OcspVerdict::NotForThisCertificate);
        }
        check_extensions(tbs.response_extensions.as_ref(), "response")?;
        let scheme = self.check_algorithm()?;
        let signer = self.signer(issuer, t)?;
        self.verify_signature(scheme, signer)?;
        let mut verdict = OcspVerdict::Good;
        for single in about {
            check_extensions(single.single_extensions.as_ref(), "single response")?;
            let this_update = single.this_update.to_system_time();
            if t.checked_add(CLOCK_SKEW)
                .is_some_and(|late| this_update > late)
            {
                return Err(ocsp(format!(
                    "not yet valid: thisUpdate {} is after the validation time",
                    Rfc3339(this_update)
                )));
            }
            if let Some(next) = single.next_update.map(|n| n.to_system_time()) {
                if next < this_update {
                    return Err(ocsp("nextUpdate is before thisUpdate".into()));
                }
                if next.checked_add(CLOCK_SKEW).is_some_and(|end| t > end) {
                    return Err(ocsp(format!(
                        "stale: nextUpdate {} is before the validation time",
                        Rfc3339(next)
                    )));
                }
            }
            let this = match cert_status(&single.cert_status)? {
                OcspCertStatus::Good => OcspVerdict::Good,
                OcspCertStatus::Revoked { since, reason } => OcspVerdict::Revoked { since, reason },
                OcspCertStatus::Unknown => OcspVerdict::Unknown,
            };
            verdict = worse(verdict, this);
        }
        Ok(verdict)
    }

    /// The signature scheme, if `signatureAlgorithm` is a sane, supported one.
    fn check_algorithm(&self) -> Result<SignatureScheme, TrustError> {
        let alg = &self.basic.signature_algorithm;
        let scheme = crate::signature::scheme_of(alg)
            .map_err(|e| crate::error::from_core("OCSP signatureAlgorithm", e))?;
        if scheme.x509_oid() != alg.oid {
            return Err(ocsp(format!(
                "signatureAlgorithm {} is a key algorithm, not a signature algorithm",
                alg.oid
            )));
        }
        if scheme != SignatureScheme::RsaPssSha256 && !absent_or_null(alg) {
            return Err(ocsp(format!(
                "signatureAlgorithm {} has parameters it does not take",
                alg.oid
            )));
        }
        Ok(scheme)
    }

    /// The key that must have signed the response: the issuer's, or an authorised delegated
    /// responder's.
    fn signer<'a>(&self, issuer: &'a Cert, t: SystemTime) -> Result<Signer<'a>, TrustError> {
        let rid = &self.basic.tbs_response_data.responder_id;
        if names(rid, issuer.subject(), &issuer.public_key) {
            return Ok(Signer::Issuer(issuer));
        }
        let mut unsupported = None;
        let mut named = None;
        for any in self.basic.certs.iter().flatten() {
            let parsed = any
                .to_der()
                .map_err(|e| TrustError::malformed_der("OCSP responder certificate", e))
                .and_then(|der| Cert::from_der(&der));
            match parsed {
                Ok(c) if names(rid, c.subject(), &c.public_key) => {
                    named = Some(c);
                    break;
                }
                Ok(_) => {}
                Err(e @ TrustError::Unsupported { .. }) => {
                    unsupported.get_or_insert(e);
                }
                Err(_) => {}
            }
        }
        let Some(responder) = named else {
            return Err(unsupported.unwrap_or_else(|| {
                ocsp(format!(
                    "signed by a responder the CA did not authorise: the responder ID names \
                     neither \"{}\" nor a certificate in the response",
                    issuer.subject_text
                ))
            }));
        };
        authorised(&responder, issuer, t)?;
        Ok(Signer::Delegated(Box::new(responder)))
    }

    fn verify_signature(
        &self,
        scheme: SignatureScheme,
        signer: Signer<'_>,
    ) -> Result<(), TrustError> {
        let (key, who) = match &signer {
            Signer::Issuer(c) => (&c.public_key, &c.subject_text),
            Signer::Delegated(c) => (&c.public_key, &c.subject_text),
        };
        let fits = match key.algorithm() {
            KeyAlgorithm::Gost(_) => key.algorithm().signature_scheme() == scheme,
            KeyAlgorithm::Rsa { .. } => scheme.is_rsa(),
            _ => true, // left to the verifier (unsupported)
        };
        if !fits {
            return Err(ocsp(format!(
                "signatureAlgorithm {} does not fit the {} key of \"{who}\"",
                self.basic.signature_algorithm.oid,
                key.algorithm()
            )));
        }
        let bad = || {
            ocsp(format!(
                "the signature does not verify with the key of \"{who}\""
            ))
        };
        let signed = crate::signature::signed_part(&self.basic_der).map_err(|_| bad())?;
        let sig = self.basic.signature.as_bytes().ok_or_else(bad)?;
        match crate::signature::verify_message(key, &self.basic.signature_algorithm, signed, sig) {
            Ok(()) => Ok(()),
            Err(token_core::Error::Unsupported { what }) => Err(TrustError::Unsupported { what }),
            Err(_) => Err(bad()),
        }
    }
}

/// Checks `response_der` for `cert` issued by `issuer` at time `t`.
pub(crate) fn check_ocsp(
    response_der: &[u8],
    cert: &Cert,
    issuer: &Cert,
    t: SystemTime,
) -> Result<OcspVerdict, TrustError> {
    OcspResponse::from_der(response_der)?.check(cert, issuer, t)
}

/// Who signs: the certificate's issuer, or a delegated responder it certified.
enum Signer<'a> {
    Issuer(&'a Cert),
    Delegated(Box<Cert>),
}

/// The rules for a delegated responder certificate (RFC 6960 §4.2.2.2).
fn authorised(responder: &Cert, issuer: &Cert, t: SystemTime) -> Result<(), TrustError> {
    let who = &responder.subject_text;
    let not_authorised = |detail: String| {
        ocsp(format!(
            "signed by a responder the CA did not authorise: \"{who}\" {detail}"
        ))
    };
    if responder.issuer() != issuer.subject() {
        return Err(not_authorised(format!(
            "was not issued by \"{}\"",
            issuer.subject_text
        )));
    }
    match responder.verify_signed_by(&issuer.public_key) {
        Ok(()) => {}
        Err(e @ TrustError::Unsupported { .. }) => return Err(e),
        Err(e) => {
            return Err(not_authorised(format!(
                "is not certified by \"{}\" ({e})",
                issuer.subject_text
            )));
        }
    }
    let for_ocsp = responder
        .ext_key_usage
        .as_ref()
        .is_some_and(|eku| eku.0.contains(&oids::KP_OCSP_SIGNING));
    if !for_ocsp {
        return Err(not_authorised(
            "lacks id-kp-OCSPSigning in extendedKeyUsage".into(),
        ));
    }
    if let Some(ku) = &responder.key_usage
        && !ku.digital_signature()
    {
        return Err(not_authorised(
            "may not sign (keyUsage lacks digitalSignature)".into(),
        ));
    }
    crate::path::check_time(responder, t)
        .map_err(|e| ocsp(format!("the responder certificate is not valid: {e}")))?;
    if let Some(oid) = responder
        .unknown_critical
        .iter()
        .find(|o| **o != oids::OCSP_NOCHECK)
    {
        return Err(ocsp(format!(
            "the responder certificate \"{who}\" has an unknown critical extension {oid}"
        )));
    }
    Ok(())
}

/// Whether the responder ID names the holder of `subject` and `key`.
fn names(rid: &ResponderId, subject: &Name, key: &PublicKey) -> bool {
    match rid {
        ResponderId::ByName(name) => name == subject,
        ResponderId::ByKey(hash) => sha1(key.key_bytes()) == hash.as_bytes(),
    }
}

fn sha1(data: &[u8]) -> Vec<u8> {
    use sha1::Digest as _;
    sha1::Sha1::digest(data).to_vec()
}

/// `data` hashed with a CertID hash algorithm, or `None` when the algorithm is not one this
/// crate computes (or carries parameters it should not).
fn cert_id_hash(alg: &AlgorithmIdentifierOwned, data: &[u8]) -> Option<Vec<u8>> {
    if !absent_or_null(alg) {
        return None;
    }
    if alg.oid == oids::SHA1 {
        return Some(sha1(data));
    }
    DigestAlgorithm::from_oid(&alg.oid).map(|d| crate::signature::digest(d, data))
}

fn cert_id_matches(id: &CertId, issuer_name: &[u8], issuer_key: &[u8], serial: &[u8]) -> bool {
    id.serial_number.as_bytes() == serial
        && cert_id_hash(&id.hash_algorithm, issuer_name)
            .is_some_and(|h| h == id.issuer_name_hash.as_bytes())
        && cert_id_hash(&id.hash_algorithm, issuer_key)
            .is_some_and(|h| h == id.issuer_key_hash.as_bytes())
}

fn absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    alg.parameters
        .as_ref()
        .is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty())
}

/// Extensions a response or single response may mark critical and still be used.
const UNDERSTOOD: &[ObjectIdentifier] = &[
    oids::OCSP_NONCE,
    oids::OCSP_CRL_ID,
    oids::OCSP_ARCHIVE_CUTOFF,
    oids::OCSP_EXTENDED_REVOKE,
    oids::CE_CRL_REASON,
    oids::CE_INVALIDITY_DATE,
];

fn check_extensions(exts: Option<&Extensions>, place: &str) -> Result<(), TrustError> {
    let mut seen: Vec<ObjectIdentifier> = Vec::new();
    for ext in exts.into_iter().flatten() {
        if seen.contains(&ext.extn_id) {
            return Err(ocsp(format!(
                "{place} extension {} appears more than once",
                ext.extn_id
            )));
        }
        seen.push(ext.extn_id);
        if ext.critical && !UNDERSTOOD.contains(&ext.extn_id) {
            return Err(ocsp(format!(
                "unknown critical {place} extension {}",
                ext.extn_id
            )));
        }
    }
    Ok(())
}

fn cert_status(status: &CertStatus) -> Result<OcspCertStatus, TrustError> {
    Ok(match status {
        CertStatus::Good(_) => OcspCertStatus::Good,
        CertStatus::Revoked(info) => OcspCertStatus::Revoked {
            since: info.revocation_time.to_system_time(),
            reason: reason_of(info.revocation_reason.as_ref())?,
        },
        CertStatus::Unknown(_) => OcspCertStatus::Unknown,
    })
}

fn reason_of(reason: Option<&Any>) -> Result<RevocationReason, TrustError> {
    match reason {
        None => Ok(RevocationReason::Unspecified),
        Some(any) => enumerated(any)
            .map(|code| RevocationReason::from_code(u32::from(code)))
            .ok_or_else(|| TrustError::Malformed {
                what: "OCSP revocationReason",
                reason: "not a one-byte ENUMERATED".into(),
            }),
    }
}

/// The value of a one-byte, non-negative ENUMERATED.
fn enumerated(any: &Any) -> Option<u8> {
    match (any.tag(), any.value()) {
        (Tag::Enumerated, [b]) if *b < 0x80 => Some(*b),
        _ => None,
    }
}

/// The RFC 6960 name of an `OCSPResponseStatus`.
fn status_name(status: u8) -> &'static str {
    match status {
        0 => "successful",
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => "an undefined status",
    }
}

/// The more alarming of two verdicts: revoked, then unknown, then good.
fn worse(a: OcspVerdict, b: OcspVerdict) -> OcspVerdict {
    let rank = |v: &OcspVerdict| match v {
        OcspVerdict::Revoked { .. } => 3,
        OcspVerdict::Unknown => 2,
        OcspVerdict::Good => 1,
        OcspVerdict::NotForThisCertificate => 0,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

fn ocsp(why: String) -> TrustError {
    TrustError::Ocsp { why }
}
