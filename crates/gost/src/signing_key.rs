//! [`SigningKey`]: a private key, its generation, and signing through the `signature` traits.
//! PKCS#8 lives in the `pkcs8_codec` module; signing with a caller's nonce in [`crate::hazmat`].

use core::fmt;

use rand_core::{CryptoRng, TryCryptoRng};
use signature::hazmat::{PrehashSigner, RandomizedPrehashSigner};
use signature::{Keypair, MultipartSigner, RandomizedMultipartSigner, RandomizedSigner, Signer};
use spki::AlgorithmIdentifierOwned;
use zeroize::{Zeroize, Zeroizing};

use crate::dispatch::{key_len, with_curve};
use crate::error::{Error, Result};
use crate::field::{limbs_from_be, limbs_to_be};
use crate::hash::Hasher;
use crate::params::{KeyParameters, ParamSet};
use crate::scheme::{digest_to_e, sign};
use crate::sig::Signature;
use crate::verifying_key::VerifyingKey;

/// How many nonces signing tries before giving up (each fails with probability about `1/q`).
const NONCE_ATTEMPTS: u32 = 64;

/// A GOST R 34.10-2012 private key. The scalar is zeroized on drop and never printed.
///
/// Sign with [`Signer`] (the message is hashed with the key's Streebog) or [`PrehashSigner`]
/// (a Streebog digest of the key's size). The nonce is
/// `k = HMAC-Streebog-512_d(digest ‖ extra ‖ counter) mod q`: deterministic in the key and the
/// digest as in RFC 6979, hedged with 32 fresh bytes from the operating system (or, through
/// [`RandomizedSigner`] and [`RandomizedPrehashSigner`], from the caller's generator).
///
/// ```
/// use keycarrier_gost::signature::{Signer, Verifier};
/// use keycarrier_gost::{ParamSet, SigningKey};
///
/// let key = SigningKey::generate(ParamSet::Tc26_256A).unwrap();
/// let sig = key.sign(b"payment order 42");
/// key.verifying_key().verify(b"payment order 42", &sig).unwrap();
/// assert!(key.verifying_key().verify(b"payment order 43", &sig).is_err());
/// assert!(format!("{key:?}").contains("d: \"***\""));
/// ```
#[derive(Clone)]
pub struct SigningKey {
    /// `d`, big-endian, L bytes.
    pub(crate) d: Zeroizing<Vec<u8>>,
    pub(crate) public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("param_set", &self.public.set)
            .field("d", &"***")
            .field("public", &self.public)
            .finish()
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate(set: ParamSet) -> Result<Self> {
        Self::generate_with(set, &mut os_random)
    }

    /// A fresh key from a caller-supplied cryptographic RNG.
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(set: ParamSet, rng: &mut R) -> Result<Self> {
        Self::generate_with(set, &mut |buf| {
            rng.fill_bytes(buf);
            Ok(())
        })
    }

    fn generate_with(set: ParamSet, fill: &mut dyn FnMut(&mut [u8]) -> Result<()>) -> Result<Self> {
        let l = key_len(set);
        let qbits = with_curve!(set, c, N => c.q.bits as usize);
        let mut buf = Zeroizing::new(vec![0u8; l]);
        // Rejection sampling of d in [1, q-1] after masking to the bit length of q.
        for _ in 0..1000 {
            fill(&mut buf)?;
            let excess = 8 * l - qbits;
            if let Some(first) = buf.first_mut() {
                *first &= 0xffu8 >> excess.min(8);
            }
            match Self::from_be_bytes(set, &buf) {
                Ok(key) => return Ok(key),
                Err(Error::Malformed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Rng {
            reason: "the generator keeps returning out-of-range values".into(),
        })
    }

    /// A key from the big-endian scalar `d` (exactly L bytes, `0 < d < q`).
    pub fn from_be_bytes(set: ParamSet, d: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if d.len() != l {
            return Err(Error::malformed(
                "GOST private key",
                format!("{} bytes; expected {l}", d.len()),
            ));
        }
        let public = with_curve!(set, c, N => {
            let limbs = Zeroizing::new(
                limbs_from_be::<N>(d).ok_or_else(|| Error::malformed("GOST private key", "width"))?,
            );
            if !sign::scalar_in_range(&c.q, &limbs) {
                return Err(Error::malformed(
                    "GOST private key",
                    "scalar is zero or not below q",
                ));
            }
            let (x, y) = sign::public_point(c, &limbs).ok_or_else(|| {
                Error::malformed("GOST private key", "public point at infinity")
            })?;
            let (mut xb, mut yb) = (vec![0u8; l], vec![0u8; l]);
            limbs_to_be(&x, &mut xb);
            limbs_to_be(&y, &mut yb);
            VerifyingKey::from_affine_be(set, &xb, &yb)?
        });
        Ok(Self {
            d: Zeroizing::new(d.to_vec()),
            public,
        })
    }

    /// A key from the little-endian scalar (PKCS#8 `privateKey` content, PKCS#11 `CKA_VALUE`).
    pub fn from_le_bytes(set: ParamSet, d: &[u8]) -> Result<Self> {
        let mut be = Zeroizing::new(d.to_vec());
        be.reverse();
        Self::from_be_bytes(set, &be)
    }

    /// The scalar, big-endian, L bytes.
    pub fn to_be_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.d.clone()
    }

    /// The scalar, little-endian, L bytes (PKCS#8 / PKCS#11 form).
    pub fn to_le_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut le = self.d.clone();
        le.reverse();
        le
    }

