//! Content encryption of CMS EnvelopedData / EncryptedData with GOST R 34.12-2015 ciphers
//! (R 1323565.1.025-2019, as gost-engine implements it): CTR-ACPKM, and CTR-ACPKM with an OMAC
//! tag, streaming with constant memory.
//!
//! The algorithm parameters carry one octet string `ukm = IV ‖ seed`: IV of `n/2` bytes (4 for
//! Magma, 8 for Kuznyechik), seed of 8 bytes. For the `-omac` modes:
//!
//! * `K_enc ‖ K_mac = KDF_TREE_256(CEK, "kdf tree", seed, R = 1)` (64 bytes);
//! * the content is encrypted with CTR-ACPKM under `K_enc` and the IV;
//! * the OMAC under `K_mac` is taken over the **plaintext**;
//! * the tag (one block) is encrypted by continuing the same keystream right after the content,
//!   and travels in the unprotected attribute 1.2.643.7.1.0.6.1.1 (OCTET STRING).
//!
//! Without `-omac` the CEK encrypts directly and the seed is unused.
//!
//! # Decryption contract
//!
//! Streaming decryption hands plaintext out before the tag at the end has been checked. Only
//! [`ContentDecryptor::decrypt_unauthenticated`] does that, and its name says so: a caller that
//! streams must hold the pieces back (or be able to retract them) until
//! [`ContentDecryptor::finish`] returns `Ok`. [`decrypt`] buffers the content and returns
//! plaintext only after the tag verified.

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::acpkm::CtrAcpkm;
use crate::block::BlockCipher;
use crate::error::{Error, Result};
use crate::kdf::kdf_tree_256;
use crate::key::SecretKey;
use crate::omac::Omac;

/// Length of the KDF seed in the `ukm` of the content-encryption parameters.
pub const KDF_SEED_LEN: usize = 8;

/// A CMS content-encryption algorithm of the GOST R 34.12-2015 family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentCipher {
    /// id-tc26-cipher-gostr3412-2015-kuznyechik-ctracpkm, 1.2.643.7.1.1.5.2.1.
    KuznyechikCtrAcpkm,
    /// id-tc26-cipher-gostr3412-2015-kuznyechik-ctracpkm-omac, 1.2.643.7.1.1.5.2.2.
    KuznyechikCtrAcpkmOmac,
    /// id-tc26-cipher-gostr3412-2015-magma-ctracpkm, 1.2.643.7.1.1.5.1.1.
    MagmaCtrAcpkm,
    /// id-tc26-cipher-gostr3412-2015-magma-ctracpkm-omac, 1.2.643.7.1.1.5.1.2.
    MagmaCtrAcpkmOmac,
}

impl ContentCipher {
    /// All four, for lookups by OID.
    pub const ALL: [Self; 4] = [
        Self::KuznyechikCtrAcpkm,
        Self::KuznyechikCtrAcpkmOmac,
        Self::MagmaCtrAcpkm,
        Self::MagmaCtrAcpkmOmac,
    ];

