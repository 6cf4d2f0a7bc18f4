//! Parameter sets, curves, key sizes, the hash that goes with them, and the
//! `GostR3410-2012-PublicKeyParameters` of SPKI and PKCS#8.
//!
//! One elliptic curve can carry several OIDs (CryptoPro-A = XchA = TC26-256-B). A
//! [`ParamSet`] remembers *which* OID a key was made with, because peers compare OIDs
//! literally: a certificate request for a CryptoPro-A key must say CryptoPro-A. Use
//! [`ParamSet::curve`] when you need to know whether two sets are the same curve.

use core::fmt;

use der::asn1::ObjectIdentifier;
use der::{Any, Sequence};
use spki::AlgorithmIdentifierOwned;

use crate::error::{Error, Result};
use crate::oid;

/// Size of a GOST R 34.10-2012 key: the standard fixes 256-bit and 512-bit variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySize {
    /// 256-bit keys, Streebog-256, 64-byte signatures.
    Bits256,
    /// 512-bit keys, Streebog-512, 128-byte signatures.
    Bits512,
}

impl KeySize {
    /// Length in bytes of one coordinate, scalar or signature half (`L` in the standard).
    pub const fn coordinate_len(self) -> usize {
        match self {
            Self::Bits256 => 32,
            Self::Bits512 => 64,
        }
    }

    /// Length in bytes of a signature `s ‖ r`.
    pub const fn signature_len(self) -> usize {
        2 * self.coordinate_len()
    }

    /// The Streebog that goes with keys of this size.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Self::Bits256 => HashAlgorithm::Streebog256,
            Self::Bits512 => HashAlgorithm::Streebog512,
        }
    }

    /// The key algorithm OID (id-tc26-gost3410-12-256 / -512).
    pub const fn key_oid(self) -> ObjectIdentifier {
        match self {
            Self::Bits256 => oid::TC26_GOST_3410_12_256,
            Self::Bits512 => oid::TC26_GOST_3410_12_512,
        }
    }

    /// The X.509 signature algorithm OID (id-tc26-signwithdigest-gost3410-12-256 / -512).
    pub const fn signature_oid(self) -> ObjectIdentifier {
        match self {
            Self::Bits256 => oid::TC26_SIGNWITHDIGEST_GOST_3410_12_256,
            Self::Bits512 => oid::TC26_SIGNWITHDIGEST_GOST_3410_12_512,
        }
    }
}

/// The hash functions of GOST R 34.11-2012 (Streebog). There is no other: a GOST signature is
/// always over a Streebog digest of the key's size.
///
/// ```
/// use keycarrier_gost::HashAlgorithm;
/// assert_eq!(keycarrier_gost::digest(HashAlgorithm::Streebog256, b"").len(), 32);
/// assert_eq!(HashAlgorithm::Streebog512.output_len(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// Streebog-256.
    Streebog256,
    /// Streebog-512.
    Streebog512,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Streebog256 => 32,
            Self::Streebog512 => 64,
        }
    }

    /// The digest's OID (also the `digestParamSet` of key parameters).
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Streebog256 => oid::TC26_GOST_3411_12_256,
            Self::Streebog512 => oid::TC26_GOST_3411_12_512,
        }
    }
}

/// The distinct elliptic curves behind the GOST parameter-set OIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CurveId {
    /// id-GostR3410-2001-TestParamSet (test only).
    Test256,
    /// CryptoPro-A = XchA = TC26-256-B.
    CryptoProA,
    /// CryptoPro-B = TC26-256-C.
    CryptoProB,
    /// CryptoPro-C = XchB = TC26-256-D.
    CryptoProC,
    /// TC26-256-A (twisted Edwards, cofactor 4).
    Tc26_256A,
    /// TC26-512 test curve (test only).
    Test512,
    /// TC26-512-A.
    Tc26_512A,
    /// TC26-512-B.
    Tc26_512B,
    /// TC26-512-C (twisted Edwards, cofactor 4).
    Tc26_512C,
}

