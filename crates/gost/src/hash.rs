//! Streebog (GOST R 34.11-2012) — our own implementation — and helpers.
//!
//! [`Streebog256`] and [`Streebog512`] implement the RustCrypto `digest` traits (`Digest`,
//! and what `hmac::Hmac` and `pbkdf2::pbkdf2_hmac` need). The compression function works on
//! eight 64-bit words with 8×256-entry lookup tables that fuse the S-box, the byte
//! transposition and the linear map (generated at compile time from the standard's constants);
//! the key schedule runs alongside the 12 rounds.
//!
//! # Side channels
//!
//! The table reads are indexed by state bytes, so the hash is **not** cache-timing hardened:
//! exactly like the reference implementations (RustCrypto `streebog`, OpenSSL's gost engine),
//! which use the same tables. That is accepted here: Streebog hashes public data when signing;
//! where it processes secrets (HMAC nonces over the private key, PBKDF2 over a PIN) an attacker
//! would need to share the CPU cache with the process and observe many computations.

mod block;
mod consts;
mod lps;

use digest::Digest;

use crate::params::HashAlgorithm;

pub use block::{Streebog256, Streebog256Core, Streebog512, Streebog512Core};

/// Streebog-256 of `data`, bytes as the hash outputs them (what `openssl dgst -md_gost12_256
/// -binary` prints; the reverse of how RFC 6986 prints values).
pub fn streebog256(data: &[u8]) -> [u8; 32] {
    Streebog256::digest(data).into()
}

/// Streebog-512 of `data`, bytes as the hash outputs them.
pub fn streebog512(data: &[u8]) -> [u8; 64] {
    Streebog512::digest(data).into()
}

/// Streebog-256 or -512 of `data`, as `alg` says.
pub fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Streebog256 => streebog256(data).to_vec(),
        HashAlgorithm::Streebog512 => streebog512(data).to_vec(),
    }
}

/// A Streebog of either size, chosen at run time (the size of a key).
#[derive(Clone, Debug)]
pub(crate) enum Hasher {
    /// Streebog-256.
    S256(Streebog256),
    /// Streebog-512.
    S512(Streebog512),
}

impl Hasher {
    /// A fresh hash for `alg`.
    pub(crate) fn new(alg: HashAlgorithm) -> Self {
        match alg {
            HashAlgorithm::Streebog256 => Self::S256(Streebog256::new()),
            HashAlgorithm::Streebog512 => Self::S512(Streebog512::new()),
        }
    }

    /// Absorbs `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::S256(h) => Digest::update(h, data),
            Self::S512(h) => Digest::update(h, data),
        }
    }

    /// The digest, bytes as the hash outputs them.
    pub(crate) fn finalize(self) -> Vec<u8> {
        match self {
            Self::S256(h) => h.finalize().to_vec(),
            Self::S512(h) => h.finalize().to_vec(),
        }
    }
}
