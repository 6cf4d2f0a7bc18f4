//! Operations: C_SignInit / C_Sign…, C_VerifyInit / C_Verify…, C_DigestInit / C_Digest…,
//! C_GenerateRandom. Signing and verification finish outside the module lock ([`super::sign`],
//! [`super::verify`]).

use std::sync::Arc;

use cryptoki_sys::*;
use soft_token::objects::KC_SPKI;

use super::{DigestOp, Module, Out, Prepared, SignOp, VerifyOp};
use crate::errors::{R, ck};
use crate::mech::{self, DigestMech, PssParams, SignMech};

impl Module {
    /// C_SignInit.
    pub(crate) fn sign_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        pss: Option<PssParams>,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.sign.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let mech = SignMech::from_ck(mechanism, pss)?;
        if !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        // The hot path of signing: read the few attributes in place (no copy of the object),
        // take the signature length from the parsed key (cached by the token), not its SPKI.
        let (class, key_type, can_sign) = self
            .with_object(h, key, |o| {
                (o.ulong(CKA_CLASS), o.ulong(CKA_KEY_TYPE), o.flag(CKA_SIGN))
            })
            .map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        if class != Some(CKO_PRIVATE_KEY) || !mech.fits(key_type.unwrap_or(u64::MAX)) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        if can_sign != Some(true) {
            return Err(CKR_KEY_FUNCTION_NOT_PERMITTED);
        }
        let key = match self.session_object(h, key)? {
            Some(o) => o
                .secret
                .as_ref()
                .map(|s| Arc::clone(&s.key))
                .ok_or(CKR_KEY_HANDLE_INVALID)?,
            None => ck(self.token(h)?.private_key(key))?,
        };
        let sig_len = key.signature_len();
        self.session_mut(h)?.sign = Some(SignOp {
            mech,
            key,
            sig_len,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    fn sign_op(&mut self, h: CK_SESSION_HANDLE) -> R<&mut SignOp> {
        self.session_mut(h)?
            .sign
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// Finishes a sign operation under the module lock: size query and buffer check, or the
    /// operation taken out of the session, ready to sign outside the lock ([`sign`]).
    fn sign_finish(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        let op = self.sign_op(h)?;
        let (mech, sig_len) = (op.mech, op.sig_len);
        if let Some(data) = data {
            if op.updated {
                return Err(CKR_OPERATION_ACTIVE);
            }
            if let Err(e) = mech.check_input(data.len(), sig_len) {
                self.session_mut(h)?.sign = None;
                return Err(e);
            }
        }
        match cap {
            None => return Ok(Prepared::Done(Out::Len(sig_len))),
            Some(c) if c < sig_len => return Ok(Prepared::Done(Out::TooSmall(sig_len))),
            Some(_) => {}
        }
        self.session_mut(h)?
            .sign
            .take()
            .map(Prepared::Run)
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// C_Sign, under the lock (see [`sign`]).
    pub(super) fn sign_prepare(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: &[u8],
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        self.sign_finish(h, Some(data), cap)
    }

    /// C_SignUpdate.
    pub(crate) fn sign_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let op = self.sign_op(h)?;
        if !op.mech.multipart() {
            self.session_mut(h)?.sign = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_SignFinal, under the lock (see [`sign_final`]).
    pub(super) fn sign_final_prepare(
        &mut self,
        h: CK_SESSION_HANDLE,
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        let op = self.sign_op(h)?;
        if !op.mech.multipart() {
            self.session_mut(h)?.sign = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        self.sign_finish(h, None, cap)
    }

    /// C_VerifyInit: with a public key object (or a private key object's public half).
    pub(crate) fn verify_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        pss: Option<PssParams>,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.verify.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let mech = SignMech::from_ck(mechanism, pss)?;
        let obj = self.object(h, key).map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        let class = obj.ulong(CKA_CLASS);
        if class != Some(CKO_PUBLIC_KEY) && class != Some(CKO_PRIVATE_KEY) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        if !mech.fits(obj.ulong(CKA_KEY_TYPE).unwrap_or(u64::MAX)) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        let spki = obj
            .clear_value(KC_SPKI)
            .ok_or(CKR_KEY_HANDLE_INVALID)?
            .to_vec();
        let sig_len = mech::signature_len(&spki)?;
        self.session_mut(h)?.verify = Some(VerifyOp {
            mech,
            spki,
            sig_len,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    /// C_Verify / C_VerifyFinal under the lock: the operation taken out of the session, to be
    /// checked outside the lock ([`verify`]).
    pub(super) fn verify_take(&mut self, h: CK_SESSION_HANDLE, data: Option<&[u8]>) -> R<VerifyOp> {
        let op = self
            .session_mut(h)?
            .verify
            .take()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        match data {
            Some(d) => {
                if op.updated {
                    return Err(CKR_OPERATION_ACTIVE);
                }
                op.mech.check_input(d.len(), op.sig_len)?;
            }
            None => {
                if !op.mech.multipart() {
                    return Err(CKR_FUNCTION_NOT_SUPPORTED);
                }
            }
        }
        Ok(op)
    }

    /// C_VerifyUpdate.
    pub(crate) fn verify_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let s = self.session_mut(h)?;
        let op = s.verify.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        if !op.mech.multipart() {
            s.verify = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_DigestInit.
    pub(crate) fn digest_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
    ) -> R<()> {
        let s = self.session_mut(h)?;
        if s.digest.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        s.digest = Some(DigestOp {
            mech: DigestMech::from_ck(mechanism)?,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    /// C_Digest (`data` = Some) and C_DigestFinal (`data` = None).
    pub(crate) fn digest(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let op = s.digest.as_ref().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        if data.is_some() && op.updated {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let len = op.mech.len();
        match cap {
            None => return Ok(Out::Len(len)),
            Some(c) if c < len => return Ok(Out::TooSmall(len)),
            Some(_) => {}
        }
        let op = s.digest.take().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        Ok(Out::Data(op.mech.digest(data.unwrap_or(&op.data))))
    }

    /// C_DigestUpdate.
    pub(crate) fn digest_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let op = self
            .session_mut(h)?
            .digest
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_GenerateRandom.
    pub(crate) fn random(&self, h: CK_SESSION_HANDLE, out: &mut [u8]) -> R<()> {
        self.session(h)?;
        getrandom::fill(out).map_err(|_| CKR_DEVICE_ERROR)
    }
}
