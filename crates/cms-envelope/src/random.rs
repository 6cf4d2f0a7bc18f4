//! Fresh randomness from the operating system, failing with a typed error instead of panicking.

use token_core::{Error, Result};
use zeroize::Zeroizing;

fn rng_failed(e: getrandom::Error) -> Error {
    crate::internal(&format!(
        "the operating system's random generator failed: {e}"
    ))
}

/// `N` random bytes (IVs, nonces, UKMs).
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(rng_failed)?;
    Ok(out)
}

/// A random secret key of `len` bytes.
pub(crate) fn key(len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut out).map_err(rng_failed)?;
    Ok(out)
}