/// A GOST R 34.10 parameter set, identified by the OID it was named with.
///
/// ```
/// use keycarrier_gost::{CurveId, ParamSet};
/// let set = ParamSet::from_oid(&"1.2.643.7.1.2.1.1.2".parse().unwrap()).unwrap();
/// assert_eq!(set, ParamSet::Tc26_256B);
/// assert_eq!(set.curve(), CurveId::CryptoProA);
/// assert_eq!(set.curve(), ParamSet::CryptoProA.curve());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamSet {
    /// id-GostR3410-2001-TestParamSet, 1.2.643.2.2.35.0 (GOST R 34.10-2012 example 1; tests only).
    Test256,
    /// id-GostR3410-2001-CryptoPro-A-ParamSet, 1.2.643.2.2.35.1.
    CryptoProA,
    /// id-GostR3410-2001-CryptoPro-B-ParamSet, 1.2.643.2.2.35.2.
    CryptoProB,
    /// id-GostR3410-2001-CryptoPro-C-ParamSet, 1.2.643.2.2.35.3.
    CryptoProC,
    /// id-GostR3410-2001-CryptoPro-XchA-ParamSet, 1.2.643.2.2.36.0.
    CryptoProXchA,
    /// id-GostR3410-2001-CryptoPro-XchB-ParamSet, 1.2.643.2.2.36.1.
    CryptoProXchB,
    /// id-tc26-gost-3410-12-256-paramSetA, 1.2.643.7.1.2.1.1.1.
    Tc26_256A,
    /// id-tc26-gost-3410-12-256-paramSetB, 1.2.643.7.1.2.1.1.2.
    Tc26_256B,
    /// id-tc26-gost-3410-12-256-paramSetC, 1.2.643.7.1.2.1.1.3.
    Tc26_256C,
    /// id-tc26-gost-3410-12-256-paramSetD, 1.2.643.7.1.2.1.1.4.
    Tc26_256D,
    /// id-tc26-gost-3410-12-512-paramSetTest, 1.2.643.7.1.2.1.2.0 (example 2; tests only).
    Test512,
    /// id-tc26-gost-3410-12-512-paramSetA, 1.2.643.7.1.2.1.2.1.
    Tc26_512A,
    /// id-tc26-gost-3410-12-512-paramSetB, 1.2.643.7.1.2.1.2.2.
    Tc26_512B,
    /// id-tc26-gost-3410-12-512-paramSetC, 1.2.643.7.1.2.1.2.3.
    Tc26_512C,
}

impl ParamSet {
    /// Every parameter set, test sets included.
    pub const ALL: [Self; 14] = [
        Self::Test256,
        Self::CryptoProA,
        Self::CryptoProB,
        Self::CryptoProC,
        Self::CryptoProXchA,
        Self::CryptoProXchB,
        Self::Tc26_256A,
        Self::Tc26_256B,
        Self::Tc26_256C,
        Self::Tc26_256D,
        Self::Test512,
        Self::Tc26_512A,
        Self::Tc26_512B,
        Self::Tc26_512C,
    ];

