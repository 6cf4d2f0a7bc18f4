//! PKCS#12 (PFX) import (flow U03): a key and its certificates from a password-protected
//! `.pfx` / `.p12` file into a new container of any [`Carrier`].
//!
//! Read here:
//! * GOST, TC26 profile (R 50.1.112-2016, RFC 9548) and what `openssl pkcs12 -export -engine
//!   gost -keypbe gost89 -certpbe gost89` writes: PBES2 with PBKDF2-HMAC-Streebog-512 (or -256)
//!   and GOST 28147-89 in CFB mode with the `id-tc26-gost-28147-param-Z` S-box and CryptoPro key
//!   meshing; the MAC by the TC26 rule (key = the last 32 bytes of PBKDF2-HMAC-H(password,
//!   macSalt, iterations, 96), HMAC-H over the `authSafe` content) for H = Streebog-256/512;
//! * RSA (or anything else) as OpenSSL 3 writes it by default: PBES2 / PBKDF2-HMAC-SHA256 /
//!   AES-256-CBC (AES-128/192 too), MAC HMAC-SHA256 with the PKCS#12 key derivation;
//! * legacy `pbeWithSHAAnd3-KeyTripleDES-CBC` bags and HMAC-SHA1 MACs (`openssl pkcs12
//!   -legacy` writes its certificates with RC2-40, which is refused as unsupported).
//!
//! The MAC is checked before anything is decrypted: a wrong password is
//! [`Error::WrongPasswordOrContainer`], a broken or truncated file [`Error::Malformed`]. The
//! password, derived keys and decrypted key bytes are wiped after use. Iteration counts above
//! [`MAX_ITERATIONS`] are refused so that a hostile file cannot keep the CPU busy for hours.
//!
//! DER is read directly (what OpenSSL and the TC26 example write); BER with indefinite lengths
//! and chunked strings (Windows, CryptoPro) goes through [`crate::ber::to_der`] first. The MAC is
//! computed over the authSafe content octets as received, which that conversion preserves.

use der::asn1::{Any, BmpString, ObjectIdentifier, OctetString, UintRef};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use token_core::{
    Carrier, CertificateInfo, ContainerInfo, Error, KeyImport, Password, PublicKey, Result,
    SecretBytes, oid,
};
use zeroize::Zeroizing;

/// The largest PBKDF2 / PKCS#12 KDF iteration count accepted (OpenSSL writes 2048, the TC26
/// example 2000).
pub const MAX_ITERATIONS: u32 = 1_000_000;

mod asn1;
mod decrypt;
mod mac;

use asn1::*;
use decrypt::decrypt;
use mac::verify_mac;

/// What a PFX holds once opened: the private key and the certificates.
pub struct PfxContents {
    /// The private key as PKCS#8 `PrivateKeyInfo` DER.
    pub private_key_pkcs8: SecretBytes,
    /// Certificates, DER; the one belonging to the key first (by `localKeyID`, else by public
    /// key), then the others in file order.
    pub certificates: Vec<Vec<u8>>,
    /// The key bag's `friendlyName`, where present.
    pub friendly_name: Option<String>,
}

impl core::fmt::Debug for PfxContents {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PfxContents")
            .field("private_key_pkcs8", &self.private_key_pkcs8)
            .field("certificates", &self.certificates.len())
            .field("friendly_name", &self.friendly_name)
            .finish()
    }
}

/// The protection of a PFX, read without the password (what [`inspect_pfx`] returns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PfxInfo {
    /// The MAC digest OID and iteration count, where the file has a MAC.
    pub mac: Option<(ObjectIdentifier, u32)>,
    /// Per encrypted part (shrouded key bags and encryptedData), the encryption algorithm OID
    /// (PBES2's scheme OID for PBES2) and the iteration count.
    pub encryption: Vec<(ObjectIdentifier, u32)>,
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "PFX",
        at: None,
        reason: reason.into(),
    }
}

fn der_err(e: der::Error) -> Error {
    Error::malformed_der("PFX", e)
}

/// DER, or BER (indefinite lengths, chunked strings: Windows and CryptoPro exports).
fn decode_ber<T: for<'a> Decode<'a, Error = der::Error>>(bytes: &[u8]) -> Result<T> {
    crate::ber::decode(bytes).map_err(der_err)
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::Unsupported { what: what.into() }
}

fn check_iterations(n: u32) -> Result<u32> {
    match n {
        0 => Err(malformed("iteration count 0")),
        n if n > MAX_ITERATIONS => Err(unsupported(format!(
            "PFX iteration count {n} (more than {MAX_ITERATIONS})"
        ))),
        n => Ok(n),
    }
}

