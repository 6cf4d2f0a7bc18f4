//! Encrypting a document to one or more recipients' certificates.

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo, RecipientInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Decode, Encode};
use token_core::{Error, Result, RsaKeyTransport, oid};
use x509_cert::Certificate;

use crate::content::{self, ContentCipher};
use crate::random;
use crate::rsa_transport;
use crate::stream::ChunkCipher;

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
        let prepared = self.prepare()?;
        let mut cipher = prepared.cipher;
        let mut ciphertext = Vec::with_capacity(content.len() + 16);
        cipher.update(content, &mut ciphertext)?;
        let tag = cipher.finish(None, &mut ciphertext)?;

        let mut eci = Vec::new();
        push_tlv(&mut eci, 0x06, oid::CMS_DATA.as_bytes());
        eci.extend_from_slice(&prepared.algorithm);
        push_tlv(&mut eci, 0x80, &ciphertext);
        let auth = self.cipher.auth_enveloped();
        let mut body = vec![0x02, 0x01, if auth { 0 } else { prepared.version }];
        body.extend_from_slice(&prepared.recipient_infos);
        push_tlv(&mut body, 0x30, &eci);
        if let Some(tag) = tag {
            body.extend_from_slice(&Prepared::tag_encoding(self.cipher, &tag)?);
        }
        let mut inner = Vec::new();
        push_tlv(&mut inner, 0x30, &body);
        let mut ci = Vec::new();
        let content_type = if auth {
            oid::CMS_AUTH_ENVELOPED_DATA
        } else {
            oid::CMS_ENVELOPED_DATA
        };
        push_tlv(&mut ci, 0x06, content_type.as_bytes());
        push_tlv(&mut ci, 0xa0, &inner);
        let mut out = Vec::new();
        push_tlv(&mut out, 0x30, &ci);
        Ok(out)
    }

    /// The content cipher.
    pub(crate) fn cipher(&self) -> ContentCipher {
        self.cipher
    }

    /// A fresh content key, the recipient infos protecting it, and a chunk encryptor: what a
    /// streamed envelope writes around its content.
    pub(crate) fn prepare(&self) -> Result<Prepared> {
        if self.recipients.is_empty() {
            return Err(Error::Malformed {
                what: "envelope",
                at: None,
                reason: "no recipients".into(),
            });
        }
        let cek = random::key(self.cipher.key_len())?;
        let (algorithm, cipher) = content::encryptor(self.cipher, &cek)?;
        let mut infos = Vec::with_capacity(self.recipients.len());
        for certificate in &self.recipients {
            infos.push(self.recipient_info(certificate, &cek)?);
        }
        let version = if infos
            .iter()
            .all(|i| matches!(i, RecipientInfo::Ktri(k) if k.version == CmsVersion::V0))
            && !self.cipher.has_mac_attribute()
        {
            0
        } else {
            2
        };
        Ok(Prepared {
            version,
            recipient_infos: RecipientInfos(
                SetOfVec::try_from(infos).map_err(der_err("recipient infos"))?,
            )
            .to_der()
            .map_err(der_err("recipient infos"))?,
            algorithm: algorithm.to_der().map_err(der_err("content algorithm"))?,
            cipher,
        })
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
        } else if spki.algorithm.oid == oid::TC26_GOST_3410_12_256
            || spki.algorithm.oid == oid::TC26_GOST_3410_12_512
        {
            let (key_enc_alg, encrypted) = if self.cipher == ContentCipher::Gost89Cfb {
                crate::gost_recipient::seal_cryptopro(spki, cek)?
            } else {
                let spki_der = spki.to_der().map_err(der_err("recipient public key"))?;
                let block = crate::gost_content::block_cipher(self.cipher)
                    .unwrap_or(gost_cipher::BlockCipher::Kuznyechik);
                crate::gost_recipient::seal_kexp15(&spki_der, block, cek)?
            };
            Ok(RecipientInfo::Ktri(KeyTransRecipientInfo {
                version: CmsVersion::V0,
                rid,
                key_enc_alg,
                enc_key: OctetString::new(encrypted).map_err(der_err("encrypted key"))?,
            }))
        } else {
            Err(Error::Unsupported {
                what: format!("encrypting to a {} key", spki.algorithm.oid),
            })
        }
    }
}

/// What [`EnvelopeBuilder::prepare`] makes.
pub(crate) struct Prepared {
    /// The EnvelopedData version (RFC 5652 §6.1).
    pub(crate) version: u8,
    /// DER of the `RecipientInfos` SET.
    pub(crate) recipient_infos: Vec<u8>,
    /// DER of the content-encryption `AlgorithmIdentifier`.
    pub(crate) algorithm: Vec<u8>,
    /// The content encryptor under the fresh key.
    pub(crate) cipher: Box<dyn ChunkCipher>,
}

impl Prepared {
    /// How the tag follows the content: AuthEnvelopedData's `mac` OCTET STRING, or for the
    /// TC26 `*-omac` ciphers the `id-cms-mac-attr` unprotected attribute
    /// (`[1] IMPLICIT SET OF Attribute`).
    pub(crate) fn tag_encoding(cipher: ContentCipher, tag: &[u8]) -> Result<Vec<u8>> {
        let mac = OctetString::new(tag)
            .and_then(|o| o.to_der())
            .map_err(der_err("MAC"))?;
        if !cipher.has_mac_attribute() {
            return Ok(mac);
        }
        let mut values = Vec::new();
        push_tlv(&mut values, 0x31, &mac);
        let mut attr = Vec::new();
        push_tlv(&mut attr, 0x06, oid::TC26_CMS_MAC_ATTR.as_bytes());
        attr.extend_from_slice(&values);
        let mut seq = Vec::new();
        push_tlv(&mut seq, 0x30, &attr);
        let mut out = Vec::new();
        push_tlv(&mut out, 0xa1, &seq);
        Ok(out)
    }
}

/// Appends a DER TLV.
fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    token_core::ber::push_len(out, value.len());
    out.extend_from_slice(value);
}
