//! Key, digest and signature algorithms with their OIDs.
//!
//! The GOST parameter sets, curves and key sizes are the `gost` crate's ([`GostParamSet`] is
//! [`gost::ParamSet`], re-exported under this crate's names): one definition, no conversion.
//! A [`GostParamSet`] remembers *which* OID a key was made with, because peers compare OIDs
//! literally; [`GostParamSet::curve`] tells whether two sets are the same curve.

use core::fmt;

use const_oid::ObjectIdentifier;

use crate::oid;
use crate::{GostKeySize, GostParamSet};

/// A NIST prime curve for ECDSA keys (PKCS#11 tokens such as SoftHSM2, YubiKey PIV, HSMs).
///
/// ```
/// use keycarrier_token_core::{EcCurve, KeyAlgorithm, SignatureScheme};
/// let curve = EcCurve::from_oid(&"1.2.840.10045.3.1.7".parse().unwrap()).unwrap();
/// assert_eq!(curve, EcCurve::P256);
/// assert_eq!(KeyAlgorithm::Ec(curve).signature_scheme(), SignatureScheme::EcdsaSha256);
/// assert_eq!(KeyAlgorithm::Ec(curve).to_string(), "ECDSA P-256");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (secp256r1, prime256v1), 1.2.840.10045.3.1.7.
    P256,
    /// NIST P-384 (secp384r1), 1.3.132.0.34.
    P384,
}

impl EcCurve {
    /// Every curve.
    pub const ALL: [Self; 2] = [Self::P256, Self::P384];

    /// The curve's OID (the `namedCurve` of SPKI parameters and of PKCS#11 `CKA_EC_PARAMS`).
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => oid::SECP256R1,
            Self::P384 => oid::SECP384R1,
        }
    }

    /// The curve an OID names, or `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.oid() == *oid)
    }

    /// The curve named by the parameters of an id-ecPublicKey AlgorithmIdentifier (RFC 5480
    /// `namedCurve`, the same in SPKI and PKCS#8), for error messages about `what`. Missing
    /// parameters are [`crate::Error::Malformed`]; explicit curve parameters and curves not
    /// listed here are [`crate::Error::Unsupported`].
    pub fn from_parameters(
        params: Option<der::AnyRef<'_>>,
        what: &'static str,
    ) -> crate::Result<Self> {
        let oid = params
            .ok_or_else(|| crate::Error::Malformed {
                what,
                at: None,
                reason: "EC key without curve parameters".into(),
            })?
            .decode_as::<ObjectIdentifier>()
            .map_err(|_| crate::Error::Unsupported {
                what: "EC key with explicit (not named) curve parameters".into(),
            })?;
        Self::from_oid(&oid).ok_or_else(|| crate::Error::Unsupported {
            what: format!("elliptic curve {oid}"),
        })
    }

    /// Length in bytes of one coordinate, of the scalar and of `r` or `s`.
    pub const fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// Size in bits.
    pub const fn bits(self) -> u32 {
        match self {
            Self::P256 => 256,
            Self::P384 => 384,
        }
    }

    /// The name people use (`"P-256"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }
}

impl fmt::Display for EcCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hash functions keycarrier computes or asks a carrier to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// GOST R 34.11-2012, 256-bit output.
    Streebog256,
    /// GOST R 34.11-2012, 512-bit output.
    Streebog512,
    /// SHA-256.
    Sha256,
    /// SHA-384 (ECDSA on P-384).
    Sha384,
}

impl DigestAlgorithm {
    /// The digest's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Streebog256 => oid::TC26_GOST_3411_12_256,
            Self::Streebog512 => oid::TC26_GOST_3411_12_512,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
        }
    }

    /// The digest an OID names, or `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        [
            Self::Streebog256,
            Self::Streebog512,
            Self::Sha256,
            Self::Sha384,
        ]
        .into_iter()
        .find(|d| d.oid() == *oid)
    }

    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Streebog256 | Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Streebog512 => 64,
        }
    }
}

