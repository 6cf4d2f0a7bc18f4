//! The key cache: the logged-in user's private keys, parsed once per version of the state file.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard, PoisonError};

use token_core::{ContainerId, Error, Result};

use super::SoftToken;
use crate::attr;
use crate::keys::PrivateKey;
use crate::layout::{class_of, get};
use crate::store::FileStamp;

/// Private keys of the logged-in user, parsed once and reused while the state file is the
/// one they were read from. Signing is the hot path: without this, every signature would read
/// and parse the state, decrypt the key and re-derive its public key. Cleared on every change
/// of the login state, so no key outlives a logout.
#[derive(Default)]
pub(super) struct KeyCache {
    stamp: Option<FileStamp>,
    by_id: HashMap<ContainerId, u64>,
    keys: HashMap<u64, Arc<PrivateKey>>,
}

impl SoftToken {
    pub(super) fn clear_key_cache(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        *cache = KeyCache::default();
    }

    /// The cache, emptied first when the state file changed since it was filled.
    fn fresh_cache(&self) -> Result<MutexGuard<'_, KeyCache>> {
        let stamp = self.store.stamp()?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.stamp != Some(stamp) {
            *cache = KeyCache {
                stamp: Some(stamp),
                ..KeyCache::default()
            };
        }
        Ok(cache)
    }

    /// The uid of the private key object in container `id`.
    pub(super) fn private_key_uid(&self, id: &ContainerId) -> Result<u64> {
        if let Some(uid) = self.fresh_cache()?.by_id.get(id) {
            return Ok(*uid);
        }
        let state = self.read()?;
        let uid = state
            .objects
            .iter()
            .find(|o| {
                class_of(o) == Some(attr::CKO_PRIVATE_KEY)
                    && get(o, attr::ID) == Some(id.as_bytes())
            })
            .map(|o| o.uid)
            .ok_or_else(|| Error::NotFound {
                what: format!("private key in container {id}"),
            })?;
        self.fresh_cache()?.by_id.insert(id.clone(), uid);
        Ok(uid)
    }

    /// The parsed private key of object `uid`, from the cache (user login required).
    ///
    /// For the PKCS#11 module (`soft-token-pkcs11`), which signs with the key itself: its
    /// mechanisms (raw PKCS#1 v1.5, PSS with a chosen salt length) go beyond
    /// [`token_core::SignatureScheme`]. Applications sign through [`token_core::Carrier::sign`].
    #[doc(hidden)]
    pub fn private_key(&self, uid: u64) -> Result<Arc<PrivateKey>> {
        self.user_key()?;
        if let Some(key) = self.fresh_cache()?.keys.get(&uid) {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(PrivateKey::from_pkcs8_der(&self.private_key_der(uid)?)?);
        self.fresh_cache()?.keys.insert(uid, Arc::clone(&key));
        Ok(key)
    }
}
