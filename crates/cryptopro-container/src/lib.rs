//! Reads CryptoPro CSP file key containers — the `XXXXXX.000` folders with `header.key`,
//! `primary.key`, `masks.key`, `name.key` and the reserve copy `primary2.key` / `masks2.key` —
//! so that a bank customer's GOST key can leave CryptoPro: be checked, exported as PKCS#8, or
//! moved onto a token in one call ([`migrate`]) without CryptoPro CSP installed.
//!
//! GOST R 34.10-2001 and GOST R 34.10-2012 (256- and 512-bit) keys are read, with or without
//! a PIN. A recovered key is only handed out after its public key has been computed and found
//! equal to the container's fingerprint and to the certificate's key.
//!
//! ```no_run
//! use keycarrier_cryptopro_container::{CryptoProContainer, migrate};
//! use token_core::{Password, ErrorCode};
//!
//! let container = CryptoProContainer::open("/media/flash/g2012256.000".as_ref())?;
//! println!("{}: {:?} on {}", container.name(), container.algorithm(), container.param_set());
//! match container.unlock(&Password::new("12345678")) {
//!     Ok(key) => println!("key recovered; certificate: {}", key.certificate_der().is_some()),
//!     Err(e) if e.code() == "KC-PASSWORD-WRONG" => println!("wrong PIN"),
//!     Err(e) => return Err(e),
//! }
//! # Ok::<(), token_core::Error>(())
//! ```
//!
//! # How CryptoPro protects the key
//!
//! `primary.key` holds `d · mask mod q` (little-endian) encrypted with GOST 28147-89 in ECB
//! mode; `masks.key` holds the mask and the salt of the PIN key. The PIN key is CryptoPro's
//! iterated construction over GOST R 34.11-94 (2001 keys) or Streebog-256 (2012 keys), see
//! `pin_key.rs`; the S-box is CryptoPro-A for 2001 keys and TC26 Z for 2012 keys. The
//! format has no check value this crate can use for the PIN alone, so a wrong PIN and
//! damaged key files both end as [`token_core::Error::WrongPasswordOrContainer`]; damaged
//! structure is [`token_core::Error::Malformed`].
//!
//! # Secrets
//!
//! The PIN key, the decrypted masked key, the scalar and the PKCS#8 live in zeroizing
//! buffers; `Debug` shows none of them and no error carries them. The unmasking runs in
//! constant time in `gost`; GOST 28147-89 and the hashes use table lookups (as CryptoPro and
//! OpenSSL's gost engine do).
//!
//! # Doubts
//!
//! * PIN characters outside ASCII are hashed as their Unicode code points (4 bytes each);
//!   no CryptoPro container with such a PIN has been checked.
//! * The MACs in `header.key` and `masks.key` are kept but not verified (their key is not
//!   known here).

mod asn1;
mod container;
mod migrate;
mod pin_key;
mod unlock;

pub use container::{ContainerAlgorithm, ContainerFiles, CryptoProContainer};
pub use migrate::migrate;
pub use unlock::UnlockedKey;
