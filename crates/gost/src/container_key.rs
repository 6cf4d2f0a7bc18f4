//! The private key of a CryptoPro CSP key container: CryptoPro never stores the scalar `d`
//! itself but `d · mask mod q` (the container's `primary.key`, once decrypted) next to a random
//! `mask` (`masks.key`), so that neither file alone is the key. Recovering `d` needs `mask⁻¹
//! mod q`, i.e. arithmetic modulo the curve's order, which lives here with the rest of the
//! constant-time scalar code.

use zeroize::{Zeroize, Zeroizing};

use crate::dispatch::{key_len, with_curve};
use crate::error::{Error, Result};
use crate::field::{limbs_from_be, limbs_to_be};
use crate::params::ParamSet;
use crate::signing_key::SigningKey;

impl SigningKey {
    /// The key of a CryptoPro container: `d = masked · mask⁻¹ mod q`, where `masked` is the
    /// decrypted primary key and `mask` the container's mask, both L bytes little-endian as
    /// CryptoPro stores them. Constant time in both (Montgomery multiplications and a Fermat
    /// inversion with a public exponent).
    ///
    /// A wrong PIN decrypts `masked` to noise, which still gives *some* key: compare its public
    /// key with the container's before trusting it. A zero mask or a result of zero is
    /// [`Error::Malformed`].
    ///
    /// ```
    /// use keycarrier_gost::{ParamSet, SigningKey};
    /// let key = SigningKey::generate(ParamSet::Tc26_256A)?;
    /// // mask = 1: the masked value is the key itself.
    /// let mut one = [0u8; 32];
    /// one[0] = 1;
    /// let back = SigningKey::from_cryptopro_masked(ParamSet::Tc26_256A, &key.to_le_bytes(), &one)?;
    /// assert_eq!(back.verifying_key(), key.verifying_key());
    /// # Ok::<(), keycarrier_gost::Error>(())
    /// ```
    pub fn from_cryptopro_masked(set: ParamSet, masked_le: &[u8], mask_le: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if masked_le.len() != l || mask_le.len() != l {
            return Err(Error::malformed(
                "CryptoPro container key",
                format!(
                    "{} bytes of key and {} bytes of mask; expected {l} each",
                    masked_le.len(),
                    mask_le.len()
                ),
            ));
        }
        let d = with_curve!(set, c, N => {
            let q = &c.q;
            let to_fe = |le: &[u8]| -> Result<_> {
                let mut be = Zeroizing::new(le.to_vec());
                be.reverse();
                let limbs = Zeroizing::new(
                    limbs_from_be::<N>(&be)
                        .ok_or_else(|| Error::malformed("CryptoPro container key", "width"))?,
                );
                Ok(q.to_mont(&limbs))
            };
            let mut masked = to_fe(masked_le)?;
            let mut mask = to_fe(mask_le)?;
            let mut inverse = q.invert(&mask);
            let mut product = q.mul(&masked, &inverse);
            let mut limbs = Zeroizing::new(q.retrieve(&product));
            let mut out = Zeroizing::new(vec![0u8; l]);
            limbs_to_be(&limbs, &mut out);
            masked.zeroize();
            mask.zeroize();
            inverse.zeroize();
            product.zeroize();
            limbs.zeroize();
            out
        });
        Self::from_be_bytes(set, &d)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    /// `d · mask mod q`, little-endian: what CryptoPro keeps in `primary.key`.
    fn masked(key: &SigningKey, mask_le: &[u8]) -> Vec<u8> {
        let set = key.param_set();
        let l = key_len(set);
        let d = key.to_be_bytes();
        with_curve!(set, c, N => {
            let q = &c.q;
            let mut be = mask_le.to_vec();
            be.reverse();
            let m = q.to_mont(&limbs_from_be::<N>(&be).unwrap());
            let dm = q.mul(&q.to_mont(&limbs_from_be::<N>(&d).unwrap()), &m);
            let mut out = vec![0u8; l];
            limbs_to_be(&q.retrieve(&dm), &mut out);
            out.reverse();
            out
        })
    }

    #[test]
    fn masking_round_trips_on_256_and_512_bit_curves() {
        for set in [
            ParamSet::CryptoProXchA,
            ParamSet::Tc26_256A,
            ParamSet::Tc26_512A,
        ] {
            let key = SigningKey::generate(set).unwrap();
            let l = key_len(set);
            let mask: Vec<u8> = (0..l).map(|i| (i as u8).wrapping_mul(29) ^ 0xa5).collect();
            let back = SigningKey::from_cryptopro_masked(set, &masked(&key, &mask), &mask).unwrap();
            assert_eq!(*back.to_be_bytes(), *key.to_be_bytes(), "{set}");
            // Another mask gives another key, never this one.
            let mut other = mask.clone();
            other[1] ^= 1;
            let wrong =
                SigningKey::from_cryptopro_masked(set, &masked(&key, &mask), &other).unwrap();
            assert_ne!(*wrong.to_be_bytes(), *key.to_be_bytes());
        }
    }

    #[test]
    fn zero_mask_and_bad_lengths_are_malformed() {
        let set = ParamSet::CryptoProA;
        let one_and_zeros = {
            let mut v = vec![0u8; 32];
            v[0] = 1;
            v
        };
        for (k, m) in [
            (one_and_zeros.clone(), vec![0u8; 32]),
            (vec![0u8; 32], one_and_zeros.clone()),
            (vec![1u8; 31], one_and_zeros.clone()),
            (one_and_zeros.clone(), vec![1u8; 64]),
        ] {
            assert!(matches!(
                SigningKey::from_cryptopro_masked(set, &k, &m),
                Err(Error::Malformed { .. })
            ));
        }
    }
}
