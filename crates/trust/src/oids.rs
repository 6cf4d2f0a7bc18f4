//! Object identifiers of the extensions and purposes the validator reads (RFC 5280, RFC 6960,
//! the Russian sign-tool statements). Written out here rather than taken from a database so the
//! list of what is understood is in one auditable place.

use const_oid::ObjectIdentifier as Oid;

/// subjectKeyIdentifier.
pub(crate) const CE_SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
/// keyUsage.
pub(crate) const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// privateKeyUsagePeriod.
pub(crate) const CE_PRIVATE_KEY_USAGE_PERIOD: Oid = Oid::new_unwrap("2.5.29.16");
/// subjectAltName.
pub(crate) const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// issuerAltName.
pub(crate) const CE_ISSUER_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.18");
/// basicConstraints.
pub(crate) const CE_BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// cRLNumber.
pub(crate) const CE_CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
/// reasonCode (CRL entry).
pub(crate) const CE_CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");
/// invalidityDate (CRL entry).
pub(crate) const CE_INVALIDITY_DATE: Oid = Oid::new_unwrap("2.5.29.24");
/// deltaCRLIndicator.
pub(crate) const CE_DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
/// issuingDistributionPoint.
pub(crate) const CE_ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
/// cRLDistributionPoints.
pub(crate) const CE_CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
/// certificatePolicies.
pub(crate) const CE_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
/// authorityKeyIdentifier.
pub(crate) const CE_AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
/// extKeyUsage.
pub(crate) const CE_EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
/// freshestCRL.
pub(crate) const CE_FRESHEST_CRL: Oid = Oid::new_unwrap("2.5.29.46");
/// authorityInfoAccess.
pub(crate) const PE_AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
/// subjectInfoAccess.
pub(crate) const PE_SUBJECT_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.11");
/// subjectSignTool (Russian qualified certificates).
pub(crate) const SUBJECT_SIGN_TOOL: Oid = Oid::new_unwrap("1.2.643.100.111");
/// issuerSignTool (Russian qualified certificates).
pub(crate) const ISSUER_SIGN_TOOL: Oid = Oid::new_unwrap("1.2.643.100.112");
/// id-kp-emailProtection (S/MIME and CMS document signing).
pub(crate) const KP_EMAIL_PROTECTION: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.4");
/// id-kp-clientAuth.
pub(crate) const KP_CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
/// id-kp-OCSPSigning.
pub(crate) const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-pkix-ocsp-basic.
pub(crate) const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
pub(crate) const OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-nocheck.
pub(crate) const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// SHA-1 (OCSP CertID hash).
pub(crate) const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// id-pkix-ocsp-crl (CrlID).
pub(crate) const OCSP_CRL_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.3");
/// id-pkix-ocsp-archive-cutoff.
pub(crate) const OCSP_ARCHIVE_CUTOFF: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.6");
/// id-pkix-ocsp-extended-revoke (RFC 6960 §4.4.8).
pub(crate) const OCSP_EXTENDED_REVOKE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.9");
