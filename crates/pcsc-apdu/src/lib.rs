//! Smart-card plumbing for keycarrier: ISO 7816 APDUs, BER-TLV, ATRs, ISO PIN operations and
//! the challenge-response unblock of flow U07, written against a small transport seam
//! ([`Transport`] / [`CardTransaction`]) with a PC/SC implementation behind the `pcsc` cargo
//! feature.
//!
//! | module | what |
//! | --- | --- |
//! | [`apdu`] | [`Command`] (cases 1–4, short and extended), [`Response`], sensitive payloads |
//! | [`status`] | [`StatusWord`] → [`Outcome`] → typed [`token_core::Error`] |
//! | [`transport`] | [`Transport`], [`CardTransaction`], [`CardCaps`], the APDU engine [`transmit`] (chaining, `61xx`, `6Cxx`) |
//! | [`tlv`] | BER-TLV parser and builder |
//! | [`atr`] | ATR parsing (ISO 7816-3) and carrier-family / PKCS#11 module identification |
//! | [`pin`] | VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, GET CHALLENGE, EXTERNAL AUTHENTICATE with [`pin::PinProfile`]s |
//! | [`unblock`] | U07: request/response codes, client flow, bank responder (3DES minidriver scheme, AES variant) |
//! | `pcsc_backend` (feature `pcsc`) | readers, connect, transactions, reset-aware reconnect, reader events |
//! | `fixture` (feature `fixture`) | **test fixture**: a virtual PIN card for vsmartcard's vpcd |
//!
//! Untrusted bytes (responses, ATRs, TLV) are parsed without panics into
//! [`token_core::Error::Malformed`]. PINs, keys and response data never appear in `Debug`.
//!
//! # Tests on the real PC/SC stack
//!
//! The integration tests (`tests/pin_ops.rs`, `tests/flows_u07_challenge_unblock.rs`) need the
//! `pcsc` and `fixture` features and a running pcscd with the vsmartcard vpcd readers; they
//! fail (never skip) when pcscd is not reachable:
//!
//! ```text
//! apt-get install -y pcscd pcsc-tools opensc vsmartcard-vpcd libpcsclite-dev pkg-config openssl
//! scripts/pcscd.sh start
//! cargo test -p pcsc-apdu --all-features
//! ```
//!
//! Each test inserts the Rust card fixture into `Virtual PCD 00 00` (TCP port 35963) or
//! `Virtual PCD 00 01` (35964) from a thread of the test process; the tests of one binary take
//! turns through a mutex, and cargo runs test binaries one after another.

pub mod apdu;
pub mod atr;
pub mod pin;
pub mod status;
pub mod tlv;
pub mod transport;
pub mod unblock;

#[cfg(feature = "pcsc")]
pub mod pcsc_backend;

#[cfg(feature = "fixture")]
pub mod fixture;

pub use apdu::{Command, Payload, Response};
pub use status::{Outcome, StatusWord};
pub use transport::{CardCaps, CardTransaction, Transport, transmit};
