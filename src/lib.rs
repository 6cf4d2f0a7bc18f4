//! keycarrier: key carriers for client-bank applications.
//!
//! USB tokens and smart cards (Rutoken, JaCarta, KAZTOKEN, any PKCS#11 module) and software
//! containers behind one typed API: key containers, PIN administration, GOST R 34.10-2012 and
//! RSA signing, certificate requests, CMS signatures and expiry-driven key rotation.
//!
//! This facade re-exports the workspace's crates:
//!
//! | module | crate | job |
//! | --- | --- | --- |
//! | [`token_core`] (also at the root) | `token-core` | carriers, containers, algorithms, PINs, policy, errors, the [`Carrier`] trait |
//! | [`gost`] | `gost` | GOST R 34.10-2012 signatures, Streebog, key encodings |
//! | [`soft_token`] | `soft-token` | the built-in software carrier |
//! | [`pkcs11`] | `pkcs11-backend` | any PKCS#11 token (Rutoken, JaCarta, KAZTOKEN, SoftHSM…) |
//! | [`pcsc`] | `pcsc-apdu` | smart cards over PC/SC: ATR identification, ISO PIN commands, challenge-response unblock |
//! | [`trust`] | `trust` | trust decisions: signature checks, RFC 5280 path validation, CRL and OCSP revocation |
//! | [`csr`] | `csr` | PKCS#10 requests (U10), verified certificate install (U12) |
//! | [`cms`] | `cms-sign` | CMS SignedData: sign, add a signer, strict verification (U14), PKCS#12 import (U03) |
//! | [`rotation`] | `rotation-policy` | expiry-driven rotation (U13, U16–U20): policy, CA interface, resumable journaled rotation, act of key recognition, fleet evaluation |
//!
//! Not re-exported: `soft-token-pkcs11`, the soft token as a PKCS#11 module
//! (`libsoft_token_pkcs11.so`) for C and other PKCS#11 applications; Rust code uses
//! [`soft_token`] directly, and this facade never builds the module.
//!
//! ```
//! use keycarrier::{Pin, PinPolicy};
//! assert!(PinPolicy::default().check(&Pin::new("Rx7mQ2wz"), None).is_ok());
//! ```

pub use cms_sign as cms;
pub use csr;
pub use gost;
pub use pcsc_apdu as pcsc;
pub use pkcs11_backend as pkcs11;
pub use rotation_policy as rotation;
pub use soft_token;
pub use token_core;
pub use token_core::*;
pub use trust;
