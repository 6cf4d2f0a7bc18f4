//! KExp15 / KImp15 (R 1323565.1.017-2018 §4.2.3; RFC 9189 §8.2.2): export and import of a key
//! under a MAC key and an encryption key with Kuznyechik or Magma — the key wrap of the
//! `*-kexp15` algorithms in CMS (KeyTransRecipientInfo and KeyAgreeRecipientInfo) and TLS.
//!
//! `KExp15(K, K_mac, K_enc, IV) = CTR(K_enc, IV, K ‖ OMAC(K_mac, IV ‖ K))`, IV of `n/2` bytes,
//! plain CTR (no ACPKM). The wrapped key is `32 + n` bytes (40 for Magma, 48 for Kuznyechik).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::acpkm::CtrAcpkm;
use crate::block::BlockCipher;
use crate::error::{Error, Result};
use crate::key::SecretKey;
use crate::omac::Omac;

/// The two keys of KExp15/KImp15. KEG produces them as one 64-byte string
/// ([`ExportKeys::from_keg_output`]): `K_EXP_MAC ‖ K_EXP_ENC`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportKeys {
    /// `K_EXP_MAC`, the OMAC key.
    pub mac: SecretKey,
    /// `K_EXP_ENC`, the CTR key.
    pub enc: SecretKey,
}

impl ExportKeys {
    /// Splits a 64-byte KEG output: the first half is the MAC key, the second the
    /// encryption key (RFC 9189 §8.2.1; gost-engine does the same).
    pub fn from_keg_output(keg: &[u8]) -> Result<Self> {
        if keg.len() != 64 {
            return Err(Error::length("KEG output", keg.len(), "64"));
        }
        let (mac, enc) = keg.split_at(32);
        Ok(Self {
            mac: SecretKey::from_slice(mac)?,
            enc: SecretKey::from_slice(enc)?,
        })
    }
}

/// Length of a wrapped key: `32 + n`.
pub const fn wrapped_len(cipher: BlockCipher) -> usize {
    32 + cipher.block_len()
}

/// KExp15: wraps `key` (the content-encryption key) under `keys` with `iv` (`n/2` bytes).
///
/// ```
/// use keycarrier_gost_cipher::{kexp15, kimp15, BlockCipher, ExportKeys, SecretKey};
///
/// let keys = ExportKeys { mac: SecretKey::from_array([1; 32]), enc: SecretKey::from_array([2; 32]) };
/// let cek = SecretKey::from_array([3; 32]);
/// let wrapped = kexp15(BlockCipher::Magma, &cek, &keys, &[9, 9, 9, 9])?;
/// assert_eq!(wrapped.len(), 40);
/// assert_eq!(kimp15(BlockCipher::Magma, &wrapped, &keys, &[9, 9, 9, 9])?, cek);
/// let mut tampered = wrapped.clone();
/// tampered[0] ^= 1;
/// assert!(kimp15(BlockCipher::Magma, &tampered, &keys, &[9, 9, 9, 9]).is_err());
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub fn kexp15(
    cipher: BlockCipher,
    key: &SecretKey,
    keys: &ExportKeys,
    iv: &[u8],
) -> Result<Vec<u8>> {
    let mut ctr = CtrAcpkm::ctr(cipher, &keys.enc, iv)?;
    let mut mac = Omac::new(cipher, &keys.mac);
    mac.update(iv);
    mac.update(key.as_bytes());
    let mut out = Vec::with_capacity(wrapped_len(cipher));
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&mac.finalize());
    ctr.apply_keystream(&mut out);
    Ok(out)
}

/// KImp15: unwraps a key made by [`kexp15`]. The MAC is checked in constant time; a wrong
/// one gives [`Error::Integrity`] and no key.
pub fn kimp15(
    cipher: BlockCipher,
    wrapped: &[u8],
    keys: &ExportKeys,
    iv: &[u8],
) -> Result<SecretKey> {
    let expected = wrapped_len(cipher);
    if wrapped.len() != expected {
        return Err(Error::length(
            "wrapped key (KImp15)",
            wrapped.len(),
            expected.to_string(),
        ));
    }
    let mut ctr = CtrAcpkm::ctr(cipher, &keys.enc, iv)?;
    let mut plain = Zeroizing::new(wrapped.to_vec());
    ctr.apply_keystream(&mut plain);
    let (key, tag) = plain.split_at(32);
    let mut mac = Omac::new(cipher, &keys.mac);
    mac.update(iv);
    mac.update(key);
    let mut computed = mac.finalize();
    let ok = bool::from(computed.as_slice().ct_eq(tag));
    computed.zeroize();
    if !ok {
        return Err(Error::Integrity {
            what: "wrapped key (KImp15)",
        });
    }
    SecretKey::from_slice(key)
}
