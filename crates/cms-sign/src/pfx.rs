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

use der::asn1::{Any, BmpString, ObjectIdentifier, OctetString, OctetStringRef, UintRef};
use der::{Decode, Encode, Sequence};
use digest::Digest;
use hmac::{Hmac, KeyInit, Mac};
use spki::AlgorithmIdentifierOwned;
use token_core::{
    Carrier, CertificateInfo, ContainerInfo, Error, KeyImport, Password, PublicKey, Result,
    SecretBytes, oid,
};
use x509_cert::attr::Attribute;
use zeroize::Zeroizing;

/// The largest PBKDF2 / PKCS#12 KDF iteration count accepted (OpenSSL writes 2048, the TC26
/// example 2000).
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// `PFX` (RFC 7292 §4).
#[derive(Clone, Debug, Sequence)]
struct Pfx {
    version: u8,
    auth_safe: cms::content_info::ContentInfo,
    #[asn1(optional = "true")]
    mac_data: Option<MacData>,
}

/// `MacData`.
#[derive(Clone, Debug, Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    #[asn1(default = "one")]
    iterations: u32,
}

fn one() -> u32 {
    1
}

/// `DigestInfo`.
#[derive(Clone, Debug, Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// `SafeBag`.
#[derive(Clone, Debug, Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: Any,
    #[asn1(optional = "true")]
    bag_attributes: Option<der::asn1::SetOfVec<Attribute>>,
}

/// `EncryptedPrivateKeyInfo` (PKCS#8).
#[derive(Clone, Debug, Sequence)]
struct EncryptedPrivateKeyInfo {
    algorithm: AlgorithmIdentifierOwned,
    data: OctetString,
}

/// `CertBag`.
#[derive(Clone, Debug, Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

/// `PBES2-params` (RFC 8018).
#[derive(Clone, Debug, Sequence)]
struct Pbes2Params {
    kdf: AlgorithmIdentifierOwned,
    scheme: AlgorithmIdentifierOwned,
}

/// `PBKDF2-params` with the salt as `specified`.
#[derive(Clone, Debug, Sequence)]
struct Pbkdf2Params {
    salt: OctetString,
    iteration_count: u32,
    #[asn1(optional = "true")]
    key_length: Option<u32>,
    #[asn1(optional = "true")]
    prf: Option<AlgorithmIdentifierOwned>,
}

/// `Gost28147-89-Parameters` (RFC 4357).
#[derive(Clone, Debug, Sequence)]
struct Gost28147Params {
    iv: OctetString,
    param_set: ObjectIdentifier,
}

/// `pkcs-12PbeParams`.
#[derive(Clone, Debug, Sequence)]
struct Pkcs12PbeParams {
    salt: OctetString,
    iterations: u32,
}

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

// --- MAC --------------------------------------------------------------------------------------

fn verify_mac(mac: &MacData, auth_safe: &[u8], password: &Password) -> Result<()> {
    let iterations = check_iterations(mac.iterations)?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    let alg = mac.mac.algorithm.oid;
    let pw = password.expose();
    let ok = if alg == oid::TC26_GOST_3411_12_512 {
        let key = tc26_mac_key::<gost::Streebog512>(pw, salt, iterations);
        hmac_verify::<gost::Streebog512>(&key, auth_safe, expected)
    } else if alg == oid::TC26_GOST_3411_12_256 {
        let key = tc26_mac_key::<gost::Streebog256>(pw, salt, iterations);
        hmac_verify::<gost::Streebog256>(&key, auth_safe, expected)
    } else if alg == oid::SHA256 {
        let key = pkcs12_kdf::<sha2::Sha256>(&bmp_password(pw), salt, iterations, 3, 32);
        hmac_verify::<sha2::Sha256>(&key, auth_safe, expected)
    } else if alg == oid::SHA1 {
        let key = pkcs12_kdf::<sha1::Sha1>(&bmp_password(pw), salt, iterations, 3, 20);
        hmac_verify::<sha1::Sha1>(&key, auth_safe, expected)
    } else {
        return Err(unsupported(format!("PFX MAC digest {alg}")));
    };
    if ok {
        Ok(())
    } else {
        Err(Error::WrongPasswordOrContainer)
    }
}

