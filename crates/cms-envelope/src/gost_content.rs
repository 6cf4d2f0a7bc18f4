//! The GOST content ciphers as chunk ciphers: Kuznyechik and Magma in CTR-ACPKM (with OMAC)
//! of R 1323565.1.025-2019, and GOST 28147-89 CFB with CryptoPro key meshing (RFC 4490). The
//! arithmetic is the `gost-cipher` crate's; here are the CMS parameters and the adapters.

use der::asn1::{ObjectIdentifier, OctetString};
use gost_cipher::gost89::{Gost89CfbDecryptor, Gost89CfbEncryptor, Gost89Sbox};
use gost_cipher::{ContentDecryptor, ContentEncryptor, SecretKey};
use spki::AlgorithmIdentifierOwned;
use token_core::{Error, Result, oid};

use crate::asn1::{Gost2015Parameters, Gost28147Parameters};
use crate::content::{ContentCipher, with_params};
use crate::stream::ChunkCipher;

/// A `gost-cipher` failure in this crate's terms: a failed integrity check is
/// [`Error::VerificationFailed`], anything else malformed input.
pub(crate) fn gost_err(what: &'static str) -> impl Fn(gost_cipher::Error) -> Error {
    move |e| match e {
        gost_cipher::Error::Integrity { .. } => Error::VerificationFailed {
            what: format!("{what}: integrity check failed"),
        },
        other => Error::Malformed {
            what,
            at: None,
            reason: other.to_string(),
        },
    }
}

fn mode(cipher: ContentCipher) -> Option<gost_cipher::ContentCipher> {
    Some(match cipher {
        ContentCipher::KuznyechikCtrAcpkm => gost_cipher::ContentCipher::KuznyechikCtrAcpkm,
        ContentCipher::KuznyechikCtrAcpkmOmac => gost_cipher::ContentCipher::KuznyechikCtrAcpkmOmac,
        ContentCipher::MagmaCtrAcpkm => gost_cipher::ContentCipher::MagmaCtrAcpkm,
        ContentCipher::MagmaCtrAcpkmOmac => gost_cipher::ContentCipher::MagmaCtrAcpkmOmac,
        _ => return None,
    })
}

/// The block cipher of a TC26 content cipher (which KExp15 wraps its key), if it is one.
pub(crate) fn block_cipher(cipher: ContentCipher) -> Option<gost_cipher::BlockCipher> {
    mode(cipher).map(|m| m.block_cipher())
}

/// The S-box a parameter-set OID names.
pub(crate) fn sbox(o: &ObjectIdentifier) -> Result<Gost89Sbox> {
    Gost89Sbox::from_oid(&o.to_string()).ok_or_else(|| Error::Unsupported {
        what: format!("GOST 28147-89 parameter set {o}"),
    })
}

fn cek(key: &[u8]) -> Result<SecretKey> {
    SecretKey::from_slice(key).map_err(|_| Error::VerificationFailed {
        what: "the content key does not fit the content cipher".into(),
    })
}

/// A decryptor for GOST content, or `None` when `cipher` is not a GOST cipher.
pub(crate) fn decryptor(
    cipher: ContentCipher,
    algorithm: &AlgorithmIdentifierOwned,
    key: &[u8],
) -> Result<Option<Box<dyn ChunkCipher>>> {
    let params = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| Error::Malformed {
            what: "GOST content parameters",
            at: None,
            reason: "missing".into(),
        })?;
    if let Some(m) = mode(cipher) {
        let p: Gost2015Parameters = params
            .decode_as()
            .map_err(|e| Error::malformed_der("GOST content parameters", e))?;
        let dec = ContentDecryptor::new(m, &cek(key)?, p.ukm.as_bytes())
            .map_err(gost_err("GOST content parameters"))?;
        return Ok(Some(Box::new(Tc26Decrypt(Some(dec)))));
    }
    if cipher == ContentCipher::Gost89Cfb {
        let p: Gost28147Parameters = params
            .decode_as()
            .map_err(|e| Error::malformed_der("GOST 28147-89 parameters", e))?;
        let dec =
            Gost89CfbDecryptor::new(sbox(&p.encryption_param_set)?, &cek(key)?, p.iv.as_bytes())
                .map_err(gost_err("GOST 28147-89 parameters"))?;
        return Ok(Some(Box::new(CfbDecrypt(dec))));
    }
    Ok(None)
}

