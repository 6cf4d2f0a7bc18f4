//! [`CryptoProContainer`]: a container folder read and checked, before any PIN is asked for.

use std::path::Path;

use der::Decode;
use der::asn1::ObjectIdentifier;
use gost::{KeySize, ParamSet};
use token_core::x509_cert::Certificate;
use token_core::{CertificateInfo, Error, Password, Result, SecretBytes, oid};

use crate::asn1::{HeaderFile, KeyParameters, MasksFile, NameFile, PrimaryFile};
use crate::pin_key::PinHash;

/// The largest file of a container this crate reads; real ones are a few hundred bytes to a
/// few kilobytes (header.key holds the certificate).
const MAX_FILE_LEN: u64 = 1 << 20;

/// Which GOST signature standard a container's key belongs to. It decides the PIN hash and
/// the S-box that protect the key, and the OIDs the key is exported with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContainerAlgorithm {
    /// GOST R 34.10-2001 (256-bit, GOST R 34.11-94 hash). Banks stopped issuing these
    /// certificates in 2019, but archives and old folders still hold them.
    Gost2001,
    /// GOST R 34.10-2012 with a 256-bit key.
    Gost2012_256,
    /// GOST R 34.10-2012 with a 512-bit key.
    Gost2012_512,
}

impl ContainerAlgorithm {
    /// From the key algorithm OID in header.key: the agreement (DH) OIDs CryptoPro writes for
    /// exchange keys, or the signature-key OIDs.
    fn from_oid(alg: &ObjectIdentifier) -> Option<Self> {
        if *alg == oid::GOST_R3410_2001_DH || *alg == oid::GOST_R3410_2001 {
            Some(Self::Gost2001)
        } else if *alg == oid::TC26_AGREEMENT_GOST_3410_12_256 || *alg == oid::TC26_GOST_3410_12_256
        {
            Some(Self::Gost2012_256)
        } else if *alg == oid::TC26_AGREEMENT_GOST_3410_12_512 || *alg == oid::TC26_GOST_3410_12_512
        {
            Some(Self::Gost2012_512)
        } else {
            None
        }
    }

    /// The key algorithm OID of SPKI and PKCS#8 (what certificates and `openssl pkey` use).
    pub fn key_oid(self) -> ObjectIdentifier {
        match self {
            Self::Gost2001 => oid::GOST_R3410_2001,
            Self::Gost2012_256 => oid::TC26_GOST_3410_12_256,
            Self::Gost2012_512 => oid::TC26_GOST_3410_12_512,
        }
    }

    fn key_size(self) -> KeySize {
        match self {
            Self::Gost2012_512 => KeySize::Bits512,
            _ => KeySize::Bits256,
        }
    }

    pub(crate) fn pin_hash(self) -> PinHash {
        match self {
            Self::Gost2001 => PinHash::Gost94,
            _ => PinHash::Streebog256,
        }
    }

    pub(crate) fn sbox(self) -> gost_cipher::gost89::Gost89Sbox {
        match self {
            Self::Gost2001 => gost_cipher::gost89::Gost89Sbox::CryptoProA,
            _ => gost_cipher::gost89::Gost89Sbox::Tc26Z,
        }
    }
}

/// The bytes of a container's files, for reading a container that is not a folder on disk (a
/// registry export, an archive, a test). `primary2` / `masks2` are the reserve copy of the key
/// and may be absent.
#[derive(Clone, Default)]
pub struct ContainerFiles {
    /// `header.key`.
    pub header: Vec<u8>,
    /// `primary.key`.
    pub primary: SecretBytes,
    /// `masks.key`.
    pub masks: SecretBytes,
    /// `name.key`.
    pub name: Vec<u8>,
    /// `primary2.key`, if present.
    pub primary2: Option<SecretBytes>,
    /// `masks2.key`, if present.
    pub masks2: Option<SecretBytes>,
}

impl core::fmt::Debug for ContainerFiles {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ContainerFiles")
            .field("header_len", &self.header.len())
            .field("reserve_copy", &self.primary2.is_some())
            .finish_non_exhaustive()
    }
}

/// One encrypted copy of the private key with its mask and PIN salt.
#[derive(Clone)]
pub(crate) struct KeyCopy {
    /// `d · mask mod q`, little-endian, GOST 28147-89 ECB-encrypted.
    pub(crate) encrypted: SecretBytes,
    /// The mask, little-endian.
    pub(crate) mask: SecretBytes,
    /// The salt of the PIN key.
    pub(crate) salt: Vec<u8>,
}

