//! Why a certificate, path, CRL or OCSP response was not trusted.
//!
//! Every refusal is a [`TrustError`] variant that names the certificate (its subject, RFC 4514)
//! and the rule it broke, with a stable code (`KC-TRUST-…`) a support desk can search for. It
//! converts into [`token_core::Error::Untrusted`] (or `Revoked`, `Malformed`, `Unsupported`) for
//! callers that handle one error type.

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use token_core::ErrorCode;

/// The reason code of a revocation (RFC 5280 §5.3.1), as the CRL or OCSP response gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// 0, or no reason given.
    Unspecified,
    /// 1: the private key is known or suspected to be compromised.
    KeyCompromise,
    /// 2: the CA's key is compromised.
    CaCompromise,
    /// 3: the subject's name or other information changed.
    AffiliationChanged,
    /// 4: replaced by a new certificate.
    Superseded,
    /// 5: no longer needed.
    CessationOfOperation,
    /// 6: suspended (may be released later).
    CertificateHold,
    /// 8: released from hold (only in delta CRLs).
    RemoveFromCrl,
    /// 9: the privileges were withdrawn.
    PrivilegeWithdrawn,
    /// 10: the attribute authority's key is compromised.
    AaCompromise,
}

impl RevocationReason {
    /// The reason for a `CRLReason` value; unknown values read as [`Self::Unspecified`].
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            8 => Self::RemoveFromCrl,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            _ => Self::Unspecified,
        }
    }

    /// Whether a revocation for this reason says nothing against signatures made *before* the
    /// revocation date. A compromised key (or no reason given) may have signed anything with any
    /// claimed signing time, so those revocations count whatever the signing time says.
    pub fn spares_earlier_signatures(self) -> bool {
        matches!(
            self,
            Self::AffiliationChanged
                | Self::Superseded
                | Self::CessationOfOperation
                | Self::CertificateHold
                | Self::PrivilegeWithdrawn
        )
    }
}

impl core::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key compromise",
            Self::CaCompromise => "CA compromise",
            Self::AffiliationChanged => "affiliation changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation of operation",
            Self::CertificateHold => "certificate hold",
            Self::RemoveFromCrl => "remove from CRL",
            Self::PrivilegeWithdrawn => "privilege withdrawn",
            Self::AaCompromise => "AA compromise",
        })
    }
}

/// A refusal by the path validator, the CRL or the OCSP checks.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// Input bytes could not be understood.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read, e.g. `"certificate"`, `"CRL"`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An algorithm or a feature this validator does not implement (refused, never ignored).
    #[error("not supported: {what}")]
    Unsupported {
        /// What.
        what: String,
    },
    /// No trust anchor was given: nothing can be trusted.
    #[error("no trust anchor given")]
    NoTrustAnchor,
    /// No issuer of this certificate is among the anchors and the given certificates.
    #[error("no issuer found for \"{subject}\" (issuer \"{issuer}\")")]
    IssuerNotFound {
        /// The certificate whose issuer is missing.
        subject: String,
        /// The issuer name it names.
        issuer: String,
    },
    /// The path would be longer than the bound.
    #[error("certification path longer than {max} certificates")]
    PathTooLong {
        /// The bound.
        max: usize,
    },
    /// The signature on a certificate does not verify with its issuer's key.
    #[error("the signature on \"{subject}\" does not verify with its issuer's key")]
    BadSignature {
        /// The certificate.
        subject: String,
    },
    /// The certificate's outer and inner signature algorithms differ (RFC 5280 §4.1.1.2).
    #[error("\"{subject}\": signatureAlgorithm differs from tbsCertificate.signature")]
    AlgorithmMismatch {
        /// The certificate.
        subject: String,
    },
    /// The certificate expired before the validation time.
    #[error("\"{subject}\" expired at {}", Rfc3339(*not_after))]
    Expired {
        /// The certificate.
        subject: String,
        /// Its notAfter.
        not_after: SystemTime,
    },
    /// The certificate is not yet valid at the validation time.
    #[error("\"{subject}\" is not valid before {}", Rfc3339(*not_before))]
    NotYetValid {
        /// The certificate.
        subject: String,
        /// Its notBefore.
        not_before: SystemTime,
    },
    /// A certificate that issued another is not a CA (basicConstraints cA absent or FALSE).
    #[error("\"{subject}\" is not a CA certificate but issued another certificate")]
    NotCa {
        /// The would-be issuer.
        subject: String,
    },
    /// A CA's pathLenConstraint does not allow this many CAs below it.
    #[error("path length constraint of \"{subject}\" exceeded")]
    PathLengthExceeded {
        /// The CA whose constraint is exceeded.
        subject: String,
    },
    /// A CA's keyUsage lacks keyCertSign (or cRLSign for a CRL it signed).
    #[error("\"{subject}\" may not sign {what} (keyUsage)")]
    IssuerKeyUsage {
        /// The CA.
        subject: String,
        /// `"certificates"` or `"CRLs"`.
        what: &'static str,
    },
    /// A critical extension this validator does not process.
    #[error("\"{subject}\" has an unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The certificate (or CRL issuer).
        subject: String,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// An extension appears twice, or its value does not decode.
    #[error("\"{subject}\" has an invalid extension {oid}: {reason}")]
    BadExtension {
        /// The certificate.
        subject: String,
        /// The extension.
        oid: ObjectIdentifier,
        /// What is wrong.
        reason: String,
    },
    /// The end-entity key may not be used for what the caller asked (keyUsage).
    #[error("the key of \"{subject}\" may not be used for {purpose} (keyUsage)")]
    KeyUsage {
        /// The end-entity certificate.
        subject: String,
        /// What was asked.
        purpose: &'static str,
    },
    /// A certificate's extendedKeyUsage does not include the purpose asked for.
    #[error("\"{subject}\" is not for {purpose} (extendedKeyUsage lacks {oid})")]
    ExtendedKeyUsage {
        /// The certificate.
        subject: String,
        /// What was asked.
        purpose: &'static str,
        /// The purpose's OID.
        oid: ObjectIdentifier,
    },
    /// The certificate is revoked.
    #[error("\"{subject}\" is revoked since {} ({reason})", Rfc3339(*since))]
    Revoked {
        /// The certificate.
        subject: String,
        /// Since when.
        since: SystemTime,
        /// Why.
        reason: RevocationReason,
    },
    /// No usable revocation information for a certificate, and the policy requires it.
    #[error("no revocation information for \"{subject}\": {why}")]
    RevocationUnavailable {
        /// The certificate.
        subject: String,
        /// What was found and why it was not enough.
        why: String,
    },
    /// A CRL is outside its validity at the validation time.
    #[error("the CRL of \"{issuer}\" is {state} at the validation time")]
    CrlNotCurrent {
        /// The CRL issuer.
        issuer: String,
        /// `"stale (past nextUpdate)"`, `"not yet valid"`, or `"without nextUpdate"`.
        state: &'static str,
    },
    /// A CRL's signature does not verify with its issuer's key.
    #[error("the signature on the CRL of \"{issuer}\" does not verify")]
    CrlBadSignature {
        /// The CRL issuer.
        issuer: String,
    },
    /// A delta CRL was given; they are not processed.
    #[error("delta CRLs are not supported (CRL of \"{issuer}\")")]
    DeltaCrl {
        /// The CRL issuer.
        issuer: String,
    },
    /// An OCSP response could not be used: wrong signer, wrong certificate, out of date.
    #[error("OCSP response: {why}")]
    Ocsp {
        /// What is wrong.
        why: String,
    },
}

