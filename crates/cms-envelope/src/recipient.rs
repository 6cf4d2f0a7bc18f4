//! Who an envelope is for: each recipient info reduced to how its key is identified and how
//! the content-encryption key was protected for it.

use cms::cert::IssuerAndSerialNumber;
use cms::enveloped_data::{
    KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo, KeyTransRecipientInfo, RecipientIdentifier,
    RecipientInfo,
};
use der::{Decode, Encode};
use token_core::oid;
use token_core::{Error, OaepHash, Result, RsaKeyTransport};
use x509_cert::Certificate;

use crate::asn1::RsaesOaepParams;

/// How a recipient's certificate is named in the envelope (RFC 5652 §6.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientId {
    /// The certificate's issuer name and serial number, as DER.
    IssuerAndSerial {
        /// The issuer `Name`, DER.
        issuer: Vec<u8>,
        /// The serial number's content octets.
        serial: Vec<u8>,
    },
    /// The certificate's subject key identifier.
    SubjectKeyId(Vec<u8>),
}

impl RecipientId {
    fn from_issuer_serial(ias: &IssuerAndSerialNumber) -> Result<Self> {
        Ok(Self::IssuerAndSerial {
            issuer: ias
                .issuer
                .to_der()
                .map_err(|e| Error::malformed_der("recipient issuer", e))?,
            serial: ias.serial_number.as_bytes().to_vec(),
        })
    }

    fn from_rid(rid: &RecipientIdentifier) -> Result<Self> {
        match rid {
            RecipientIdentifier::IssuerAndSerialNumber(ias) => Self::from_issuer_serial(ias),
            RecipientIdentifier::SubjectKeyIdentifier(ski) => {
                Ok(Self::SubjectKeyId(ski.0.as_bytes().to_vec()))
            }
        }
    }

    /// Whether this identifier names `certificate`.
    pub fn names(&self, certificate: &Certificate) -> bool {
        let tbs = certificate.tbs_certificate();
        match self {
            Self::IssuerAndSerial { issuer, serial } => {
                tbs.issuer().to_der().is_ok_and(|i| &i == issuer)
                    && tbs.serial_number().as_bytes() == serial.as_slice()
            }
            Self::SubjectKeyId(id) => subject_key_id(certificate).is_some_and(|k| &k == id),
        }
    }
}

/// The subjectKeyIdentifier extension's key id, if the certificate has one.
pub(crate) fn subject_key_id(certificate: &Certificate) -> Option<Vec<u8>> {
    let extensions = certificate.tbs_certificate().extensions()?;
    let ext = extensions
        .iter()
        .find(|e| e.extn_id == oid::CE_SUBJECT_KEY_IDENTIFIER)?;
    let id = der::asn1::OctetString::from_der(ext.extn_value.as_bytes()).ok()?;
    Some(id.as_bytes().to_vec())
}

/// How the content-encryption key was protected for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProtection {
    /// RSA key transport (`rsaEncryption` or `id-RSAES-OAEP`).
    Rsa(RsaKeyTransport),
    /// GOST key transport with KEG and KExp15 (R 1323565.1.025-2019), `kuznyechik` or `magma`
    /// named by the key-encryption algorithm.
    GostKexp15 {
        /// Kuznyechik (true) or Magma (false) wraps the key.
        kuznyechik: bool,
    },
    /// The CryptoPro key transport (RFC 4490 `GostR3410-KeyTransport`): VKO, then the
    /// CryptoPro key wrap with GOST 28147-89; what `openssl cms -encrypt -gost89` writes.
    GostCryptoPro,
    /// GOST key agreement (`KeyAgreeRecipientInfo`, R 1323565.1.025-2019): KEG with the
    /// originator's key, then KImp15.
    GostAgreement,
    /// A recipient kind keycarrier does not open (KEK, password, other); kept so the caller
    /// can see it is there.
    Other,
}

/// One recipient of an envelope: who, and how its key is protected. The raw recipient info is
/// kept for opening.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// Whose certificate this recipient info is for.
    pub id: Option<RecipientId>,
    /// How the content key was protected for it.
    pub protection: KeyProtection,
    pub(crate) info: RecipientInfo,
    /// For key agreement: the index of the recipient key inside the `KeyAgreeRecipientInfo`
    pub(crate) agree_index: usize,
}

impl Recipient {
    /// Whether this entry is for `certificate`.
    pub(crate) fn is_for(&self, certificate: &Certificate) -> bool {
        self.id.as_ref().is_some_and(|id| id.names(certificate))
    }