/// A CryptoPro CSP file key container (the `XXXXXX.000` folder on a flash drive or under
/// `/var/opt/cprocsp/keys/<user>/`), read and checked for form. Nothing secret is computed
/// until [`CryptoProContainer::unlock`].
///
/// ```no_run
/// use keycarrier_cryptopro_container::CryptoProContainer;
/// use token_core::Password;
///
/// let container = CryptoProContainer::open("/media/flash/g2012256.000".as_ref())?;
/// println!("{} ({:?}), PIN needed: {}", container.name(), container.algorithm(), container.needs_pin());
/// let key = container.unlock(&Password::new("1"))?;
/// # let _ = key; Ok::<(), token_core::Error>(())
/// ```
#[derive(Clone)]
pub struct CryptoProContainer {
    pub(crate) name: String,
    pub(crate) algorithm: ContainerAlgorithm,
    pub(crate) param_set: ParamSet,
    pub(crate) parameters: KeyParameters,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) certificate: Option<Vec<u8>>,
    pub(crate) exportable: bool,
    pub(crate) copies: Vec<KeyCopy>,
    pub(crate) needs_pin: bool,
}

impl core::fmt::Debug for CryptoProContainer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CryptoProContainer")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("param_set", &self.param_set)
            .field("has_certificate", &self.certificate.is_some())
            .field("needs_pin", &self.needs_pin)
            .finish_non_exhaustive()
    }
}

fn malformed(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what,
        at: None,
        reason: reason.into(),
    }
}

fn read_file(dir: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let path = dir.join(name);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::storage(format!("reading {}", path.display()), e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::storage(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(malformed(
            "CryptoPro container file",
            format!("{name} is too large"),
        ));
    }
    Ok(Some(bytes))
}

fn required(dir: &Path, name: &str) -> Result<Vec<u8>> {
    read_file(dir, name)?.ok_or_else(|| Error::NotFound {
        what: format!(
            "{name} in {} (not a CryptoPro container folder?)",
            dir.display()
        ),
    })
}

impl CryptoProContainer {
    /// Reads the container in the folder `dir` (any folder name; the container's own name is
    /// in `name.key`). `header.key`, `primary.key`, `masks.key` and `name.key` must be there;
    /// the reserve copy `primary2.key` / `masks2.key` is used when present.
    ///
    /// A missing file is [`Error::NotFound`], a damaged one [`Error::Malformed`], a key
    /// algorithm or curve this crate does not know [`Error::Unsupported`].
    pub fn open(dir: &Path) -> Result<Self> {
        let secret = |name: &str| -> Result<Option<SecretBytes>> {
            Ok(read_file(dir, name)?.map(SecretBytes::from_vec))
        };
        let files = ContainerFiles {
            header: required(dir, "header.key")?,
            primary: SecretBytes::from_vec(required(dir, "primary.key")?),
            masks: SecretBytes::from_vec(required(dir, "masks.key")?),
            name: required(dir, "name.key")?,
            primary2: secret("primary2.key")?,
            masks2: secret("masks2.key")?,
        };
        Self::from_files(&files)
    }

    /// Reads a container from its files' bytes; see [`CryptoProContainer::open`].
    pub fn from_files(files: &ContainerFiles) -> Result<Self> {
        let header = HeaderFile::from_der(&files.header)
            .map_err(|e| Error::malformed_der("CryptoPro header.key", e))?;
        let content = header.content;
        let alg = &content.primary_key_parameters.algorithm;
        let algorithm =
            ContainerAlgorithm::from_oid(&alg.algorithm).ok_or_else(|| Error::Unsupported {
                what: format!("CryptoPro container key algorithm {}", alg.algorithm),
            })?;
        let parameters = alg.parameters.clone();
        let param_set = ParamSet::from_oid(&parameters.public_key_param_set).ok_or_else(|| {
            Error::Unsupported {
                what: format!("GOST parameter set {}", parameters.public_key_param_set),
            }
        })?;
        if param_set.key_size() != algorithm.key_size() {
            return Err(malformed(
                "CryptoPro header.key",
                format!("{algorithm:?} key on the parameter set {param_set}"),
            ));
        }
        check_parameters(algorithm, &parameters)?;
        let l = param_set.key_size().coordinate_len();
        let fingerprint = content.primary_fingerprint.as_bytes().to_vec();
        if fingerprint.is_empty() || fingerprint.len() > 2 * l {
            return Err(malformed(
                "CryptoPro header.key",
                format!("public key fingerprint of {} bytes", fingerprint.len()),
            ));
        }
        let certificate = content
            .primary_certificate
            .map(|c| c.as_bytes().to_vec())
            .map(|der| {
                Certificate::from_der(&der)
                    .map(|_| der)
                    .map_err(|e| Error::malformed_der("certificate in CryptoPro header.key", e))
            })
            .transpose()?;
        let exportable = bit(&content.primary_key_parameters.attributes, 0);

        let mut copies = vec![key_copy(&files.primary, &files.masks, l, "primary.key")?];
        match (&files.primary2, &files.masks2) {
            (Some(p), Some(m)) => copies.push(key_copy(p, m, l, "primary2.key")?),
            (None, None) => {}
            _ => {
                return Err(malformed(
                    "CryptoPro container",
                    "only one of primary2.key and masks2.key is present",
                ));
            }
        }

        let mut container = Self {
            name: read_name(&files.name)?,
            algorithm,
            param_set,
            parameters,
            fingerprint,
            certificate,
            exportable,
            copies,
            needs_pin: true,
        };
        // A container without a PIN opens with the empty one (two hash iterations: cheap).
        container.needs_pin = container.unlock(&Password::new("")).is_err();
        Ok(container)
    }

    /// The container's name as CryptoPro shows it (from `name.key`, not the folder name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// GOST R 34.10-2001, or 2012 with a 256- or 512-bit key.
    pub fn algorithm(&self) -> ContainerAlgorithm {
        self.algorithm
    }

    /// The curve's parameter set, under the OID the container names it by (often the
    /// CryptoPro XchA/XchB OIDs, which are the CryptoPro-A/C curves).
    pub fn param_set(&self) -> ParamSet {
        self.param_set
    }

    /// The certificate kept in `header.key`, DER, if the container has one.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.certificate.as_deref()
    }

    /// The certificate, parsed, if the container has one. GOST R 34.10-2001 certificates are
    /// [`Error::Unsupported`] here (keycarrier's certificate model is GOST 2012 and RSA); use
    /// [`CryptoProContainer::certificate_der`] for them.
    pub fn certificate(&self) -> Result<Option<CertificateInfo>> {
        self.certificate
            .as_deref()
            .map(CertificateInfo::from_der)
            .transpose()
    }

    /// Whether unlocking needs a PIN: false when the empty PIN opens the container.
    pub fn needs_pin(&self) -> bool {
        self.needs_pin
    }

    /// Whether CryptoPro marked the key exportable. CryptoPro itself refuses to export a key
    /// that is not; this crate reads it anyway (the files are the user's), but a GUI may want
    /// to say so before a migration.
    pub fn exportable(&self) -> bool {
        self.exportable
    }
}

