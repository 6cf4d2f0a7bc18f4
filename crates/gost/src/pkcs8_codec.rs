//! PKCS#8 for [`SigningKey`]: the forms OpenSSL's gost engine writes and reads (the raw
//! little-endian scalar, a nested OCTET STRING, an INTEGER) and CryptoPro's masked keys.

use der::asn1::{OctetStringRef, UintRef};
use der::{Decode, Encode};
use pkcs8::{PrivateKeyInfoRef, SecretDocument};
use zeroize::{Zeroize, Zeroizing};

use crate::dispatch::{key_len, with_curve};
use crate::error::{Error, Result};
use crate::field::{limbs_from_be, limbs_to_be};
use crate::params::{KeyParameters, ParamSet};
use crate::signing_key::SigningKey;

impl SigningKey {
    /// PKCS#8 `PrivateKeyInfo` DER: the key's AlgorithmIdentifier and the scalar as an OCTET
    /// STRING of L little-endian bytes (what OpenSSL's gost engine writes by default).
    pub fn to_pkcs8_der(&self) -> Result<SecretDocument> {
        let le = self.to_le_bytes();
        let alg = self
            .public
            .params
            .algorithm_identifier(self.public.algorithm)?;
        let alg_der = alg.to_der().map_err(Error::der("private key"))?;
        let alg_ref =
            spki::AlgorithmIdentifierRef::from_der(&alg_der).map_err(Error::der("private key"))?;
        let octets = OctetStringRef::new(&le).map_err(Error::der("private key"))?;
        let info = PrivateKeyInfoRef::new(alg_ref, octets);
        SecretDocument::encode_msg(&info).map_err(Error::der("private key"))
    }

    /// Parses PKCS#8 `PrivateKeyInfo` DER. The `privateKey` content may be the raw
    /// little-endian scalar (OpenSSL default), a nested OCTET STRING holding it (BouncyCastle /
    /// `LEGACY_PK_WRAP`), an INTEGER (big-endian), or a CryptoPro *masked* key: the masked
    /// scalar followed by one or more masks (L bytes each, little-endian; `d = masked · Π mask
    /// mod q`, as gost-engine's `unmask_priv_key` computes it), bare or inside a
    /// `MASKED_GOST_KEY ::= SEQUENCE { maskedKey OCTET STRING, publicKey OCTET STRING }`
    /// whose public key must then match.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = PrivateKeyInfoRef::from_der(der).map_err(Error::der("private key"))?;
        Self::from_pkcs8_info(&info)
    }

    fn from_pkcs8_info(info: &PrivateKeyInfoRef<'_>) -> Result<Self> {
        let (set, params) = KeyParameters::parse(
            &info.algorithm.oid,
            info.algorithm.parameters,
            "private key",
        )?;
        let l = key_len(set);
        let content = info.private_key.as_bytes();
        // Lengths first, as gost-engine's priv_decode_gost does: a bare masked key is random
        // bytes, so its first byte may look like a DER tag.
        let key = if content.len() == l {
            Self::from_le_bytes(set, content)?
        } else if content.len() > l && content.len().is_multiple_of(l) {
            Self::from_be_bytes(set, &unmask(set, content)?)?
        } else if content.first() == Some(&0x04) {
            let inner = <&OctetStringRef>::from_der(content).map_err(Error::der("private key"))?;
            if inner.as_bytes().len() != l {
                return Err(Error::malformed(
                    "private key",
                    format!("nested OCTET STRING of {} bytes", inner.as_bytes().len()),
                ));
            }
            Self::from_le_bytes(set, inner.as_bytes())?
        } else if content.first() == Some(&0x02) {
            let int = UintRef::from_der(content).map_err(Error::der("private key"))?;
            let bytes = int.as_bytes();
            if bytes.len() > l {
                return Err(Error::malformed(
                    "private key",
                    "INTEGER wider than the key",
                ));
            }
            let mut be = Zeroizing::new(vec![0u8; l]);
            if let Some(dst) = be.get_mut(l - bytes.len()..) {
                dst.copy_from_slice(bytes);
            }
            Self::from_be_bytes(set, &be)?
        } else if content.first() == Some(&0x30) {
            let masked =
                MaskedGostKey::from_der(content).map_err(Error::der("masked private key"))?;
            let key = Self::from_be_bytes(set, &unmask(set, masked.masked_key.as_bytes())?)?;
            // The SEQUENCE form carries the public key as well: it must be the key's own.
            let public = masked.public_key.as_bytes();
            if !public.is_empty() && public != key.public.as_raw_le() {
                return Err(Error::malformed(
                    "masked private key",
                    "public key does not belong to the private key",
                ));
            }
            key
        } else {
            return Err(Error::malformed(
                "private key",
                format!("{} bytes of key material; expected {l}", content.len()),
            ));
        };
        let public = key
            .public
            .clone()
            .with_algorithm(set, info.algorithm.oid, params);
        Ok(Self {
            d: key.d.clone(),
            public,
        })
    }
}

