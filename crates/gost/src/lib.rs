//! GOST R 34.10-2012 digital signatures and GOST R 34.11-2012 (Streebog) hashing, on every
//! standard curve, with the key encodings Russian and Kazakh PKI uses — in the manner of
//! RustCrypto's curve crates: the `signature` traits for signing and verifying, the `spki` and
//! `pkcs8` traits for keys, and no dependency outside RustCrypto.
//!
//! ```
//! use keycarrier_gost::signature::hazmat::{PrehashSigner, PrehashVerifier};
//! use keycarrier_gost::signature::{Signer, Verifier};
//! use keycarrier_gost::{ParamSet, SigningKey, VerifyingKey};
//!
//! let key = SigningKey::generate(ParamSet::Tc26_512A)?;
//! let sig = key.try_sign(b"payment order 42")?;
//! assert_eq!(sig.as_bytes().len(), 128);
//!
//! // The public key travels as SubjectPublicKeyInfo.
//! let spki = key.verifying_key().to_spki_der()?;
//! let public = VerifyingKey::from_spki_der(&spki)?;
//! public.verify(b"payment order 42", &sig)?;
//! assert!(public.verify(b"payment order 43", &sig).is_err());
//!
//! // Or sign a Streebog digest computed elsewhere.
//! let digest = keycarrier_gost::streebog512(b"payment order 42");
//! let sig = key.sign_prehash(&digest)?;
//! public.verify_prehash(&digest, &sig)?;
//!
//! // The private key as PKCS#8, in the form OpenSSL's gost engine reads.
//! let pkcs8 = key.to_pkcs8_der()?;
//! let again = SigningKey::from_pkcs8_der(pkcs8.as_bytes())?;
//! assert_eq!(again.verifying_key(), key.verifying_key());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`SigningKey`] / [`VerifyingKey`] / [`Signature`]: [`signature::Signer`],
//!   [`signature::Verifier`], [`signature::hazmat::PrehashSigner`],
//!   [`signature::hazmat::PrehashVerifier`], the randomized and multipart variants,
//!   [`signature::Keypair`]; SPKI and PKCS#8 in the forms OpenSSL's gost engine reads and
//!   writes ([`spki::EncodePublicKey`], [`pkcs8::EncodePrivateKey`] and the decoding
//!   counterparts), CryptoPro masked private keys, and the masked key of a CryptoPro CSP
//!   container ([`SigningKey::from_cryptopro_masked`]).
//! * All 14 parameter-set OIDs of [`ParamSet`] on the 9 distinct curves ([`CurveId`]),
//!   including the twisted-Edwards TC26-256-A and TC26-512-C (keys and points in Weierstrass
//!   form, scalar multiplications in Edwards form) and the two test curves of the standard.
//! * [`Streebog256`] / [`Streebog512`] with the RustCrypto `digest` traits (usable with `hmac`
//!   and `pbkdf2`).
//! * Errors are this crate's [`Error`]; the `signature` traits carry it as the source of a
//!   [`signature::Error`] (except for a signature that does not verify, which is opaque).
//! * [`hazmat`]: signing with a caller-chosen nonce, for known-answer tests only.
//! * Key agreement: [`SigningKey::vko`] (VKO GOST R 34.10-2012, RFC 7836 §4.3.1), the shared
//!   key behind CMS KeyAgreeRecipientInfo, KEG and GOST TLS, on every curve including the
//!   cofactor-4 ones, with Streebog-256 or -512 ([`VkoDigest`]); [`SigningKey::vko_2001`]
//!   (VKO GOST R 34.10-2001, RFC 4357 §5.2, hashed with GOST R 34.11-94) for RFC 4490 CMS.
//!
//! # Conventions
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
//! `s = r·d + k·e`, and for key agreement `h·UKM·d mod q` and the multiplication of the peer's
//! point by it — runs in constant time: Montgomery arithmetic without data-dependent
//! branches, complete addition formulas, and fixed-base table lookups that read every entry.
//! Verification works on public data only and uses variable-time code. The two are kept in
//! separate files so each can be audited alone: in `field`, `curve` and `edwards`, the `ct`
//! and `complete` modules (and `field`'s `limbs` and `wide`) are constant time, the `vartime`
//! and `tables` modules variable time on public data only; `recode` and `scheme` are split the
//! same way.
//!
//! The nonce is `k = HMAC-Streebog-512_d(digest ‖ extra ‖ counter) mod q` (wide reduction,
//! bias < 2^-256): deterministic in the key and digest as in RFC 6979, hedged with 32 fresh
//! bytes (from the OS for [`signature::Signer`], from the caller's generator for
//! [`signature::RandomizedSigner`]) so that neither a broken RNG nor a fault in the hash alone
//! exposes the key. Caveat: Streebog ([`Streebog512`], this crate's own implementation)
//! computes with lookup tables indexed by state bytes, so hashing the private key is not
//! cache-timing hardened (the same holds for RustCrypto's `streebog` and OpenSSL's gost
//! engine).
//!
//! # Arithmetic
//!
//! Field elements live in `[u64; 4]` / `[u64; 8]`: Montgomery form in general, plain form with
//! a `2^(64N) ≡ c` reduction for the pseudo-Mersenne primes `2^256 − 617` (CryptoPro-A =
//! TC26-256-B, TC26-256-A) and `2^512 − 569` (TC26-512-A, -C), whose constant-time inversion
//! uses an addition chain. Signing uses a signed 6-bit comb over precomputed affine multiples of
//! G (built lazily per curve, ~90 KiB for 256-bit curves, ~350 KiB for 512-bit ones; half as
//! much again for the Edwards tables) and the complete formulas of Renes–Costello–Batina; the
//! cofactor-4 curves TC26-256-A and TC26-512-C run their scalar multiplications on the
//! equivalent Edwards curve `u² + v² = 1 + d·u²·v²` (RFC 7836), where the extended-coordinate
//! formulas of Hisil–Wong–Carter–Dawson are complete and about half the cost. Verification uses
//! Jacobian (or extended Edwards) coordinates, a width-5 wNAF for the public key interleaved
//! with a width-9 wNAF over 128 precomputed odd multiples of G, a variable-time inversion for
//! `e⁻¹ mod q`, and compares `r` without converting the result to affine.
//!
//! # Keys seen again
//!
//! A bank verifies many documents of the same clients, so per-key work is remembered (public
//! data only, the last 64 keys per curve, oldest dropped first): the prime-order subgroup check
//! of the cofactor-4 curves, and, from a key's second verification on, split tables of odd
//! multiples of `2^(64j)·Q` (12 KiB per 256-bit key, 48 KiB per 512-bit key) that cut a
//! verification's doublings from `64·N` to 65, making it 2–3 times faster. A key's first
//! verification costs what it always did.

mod cache;
mod container_key;
mod curve;
mod dispatch;
mod edwards;
mod error;
mod field;
mod hash;
pub mod hazmat;
pub mod oid;
mod params;
mod pkcs8_codec;
mod point;
mod recode;
mod scheme;
mod sig;
mod signing_key;
mod verifying_key;
mod vko;

pub use error::{Error, Result};
pub use hash::{
    Streebog256, Streebog256Core, Streebog512, Streebog512Core, digest, streebog256, streebog512,
};
pub use params::{CurveId, HashAlgorithm, KeyParameters, KeySize, ParamSet};
pub use sig::Signature;
pub use signing_key::SigningKey;
pub use verifying_key::VerifyingKey;
pub use vko::{MAX_UKM_LEN, VkoDigest};

// Re-exported so that users name the versions whose traits this crate implements.
pub use {pkcs8, signature, spki};
