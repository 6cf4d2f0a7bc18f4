//! Symmetric encryption with secret-key objects: the mechanisms, their parameters as GOST
//! tokens take them, and the streaming cipher state behind C_Encrypt* / C_Decrypt*.
//!
//! | mechanism | key type | parameter |
//! | --- | --- | --- |
//! | `CKM_KUZNYECHIK_CTR_ACPKM`, `CKM_MAGMA_CTR_ACPKM` | CKK_KUZNYECHIK, CKK_MAGMA | 4-byte big-endian section length in **bits** (0 = plain CTR, else a multiple of the block), then the IV of n/2 bytes (8 or 4) |
//! | `CKM_GOST28147` | CKK_GOST28147 | the 8-byte IV, or none (zero IV); CFB with CryptoPro key meshing, S-box from CKA_GOST28147_PARAMS |
//! | `CKM_AES_CBC_PAD` | CKK_AES | the 16-byte IV |
//!
//! The CTR-ACPKM parameter is laid out as Rutoken's samples build it (12 bytes for
//! Kuznyechik, 8 for Magma: a 4-byte section length, not a CK_ULONG) and read as Rutoken reads
//! it (big-endian, in bits), see the module's tests.

use cryptoki_sys::*;
use gost_cipher::gost89::{Gost89CfbDecryptor, Gost89CfbEncryptor, Gost89Sbox};
use gost_cipher::{BlockCipher, CtrAcpkm, SecretKey};
use zeroize::Zeroizing;

use crate::aes_cbc::AesCbcPad;
use crate::consts::{CKK_KUZNYECHIK, CKK_MAGMA, CKM_KUZNYECHIK_CTR_ACPKM, CKM_MAGMA_CTR_ACPKM};
use crate::crypt::RawParam;
use crate::errors::R;

/// The symmetric encryption mechanisms, for C_GetMechanismList.
pub(crate) const SYMMETRIC: [CK_MECHANISM_TYPE; 4] = [
    CKM_KUZNYECHIK_CTR_ACPKM,
    CKM_MAGMA_CTR_ACPKM,
    CKM_GOST28147,
    CKM_AES_CBC_PAD,
];

/// A symmetric mechanism with its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SymMech {
    /// Kuznyechik or Magma in CTR-ACPKM; `section` in bytes, `None` for plain CTR.
    CtrAcpkm {
        /// The block cipher.
        cipher: BlockCipher,
        /// The section length in bytes.
        section: Option<usize>,
        /// The IV, n/2 bytes.
        iv: Vec<u8>,
    },
    /// GOST 28147-89 CFB with CryptoPro key meshing.
    Gost28147 {
        /// The IV.
        iv: [u8; 8],
    },
    /// AES-CBC with PKCS#7 padding.
    AesCbcPad {
        /// The IV.
        iv: [u8; 16],
    },
}

/// The key type a symmetric mechanism works with; `None` if `mech` is not one.
pub(crate) fn key_type_for(mech: CK_MECHANISM_TYPE) -> Option<CK_KEY_TYPE> {
    match mech {
        CKM_KUZNYECHIK_CTR_ACPKM => Some(CKK_KUZNYECHIK),
        CKM_MAGMA_CTR_ACPKM => Some(CKK_MAGMA),
        CKM_GOST28147 => Some(CKK_GOST28147),
        CKM_AES_CBC_PAD => Some(CKK_AES),
        _ => None,
    }
}

fn param_bytes(param: &RawParam) -> R<&[u8]> {
    match param {
        RawParam::None => Ok(&[]),
        RawParam::Bytes(b) => Ok(b),
        _ => Err(CKR_MECHANISM_PARAM_INVALID),
    }
}