    /// The OID this parameter set is named by.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Test256 => oid::GOST_R3410_2001_TEST_PARAM_SET,
            Self::CryptoProA => oid::GOST_R3410_2001_CRYPTO_PRO_A_PARAM_SET,
            Self::CryptoProB => oid::GOST_R3410_2001_CRYPTO_PRO_B_PARAM_SET,
            Self::CryptoProC => oid::GOST_R3410_2001_CRYPTO_PRO_C_PARAM_SET,
            Self::CryptoProXchA => oid::GOST_R3410_2001_CRYPTO_PRO_XCH_A_PARAM_SET,
            Self::CryptoProXchB => oid::GOST_R3410_2001_CRYPTO_PRO_XCH_B_PARAM_SET,
            Self::Tc26_256A => oid::TC26_GOST_3410_12_256_PARAM_SET_A,
            Self::Tc26_256B => oid::TC26_GOST_3410_12_256_PARAM_SET_B,
            Self::Tc26_256C => oid::TC26_GOST_3410_12_256_PARAM_SET_C,
            Self::Tc26_256D => oid::TC26_GOST_3410_12_256_PARAM_SET_D,
            Self::Test512 => oid::TC26_GOST_3410_12_512_PARAM_SET_TEST,
            Self::Tc26_512A => oid::TC26_GOST_3410_12_512_PARAM_SET_A,
            Self::Tc26_512B => oid::TC26_GOST_3410_12_512_PARAM_SET_B,
            Self::Tc26_512C => oid::TC26_GOST_3410_12_512_PARAM_SET_C,
        }
    }

    /// The parameter set an OID names, or `None` for an OID that is not a GOST curve.
    ///
    /// The Kazakh OIDs for the TC26 curves are accepted and mapped to the TC26 set of the same
    /// curve.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == oid::KZ_GOST_3410_2015_256_PARAM_SET_A {
            return Some(Self::Tc26_256A);
        }
        if *oid == oid::KZ_GOST_3410_2015_512_PARAM_SET_A {
            return Some(Self::Tc26_512A);
        }
        Self::ALL.into_iter().find(|set| set.oid() == *oid)
    }

    /// The curve behind the OID.
    pub const fn curve(self) -> CurveId {
        match self {
            Self::Test256 => CurveId::Test256,
            Self::CryptoProA | Self::CryptoProXchA | Self::Tc26_256B => CurveId::CryptoProA,
            Self::CryptoProB | Self::Tc26_256C => CurveId::CryptoProB,
            Self::CryptoProC | Self::CryptoProXchB | Self::Tc26_256D => CurveId::CryptoProC,
            Self::Tc26_256A => CurveId::Tc26_256A,
            Self::Test512 => CurveId::Test512,
            Self::Tc26_512A => CurveId::Tc26_512A,
            Self::Tc26_512B => CurveId::Tc26_512B,
            Self::Tc26_512C => CurveId::Tc26_512C,
        }
    }

    /// 256-bit or 512-bit.
    pub const fn key_size(self) -> KeySize {
        match self {
            Self::Test512 | Self::Tc26_512A | Self::Tc26_512B | Self::Tc26_512C => KeySize::Bits512,
            _ => KeySize::Bits256,
        }
    }

    /// Whether this is one of the standard's example curves, not for production keys.
    pub const fn is_test(self) -> bool {
        matches!(self, Self::Test256 | Self::Test512)
    }

    /// Whether SPKI / PKCS#8 parameters carry a `digestParamSet` for this set, as OpenSSL's gost
    /// engine writes them: present for the 2001 OIDs and 512 Test/A/B, absent for TC26-256-A..D
    /// and 512-C. Readers must accept either.
    pub const fn writes_digest_param_set(self) -> bool {
        !matches!(
            self,
            Self::Tc26_256A | Self::Tc26_256B | Self::Tc26_256C | Self::Tc26_256D | Self::Tc26_512C
        )
    }

    /// Short name as people write it (`"CryptoPro-A"`, `"TC26-512-A"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Test256 => "GOST-2001-Test",
            Self::CryptoProA => "CryptoPro-A",
            Self::CryptoProB => "CryptoPro-B",
            Self::CryptoProC => "CryptoPro-C",
            Self::CryptoProXchA => "CryptoPro-XchA",
            Self::CryptoProXchB => "CryptoPro-XchB",
            Self::Tc26_256A => "TC26-256-A",
            Self::Tc26_256B => "TC26-256-B",
            Self::Tc26_256C => "TC26-256-C",
            Self::Tc26_256D => "TC26-256-D",
            Self::Test512 => "TC26-512-Test",
            Self::Tc26_512A => "TC26-512-A",
            Self::Tc26_512B => "TC26-512-B",
            Self::Tc26_512C => "TC26-512-C",
        }
    }
}

impl fmt::Display for ParamSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `GostR3410-2012-PublicKeyParameters`: the parameters of a GOST key's AlgorithmIdentifier in
/// SPKI and PKCS#8.
///
/// ```text
/// GostR3410-2012-PublicKeyParameters ::= SEQUENCE {
///     publicKeyParamSet OBJECT IDENTIFIER,
///     digestParamSet    OBJECT IDENTIFIER OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KeyParameters {
    /// The curve OID.
    pub public_key_param_set: ObjectIdentifier,
    /// The Streebog OID; written for some sets, see [`ParamSet::writes_digest_param_set`].
    pub digest_param_set: Option<ObjectIdentifier>,
}

