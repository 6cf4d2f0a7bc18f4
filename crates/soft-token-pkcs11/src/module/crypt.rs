//! Encryption and decryption: C_EncryptInit / C_Encrypt with an RSA public key object,
//! C_DecryptInit / C_Decrypt with an RSA private key (flow U17, opening RSA key transport),
//! single-part only (the mechanisms are single-part in PKCS#11 v2.40 §2.1.6–2.1.8). The
//! symmetric mechanisms with secret keys are handed to `symcrypt`.

use std::sync::Arc;

use cryptoki_sys::*;
use rsa::RsaPublicKey;
use rsa::traits::PublicKeyParts;
use soft_token::objects::{KC_SPKI, PrivateKey};
use zeroize::Zeroizing;

use super::{Module, Out};
use crate::crypt::{CryptMech, RawParam, rsa_public};
use crate::errors::{R, ck};
use crate::symmetric;

/// The key of an active encryption or decryption.
pub(super) enum CryptKey {
    /// C_EncryptInit: the public key.
    Public(Box<RsaPublicKey>),
    /// C_DecryptInit: the token's private key.
    Private(Arc<PrivateKey>),
}

/// An active C_EncryptInit / C_DecryptInit: RSA with a key object's key pair, or a symmetric
/// mechanism with a secret key (`symcrypt`).
pub(super) enum CryptOp {
    /// RSA.
    Rsa(RsaOp),
    /// A symmetric mechanism.
    Sym(super::symcrypt::SymOp),
}

/// An active RSA encryption or decryption.
pub(super) struct RsaOp {
    mech: CryptMech,
    key: CryptKey,
    /// The modulus' length in bytes: the ciphertext's length.
    k: usize,
}

impl Module {
    /// C_EncryptInit: with an RSA public key object (any session, no login needed for a
    /// public object).
    pub(crate) fn encrypt_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.encrypt.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        if symmetric::key_type_for(mechanism).is_some() {
            let op = self.sym_init(h, true, mechanism, param, key)?;
            self.session_mut(h)?.encrypt = Some(CryptOp::Sym(op));
            return Ok(());
        }
        let mech = CryptMech::from_ck(mechanism, param)?;
        let obj = self.object(h, key).map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        if obj.ulong(CKA_CLASS) != Some(CKO_PUBLIC_KEY) || obj.ulong(CKA_KEY_TYPE) != Some(CKK_RSA)
        {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        let public = rsa_public(obj.clear_value(KC_SPKI).ok_or(CKR_KEY_HANDLE_INVALID)?)?;
        let k = public.size();
        self.session_mut(h)?.encrypt = Some(CryptOp::Rsa(RsaOp {
            mech,
            key: CryptKey::Public(Box::new(public)),
            k,
        }));
        Ok(())
    }

    /// C_Encrypt. The output is always the modulus' length.
    pub(crate) fn encrypt(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: &[u8],
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let op = match s.encrypt.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)? {
            CryptOp::Sym(op) => {
                let r = op.single(data, cap);
                return super::symcrypt::settle(&mut s.encrypt, r);
            }
            CryptOp::Rsa(op) => op,
        };
        match cap {
            None => return Ok(Out::Len(op.k)),
            Some(c) if c < op.k => return Ok(Out::TooSmall(op.k)),
            Some(_) => {}
        }
        // Anything but a length answer ends the operation (PKCS#11 v2.40 §5.8).
        let Some(CryptOp::Rsa(op)) = s.encrypt.take() else {
            return Err(CKR_OPERATION_NOT_INITIALIZED);
        };
        match &op.key {
            CryptKey::Public(public) => op.mech.encrypt(public, data).map(Out::Data),
            CryptKey::Private(_) => Err(CKR_GENERAL_ERROR),
        }
    }

    /// C_DecryptInit: the user must be logged in (private key use), the key an RSA private
    /// key.
    pub(crate) fn decrypt_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.decrypt.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        if symmetric::key_type_for(mechanism).is_some() {
            let op = self.sym_init(h, false, mechanism, param, key)?;
            self.session_mut(h)?.decrypt = Some(CryptOp::Sym(op));
            return Ok(());
        }
        let mech = CryptMech::from_ck(mechanism, param)?;
        if !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        let (class, key_type) = self
            .with_object(h, key, |o| (o.ulong(CKA_CLASS), o.ulong(CKA_KEY_TYPE)))
            .map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        if class != Some(CKO_PRIVATE_KEY) || key_type != Some(CKK_RSA) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        let private = self.private_key_of(h, key)?;
        let k = private.signature_len();
        self.session_mut(h)?.decrypt = Some(CryptOp::Rsa(RsaOp {
            mech,
            key: CryptKey::Private(private),
            k,
        }));
        Ok(())
    }

    /// The parsed private key behind a (token or session) private key object.
    pub(super) fn private_key_of(
        &self,
        h: CK_SESSION_HANDLE,
        key: CK_OBJECT_HANDLE,
    ) -> R<Arc<PrivateKey>> {
        match self.session_object(h, key)? {
            Some(o) => o
                .secret
                .as_ref()
                .map(|s| Arc::clone(&s.key))
                .ok_or(CKR_KEY_HANDLE_INVALID),
            None => ck(self.token(h)?.private_key(key)),
        }
    }

    /// C_Decrypt. A NULL buffer gets the modulus' length (an upper bound, as PKCS#11 allows);
    /// a buffer too small for the actual plaintext gets `CKR_BUFFER_TOO_SMALL` with its
    /// length, the operation staying active; any other failure ends it.
    pub(crate) fn decrypt(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: &[u8],
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let op = match s.decrypt.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)? {
            CryptOp::Sym(op) => {
                let r = op.single(data, cap);
                return super::symcrypt::settle(&mut s.decrypt, r);
            }
            CryptOp::Rsa(op) => op,
        };
        let Some(cap) = cap else {
            return Ok(Out::Len(op.k));
        };
        let result = match &op.key {
            CryptKey::Private(key) => op.mech.decrypt(key, op.k, data),
            CryptKey::Public(_) => Err(CKR_GENERAL_ERROR),
        };
        match result {
            Ok(plain) if plain.len() > cap => Ok(Out::TooSmall(plain.len())),
            Ok(plain) => {
                s.decrypt = None;
                Ok(Out::Secret(Zeroizing::new(plain.expose().to_vec())))
            }
            Err(e) => {
                s.decrypt = None;
                Err(e)
            }
        }
    }
}