    /// Every recipient in a `RecipientInfos` set; a key-agreement info naming several recipients
    /// gives one entry each.
    pub(crate) fn all(infos: &[RecipientInfo]) -> Result<Vec<Self>> {
        let mut out = Vec::new();
        for info in infos {
            match info {
                RecipientInfo::Ktri(ktri) => out.push(Self {
                    id: Some(RecipientId::from_rid(&ktri.rid)?),
                    protection: key_trans_protection(ktri)?,
                    info: info.clone(),
                    agree_index: 0,
                }),
                RecipientInfo::Kari(kari) => {
                    for (i, rek) in kari.recipient_enc_keys.iter().enumerate() {
                        let id = match &rek.rid {
                            KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => {
                                RecipientId::from_issuer_serial(ias)?
                            }
                            KeyAgreeRecipientIdentifier::RKeyId(rkid) => RecipientId::SubjectKeyId(
                                rkid.subject_key_identifier.0.as_bytes().to_vec(),
                            ),
                        };
                        out.push(Self {
                            id: Some(id),
                            protection: key_agree_protection(kari),
                            info: info.clone(),
                            agree_index: i,
                        });
                    }
                }
                _ => out.push(Self {
                    id: None,
                    protection: KeyProtection::Other,
                    info: info.clone(),
                    agree_index: 0,
                }),
            }
        }
        Ok(out)
    }
}

fn key_trans_protection(ktri: &KeyTransRecipientInfo) -> Result<KeyProtection> {
    let alg = &ktri.key_enc_alg;
    Ok(match alg.oid {
        o if o == oid::RSA_ENCRYPTION => KeyProtection::Rsa(RsaKeyTransport::Pkcs1v15),
        o if o == oid::RSAES_OAEP => KeyProtection::Rsa(RsaKeyTransport::Oaep(oaep_hash(alg)?)),
        o if o == oid::TC26_KUZNYECHIK_KEXP15 => KeyProtection::GostKexp15 { kuznyechik: true },
        o if o == oid::TC26_MAGMA_KEXP15 => KeyProtection::GostKexp15 { kuznyechik: false },
        o if o == oid::TC26_GOST_3410_12_256
            || o == oid::TC26_GOST_3410_12_512
            || o == oid::GOST_R3410_2001 =>
        {
            KeyProtection::GostCryptoPro
        }
        _ => KeyProtection::Other,
    })
}

fn key_agree_protection(kari: &KeyAgreeRecipientInfo) -> KeyProtection {
    // R 1323565.1.025-2019 names the key wrap here (KExp15) with the agreement as its
    // parameter.
    let o = kari.key_enc_alg.oid;
    if o == oid::TC26_KUZNYECHIK_KEXP15 || o == oid::TC26_MAGMA_KEXP15 {
        KeyProtection::GostAgreement
    } else {
        KeyProtection::Other
    }
}

/// The OAEP hash of an `id-RSAES-OAEP` identifier; MGF1 must use the same hash and the label
/// must be empty (what every CMS producer writes), anything else is refused as unsupported.
fn oaep_hash(alg: &spki::AlgorithmIdentifierOwned) -> Result<OaepHash> {
    let params = match &alg.parameters {
        None => RsaesOaepParams::default(),
        Some(any) => any
            .decode_as::<RsaesOaepParams>()
            .map_err(|e| Error::malformed_der("RSAES-OAEP parameters", e))?,
    };
    let hash = match &params.hash {
        None => OaepHash::Sha1,
        Some(h) => hash_of(&h.oid)?,
    };
    let mgf_hash = match &params.mask_gen {
        None => OaepHash::Sha1,
        Some(mgf) if mgf.oid == oid::MGF1 => {
            let inner = mgf
                .parameters
                .as_ref()
                .ok_or_else(|| unsupported("MGF1 without a hash"))?
                .decode_as::<spki::AlgorithmIdentifierOwned>()
                .map_err(|e| Error::malformed_der("MGF1 parameters", e))?;
            hash_of(&inner.oid)?
        }
        Some(_) => return Err(unsupported("an OAEP mask generation other than MGF1")),
    };
    if mgf_hash != hash {
        return Err(unsupported(
            "OAEP with different hashes for the label and MGF1",
        ));
    }
    if let Some(source) = &params.p_source {
        let empty = source.oid == oid::P_SPECIFIED
            && source
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::OctetString>().ok())
                .is_none_or(|label| label.as_bytes().is_empty());
        if !empty {
            return Err(unsupported("OAEP with a non-empty label"));
        }
    }
    Ok(hash)
}

fn hash_of(o: &der::asn1::ObjectIdentifier) -> Result<OaepHash> {
    match *o {
        x if x == oid::SHA1 => Ok(OaepHash::Sha1),
        x if x == oid::SHA256 => Ok(OaepHash::Sha256),
        x if x == oid::SHA384 => Ok(OaepHash::Sha384),
        x if x == oid::SHA512 => Ok(OaepHash::Sha512),
        other => Err(unsupported(&format!("OAEP hash {other}"))),
    }
}

pub(crate) fn unsupported(what: &str) -> Error {
    Error::Unsupported { what: what.into() }
}