impl SymMech {
    /// The mechanism `mech` (one of [`SYMMETRIC`]) with its parameter judged.
    pub(crate) fn from_ck(mech: CK_MECHANISM_TYPE, param: &RawParam) -> R<Self> {
        let bytes = param_bytes(param)?;
        let bad = CKR_MECHANISM_PARAM_INVALID;
        match mech {
            CKM_KUZNYECHIK_CTR_ACPKM | CKM_MAGMA_CTR_ACPKM => {
                let cipher = if mech == CKM_KUZNYECHIK_CTR_ACPKM {
                    BlockCipher::Kuznyechik
                } else {
                    BlockCipher::Magma
                };
                let (len, iv) = bytes.split_at_checked(4).ok_or(bad)?;
                if iv.len() != cipher.iv_len() {
                    return Err(bad);
                }
                let bits: [u8; 4] = len.try_into().map_err(|_| bad)?;
                let bits = usize::try_from(u32::from_be_bytes(bits)).map_err(|_| bad)?;
                let block_bits = cipher.block_len() * 8;
                let section = match bits {
                    0 => None,
                    b if b.is_multiple_of(block_bits) => Some(b / 8),
                    _ => return Err(bad),
                };
                Ok(Self::CtrAcpkm {
                    cipher,
                    section,
                    iv: iv.to_vec(),
                })
            }
            CKM_GOST28147 => Ok(Self::Gost28147 {
                iv: match bytes {
                    [] => [0; 8],
                    b => b.try_into().map_err(|_| bad)?,
                },
            }),
            CKM_AES_CBC_PAD => Ok(Self::AesCbcPad {
                iv: bytes.try_into().map_err(|_| bad)?,
            }),
            _ => Err(CKR_MECHANISM_INVALID),
        }
    }
}

/// The state of a symmetric encryption or decryption in progress.
pub(crate) enum SymCipher {
    /// CTR / CTR-ACPKM (the same both ways).
    Ctr(CtrAcpkm),
    /// GOST 28147-89 CFB, encrypting.
    Gost89Encrypt(Gost89CfbEncryptor),
    /// GOST 28147-89 CFB, decrypting.
    Gost89Decrypt(Gost89CfbDecryptor),
    /// AES-CBC-PAD (either way).
    AesCbc(Box<AesCbcPad>),
}

impl SymCipher {
    /// Starts `mech` with the key `value` (its length checked against the key type before);
    /// `sbox` is the key's GOST 28147-89 S-box.
    pub(crate) fn new(mech: &SymMech, value: &[u8], sbox: Gost89Sbox, encrypt: bool) -> R<Self> {
        let bad_key = CKR_KEY_SIZE_RANGE;
        let gost_key = || SecretKey::from_slice(value).map_err(|_| bad_key);
        let bad = |_| CKR_MECHANISM_PARAM_INVALID;
        Ok(match mech {
            SymMech::CtrAcpkm {
                cipher,
                section: Some(n),
                iv,
            } => Self::Ctr(CtrAcpkm::new(*cipher, &gost_key()?, iv, *n).map_err(bad)?),
            SymMech::CtrAcpkm {
                cipher,
                section: None,
                iv,
            } => Self::Ctr(CtrAcpkm::ctr(*cipher, &gost_key()?, iv).map_err(bad)?),
            SymMech::Gost28147 { iv } if encrypt => {
                Self::Gost89Encrypt(Gost89CfbEncryptor::new(sbox, &gost_key()?, iv).map_err(bad)?)
            }
            SymMech::Gost28147 { iv } => {
                Self::Gost89Decrypt(Gost89CfbDecryptor::new(sbox, &gost_key()?, iv).map_err(bad)?)
            }
            SymMech::AesCbcPad { iv } => Self::AesCbc(Box::new(
                AesCbcPad::new(value, *iv, encrypt).ok_or(bad_key)?,
            )),
        })
    }

    /// The output length of the final call: exact, except for AES-CBC-PAD decryption, where
    /// it is an upper bound (the bytes held back, padding included).
    pub(crate) fn final_len(&self) -> usize {
        match self {
            Self::AesCbc(c) => c.final_len(),
            _ => 0,
        }
    }

    /// A copy of an AES-CBC-PAD state (to try the final call on).
    pub(crate) fn try_clone(&self) -> Option<Self> {
        match self {
            Self::AesCbc(c) => Some(Self::AesCbc(c.clone())),
            _ => None,
        }
    }

    /// Processes `data`; the output is [`Self::update_len`] bytes.
    pub(crate) fn update(&mut self, data: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(data.to_vec());
        match self {
            Self::Ctr(c) => c.apply_keystream(&mut out),
            Self::Gost89Encrypt(c) => c.encrypt(&mut out),
            Self::Gost89Decrypt(c) => c.decrypt(&mut out),
            Self::AesCbc(c) => return c.update(data),
        }
        out
    }

    /// The final call's output.
    pub(crate) fn finish(&mut self) -> R<Zeroizing<Vec<u8>>> {
        match self {
            Self::AesCbc(c) => c.finish(),
            _ => Ok(Zeroizing::new(Vec::new())),
        }
    }
}
