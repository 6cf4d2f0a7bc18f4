//! [`VerifyingKey`]: a validated public key, its SubjectPublicKeyInfo encoding, and signature
//! verification through the `signature` traits.

use core::fmt;

use der::asn1::{BitString, BitStringRef, ObjectIdentifier, OctetString, OctetStringRef};
use der::{Decode, Encode};
use signature::hazmat::PrehashVerifier;
use signature::{MultipartVerifier, Verifier};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use crate::curve::params::AnyCurve;
use crate::dispatch::{CurveN, PubPoint, curve_of, key_len, with_curve};
use crate::error::{Error, Result};
use crate::field::limbs_from_be;
use crate::hash::Hasher;
use crate::params::{HashAlgorithm, KeyParameters, KeySize, ParamSet};
use crate::point::Point;
use crate::scheme::{digest_to_e, verify};
use crate::sig::Signature;

/// A validated GOST R 34.10-2012 public key: on the curve and in the prime-order subgroup.
///
/// It remembers the exact key-algorithm OID and `GostR3410-2012-PublicKeyParameters` it was
/// read with (for instance CryptoPro-A with a `digestParamSet`, or XchA), and writes them back
/// unchanged.
///
/// Verify with [`Verifier`] (the message is hashed with the key's Streebog) or
/// [`PrehashVerifier`] (a Streebog digest of the key's size). A signature that does not verify
/// gives an opaque [`signature::Error`]; a digest of the wrong width gives one whose source is
/// an [`Error::Malformed`].
#[derive(Clone)]
pub struct VerifyingKey {
    pub(crate) set: ParamSet,
    pub(crate) algorithm: ObjectIdentifier,
    pub(crate) params: KeyParameters,
    /// `X_le ‖ Y_le` (2L bytes) — the SPKI inner OCTET STRING and PKCS#11 `CKA_VALUE`.
    raw: Box<[u8]>,
    point: PubPoint,
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.set.curve() == other.set.curve() && self.raw == other.raw
    }
}

impl Eq for VerifyingKey {}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Hex<'a>(&'a [u8]);
        impl fmt::Debug for Hex<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
        f.debug_struct("VerifyingKey")
            .field("param_set", &self.set)
            .field("x_le_y_le", &Hex(&self.raw))
            .finish()
    }
}

impl VerifyingKey {
    /// A key from `X_le ‖ Y_le` (2L bytes: the SPKI inner OCTET STRING content, PKCS#11
    /// `CKA_VALUE`). The point is validated.
    pub fn from_raw_le(set: ParamSet, raw: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if raw.len() != 2 * l {
            return Err(Error::malformed(
                "GOST public key",
                format!("{} bytes; expected {}", raw.len(), 2 * l),
            ));
        }
        let (xl, yl) = raw.split_at(l);
        let mut x: Vec<u8> = xl.to_vec();
        let mut y: Vec<u8> = yl.to_vec();
        x.reverse();
        y.reverse();
        Self::from_affine_be(set, &x, &y)
    }

    /// A key from big-endian affine coordinates (L bytes each). The point is validated.
    pub fn from_affine_be(set: ParamSet, x: &[u8], y: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if x.len() != l || y.len() != l {
            return Err(Error::malformed(
                "GOST public key",
                "coordinate of the wrong width",
            ));
        }
        let width = || Error::malformed("GOST public key", "width");
        let point = with_curve!(set, c, N => {
            let xs = limbs_from_be::<N>(x).ok_or_else(width)?;
            let ys = limbs_from_be::<N>(y).ok_or_else(width)?;
            let p = verify::validate_point(c, &xs, &ys)
                .map_err(|r| Error::malformed("GOST public key", r))?;
            PubPoint::from(p)
        });
        let mut raw = Vec::with_capacity(2 * l);
        raw.extend(x.iter().rev());
        raw.extend(y.iter().rev());
        Ok(Self {
            set,
            algorithm: set.key_size().key_oid(),
            params: KeyParameters::for_param_set(set),
            raw: raw.into(),
            point,
        })
    }

    /// The parameter set (as named by the OID the key came with).
    pub fn param_set(&self) -> ParamSet {
        self.set
    }

    /// 256-bit or 512-bit.
    pub fn key_size(&self) -> KeySize {
        self.set.key_size()
    }