/// The algorithm of a key pair in a container.
///
/// ```
/// use keycarrier_token_core::{KeyAlgorithm, GostParamSet, DigestAlgorithm};
/// let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_512A);
/// assert_eq!(alg.signature_scheme().digest(), DigestAlgorithm::Streebog512);
/// assert_eq!(alg.to_string(), "GOST R 34.10-2012 512 (TC26-512-A)");
/// ```
///
/// Short names parse with the default parameter sets (see [`KeyAlgorithm::GOST_256`]):
///
/// ```
/// use keycarrier_token_core::KeyAlgorithm;
/// assert_eq!("GOST-256".parse::<KeyAlgorithm>().unwrap(), KeyAlgorithm::GOST_256);
/// assert_eq!("gost512".parse::<KeyAlgorithm>().unwrap(), KeyAlgorithm::GOST_512);
/// assert_eq!("RSA-3072".parse::<KeyAlgorithm>().unwrap(), KeyAlgorithm::Rsa { bits: 3072 });
/// assert!("DSA".parse::<KeyAlgorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// GOST R 34.10-2012 on a parameter set; the set decides 256 or 512 bits.
    Gost(GostParamSet),
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size in bits (2048, 3072, 4096).
        bits: u32,
    },
    /// ECDSA on a NIST curve.
    Ec(EcCurve),
}

impl KeyAlgorithm {
    /// "GOST-256": GOST R 34.10-2012 with a 256-bit key on TC26-256-A, the parameter set
    /// OpenSSL's gost engine (`paramset:A`) and current TC26 profiles use by default.
    pub const GOST_256: Self = Self::Gost(GostParamSet::Tc26_256A);
    /// "GOST-512": GOST R 34.10-2012 with a 512-bit key on TC26-512-A.
    pub const GOST_512: Self = Self::Gost(GostParamSet::Tc26_512A);
    /// RSA with a 2048-bit modulus.
    pub const RSA_2048: Self = Self::Rsa { bits: 2048 };

    /// The SubjectPublicKeyInfo algorithm OID.
    pub const fn key_oid(self) -> ObjectIdentifier {
        match self {
            Self::Gost(set) => match set.key_size() {
                GostKeySize::Bits256 => oid::TC26_GOST_3410_12_256,
                GostKeySize::Bits512 => oid::TC26_GOST_3410_12_512,
            },
            Self::Rsa { .. } => oid::RSA_ENCRYPTION,
            Self::Ec(_) => oid::EC_PUBLIC_KEY,
        }
    }

    /// The default signature scheme: GOST with the Streebog of the key's size, RSA PKCS#1 v1.5
    /// with SHA-256, ECDSA with the SHA-2 of the curve's size.
    pub const fn signature_scheme(self) -> SignatureScheme {
        match self {
            Self::Gost(set) => match set.key_size() {
                GostKeySize::Bits256 => SignatureScheme::Gost256,
                GostKeySize::Bits512 => SignatureScheme::Gost512,
            },
            Self::Rsa { .. } => SignatureScheme::RsaPkcs1Sha256,
            Self::Ec(EcCurve::P256) => SignatureScheme::EcdsaSha256,
            Self::Ec(EcCurve::P384) => SignatureScheme::EcdsaSha384,
        }
    }

    /// Whether `scheme` signs with a key of this algorithm: the one GOST scheme of the key's
    /// size, the RSA schemes for RSA, the ECDSA schemes (any of the SHA-2 digests) for EC.
    pub const fn fits(self, scheme: SignatureScheme) -> bool {
        match self {
            Self::Gost(set) => matches!(
                (set.key_size(), scheme),
                (GostKeySize::Bits256, SignatureScheme::Gost256)
                    | (GostKeySize::Bits512, SignatureScheme::Gost512)
            ),
            Self::Rsa { .. } => scheme.is_rsa(),
            Self::Ec(_) => scheme.is_ecdsa(),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gost(set) => {
                let bits = match set.key_size() {
                    GostKeySize::Bits256 => 256,
                    GostKeySize::Bits512 => 512,
                };
                write!(f, "GOST R 34.10-2012 {bits} ({set})")
            }
            Self::Rsa { bits } => write!(f, "RSA {bits}"),
            Self::Ec(curve) => write!(f, "ECDSA {curve}"),
        }
    }
}

