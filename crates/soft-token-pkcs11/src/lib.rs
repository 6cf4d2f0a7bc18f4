//! keycarrier's soft token as a PKCS#11 v2.40 module: `libsoft_token_pkcs11.so`.
//!
//! A thin layer over the [`soft_token`] crate: the tokens are soft-token directories, and PIN
//! checks, key sealing and the state file stay in that crate ([`soft_token::SoftToken`] and
//! [`soft_token::objects`]). This crate adds what PKCS#11 defines: slots, sessions and their
//! login states, object handles, session objects (`CKA_TOKEN = false`, in memory only),
//! attribute templates, mechanisms, and the C ABI.
//!
//! Besides key generation it imports GOST and RSA private keys (`C_CreateObject`, sealed like
//! generated ones), keeps session objects in memory, answers PKCS#11 v3.0's `C_GetInterface`
//! with its v2.40 table, and offers Rutoken's `C_EX_GetFunctionListExtended` with
//! `C_EX_UnblockUserPIN` ([`ffi::FunctionListExtended`]).
//!
//! For opening envelopes as a GOST token does it decrypts with RSA keys, derives VKO keys, and
//! keeps session secret keys (C_CreateObject with CKA_VALUE, C_DeriveKey, C_UnwrapKey) that
//! encrypt and decrypt (Kuznyechik and Magma CTR-ACPKM, GOST 28147-89 CFB, AES-CBC-PAD, single-
//! and multi-part) and wrap and unwrap keys (KExp15 / KImp15, the CryptoPro key wrap).
//!
//! # Building and configuring
//!
//! `cargo build --release -p keycarrier-soft-token-pkcs11` makes `target/release/libsoft_token_pkcs11.so`.
//! The environment variable `KEYCARRIER_SOFTTOKEN_CONF` names the module's configuration, a
//! UTF-8 text file; without it the module has no slots. Each line is one of (blank lines and
//! lines starting with `#` are ignored):
//!
//! ```text
//! slot.0 = /home/user/.keycarrier/token0   # slot 0 is the token in this directory
//! /home/user/.keycarrier/token1            # a bare directory: the next free slot number
//! kdf_iterations = 100000                  # PBKDF2 iterations C_InitToken uses for new PINs
//! test.slow_keygen_ms = 3000               # TEST KNOB: key generation sleeps this long
//! test.fail_writes = mid-write             # TEST KNOB: state writes fail (mid-write | before-rename)
//! ```
//!
//! A slot's directory need not exist or hold a token: then the slot shows a present but
//! uninitialised token, which `C_InitToken` initialises. The test knobs are off unless set and
//! are meant for keycarrier's own tests only.
//!
//! ```text
//! $ printf 'slot.0 = %s\n' "$HOME/.keycarrier/token0" > softtoken.conf
//! $ KEYCARRIER_SOFTTOKEN_CONF=$PWD/softtoken.conf \
//!     pkcs11-tool --module target/release/libsoft_token_pkcs11.so --list-slots
//! ```
//!
//! # Rust applications
//!
//! Rust applications do not need this crate: they use [`soft_token::SoftToken`] directly, or any
//! PKCS#11 module through `pkcs11-backend`.
//!
//! The only `unsafe` code is in [`ffi`], the C boundary.

mod aes_cbc;
mod attributes;
mod config;
mod consts;
mod create;
mod crypt;
mod errors;
#[allow(unsafe_code)]
pub mod ffi;
mod mech;
mod module;
mod secret_key;
mod symmetric;
mod wrap;
