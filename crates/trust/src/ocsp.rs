//! OCSP responses (RFC 6960) given as bytes: read, verify, look a certificate up.
//!
//! NOT YET IMPLEMENTED beyond the interface: every response is refused as unsupported.

use std::time::SystemTime;

use crate::cert::Cert;
use crate::error::{RevocationReason, TrustError};

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

/// A parsed `OCSPResponse`.
#[derive(Debug, Clone)]
pub struct OcspResponse {}

impl OcspResponse {
    /// Reads a DER `OCSPResponse` (untrusted input: typed errors, never a panic).
    pub fn from_der(_der: &[u8]) -> Result<Self, TrustError> {
        Err(TrustError::Unsupported {
            what: "OCSP responses".into(),
        })
    }
}

/// Checks `response_der` for `cert` issued by `issuer` at time `t`.
pub(crate) fn check_ocsp(
    response_der: &[u8],
    _cert: &Cert,
    _issuer: &Cert,
    _t: SystemTime,
) -> Result<OcspVerdict, TrustError> {
    OcspResponse::from_der(response_der).map(|_| OcspVerdict::NotForThisCertificate)
}
