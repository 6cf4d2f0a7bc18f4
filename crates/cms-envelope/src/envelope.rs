//! A received envelope: parsed once, then opened with the recipient's key on its carrier.

use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use token_core::{Carrier, ContainerId, Error, KeyDecryption, Result, SecretBytes, ber, oid};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use zeroize::Zeroizing;

use crate::content::{self, ContentCipher, Sealed};
use crate::recipient::{KeyProtection, Recipient};

/// A CMS EnvelopedData (RFC 5652 §6) or AuthEnvelopedData (RFC 5083): an encrypted document
/// and, for each recipient, its content key protected with the recipient's public key.
///
/// Parsing checks the structure only; nothing is decrypted until [`Envelope::open`].
#[derive(Debug, Clone)]
pub struct Envelope {
    recipients: Vec<Recipient>,
    content_type: ObjectIdentifier,
    algorithm: AlgorithmIdentifierOwned,
    ciphertext: Vec<u8>,
    /// The GCM tag (AuthEnvelopedData) or the OMAC attribute (`*-ctracpkm-omac`).
    tag: Option<Vec<u8>>,
    /// The DER of the authenticated attributes, the AAD of AES-GCM.
    aad: Vec<u8>,
}

/// The recipient's side of opening: the carrier holding the private key, the container on
/// it, and the container's certificate (which names the recipient inside the envelope).
#[derive(Clone, Copy)]
pub struct RecipientKey<'a> {
    /// The carrier, logged in.
    pub carrier: &'a dyn Carrier,
    /// The container whose private key the envelope was encrypted to.
    pub container: &'a ContainerId,
    /// The container's certificate, DER.
    pub certificate: &'a [u8],
}

impl core::fmt::Debug for RecipientKey<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecipientKey")
            .field("container", self.container)
            .finish_non_exhaustive()
    }
}

fn malformed(reason: &str) -> Error {
    Error::Malformed {
        what: "envelope",
        at: None,
        reason: reason.into(),
    }
}

impl Envelope {
    /// Parses a DER or BER `ContentInfo` holding EnvelopedData or AuthEnvelopedData
    /// (`openssl cms -encrypt -outform DER`, CryptoPro's `.p7m`/`.enc`).
    pub fn from_der(bytes: &[u8]) -> Result<Self> {
        let ci: ContentInfo =
            ber::decode(bytes).map_err(|e| Error::malformed_der("CMS ContentInfo", e))?;
        let inner = ci
            .content
            .to_der()
            .map_err(|e| Error::malformed_der("CMS content", e))?;
        if ci.content_type == oid::CMS_ENVELOPED_DATA {
            let ed = EnvelopedData::from_der(&inner)
                .map_err(|e| Error::malformed_der("EnvelopedData", e))?;
            let eci = ed.encrypted_content;
            let tag = match &ed.unprotected_attrs {
                Some(attrs) => mac_attribute(attrs.iter())?,
                None => None,
            };
            Self::assemble(ed.recip_infos.0.as_slice(), eci, tag, Vec::new())
        } else if ci.content_type == oid::CMS_AUTH_ENVELOPED_DATA {
            let aed = AuthEnvelopedData::from_der(&inner)
                .map_err(|e| Error::malformed_der("AuthEnvelopedData", e))?;
            let aad = match &aed.auth_attrs {
                // RFC 5083 §2.1: the AAD is the DER of the attributes with the SET OF tag.
                Some(attrs) => attrs
                    .to_der()
                    .map_err(|e| Error::malformed_der("authenticated attributes", e))?,
                None => Vec::new(),
            };
            let tag = Some(aed.mac.as_bytes().to_vec());
            Self::assemble(
                aed.recip_infos.0.as_slice(),
                aed.auth_encrypted_content_info,
                tag,
                aad,
            )
        } else {
            Err(Error::Unsupported {
                what: format!("CMS content type {} (not an envelope)", ci.content_type),
            })
        }
    }

    fn assemble(
        infos: &[RecipientInfo],
        eci: cms::enveloped_data::EncryptedContentInfo,
        tag: Option<Vec<u8>>,
        aad: Vec<u8>,
    ) -> Result<Self> {
        let ciphertext = eci
            .encrypted_content
            .ok_or_else(|| malformed("detached encrypted content is not supported"))?
            .into_bytes()
            .into_vec();
        Ok(Self {
            recipients: Recipient::all(infos)?,
            content_type: eci.content_type,
            algorithm: eci.content_enc_alg,
            ciphertext,
            tag,
            aad,
        })
    }

    /// Parses PEM (`-----BEGIN CMS-----` as `openssl cms -outform PEM` writes, or `PKCS7`).
    pub fn from_pem(text: &str) -> Result<Self> {
        let (label, der) =
            pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(|e| Error::Malformed {
                what: "envelope PEM",
                at: None,
                reason: e.to_string(),
            })?;
        if label != "CMS" && label != "PKCS7" {
            return Err(malformed(&format!(
                "PEM label {label}, expected CMS or PKCS7"
            )));
        }
        Self::from_der(&der)
    }

    /// Everyone the envelope is for.
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// The content cipher; an unknown algorithm is [`Error::Unsupported`].
    pub fn content_cipher(&self) -> Result<ContentCipher> {
        ContentCipher::from_oid(&self.algorithm.oid)
    }

