//! Key wrapping with secret keys (C_WrapKey / C_UnwrapKey), as GOST tokens offer it:
//!
//! * `CKM_KUZNYECHIK_KEXP_15_WRAP` / `CKM_MAGMA_KEXP_15_WRAP`: KExp15 / KImp15 of
//!   R 1323565.1.017-2018 (RFC 9189 §8.2.2). The wrapping key is a 64-byte export key
//!   `K_mac ‖ K_enc` (KEG's output; CKK_KUZNYECHIK_TWIN_KEY / CKK_MAGMA_TWIN_KEY, or a 64-byte
//!   CKK_GENERIC_SECRET); the parameter is the IV of n/2 bytes (8 / 4), as in Rutoken's
//!   samples. A 32-byte key wraps to 48 / 40 bytes.
//! * `CKM_GOST28147_KEY_WRAP`: the CryptoPro key wrap of RFC 4357 §6.3 (the KEK diversified
//!   with the UKM, §6.5, then the GOST 28147-89 key wrap) under a 32-byte KEK (CKK_GOST28147,
//!   its S-box from CKA_GOST28147_PARAMS, or a 32-byte CKK_GENERIC_SECRET such as a VKO output,
//!   with CryptoPro-A). The parameter is the 8-byte UKM; the wrapped form is
//!   `UKM ‖ encrypted key ‖ MAC` (44 bytes, what RFC 4490 CMS carries). Wrapping without a
//!   parameter uses a random UKM; unwrapping with one requires it to be the wrapped key's.
//!
//! A MAC that does not verify is `CKR_WRAPPED_KEY_INVALID`, and no key is made.

use cryptoki_sys::*;
use gost_cipher::gost89::{self, Gost89Sbox};
use gost_cipher::{BlockCipher, ExportKeys, SecretKey, kexp15, kimp15, wrapped_len};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::consts::{
    CKK_KUZNYECHIK, CKK_KUZNYECHIK_TWIN_KEY, CKK_MAGMA, CKK_MAGMA_TWIN_KEY,
    CKM_KUZNYECHIK_KEXP_15_WRAP, CKM_MAGMA_KEXP_15_WRAP,
};
use crate::crypt::RawParam;
use crate::errors::R;

/// The wrapping mechanisms, for C_GetMechanismList.
pub(crate) const WRAPPING: [CK_MECHANISM_TYPE; 3] = [
    CKM_KUZNYECHIK_KEXP_15_WRAP,
    CKM_MAGMA_KEXP_15_WRAP,
    CKM_GOST28147_KEY_WRAP,
];

/// A wrapping mechanism with its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WrapMech {
    /// KExp15 / KImp15.
    Kexp15 {
        /// Kuznyechik or Magma.
        cipher: BlockCipher,
        /// The IV, n/2 bytes.
        iv: Vec<u8>,
    },
    /// The CryptoPro key wrap.
    CryptoPro {
        /// The UKM, if given.
        ukm: Option<[u8; 8]>,
    },
}

/// Whether a wrapping key of type `key_type` and `len` bytes fits `mech` (one of
/// [`WRAPPING`]); `None` if `mech` is not a wrapping mechanism.
pub(crate) fn kek_fits(mech: CK_MECHANISM_TYPE, key_type: CK_KEY_TYPE, len: usize) -> Option<bool> {
    Some(match mech {
        CKM_KUZNYECHIK_KEXP_15_WRAP => {
            key_type == CKK_KUZNYECHIK_TWIN_KEY || (key_type == CKK_GENERIC_SECRET && len == 64)
        }
        CKM_MAGMA_KEXP_15_WRAP => {
            key_type == CKK_MAGMA_TWIN_KEY || (key_type == CKK_GENERIC_SECRET && len == 64)
        }
        CKM_GOST28147_KEY_WRAP => {
            key_type == CKK_GOST28147 || (key_type == CKK_GENERIC_SECRET && len == 32)
        }
        _ => return None,
    })
}

fn secret(value: &[u8]) -> R<SecretKey> {
    SecretKey::from_slice(value).map_err(|_| CKR_KEY_SIZE_RANGE)
}

