//! keycarrier's software token: a key carrier that lives in a directory.
//!
//! Bank developers cannot put a Rutoken into CI, and Debian's SoftHSM2 has no GOST 2012; the
//! soft token is keycarrier's built-in carrier for the quickstart, for tests and for "flash
//! drive" containers. It behaves like a token where it matters:
//!
//! * a user PIN and an admin (SO) PIN with retry counters, decremented and written to disk
//!   *before* the PIN is compared, reset on success, blocked at zero;
//! * private keys encrypted at rest under a random token key that is wrapped once under the
//!   user PIN and once under the admin PIN (PBKDF2-HMAC-Streebog-512), so the admin can set a
//!   new user PIN without losing keys;
//! * no key generation or import while the admin PIN is still a vendor default such as
//!   `87654321` (`KC-NOT-ALLOWED`; `CKR_PIN_EXPIRED` from the PKCS#11 module): that PIN opens
//!   the keys too. What the admin PIN protects and what no PIN here protects against is in
//!   [`SoftToken`]'s section "The admin PIN";
//! * crash-safe state: every change is one atomic, fsync'd file replacement under a lock, so
//!   a killed process or a second process never sees a torn token.
//!
//! ```
//! use keycarrier_soft_token::{SoftToken, TokenSettings};
//! use token_core::{AdminPin, Carrier, ContainerSigner, FinalTry, KeyAlgorithm, NewContainer};
//! use token_core::{Pin, PinPolicy};
//!
//! let dir = tempfile::tempdir()?;
//! // A fresh token: a label and the administrator PIN (not a vendor default, or key
//! // generation is refused). Fewer PBKDF2 iterations than the default, to keep this quick.
//! let settings = TokenSettings { kdf_iterations: 1000, ..TokenSettings::new("Flash drive") };
//! let admin = AdminPin::new("Adm1nQw8");
//! let mut token = SoftToken::create(dir.path(), &settings, &admin)?;
//!
//! // The administrator sets the user PIN (checked by the PIN policy), the user logs in.
//! let pin = PinPolicy::default().approve(Pin::new("Rx7mQ2wz"), None).map_err(token_core::Error::from)?;
//! token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
//! token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
//!
//! // A GOST R 34.10-2012 key in a new container, and a signature with it.
//! let container = token.generate_key(&NewContainer::new("Signing key", KeyAlgorithm::GOST_256))?;
//! let signature = ContainerSigner::new(&token, &container.id)?.sign_message(b"payment order 42")?;
//! assert_eq!(signature.as_bytes().len(), 64);
//!
//! // The token is a directory: reopened later, the container is still there.
//! assert_eq!(SoftToken::open(dir.path()).containers()?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! It implements [`token_core::Carrier`]; see [`SoftToken`]. The token's contents at the
//! PKCS#11 level (objects and attributes) are in [`objects`].
//!
//! The PKCS#11 v2.40 module over the same token directories, `libsoft_token_pkcs11.so`, is a
//! separate crate, `soft-token-pkcs11`: a Rust application that uses this crate never builds
//! it.

mod attr;
mod crypto;
mod decrypt;
mod keys;
mod layout;
pub mod objects;
mod store;
mod token;

pub use store::FailPoint;
pub use token::{SoftToken, TestKnobs, TokenSettings};