    /// The algorithm OID, dotted.
    pub const fn oid(self) -> &'static str {
        match self {
            Self::KuznyechikCtrAcpkm => "1.2.643.7.1.1.5.2.1",
            Self::KuznyechikCtrAcpkmOmac => "1.2.643.7.1.1.5.2.2",
            Self::MagmaCtrAcpkm => "1.2.643.7.1.1.5.1.1",
            Self::MagmaCtrAcpkmOmac => "1.2.643.7.1.1.5.1.2",
        }
    }

    /// The algorithm with this dotted OID, if it is one of these.
    pub fn from_oid(oid: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.oid() == oid)
    }

    /// The block cipher.
    pub const fn block_cipher(self) -> BlockCipher {
        match self {
            Self::KuznyechikCtrAcpkm | Self::KuznyechikCtrAcpkmOmac => BlockCipher::Kuznyechik,
            Self::MagmaCtrAcpkm | Self::MagmaCtrAcpkmOmac => BlockCipher::Magma,
        }
    }

    /// Whether the content carries an OMAC tag.
    pub const fn is_authenticated(self) -> bool {
        matches!(self, Self::KuznyechikCtrAcpkmOmac | Self::MagmaCtrAcpkmOmac)
    }

    /// Length of the tag (one block), for the authenticated modes.
    pub const fn tag_len(self) -> Option<usize> {
        if self.is_authenticated() {
            Some(self.block_cipher().block_len())
        } else {
            None
        }
    }

    /// Length of the `ukm` parameter: IV (`n/2`) plus the 8-byte KDF seed (12 or 16).
    pub const fn ukm_len(self) -> usize {
        self.block_cipher().iv_len() + KDF_SEED_LEN
    }

    /// The ACPKM section length in CMS: 256 KiB for Kuznyechik, 8 KiB for Magma (the values
    /// gost-engine sets from CMS parameters; see the crate docs for the doubt about them).
    pub const fn section_len(self) -> usize {
        match self.block_cipher() {
            BlockCipher::Kuznyechik => 256 * 1024,
            BlockCipher::Magma => 8 * 1024,
        }
    }

    /// The keystream and, for the `-omac` modes, the MAC, from the CEK and the `ukm`.
    fn start(self, cek: &SecretKey, ukm: &[u8], section_len: usize) -> Result<Engine> {
        if ukm.len() != self.ukm_len() {
            return Err(Error::length(
                "content-encryption UKM (IV ‖ seed)",
                ukm.len(),
                self.ukm_len().to_string(),
            ));
        }
        let cipher = self.block_cipher();
        let (iv, seed) = ukm.split_at(cipher.iv_len());
        if !self.is_authenticated() {
            return Ok(Engine {
                mode: self,
                ctr: CtrAcpkm::new(cipher, cek, iv, section_len)?,
                mac: None,
            });
        }
        let keys = kdf_tree_256(cek.as_bytes(), b"kdf tree", seed, 1, 64)?;
        let (enc, mac) = keys.split_at(32);
        let enc = SecretKey::from_slice(enc)?;
        let mac = SecretKey::from_slice(mac)?;
        Ok(Engine {
            mode: self,
            ctr: CtrAcpkm::new(cipher, &enc, iv, section_len)?,
            mac: Some(Omac::new(cipher, &mac)),
        })
    }
}

/// The keystream and the MAC of one message.
#[derive(Debug)]
struct Engine {
    mode: ContentCipher,
    ctr: CtrAcpkm,
    mac: Option<Omac>,
}

/// Encrypts CMS content piece by piece, in place, with constant memory.
///
/// ```
/// use keycarrier_gost_cipher::{decrypt, ContentCipher, ContentEncryptor, SecretKey};
///
/// let cek = SecretKey::from_array([4; 32]);
/// let ukm = [1u8; 12]; // IV ‖ seed, fresh random bytes for every message
/// let mode = ContentCipher::MagmaCtrAcpkmOmac;
/// let mut enc = ContentEncryptor::new(mode, &cek, &ukm)?;
/// let mut data = b"payment order 42".to_vec();
/// enc.encrypt(&mut data);
/// let tag = enc.finish();
/// let plain = decrypt(mode, &cek, &ukm, &data, tag.as_deref())?;
/// assert_eq!(plain.as_slice(), b"payment order 42");
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
#[derive(Debug)]
pub struct ContentEncryptor(Engine);

impl ContentEncryptor {
    /// Starts encryption with the CEK and the `ukm` (IV ‖ seed, [`ContentCipher::ukm_len`]
    /// bytes) that go into the algorithm parameters, with the CMS section length.
    pub fn new(mode: ContentCipher, cek: &SecretKey, ukm: &[u8]) -> Result<Self> {
        Self::with_section_len(mode, cek, ukm, mode.section_len())
    }

