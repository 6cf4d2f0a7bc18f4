//! Flow U11: a re-issue request signed by the *current* key and certificate (the bank
//! asks for a request "signed by the signer of the re-issue request").
//!
//! The new PKCS#10 request (signed by the new key, proof of possession) travels as the
//! attached content of a CMS SignedData signed by the current key. **The certificate it
//! replaces is named by the signed attribute signingCertificateV2** of that SignedData:
//! ESSCertIDv2 carries the current certificate's hash and its issuer + serial number, and is
//! covered by the signature. No private OID is invented for this; a CA reads the replaced
//! certificate from [`ReissueRequest::replaces`].

use der::Decode;
use token_core::{Carrier, CertificateInfo, Error, Result};
use x509_cert::Certificate;

use crate::{CmsSigner, Content, VerifyOptions};
use csr::CertificateRequest;

/// Wraps `request` (made for the new key) in a SignedData signed by `current` (the key and
/// certificate being replaced). Refuses a request for the same key as the current certificate.
pub fn sign_reissue_request<C: Carrier + ?Sized>(
    request: &CertificateRequest,
    current: &CmsSigner<'_, C>,
) -> Result<Vec<u8>> {
    request.verify()?;
    let old = CertificateInfo::from_der(current.certificate_der())?;
    if old.public_key.same_key(&request.public_key()?) {
        return Err(Error::NotAllowed {
            reason: "a re-issue request must certify a new key".into(),
        });
    }
    crate::sign(request.as_der(), current, Content::Attached)
}

/// An opened re-issue request, as the bank side sees it.
#[derive(Debug)]
pub struct ReissueRequest {
    /// The new request (its proof of possession verified).
    pub request: CertificateRequest,
    /// The certificate being replaced: the signer's, named by signingCertificateV2.
    pub replaces: CertificateInfo,
    /// The replaced certificate (DER).
    pub replaces_der: Vec<u8>,
}

/// Verifies a re-issue request: exactly one signer, its signature, signingCertificateV2
/// present and matching, the PKCS#10 inside verifying with its own key, and a new key.
pub fn open_reissue_request(cms_der: &[u8], options: &VerifyOptions<'_>) -> Result<ReissueRequest> {
    let verified = crate::verify(cms_der, None, options)?;
    let [signer] = verified.signers.as_slice() else {
        return Err(Error::VerificationFailed {
            what: "a re-issue request has exactly one signer".into(),
        });
    };
    if !signer.signing_certificate_v2 {
        return Err(Error::VerificationFailed {
            what: "signingCertificateV2 (the replaced certificate) missing".into(),
        });
    }
    let replaces_der = signer
        .certificate
        .clone()
        .ok_or_else(|| Error::VerificationFailed {
            what: "signer certificate".into(),
        })?;
    let _ =
        Certificate::from_der(&replaces_der).map_err(|e| Error::malformed_der("certificate", e))?;
    let replaces = CertificateInfo::from_der(&replaces_der)?;
    let request = CertificateRequest::from_der(&verified.content)?;
    request.verify()?;
    if replaces.public_key.same_key(&request.public_key()?) {
        return Err(Error::NotAllowed {
            reason: "a re-issue request must certify a new key".into(),
        });
    }
    Ok(ReissueRequest {
        request,
        replaces,
        replaces_der,
    })
}
