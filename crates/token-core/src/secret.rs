//! PINs and passwords: zeroized on drop, never printed, compared in constant time.
//!
//! A PIN enters keycarrier once, as one of these types, and leaves only as bytes handed to a
//! carrier. The types have no `Display`; their `Debug` prints `Pin(***)`; equality uses
//! [`subtle`] so that comparing two PINs takes the same time wherever they differ (the length is
//! not hidden: it is not the secret part of a PIN).
//!
//! ```
//! use keycarrier_token_core::Pin;
//! let pin = Pin::new("Ab9x7Kq2");
//! assert_eq!(format!("{pin:?}"), "Pin(***)");
//! assert_eq!(pin, Pin::new("Ab9x7Kq2"));
//! assert_eq!(pin.expose(), b"Ab9x7Kq2");
//! ```

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Owned secret bytes, zeroized when dropped. The building block of [`Pin`], [`AdminPin`] and
/// [`Password`]; also used for other short secrets (session keys, decrypted key material).
#[derive(Clone, Default)]
pub struct SecretBytes(Box<[u8]>);

impl SecretBytes {
    /// Copies `bytes` into a new secret. The caller remains responsible for its own copy.
    pub fn new(bytes: &[u8]) -> Self {
        Self(bytes.into())
    }

    /// Takes a vector, moving its bytes into the secret; the vector's spare capacity (if any)
    /// is zeroized first so no copy is left behind.
    pub fn from_vec(mut bytes: Vec<u8>) -> Self {
        let secret = Self(bytes.as_slice().into());
        bytes.zeroize();
        secret
    }

    /// The secret bytes, for handing to a carrier. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Zeroize for SecretBytes {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for SecretBytes {}

impl ConstantTimeEq for SecretBytes {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(***)")
    }
}

macro_rules! secret_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(SecretBytes);

        impl $name {
            /// Copies the text into a new secret. The caller remains responsible for its own
            /// copy; prefer `From<String>`, which wipes the string it takes.
            pub fn new(text: &str) -> Self {
                Self(SecretBytes::new(text.as_bytes()))
            }

            /// Copies raw bytes (some carriers accept PINs that are not UTF-8).
            pub fn from_bytes(bytes: &[u8]) -> Self {
                Self(SecretBytes::new(bytes))
            }

            /// The bytes to hand to a carrier. Keep the borrow short.
            pub fn expose(&self) -> &[u8] {
                self.0.expose()
            }

            /// Length in bytes.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether it is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl From<String> for $name {
            /// Moves the string into the secret and wipes the string's buffer.
            fn from(text: String) -> Self {
                Self(SecretBytes::from_vec(text.into_bytes()))
            }
        }

        impl From<SecretBytes> for $name {
            fn from(bytes: SecretBytes) -> Self {
                Self(bytes)
            }
        }

        impl Zeroize for $name {
            fn zeroize(&mut self) {
                self.0.zeroize();
            }
        }

        impl ZeroizeOnDrop for $name {}

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> subtle::Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }
    };
}

secret_newtype!(
    /// The user PIN of a carrier (CKU_USER in PKCS#11, "ПИН пользователя").
    Pin
);
secret_newtype!(
    /// The administrator PIN of a carrier (Security Officer, CKU_SO; "ПИН администратора").
    /// A separate type so that a user PIN cannot be passed where the admin PIN is meant.
    AdminPin
);
secret_newtype!(
    /// A password protecting a file: a PKCS#12 container, a soft-token key store.
    Password
);

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn debug_hides_the_secret() {
        let pin = Pin::new("Secret42x");
        let admin = AdminPin::new("Secret42x");
        let pw = Password::new("Secret42x");
        for shown in [format!("{pin:?}"), format!("{admin:?}"), format!("{pw:?}")] {
            assert!(!shown.contains("Secret42x"), "{shown}");
            assert!(shown.ends_with("(***)"), "{shown}");
        }
        assert_eq!(format!("{:?}", SecretBytes::new(b"k")), "SecretBytes(***)");
    }

    #[test]
    fn zeroize_wipes_the_buffer_and_drop_runs_it() {
        // Every secret type is ZeroizeOnDrop: its Drop (SecretBytes::drop) calls zeroize.
        assert_zeroize_on_drop::<SecretBytes>();
        assert_zeroize_on_drop::<Pin>();
        assert_zeroize_on_drop::<AdminPin>();
        assert_zeroize_on_drop::<Password>();

        let mut pin = Pin::new("12345678");
        pin.zeroize();
        // zeroize on a boxed slice overwrites the bytes in place; the length stays.
        assert_eq!(pin.expose(), &[0u8; 8]);

        let mut raw = SecretBytes::new(&[0xAA; 16]);
        raw.zeroize();
        assert!(raw.expose().iter().all(|b| *b == 0));
    }

    #[test]
    fn from_string_moves_the_text() {
        let pin = Pin::from(String::from("Qw8rT5yU"));
        assert_eq!(pin.expose(), b"Qw8rT5yU");
        assert_eq!(pin.len(), 8);
        assert!(!pin.is_empty());
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(Pin::new("abc"), Pin::new("abc"));
        assert_ne!(Pin::new("abc"), Pin::new("abd"));
        assert_ne!(Pin::new("abc"), Pin::new("abcd"));
        assert!(bool::from(Password::new("x").ct_eq(&Password::new("x"))));
    }
}
