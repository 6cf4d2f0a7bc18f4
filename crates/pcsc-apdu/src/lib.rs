//! Smart-card plumbing for keycarrier: ISO 7816 APDUs, BER-TLV, ATRs, ISO PIN operations and
//! the challenge-response unblock of flow U07, written against a small transport seam
//! ([`Transport`] / [`CardTransaction`]) with a PC/SC implementation behind the `pcsc` cargo
//! feature.
//!
//! The bank's side of the support-desk unblock (U07) needs no card: the customer dictates the
//! request code the token shows, support answers with the response code. A misheard character
//! is caught by the check character before anything reaches a card.
//!
//! ```
//! use keycarrier_pcsc_apdu::unblock::{AdminKey, BankResponder, UnblockScheme, decode_code, encode_code};
//!
//! # fn main() -> Result<(), token_core::Error> {
//! let card_admin_key = AdminKey::new(UnblockScheme::Tdes, &[0x5A; 24])?;
//! let support = BankResponder::new(card_admin_key);
//! // The token turned its challenge into a request code; the customer reads it out, and
//! // support types it as heard: lower case, "o" for zero.
//! let request = encode_code(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]);
//! let heard = request.to_lowercase().replace('0', "o");
//! let response = support.respond(&heard)?;
//! assert_eq!(decode_code(&response, 8)?.len(), 8);
//! // One wrong character: refused before any card is involved.
//! let misheard = format!("{}{}", if heard.starts_with('x') { 'y' } else { 'x' }, &heard[1..]);
//! assert!(support.respond(&misheard).is_err());
//! # Ok(()) }
//! ```
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository.
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
//! cargo test -p keycarrier-pcsc-apdu --all-features
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