    /// The hash that goes with this key (Streebog-256 or -512).
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.set.key_size().hash()
    }

    /// The key algorithm OID (1.2.643.7.1.1.1.1 / .2, or the Kazakh one it was read with).
    pub fn algorithm_oid(&self) -> ObjectIdentifier {
        self.algorithm
    }

    /// The `GostR3410-2012-PublicKeyParameters` written into SPKI / PKCS#8.
    pub fn key_parameters(&self) -> &KeyParameters {
        &self.params
    }

    /// The same key with other AlgorithmIdentifier parameters (for instance without the
    /// `digestParamSet`). The parameter set must name the same curve.
    pub fn with_key_parameters(mut self, params: KeyParameters) -> Result<Self> {
        let set = params.param_set()?;
        if set.curve() != self.set.curve() {
            return Err(Error::malformed(
                "GOST key parameters",
                format!("{set} is not the curve of {}", self.set),
            ));
        }
        self.set = set;
        self.params = params;
        Ok(self)
    }

    /// The validated point, for the arithmetic (key agreement).
    pub(crate) fn point(&self) -> PubPoint {
        self.point
    }

    /// `X_le ‖ Y_le` (2L bytes).
    pub fn as_raw_le(&self) -> &[u8] {
        &self.raw
    }

    /// Big-endian affine coordinates `(x, y)`.
    pub fn to_affine_be(&self) -> (Vec<u8>, Vec<u8>) {
        let (x, y) = self.raw.split_at(self.raw.len() / 2);
        (
            x.iter().rev().copied().collect(),
            y.iter().rev().copied().collect(),
        )
    }

    /// Parses SubjectPublicKeyInfo DER (TC26 or Kazakh key OIDs) and validates the point.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(Error::der("public key"))?;
        Self::from_spki(&spki)
    }

    fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self> {
        let (set, params) =
            KeyParameters::parse(&spki.algorithm.oid, spki.algorithm.parameters, "public key")?;
        let bits: &BitStringRef<'_> = &spki.subject_public_key;
        let inner = bits
            .as_bytes()
            .ok_or_else(|| Error::malformed("public key", "BIT STRING has unused bits"))?;
        let octets = <&OctetStringRef>::from_der(inner)
            .map_err(Error::der("GOST public key OCTET STRING"))?;
        Ok(Self::from_raw_le(set, octets.as_bytes())?.with_algorithm(
            set,
            spki.algorithm.oid,
            params,
        ))
    }

    /// The same point with the parameter set, key algorithm OID and parameters it was read
    /// with (an alias of the same curve, a Kazakh OID, parameters without `digestParamSet`).
    pub(crate) fn with_algorithm(
        self,
        set: ParamSet,
        algorithm: ObjectIdentifier,
        params: KeyParameters,
    ) -> Self {
        Self {
            set,
            algorithm,
            params,
            ..self
        }
    }

    /// SubjectPublicKeyInfo DER with the parameters the key was read or made with.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.to_spki()?.to_der().map_err(Error::der("public key"))
    }

    fn to_spki(&self) -> Result<SubjectPublicKeyInfoOwned> {
        let inner = OctetString::new(self.raw.to_vec())
            .and_then(|o| o.to_der())
            .map_err(Error::der("public key"))?;
        Ok(SubjectPublicKeyInfoOwned {
            algorithm: self.params.algorithm_identifier(self.algorithm)?,
            subject_public_key: BitString::from_bytes(&inner).map_err(Error::der("public key"))?,
        })
    }

    /// Verifies over a Streebog digest of the key's size: `Ok(false)` when the signature does
    /// not verify, an error for a digest of the wrong width.
    fn check_prehash(&self, digest: &[u8], signature: &Signature) -> Result<bool> {
        let l = key_len(self.set);
        if digest.len() != l {
            return Err(Error::malformed(
                "digest",
                format!(
                    "{} bytes; a {l}-byte Streebog digest is expected",
                    digest.len()
                ),
            ));
        }
        if signature.as_bytes().len() != 2 * l {
            // A signature of the other size cannot be from this key.
            return Ok(false);
        }
        match self.point {
            PubPoint::P256(p) => verify_n::<4>(self.set, &p, digest, signature),
            PubPoint::P512(p) => verify_n::<8>(self.set, &p, digest, signature),
        }
    }

    /// The Streebog digest of the parts of a message, with the key's hash.
    fn hash_parts(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut digest = Hasher::new(self.hash_algorithm());
        for p in parts {
            digest.update(p);
        }
        digest.finalize()
    }
}

fn verify_n<const N: usize>(
    set: ParamSet,
    p: &Point<N>,
    digest: &[u8],
    signature: &Signature,
) -> Result<bool>
where
    AnyCurve: CurveN<N>,
{
    let c = AnyCurve::get(curve_of(set))
        .ok_or_else(|| Error::malformed("GOST signature", "key size mismatch"))?;
    let e = digest_to_e(&c.q, digest).ok_or_else(|| Error::malformed("digest", "wrong length"))?;
    let (Some(r), Some(s)) = (
        limbs_from_be::<N>(signature.r()),
        limbs_from_be::<N>(signature.s()),
    ) else {
        return Ok(false);
    };
    Ok(verify::verify(c, p, &e, &r, &s))
}

impl PrehashVerifier<Signature> for VerifyingKey {
    /// Verifies a signature over a precomputed Streebog digest (32 bytes for 256-bit keys, 64
    /// for 512-bit keys), bytes as the hash outputs them.
    fn verify_prehash(&self, prehash: &[u8], signature: &Signature) -> signature::Result<()> {
        match self.check_prehash(prehash, signature) {
            Ok(true) => Ok(()),
            Ok(false) => Err(signature::Error::new()),
            Err(e) => Err(e.into_signature_error()),
        }
    }
}

impl Verifier<Signature> for VerifyingKey {
    /// Hashes `msg` with the key's Streebog and verifies.
    fn verify(&self, msg: &[u8], signature: &Signature) -> signature::Result<()> {
        self.multipart_verify(&[msg], signature)
    }
}

impl MultipartVerifier<Signature> for VerifyingKey {
    fn multipart_verify(&self, msg: &[&[u8]], signature: &Signature) -> signature::Result<()> {
        self.verify_prehash(&self.hash_parts(msg), signature)
    }
}

impl spki::DynSignatureAlgorithmIdentifier for VerifyingKey {
    /// id-tc26-signwithdigest-gost3410-12-256 / -512 with absent parameters (RFC 9215).
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: self.key_size().signature_oid(),
            parameters: None,
        })
    }
}

impl spki::EncodePublicKey for VerifyingKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        let spki = self.to_spki().map_err(|_| spki::Error::KeyMalformed)?;
        Ok(der::Document::encode_msg(&spki)?)
    }
}

impl TryFrom<SubjectPublicKeyInfoRef<'_>> for VerifyingKey {
    type Error = spki::Error;

    fn try_from(spki: SubjectPublicKeyInfoRef<'_>) -> spki::Result<Self> {
        Self::from_spki(&spki).map_err(|e| match e {
            Error::Unsupported { .. } => spki::Error::OidUnknown {
                oid: spki.algorithm.oid,
            },
            _ => spki::Error::KeyMalformed,
        })
    }
}
