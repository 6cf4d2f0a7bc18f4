//! keycarrier: key carriers for client-bank applications.
//!
//! USB tokens and smart cards (Rutoken, JaCarta, KAZTOKEN, any PKCS#11 module) and software
//! containers behind one typed API: key containers, PIN administration, GOST R 34.10-2012 and
//! RSA signing, certificate requests, CMS signatures and expiry-driven key rotation.
//!
//! This facade re-exports the workspace's crates. The shared vocabulary ([`token_core`]) is also
//! re-exported at the root, so `keycarrier::Pin` and `keycarrier::Carrier` work.
//!
//! ```
//! use keycarrier::{Pin, PinPolicy};
//! assert!(PinPolicy::default().check(&Pin::new("Rx7mQ2wz"), None).is_ok());
//! ```

pub use token_core;
pub use token_core::*;
