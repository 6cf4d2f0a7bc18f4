//! Objects: finding and reading them, C_CreateObject, C_CopyObject, C_SetAttributeValue and
//! C_DestroyObject, for token objects (in the soft token's store) and session objects (here).

use std::sync::Arc;

use cryptoki_sys::*;
use soft_token::objects::{KC_PKCS8, KC_SPKI, StoredAttribute, StoredObject};
use token_core::PublicKey;

use super::{Module, SESSION_OBJECT_BASE, SessionObject};
use crate::attributes::{
    Attr, Lookup, apply_clear, changeable, lookup, template_bool, template_ulong, to_stored,
};
use crate::create;
use crate::errors::{R, ck, new_keys_allowed};

fn is_private(obj: &StoredObject) -> bool {
    obj.flag(CKA_PRIVATE).unwrap_or(false)
}

impl Module {
    /// The objects the session may see: the token's, then the session objects on its token.
    fn visible_objects(&self, h: CK_SESSION_HANDLE) -> R<Vec<StoredObject>> {
        let slot = self.session(h)?.slot;
        let user = self.user_logged_in(h)?;
        let objects = ck(self.token(h)?.objects())?;
        let session_objects = self
            .session_objects
            .values()
            .filter(|o| o.slot == slot)
            .map(|o| &o.obj);
        Ok(objects
            .iter()
            .chain(session_objects)
            .filter(|o| user || !is_private(o))
            .cloned()
            .collect())
    }

    /// The session object `uid` if the session may see it.
    pub(super) fn session_object(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
    ) -> R<Option<&SessionObject>> {
        let slot = self.session(h)?.slot;
        let user = self.user_logged_in(h)?;
        Ok(self
            .session_objects
            .get(&uid)
            .filter(|o| o.slot == slot && (user || !is_private(&o.obj))))
    }

    pub(super) fn object(&self, h: CK_SESSION_HANDLE, uid: CK_OBJECT_HANDLE) -> R<StoredObject> {
        self.with_object(h, uid, StoredObject::clone)
    }

    /// Runs `f` on object `uid` in place, if the session may see it.
    pub(super) fn with_object<T>(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        f: impl FnOnce(&StoredObject) -> T,
    ) -> R<T> {
        if let Some(o) = self.session_object(h, uid)? {
            return Ok(f(&o.obj));
        }
        if uid >= SESSION_OBJECT_BASE {
            return Err(CKR_OBJECT_HANDLE_INVALID);
        }
        let user = self.user_logged_in(h)?;
        let objects = ck(self.token(h)?.objects())?;
        objects
            .iter()
            .find(|o| o.uid() == uid && (user || !is_private(o)))
            .map(f)
            .ok_or(CKR_OBJECT_HANDLE_INVALID)
    }

    /// Stores a new session object; returns its handle.
    pub(super) fn add_session_object(
        &mut self,
        h: CK_SESSION_HANDLE,
        mut attrs: Vec<StoredAttribute>,
        secret: Option<create::Secret>,
    ) -> R<CK_OBJECT_HANDLE> {
        let slot = self.session(h)?.slot;
        attrs.retain(|a| a.kind() != KC_PKCS8 && a.kind() != CKA_TOKEN);
        attrs.push(to_stored(CKA_TOKEN, &[0])?);
        let uid = self.next_session_object;
        self.next_session_object = uid.checked_add(1).ok_or(CKR_DEVICE_MEMORY)?;
        self.session_objects.insert(
            uid,
            SessionObject {
                slot,
                owner: h,
                obj: StoredObject::new(uid, attrs),
                secret,
                value: None,
            },
        );
        Ok(uid)
    }

    /// C_FindObjectsInit.
    pub(crate) fn find_init(&mut self, h: CK_SESSION_HANDLE, template: &[Attr]) -> R<()> {
        if self.session(h)?.find.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let found: Vec<u64> = self
            .visible_objects(h)?
            .iter()
            .filter(|o| {
                template
                    .iter()
                    .all(|(k, v)| matches!(lookup(o, *k), Lookup::Value(x) if x == **v))
            })
            .map(StoredObject::uid)
            .collect();
        self.session_mut(h)?.find = Some(found);
        Ok(())
    }

