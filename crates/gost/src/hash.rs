//! Streebog (GOST R 34.11-2012) helpers.

use digest::Digest;
use token_core::DigestAlgorithm;

pub use streebog::{Streebog256, Streebog512};

/// Streebog-256 of `data`, bytes as the hash outputs them (what `openssl dgst -md_gost12_256
/// -binary` prints; the reverse of how RFC 6986 prints values).
pub fn streebog256(data: &[u8]) -> [u8; 32] {
    Streebog256::digest(data).into()
}

/// Streebog-512 of `data`, bytes as the hash outputs them.
pub fn streebog512(data: &[u8]) -> [u8; 64] {
    Streebog512::digest(data).into()
}

/// The Streebog digest for a key of the given size: Streebog-256 or -512. Any other
/// [`DigestAlgorithm`] gives Streebog-512's width's counterpart only for Streebog; SHA-256 is
/// not a GOST hash and yields an empty vector.
pub fn digest(alg: DigestAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        DigestAlgorithm::Streebog256 => streebog256(data).to_vec(),
        DigestAlgorithm::Streebog512 => streebog512(data).to_vec(),
        _ => Vec::new(),
    }
}
