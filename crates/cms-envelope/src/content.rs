//! The content ciphers: which ones exist, how their algorithm identifiers look, and the
//! dispatch from an identifier to the code that decrypts.

use der::asn1::OctetString;
use der::{Any, Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use token_core::{Error, Result, oid};
use zeroize::Zeroizing;

use crate::asn1::GcmParameters;
use crate::stream::ChunkCipher;
use crate::stream::cipher::{AesBits, CbcDecrypt, CbcEncrypt, Gcm};

/// The one nonce and tag size keycarrier writes and reads for AES-GCM: 12 and 16 bytes
/// (RFC 5084's recommendation, what OpenSSL writes).
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// See [`GCM_NONCE_LEN`].
pub(crate) const GCM_TAG_LEN: usize = 16;

/// A content cipher: what encrypts the document itself, under a fresh random key that each
/// recipient's key protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentCipher {
    /// AES-128 in CBC mode (RFC 3565), in EnvelopedData.
    Aes128Cbc,
    /// AES-192 in CBC mode (RFC 3565), in EnvelopedData.
    Aes192Cbc,
    /// AES-256 in CBC mode (RFC 3565), in EnvelopedData: what `openssl cms -encrypt` writes
    /// by default.
    Aes256Cbc,
    /// AES-256 in GCM mode (RFC 5084), in AuthEnvelopedData: the content is authenticated.
    Aes256Gcm,
    /// Kuznyechik in CTR-ACPKM mode (R 1323565.1.025-2019, RFC 8645).
    KuznyechikCtrAcpkm,
    /// Kuznyechik in CTR-ACPKM with an OMAC over the content: authenticated.
    KuznyechikCtrAcpkmOmac,
    /// Magma in CTR-ACPKM mode.
    MagmaCtrAcpkm,
    /// Magma in CTR-ACPKM with an OMAC over the content: authenticated.
    MagmaCtrAcpkmOmac,
    /// GOST 28147-89 in CFB mode with CryptoPro key meshing (RFC 4357/4490), the older profile
    /// `openssl cms -encrypt -gost89` writes.
    Gost89Cfb,
}

impl ContentCipher {
    /// Whether the cipher authenticates the content (a tampered envelope fails to open
    /// instead of yielding altered plaintext).
    pub const fn is_authenticated(self) -> bool {
        matches!(
            self,
            Self::Aes256Gcm | Self::KuznyechikCtrAcpkmOmac | Self::MagmaCtrAcpkmOmac
        )
    }

    /// The length of the content-encryption key in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc => 16,
            Self::Aes192Cbc => 24,
            _ => 32,
        }
    }

    /// Whether the tag travels as the `id-cms-mac-attr` unprotected attribute (the TC26
    /// `*-omac` ciphers), which makes the EnvelopedData version 2.
    pub(crate) const fn has_mac_attribute(self) -> bool {
        matches!(self, Self::KuznyechikCtrAcpkmOmac | Self::MagmaCtrAcpkmOmac)
    }

    /// Whether the envelope is an AuthEnvelopedData (RFC 5083) rather than an EnvelopedData.
    pub(crate) const fn auth_enveloped(self) -> bool {
        matches!(self, Self::Aes256Gcm)
    }

    /// The cipher an algorithm identifier names.
    pub(crate) fn from_oid(o: &der::asn1::ObjectIdentifier) -> Result<Self> {
        Ok(match *o {
            x if x == oid::AES128_CBC => Self::Aes128Cbc,
            x if x == oid::AES192_CBC => Self::Aes192Cbc,
            x if x == oid::AES256_CBC => Self::Aes256Cbc,
            x if x == oid::AES256_GCM => Self::Aes256Gcm,
            x if x == oid::TC26_KUZNYECHIK_CTRACPKM => Self::KuznyechikCtrAcpkm,
            x if x == oid::TC26_KUZNYECHIK_CTRACPKM_OMAC => Self::KuznyechikCtrAcpkmOmac,
            x if x == oid::TC26_MAGMA_CTRACPKM => Self::MagmaCtrAcpkm,
            x if x == oid::TC26_MAGMA_CTRACPKM_OMAC => Self::MagmaCtrAcpkmOmac,
            x if x == oid::GOST_28147_89 => Self::Gost89Cfb,
            other => {
                return Err(Error::Unsupported {
                    what: format!("content encryption algorithm {other}"),
                });
            }
        })
    }
}

/// What decrypting needs besides the key: the ciphertext and whatever authenticates it.
pub(crate) struct Sealed<'a> {
    pub(crate) algorithm: &'a AlgorithmIdentifierOwned,
    pub(crate) ciphertext: &'a [u8],
    /// The GCM tag (AuthEnvelopedData `mac`) or the OMAC (`id-cms-mac-attr` attribute).
    pub(crate) tag: Option<&'a [u8]>,
    /// The DER of the authenticated attributes (AuthEnvelopedData), else empty.
    pub(crate) aad: &'a [u8],
}