/// An encryptor for GOST content with fresh parameters, or `None` when `cipher` is not a GOST
/// cipher. GOST 28147-89 uses the TC26 S-box (param-Z), as OpenSSL does for 2012 keys.
pub(crate) fn encryptor(
    cipher: ContentCipher,
    key: &[u8],
) -> Result<Option<(AlgorithmIdentifierOwned, Box<dyn ChunkCipher>)>> {
    if let Some(m) = mode(cipher) {
        let mut ukm = vec![0u8; m.ukm_len()];
        getrandom::fill(&mut ukm)
            .map_err(|e| crate::internal(&format!("random generator: {e}")))?;
        let enc = ContentEncryptor::new(m, &cek(key)?, &ukm).map_err(gost_err("GOST content"))?;
        let oid: ObjectIdentifier = m
            .oid()
            .parse()
            .map_err(|_| crate::internal("content OID"))?;
        let params = Gost2015Parameters {
            ukm: OctetString::new(ukm).map_err(|e| Error::malformed_der("UKM", e))?,
        };
        return Ok(Some((
            with_params(oid, &params)?,
            Box::new(Tc26Encrypt(Some(enc))),
        )));
    }
    if cipher == ContentCipher::Gost89Cfb {
        let iv: [u8; 8] = crate::random::bytes()?;
        let enc = Gost89CfbEncryptor::new(Gost89Sbox::Tc26Z, &cek(key)?, &iv)
            .map_err(gost_err("GOST 28147-89"))?;
        let params = Gost28147Parameters {
            iv: OctetString::new(iv).map_err(|e| Error::malformed_der("IV", e))?,
            encryption_param_set: oid::TC26_GOST_28147_PARAM_Z,
        };
        return Ok(Some((
            with_params(oid::GOST_28147_89, &params)?,
            Box::new(CfbEncrypt(enc)),
        )));
    }
    Ok(None)
}

struct Tc26Decrypt(Option<ContentDecryptor>);

impl ChunkCipher for Tc26Decrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(input);
        if let (Some(dec), Some(fresh)) = (self.0.as_mut(), out.get_mut(start..)) {
            dec.decrypt_unauthenticated(fresh);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, tag: Option<&[u8]>, _: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        let dec = self
            .0
            .take()
            .ok_or_else(|| crate::internal("content cipher finished twice"))?;
        dec.finish(tag)
            .map_err(gost_err("the OMAC of the encrypted content"))?;
        Ok(None)
    }
}

struct Tc26Encrypt(Option<ContentEncryptor>);

impl ChunkCipher for Tc26Encrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(input);
        if let (Some(enc), Some(fresh)) = (self.0.as_mut(), out.get_mut(start..)) {
            enc.encrypt(fresh);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, _: Option<&[u8]>, _: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        let enc = self
            .0
            .take()
            .ok_or_else(|| crate::internal("content cipher finished twice"))?;
        Ok(enc.finish())
    }
}

struct CfbDecrypt(Gost89CfbDecryptor);

impl ChunkCipher for CfbDecrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(input);
        if let Some(fresh) = out.get_mut(start..) {
            self.0.decrypt(fresh);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _: Option<&[u8]>, _: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

struct CfbEncrypt(Gost89CfbEncryptor);

impl ChunkCipher for CfbEncrypt {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(input);
        if let Some(fresh) = out.get_mut(start..) {
            self.0.encrypt(fresh);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _: Option<&[u8]>, _: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
}
