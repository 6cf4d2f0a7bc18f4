//! Secret-key objects in the module: C_CreateObject of a CKO_SECRET_KEY with its CKA_VALUE (a
//! session object, like derived and unwrapped keys), and the lookup of a secret key's value
//! for the operations that use it.

use cryptoki_sys::*;
use soft_token::objects::{StoredAttribute, StoredObject};
use zeroize::Zeroizing;

use super::Module;
use crate::attributes::{Attr, find_attr, template_bool, template_ulong};
use crate::errors::R;
use crate::secret_key::{ValueSource, length_fits, secret_key_attributes};

/// A secret key found for an operation: its attributes, type and value.
pub(super) struct SecretKeyRef {
    /// The attributes.
    pub(super) obj: StoredObject,
    /// CKA_KEY_TYPE.
    pub(super) key_type: CK_KEY_TYPE,
    /// CKA_VALUE.
    pub(super) value: Zeroizing<Vec<u8>>,
}

impl Module {
    /// C_CreateObject of a secret key: CKA_KEY_TYPE and CKA_VALUE are required, and the key is
    /// a session object (a template with CKA_TOKEN = true is CKR_TEMPLATE_INCONSISTENT: the
    /// module keeps no secret keys on the token).
    pub(super) fn create_secret_key(&mut self, h: CK_SESSION_HANDLE, template: &[Attr]) -> R<u64> {
        self.session(h)?;
        let private = template_bool(template, CKA_PRIVATE)?.unwrap_or(true);
        self.check_writable(h, false, private)?;
        let key_type = template_ulong(template, CKA_KEY_TYPE)?.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
        let value = find_attr(template, CKA_VALUE).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
        if !length_fits(key_type, value.len()) {
            return Err(CKR_ATTRIBUTE_VALUE_INVALID);
        }
        let (attrs, _) =
            secret_key_attributes(template, key_type, value.len(), ValueSource::Template)?;
        let value = Zeroizing::new(value.to_vec());
        self.add_secret_key(h, attrs, value)
    }

    /// Stores a new secret key (attributes and value) as a session object.
    pub(super) fn add_secret_key(
        &mut self,
        h: CK_SESSION_HANDLE,
        attrs: Vec<StoredAttribute>,
        value: Zeroizing<Vec<u8>>,
    ) -> R<u64> {
        let uid = self.add_session_object(h, attrs, None)?;
        if let Some(o) = self.session_objects.get_mut(&uid) {
            o.value = Some(value);
        }
        Ok(uid)
    }

    /// The secret key `key` for an operation: `bad_handle` if the session cannot see it,
    /// `bad_type` if it is not a secret key with a value.
    pub(super) fn secret_key_ref(
        &self,
        h: CK_SESSION_HANDLE,
        key: CK_OBJECT_HANDLE,
        bad_handle: CK_RV,
        bad_type: CK_RV,
    ) -> R<SecretKeyRef> {
        let obj = self.object(h, key).map_err(|e| match e {
            CKR_OBJECT_HANDLE_INVALID => bad_handle,
            other => other,
        })?;
        if obj.ulong(CKA_CLASS) != Some(CKO_SECRET_KEY) {
            return Err(bad_type);
        }
        let key_type = obj.ulong(CKA_KEY_TYPE).ok_or(bad_type)?;
        let value = self
            .session_object(h, key)?
            .and_then(|o| o.value.clone())
            .ok_or(bad_type)?;
        Ok(SecretKeyRef {
            obj,
            key_type,
            value,
        })
    }
}