/// A signature scheme: key algorithm family, digest and padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// GOST R 34.10-2012 256 with Streebog-256; signature `s ‖ r`, 64 bytes.
    Gost256,
    /// GOST R 34.10-2012 512 with Streebog-512; signature `s ‖ r`, 128 bytes.
    Gost512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    RsaPssSha256,
    /// ECDSA with SHA-256; signature as the DER `Ecdsa-Sig-Value` X.509 and CMS carry.
    EcdsaSha256,
    /// ECDSA with SHA-384; signature as the DER `Ecdsa-Sig-Value`.
    EcdsaSha384,
}

impl SignatureScheme {
    /// The digest the scheme signs.
    pub const fn digest(self) -> DigestAlgorithm {
        match self {
            Self::Gost256 => DigestAlgorithm::Streebog256,
            Self::Gost512 => DigestAlgorithm::Streebog512,
            Self::RsaPkcs1Sha256 | Self::RsaPssSha256 | Self::EcdsaSha256 => {
                DigestAlgorithm::Sha256
            }
            Self::EcdsaSha384 => DigestAlgorithm::Sha384,
        }
    }

    /// The OID X.509 certificates, PKCS#10 requests and CRLs put in `signatureAlgorithm`.
    pub const fn x509_oid(self) -> ObjectIdentifier {
        match self {
            Self::Gost256 => oid::TC26_SIGNWITHDIGEST_GOST_3410_12_256,
            Self::Gost512 => oid::TC26_SIGNWITHDIGEST_GOST_3410_12_512,
            Self::RsaPkcs1Sha256 => oid::SHA256_WITH_RSA_ENCRYPTION,
            Self::RsaPssSha256 => oid::RSASSA_PSS,
            Self::EcdsaSha256 => oid::ECDSA_WITH_SHA256,
            Self::EcdsaSha384 => oid::ECDSA_WITH_SHA384,
        }
    }

    /// The OID CMS `SignerInfo.signatureAlgorithm` carries. For GOST this is the *public-key*
    /// OID, not the sign-with-digest one (what OpenSSL and the TC26 examples write).
    pub const fn cms_oid(self) -> ObjectIdentifier {
        match self {
            Self::Gost256 => oid::TC26_GOST_3410_12_256,
            Self::Gost512 => oid::TC26_GOST_3410_12_512,
            Self::RsaPkcs1Sha256 => oid::SHA256_WITH_RSA_ENCRYPTION,
            Self::RsaPssSha256 => oid::RSASSA_PSS,
            Self::EcdsaSha256 => oid::ECDSA_WITH_SHA256,
            Self::EcdsaSha384 => oid::ECDSA_WITH_SHA384,
        }
    }

    /// The scheme a signature-algorithm OID names, accepting both the X.509 and the CMS forms
    /// (and `rsaEncryption`, which OpenSSL writes into CMS for PKCS#1 v1.5).
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        let all = [
            Self::Gost256,
            Self::Gost512,
            Self::RsaPkcs1Sha256,
            Self::RsaPssSha256,
            Self::EcdsaSha256,
            Self::EcdsaSha384,
        ];
        if *oid == oid::RSA_ENCRYPTION {
            return Some(Self::RsaPkcs1Sha256);
        }
        all.into_iter()
            .find(|s| s.x509_oid() == *oid || s.cms_oid() == *oid)
    }

    /// Whether the scheme belongs to GOST R 34.10-2012.
    pub const fn is_gost(self) -> bool {
        matches!(self, Self::Gost256 | Self::Gost512)
    }

    /// Whether the scheme is an RSA one (PKCS#1 v1.5 or PSS).
    pub const fn is_rsa(self) -> bool {
        matches!(self, Self::RsaPkcs1Sha256 | Self::RsaPssSha256)
    }

    /// Whether the scheme is ECDSA.
    pub const fn is_ecdsa(self) -> bool {
        matches!(self, Self::EcdsaSha256 | Self::EcdsaSha384)
    }
}

