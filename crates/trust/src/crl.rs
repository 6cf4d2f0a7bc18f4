//! Certificate revocation lists (RFC 5280 §5, §6.3): read, check, look a certificate up.
//!
//! A CRL is used for a certificate when its issuer name is the certificate's issuer and its
//! issuingDistributionPoint (if any) covers that kind of certificate. It must then:
//!
//! * verify with the issuer's key, whose keyUsage (when present) allows cRLSign;
//! * be current: thisUpdate ≤ validation time < nextUpdate. A CRL without nextUpdate is
//!   refused (RFC 5280 §5.1.2.5 requires it; without it, staleness cannot be told);
//! * be a complete CRL: delta CRLs ([`TrustError::DeltaCrl`]) and indirect CRLs are refused;
//! * have no critical extension besides issuingDistributionPoint, and no critical entry
//!   extension besides the reason code and invalidity date.

use std::time::SystemTime;

use der::{Decode, Encode, Tagged};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::DistributionPointName;

use crate::cert::Cert;
use crate::error::{RevocationReason, TrustError};
use crate::oids;

/// What a CRL says about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrlVerdict {
    /// The CRL is not about this certificate (another issuer, another scope).
    NotInScope,
    /// In scope, current, correctly signed, and the certificate is not listed.
    NotListed,
    /// Listed.
    Revoked {
        since: SystemTime,
        reason: RevocationReason,
    },
}

/// Parses a DER CRL (untrusted input: typed errors, never a panic).
pub(crate) fn parse(der: &[u8]) -> Result<CertificateList, TrustError> {
    CertificateList::from_der(der).map_err(|e| TrustError::malformed_der("CRL", e))
}

/// A CRL read and checked for form, for callers that want to look inside one (e.g. to show its
/// dates) without validating a path.
#[derive(Debug, Clone)]
pub struct Crl {
    /// The issuer (RFC 4514).
    pub issuer: String,
    /// thisUpdate.
    pub this_update: SystemTime,
    /// nextUpdate, when present.
    pub next_update: Option<SystemTime>,
    /// How many certificates it lists.
    pub revoked_count: usize,
}

impl Crl {
    /// Reads a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, TrustError> {
        let crl = parse(der)?;
        let tbs = &crl.tbs_cert_list;
        Ok(Self {
            issuer: token_core::x509_name_text(&tbs.issuer),
            this_update: tbs.this_update.to_system_time(),
            next_update: tbs.next_update.map(|t| t.to_system_time()),
            revoked_count: tbs.revoked_certificates.as_ref().map_or(0, Vec::len),
        })
    }
}