impl WrapMech {
    /// The mechanism `mech` with its parameter judged.
    pub(crate) fn from_ck(mech: CK_MECHANISM_TYPE, param: &RawParam) -> R<Self> {
        let bytes: &[u8] = match param {
            RawParam::None => &[],
            RawParam::Bytes(b) => b,
            _ => return Err(CKR_MECHANISM_PARAM_INVALID),
        };
        let cipher = match mech {
            CKM_KUZNYECHIK_KEXP_15_WRAP => BlockCipher::Kuznyechik,
            CKM_MAGMA_KEXP_15_WRAP => BlockCipher::Magma,
            CKM_GOST28147_KEY_WRAP => {
                let ukm = match bytes {
                    [] => None,
                    b => Some(b.try_into().map_err(|_| CKR_MECHANISM_PARAM_INVALID)?),
                };
                return Ok(Self::CryptoPro { ukm });
            }
            _ => return Err(CKR_MECHANISM_INVALID),
        };
        if bytes.len() != cipher.iv_len() {
            return Err(CKR_MECHANISM_PARAM_INVALID);
        }
        Ok(Self::Kexp15 {
            cipher,
            iv: bytes.to_vec(),
        })
    }

    /// The key type an unwrapped key gets when the template names none.
    pub(crate) fn default_key_type(&self) -> CK_KEY_TYPE {
        match self {
            Self::Kexp15 {
                cipher: BlockCipher::Kuznyechik,
                ..
            } => CKK_KUZNYECHIK,
            Self::Kexp15 { .. } => CKK_MAGMA,
            Self::CryptoPro { .. } => CKK_GOST28147,
        }
    }

    /// The length of a wrapped key.
    pub(crate) fn wrapped_len(&self) -> usize {
        match self {
            Self::Kexp15 { cipher, .. } => wrapped_len(*cipher),
            Self::CryptoPro { .. } => gost89::WRAPPED_KEY_LEN,
        }
    }

    /// Wraps the 32-byte key `key` under `kek` (its length checked by [`kek_fits`]).
    pub(crate) fn wrap(&self, kek: &[u8], sbox: Gost89Sbox, key: &[u8]) -> R<Vec<u8>> {
        let key = secret(key)?;
        let r = match self {
            Self::Kexp15 { cipher, iv } => {
                let keys = ExportKeys::from_keg_output(kek).map_err(|_| CKR_GENERAL_ERROR)?;
                kexp15(*cipher, &key, &keys, iv)
            }
            Self::CryptoPro { ukm } => {
                let mut fresh = [0u8; 8];
                let ukm = match ukm {
                    Some(u) => *u,
                    None => {
                        getrandom::fill(&mut fresh).map_err(|_| CKR_DEVICE_ERROR)?;
                        fresh
                    }
                };
                gost89::cryptopro_key_wrap(sbox, &secret(kek)?, &ukm, &key)
            }
        };
        r.map_err(|_| CKR_GENERAL_ERROR)
    }

    /// Unwraps `wrapped` under `kek`: `CKR_WRAPPED_KEY_LEN_RANGE` for a wrong length,
    /// `CKR_WRAPPED_KEY_INVALID` when the MAC (or the UKM) does not match.
    pub(crate) fn unwrap(
        &self,
        kek: &[u8],
        sbox: Gost89Sbox,
        wrapped: &[u8],
    ) -> R<Zeroizing<Vec<u8>>> {
        if wrapped.len() != self.wrapped_len() {
            return Err(CKR_WRAPPED_KEY_LEN_RANGE);
        }
        let key = match self {
            Self::Kexp15 { cipher, iv } => {
                let keys = ExportKeys::from_keg_output(kek).map_err(|_| CKR_GENERAL_ERROR)?;
                kimp15(*cipher, wrapped, &keys, iv)
            }
            Self::CryptoPro { ukm } => {
                if let Some(u) = ukm {
                    let given = wrapped.get(..8).unwrap_or_default();
                    if !bool::from(given.ct_eq(u.as_slice())) {
                        return Err(CKR_WRAPPED_KEY_INVALID);
                    }
                }
                gost89::cryptopro_key_unwrap(sbox, &secret(kek)?, wrapped)
            }
        };
        let key = key.map_err(|_| CKR_WRAPPED_KEY_INVALID)?;
        Ok(Zeroizing::new(key.as_bytes().to_vec()))
    }
}
