//! The token's contents at the PKCS#11 level: objects made of attributes.
//!
//! The state file is a PKCS#11 object store (see [`StoredObject`]): attribute types are
//! `CKA_*` numbers, `CK_ULONG` values are stored as 8 little-endian bytes and `CK_BBOOL` values
//! as one byte, whatever the platform. Two vendor attributes hold what PKCS#11 has no attribute
//! for: [`KC_SPKI`] (a key's SubjectPublicKeyInfo) and [`KC_PKCS8`] (a private key, always
//! sealed under the token key).
//!
//! This is the layer keycarrier's PKCS#11 module (the `soft-token-pkcs11` crate) is built on;
//! applications use the [`Carrier`](token_core::Carrier) API of [`SoftToken`] instead. Reading
//! is public ([`SoftToken::objects`]); the items that write objects, generate key pairs or hand
//! out key material are `#[doc(hidden)]`: they serve the module, which enforces PKCS#11's
//! session rules on top of them.
//!
//! ```
//! use keycarrier_soft_token::{SoftToken, TokenSettings};
//! use token_core::AdminPin;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let settings = TokenSettings { kdf_iterations: 1_000, ..TokenSettings::new("Empty") };
//! let token = SoftToken::create(dir.path(), &settings, &AdminPin::new("Ad9mQ4kz")).unwrap();
//! assert!(token.objects().unwrap().is_empty());
//! assert!(!token.user_pin_is_set().unwrap());
//! ```

use std::ops::Deref;
use std::sync::Arc;

use token_core::{ContainerId, KeyAlgorithm, PublicKey, Result};
use zeroize::Zeroizing;

use crate::attr;
use crate::keys;
use crate::layout::{clear, damaged_key, key_pair_objects};
use crate::store::TokenFile;
#[cfg(doc)]
use crate::token::SoftToken;

pub use crate::attr::{KC_PKCS8, KC_SPKI};
pub use crate::keys::PrivateKey;
pub use crate::store::{StoredAttribute, StoredObject};

/// A snapshot of the token's objects ([`SoftToken::objects`]): a slice of [`StoredObject`]s,
/// cheap to take (shared with the token's parse of the state file) and unaffected by later
/// changes.
#[derive(Debug, Clone)]
pub struct ObjectList(pub(crate) Arc<TokenFile>);

impl ObjectList {
    /// The objects, in the order they were made.
    pub fn as_slice(&self) -> &[StoredObject] {
        &self.0.objects
    }
}

impl Deref for ObjectList {
    type Target = [StoredObject];

    fn deref(&self) -> &[StoredObject] {
        self.as_slice()
    }
}

/// `CKA_KEY_TYPE` and the algorithm attributes a key object of `key` carries (the GOST
/// parameter OIDs; RSA modulus, public exponent and modulus bits), as stored.
#[doc(hidden)]
pub fn key_attributes(key: &PublicKey) -> Result<(u64, Vec<StoredAttribute>)> {
    keys::pkcs11_key_attributes(key)
}

/// A generated key pair not yet stored ([`new_key_pair`]): both objects' attributes (the
/// private one without key material) and the private key's PKCS#8 DER.
#[doc(hidden)]
#[non_exhaustive]
pub struct NewKeyPair {
    /// CKA_ID of both objects.
    pub id: Vec<u8>,
    /// The private key object's clear attributes.
    pub private: Vec<StoredAttribute>,
    /// The public key object's attributes.
    pub public: Vec<StoredAttribute>,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Zeroizing<Vec<u8>>,
}

/// Generates a key pair for PKCS#11 `C_GenerateKeyPair` with session halves: the same
/// attributes as [`SoftToken::generate_key_pair`] gives its objects, nothing stored, nothing
/// sealed. `id` defaults to one derived from the public key.
#[doc(hidden)]
pub fn new_key_pair(
    algorithm: KeyAlgorithm,
    id: Option<Vec<u8>>,
    private_label: &str,
    public_label: &str,
    extractable: bool,
) -> Result<NewKeyPair> {
    let generated = keys::generate(algorithm)?;
    let id = id.map_or_else(
        || ContainerId::derived_from(&generated.public_key),
        ContainerId::new,
    );
    let objects = key_pair_objects(
        &id,
        private_label,
        &generated.public_key,
        Vec::new(),
        extractable,
        true,
    )?;
    let [mut private, mut public]: [Vec<StoredAttribute>; 2] =
        objects.try_into().map_err(|_| damaged_key())?;
    private.retain(|a| a.kind != attr::KC_PKCS8);
    public.retain(|a| a.kind != attr::LABEL);
    public.push(clear(attr::LABEL, public_label.as_bytes().to_vec())?);
    Ok(NewKeyPair {
        id: id.as_bytes().to_vec(),
        private,
        public,
        pkcs8: Zeroizing::new(generated.pkcs8.expose().to_vec()),
    })
}
