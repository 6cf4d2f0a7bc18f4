//! Symmetric encryption and decryption with secret-key objects: C_EncryptInit / C_Encrypt /
//! C_EncryptUpdate / C_EncryptFinal and the same for decryption, with the mechanisms of
//! `crate::symmetric` (Kuznyechik and Magma CTR-ACPKM, GOST 28147-89 CFB, AES-CBC-PAD).
//!
//! Return values as PKCS#11 v2.40 §5.8–5.9 want them: C_*Init checks the key handle
//! (`CKR_KEY_HANDLE_INVALID`), its type (`CKR_KEY_TYPE_INCONSISTENT`), its usage
//! (`CKR_KEY_FUNCTION_NOT_PERMITTED`) and then the parameter (`CKR_MECHANISM_PARAM_INVALID`).
//! A NULL output buffer gets the output length and `CKR_BUFFER_TOO_SMALL` a buffer too small,
//! both leaving the operation as it was (nothing is consumed); anything else ends a single-part
//! or final call, and every error ends the operation.

use cryptoki_sys::*;
use zeroize::Zeroizing;

use super::crypt::CryptOp;
use super::{Module, Out};
use crate::crypt::RawParam;
use crate::errors::R;
use crate::secret_key::{permits, sbox_of};
use crate::symmetric::{SymCipher, SymMech, key_type_for};

/// An active symmetric encryption or decryption.
pub(crate) struct SymOp {
    cipher: SymCipher,
    encrypt: bool,
    /// C_*Update was called: single-part C_Encrypt / C_Decrypt is no longer allowed.
    updated: bool,
}

/// What a call leaves behind.
pub(super) enum Step {
    /// The operation goes on (a length answer, a buffer too small, an update).
    Keep(Out),
    /// The operation is over.
    End(Out),
}

/// Applies a call's outcome to the session's operation slot: an end or an error removes it.
pub(super) fn settle(slot: &mut Option<CryptOp>, r: R<Step>) -> R<Out> {
    match r {
        Ok(Step::Keep(out)) => Ok(out),
        Ok(Step::End(out)) => {
            *slot = None;
            Ok(out)
        }
        Err(e) => {
            *slot = None;
            Err(e)
        }
    }
}

impl SymOp {
    /// Runs `data` through the cipher, and the final step when `last`; answers length
    /// queries and small buffers without changing the state.
    fn run(&mut self, data: &[u8], last: bool, cap: Option<usize>) -> R<Step> {
        let done = |out: Zeroizing<Vec<u8>>| {
            if last {
                Step::End(Out::Secret(out))
            } else {
                Step::Keep(Out::Secret(out))
            }
        };
        let Some(mut trial) = self.cipher.try_clone() else {
            // A stream cipher: as many bytes out as in, and no final output.
            let n = data.len();
            return Ok(match cap {
                None => Step::Keep(Out::Len(n)),
                Some(c) if c < n => Step::Keep(Out::TooSmall(n)),
                Some(_) => done(self.cipher.update(data)),
            });
        };
        if cap.is_none() && last && !self.encrypt {
            // The padding is known only once decrypted: an upper bound, as PKCS#11 allows.
            let bound = trial.final_len().saturating_add(data.len());
            return Ok(Step::Keep(Out::Len(bound)));
        }
        let mut out = trial.update(data);
        if last {
            out.extend_from_slice(&trial.finish()?);
        }
        Ok(match cap {
            None => Step::Keep(Out::Len(out.len())),
            Some(c) if c < out.len() => Step::Keep(Out::TooSmall(out.len())),
            Some(_) => {
                self.cipher = trial;
                done(out)
            }
        })
    }

    /// C_Encrypt / C_Decrypt.
    pub(super) fn single(&mut self, data: &[u8], cap: Option<usize>) -> R<Step> {
        if self.updated {
            return Err(CKR_OPERATION_ACTIVE);
        }
        self.run(data, true, cap)
    }

    /// C_EncryptUpdate / C_DecryptUpdate.
    fn update(&mut self, data: &[u8], cap: Option<usize>) -> R<Step> {
        let step = self.run(data, false, cap)?;
        if let Step::Keep(Out::Secret(_)) = step {
            self.updated = true;
        }
        Ok(step)
    }
}

impl Module {
    /// C_EncryptInit / C_DecryptInit with a symmetric mechanism and a secret key.
    pub(super) fn sym_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        encrypt: bool,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        key: CK_OBJECT_HANDLE,
    ) -> R<SymOp> {
        let wanted = key_type_for(mechanism).ok_or(CKR_MECHANISM_INVALID)?;
        let k = self.secret_key_ref(h, key, CKR_KEY_HANDLE_INVALID, CKR_KEY_TYPE_INCONSISTENT)?;
        if k.key_type != wanted {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        permits(&k.obj, if encrypt { CKA_ENCRYPT } else { CKA_DECRYPT })?;
        let mech = SymMech::from_ck(mechanism, param)?;
        let sbox = sbox_of(&k.obj)?;
        Ok(SymOp {
            cipher: SymCipher::new(&mech, &k.value, sbox, encrypt)?,
            encrypt,
            updated: false,
        })
    }

    /// C_EncryptUpdate (`encrypt`) / C_DecryptUpdate: symmetric operations only (an RSA one
    /// is single-part: `CKR_FUNCTION_NOT_SUPPORTED`, which ends it).
    pub(crate) fn crypt_update(
        &mut self,
        h: CK_SESSION_HANDLE,
        encrypt: bool,
        data: &[u8],
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let slot = if encrypt {
            &mut s.encrypt
        } else {
            &mut s.decrypt
        };
        let r = match slot.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)? {
            CryptOp::Sym(op) => op.update(data, cap),
            CryptOp::Rsa(_) => Err(CKR_FUNCTION_NOT_SUPPORTED),
        };
        settle(slot, r)
    }

    /// C_EncryptFinal / C_DecryptFinal.
    pub(crate) fn crypt_final(
        &mut self,
        h: CK_SESSION_HANDLE,
        encrypt: bool,
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let slot = if encrypt {
            &mut s.encrypt
        } else {
            &mut s.decrypt
        };
        let r = match slot.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)? {
            CryptOp::Sym(op) => op.run(&[], true, cap),
            CryptOp::Rsa(_) => Err(CKR_FUNCTION_NOT_SUPPORTED),
        };
        settle(slot, r)
    }
}