impl ErrorCode for TrustError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "KC-MALFORMED",
            Self::Unsupported { .. } => "KC-UNSUPPORTED",
            Self::NoTrustAnchor => "KC-TRUST-NO-ANCHOR",
            Self::IssuerNotFound { .. } => "KC-TRUST-NO-ISSUER",
            Self::PathTooLong { .. } => "KC-TRUST-PATH-TOO-LONG",
            Self::BadSignature { .. } => "KC-TRUST-BAD-SIGNATURE",
            Self::AlgorithmMismatch { .. } => "KC-TRUST-ALGORITHM-MISMATCH",
            Self::Expired { .. } => "KC-TRUST-EXPIRED",
            Self::NotYetValid { .. } => "KC-TRUST-NOT-YET-VALID",
            Self::NotCa { .. } => "KC-TRUST-NOT-CA",
            Self::PathLengthExceeded { .. } => "KC-TRUST-PATH-LENGTH",
            Self::IssuerKeyUsage { .. } => "KC-TRUST-ISSUER-KEY-USAGE",
            Self::UnknownCriticalExtension { .. } => "KC-TRUST-CRITICAL-EXTENSION",
            Self::BadExtension { .. } => "KC-TRUST-BAD-EXTENSION",
            Self::KeyUsage { .. } => "KC-TRUST-KEY-USAGE",
            Self::ExtendedKeyUsage { .. } => "KC-TRUST-EXT-KEY-USAGE",
            Self::Revoked { .. } => "KC-REVOKED",
            Self::RevocationUnavailable { .. } => "KC-REVOCATION-UNKNOWN",
            Self::CrlNotCurrent { .. } => "KC-TRUST-CRL-NOT-CURRENT",
            Self::CrlBadSignature { .. } => "KC-TRUST-CRL-SIGNATURE",
            Self::DeltaCrl { .. } => "KC-TRUST-DELTA-CRL",
            Self::Ocsp { .. } => "KC-TRUST-OCSP",
        }
    }
}

impl TrustError {
    pub(crate) fn malformed_der(what: &'static str, e: der::Error) -> Self {
        Self::Malformed {
            what,
            reason: e.to_string(),
        }
    }
}

impl From<TrustError> for token_core::Error {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Malformed { what, reason } => Self::Malformed {
                what,
                at: None,
                reason,
            },
            TrustError::Unsupported { what } => Self::Unsupported { what },
            other => Self::Untrusted {
                code: other.code(),
                reason: other.to_string(),
            },
        }
    }
}

/// Maps a `token_core` error from a signature or key check into the trust vocabulary.
pub(crate) fn from_core(what: &'static str, e: token_core::Error) -> TrustError {
    match e {
        token_core::Error::Unsupported { what } => TrustError::Unsupported { what },
        other => TrustError::Malformed {
            what,
            reason: other.to_string(),
        },
    }
}

/// Prints a `SystemTime` as RFC 3339 UTC (seconds), for messages.
pub(crate) struct Rfc3339(pub SystemTime);

impl core::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match der::DateTime::from_system_time(self.0) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minutes(),
                t.seconds()
            ),
            Err(_) => f.write_str("(time out of range)"),
        }
    }
}