/// CryptoPro's `MASKED_GOST_KEY` (gost-engine `gost_asn1.c`).
#[derive(der::Sequence)]
struct MaskedGostKey<'a> {
    masked_key: &'a OctetStringRef,
    public_key: &'a OctetStringRef,
}

/// Unmasks a CryptoPro masked scalar: `content` = masked ‖ mask₁ ‖ … ‖ maskₙ (n ≥ 1), each L
/// bytes little-endian; returns `d = masked · mask₁ · … · maskₙ mod q` big-endian, L bytes.
/// Constant time in the key material (Montgomery multiplications only).
fn unmask(set: ParamSet, content: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let l = key_len(set);
    if content.len() <= l || !content.len().is_multiple_of(l) {
        return Err(Error::malformed(
            "masked private key",
            format!(
                "{} bytes; expected a multiple of {l} above {l}",
                content.len()
            ),
        ));
    }
    with_curve!(set, c, N => {
        let q = &c.q;
        let mut acc = q.one();
        for chunk in content.chunks_exact(l) {
            let mut be = Zeroizing::new(chunk.to_vec());
            be.reverse();
            let limbs = Zeroizing::new(
                limbs_from_be::<N>(&be).ok_or_else(|| Error::malformed("masked private key", "width"))?,
            );
            let mut factor = q.to_mont(&limbs);
            acc = q.mul(&acc, &factor);
            factor.zeroize();
        }
        let mut d = Zeroizing::new(q.retrieve(&acc));
        acc.zeroize();
        let mut out = Zeroizing::new(vec![0u8; l]);
        limbs_to_be(&d, &mut out);
        d.zeroize();
        Ok(out)
    })
}

impl pkcs8::EncodePrivateKey for SigningKey {
    fn to_pkcs8_der(&self) -> pkcs8::Result<SecretDocument> {
        SigningKey::to_pkcs8_der(self)
            .map_err(|_| pkcs8::Error::KeyMalformed(pkcs8::KeyError::Invalid))
    }
}

