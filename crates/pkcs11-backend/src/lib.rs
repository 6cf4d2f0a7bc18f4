//! Any PKCS#11 token — Rutoken, JaCarta, KAZTOKEN, eToken, OpenSC cards, SoftHSM, keycarrier's
//! soft token — as a token-core [`Carrier`](token_core::Carrier).
//!
//! ```no_run
//! use keycarrier_pkcs11_backend::Module;
//! use token_core::{Carrier, FinalTry, Pin};
//!
//! # fn main() -> token_core::Result<()> {
//! let module = Module::open("/usr/lib/softhsm/libsofthsm2.so")?; // or Module::open_default()
//! for found in module.carriers()? {
//!     println!("slot {} ({}): {}", found.slot, found.reader, found.info);
//! }
//! let first = module.carriers()?.into_iter().next().expect("a carrier");
//! let mut carrier = module.carrier(first.slot)?;
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
//!   once, each on a session of its own. Dead sessions are re-opened transparently. The pool
//!   opens at most the token's `ulMaxRwSessionCount` sessions (where it reports one) or
//!   [`CarrierOptions::max_sessions`]; further callers wait for a free session.
//! * Everything goes through the `cryptoki` crate except the standard GOST mechanisms and
//!   attributes it cannot express (`CKM_GOSTR3410_KEY_PAIR_GEN`, `CKM_GOSTR3410`,
//!   `CKA_GOSTR3410_PARAMS`, `CKA_GOSTR3411_PARAMS`), which a small raw module calls through
//!   `cryptoki-sys`.
//! * Vendor functions: Rutoken's extended list (`C_EX_GetFunctionListExtended`) has Aktiv's
//!   own table layout, so it is looked up (by `dlsym`, when the module is loaded) only in
//!   libraries whose `C_GetInfo` manufacturer ID ([`Module::manufacturer`]) is one of the
//!   vendors known to use that layout: `Aktiv Co.` (Rutoken) and `keycarrier` (this
//!   project's soft-token module, which offers a Rutoken-compatible list). It is used only if
//!   the library exports it with a non-null `C_EX_UnblockUserPIN`;
//!   [`Carrier::can_unblock_pin`](token_core::Carrier::can_unblock_pin) tells. Every other
//!   module (SoftHSM2, OpenSC, a module exporting a function of that name with a table of its
//!   own) answers `unblock_pin` with [`Error::Unsupported`](token_core::Error::Unsupported)
//!   (`KC-UNSUPPORTED`) before any PIN is sent, and its symbol is never resolved.
//! * Login: signing, generating, importing, deleting a container or adding a certificate
//!   without the user logged in is [`Error::LoginRequired`](token_core::Error::LoginRequired)
//!   (`KC-LOGIN-REQUIRED`), the soft token's answer (`tests/login_required.rs` compares the
//!   two). Signing, generation, deletion and certificates check the session state first (a
//!   module would answer "not found", or delete the public half of a container, or add a
//!   public certificate); import relies on the token refusing the private key, which is
//!   written last, and removes what it wrote before.
//! * The public API speaks of modules, carriers, containers and PINs. PKCS#11 numbers
//!   (`CK_*`), attribute conversions and `cryptoki` contexts stay inside; the one way out is
//!   [`hazmat`], named so that its use stands out.
//! * Containers are the objects sharing a `CKA_ID`. Keys keycarrier generates get the id
//!   SHA-1(subjectPublicKey bits), the RFC 5280 method-1 key identifier.
//! * RSA, GOST R 34.10-2012 and EC (NIST P-256 / P-384, named curves in `CKA_EC_PARAMS`) keys
//!   are listed; other key types are skipped. A certificate without a key (a CA certificate) is
//!   not a container either.
//! * Private objects are visible only after [`Carrier::login`](token_core::Carrier::login);
//!   before it a container lists with `has_private_key == false`.
//!
//! # Flows
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository.
//!
//! | flow | here |
//! | --- | --- |
//! | U01 discovery | [`discover_modules`], [`Module::slots`], [`Module::carriers`] ([`CarrierInSlot`]), [`Module::carrier_by_serial`], [`Module::wait_for_change`] |
//! | U02 containers | `containers`, `container`, `write_certificate`, `delete_container`, `wipe` (`C_InitToken`, label kept unless a new one is given) |
//! | U03 | `import`: a PKCS#8 RSA, GOST R 34.10-2012 or EC (P-256 / P-384, with its public point) key and its certificates as objects under one derived `CKA_ID` (`C_CreateObject`), all or nothing |
//! | U05 / U06 | `change_pin`, `change_admin_pin` (`C_SetPIN`), `reset_pin` (`C_InitPIN` as SO), `unblock_pin` (Rutoken's vendor `C_EX_UnblockUserPIN` as SO, keeping the user PIN; `can_unblock_pin` says whether the module has it) |
//! | U08 | `pin_status` from the token's `CKF_*_PIN_*` flags; every PIN call runs `PinStatus::guard` first; a wrong PIN re-reads the flags |
//! | U09 | `generate`: RSA 2048/3072/4096 (`CKM_RSA_PKCS_KEY_PAIR_GEN`), GOST 256 (`CKM_GOSTR3410_KEY_PAIR_GEN`, raw) and 512 (`CKM_GOSTR3410_512_KEY_PAIR_GEN`), EC P-256 / P-384 (`CKM_EC_KEY_PAIR_GEN`, `CKA_EC_PARAMS` = the curve OID) |
//! | U15 | `sign` checks the login, then runs `SignRequest::confirm` before it looks the key up |
//!
//! # Key generation: templates, progress, cancel
//!
//! Public key: `CKA_TOKEN`, `CKA_PRIVATE=false`, `CKA_VERIFY`; private key: `CKA_TOKEN`,
//! `CKA_PRIVATE`, `CKA_SENSITIVE`, `CKA_EXTRACTABLE` = the request's `extractable` (false by
//! default), `CKA_SIGN`; both get the label and, for GOST, `CKA_GOSTR3410_PARAMS` (the parameter
//! set's own OID) and `CKA_GOSTR3411_PARAMS` (Streebog-256/512); an EC public key gets
//! `CKA_EC_PARAMS` (the curve OID). The pair is generated under a random temporary `CKA_ID`,
//! which is then replaced by the derived (or requested) id.
//!
//! Progress: `Preparing` → `Generating` → `Storing` → `Done`. The cancel token is checked before
//! `C_GenerateKeyPair` and after it; a running `C_GenerateKeyPair` cannot be interrupted
//! (PKCS#11 has no way to), and a generation cancelled or failing after the call deletes the
//! objects it made, so no half-made container is left.
//!
//! # Signing
//!
//! RSA: SHA-256 on the host, then `CKM_RSA_PKCS` over the DigestInfo, or `CKM_RSA_PKCS_PSS`
//! (SHA-256, MGF1-SHA-256, salt 32) over the digest; with
//! [`CarrierOptions::hash_on_token`] the token hashes (`CKM_SHA256_RSA_PKCS[_PSS]`) where it
//! offers the mechanism. GOST: a `SignInput::Message` is hashed on the host with the scheme's
//! Streebog (256 or 512, the `streebog` crate) and the digest (as given, or as computed) goes
//! to `CKM_GOSTR3410` (raw) or `CKM_GOSTR3410_512`; with [`CarrierOptions::hash_on_token`] the
//! token hashes instead (`CKM_GOSTR3410_WITH_GOSTR3411_12_256/512`) where it offers the
//! mechanism. Output is `s ‖ r` as the token returns it. ECDSA: SHA-256 / SHA-384 on the host,
//! then `CKM_ECDSA`, whatever [`CarrierOptions::hash_on_token`] says; the token's `r ‖ s` is
//! returned as the DER `Ecdsa-Sig-Value` X.509 and CMS carry. EC public
//! keys come from `CKA_EC_POINT` (a DER OCTET STRING around the uncompressed point; a bare
//! point is accepted too).
//!
//! # Not tested against a real module yet
//!
//! SoftHSM2 as packaged by Debian has no GOST mechanisms; the GOST paths (raw key generation
//! and signing, host Streebog + `CKM_GOSTR3410[_512]`, token hashing, reading
//! `CKA_GOSTR3410_PARAMS`) run against the project's soft-token module
//! (`tests/gost_on_soft_token.rs`). GOST key import and the vendor unblock are tested there
//! too, and need a soft-token module with `C_CreateObject` for GOST private keys and
//! `C_EX_GetFunctionListExtended`; the unblock ABI itself is also tested on a small C library.
//! No real Rutoken was used. Protected authentication path
//! ([`Pkcs11Carrier::login_on_device`]) and a real insert/remove event are untested (SoftHSM
//! has neither).