impl core::str::FromStr for KeyAlgorithm {
    type Err = crate::Error;

    /// `GOST-256`, `GOST-512` (default parameter sets), `RSA-2048`/`3072`/`4096`, `P-256`,
    /// `P-384`; case and dashes do not matter (`gost256`, `rsa2048`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_' && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "gost256" | "gost2012256" => Ok(Self::GOST_256),
            "gost512" | "gost2012512" => Ok(Self::GOST_512),
            "p256" | "ecdsap256" => Ok(Self::Ec(EcCurve::P256)),
            "p384" | "ecdsap384" => Ok(Self::Ec(EcCurve::P384)),
            other => match other.strip_prefix("rsa").map(str::parse::<u32>) {
                Some(Ok(bits @ (2048 | 3072 | 4096))) => Ok(Self::Rsa { bits }),
                _ => Err(crate::Error::Unsupported {
                    what: format!(
                        "key algorithm {s:?} (GOST-256, GOST-512, RSA-2048/3072/4096, P-256, P-384)"
                    ),
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cms_and_x509_oids_differ_for_gost() {
        assert_eq!(
            SignatureScheme::Gost256.cms_oid(),
            oid::TC26_GOST_3410_12_256
        );
        assert_eq!(
            SignatureScheme::Gost256.x509_oid(),
            oid::TC26_SIGNWITHDIGEST_GOST_3410_12_256
        );
        assert_eq!(
            SignatureScheme::from_oid(&oid::TC26_GOST_3410_12_512),
            Some(SignatureScheme::Gost512)
        );
        assert_eq!(
            SignatureScheme::from_oid(&oid::RSA_ENCRYPTION),
            Some(SignatureScheme::RsaPkcs1Sha256)
        );
    }

    #[test]
    fn ec_curves_schemes_and_oids() {
        for curve in EcCurve::ALL {
            assert_eq!(EcCurve::from_oid(&curve.oid()), Some(curve));
            let alg = KeyAlgorithm::Ec(curve);
            assert_eq!(alg.key_oid(), oid::EC_PUBLIC_KEY);
            let scheme = alg.signature_scheme();
            assert!(scheme.is_ecdsa() && !scheme.is_gost() && !scheme.is_rsa());
            assert_eq!(scheme.digest().output_len(), curve.coordinate_len());
            assert_eq!(SignatureScheme::from_oid(&scheme.x509_oid()), Some(scheme));
            assert_eq!(scheme.cms_oid(), scheme.x509_oid());
            assert!(alg.fits(SignatureScheme::EcdsaSha256));
            assert!(!alg.fits(SignatureScheme::RsaPkcs1Sha256));
        }
        assert_eq!(EcCurve::from_oid(&oid::SHA256), None);
        assert_eq!(
            DigestAlgorithm::from_oid(&oid::SHA384),
            Some(DigestAlgorithm::Sha384)
        );
        assert_eq!(KeyAlgorithm::Ec(EcCurve::P384).to_string(), "ECDSA P-384");
        assert!(!KeyAlgorithm::Rsa { bits: 2048 }.fits(SignatureScheme::EcdsaSha256));
        assert!(KeyAlgorithm::Rsa { bits: 2048 }.fits(SignatureScheme::RsaPssSha256));
        let gost = KeyAlgorithm::Gost(GostParamSet::Tc26_512A);
        assert!(gost.fits(SignatureScheme::Gost512) && !gost.fits(SignatureScheme::Gost256));
    }
}