impl TryFrom<PrivateKeyInfoRef<'_>> for SigningKey {
    type Error = pkcs8::Error;

    fn try_from(info: PrivateKeyInfoRef<'_>) -> pkcs8::Result<Self> {
        Self::from_pkcs8_info(&info).map_err(|e| match e {
            Error::Unsupported { .. } => pkcs8::Error::PublicKey(spki::Error::OidUnknown {
                oid: info.algorithm.oid,
            }),
            _ => pkcs8::Error::KeyMalformed(pkcs8::KeyError::Invalid),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;

    /// PKCS#8 of `key` with `privateKey` content replaced by `content`.
    fn pkcs8_with(key: &SigningKey, content: &[u8]) -> Vec<u8> {
        let der = key.to_pkcs8_der().unwrap();
        let info = PrivateKeyInfoRef::from_der(der.as_bytes()).unwrap();
        let replaced =
            PrivateKeyInfoRef::new(info.algorithm, OctetStringRef::new(content).unwrap());
        replaced.to_der().unwrap()
    }

    /// `(d · Π masks⁻¹ mod q)` little-endian followed by the masks, as CryptoPro stores it.
    fn mask(key: &SigningKey, masks: &[&[u8]]) -> Vec<u8> {
        let set = key.param_set();
        let l = key_len(set);
        let d = key.to_be_bytes();
        let masked = with_curve!(set, c, N => {
            let q = &c.q;
            let mut acc = q.to_mont(&limbs_from_be::<N>(&d).unwrap());
            for m in masks {
                let mut be = m.to_vec();
                be.reverse();
                let f = q.to_mont(&limbs_from_be::<N>(&be).unwrap());
                acc = q.mul(&acc, &q.invert(&f));
            }
            let mut out = vec![0u8; l];
            limbs_to_be(&q.retrieve(&acc), &mut out);
            out.reverse();
            out
        });
        let mut content = masked;
        for m in masks {
            content.extend_from_slice(m);
        }
        content
    }

    #[test]
    fn cryptopro_masked_keys_unmask_to_the_key() {
        for set in [
            ParamSet::Tc26_256A,
            ParamSet::CryptoProA,
            ParamSet::Tc26_512C,
        ] {
            let key = SigningKey::generate(set).unwrap();
            let l = key_len(set);
            let m1: Vec<u8> = (0..l).map(|i| (i as u8).wrapping_mul(37) ^ 0x5a).collect();
            let m2: Vec<u8> = (0..l).map(|i| (i as u8).wrapping_mul(11) ^ 0xc3).collect();
            for masks in [vec![m1.as_slice()], vec![m1.as_slice(), m2.as_slice()]] {
                let content = mask(&key, &masks);
                assert_eq!(content.len(), l * (masks.len() + 1));
                let back = SigningKey::from_pkcs8_der(&pkcs8_with(&key, &content)).unwrap();
                assert_eq!(*back.to_be_bytes(), *key.to_be_bytes(), "{set}");
                // A flipped bit in a mask gives another scalar, never the key.
                let mut bad = content.clone();
                bad[l] ^= 1;
                match SigningKey::from_pkcs8_der(&pkcs8_with(&key, &bad)) {
                    Ok(other) => assert_ne!(*other.to_be_bytes(), *key.to_be_bytes()),
                    Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{e}"),
                }
            }
            // The MASKED_GOST_KEY SEQUENCE form, with its public key checked.
            let content = mask(&key, &[m1.as_slice()]);
            let seq = |public: &[u8]| {
                MaskedGostKey {
                    masked_key: OctetStringRef::new(&content).unwrap(),
                    public_key: OctetStringRef::new(public).unwrap(),
                }
                .to_der()
                .unwrap()
            };
            let good = seq(key.verifying_key().as_raw_le());
            let back = SigningKey::from_pkcs8_der(&pkcs8_with(&key, &good)).unwrap();
            assert_eq!(*back.to_be_bytes(), *key.to_be_bytes());
            let other = SigningKey::generate(set).unwrap();
            let wrong = seq(other.verifying_key().as_raw_le());
            assert!(matches!(
                SigningKey::from_pkcs8_der(&pkcs8_with(&key, &wrong)),
                Err(Error::Malformed { .. })
            ));
        }
    }

    /// A bare masked key starting with a byte that looks like a DER tag (OCTET STRING,
    /// INTEGER, SEQUENCE) is still read as key ‖ mask: the length decides, as in gost-engine.
    #[test]
    fn masked_key_that_looks_like_der_is_unmasked() {
        let key = SigningKey::generate(ParamSet::Tc26_256A).unwrap();
        for tag in [0x02u8, 0x04, 0x30] {
            let content = (0u32..20_000)
                .map(|i| {
                    let mut m = vec![0x11u8; 32];
                    m[..4].copy_from_slice(&(i + 2).to_le_bytes());
                    mask(&key, &[m.as_slice()])
                })
                .find(|c| c[0] == tag)
                .expect("a mask giving that first byte");
            let back = SigningKey::from_pkcs8_der(&pkcs8_with(&key, &content)).unwrap();
            assert_eq!(
                *back.to_be_bytes(),
                *key.to_be_bytes(),
                "first byte {tag:#04x}"
            );
        }
    }

    #[test]
    fn masked_key_of_bad_length_or_zero_is_malformed() {
        let key = SigningKey::generate(ParamSet::Tc26_256A).unwrap();
        // A zero mask makes d = 0: refused as out of range, not accepted.
        let mut content = vec![0x11u8; 32];
        content.extend([0u8; 32]);
        assert!(matches!(
            SigningKey::from_pkcs8_der(&pkcs8_with(&key, &content)),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            SigningKey::from_pkcs8_der(&pkcs8_with(&key, &[0x30, 0x03, 0x04, 0x01, 0x00])),
            Err(Error::Der {
                what: "masked private key",
                ..
            })
        ));
    }
}
