//! keycarrier: key carriers for client-bank applications.
//!
//! USB tokens and smart cards (Rutoken, JaCarta, KAZTOKEN, any PKCS#11 module) and software
//! containers behind one typed API: key containers, PIN administration, GOST R 34.10-2012 and
//! RSA signing, certificate requests, CMS signatures and encryption, and expiry-driven key
//! rotation.
//!
//! The tasks banks give their customers — find the token, import a key, change or unblock a
//! PIN, generate a key, request and install a certificate, sign, replace an expiring key — are
//! described as flows U01–U24 in [`flows`], each with the API that carries it and whether it is
//! implemented yet.
//!
//! # Where things are
//!
//! One rule names every module of this facade: **a module is named for the domain the user
//! works in, never for the crate that implements it**, and the shared vocabulary (carriers,
//! containers, PINs, errors) sits at the root. A bank developer thinks "a certificate
//! request", "the soft token", "CMS", not `csr` or `soft-token`; crates can be split, merged or
//! renamed for packaging reasons without moving a path users wrote. A new crate gets a module
//! named the same way: `cms-envelope` (CMS EnvelopedData, document encryption, U21) is
//! `keycarrier::envelope`.
//!
//! | path | crate | job |
//! | --- | --- | --- |
//! | the root: [`Carrier`], [`Pin`], [`Error`], [`oid`], … | `token-core` | carriers, containers, algorithms and OIDs, PINs, PIN policy, errors, the [`Carrier`] trait (U01–U06, U08, U09, U15) |
//! | [`gost`] | `gost` | GOST R 34.10-2012 signatures, Streebog, key encodings |
//! | [`soft`] | `soft-token` | the built-in software carrier: a token in a directory (a "flash drive" container) |
//! | [`pkcs11`] | `pkcs11-backend` | any PKCS#11 token (Rutoken, JaCarta, KAZTOKEN, SoftHSM…) as a [`Carrier`] (U01–U09) |
//! | [`pcsc`] | `pcsc-apdu` | smart cards over PC/SC: ATR identification, ISO PIN commands, challenge-response unblock (U07) |
//! | [`trust`] | `trust` | trust decisions: signature checks, RFC 5280 path validation, CRL and OCSP revocation (U23) |
//! | [`request`] | `csr` | certificate requests: PKCS#10 with Russian and Kazakh subjects (U10), verified certificate install (U12) |
//! | [`cms`] | `cms-sign` | CMS SignedData: sign, add a signer, strict verification (U14), re-issue requests (U11) |
//! | [`pkcs12`] | `cms-sign` (its `pfx` module) | PKCS#12 import (U03): GOST TC26 and RSA files, transactional |
//! | [`rotation`] | `rotation-policy` | expiry-driven rotation (U13, U16–U20): policy in the bank's time zone, CA interface, resumable journaled rotation, act of key recognition, fleet evaluation |
//! | [`cryptopro`] | `cryptopro-container` | CryptoPro CSP key folders (`XXXXXX.000`): read with the PIN, migrate the key to any carrier (U22) |
//! | [`envelope`] | `cms-envelope` | CMS EnvelopedData: encrypt to certificates, open with the key on its carrier, the received-documents mailbox (U17, U21) |
//! | none | `soft-token-pkcs11` | the soft token as a PKCS#11 module, see below |
//!
//! Not re-exported: `soft-token-pkcs11`, the soft token as a PKCS#11 module
//! (`libsoft_token_pkcs11.so`) for C and other PKCS#11 applications; Rust code uses
//! [`soft`] directly, and this facade never builds the module.
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

/// Encrypted documents (flows U17, U21): the `cms-envelope` crate.
pub use cms_envelope as envelope;
/// CMS SignedData (flows U11, U14): the `cms-sign` crate.
pub use cms_sign as cms;
/// PKCS#12 (`.pfx`, `.p12`) import (flow U03): `cms_sign::pfx` under its own name.
pub use cms_sign::pfx as pkcs12;
/// CryptoPro CSP file key containers (flow U22): read and migrate to any carrier; the
/// `cryptopro-container` crate.
pub use cryptopro_container as cryptopro;
/// Certificate requests and certificate install (flows U10, U12): the `csr` crate.
pub use csr as request;
/// GOST R 34.10-2012 signatures and Streebog: the `gost` crate.
pub use gost;
/// Smart cards over PC/SC (flow U07): the `pcsc-apdu` crate.
pub use pcsc_apdu as pcsc;
/// Any PKCS#11 token as a [`Carrier`] (flows U01–U09): the `pkcs11-backend` crate.
pub use pkcs11_backend as pkcs11;
/// Expiry-driven key rotation (flows U13, U16–U20): the `rotation-policy` crate.
pub use rotation_policy as rotation;
/// The built-in software carrier, a token in a directory: the `soft-token` crate.
pub use soft_token as soft;
/// The shared vocabulary, at the root: the `token-core` crate.
pub use token_core::*;
/// Trust decisions: signatures, certificate paths, revocation (U23): the `trust` crate.
pub use trust;
