//! Encrypting a document to one or more recipients' certificates.

use cms::authenveloped_data::AuthEnvelopedData;
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use token_core::{Error, Result, RsaKeyTransport, oid};
use x509_cert::Certificate;

use crate::content::{self, ContentCipher};
use crate::random;
use crate::rsa_transport;

/// Builds an envelope: a fresh content key encrypts the document once, and each recipient's
/// certificate protects a copy of that key.
///
/// RSA recipients get RSAES-PKCS1-v1_5 unless [`EnvelopeBuilder::rsa_padding`] says otherwise.
#[derive(Debug, Clone)]
pub struct EnvelopeBuilder {
    cipher: ContentCipher,
    rsa_padding: RsaKeyTransport,
    recipients: Vec<Certificate>,
}

fn der_err(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |e| Error::malformed_der(what, e)
}

impl EnvelopeBuilder {
    /// A builder for content encrypted with `cipher`.
    pub fn new(cipher: ContentCipher) -> Self {
        Self {
            cipher,
            rsa_padding: RsaKeyTransport::Pkcs1v15,
            recipients: Vec::new(),
        }
    }

    /// The padding for RSA recipients.
    pub fn rsa_padding(mut self, padding: RsaKeyTransport) -> Self {
        self.rsa_padding = padding;
        self
    }

    /// Adds a recipient by certificate (DER). The certificate is not validated here: check it
    /// with the `trust` crate first, as for any certificate you encrypt to.
    pub fn recipient(mut self, certificate_der: &[u8]) -> Result<Self> {
        let certificate =
            Certificate::from_der(certificate_der).map_err(der_err("recipient certificate"))?;
        self.recipients.push(certificate);
        Ok(self)
    }

    /// Encrypts `content` (as `id-data`) and returns the DER `ContentInfo`.
    pub fn seal(&self, content: &[u8]) -> Result<Vec<u8>> {
        if self.recipients.is_empty() {
            return Err(Error::Malformed {
                what: "envelope",
                at: None,
                reason: "no recipients".into(),
            });
        }
        let cek = random::key(self.cipher.key_len())?;
        let encrypted = content::encrypt(self.cipher, &cek, content)?;
        let mut infos = Vec::with_capacity(self.recipients.len());
        for certificate in &self.recipients {
            infos.push(self.recipient_info(certificate, &cek)?);
        }
        let recip_infos =
            RecipientInfos(SetOfVec::try_from(infos).map_err(der_err("recipient infos"))?);
        let eci = EncryptedContentInfo {
            content_type: oid::CMS_DATA,
            content_enc_alg: encrypted.algorithm,
            encrypted_content: Some(
                OctetString::new(encrypted.ciphertext).map_err(der_err("encrypted content"))?,
            ),
        };
        let (content_type, inner) = if self.cipher.auth_enveloped() {
            let tag = encrypted.tag.unwrap_or_default();
            let aed = AuthEnvelopedData {
                version: CmsVersion::V0,
                originator_info: None,
                recip_infos,
                auth_encrypted_content_info: eci,
                auth_attrs: None,
                mac: OctetString::new(tag).map_err(der_err("MAC"))?,
                unauth_attrs: None,
            };
            (
                oid::CMS_AUTH_ENVELOPED_DATA,
                aed.to_der().map_err(der_err("AuthEnvelopedData"))?,
            )
        } else {
            let ed = EnvelopedData {
                version: CmsVersion::V0,
                originator_info: None,
                recip_infos,
                encrypted_content: eci,
                unprotected_attrs: None,
            };
            (
                oid::CMS_ENVELOPED_DATA,
                ed.to_der().map_err(der_err("EnvelopedData"))?,
            )
        };
        ContentInfo {
            content_type,
            content: Any::from_der(&inner).map_err(der_err("envelope"))?,
        }
        .to_der()
        .map_err(der_err("ContentInfo"))
    }

    fn recipient_info(&self, certificate: &Certificate, cek: &[u8]) -> Result<RecipientInfo> {
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let rid = RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        });
        if spki.algorithm.oid == oid::RSA_ENCRYPTION {
            let spki_der = spki.to_der().map_err(der_err("recipient public key"))?;
            let (key_enc_alg, encrypted) =
                rsa_transport::encrypt_key(&spki_der, cek, self.rsa_padding)?;
            Ok(RecipientInfo::Ktri(KeyTransRecipientInfo {
                version: CmsVersion::V0,
                rid,
                key_enc_alg,
                enc_key: OctetString::new(encrypted).map_err(der_err("encrypted key"))?,
            }))
        } else {
            Err(Error::Unsupported {
                what: format!("encrypting to a {} key (not yet built)", spki.algorithm.oid),
            })
        }
    }
}
