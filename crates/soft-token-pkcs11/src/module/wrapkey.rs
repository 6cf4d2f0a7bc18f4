//! C_WrapKey and C_UnwrapKey with secret keys (`crate::wrap`: KExp15 / KImp15 and the
//! CryptoPro key wrap). The unwrapped key becomes a session secret-key object like a derived
//! one; a MAC that does not verify makes none (`CKR_WRAPPED_KEY_INVALID`).

use cryptoki_sys::*;

use super::{Module, Out};
use crate::attributes::Attr;
use crate::crypt::RawParam;
use crate::errors::R;
use crate::secret_key::{ValueSource, permits, sbox_of, secret_key_attributes};
use crate::wrap::{WrapMech, kek_fits};

/// The length of every key these mechanisms wrap.
const WRAPPED_KEY_VALUE_LEN: usize = 32;

impl Module {
    /// C_WrapKey: `key` (a 32-byte extractable secret key) wrapped under `wrapping`.
    pub(crate) fn wrap_key(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        wrapping: CK_OBJECT_HANDLE,
        key: CK_OBJECT_HANDLE,
        cap: Option<usize>,
    ) -> R<Out> {
        self.session(h)?;
        let kek = self.secret_key_ref(
            h,
            wrapping,
            CKR_WRAPPING_KEY_HANDLE_INVALID,
            CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        )?;
        let target = self.secret_key_ref(h, key, CKR_KEY_HANDLE_INVALID, CKR_KEY_NOT_WRAPPABLE)?;
        match kek_fits(mechanism, kek.key_type, kek.value.len()) {
            None => return Err(CKR_MECHANISM_INVALID),
            Some(false) => return Err(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
            Some(true) => {}
        }
        permits(&kek.obj, CKA_WRAP)?;
        let mech = WrapMech::from_ck(mechanism, param)?;
        if target.value.len() != WRAPPED_KEY_VALUE_LEN {
            return Err(CKR_KEY_NOT_WRAPPABLE);
        }
        if target.obj.flag(CKA_EXTRACTABLE) != Some(true) {
            return Err(CKR_KEY_UNEXTRACTABLE);
        }
        let len = mech.wrapped_len();
        match cap {
            None => return Ok(Out::Len(len)),
            Some(c) if c < len => return Ok(Out::TooSmall(len)),
            Some(_) => {}
        }
        let sbox = sbox_of(&kek.obj)?;
        mech.wrap(&kek.value, sbox, &target.value).map(Out::Data)
    }

    /// C_UnwrapKey: a new session secret key from `wrapped`; returns its handle.
    pub(crate) fn unwrap_key(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        unwrapping: CK_OBJECT_HANDLE,
        wrapped: &[u8],
        template: &[Attr],
    ) -> R<CK_OBJECT_HANDLE> {
        self.session(h)?;
        let kek = self.secret_key_ref(
            h,
            unwrapping,
            CKR_UNWRAPPING_KEY_HANDLE_INVALID,
            CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
        )?;
        match kek_fits(mechanism, kek.key_type, kek.value.len()) {
            None => return Err(CKR_MECHANISM_INVALID),
            Some(false) => return Err(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
            Some(true) => {}
        }
        permits(&kek.obj, CKA_UNWRAP)?;
        let mech = WrapMech::from_ck(mechanism, param)?;
        let (attrs, _) = secret_key_attributes(
            template,
            mech.default_key_type(),
            WRAPPED_KEY_VALUE_LEN,
            ValueSource::Mechanism,
        )?;
        let private = attrs
            .iter()
            .any(|a| a.kind() == CKA_PRIVATE && a.clear_value().is_some_and(|v| v != [0]));
        self.check_writable(h, false, private)?;
        let sbox = sbox_of(&kek.obj)?;
        let value = mech.unwrap(&kek.value, sbox, wrapped)?;
        self.add_secret_key(h, attrs, value)
    }
}
