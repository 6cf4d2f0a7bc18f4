//! Where revocation information comes from, and what a missing one means.
//!
//! Fetching CRLs and OCSP responses over the network is the application's job (its proxy, its
//! timeouts, its cache): it implements [`RevocationSource`]. [`OfflineRevocation`] serves CRLs
//! and OCSP responses the caller already has as bytes (files, a bank's offline bundle).
//!
//! For each certificate in a path (the anchor excepted), OCSP responses are tried first, then
//! CRLs. A response or CRL that is signed by the wrong key, or is not current at the validation
//! time, is an error, not "no information": a forged or stale answer must not pass silently.

use std::time::SystemTime;

use crate::cert::Cert;
use crate::crl::{CrlVerdict, check_crl};
use crate::error::{RevocationReason, TrustError};
use crate::ocsp::{OcspVerdict, check_ocsp};
use crate::path::ValidationOptions;

/// What to do when no CRL or OCSP response covers a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevocationPolicy {
    /// Refuse the path ([`TrustError::RevocationUnavailable`]). The default.
    #[default]
    Require,
    /// Accept the path and say so in [`crate::ValidatedPath::warnings`].
    WarnIfUnavailable,
}

/// Where a certificate's revocation status came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Not revoked according to a CRL of its issuer.
    GoodByCrl,
    /// Not revoked according to an OCSP response.
    GoodByOcsp,
    /// Revoked after the validation time (a past signing time, checked against later revocation
    /// information, see [`crate::ValidationOptions::revocation_time`]) for a reason that spares
    /// earlier signatures (superseded, affiliation changed, cessation of operation, hold).
    RevokedLater {
        /// The revocation date.
        since: SystemTime,
        /// The reason.
        reason: RevocationReason,
    },
    /// Nothing covered it; accepted under [`RevocationPolicy::WarnIfUnavailable`].
    Unavailable {
        /// What was looked for.
        why: String,
    },
}

/// A source of revocation information for one certificate and its issuer.
///
/// Return what you have, DER; an empty list means "nothing", and an `Err` (a failed download)
/// counts as nothing too, with the error text kept for the report.
pub trait RevocationSource {
    /// CRLs that may cover `certificate` (DER), issued by `issuer` (DER).
    fn crls(&self, certificate: &[u8], issuer: &[u8]) -> std::io::Result<Vec<Vec<u8>>>;

    /// OCSP responses (`OCSPResponse`, DER) that may cover `certificate`.
    fn ocsp_responses(&self, certificate: &[u8], issuer: &[u8]) -> std::io::Result<Vec<Vec<u8>>>;
}

/// No revocation information at all (with [`RevocationPolicy::Require`], every path with a
/// certificate below the anchor is refused).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocation;

impl RevocationSource for NoRevocation {
    fn crls(&self, _: &[u8], _: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }
    fn ocsp_responses(&self, _: &[u8], _: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }
}

/// CRLs and OCSP responses given as bytes (files read by the caller, an offline bundle).
///
/// Every CRL is offered for every certificate; the checks pick the ones whose issuer matches.
#[derive(Debug, Clone, Default)]
pub struct OfflineRevocation {
    crls: Vec<Vec<u8>>,
    ocsp: Vec<Vec<u8>>,
}

impl OfflineRevocation {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a CRL, DER or PEM (`X509 CRL`). Checked for form here; signature and freshness are
    /// checked when it is used.
    pub fn add_crl(&mut self, bytes: &[u8]) -> Result<(), TrustError> {
        let der = match core::str::from_utf8(bytes) {
            Ok(t) if t.contains("-----BEGIN") => {
                let (label, der) =
                    der::pem::decode_vec(bytes).map_err(|e| TrustError::Malformed {
                        what: "CRL PEM",
                        reason: e.to_string(),
                    })?;
                if label != "X509 CRL" {
                    return Err(TrustError::Malformed {
                        what: "CRL PEM",
                        reason: format!("label {label:?} is not X509 CRL"),
                    });
                }
                der
            }
            _ => bytes.to_vec(),
        };
        crate::crl::parse(&der)?;
        self.crls.push(der);
        Ok(())
    }