/// The TC26 MAC key: the last 32 bytes of PBKDF2-HMAC-H(password, salt, iterations, 96).
fn tc26_mac_key<D>(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<Vec<u8>>
where
    D: hmac::EagerHash + Clone,
{
    let mut dk = Zeroizing::new([0u8; 96]);
    pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, dk.as_mut_slice());
    Zeroizing::new(dk.get(64..).map(<[u8]>::to_vec).unwrap_or_default())
}

fn hmac_verify<D>(key: &[u8], data: &[u8], expected: &[u8]) -> bool
where
    D: hmac::EagerHash + Clone,
{
    let Ok(mut mac) = <Hmac<D> as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(expected).is_ok()
}

/// The password as PKCS#12 wants it for its own KDF: BMPString (UTF-16BE) with a trailing
/// NUL. Bytes that are not UTF-8 are widened one by one, as OpenSSL does.
fn bmp_password(pw: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(pw.len() * 2 + 2));
    match core::str::from_utf8(pw) {
        Ok(s) => {
            for unit in s.encode_utf16() {
                out.extend(unit.to_be_bytes());
            }
        }
        Err(_) => {
            for &b in pw {
                out.extend([0, b]);
            }
        }
    }
    out.extend([0, 0]);
    out
}

/// The PKCS#12 key derivation (RFC 7292 appendix B.2) for hashes with a 64-byte block.
fn pkcs12_kdf<D: Digest>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    id: u8,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    const V: usize = 64;
    // Every buffer holding the password or values derived from it is wiped, and sized up
    // front so that no reallocation leaves an unwiped copy behind.
    let fill = |src: &[u8]| -> Zeroizing<Vec<u8>> {
        let n = src.len().div_ceil(V) * V;
        Zeroizing::new(src.iter().copied().cycle().take(n).collect())
    };
    let (salt_block, password_block) = (fill(salt), fill(password));
    let mut i = Zeroizing::new(Vec::with_capacity(salt_block.len() + password_block.len()));
    i.extend_from_slice(&salt_block);
    i.extend_from_slice(&password_block);
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    while out.len() < len {
        let mut h = D::new();
        h.update([id; V]);
        h.update(i.as_slice());
        let mut a = Zeroizing::new(h.finalize().to_vec());
        for _ in 1..iterations {
            let next = D::digest(a.as_slice());
            a.copy_from_slice(&next);
        }
        let want = len - out.len();
        out.extend(a.iter().take(want));
        if out.len() >= len {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8V), B = A repeated to V bytes.
        let b: Zeroizing<Vec<u8>> = Zeroizing::new(a.iter().copied().cycle().take(V).collect());
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum.to_le_bytes()[0];
                carry = sum >> 8;
            }
        }
    }
    out
}

// --- decryption -------------------------------------------------------------------------------

fn decrypt(
    alg: &AlgorithmIdentifierOwned,
    data: &[u8],
    password: &Password,
) -> Result<Zeroizing<Vec<u8>>> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("encryption parameters missing"))?;
    if alg.oid == oid::PBES2 {
        let p: Pbes2Params = params.decode_as().map_err(der_err)?;
        decrypt_pbes2(&p, data, password)
    } else if alg.oid == oid::PBE_WITH_SHA_AND_3KEY_TRIPLE_DES_CBC {
        let p: Pkcs12PbeParams = params.decode_as().map_err(der_err)?;
        let iterations = check_iterations(p.iterations)?;
        let pw = bmp_password(password.expose());
        let key = pkcs12_kdf::<sha1::Sha1>(&pw, p.salt.as_bytes(), iterations, 1, 24);
        let iv = pkcs12_kdf::<sha1::Sha1>(&pw, p.salt.as_bytes(), iterations, 2, 8);
        tdes_cbc_decrypt(&key, &iv, data)
    } else {
        Err(unsupported(format!("PFX encryption {}", alg.oid)))
    }
}