impl KeyParameters {
    /// The parameters as OpenSSL's gost engine writes them for `set`.
    pub fn for_param_set(set: ParamSet) -> Self {
        Self {
            public_key_param_set: set.oid(),
            digest_param_set: set
                .writes_digest_param_set()
                .then_some(set.key_size().hash().oid()),
        }
    }

    /// The parameter set and parameters named by a GOST key's AlgorithmIdentifier (`alg` the
    /// key algorithm OID, TC26 or Kazakh), checking that the key size of `alg` matches the
    /// parameter set. `what` names the structure in errors.
    pub(crate) fn parse(
        alg: &ObjectIdentifier,
        params: Option<der::AnyRef<'_>>,
        what: &'static str,
    ) -> Result<(ParamSet, Self)> {
        let size = if *alg == oid::TC26_GOST_3410_12_256 || *alg == oid::KZ_GOST_3410_2015_256 {
            KeySize::Bits256
        } else if *alg == oid::TC26_GOST_3410_12_512 || *alg == oid::KZ_GOST_3410_2015_512 {
            KeySize::Bits512
        } else {
            return Err(Error::Unsupported {
                what: format!("key algorithm {alg} (not GOST R 34.10-2012)"),
            });
        };
        let params = params
            .ok_or_else(|| Error::malformed(what, "GOST key parameters are missing"))?
            .decode_as::<Self>()
            .map_err(Error::der(what))?;
        let set = params.param_set()?;
        if size != set.key_size() {
            return Err(Error::malformed(
                what,
                format!("key algorithm {alg} does not match parameter set {set}"),
            ));
        }
        Ok((set, params))
    }

    /// The parameter set the `publicKeyParamSet` OID names.
    pub(crate) fn param_set(&self) -> Result<ParamSet> {
        ParamSet::from_oid(&self.public_key_param_set).ok_or_else(|| Error::Unsupported {
            what: format!("GOST parameter set {}", self.public_key_param_set),
        })
    }

    /// The AlgorithmIdentifier `{ algorithm, self }` of SPKI and PKCS#8.
    pub(crate) fn algorithm_identifier(
        &self,
        algorithm: ObjectIdentifier,
    ) -> Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters: Some(Any::encode_from(self).map_err(Error::der("GOST key parameters"))?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_param_set_round_trips_through_its_oid() {
        for set in ParamSet::ALL {
            assert_eq!(ParamSet::from_oid(&set.oid()), Some(set));
        }
    }

    #[test]
    fn aliases_share_a_curve_but_keep_their_oid() {
        assert_eq!(ParamSet::CryptoProXchA.curve(), ParamSet::Tc26_256B.curve());
        assert_ne!(ParamSet::CryptoProXchA.oid(), ParamSet::Tc26_256B.oid());
        assert_eq!(ParamSet::CryptoProC.curve(), ParamSet::Tc26_256D.curve());
        assert_eq!(ParamSet::CryptoProB.curve(), ParamSet::Tc26_256C.curve());
    }

    #[test]
    fn kazakh_oids_map_to_tc26_curves() {
        assert_eq!(
            ParamSet::from_oid(&oid::KZ_GOST_3410_2015_256_PARAM_SET_A),
            Some(ParamSet::Tc26_256A)
        );
        assert_eq!(ParamSet::from_oid(&oid::TC26_GOST_3411_12_256), None);
    }

    #[test]
    fn key_sizes_and_digest_params() {
        assert_eq!(ParamSet::Tc26_512C.key_size(), KeySize::Bits512);
        assert_eq!(ParamSet::CryptoProA.key_size().coordinate_len(), 32);
        assert_eq!(KeySize::Bits512.signature_len(), 128);
        assert_eq!(KeySize::Bits256.hash(), HashAlgorithm::Streebog256);
        assert!(ParamSet::CryptoProA.writes_digest_param_set());
        assert!(ParamSet::Tc26_512A.writes_digest_param_set());
        assert!(!ParamSet::Tc26_256A.writes_digest_param_set());
        assert!(!ParamSet::Tc26_512C.writes_digest_param_set());
        assert_eq!(
            KeyParameters::for_param_set(ParamSet::Tc26_512A).digest_param_set,
            Some(oid::TC26_GOST_3411_12_512)
        );
    }
}
