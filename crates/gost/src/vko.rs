//! Key agreement: VKO GOST R 34.10-2012 (RFC 7836 §4.3.1, R 50.1.113-2016 §4.3), the shared
//! key of CMS KeyAgreeRecipientInfo, KEG (RFC 9189 §8.2.1) and GOST TLS; and VKO GOST R
//! 34.10-2001 (RFC 4357 §5.2), the key-encryption key of RFC 4490 CMS, hashed with GOST R
//! 34.11-94 (CryptoPro parameters, RustCrypto `gost94`).
//!
//! `K = (h·UKM·d mod q)·Q_peer`, then `KEK = Streebog(x_le ‖ y_le)` of the affine point, each
//! coordinate little-endian and L bytes (L = 32 or 64 by the curve). `h` is the cofactor (4 on
//! TC26-256-A and TC26-512-C, 1 elsewhere); `UKM` is the user keying material, a public
//! integer that both sides know (the CMS `ukm`, a TLS random).
//!
//! **Constant time** in the private scalar: `h·UKM·d mod q` in Montgomery arithmetic, `K` by
//! the constant-time variable-base multiplication, the affine conversion by Fermat inversion.
//! Only the verdict "K is the identity" (which needs `UKM ≡ 0 mod q`) is branched on. The
//! caveat of the crate docs about Streebog's table lookups applies to the final hash.

use digest::Digest;
use gost94::Gost94CryptoPro;
use zeroize::{Zeroize, Zeroizing};

use crate::curve::Curve;
use crate::curve::params::AnyCurve;
use crate::dispatch::{PubPoint, curve_of};
use crate::error::{Error, Result};
use crate::field::{Fe, is_zero_ct, limbs_from_be, limbs_to_be};
use crate::hash::Hasher;
use crate::params::{HashAlgorithm, KeySize};
use crate::point::Point;
use crate::signing_key::SigningKey;
use crate::verifying_key::VerifyingKey;

/// The longest UKM accepted, in bytes: 64 (KEG passes 16, CMS and TLS 1.2 pass 8).
pub const MAX_UKM_LEN: usize = 64;

/// The hash that turns the agreed point into the shared key: VKO_GOSTR3410_2012_256 or _512
/// (R 50.1.113-2016 §4.3.1, §4.3.2). The choice belongs to the protocol, not the curve: CMS
/// with a 256-bit key and KEG for 256-bit keys use Streebog-256, KEG for 512-bit keys uses
/// Streebog-512, and a 512-bit key may well use Streebog-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VkoDigest {
    /// VKO_GOSTR3410_2012_256: a 32-byte shared key.
    Streebog256,
    /// VKO_GOSTR3410_2012_512: a 64-byte shared key.
    Streebog512,
}

impl VkoDigest {
    /// Length of the shared key in bytes (32 or 64).
    pub const fn output_len(self) -> usize {
        self.hash().output_len()
    }

    const fn hash(self) -> HashAlgorithm {
        match self {
            Self::Streebog256 => HashAlgorithm::Streebog256,
            Self::Streebog512 => HashAlgorithm::Streebog512,
        }
    }
}

impl SigningKey {
    /// VKO GOST R 34.10-2012: K = (cofactor·UKM·d mod q)·Q_peer, Streebog(x_le‖y_le).
    /// `ukm_le` = the UKM integer's little-endian bytes (1..=64 bytes; zero counts as 1).
    ///
    /// Both parties get the same key from their own private key and the other's public key:
    /// this is how a CMS sender (with an ephemeral key) and the recipient (with the key of its
    /// certificate) agree on the key-encryption key. The UKM is read as RFC 7836 prints it,
    /// the first byte least significant (`1d80603c8544c727` is the integer `0x27c744853c60801d`);
    /// an all-zero UKM is taken as 1, as R 1323565.1.020 asks.
    ///
    /// Errors: [`Error::CurveMismatch`] when `peer` is on another curve than this key (a peer
    /// key under another OID of the *same* curve, e.g. XchA for CryptoPro-A, is fine);
    /// [`Error::Malformed`] for a UKM that is empty or longer than [`MAX_UKM_LEN`];
    /// [`Error::KeyAgreement`] when the agreed point is the identity (only a UKM that is a
    /// multiple of q does that). `peer` is already on the curve and in the prime-order
    /// subgroup: every [`VerifyingKey`] is validated when it is made.
    ///
    /// ```
    /// use keycarrier_gost::{ParamSet, SigningKey, VkoDigest};
    ///
    /// let alice = SigningKey::generate(ParamSet::Tc26_256A)?;
    /// let bob = SigningKey::generate(ParamSet::Tc26_256A)?;
    /// let ukm = [0x1d, 0x80, 0x60, 0x3c, 0x85, 0x44, 0xc7, 0x27];
    /// let k1 = alice.vko(bob.verifying_key(), &ukm, VkoDigest::Streebog256)?;
    /// let k2 = bob.vko(alice.verifying_key(), &ukm, VkoDigest::Streebog256)?;
    /// assert_eq!(*k1, *k2);
    /// assert_eq!(k1.len(), 32);
    /// # Ok::<(), keycarrier_gost::Error>(())
    /// ```
    pub fn vko(
        &self,
        peer: &VerifyingKey,
        ukm_le: &[u8],
        digest: VkoDigest,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let xy = self.agree(peer, ukm_le)?;
        let mut hash = Hasher::new(digest.hash());
        hash.update(&xy);
        Ok(Zeroizing::new(hash.finalize()))
    }