    /// Adds an OCSP response (`OCSPResponse`, DER). Checked for form here.
    pub fn add_ocsp_response(&mut self, der: &[u8]) -> Result<(), TrustError> {
        crate::ocsp::OcspResponse::from_der(der)?;
        self.ocsp.push(der.to_vec());
        Ok(())
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.ocsp.is_empty()
    }
}

impl RevocationSource for OfflineRevocation {
    fn crls(&self, _: &[u8], _: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(self.crls.clone())
    }
    fn ocsp_responses(&self, _: &[u8], _: &[u8]) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(self.ocsp.clone())
    }
}

/// Whether a revocation at `since` for `reason` makes the certificate unusable at `t`.
pub(crate) fn revoked_at(since: SystemTime, reason: RevocationReason, t: SystemTime) -> bool {
    since <= t || !reason.spares_earlier_signatures()
}

/// The revocation status of `cert`, issued by `issuer`, at the validation time.
pub(crate) fn check_revocation(
    cert: &Cert,
    issuer: &Cert,
    source: &dyn RevocationSource,
    options: &ValidationOptions,
) -> Result<RevocationStatus, TrustError> {
    let t = options.time;
    // CRLs and OCSP responses must be current at `rt`: the validation time, or (validating a
    // past signing time) the time the caller names, usually now.
    let rt = options.revocation_time.unwrap_or(t);
    let mut looked = Vec::new();
    // A listed certificate is revoked whatever the entry's date when the information is
    // current at the validation time itself, as in RFC 5280 §6.3.3 and `openssl verify`: an
    // entry dated after it was listed ahead of time by its issuer. Validating an earlier
    // signing time against later information, a revocation after the signing time for a
    // reason that spares earlier signatures leaves the signature valid; key compromise (or no
    // reason given) refuses it whatever the signing time claims.
    let listed = |since: SystemTime, reason: RevocationReason| {
        if rt != t && !revoked_at(since, reason, t) {
            Ok(RevocationStatus::RevokedLater { since, reason })
        } else {
            Err(TrustError::Revoked {
                subject: cert.subject_text.clone(),
                since,
                reason,
            })
        }
    };
    match source.ocsp_responses(&cert.der, &issuer.der) {
        Ok(responses) => {
            let mut about = false;
            for resp in &responses {
                let verdict = check_ocsp(resp, cert, issuer, rt)?;
                about |= verdict != OcspVerdict::NotForThisCertificate;
                match verdict {
                    OcspVerdict::NotForThisCertificate => {}
                    OcspVerdict::Unknown => looked.push("the OCSP responder does not know it"),
                    OcspVerdict::Good => return Ok(RevocationStatus::GoodByOcsp),
                    OcspVerdict::Revoked { since, reason } => return listed(since, reason),
                }
            }
            if responses.is_empty() {
                looked.push("no OCSP response");
            } else if !about {
                looked.push("no OCSP response about it");
            }
        }
        Err(_) => looked.push("OCSP responses could not be fetched"),
    }
    match source.crls(&cert.der, &issuer.der) {
        Ok(crls) => {
            let mut good = false;
            for crl in &crls {
                match check_crl(crl, cert, issuer, rt)? {
                    CrlVerdict::NotInScope => {}
                    CrlVerdict::NotListed => good = true,
                    CrlVerdict::Revoked { since, reason } => return listed(since, reason),
                }
            }
            if good {
                return Ok(RevocationStatus::GoodByCrl);
            }
            looked.push("no CRL of its issuer");
        }
        Err(_) => looked.push("CRLs could not be fetched"),
    }
    let why = looked.join(", ");
    match options.revocation {
        RevocationPolicy::Require => Err(TrustError::RevocationUnavailable {
            subject: cert.subject_text.clone(),
            why,
        }),
        RevocationPolicy::WarnIfUnavailable => Ok(RevocationStatus::Unavailable { why }),
    }
}
