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
//! It implements [`token_core::Carrier`]; see [`SoftToken`].
//!
//! The same crate builds `libsoft_token.so`, a PKCS#11 v2.40 module over the same token
//! directories (see [`ffi`]; configuration in the `config` module's docs: the environment
//! variable `KEYCARRIER_SOFTTOKEN_CONF` names a file of `slot.N = /dir` lines). Besides key
//! generation it imports GOST and RSA private keys (`C_CreateObject`, sealed like generated
//! ones), keeps session objects (`CKA_TOKEN = false`) in memory, answers PKCS#11 v3.0's
//! `C_GetInterface` with its v2.40 table, and offers Rutoken's `C_EX_GetFunctionListExtended`
//! with `C_EX_UnblockUserPIN` ([`ffi::FunctionListExtended`]).

mod attr;
mod config;
mod consts;
mod create;
mod crypto;
#[allow(unsafe_code)]
pub mod ffi;
mod keys;
mod mech;
mod module;
mod store;
mod token;

pub use store::FailPoint;
pub use token::{SoftToken, TestKnobs, TokenSettings};