/// Checks `crl_der` against `cert` issued by `issuer` at time `t`.
pub(crate) fn check_crl(
    crl_der: &[u8],
    cert: &Cert,
    issuer: &Cert,
    t: SystemTime,
) -> Result<CrlVerdict, TrustError> {
    let crl = parse(crl_der)?;
    let tbs = &crl.tbs_cert_list;
    if &tbs.issuer != cert.issuer() || cert.issuer() != issuer.subject() {
        return Ok(CrlVerdict::NotInScope);
    }
    let issuer_text = issuer.subject_text.clone();
    // Scope and form first: extensions.
    let mut idp: Option<IssuingDistributionPoint> = None;
    for ext in tbs.crl_extensions.iter().flatten() {
        match ext.extn_id {
            oids::CE_DELTA_CRL_INDICATOR => {
                return Err(TrustError::DeltaCrl {
                    issuer: issuer_text,
                });
            }
            oids::CE_ISSUING_DISTRIBUTION_POINT => {
                idp = Some(
                    IssuingDistributionPoint::from_der(ext.extn_value.as_bytes())
                        .map_err(|e| TrustError::malformed_der("issuingDistributionPoint", e))?,
                );
            }
            oids::CE_CRL_NUMBER | oids::CE_AUTHORITY_KEY_ID | oids::CE_FRESHEST_CRL => {}
            other if ext.critical => {
                return Err(TrustError::UnknownCriticalExtension {
                    subject: format!("CRL of {issuer_text}"),
                    oid: other,
                });
            }
            _ => {}
        }
    }
    if let Some(idp) = &idp {
        if idp.indirect_crl || idp.only_some_reasons.is_some() || idp.only_contains_attribute_certs
        {
            // Partial CRLs cannot clear a certificate; treat as not covering it.
            return Ok(CrlVerdict::NotInScope);
        }
        if (idp.only_contains_user_certs && cert.is_ca())
            || (idp.only_contains_ca_certs && !cert.is_ca())
        {
            return Ok(CrlVerdict::NotInScope);
        }
        if let Some(name) = &idp.distribution_point
            && !cert_names_distribution_point(cert, name)
        {
            return Ok(CrlVerdict::NotInScope);
        }
    }
    // The issuer may sign CRLs, and did sign this one.
    if !issuer.may_sign_crls() {
        return Err(TrustError::IssuerKeyUsage {
            subject: issuer_text,
            what: "CRLs",
        });
    }
    verify_crl_signature(crl_der, &crl, issuer)?;
    // Current at the validation time.
    if tbs.this_update.to_system_time() > t {
        return Err(TrustError::CrlNotCurrent {
            issuer: issuer_text,
            state: "not yet valid",
        });
    }
    match tbs.next_update {
        None => {
            return Err(TrustError::CrlNotCurrent {
                issuer: issuer_text,
                state: "without nextUpdate",
            });
        }
        Some(next) if next.to_system_time() <= t => {
            return Err(TrustError::CrlNotCurrent {
                issuer: issuer_text,
                state: "stale (past nextUpdate)",
            });
        }
        Some(_) => {}
    }
    let serial = cert.cert.tbs_certificate().serial_number();
    for entry in tbs.revoked_certificates.iter().flatten() {
        if entry.serial_number.as_bytes() != serial.as_bytes() {
            continue;
        }
        let mut reason = RevocationReason::Unspecified;
        for ext in entry.crl_entry_extensions.iter().flatten() {
            match ext.extn_id {
                oids::CE_CRL_REASON => {
                    let code = der::asn1::Any::from_der(ext.extn_value.as_bytes())
                        .ok()
                        .filter(|a| a.tag() == der::Tag::Enumerated)
                        .and_then(|a| match a.value() {
                            [b] => Some(u32::from(*b)),
                            _ => None,
                        })
                        .ok_or_else(|| TrustError::Malformed {
                            what: "CRL reasonCode",
                            reason: "not a one-byte ENUMERATED".into(),
                        })?;
                    reason = RevocationReason::from_code(code);
                }
                oids::CE_INVALIDITY_DATE => {}
                other if ext.critical => {
                    return Err(TrustError::UnknownCriticalExtension {
                        subject: format!("CRL entry of {issuer_text}"),
                        oid: other,
                    });
                }
                _ => {}
            }
        }
        if reason == RevocationReason::RemoveFromCrl {
            continue;
        }
        return Ok(CrlVerdict::Revoked {
            since: entry.revocation_date.to_system_time(),
            reason,
        });
    }
    Ok(CrlVerdict::NotListed)
}

fn verify_crl_signature(
    der: &[u8],
    crl: &CertificateList,
    issuer: &Cert,
) -> Result<(), TrustError> {
    let bad = || TrustError::CrlBadSignature {
        issuer: issuer.subject_text.clone(),
    };
    if crl.tbs_cert_list.signature != crl.signature_algorithm {
        return Err(bad());
    }
    match crate::signature::x509_scheme_of(&crl.signature_algorithm) {
        Ok(_) => {}
        Err(token_core::Error::Unsupported { what }) => {
            return Err(TrustError::Unsupported { what });
        }
        Err(_) => return Err(bad()),
    }
    let signed = crate::signature::signed_part(der).map_err(|_| bad())?;
    let sig = crl.signature.as_bytes().ok_or_else(bad)?;
    match crate::signature::verify_message(
        &issuer.public_key,
        &crl.signature_algorithm,
        signed,
        sig,
    ) {
        Ok(()) => Ok(()),
        Err(token_core::Error::Unsupported { what }) => Err(TrustError::Unsupported { what }),
        Err(_) => Err(bad()),
    }
}

/// Whether one of the certificate's cRLDistributionPoints names `idp_name` (compared as DER).
fn cert_names_distribution_point(cert: &Cert, idp_name: &DistributionPointName) -> bool {
    let Ok(want) = idp_name.to_der() else {
        return false;
    };
    cert.crl_distribution_points.as_ref().is_some_and(|dps| {
        dps.0.iter().any(|dp| {
            dp.distribution_point
                .as_ref()
                .and_then(|n| n.to_der().ok())
                .is_some_and(|d| d == want)
        })
    })
}