/// The octets of a `ContentInfo` of type data.
fn data_octets(ci: &cms::content_info::ContentInfo) -> Result<Vec<u8>> {
    if ci.content_type != oid::CMS_DATA {
        return Err(malformed(format!(
            "authSafe of type {} (public-key integrity mode is not supported)",
            ci.content_type
        )));
    }
    Ok(ci
        .content
        .decode_as::<OctetString>()
        .map_err(der_err)?
        .into_bytes()
        .into_vec())
}

struct Parsed {
    mac: Option<MacData>,
    auth_safe: Vec<u8>,
    parts: Vec<cms::content_info::ContentInfo>,
}

fn parse(pfx_der: &[u8]) -> Result<Parsed> {
    let pfx: Pfx = decode_ber(pfx_der)?;
    if pfx.version != 3 {
        return Err(malformed(format!("version {}", pfx.version)));
    }
    let auth_safe = data_octets(&pfx.auth_safe)?;
    let parts: Vec<cms::content_info::ContentInfo> = decode_ber(&auth_safe)?;
    Ok(Parsed {
        mac: pfx.mac_data,
        auth_safe,
        parts,
    })
}

/// Reads the structure of a PFX without the password: MAC and encryption algorithms with
/// their iteration counts. Typed errors for anything that is not a DER PFX.
pub fn inspect_pfx(pfx_der: &[u8]) -> Result<PfxInfo> {
    let parsed = parse(pfx_der)?;
    let mut encryption = Vec::new();
    let mut note = |alg: &AlgorithmIdentifierOwned| -> Result<()> {
        let (scheme, iterations) = pbe_summary(alg)?;
        encryption.push((scheme, iterations));
        Ok(())
    };
    for part in &parsed.parts {
        if part.content_type == oid::CMS_DATA {
            for bag in safe_bags(&data_octets(part)?)? {
                if bag.bag_id == oid::PKCS12_PKCS8_SHROUDED_KEY_BAG {
                    let epki: EncryptedPrivateKeyInfo =
                        bag.bag_value.decode_as().map_err(der_err)?;
                    note(&epki.algorithm)?;
                }
            }
        } else if part.content_type == oid::CMS_ENCRYPTED_DATA {
            let ed: cms::encrypted_data::EncryptedData =
                part.content.decode_as().map_err(der_err)?;
            note(&ed.enc_content_info.content_enc_alg)?;
        }
    }
    Ok(PfxInfo {
        mac: parsed.mac.map(|m| (m.mac.algorithm.oid, m.iterations)),
        encryption,
    })
}

fn pbe_summary(alg: &AlgorithmIdentifierOwned) -> Result<(ObjectIdentifier, u32)> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("encryption parameters missing"))?;
    if alg.oid == oid::PBES2 {
        let p: Pbes2Params = params.decode_as().map_err(der_err)?;
        let kdf: Pbkdf2Params = p
            .kdf
            .parameters
            .as_ref()
            .ok_or_else(|| malformed("PBKDF2 parameters missing"))?
            .decode_as()
            .map_err(der_err)?;
        Ok((p.scheme.oid, kdf.iteration_count))
    } else {
        let p: Pkcs12PbeParams = params.decode_as().map_err(der_err)?;
        Ok((alg.oid, p.iterations))
    }
}

fn safe_bags(der: &[u8]) -> Result<Vec<SafeBag>> {
    decode_ber(der)
}