    /// C_FindObjects.
    pub(crate) fn find(&mut self, h: CK_SESSION_HANDLE, max: usize) -> R<Vec<u64>> {
        let list = self
            .session_mut(h)?
            .find
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        let n = max.min(list.len());
        Ok(list.drain(..n).collect())
    }

    /// C_FindObjectsFinal.
    pub(crate) fn find_final(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        self.session_mut(h)?
            .find
            .take()
            .map(drop)
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// C_GetAttributeValue: one lookup per requested type.
    pub(crate) fn attributes(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        kinds: &[CK_ATTRIBUTE_TYPE],
    ) -> R<Vec<Lookup>> {
        let obj = self.object(h, uid)?;
        // A derived secret key's value: readable only when extractable and not sensitive.
        let value = self.session_object(h, uid)?.and_then(|o| o.value.as_ref());
        let readable =
            obj.flag(CKA_EXTRACTABLE) == Some(true) && obj.flag(CKA_SENSITIVE) == Some(false);
        Ok(kinds
            .iter()
            .map(|k| match value {
                Some(v) if *k == CKA_VALUE && readable => Lookup::Secret(v.clone()),
                Some(_) if *k == CKA_VALUE => Lookup::Sensitive,
                _ => lookup(&obj, *k),
            })
            .collect())
    }

    /// May the session change (create, modify, destroy) an object? A token object needs a
    /// read-write session, a private one the user logged in; a read-only session may change
    /// public session objects (PKCS#11 v2.40 §5.6).
    pub(super) fn check_writable(
        &self,
        h: CK_SESSION_HANDLE,
        is_token: bool,
        private: bool,
    ) -> R<()> {
        if is_token && !self.session(h)?.rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        if private && !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        Ok(())
    }

    /// C_SetAttributeValue: CKA_LABEL, CKA_ID, CKA_SUBJECT.
    pub(crate) fn set_attributes(
        &mut self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        template: &[Attr],
    ) -> R<()> {
        let obj = self.object(h, uid)?;
        let is_token = uid < SESSION_OBJECT_BASE;
        self.check_writable(h, is_token, is_private(&obj))?;
        let values = changeable(template, false)?;
        if is_token {
            return ck(self.token(h)?.set_attributes(obj.uid(), values));
        }
        let o = self
            .session_objects
            .get_mut(&uid)
            .ok_or(CKR_OBJECT_HANDLE_INVALID)?;
        apply_clear(o.obj.attributes_mut(), values)
    }

    /// C_CopyObject: a copy of an object with the template's CKA_LABEL / CKA_ID / CKA_SUBJECT
    /// applied (what C_SetAttributeValue may change) and CKA_TOKEN as the template says (by
    /// default as the original's): token and session objects copy either way. Key material is
    /// re-sealed for a token copy and kept in memory for a session copy.
    pub(crate) fn copy_object(
        &mut self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        template: &[Attr],
    ) -> R<u64> {
        let obj = self.object(h, uid)?;
        let from_token = uid < SESSION_OBJECT_BASE;
        let to_token = template_bool(template, CKA_TOKEN)?.unwrap_or(from_token);
        let private = is_private(&obj);
        self.check_writable(h, to_token, private)?;
        let values = changeable(template, true)?;
        let private_key = obj.ulong(CKA_CLASS) == Some(CKO_PRIVATE_KEY);
        match (from_token, to_token) {
            (true, true) => ck(self.token(h)?.copy_object(obj.uid(), values)),
            (true, false) => {
                let mut attrs = obj.into_attributes();
                apply_clear(&mut attrs, values)?;
                let secret = if private_key {
                    let token = self.token(h)?;
                    Some(create::Secret {
                        pkcs8: ck(token.private_key_der(uid))?,
                        key: ck(token.private_key(uid))?,
                    })
                } else {
                    None
                };
                self.add_session_object(h, attrs, secret)
            }
            (false, to_token) => {
                let source = self
                    .session_objects
                    .get(&uid)
                    .ok_or(CKR_OBJECT_HANDLE_INVALID)?;
                let secret = source.secret.as_ref().map(|s| create::Secret {
                    pkcs8: s.pkcs8.clone(),
                    key: Arc::clone(&s.key),
                });
                let mut attrs = obj.into_attributes();
                apply_clear(&mut attrs, values)?;
                if !to_token {
                    return self.add_session_object(h, attrs, secret);
                }
                if private_key && !self.user_logged_in(h)? {
                    return Err(CKR_USER_NOT_LOGGED_IN);
                }
                if secret.is_some() {
                    new_keys_allowed(self.token(h)?)?;
                }
                attrs.retain(|a| a.kind() != CKA_TOKEN);
                attrs.push(to_stored(CKA_TOKEN, &[1])?);
                let token = self.token(h)?;
                if let Some(secret) = secret {
                    let id = attrs
                        .iter()
                        .find(|a| a.kind() == CKA_ID)
                        .and_then(StoredAttribute::clear_value)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default();
                    attrs.push(ck(token.seal_private_key(&id, &secret.pkcs8))?);
                }
                ck(token.add_object(attrs))
            }
        }
    }

    /// C_CreateObject: data objects, certificates, GOST and RSA public and private keys, as
    /// token objects (private key material sealed under the token key like that of generated
    /// keys) or session objects (CKA_TOKEN = false: in memory only).
    pub(crate) fn create_object(&mut self, h: CK_SESSION_HANDLE, template: &[Attr]) -> R<u64> {
        let class = template_ulong(template, CKA_CLASS)?.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
        if class == CKO_SECRET_KEY {
            return self.create_secret_key(h, template);
        }
        // Deviation from the PKCS#11 default (CK_FALSE), kept from the first versions of the
        // module: without CKA_TOKEN an object goes to the token.
        let is_token = template_bool(template, CKA_TOKEN)?.unwrap_or(true);
        let private = template_bool(template, CKA_PRIVATE)?.unwrap_or(class == CKO_PRIVATE_KEY);
        self.check_writable(h, is_token, private)?;
        if class == CKO_PRIVATE_KEY && !self.user_logged_in(h)? {
            // Private keys belong to the user (and token ones are sealed under the token key,
            // which only the user's login opens).
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if class == CKO_PRIVATE_KEY {
            // Session objects too: the rule does not hang on CKA_TOKEN.
            new_keys_allowed(self.token(h)?)?;
        }
        let new = create::build(template, is_token, private)?;
        if let Some(public) = &new.public {
            self.check_same_key(h, &new.id, public)?;
        }
        if !is_token {
            return self.add_session_object(h, new.attrs, new.secret);
        }
        let token = self.token(h)?;
        let mut attrs = new.attrs;
        if let Some(secret) = &new.secret {
            attrs.push(ck(token.seal_private_key(&new.id, &secret.pkcs8))?);
        }
        ck(token.add_object(attrs))
    }

    /// A new key object's public key must be the one of any key object already under its
    /// CKA_ID on the token or among its session objects (a private key and the public key of
    /// another pair make no container).
    fn check_same_key(&self, h: CK_SESSION_HANDLE, id: &[u8], public: &PublicKey) -> R<()> {
        let slot = self.session(h)?.slot;
        let objects = ck(self.token(h)?.objects())?;
        let session_objects = self
            .session_objects
            .values()
            .filter(|o| o.slot == slot)
            .map(|o| &o.obj);
        for o in objects.iter().chain(session_objects) {
            let is_key = matches!(o.ulong(CKA_CLASS), Some(CKO_PUBLIC_KEY | CKO_PRIVATE_KEY));
            if !is_key || o.clear_value(CKA_ID) != Some(id) {
                continue;
            }
            if let Some(spki) = o.clear_value(KC_SPKI) {
                let other = PublicKey::from_spki_der(spki).map_err(|_| CKR_DEVICE_ERROR)?;
                if !other.same_key(public) {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
            }
        }
        Ok(())
    }

    /// C_DestroyObject.
    pub(crate) fn destroy_object(&mut self, h: CK_SESSION_HANDLE, uid: CK_OBJECT_HANDLE) -> R<()> {
        let obj = self.object(h, uid)?;
        let is_token = uid < SESSION_OBJECT_BASE;
        self.check_writable(h, is_token, is_private(&obj))?;
        if is_token {
            ck(self.token(h)?.destroy_object(obj.uid()))
        } else {
            self.session_objects
                .remove(&uid)
                .map(drop)
                .ok_or(CKR_OBJECT_HANDLE_INVALID)
        }
    }
}