    /// The same with another ACPKM section length (a multiple of the block length), for
    /// peers that use one (OpenSSL's gost engine 3.0.1 rekeys every 1 KiB / 4 KiB).
    pub fn with_section_len(
        mode: ContentCipher,
        cek: &SecretKey,
        ukm: &[u8],
        section_len: usize,
    ) -> Result<Self> {
        Ok(Self(mode.start(cek, ukm, section_len)?))
    }

    /// Encrypts the next piece of content in place.
    pub fn encrypt(&mut self, data: &mut [u8]) {
        if let Some(mac) = &mut self.0.mac {
            mac.update(data);
        }
        self.0.ctr.apply_keystream(data);
    }

    /// Ends the message: the encrypted tag for the `-omac` modes (it goes into the
    /// unprotected attribute 1.2.643.7.1.0.6.1.1), `None` for the others.
    pub fn finish(self) -> Option<Vec<u8>> {
        let Engine { mut ctr, mac, .. } = self.0;
        mac.map(|mac| {
            let mut tag = mac.finalize();
            ctr.apply_keystream(&mut tag);
            tag
        })
    }
}

/// Decrypts CMS content piece by piece. See the module docs for the contract: plaintext from
/// [`ContentDecryptor::decrypt_unauthenticated`] is not authentic until
/// [`ContentDecryptor::finish`] returns `Ok`.
#[derive(Debug)]
pub struct ContentDecryptor(Engine);

impl ContentDecryptor {
    /// Starts decryption with the CEK and the `ukm` of the algorithm parameters.
    pub fn new(mode: ContentCipher, cek: &SecretKey, ukm: &[u8]) -> Result<Self> {
        Self::with_section_len(mode, cek, ukm, mode.section_len())
    }

    /// The same with another ACPKM section length.
    pub fn with_section_len(
        mode: ContentCipher,
        cek: &SecretKey,
        ukm: &[u8],
        section_len: usize,
    ) -> Result<Self> {
        Ok(Self(mode.start(cek, ukm, section_len)?))
    }

    /// Decrypts the next piece in place. **The plaintext is unauthenticated**: for the `-omac`
    /// modes it may have been altered, which only [`ContentDecryptor::finish`] detects; do not
    /// act on it, show it or pass it on as final before that.
    pub fn decrypt_unauthenticated(&mut self, data: &mut [u8]) {
        self.0.ctr.apply_keystream(data);
        if let Some(mac) = &mut self.0.mac {
            mac.update(data);
        }
    }

    /// Ends the message and checks the tag (constant time): `tag` is the unprotected
    /// attribute's value for the `-omac` modes and must be `None` for the others.
    pub fn finish(self, tag: Option<&[u8]>) -> Result<()> {
        let Engine {
            mode, mut ctr, mac, ..
        } = self.0;
        match (mac, tag) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(Error::Tag("this content-encryption mode has no tag")),
            (Some(_), None) => Err(Error::Tag(
                "the content tag (attribute 1.2.643.7.1.0.6.1.1) is missing",
            )),
            (Some(mac), Some(tag)) => {
                let n = mode.block_cipher().block_len();
                if tag.len() != n {
                    return Err(Error::length("content tag", tag.len(), n.to_string()));
                }
                let mut expected = tag.to_vec();
                ctr.apply_keystream(&mut expected);
                let mut computed = mac.finalize();
                let ok = bool::from(computed.as_slice().ct_eq(&expected));
                computed.zeroize();
                expected.zeroize();
                if ok {
                    Ok(())
                } else {
                    Err(Error::Integrity {
                        what: "encrypted content (OMAC tag)",
                    })
                }
            }
        }
    }
}

/// Decrypts a whole message and returns the plaintext only after the tag verified (for the
/// `-omac` modes; the others have no integrity protection at all).
pub fn decrypt(
    mode: ContentCipher,
    cek: &SecretKey,
    ukm: &[u8],
    ciphertext: &[u8],
    tag: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut dec = ContentDecryptor::new(mode, cek, ukm)?;
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    dec.decrypt_unauthenticated(&mut plain);
    dec.finish(tag)?;
    Ok(plain)
}