/// Opens a PFX: checks the MAC, decrypts the key and certificate bags.
///
/// Errors: [`Error::WrongPasswordOrContainer`] when the MAC does not verify (or, without a MAC,
/// when the key does not decrypt), [`Error::Malformed`] for a broken file,
/// [`Error::Unsupported`] for algorithms not listed in the module documentation or a file
/// with no key or several keys.
pub fn open_pfx(pfx_der: &[u8], password: &Password) -> Result<PfxContents> {
    let parsed = parse(pfx_der)?;
    if let Some(mac) = &parsed.mac {
        verify_mac(mac, &parsed.auth_safe, password)?;
    }
    let mut keys: Vec<KeyBag> = Vec::new();
    let mut certs: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    for part in &parsed.parts {
        let contents: Zeroizing<Vec<u8>> = if part.content_type == oid::CMS_DATA {
            Zeroizing::new(data_octets(part)?)
        } else if part.content_type == oid::CMS_ENCRYPTED_DATA {
            let ed: cms::encrypted_data::EncryptedData =
                part.content.decode_as().map_err(der_err)?;
            let info = ed.enc_content_info;
            let ct = info
                .encrypted_content
                .ok_or_else(|| malformed("encryptedData without content"))?;
            decrypt(&info.content_enc_alg, ct.as_bytes(), password)?
        } else {
            return Err(unsupported(format!(
                "PFX part of content type {}",
                part.content_type
            )));
        };
        let bags = safe_bags(&contents).map_err(|e| wrong_if_unmacced(&parsed, e))?;
        for bag in bags {
            let (local_id, name) = bag_attributes(&bag);
            if bag.bag_id == oid::PKCS12_PKCS8_SHROUDED_KEY_BAG {
                let epki: EncryptedPrivateKeyInfo = bag.bag_value.decode_as().map_err(der_err)?;
                let key = decrypt(&epki.algorithm, epki.data.as_bytes(), password)?;
                check_private_key_info(&key).map_err(|e| wrong_if_unmacced(&parsed, e))?;
                keys.push((key, local_id, name));
            } else if bag.bag_id == oid::PKCS12_KEY_BAG {
                let key = Zeroizing::new(bag.bag_value.to_der().map_err(der_err)?);
                check_private_key_info(&key)?;
                keys.push((key, local_id, name));
            } else if bag.bag_id == oid::PKCS12_CERT_BAG {
                let cb: CertBag = bag.bag_value.decode_as().map_err(der_err)?;
                if cb.cert_id == oid::PKCS9_X509_CERTIFICATE {
                    certs.push((cb.cert_value.into_bytes().into_vec(), local_id));
                }
            }
            // CRL and secret bags are skipped; nested safeContents bags are not followed.
        }
    }
    let mut keys = keys.into_iter();
    let (key, key_local_id, friendly_name) = keys
        .next()
        .ok_or_else(|| unsupported("PFX without a private key"))?;
    if keys.next().is_some() {
        return Err(unsupported("PFX with several private keys"));
    }
    // A key whose public key cannot be computed here (e.g. an algorithm the token lacks) is still
    // returned; the certificates then stay in file order unless `localKeyID` links them.
    let public = public_key_of(&key).ok().flatten();
    let position = certs
        .iter()
        .position(|(_, id)| key_local_id.is_some() && *id == key_local_id)
        .or_else(|| {
            certs.iter().position(|(der, _)| {
                matches!(
                    (&public, CertificateInfo::from_der(der)),
                    (Some(p), Ok(info)) if info.public_key.same_key(p)
                )
            })
        });
    let mut certificates: Vec<Vec<u8>> = certs.into_iter().map(|(der, _)| der).collect();
    if let Some(i) = position {
        let ee = certificates.remove(i);
        certificates.insert(0, ee);
    }
    Ok(PfxContents {
        private_key_pkcs8: SecretBytes::new(&key),
        certificates,
        friendly_name,
    })
}

/// A decrypted key with its `localKeyID` and `friendlyName`.
type KeyBag = (Zeroizing<Vec<u8>>, Option<Vec<u8>>, Option<String>);

/// Without a MAC, garbage after decryption means a wrong password.
fn wrong_if_unmacced(parsed: &Parsed, e: Error) -> Error {
    if parsed.mac.is_none() {
        Error::WrongPasswordOrContainer
    } else {
        e
    }
}

fn bag_attributes(bag: &SafeBag) -> (Option<Vec<u8>>, Option<String>) {
    let mut local_id = None;
    let mut name = None;
    for attr in bag.bag_attributes.iter().flat_map(|s| s.iter()) {
        let Some(value) = attr.values.iter().next() else {
            continue;
        };
        if attr.oid == oid::PKCS9_LOCAL_KEY_ID {
            local_id = value
                .decode_as::<OctetString>()
                .ok()
                .map(|o| o.into_bytes().into_vec());
        } else if attr.oid == oid::PKCS9_FRIENDLY_NAME {
            name = value.decode_as::<BmpString>().ok().map(|s| s.to_string());
        }
    }
    (local_id, name)
}

/// A `PrivateKeyInfo` that parses (the algorithm itself is the carrier's business).
fn check_private_key_info(der: &[u8]) -> Result<()> {
    spki::der::asn1::Any::from_der(der).map_err(der_err)?;
    pkcs8_parts(der).map(drop)
}

/// `PrivateKeyInfo` (RFC 5958), the fields needed here.
#[derive(Clone, Debug, Sequence)]
struct PrivateKeyInfoHead {
    version: u8,
    algorithm: AlgorithmIdentifierOwned,
    private_key: OctetString,
}