fn decrypt_pbes2(p: &Pbes2Params, data: &[u8], password: &Password) -> Result<Zeroizing<Vec<u8>>> {
    if p.kdf.oid != oid::PBKDF2 {
        return Err(unsupported(format!("PBES2 key derivation {}", p.kdf.oid)));
    }
    let kdf: Pbkdf2Params = p
        .kdf
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("PBKDF2 parameters missing"))?
        .decode_as()
        .map_err(der_err)?;
    let iterations = check_iterations(kdf.iteration_count)?;
    let prf = kdf.prf.as_ref().map_or(oid::HMAC_WITH_SHA1, |a| a.oid);
    let scheme_params = p
        .scheme
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("encryption scheme parameters missing"))?;
    let (key_len, iv) = if p.scheme.oid == oid::GOST_28147_89 {
        let g: Gost28147Params = scheme_params.decode_as().map_err(der_err)?;
        if g.param_set != oid::TC26_GOST_28147_PARAM_Z {
            return Err(unsupported(format!(
                "GOST 28147-89 parameter set {}",
                g.param_set
            )));
        }
        (32, g.iv.into_bytes().into_vec())
    } else if p.scheme.oid == oid::AES128_CBC {
        (16, iv_of(scheme_params)?)
    } else if p.scheme.oid == oid::AES192_CBC {
        (24, iv_of(scheme_params)?)
    } else if p.scheme.oid == oid::AES256_CBC {
        (32, iv_of(scheme_params)?)
    } else {
        return Err(unsupported(format!("PBES2 encryption {}", p.scheme.oid)));
    };
    if let Some(l) = kdf.key_length
        && usize::try_from(l).ok() != Some(key_len)
    {
        return Err(malformed(format!("PBKDF2 key length {l}")));
    }
    let mut key = Zeroizing::new(vec![0u8; key_len]);
    let salt = kdf.salt.as_bytes();
    let pw = password.expose();
    if prf == oid::TC26_HMAC_GOST_3411_12_512 {
        pbkdf2::pbkdf2_hmac::<gost::Streebog512>(pw, salt, iterations, &mut key);
    } else if prf == oid::TC26_HMAC_GOST_3411_12_256 {
        pbkdf2::pbkdf2_hmac::<gost::Streebog256>(pw, salt, iterations, &mut key);
    } else if prf == oid::HMAC_WITH_SHA256 {
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, iterations, &mut key);
    } else if prf == oid::HMAC_WITH_SHA1 {
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, iterations, &mut key);
    } else {
        return Err(unsupported(format!("PBKDF2 PRF {prf}")));
    }
    if p.scheme.oid == oid::GOST_28147_89 {
        let key: &[u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| malformed("GOST key length"))?;
        let iv: [u8; 8] = iv
            .as_slice()
            .try_into()
            .map_err(|_| malformed("GOST 28147-89 IV is not 8 bytes"))?;
        Ok(gost28147_cfb_decrypt(key, &iv, data))
    } else {
        aes_cbc_decrypt(&key, &iv, data)
    }
}

fn iv_of(params: &Any) -> Result<Vec<u8>> {
    let iv = params.decode_as::<&OctetStringRef>().map_err(der_err)?;
    if iv.as_bytes().len() != 16 {
        return Err(malformed("AES-CBC IV is not 16 bytes"));
    }
    Ok(iv.as_bytes().to_vec())
}

/// GOST 28147-89 with the param-Z S-box in the 28147 byte order, on top of the `magma` crate
/// (GOST R 34.12-2015 order): the key words and the block bytes are reversed.
struct Gost89(magma::Magma);

impl Gost89 {
    fn new(key: &[u8; 32]) -> Self {
        use magma::cipher::KeyInit as _;
        let mut k = Zeroizing::new([0u8; 32]);
        for (dst, src) in k.chunks_exact_mut(4).zip(key.chunks_exact(4)) {
            for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                *d = *s;
            }
        }
        Self(magma::Magma::new(&(*k).into()))
    }

    fn encrypt(&self, block: &mut [u8; 8]) {
        use magma::cipher::BlockEncrypt as _;
        block.reverse();
        self.0.encrypt_block(block.into());
        block.reverse();
    }

    fn decrypt(&self, block: &mut [u8; 8]) {
        use magma::cipher::BlockDecrypt as _;
        block.reverse();
        self.0.decrypt_block(block.into());
        block.reverse();
    }
}

