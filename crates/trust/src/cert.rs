//! A certificate read once for path validation: its DER, its fields, and the extensions the
//! validator acts on, each decoded and checked for duplicates up front.

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use token_core::{CertificateInfo, PublicKey};
use x509_cert::Certificate;
use x509_cert::ext::pkix::crl::CrlDistributionPoints;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use crate::error::{TrustError, from_core};
use crate::oids;

/// A parsed certificate with the extensions path validation needs.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) cert: Certificate,
    pub(crate) subject_text: String,
    pub(crate) public_key: PublicKey,
    pub(crate) not_before: SystemTime,
    pub(crate) not_after: SystemTime,
    pub(crate) basic_constraints: Option<BasicConstraints>,
    pub(crate) key_usage: Option<KeyUsage>,
    pub(crate) ext_key_usage: Option<ExtendedKeyUsage>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    pub(crate) crl_distribution_points: Option<CrlDistributionPoints>,
    /// Critical extensions this validator does not process (refused when the certificate is
    /// used in a path).
    pub(crate) unknown_critical: Vec<ObjectIdentifier>,
}

/// Extensions a path validator may see marked critical and still accept: those it processes
/// (basicConstraints, keyUsage, extendedKeyUsage) and those that carry information only
/// (key identifiers, names, policies, distribution points, access descriptions, the Russian
/// sign-tool statements). Anything else marked critical is refused, as RFC 5280 §4.2 requires.
/// nameConstraints, policyConstraints, policyMappings and inhibitAnyPolicy are *not* here: they
/// constrain the path and this validator does not evaluate them, so a critical one is refused.
const UNDERSTOOD: &[ObjectIdentifier] = &[
    oids::CE_BASIC_CONSTRAINTS,
    oids::CE_KEY_USAGE,
    oids::CE_EXT_KEY_USAGE,
    oids::CE_SUBJECT_KEY_IDENTIFIER,
    oids::CE_AUTHORITY_KEY_ID,
    oids::CE_SUBJECT_ALT_NAME,
    oids::CE_ISSUER_ALT_NAME,
    oids::CE_CERTIFICATE_POLICIES,
    oids::CE_CRL_DISTRIBUTION_POINTS,
    oids::CE_FRESHEST_CRL,
    oids::CE_PRIVATE_KEY_USAGE_PERIOD,
    oids::PE_AUTHORITY_INFO_ACCESS,
    oids::PE_SUBJECT_INFO_ACCESS,
    oids::SUBJECT_SIGN_TOOL,
    oids::ISSUER_SIGN_TOOL,
];

impl Cert {
    /// Parses and checks a DER certificate (untrusted input: typed errors, never a panic).
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, TrustError> {
        let cert =
            Certificate::from_der(der).map_err(|e| TrustError::malformed_der("certificate", e))?;
        // Certificates that re-encode differently were not DER; the signature covers the
        // bytes received, so keep those.
        let info = CertificateInfo::from_der(der).map_err(|e| from_core("certificate", e))?;
        let subject_text = info.subject.clone();
        let mut out = Self {
            der: der.to_vec(),
            subject_text,
            public_key: info.public_key,
            not_before: info.not_before,
            not_after: info.not_after,
            basic_constraints: None,
            key_usage: None,
            ext_key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            crl_distribution_points: None,
            unknown_critical: Vec::new(),
            cert,
        };
        out.read_extensions()?;
        Ok(out)
    }