    /// VKO GOST R 34.10-2001 (RFC 4357 §5.2): `K = (UKM·d)·Q_peer`, then GOST R 34.11-94
    /// with the CryptoPro parameters over `x_le ‖ y_le`: the 32-byte key-encryption key of
    /// RFC 4490 CMS and of GOST 2001 era software (what `openssl pkeyutl -derive` gives for
    /// `gost2001` keys). `ukm_le` as for [`SigningKey::vko`] (8 bytes in RFC 4490).
    ///
    /// GOST R 34.10-2001 keys are 256-bit keys on the CryptoPro curves (cofactor 1); a 512-bit
    /// key gives [`Error::Unsupported`]. The point is computed exactly as for [`SigningKey::vko`]
    /// (the cofactor factor is 1 on those curves), in constant time.
    pub fn vko_2001(&self, peer: &VerifyingKey, ukm_le: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if self.param_set().key_size() != KeySize::Bits256 {
            return Err(Error::Unsupported {
                what: "VKO GOST R 34.10-2001 with a 512-bit key".into(),
            });
        }
        let xy = self.agree(peer, ukm_le)?;
        Ok(Zeroizing::new(Gost94CryptoPro::digest(&xy[..]).to_vec()))
    }

    /// `x_le ‖ y_le` of the agreed point `(h·UKM·d mod q)·Q_peer`, after the checks.
    fn agree(&self, peer: &VerifyingKey, ukm_le: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let ours = self.param_set().curve();
        let theirs = peer.param_set().curve();
        if ours != theirs {
            return Err(Error::CurveMismatch { ours, peer: theirs });
        }
        if ukm_le.is_empty() || ukm_le.len() > MAX_UKM_LEN {
            return Err(Error::malformed(
                "UKM",
                format!("{} bytes; expected 1 to {MAX_UKM_LEN}", ukm_le.len()),
            ));
        }
        match (curve_of(self.param_set()), peer.point()) {
            (AnyCurve::C256(c), PubPoint::P256(q)) => agreed_point(c, &q, &self.d, ukm_le),
            (AnyCurve::C512(c), PubPoint::P512(q)) => agreed_point(c, &q, &self.d, ukm_le),
            _ => Err(Error::CurveMismatch { ours, peer: theirs }),
        }
    }
}

/// `x_le ‖ y_le` of `(h·UKM·d mod q)·Q` (2L bytes), `d_be` the private scalar big-endian.
fn agreed_point<const N: usize>(
    c: &Curve<N>,
    peer: &Point<N>,
    d_be: &[u8],
    ukm_le: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let q = &c.q;
    let d = Zeroizing::new(
        limbs_from_be::<N>(d_be).ok_or_else(|| Error::malformed("GOST private key", "width"))?,
    );
    let ukm = ukm_mod_q(c, ukm_le)?;
    // h·UKM·d mod q in Montgomery form; h is 1 or 4 (public, a property of the curve).
    let mut d_m = q.to_mont(&d);
    let mut s_m = q.mul(&d_m, &q.to_mont(&ukm));
    for _ in 0..c.cofactor.trailing_zeros() {
        s_m = q.add(&s_m, &s_m);
    }
    let s = Zeroizing::new(q.retrieve(&s_m));
    d_m.zeroize();
    s_m.zeroize();
    let mut point = c.mul_ct(peer, &s);
    let affine = c.to_affine(&point);
    point.x.zeroize();
    point.y.zeroize();
    point.z.zeroize();
    let (mut x, mut y) = affine.ok_or(Error::KeyAgreement {
        reason: "the agreed point is the identity (UKM is a multiple of q)",
    })?;
    let l = 8 * N;
    let mut out = Zeroizing::new(vec![0u8; 2 * l]);
    let (xo, yo) = out.split_at_mut(l);
    let mut xl = Zeroizing::new(c.p.retrieve(&x));
    let mut yl = Zeroizing::new(c.p.retrieve(&y));
    x.zeroize();
    y.zeroize();
    limbs_to_be(&xl, xo);
    limbs_to_be(&yl, yo);
    xl.zeroize();
    yl.zeroize();
    xo.reverse();
    yo.reverse();
    Ok(out)
}

/// The UKM (little-endian, 1..=64 bytes) as an integer mod q; zero counts as 1. Public data,
/// but handled with the same constant-time arithmetic as everything else here.
fn ukm_mod_q<const N: usize>(c: &Curve<N>, ukm_le: &[u8]) -> Result<[u64; N]> {
    let q = &c.q;
    if ukm_le.iter().all(|b| *b == 0) {
        let mut one = [0u64; N];
        if let Some(l) = one.first_mut() {
            *l = 1;
        }
        return Ok(one);
    }
    // Big-endian, zero-padded to 16·N bytes (64 ≤ 16·N): value = hi·2^(64N) + lo.
    let mut wide = vec![0u8; 16 * N];
    let start = wide
        .len()
        .checked_sub(ukm_le.len())
        .ok_or_else(|| Error::malformed("UKM", "too long"))?;
    for (dst, src) in wide.iter_mut().skip(start).zip(ukm_le.iter().rev()) {
        *dst = *src;
    }
    let (hi, lo) = wide.split_at(8 * N);
    let width = || Error::malformed("UKM", "width");
    let hi = limbs_from_be::<N>(hi).ok_or_else(width)?;
    let lo = limbs_from_be::<N>(lo).ok_or_else(width)?;
    // The Montgomery form of hi is hi·2^(64N) mod q as an integer; lo mod q via a round trip.
    let hi_r = q.to_mont(&hi);
    let lo_red = Fe(q.retrieve(&q.to_mont(&lo)));
    let ukm = q.add(&hi_r, &lo_red).0;
    if bool::from(is_zero_ct(&ukm)) {
        // UKM ≡ 0 mod q but not zero: the agreed point would be the identity.
        return Err(Error::KeyAgreement {
            reason: "the UKM is a nonzero multiple of q",
        });
    }
    Ok(ukm)
}