    /// The parameter set.
    pub fn param_set(&self) -> ParamSet {
        self.public.set
    }

    /// The public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The same key written with other AlgorithmIdentifier parameters; see
    /// [`VerifyingKey::with_key_parameters`].
    pub fn with_key_parameters(mut self, params: KeyParameters) -> Result<Self> {
        self.public = self.public.clone().with_key_parameters(params)?;
        Ok(self)
    }

    /// Signs a digest with the nonce derived from the key, the digest and `extra` (fresh
    /// randomness; empty = deterministic).
    pub(crate) fn sign_prehash_with_extra(&self, digest: &[u8], extra: &[u8]) -> Result<Signature> {
        self.check_digest(digest)?;
        with_curve!(self.public.set, c, N => {
            let d = Zeroizing::new(
                limbs_from_be::<N>(&self.d)
                    .ok_or_else(|| Error::malformed("GOST private key", "width"))?,
            );
            let e = digest_to_e(&c.q, digest)
                .ok_or_else(|| Error::malformed("digest", "length"))?;
            let nonce_key = sign::nonce_key(&self.d);
            for attempt in 0..NONCE_ATTEMPTS {
                let k = sign::derive_k(&c.q, &nonce_key, digest, extra, attempt);
                if let Some((r, s)) = sign::sign_with_k(c, &d, &e, &k) {
                    return encode(&r, &s);
                }
            }
            Err(Error::NonceExhausted {
                attempts: NONCE_ATTEMPTS,
            })
        })
    }

    /// Signs with 32 bytes of `extra` from `fill`.
    fn sign_hedged(
        &self,
        digest: &[u8],
        fill: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<Signature> {
        let mut extra = Zeroizing::new([0u8; 32]);
        fill(&mut *extra)?;
        self.sign_prehash_with_extra(digest, &*extra)
    }

    /// That `digest` has the key's width (L bytes).
    pub(crate) fn check_digest(&self, digest: &[u8]) -> Result<()> {
        let l = key_len(self.public.set);
        if digest.len() != l {
            return Err(Error::malformed(
                "digest",
                format!(
                    "{} bytes; a {l}-byte Streebog digest is expected",
                    digest.len()
                ),
            ));
        }
        Ok(())
    }

    /// The key's Streebog over the parts of a message.
    fn hash_parts(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut digest = Hasher::new(self.public.hash_algorithm());
        for p in parts {
            digest.update(p);
        }
        digest.finalize()
    }
}

/// `s ‖ r` from the limbs of `r` and `s`.
pub(crate) fn encode<const N: usize>(r: &[u64; N], s: &[u64; N]) -> Result<Signature> {
    let mut bytes = vec![0u8; 16 * N];
    let (sb, rb) = bytes.split_at_mut(8 * N);
    limbs_to_be(s, sb);
    limbs_to_be(r, rb);
    Signature::from_bytes(&bytes)
}

/// Fills `buf` from the operating system's random generator.
fn os_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Rng {
        reason: format!("operating system random generator: {e}"),
    })
}

/// Fills `buf` from a caller's generator.
fn rng_random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> impl FnOnce(&mut [u8]) -> Result<()> {
    move |buf| {
        rng.try_fill_bytes(buf).map_err(|_| Error::Rng {
            reason: "the caller's random generator failed".into(),
        })
    }
}

impl PrehashSigner<Signature> for SigningKey {
    /// Signs a precomputed Streebog digest (L bytes, as the hash outputs them) with a nonce
    /// hedged by the operating system's random generator.
    fn sign_prehash(&self, prehash: &[u8]) -> signature::Result<Signature> {
        self.sign_hedged(prehash, os_random)
            .map_err(Error::into_signature_error)
    }
}

impl RandomizedPrehashSigner<Signature> for SigningKey {
    fn sign_prehash_with_rng<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        prehash: &[u8],
    ) -> signature::Result<Signature> {
        self.sign_hedged(prehash, rng_random(rng))
            .map_err(Error::into_signature_error)
    }
}

impl Signer<Signature> for SigningKey {
    /// Hashes `msg` with the key's Streebog and signs it (hedged nonce).
    fn try_sign(&self, msg: &[u8]) -> signature::Result<Signature> {
        self.try_multipart_sign(&[msg])
    }
}

impl MultipartSigner<Signature> for SigningKey {
    fn try_multipart_sign(&self, msg: &[&[u8]]) -> signature::Result<Signature> {
        self.sign_prehash(&self.hash_parts(msg))
    }
}

impl RandomizedSigner<Signature> for SigningKey {
    fn try_sign_with_rng<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[u8],
    ) -> signature::Result<Signature> {
        self.try_multipart_sign_with_rng(rng, &[msg])
    }
}

impl RandomizedMultipartSigner<Signature> for SigningKey {
    fn try_multipart_sign_with_rng<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[&[u8]],
    ) -> signature::Result<Signature> {
        self.sign_prehash_with_rng(rng, &self.hash_parts(msg))
    }
}

impl Keypair for SigningKey {
    type VerifyingKey = VerifyingKey;

    fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for SigningKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        spki::DynSignatureAlgorithmIdentifier::signature_algorithm_identifier(&self.public)
    }
}