/// The CryptoPro key meshing constant (RFC 4357 §2.3.2).
const KEY_MESHING: [u8; 32] = [
    0x69, 0x00, 0x72, 0x22, 0x64, 0xC9, 0x04, 0x23, 0x8D, 0x3A, 0xDB, 0x96, 0x46, 0xE9, 0x2A, 0xC4,
    0x18, 0xFE, 0xAC, 0x94, 0x00, 0xED, 0x07, 0x12, 0xC0, 0x86, 0xDC, 0xC2, 0xEF, 0x4C, 0xA9, 0x2B,
];

/// GOST 28147-89 CFB decryption with CryptoPro key meshing every 1024 bytes (as gost-engine's
/// `gost89` cipher does for param-Z).
fn gost28147_cfb_decrypt(key: &[u8; 32], iv: &[u8; 8], data: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut cipher = Gost89::new(key);
    let mut register = *iv;
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    let mut count = 0usize;
    for chunk in data.chunks(8) {
        if count == 1024 {
            let mut new_key = Zeroizing::new(KEY_MESHING);
            for block in new_key.chunks_exact_mut(8) {
                let mut b = [0u8; 8];
                b.copy_from_slice(block);
                cipher.decrypt(&mut b);
                block.copy_from_slice(&b);
            }
            cipher = Gost89::new(&new_key);
            cipher.encrypt(&mut register);
            count = 0;
        }
        let mut gamma = register;
        cipher.encrypt(&mut gamma);
        out.extend(chunk.iter().zip(gamma.iter()).map(|(c, g)| c ^ g));
        for (r, c) in register.iter_mut().zip(chunk) {
            *r = *c;
        }
        count += 8;
    }
    out
}

fn unpad(mut plain: Zeroizing<Vec<u8>>, block: usize) -> Result<Zeroizing<Vec<u8>>> {
    let pad = usize::from(plain.last().copied().unwrap_or(0));
    let len = plain.len();
    if pad == 0
        || pad > block
        || pad > len
        || plain.iter().skip(len - pad).any(|&b| usize::from(b) != pad)
    {
        return Err(Error::WrongPasswordOrContainer);
    }
    plain.truncate(len - pad);
    Ok(plain)
}

fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use aes::cipher::{BlockDecrypt, KeyInit as _};
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(malformed("AES-CBC data is not a whole number of blocks"));
    }
    enum AnyAes {
        A128(aes::Aes128),
        A192(aes::Aes192),
        A256(aes::Aes256),
    }
    let bad_key = |_| malformed("AES key length");
    let cipher = match key.len() {
        16 => AnyAes::A128(aes::Aes128::new_from_slice(key).map_err(bad_key)?),
        24 => AnyAes::A192(aes::Aes192::new_from_slice(key).map_err(bad_key)?),
        _ => AnyAes::A256(aes::Aes256::new_from_slice(key).map_err(bad_key)?),
    };
    let mut prev = [0u8; 16];
    prev.copy_from_slice(iv.get(..16).ok_or_else(|| malformed("AES-CBC IV"))?);
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    for chunk in data.chunks_exact(16) {
        let mut block = aes::Block::clone_from_slice(chunk);
        match &cipher {
            AnyAes::A128(c) => c.decrypt_block(&mut block),
            AnyAes::A192(c) => c.decrypt_block(&mut block),
            AnyAes::A256(c) => c.decrypt_block(&mut block),
        }
        out.extend(block.iter().zip(prev.iter()).map(|(b, p)| b ^ p));
        prev.copy_from_slice(chunk);
    }
    unpad(out, 16)
}

fn tdes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use des::cipher::{BlockDecrypt, KeyInit as _};
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(malformed("3DES-CBC data is not a whole number of blocks"));
    }
    let cipher = des::TdesEde3::new_from_slice(key).map_err(|_| malformed("3DES key length"))?;
    let mut prev = [0u8; 8];
    prev.copy_from_slice(iv.get(..8).ok_or_else(|| malformed("3DES IV"))?);
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    for chunk in data.chunks_exact(8) {
        let mut block = des::cipher::Block::<des::TdesEde3>::clone_from_slice(chunk);
        cipher.decrypt_block(&mut block);
        out.extend(block.iter().zip(prev.iter()).map(|(b, p)| b ^ p));
        prev.copy_from_slice(chunk);
    }
    unpad(out, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

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