/// The parameters of an algorithm identifier, which the content ciphers all require.
fn params<'a>(alg: &'a AlgorithmIdentifierOwned, what: &'static str) -> Result<&'a Any> {
    alg.parameters.as_ref().ok_or_else(|| Error::Malformed {
        what,
        at: None,
        reason: "parameters missing".into(),
    })
}

/// Decrypts the content with the recovered content-encryption key, in memory.
pub(crate) fn decrypt(sealed: &Sealed<'_>, key: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mut cipher = decryptor(sealed.algorithm, key, sealed.aad)?;
    let mut out = Zeroizing::new(Vec::with_capacity(sealed.ciphertext.len()));
    cipher.update(sealed.ciphertext, &mut out)?;
    let mut rest = Zeroizing::new(Vec::new());
    cipher.finish(sealed.tag, &mut rest)?;
    out.extend_from_slice(&rest);
    Ok(out)
}

/// An algorithm identifier with DER-encoded parameters.
pub(crate) fn with_params(
    oid: der::asn1::ObjectIdentifier,
    params: &impl Encode,
) -> Result<AlgorithmIdentifierOwned> {
    let der = params
        .to_der()
        .map_err(|e| Error::malformed_der("content algorithm parameters", e))?;
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::from_der(&der).map_err(|e| Error::malformed_der("parameters", e))?),
    })
}

fn aes_bits(cipher: ContentCipher) -> AesBits {
    match cipher {
        ContentCipher::Aes128Cbc => AesBits::B128,
        ContentCipher::Aes192Cbc => AesBits::B192,
        _ => AesBits::B256,
    }
}

/// A chunk-by-chunk decryptor for the content algorithm `algorithm` under `key`.
pub(crate) fn decryptor(
    algorithm: &AlgorithmIdentifierOwned,
    key: &[u8],
    aad: &[u8],
) -> Result<Box<dyn ChunkCipher>> {
    let cipher = ContentCipher::from_oid(&algorithm.oid)?;
    match cipher {
        ContentCipher::Aes128Cbc | ContentCipher::Aes192Cbc | ContentCipher::Aes256Cbc => {
            let iv: OctetString = params(algorithm, "AES-CBC IV")?
                .decode_as()
                .map_err(|e| Error::malformed_der("AES-CBC IV", e))?;
            Ok(Box::new(CbcDecrypt::new(
                aes_bits(cipher),
                key,
                iv.as_bytes(),
            )?))
        }
        ContentCipher::Aes256Gcm => {
            let p: GcmParameters = params(algorithm, "AES-GCM parameters")?
                .decode_as()
                .map_err(|e| Error::malformed_der("AES-GCM parameters", e))?;
            if usize::from(p.icv_len) != GCM_TAG_LEN {
                return Err(Error::Unsupported {
                    what: "AES-GCM with a tag other than 16 bytes".into(),
                });
            }
            if p.nonce.as_bytes().len() != GCM_NONCE_LEN {
                return Err(Error::Unsupported {
                    what: "AES-GCM with a nonce other than 12 bytes".into(),
                });
            }
            Ok(Box::new(Gcm::new(
                AesBits::B256,
                key,
                p.nonce.as_bytes(),
                aad,
                true,
            )?))
        }
        other => crate::gost_content::decryptor(other, algorithm, key)?.ok_or_else(|| {
            Error::Unsupported {
                what: format!("{other:?} content"),
            }
        }),
    }
}

/// A chunk-by-chunk encryptor for `cipher` under `key` with fresh parameters, and the
/// algorithm identifier that names them.
pub(crate) fn encryptor(
    cipher: ContentCipher,
    key: &[u8],
) -> Result<(AlgorithmIdentifierOwned, Box<dyn ChunkCipher>)> {
    match cipher {
        ContentCipher::Aes128Cbc | ContentCipher::Aes192Cbc | ContentCipher::Aes256Cbc => {
            let iv: [u8; 16] = crate::random::bytes()?;
            let bits = aes_bits(cipher);
            let oid = match bits {
                AesBits::B128 => oid::AES128_CBC,
                AesBits::B192 => oid::AES192_CBC,
                AesBits::B256 => oid::AES256_CBC,
            };
            let iv_os = OctetString::new(iv).map_err(|e| Error::malformed_der("IV", e))?;
            Ok((
                with_params(oid, &iv_os)?,
                Box::new(CbcEncrypt::new(bits, key, &iv)?),
            ))
        }
        ContentCipher::Aes256Gcm => {
            let nonce: [u8; GCM_NONCE_LEN] = crate::random::bytes()?;
            let p = GcmParameters {
                nonce: OctetString::new(nonce).map_err(|e| Error::malformed_der("nonce", e))?,
                icv_len: GCM_TAG_LEN as u8,
            };
            Ok((
                with_params(oid::AES256_GCM, &p)?,
                Box::new(Gcm::new(AesBits::B256, key, &nonce, &[], false)?),
            ))
        }
        other => crate::gost_content::encryptor(other, key)?.ok_or_else(|| Error::Unsupported {
            what: format!("{other:?} content"),
        }),
    }
}
