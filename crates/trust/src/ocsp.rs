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
mod verify;

use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::asn1::Any;
use der::{Decode, Tag, Tagged};

use self::asn1::{BasicOcspResponse, CertStatus, OcspResponseAsn1, ResponderId};
use crate::cert::Cert;
use crate::error::{RevocationReason, TrustError};
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

fn ocsp(why: String) -> TrustError {
    TrustError::Ocsp { why }
}