    fn read_extensions(&mut self) -> Result<(), TrustError> {
        let Some(exts) = self.cert.tbs_certificate().extensions() else {
            return Ok(());
        };
        let exts = exts.clone();
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in &exts {
            let bad = |reason: String| TrustError::BadExtension {
                subject: self.subject_text.clone(),
                oid: ext.extn_id,
                reason,
            };
            if seen.contains(&ext.extn_id) {
                return Err(bad("appears more than once".into()));
            }
            seen.push(ext.extn_id);
            let value = ext.extn_value.as_bytes();
            let de = |e: der::Error| bad(e.to_string());
            match ext.extn_id {
                oids::CE_BASIC_CONSTRAINTS => {
                    self.basic_constraints = Some(BasicConstraints::from_der(value).map_err(de)?);
                }
                oids::CE_KEY_USAGE => {
                    self.key_usage = Some(KeyUsage::from_der(value).map_err(de)?);
                }
                oids::CE_EXT_KEY_USAGE => {
                    self.ext_key_usage = Some(ExtendedKeyUsage::from_der(value).map_err(de)?);
                }
                oids::CE_SUBJECT_KEY_IDENTIFIER => {
                    let ski = SubjectKeyIdentifier::from_der(value).map_err(de)?;
                    self.subject_key_id = Some(ski.0.as_bytes().to_vec());
                }
                oids::CE_AUTHORITY_KEY_ID => {
                    let aki = AuthorityKeyIdentifier::from_der(value).map_err(de)?;
                    self.authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
                }
                oids::CE_CRL_DISTRIBUTION_POINTS => {
                    self.crl_distribution_points =
                        Some(CrlDistributionPoints::from_der(value).map_err(de)?);
                }
                other => {
                    if ext.critical && !UNDERSTOOD.contains(&other) {
                        self.unknown_critical.push(other);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn subject(&self) -> &Name {
        self.cert.tbs_certificate().subject()
    }

    pub(crate) fn issuer(&self) -> &Name {
        self.cert.tbs_certificate().issuer()
    }

    /// Whether basicConstraints says cA = TRUE.
    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints.as_ref().is_some_and(|b| b.ca)
    }

    /// Whether subject and issuer names are the same (RFC 5280 "self-issued").
    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject() == self.issuer()
    }

    /// keyCertSign allowed (no keyUsage extension allows everything).
    pub(crate) fn may_sign_certificates(&self) -> bool {
        self.key_usage.as_ref().is_none_or(KeyUsage::key_cert_sign)
    }

    /// cRLSign allowed (no keyUsage extension allows everything).
    pub(crate) fn may_sign_crls(&self) -> bool {
        self.key_usage.as_ref().is_none_or(KeyUsage::crl_sign)
    }

    /// Whether `issuer` may be this certificate's issuer by names and key identifiers: the
    /// issuer name matches, and where both carry key identifiers, they match.
    pub(crate) fn names_issuer(&self, issuer: &Cert) -> bool {
        if issuer.subject() != self.issuer() {
            return false;
        }
        match (&self.authority_key_id, &issuer.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// Checks this certificate's signature with `issuer_key`, and that the outer and inner
    /// signature algorithms agree.
    pub(crate) fn verify_signed_by(&self, issuer_key: &PublicKey) -> Result<(), TrustError> {
        let tbs = self.cert.tbs_certificate();
        if tbs.signature() != self.cert.signature_algorithm() {
            return Err(TrustError::AlgorithmMismatch {
                subject: self.subject_text.clone(),
            });
        }
        let bad = || TrustError::BadSignature {
            subject: self.subject_text.clone(),
        };
        match crate::signature::x509_scheme_of(self.cert.signature_algorithm()) {
            Ok(_) => {}
            Err(token_core::Error::Unsupported { what }) => {
                return Err(TrustError::Unsupported { what });
            }
            Err(_) => return Err(bad()),
        }
        let signed = crate::signature::signed_part(&self.der).map_err(|_| bad())?;
        let sig = self.cert.signature().as_bytes().ok_or_else(bad)?;
        match crate::signature::verify_message(
            issuer_key,
            self.cert.signature_algorithm(),
            signed,
            sig,
        ) {
            Ok(()) => Ok(()),
            Err(token_core::Error::Unsupported { what }) => Err(TrustError::Unsupported { what }),
            Err(_) => Err(bad()),
        }
    }

    /// The same certificate (byte for byte).
    pub(crate) fn same_as(&self, other: &Cert) -> bool {
        self.der == other.der
    }
}

/// Re-encodes a name to DER, for hashing (OCSP CertID).
pub(crate) fn name_der(name: &Name) -> Result<Vec<u8>, TrustError> {
    name.to_der()
        .map_err(|e| TrustError::malformed_der("name", e))
}