    /// The type of the encrypted content (`id-data` for documents).
    pub fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }

    /// The recipient entry for `certificate_der`, or [`Error::NotFound`] when the envelope was
    /// not encrypted to that certificate.
    pub fn recipient_for(&self, certificate_der: &[u8]) -> Result<&Recipient> {
        let certificate = Certificate::from_der(certificate_der)
            .map_err(|e| Error::malformed_der("recipient certificate", e))?;
        self.recipients
            .iter()
            .find(|r| r.is_for(&certificate))
            .ok_or_else(|| Error::NotFound {
                what: "a recipient for this certificate in the envelope".into(),
            })
    }

    /// Whether any recipient entry names `certificate`.
    pub(crate) fn names(&self, certificate: &Certificate) -> bool {
        self.recipients.iter().any(|r| r.is_for(certificate))
    }

    /// Opens the envelope with the recipient's key: the content key is recovered on the
    /// carrier, the content decrypted on the host. For authenticated ciphers nothing is
    /// returned unless the content verifies.
    pub fn open(&self, key: &RecipientKey<'_>) -> Result<Zeroizing<Vec<u8>>> {
        let recipient = self.recipient_for(key.certificate)?;
        self.open_as(recipient, key.carrier, key.container)
    }

    /// Opens an envelope whose sender used a static key (GOST key agreement with the
    /// originator named by its certificate, as in the TC26 example A.2.2.1): `sender_certificate`
    /// supplies that key. Other envelopes open as with [`Envelope::open`].
    pub fn open_from_sender(
        &self,
        key: &RecipientKey<'_>,
        sender_certificate: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let recipient = self.recipient_for(key.certificate)?;
        let cek = content_key_with(
            recipient,
            key.carrier,
            key.container,
            Some(sender_certificate),
        )?;
        self.decrypt_with(cek.expose())
    }

    /// Opens the envelope as `recipient` (one of [`Envelope::recipients`]) with the key in
    /// `container`: for when the recipient's certificate is not at hand, e.g. a key file
    /// without its certificate and an envelope with a single recipient. Prefer
    /// [`Envelope::open`], which picks the recipient by certificate.
    pub fn open_as(
        &self,
        recipient: &Recipient,
        carrier: &dyn Carrier,
        container: &ContainerId,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let cek = content_key(recipient, carrier, container)?;
        self.decrypt_with(cek.expose())
    }

    /// Decrypts the content with an already recovered content-encryption key.
    pub(crate) fn decrypt_with(&self, cek: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let sealed = Sealed {
            algorithm: &self.algorithm,
            ciphertext: &self.ciphertext,
            tag: self.tag.as_deref(),
            aad: &self.aad,
        };
        content::decrypt(&sealed, cek)
    }
}

/// Recovers the content-encryption key for `recipient` with the recipient's key on its carrier.
pub(crate) fn content_key(
    recipient: &Recipient,
    carrier: &dyn Carrier,
    container: &ContainerId,
) -> Result<SecretBytes> {
    content_key_with(recipient, carrier, container, None)
}

/// [`content_key`] with the certificate of a sender that used a static key, if known.
fn content_key_with(
    recipient: &Recipient,
    carrier: &dyn Carrier,
    container: &ContainerId,
    sender_certificate: Option<&[u8]>,
) -> Result<SecretBytes> {
    match (&recipient.protection, &recipient.info) {
        (KeyProtection::Rsa(padding), RecipientInfo::Ktri(ktri)) => {
            carrier.decrypt_key(&KeyDecryption {
                container,
                encrypted_key: ktri.enc_key.as_bytes(),
                padding: *padding,
            })
        }
        (KeyProtection::GostKexp15 { .. }, RecipientInfo::Ktri(ktri)) => {
            crate::gost_recipient::open_kexp15(ktri, carrier, container)
        }
        (KeyProtection::GostCryptoPro, RecipientInfo::Ktri(ktri)) => {
            crate::gost_recipient::open_cryptopro(ktri, carrier, container)
        }
        (KeyProtection::GostAgreement, RecipientInfo::Kari(kari)) => {
            crate::gost_recipient::open_agreement(
                kari,
                recipient.agree_index,
                carrier,
                container,
                sender_certificate,
            )
        }
        (other, _) => Err(Error::Unsupported {
            what: format!("opening a recipient protected with {other:?}"),
        }),
    }
}

/// The value of the `id-cms-mac-attr` unprotected attribute, if present (exactly one value).
pub(crate) fn mac_attribute<'a>(
    attrs: impl Iterator<Item = &'a Attribute>,
) -> Result<Option<Vec<u8>>> {
    let mut found = None;
    for attr in attrs.filter(|a| a.oid == oid::TC26_CMS_MAC_ATTR) {
        if found.is_some() || attr.values.len() != 1 {
            return Err(malformed("more than one OMAC attribute value"));
        }
        let value = attr
            .values
            .iter()
            .next()
            .ok_or_else(|| malformed("empty OMAC attribute"))?
            .decode_as::<OctetString>()
            .map_err(|e| Error::malformed_der("OMAC attribute", e))?;
        found = Some(value.as_bytes().to_vec());
    }
    Ok(found)
}
