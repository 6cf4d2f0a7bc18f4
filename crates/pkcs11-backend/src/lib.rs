//! Any PKCS#11 token — Rutoken, JaCarta, KAZTOKEN, eToken, OpenSC cards, SoftHSM, keycarrier's
//! soft token — as a token-core [`Carrier`](token_core::Carrier).
//!
//! ```no_run
//! use pkcs11_backend::Module;
//! use token_core::{Carrier, FinalTry, Pin};
//!
//! # fn main() -> token_core::Result<()> {
//! let module = Module::open("/usr/lib/softhsm/libsofthsm2.so")?; // or Module::open_default()
//! for (slot, info) in module.carriers()? {
//!     println!("slot {slot}: {info}");
//! }
//! let (slot, _) = module.carriers()?.into_iter().next().expect("a carrier");
//! let mut carrier = module.carrier(slot)?;
//! carrier.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
//! for c in carrier.containers()? {
//!     println!("{} {}", c.id, c.algorithm);
//! }
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! * [`Module::open`] loads a module once per path per process (a global registry) and calls
//!   `C_Initialize` with OS locking; it never calls `C_Finalize`.
//! * [`Pkcs11Carrier`] is `Send + Sync`; it keeps a pool of sessions so many threads sign at
//!   once, each on a session of its own. Dead sessions are re-opened transparently.
//! * Everything goes through the `cryptoki` crate except the standard GOST mechanisms and
//!   attributes it cannot express (`CKM_GOSTR3410_KEY_PAIR_GEN`, `CKM_GOSTR3410`,
//!   `CKA_GOSTR3410_PARAMS`, `CKA_GOSTR3411_PARAMS`), which a small raw module calls through
//!   `cryptoki-sys`.
//! * Containers are the objects sharing a `CKA_ID`. Keys keycarrier generates get the id
//!   SHA-1(subjectPublicKey bits), the RFC 5280 method-1 key identifier.
//! * Only RSA and GOST R 34.10-2012 keys are listed: token-core has no `KeyAlgorithm` for EC
//!   keys yet, so EC key pairs (e.g. SoftHSM P-256) are skipped.

mod carrier;
pub mod convert;
mod error;
mod module;
mod raw;
mod session;

pub use carrier::{CarrierOptions, Pkcs11Carrier, consts, pin_status_from_flags};
pub use module::{
    CarrierEvent, KNOWN_MODULE_DIRS, KNOWN_MODULE_NAMES, MODULES_ENV, Module, SlotCarrier,
    discover_in, discover_modules,
};
