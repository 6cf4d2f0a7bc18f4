//! [`SecretKey`]: the 256-bit symmetric key every algorithm here takes and makes.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// A 256-bit secret key: a content-encryption key (CEK), a key-encryption key, an export key
/// of KEG. Zeroized on drop, never printed, compared in constant time.
///
/// ```
/// use keycarrier_gost_cipher::SecretKey;
/// let key = SecretKey::from_slice(&[7u8; 32])?;
/// assert_eq!(format!("{key:?}"), "SecretKey(***)");
/// assert_eq!(key, SecretKey::from_array([7u8; 32]));
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// A key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::length("key", bytes.len(), "32"))?;
        Ok(Self(arr))
    }

    /// A key from an array (the caller's copy stays the caller's to zeroize).
    pub const fn from_array(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for handing to another implementation (a token, a wrapping step).
    /// Copies should live in zeroizing storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl PartialEq for SecretKey {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for SecretKey {}
