//! Object-level access to the token: what the PKCS#11 module (`soft-token-pkcs11`) builds on
//! beyond the [`Carrier`](token_core::Carrier) API. PIN checks and key sealing stay in this
//! crate: the module never compares a PIN or touches a token key.
//!
//! The writing methods are `#[doc(hidden)]`: they follow the token's own rules (sealing needs
//! the user logged in and the admin PIN changed; a new `CKA_ID` re-seals key material) but not
//! PKCS#11's session rules (read-only sessions, private objects), which the module enforces.

use token_core::{ContainerId, Error, Result};
use zeroize::Zeroizing;

use super::SoftToken;
use crate::attr;
use crate::crypto;
use crate::keys;
use crate::layout::{aad, apply_values, clear, damaged_key, get, key_pair_objects, octets};
use crate::objects::ObjectList;
use crate::store::StoredAttribute;

impl SoftToken {
    /// The token's objects (keys, certificates, data objects) as stored: a snapshot of the
    /// state file, parsed once per version of the file. [`Error::CarrierNotInitialized`] for a
    /// blank directory.
    pub fn objects(&self) -> Result<ObjectList> {
        self.read().map(ObjectList)
    }

    /// Whether the user PIN has been set (PKCS#11 `CKF_USER_PIN_INITIALIZED`).
    pub fn user_pin_is_set(&self) -> Result<bool> {
        Ok(self.read()?.user_pin.is_some())
    }

    /// Adds one object; returns its uid.
    #[doc(hidden)]
    pub fn add_object(&self, attributes: Vec<StoredAttribute>) -> Result<u64> {
        self.add_objects(vec![attributes])?
            .first()
            .copied()
            .ok_or_else(|| Error::NotFound {
                what: "new object".into(),
            })
    }

    /// Seals PKCS#8 private key material for a private key object with CKA_ID `id`, the way
    /// generated keys are sealed (the id is bound in). Needs the user logged in and the admin
    /// PIN changed from a vendor default ([`Self::require_admin_pin_changed`]).
    #[doc(hidden)]
    pub fn seal_private_key(&self, id: &[u8], pkcs8: &[u8]) -> Result<StoredAttribute> {
        let token_key = self.user_key()?;
        self.require_admin_pin_changed()?;
        let sealed = crypto::seal(token_key, &aad(&ContainerId::new(id.to_vec())), pkcs8)?;
        Ok(StoredAttribute {
            kind: attr::KC_PKCS8,
            value: octets(sealed)?,
            sealed: true,
        })
    }

    /// Removes one object.
    #[doc(hidden)]
    pub fn destroy_object(&self, uid: u64) -> Result<()> {
        self.update(|state| {
            let before = state.objects.len();
            state.objects.retain(|o| o.uid != uid);
            if state.objects.len() == before {
                return Err(Error::NotFound {
                    what: format!("object {uid}"),
                });
            }
            Ok(())
        })
    }

    /// Sets clear attributes of one object. A new `CKA_ID` on a private key re-seals its key
    /// material (the sealing binds the id), which needs the user logged in.
    #[doc(hidden)]
    pub fn set_attributes(&self, uid: u64, values: Vec<(u64, Vec<u8>)>) -> Result<()> {
        let token_key = self.user_key().ok().map(|k| Zeroizing::new(**k));
        self.update(|state| {
            let obj = state
                .objects
                .iter_mut()
                .find(|o| o.uid == uid)
                .ok_or_else(|| Error::NotFound {
                    what: format!("object {uid}"),
                })?;
            apply_values(obj, values, token_key.as_ref())
        })
    }

    /// Copies object `uid` with `values` applied (as [`Self::set_attributes`] would), in one
    /// write; returns the copy's uid. Key material is copied sealed, re-sealed on a new id.
    #[doc(hidden)]
    pub fn copy_object(&self, uid: u64, values: Vec<(u64, Vec<u8>)>) -> Result<u64> {
        let token_key = self.user_key().ok().map(|k| Zeroizing::new(**k));
        self.update(|state| {
            let mut copy = state
                .objects
                .iter()
                .find(|o| o.uid == uid)
                .cloned()
                .ok_or_else(|| Error::NotFound {
                    what: format!("object {uid}"),
                })?;
            apply_values(&mut copy, values, token_key.as_ref())?;
            copy.uid = state.next_uid;
            state.next_uid = copy.uid.checked_add(1).ok_or_else(|| Error::NotAllowed {
                reason: "object counter exhausted".into(),
            })?;
            let new_uid = copy.uid;
            state.objects.push(copy);
            Ok(new_uid)
        })
    }

    /// The PKCS#8 DER of the private key object `uid`; needs the user logged in.
    #[doc(hidden)]
    pub fn private_key_der(&self, uid: u64) -> Result<Zeroizing<Vec<u8>>> {
        let token_key = self.user_key()?;
        let state = self.read()?;
        let obj = state
            .objects
            .iter()
            .find(|o| o.uid == uid)
            .ok_or_else(|| Error::NotFound {
                what: format!("object {uid}"),
            })?;
        let sealed = obj
            .attributes
            .iter()
            .find(|a| a.kind == attr::KC_PKCS8 && a.sealed)
            .ok_or_else(|| Error::NotFound {
                what: "private key material".into(),
            })?;
        let id = ContainerId::new(get(obj, attr::ID).unwrap_or_default().to_vec());
        crypto::open(token_key, &aad(&id), sealed.value.as_bytes()).ok_or_else(damaged_key)
    }

    /// `C_GenerateKeyPair`: generates and stores a key pair (honouring the slow-generation
    /// knob); returns the (private, public) uids. `id` defaults to one derived from the key.
    /// Needs the user logged in and the admin PIN changed from a vendor default.
    #[doc(hidden)]
    pub fn generate_key_pair(
        &self,
        algorithm: token_core::KeyAlgorithm,
        id: Option<Vec<u8>>,
        private_label: &str,
        public_label: &str,
        extractable: bool,
    ) -> Result<(u64, u64)> {
        let token_key = Zeroizing::new(**self.user_key()?);
        self.require_admin_pin_changed()?;
        if let Some(delay) = self.knobs.slow_generation {
            std::thread::sleep(delay);
        }
        let generated = keys::generate(algorithm)?;
        let id = id.map_or_else(
            || ContainerId::derived_from(&generated.public_key),
            ContainerId::new,
        );
        let sealed = crypto::seal(&token_key, &aad(&id), generated.pkcs8.expose())?;
        let mut objects = key_pair_objects(
            &id,
            private_label,
            &generated.public_key,
            sealed,
            extractable,
            true,
        )?;
        if let Some(public) = objects.get_mut(1) {
            public.retain(|a| a.kind != attr::LABEL);
            public.push(clear(attr::LABEL, public_label.as_bytes().to_vec())?);
        }
        let uids = self.add_objects(objects)?;
        match uids.as_slice() {
            [private, public] => Ok((*private, *public)),
            _ => Err(damaged_key()),
        }
    }
}
