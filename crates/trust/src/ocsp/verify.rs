//! Deciding whether to believe a response about one certificate: the CertID lookup, the
//! signer (the issuer or a delegated responder), the signature, the extensions and the dates.
//! The rules, and why, are in the [module documentation](super).

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::{Encode, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;
use token_core::{DigestAlgorithm, KeyAlgorithm, PublicKey, SignatureScheme};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;

use super::asn1::{CertId, ResponderId};
use super::{CLOCK_SKEW, OcspCertStatus, OcspResponse, OcspVerdict, cert_status, ocsp};
use crate::cert::{Cert, name_der};
use crate::error::{Rfc3339, TrustError};
use crate::oids;

impl OcspResponse {
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

/// The more alarming of two verdicts: revoked, then unknown, then good.
pub(super) fn worse(a: OcspVerdict, b: OcspVerdict) -> OcspVerdict {
    let rank = |v: &OcspVerdict| match v {
        OcspVerdict::Revoked { .. } => 3,
        OcspVerdict::Unknown => 2,
        OcspVerdict::Good => 1,
        OcspVerdict::NotForThisCertificate => 0,
    };
    if rank(&b) > rank(&a) { b } else { a }
}
