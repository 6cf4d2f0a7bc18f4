//! keycarrier: key carriers for client-bank applications.
//!
//! USB tokens and smart cards (Rutoken, JaCarta, KAZTOKEN, any PKCS#11 module) and software
//! containers behind one typed API: key containers, PIN administration, GOST R 34.10-2012 and
//! RSA signing, certificate requests, CMS signatures and expiry-driven key rotation.
//!
//! The tasks banks give their customers — find the token, import a key, change or unblock a
//! PIN, generate a key, request and install a certificate, sign, replace an expiring key — are
//! described as flows U01–U24 in [`flows`], each with the API that carries it and whether it is
//! implemented yet.
//!
//! This facade re-exports the workspace's crates:
//!
//! | module | crate | job |
//! | --- | --- | --- |
//! | [`token_core`] (also at the root) | `token-core` | carriers, containers, algorithms, PINs, PIN policy, errors, the [`Carrier`] trait (U01–U06, U08, U09, U15) |
//! | [`gost`] | `gost` | GOST R 34.10-2012 signatures, Streebog, key encodings |
//! | [`soft_token`] | `soft-token` | the built-in software carrier: a token in a directory (a "flash drive" container) |
//! | [`pkcs11`] | `pkcs11-backend` | any PKCS#11 token (Rutoken, JaCarta, KAZTOKEN, SoftHSM…) as a [`Carrier`] (U01–U09) |
//! | [`pcsc`] | `pcsc-apdu` | smart cards over PC/SC: ATR identification, ISO PIN commands, challenge-response unblock (U07) |
//! | [`trust`] | `trust` | trust decisions: signature checks, RFC 5280 path validation, CRL and OCSP revocation (U23) |
//! | [`csr`] | `csr` | PKCS#10 requests (U10), verified certificate install (U12) |
//! | [`cms`] | `cms-sign` | CMS SignedData: sign, add a signer, strict verification (U14), re-issue requests (U11) |
//! | [`pkcs12`] | `cms-sign` (`pfx`) | PKCS#12 import (U03): GOST TC26 and RSA files, transactional |
//! | [`rotation`] | `rotation-policy` | expiry-driven rotation (U13, U16–U20): policy, CA interface, resumable journaled rotation, act of key recognition, fleet evaluation |
//!
//! Not re-exported: `soft-token-pkcs11`, the soft token as a PKCS#11 module
//! (`libsoft_token_pkcs11.so`) for C and other PKCS#11 applications; Rust code uses
//! [`soft_token`] directly, and this facade never builds the module.
//!
//! Examples (`cargo run --example NAME -- --help` where they take arguments): `quickstart`
//! (the whole story on the soft token), `pkcs11_token` (a PKCS#11 token such as SoftHSM2:
//! list, log in, generate, sign, verify), `pkcs12_import` (a `.pfx` into a soft token),
//! `rotation_advice` (what the rotation policy says today about a certificate), `request`,
//! `sign`, `verify`.
//!
//! ```
//! use keycarrier::{Pin, PinPolicy};
//! assert!(PinPolicy::default().check(&Pin::new("Rx7mQ2wz"), None).is_ok());
//! ```

// So that the flow descriptions link to items by the paths users write (`keycarrier::…`).
extern crate self as keycarrier;

#[doc = include_str!("../docs/flows.md")]
pub mod flows {}

pub use cms_sign as cms;
/// PKCS#12 (`.pfx`, `.p12`) import (flow U03): `cms_sign::pfx` under its own name.
pub use cms_sign::pfx as pkcs12;
pub use csr;
pub use gost;
pub use pcsc_apdu as pcsc;
pub use pkcs11_backend as pkcs11;
pub use rotation_policy as rotation;
pub use soft_token;
pub use token_core;
pub use token_core::*;
pub use trust;