/// The digest and cipher parameters must be ones that go with the algorithm: they are copied
/// into the exported key, so a damaged OID must not travel on.
fn check_parameters(algorithm: ContainerAlgorithm, parameters: &KeyParameters) -> Result<()> {
    let digest_fits = match &parameters.digest_param_set {
        None => true,
        Some(d) => match algorithm {
            ContainerAlgorithm::Gost2001 => *d == oid::GOST_R3411_94_CRYPTO_PRO_PARAM_SET,
            ContainerAlgorithm::Gost2012_256 => *d == oid::TC26_GOST_3411_12_256,
            ContainerAlgorithm::Gost2012_512 => *d == oid::TC26_GOST_3411_12_512,
        },
    };
    let cipher_fits = parameters.encryption_param_set.as_ref().is_none_or(|c| {
        let dotted = c.to_string();
        dotted == "1.2.643.7.1.2.5.1.1"
            || ["0", "1", "2", "3", "4"]
                .iter()
                .any(|n| dotted == format!("1.2.643.2.2.31.{n}"))
    });
    if digest_fits && cipher_fits {
        Ok(())
    } else {
        Err(malformed(
            "CryptoPro header.key",
            format!("key parameters that do not fit a {algorithm:?} key"),
        ))
    }
}

/// Bit `n` of a named BIT STRING (bit 0 is the most significant bit of the first byte).
fn bit(bits: &der::asn1::BitStringRef<'_>, n: usize) -> bool {
    bits.raw_bytes()
        .get(n / 8)
        .is_some_and(|b| b & (0x80 >> (n % 8)) != 0)
}

fn key_copy(
    primary: &SecretBytes,
    masks: &SecretBytes,
    l: usize,
    which: &'static str,
) -> Result<KeyCopy> {
    let p = PrimaryFile::from_der(primary.expose())
        .map_err(|e| Error::malformed_der("CryptoPro primary.key", e))?;
    let m = MasksFile::from_der(masks.expose())
        .map_err(|e| Error::malformed_der("CryptoPro masks.key", e))?;
    let (key, mask, salt) = (p.key.as_bytes(), m.mask.as_bytes(), m.salt.as_bytes());
    if key.len() != l || mask.len() != l {
        return Err(malformed(
            "CryptoPro container",
            format!(
                "{which}: {} bytes of key and {} of mask; expected {l}",
                key.len(),
                mask.len()
            ),
        ));
    }
    if salt.is_empty() || salt.len() > 64 {
        return Err(malformed(
            "CryptoPro masks.key",
            format!("salt of {} bytes", salt.len()),
        ));
    }
    Ok(KeyCopy {
        encrypted: SecretBytes::new(key),
        mask: SecretBytes::new(mask),
        salt: salt.to_vec(),
    })
}

/// The name in `name.key`: IA5String (or another string type) as text; bytes that are not
/// UTF-8 are shown with replacement characters rather than refused.
fn read_name(bytes: &[u8]) -> Result<String> {
    use der::{Tag, Tagged};
    let file =
        NameFile::from_der(bytes).map_err(|e| Error::malformed_der("CryptoPro name.key", e))?;
    match file.name.tag() {
        Tag::Ia5String | Tag::Utf8String | Tag::PrintableString | Tag::VisibleString => {
            Ok(String::from_utf8_lossy(file.name.value()).into_owned())
        }
        other => Err(malformed(
            "CryptoPro name.key",
            format!("a {other} where a string was expected"),
        )),
    }
}