//!
//! # Module graph
//!
//! Arrows point from a module to what it uses; there are no circles. `carrier` knows
//! `module`, never the reverse: opening a carrier ([`Module::carrier`]) is written in
//! `carrier/open.rs`, and `carrier` reaches the module's context and function list only
//! through `Module`'s crate-internal accessors.
//!
//! ```text
//! lib ──► discovery, events, module, carrier, hazmat        (re-exports)
//! hazmat ──► module, carrier
//! events ──► module
//! carrier/* ──► session, module, raw, convert, consts, error
//!   inside carrier: every verb file ──► carrier (the type), objects; pin_admin, wipe ──► login;
//!   keygen ──► containers
//! session ──► module, error
//! module ──► discovery, vendor, raw, error
//! error ──► raw            (RawError → Error)
//! raw, convert, consts, vendor, discovery ──► token-core, cryptoki(-sys) only
//! ```

mod carrier;
mod consts;
mod convert;
mod discovery;
mod error;
mod events;
pub mod hazmat;
mod module;
mod raw;
mod session;
mod vendor;

pub use carrier::{CarrierOptions, Pkcs11Carrier};
pub use discovery::{
    KNOWN_MODULE_DIRS, MODULES_ENV, discover_in, discover_modules, known_module_names,
};
pub use events::CarrierEvent;
pub use module::{CarrierInSlot, Module, SlotCarrier};