fn pkcs8_parts(der: &[u8]) -> Result<PrivateKeyInfoHead> {
    // Trailing [0] attributes / [1] public key are allowed: read the first three fields only.
    let mut reader = der::SliceReader::new(der).map_err(der_err)?;
    let head = der::Reader::sequence(&mut reader, |r| {
        let version = u8::decode(r)?;
        let algorithm = AlgorithmIdentifierOwned::decode(r)?;
        let private_key = OctetString::decode(r)?;
        // Skip the optional trailing fields.
        while !der::Reader::is_finished(r) {
            Any::decode(r)?;
        }
        Ok(PrivateKeyInfoHead {
            version,
            algorithm,
            private_key,
        })
    })
    .map_err(der_err)?;
    Ok(head)
}

/// The public key of a PKCS#8 key, where this crate can compute it: GOST (any parameter set)
/// and RSA (the modulus and exponent stored in `RSAPrivateKey`). `None` for other algorithms.
fn public_key_of(pkcs8: &[u8]) -> Result<Option<PublicKey>> {
    let head = pkcs8_parts(pkcs8)?;
    let alg = head.algorithm.oid;
    if alg == oid::TC26_GOST_3410_12_256
        || alg == oid::TC26_GOST_3410_12_512
        || alg == oid::GOST_R3410_2001
    {
        let key = gost::SigningKey::from_pkcs8_der(pkcs8)?;
        return PublicKey::from_spki_der(&key.verifying_key().to_spki_der()?).map(Some);
    }
    if alg == oid::RSA_ENCRYPTION {
        let rsa = head.private_key.as_bytes();
        let mut reader = der::SliceReader::new(rsa).map_err(der_err)?;
        let (n, e) = der::Reader::sequence(&mut reader, |r| {
            let _version = UintRef::decode(r)?;
            let n = UintRef::decode(r)?.as_bytes().to_vec();
            let e = UintRef::decode(r)?.as_bytes().to_vec();
            while !der::Reader::is_finished(r) {
                Any::decode(r)?;
            }
            Ok((n, e))
        })
        .map_err(der_err)?;
        let n = UintRef::new(&n).map_err(der_err)?;
        let e = UintRef::new(&e).map_err(der_err)?;
        let mut body = n.to_der().map_err(der_err)?;
        body.extend(e.to_der().map_err(der_err)?);
        let rsa_public = der::asn1::Any::new(der::Tag::Sequence, body)
            .map_err(der_err)?
            .to_der()
            .map_err(der_err)?;
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            subject_public_key: der::asn1::BitString::from_bytes(&rsa_public).map_err(der_err)?,
        };
        return PublicKey::from_spki_der(&spki.to_der().map_err(der_err)?).map(Some);
    }
    Ok(None)
}

/// Opens `pfx_der` with `password` and imports the key with its certificates into `carrier`
/// under `label` (flow U03). The carrier's import writes everything or nothing.
///
/// Before anything is written: the MAC is checked ([`Error::WrongPasswordOrContainer`]), and the
/// key's own certificate must match the key ([`Error::CertificateMismatch`] for a file of
/// another client whose certificate belongs to a different key).
pub fn import_pfx<C: Carrier + ?Sized>(
    carrier: &mut C,
    pfx_der: &[u8],
    password: &Password,
    label: &str,
) -> Result<ContainerInfo> {
    let contents = open_pfx(pfx_der, password)?;
    if let (Some(public), Some(cert)) = (
        public_key_of(contents.private_key_pkcs8.expose())?,
        contents.certificates.first(),
    ) {
        let info = CertificateInfo::from_der(cert)?;
        if !info.public_key.same_key(&public) {
            return Err(Error::CertificateMismatch);
        }
    }
    carrier.import(KeyImport {
        label: label.to_owned(),
        id: None,
        private_key_pkcs8: contents.private_key_pkcs8,
        certificates: contents.certificates,
    })
}

#[cfg(test)]
mod tests {
    use super::mac::bmp_password;
    use super::{Error, inspect_pfx};

    /// RFC 7292-style check of the PKCS#12 KDF against OpenSSL (`openssl kdf ... PKCS12KDF`
    /// is not in 3.0; values from a PFX round trip are in the integration tests). Here: the
    /// BMPString form.
    #[test]
    fn bmp_password_is_utf16be_with_nul() {
        assert_eq!(
            bmp_password("Ab".as_bytes()).as_slice(),
            &[0, b'A', 0, b'b', 0, 0]
        );
        assert_eq!(bmp_password("П".as_bytes()).as_slice(), &[0x04, 0x1F, 0, 0]);
    }

    #[test]
    fn garbage_is_malformed() {
        for input in [&[][..], &[0x30, 0x03, 0x02, 0x01], &[0x04, 0x00]] {
            assert!(matches!(inspect_pfx(input), Err(Error::Malformed { .. })));
        }
    }
}
