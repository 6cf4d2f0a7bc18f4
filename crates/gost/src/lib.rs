//! GOST R 34.10-2012 signatures on every standard curve, with the key encodings Russian and
//! Kazakh PKI uses.
//!
//! * [`SigningKey`] / [`VerifyingKey`] / [`Signature`] — sign and verify messages or
//!   precomputed Streebog digests; SPKI and PKCS#8 in the forms OpenSSL's gost engine reads and
//!   writes; the RustCrypto `signature`, `spki` and `pkcs8` traits.
//! * All 14 parameter-set OIDs of [`token_core::GostParamSet`] on the 9 distinct curves,
//!   including the twisted-Edwards TC26-256-A and TC26-512-C (handled in Weierstrass form) and
//!   the two test curves of the standard.
//!
//! # Conventions (see the project reference, §0)
//!
//! * Digest → integer is little-endian: `e = LE(H) mod q`, and `e = 0` becomes 1.
//! * A signature is `s ‖ r`, each big-endian and L bytes (L = 32 or 64).
//! * A public key in SPKI is a BIT STRING wrapping a DER OCTET STRING of `X_le ‖ Y_le`.
//! * A PKCS#8 private key is little-endian.
//! * The OID a key came with is kept and written back; aliases are never normalised.
//!
//! # Side channels
//!
//! Everything that touches the private scalar or the nonce — `k·G`, the affine conversion,
//! `s = r·d + k·e` — runs in constant time: Montgomery arithmetic without data-dependent
//! branches, complete addition formulas, and fixed-base table lookups that read every entry.
//! Verification works on public data only and uses variable-time code.
//!
//! ```
//! use gost::{SigningKey, VerifyingKey, NonceMode};
//! use token_core::GostParamSet;
//!
//! let key = SigningKey::generate(GostParamSet::Tc26_512A).unwrap();
//! let digest = gost::streebog512(b"hello");
//! let sig = key.sign_prehash(&digest).unwrap();
//! assert_eq!(sig.as_bytes().len(), 128);
//!
//! let spki = key.verifying_key().to_spki_der().unwrap();
//! let public = VerifyingKey::from_spki_der(&spki).unwrap();
//! public.verify_prehash(&digest, &sig).unwrap();
//!
//! let pkcs8 = key.to_pkcs8_der().unwrap();
//! let again = SigningKey::from_pkcs8_der(pkcs8.as_bytes()).unwrap();
//! assert_eq!(again.verifying_key(), key.verifying_key());
//! ```

mod core;
mod curve;
mod field;
mod hash;
mod keys;

pub use hash::{Streebog256, Streebog512, digest, streebog256, streebog512};
pub use keys::{NonceMode, Signature, SigningKey, VerifyingKey};
