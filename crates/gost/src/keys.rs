//! Keys and signatures: [`SigningKey`], [`VerifyingKey`], [`Signature`] and their encodings.

use core::fmt;

use der::asn1::{BitString, BitStringRef, OctetString, OctetStringRef, UintRef};
use der::{Any, Decode, Encode};
use pkcs8::{PrivateKeyInfoRef, SecretDocument};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use token_core::der::asn1::ObjectIdentifier;
use token_core::{
    DigestAlgorithm, Error, GostKeyParameters, GostKeySize, GostParamSet, PublicKey, Result, oid,
};
use zeroize::{Zeroize, Zeroizing};

use crate::curve::params::{AnyCurve, curve};
use crate::field::{limbs_from_be, limbs_to_be};
use crate::hash;
use crate::point::Point;
use crate::scheme::{digest_to_e, sign, verify};

/// Runs `$body` with `$c` bound to the `&'static Curve<N>` of `$set` and `N` = 4 or 8.
macro_rules! with_curve {
    ($set:expr, $c:ident, $n:ident => $body:expr) => {
        match curve_of($set)? {
            AnyCurve::C256($c) => {
                #[allow(dead_code)]
                const $n: usize = 4;
                $body
            }
            AnyCurve::C512($c) => {
                #[allow(dead_code)]
                const $n: usize = 8;
                $body
            }
        }
    };
}

fn curve_of(set: GostParamSet) -> Result<AnyCurve> {
    curve(set.curve()).ok_or_else(|| Error::Unsupported {
        what: format!("GOST curve of {set}"),
    })
}

fn malformed(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what,
        at: None,
        reason: reason.into(),
    }
}

fn key_len(set: GostParamSet) -> usize {
    set.key_size().coordinate_len()
}

/// The key algorithm OID for a parameter set (TC26 OIDs).
fn default_algorithm(set: GostParamSet) -> ObjectIdentifier {
    match set.key_size() {
        GostKeySize::Bits256 => oid::TC26_GOST_3410_12_256,
        GostKeySize::Bits512 => oid::TC26_GOST_3410_12_512,
    }
}

/// The parameter set and key size named by an AlgorithmIdentifier of a GOST key.
fn parse_algorithm(
    alg: &ObjectIdentifier,
    params: Option<der::AnyRef<'_>>,
    what: &'static str,
) -> Result<(GostParamSet, GostKeyParameters)> {
    let is_512 = if *alg == oid::TC26_GOST_3410_12_256 || *alg == oid::KZ_GOST_3410_2015_256 {
        false
    } else if *alg == oid::TC26_GOST_3410_12_512 || *alg == oid::KZ_GOST_3410_2015_512 {
        true
    } else {
        return Err(Error::Unsupported {
            what: format!("key algorithm {alg} (not GOST R 34.10-2012)"),
        });
    };
    let params = params
        .ok_or_else(|| malformed(what, "GOST key parameters are missing"))?
        .decode_as::<GostKeyParameters>()
        .map_err(|e| Error::malformed_der(what, e))?;
    let set =
        GostParamSet::from_oid(&params.public_key_param_set).ok_or_else(|| Error::Unsupported {
            what: format!("GOST parameter set {}", params.public_key_param_set),
        })?;
    if is_512 != (set.key_size() == GostKeySize::Bits512) {
        return Err(malformed(
            what,
            format!("key algorithm {alg} does not match parameter set {set}"),
        ));
    }
    Ok((set, params))
}

fn algorithm_identifier(
    algorithm: ObjectIdentifier,
    params: &GostKeyParameters,
) -> Result<AlgorithmIdentifierOwned> {
    Ok(AlgorithmIdentifierOwned {
        oid: algorithm,
        parameters: Some(
            Any::encode_from(params).map_err(|e| Error::malformed_der("GOST key parameters", e))?,
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Signature

/// A GOST R 34.10-2012 signature in its wire form `s ‖ r`: each half big-endian, 32 bytes for
/// 256-bit keys and 64 bytes for 512-bit keys. These are the bytes of an X.509
/// `signatureValue`, a CMS `SignerInfo.signature`, `openssl pkeyutl -sign` output and PKCS#11
/// `C_Sign` with the GOST mechanisms.
///
/// ```
/// let sig = gost::Signature::from_r_s(&[1u8; 32], &[2u8; 32]).unwrap();
/// assert_eq!(&sig.as_bytes()[..32], &[2u8; 32]); // s first
/// assert_eq!(sig.r(), &[1u8; 32]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    bytes: Box<[u8]>,
}

impl Signature {
    /// Parses `s ‖ r` (64 or 128 bytes). The halves are range-checked against the curve order
    /// when the signature is verified.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            64 | 128 => Ok(Self {
                bytes: bytes.into(),
            }),
            n => Err(Error::Malformed {
                what: "GOST signature",
                at: Some(n.min(128)),
                reason: format!("{n} bytes; expected 64 (256-bit key) or 128 (512-bit key)"),
            }),
        }
    }

    /// Builds a signature from big-endian `r` and `s` of equal width (32 or 64 bytes).
    pub fn from_r_s(r: &[u8], s: &[u8]) -> Result<Self> {
        if r.len() != s.len() {
            return Err(malformed("GOST signature", "r and s differ in width"));
        }
        let mut bytes = Vec::with_capacity(2 * r.len());
        bytes.extend_from_slice(s);
        bytes.extend_from_slice(r);
        Self::from_bytes(&bytes)
    }

    /// The wire bytes `s ‖ r`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes `s ‖ r`, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// `r`, big-endian, fixed width.
    pub fn r(&self) -> &[u8] {
        self.bytes.get(self.half()..).unwrap_or_default()
    }

    /// `s`, big-endian, fixed width.
    pub fn s(&self) -> &[u8] {
        self.bytes.get(..self.half()).unwrap_or_default()
    }

    /// The key size this signature belongs to.
    pub fn key_size(&self) -> GostKeySize {
        if self.bytes.len() == 128 {
            GostKeySize::Bits512
        } else {
            GostKeySize::Bits256
        }
    }

    fn half(&self) -> usize {
        self.bytes.len() / 2
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        for b in self.bytes.iter() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl TryFrom<&[u8]> for Signature {
    type Error = signature::Error;

    fn try_from(bytes: &[u8]) -> core::result::Result<Self, Self::Error> {
        Self::from_bytes(bytes).map_err(signature::Error::from_source)
    }
}

impl From<Signature> for Box<[u8]> {
    fn from(sig: Signature) -> Self {
        sig.bytes
    }
}

impl signature::SignatureEncoding for Signature {
    type Repr = Box<[u8]>;
}

impl spki::SignatureBitStringEncoding for Signature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// VerifyingKey

#[derive(Clone, Copy, Debug)]
enum PubPoint {
    P256(Point<4>),
    P512(Point<8>),
}

/// A validated GOST R 34.10-2012 public key: on the curve and in the prime-order subgroup.
///
/// It remembers the exact key-algorithm OID and `GostR3410-2012-PublicKeyParameters` it was
/// read with (for instance CryptoPro-A with a `digestParamSet`, or XchA), and writes them back
/// unchanged.
#[derive(Clone)]
pub struct VerifyingKey {
    set: GostParamSet,
    algorithm: ObjectIdentifier,
    params: GostKeyParameters,
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
    pub fn from_raw_le(set: GostParamSet, raw: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if raw.len() != 2 * l {
            return Err(Error::Malformed {
                what: "GOST public key",
                at: Some(raw.len().min(2 * l)),
                reason: format!("{} bytes; expected {}", raw.len(), 2 * l),
            });
        }
        let (xl, yl) = raw.split_at(l);
        let mut x: Vec<u8> = xl.to_vec();
        let mut y: Vec<u8> = yl.to_vec();
        x.reverse();
        y.reverse();
        Self::from_affine_be(set, &x, &y)
    }

    /// A key from big-endian affine coordinates (L bytes each). The point is validated.
    pub fn from_affine_be(set: GostParamSet, x: &[u8], y: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if x.len() != l || y.len() != l {
            return Err(malformed(
                "GOST public key",
                "coordinate of the wrong width",
            ));
        }
        let point = with_curve!(set, c, N => {
            let xs = limbs_from_be::<N>(x).ok_or_else(|| malformed("GOST public key", "width"))?;
            let ys = limbs_from_be::<N>(y).ok_or_else(|| malformed("GOST public key", "width"))?;
            let p = verify::validate_point(c, &xs, &ys).map_err(|r| malformed("GOST public key", r))?;
            wrap_point(p)
        });
        let mut raw = Vec::with_capacity(2 * l);
        raw.extend(x.iter().rev());
        raw.extend(y.iter().rev());
        Ok(Self {
            set,
            algorithm: default_algorithm(set),
            params: GostKeyParameters::for_param_set(set),
            raw: raw.into(),
            point,
        })
    }

    /// The parameter set (as named by the OID the key came with).
    pub fn param_set(&self) -> GostParamSet {
        self.set
    }

    /// The key algorithm OID (1.2.643.7.1.1.1.1 / .2, or the Kazakh one it was read with).
    pub fn algorithm_oid(&self) -> ObjectIdentifier {
        self.algorithm
    }

    /// The `GostR3410-2012-PublicKeyParameters` written into SPKI / PKCS#8.
    pub fn key_parameters(&self) -> &GostKeyParameters {
        &self.params
    }

    /// The same key with other AlgorithmIdentifier parameters (for instance without the
    /// `digestParamSet`). The parameter set must name the same curve.
    pub fn with_key_parameters(mut self, params: GostKeyParameters) -> Result<Self> {
        let set = GostParamSet::from_oid(&params.public_key_param_set).ok_or_else(|| {
            Error::Unsupported {
                what: format!("GOST parameter set {}", params.public_key_param_set),
            }
        })?;
        if set.curve() != self.set.curve() {
            return Err(malformed(
                "GOST key parameters",
                format!("{set} is not the curve of {}", self.set),
            ));
        }
        self.set = set;
        self.params = params;
        Ok(self)
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

    /// The hash that goes with this key (Streebog-256 or -512).
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        match self.set.key_size() {
            GostKeySize::Bits256 => DigestAlgorithm::Streebog256,
            GostKeySize::Bits512 => DigestAlgorithm::Streebog512,
        }
    }

    /// Parses SubjectPublicKeyInfo DER and validates the point.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed_der("public key", e))?;
        Self::from_spki(&spki)
    }

    fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self> {
        let (set, params) =
            parse_algorithm(&spki.algorithm.oid, spki.algorithm.parameters, "public key")?;
        let bits: &BitStringRef<'_> = &spki.subject_public_key;
        let inner = bits
            .as_bytes()
            .ok_or_else(|| malformed("public key", "BIT STRING has unused bits"))?;
        let octets = <&OctetStringRef>::from_der(inner)
            .map_err(|e| Error::malformed_der("GOST public key OCTET STRING", e))?;
        let key = Self::from_raw_le(set, octets.as_bytes())?;
        Ok(Self {
            set,
            algorithm: spki.algorithm.oid,
            params,
            ..key
        })
    }

    /// SubjectPublicKeyInfo DER with the parameters the key was read or made with.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.to_spki()?
            .to_der()
            .map_err(|e| Error::malformed_der("public key", e))
    }

    fn to_spki(&self) -> Result<SubjectPublicKeyInfoOwned> {
        let inner = OctetString::new(self.raw.to_vec())
            .and_then(|o| o.to_der())
            .map_err(|e| Error::malformed_der("public key", e))?;
        Ok(SubjectPublicKeyInfoOwned {
            algorithm: algorithm_identifier(self.algorithm, &self.params)?,
            subject_public_key: BitString::from_bytes(&inner)
                .map_err(|e| Error::malformed_der("public key", e))?,
        })
    }

    /// From token-core's [`PublicKey`] (an SPKI read elsewhere).
    pub fn from_public_key(key: &PublicKey) -> Result<Self> {
        Self::from_spki_der(&key.to_der()?)
    }

    /// As token-core's [`PublicKey`].
    pub fn to_public_key(&self) -> Result<PublicKey> {
        PublicKey::from_spki_der(&self.to_spki_der()?)
    }

    /// Verifies a signature over a precomputed Streebog digest (32 bytes for 256-bit keys, 64
    /// for 512-bit keys), bytes as the hash outputs them.
    pub fn verify_prehash(&self, digest: &[u8], signature: &Signature) -> Result<()> {
        let l = key_len(self.set);
        if digest.len() != l {
            return Err(malformed(
                "digest",
                format!(
                    "{} bytes; a {}-byte Streebog digest is expected",
                    digest.len(),
                    l
                ),
            ));
        }
        if signature.as_bytes().len() != 2 * l {
            return Err(Error::VerificationFailed {
                what: format!(
                    "a {}-byte signature cannot be from a {}-bit key",
                    signature.as_bytes().len(),
                    8 * l
                ),
            });
        }
        let ok = match self.point {
            PubPoint::P256(p) => verify_n::<4>(self.set, &p, digest, signature)?,
            PubPoint::P512(p) => verify_n::<8>(self.set, &p, digest, signature)?,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::VerificationFailed {
                what: "GOST R 34.10-2012 signature".into(),
            })
        }
    }

    /// Hashes `message` with the key's Streebog and verifies.
    pub fn verify_message(&self, message: &[u8], signature: &Signature) -> Result<()> {
        self.verify_prehash(&hash::digest(self.digest_algorithm(), message), signature)
    }
}

trait WrapPoint {
    fn wrap(self) -> PubPoint;
}
impl WrapPoint for Point<4> {
    fn wrap(self) -> PubPoint {
        PubPoint::P256(self)
    }
}
impl WrapPoint for Point<8> {
    fn wrap(self) -> PubPoint {
        PubPoint::P512(self)
    }
}
fn wrap_point<P: WrapPoint>(p: P) -> PubPoint {
    p.wrap()
}

fn verify_n<const N: usize>(
    set: GostParamSet,
    p: &Point<N>,
    digest: &[u8],
    signature: &Signature,
) -> Result<bool>
where
    AnyCurve: CurveN<N>,
{
    let c = AnyCurve::get(curve_of(set)?)
        .ok_or_else(|| malformed("GOST signature", "key size mismatch"))?;
    let e = digest_to_e(&c.q, digest).ok_or_else(|| malformed("digest", "wrong length"))?;
    let (Some(r), Some(s)) = (
        limbs_from_be::<N>(signature.r()),
        limbs_from_be::<N>(signature.s()),
    ) else {
        return Ok(false);
    };
    Ok(verify::verify(c, p, &e, &r, &s))
}

/// Picks the `Curve<N>` out of an [`AnyCurve`].
trait CurveN<const N: usize> {
    fn get(any: AnyCurve) -> Option<&'static crate::curve::Curve<N>>;
}
impl CurveN<4> for AnyCurve {
    fn get(any: AnyCurve) -> Option<&'static crate::curve::Curve<4>> {
        match any {
            AnyCurve::C256(c) => Some(c),
            AnyCurve::C512(_) => None,
        }
    }
}
impl CurveN<8> for AnyCurve {
    fn get(any: AnyCurve) -> Option<&'static crate::curve::Curve<8>> {
        match any {
            AnyCurve::C512(c) => Some(c),
            AnyCurve::C256(_) => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SigningKey

/// How the per-signature nonce `k` is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceMode {
    /// Hedged (default): an HMAC-Streebog-512 DRBG over the key, the digest and 32 fresh bytes
    /// from the operating system. A weak or repeated RNG output still gives a nonce that is
    /// secret and unique per (key, digest).
    Hedged,
    /// Deterministic (RFC 6979 style, no randomness): the same key and digest always give the
    /// same signature. For tests and reproducible fixtures.
    Deterministic,
}

/// A GOST R 34.10-2012 private key. The scalar is zeroized on drop and never printed.
///
/// ```
/// use gost::{SigningKey, NonceMode};
/// use token_core::GostParamSet;
///
/// let key = SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
/// let sig = key.sign_message(b"payment order 42").unwrap();
/// key.verifying_key().verify_message(b"payment order 42", &sig).unwrap();
/// assert!(key.verifying_key().verify_message(b"payment order 43", &sig).is_err());
/// assert!(format!("{key:?}").contains("d: \"***\""));
/// ```
#[derive(Clone)]
pub struct SigningKey {
    /// `d`, big-endian, L bytes.
    d: Zeroizing<Vec<u8>>,
    public: VerifyingKey,
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
    pub fn generate(set: GostParamSet) -> Result<Self> {
        let mut rng = OsBytes;
        Self::generate_with(set, &mut |buf| rng.fill(buf))
    }

    /// A fresh key from a caller-supplied cryptographic RNG.
    pub fn generate_with_rng<R: rand_core::CryptoRng + ?Sized>(
        set: GostParamSet,
        rng: &mut R,
    ) -> Result<Self> {
        Self::generate_with(set, &mut |buf| {
            rng.fill_bytes(buf);
            Ok(())
        })
    }

    fn generate_with(
        set: GostParamSet,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<()>,
    ) -> Result<Self> {
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
        Err(Error::Backend(token_core::BackendEvidence::Other(
            "random generator keeps returning out-of-range values".into(),
        )))
    }

    /// A key from the big-endian scalar `d` (exactly L bytes, `0 < d < q`).
    pub fn from_be_bytes(set: GostParamSet, d: &[u8]) -> Result<Self> {
        let l = key_len(set);
        if d.len() != l {
            return Err(Error::Malformed {
                what: "GOST private key",
                at: None,
                reason: format!("{} bytes; expected {l}", d.len()),
            });
        }
        let public = with_curve!(set, c, N => {
            let limbs = Zeroizing::new(
                limbs_from_be::<N>(d).ok_or_else(|| malformed("GOST private key", "width"))?,
            );
            if !sign::scalar_in_range(&c.q, &limbs) {
                return Err(malformed("GOST private key", "scalar is zero or not below q"));
            }
            let (x, y) = sign::public_point(c, &limbs)
                .ok_or_else(|| malformed("GOST private key", "public point at infinity"))?;
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
    pub fn from_le_bytes(set: GostParamSet, d: &[u8]) -> Result<Self> {
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
    pub fn param_set(&self) -> GostParamSet {
        self.public.set
    }

    /// The public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The same key written with other AlgorithmIdentifier parameters; see
    /// [`VerifyingKey::with_key_parameters`].
    pub fn with_key_parameters(mut self, params: GostKeyParameters) -> Result<Self> {
        self.public = self.public.clone().with_key_parameters(params)?;
        Ok(self)
    }

    /// Signs a precomputed Streebog digest (L bytes, as the hash outputs them) with a hedged
    /// nonce.
    pub fn sign_prehash(&self, digest: &[u8]) -> Result<Signature> {
        let mut extra = Zeroizing::new([0u8; 32]);
        OsBytes.fill(&mut *extra)?;
        self.sign_prehash_with_extra(digest, &*extra)
    }

    /// Signs a digest with the nonce chosen as `mode` says.
    pub fn sign_prehash_with_mode(&self, digest: &[u8], mode: NonceMode) -> Result<Signature> {
        match mode {
            NonceMode::Hedged => self.sign_prehash(digest),
            NonceMode::Deterministic => self.sign_prehash_with_extra(digest, &[]),
        }
    }

    /// Signs a digest with the nonce derived from the key, the digest and `extra` (caller
    /// randomness; empty = deterministic).
    pub fn sign_prehash_with_extra(&self, digest: &[u8], extra: &[u8]) -> Result<Signature> {
        self.check_digest(digest)?;
        with_curve!(self.public.set, c, N => {
            let d = Zeroizing::new(
                limbs_from_be::<N>(&self.d).ok_or_else(|| malformed("GOST private key", "width"))?,
            );
            let e = digest_to_e(&c.q, digest).ok_or_else(|| malformed("digest", "length"))?;
            let nonce_key = sign::nonce_key(&self.d);
            for attempt in 0..64u32 {
                let k = sign::derive_k(&c.q, &nonce_key, digest, extra, attempt);
                if let Some((r, s)) = sign::sign_with_k(c, &d, &e, &k) {
                    return self.encode(&r, &s);
                }
            }
            Err(Error::Backend(token_core::BackendEvidence::Other(
                "no valid nonce after 64 attempts".into(),
            )))
        })
    }

    /// Signs a digest with an explicit nonce `k` (big-endian, L bytes, `0 < k < q`).
    ///
    /// **Hazardous**: reusing `k` for two digests reveals the private key. This exists to
    /// reproduce the standard's test vectors.
    pub fn sign_prehash_with_nonce(&self, digest: &[u8], k: &[u8]) -> Result<Signature> {
        self.check_digest(digest)?;
        with_curve!(self.public.set, c, N => {
            let d = Zeroizing::new(
                limbs_from_be::<N>(&self.d).ok_or_else(|| malformed("GOST private key", "width"))?,
            );
            let k = Zeroizing::new(
                limbs_from_be::<N>(k).ok_or_else(|| malformed("nonce", "wrong width"))?,
            );
            if !sign::scalar_in_range(&c.q, &k) {
                return Err(malformed("nonce", "k is zero or not below q"));
            }
            let e = digest_to_e(&c.q, digest).ok_or_else(|| malformed("digest", "length"))?;
            let (r, s) = sign::sign_with_k(c, &d, &e, &k)
                .ok_or_else(|| malformed("nonce", "k gives r = 0 or s = 0"))?;
            self.encode(&r, &s)
        })
    }

    /// Hashes `message` with the key's Streebog and signs (hedged nonce).
    pub fn sign_message(&self, message: &[u8]) -> Result<Signature> {
        self.sign_prehash(&hash::digest(self.public.digest_algorithm(), message))
    }

    fn check_digest(&self, digest: &[u8]) -> Result<()> {
        let l = key_len(self.public.set);
        if digest.len() != l {
            return Err(malformed(
                "digest",
                format!(
                    "{} bytes; a {l}-byte Streebog digest is expected",
                    digest.len()
                ),
            ));
        }
        Ok(())
    }

    fn encode<const N: usize>(&self, r: &[u64; N], s: &[u64; N]) -> Result<Signature> {
        let mut bytes = vec![0u8; 16 * N];
        let (sb, rb) = bytes.split_at_mut(8 * N);
        limbs_to_be(s, sb);
        limbs_to_be(r, rb);
        Signature::from_bytes(&bytes)
    }

    /// PKCS#8 `PrivateKeyInfo` DER: the key's AlgorithmIdentifier and the scalar as an OCTET
    /// STRING of L little-endian bytes (what OpenSSL's gost engine writes by default).
    pub fn to_pkcs8_der(&self) -> Result<SecretDocument> {
        let le = self.to_le_bytes();
        let alg = algorithm_identifier(self.public.algorithm, &self.public.params)?;
        let alg_der = alg
            .to_der()
            .map_err(|e| Error::malformed_der("private key", e))?;
        let alg_ref = spki::AlgorithmIdentifierRef::from_der(&alg_der)
            .map_err(|e| Error::malformed_der("private key", e))?;
        let octets =
            OctetStringRef::new(&le).map_err(|e| Error::malformed_der("private key", e))?;
        let info = PrivateKeyInfoRef::new(alg_ref, octets);
        SecretDocument::encode_msg(&info).map_err(|e| Error::malformed_der("private key", e))
    }

    /// Parses PKCS#8 `PrivateKeyInfo` DER. The `privateKey` content may be the raw
    /// little-endian scalar (OpenSSL default), a nested OCTET STRING holding it (BouncyCastle /
    /// `LEGACY_PK_WRAP`), an INTEGER (big-endian), or a CryptoPro *masked* key: the masked
    /// scalar followed by one or more masks (L bytes each, little-endian; `d = masked · Π mask
    /// mod q`, as gost-engine's `unmask_priv_key` computes it), bare or inside a
    /// `MASKED_GOST_KEY ::= SEQUENCE { maskedKey OCTET STRING, publicKey OCTET STRING }`
    /// whose public key must then match.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info =
            PrivateKeyInfoRef::from_der(der).map_err(|e| Error::malformed_der("private key", e))?;
        Self::from_pkcs8_info(&info)
    }

    fn from_pkcs8_info(info: &PrivateKeyInfoRef<'_>) -> Result<Self> {
        let (set, params) = parse_algorithm(
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
            let inner = <&OctetStringRef>::from_der(content)
                .map_err(|e| Error::malformed_der("private key", e))?;
            if inner.as_bytes().len() != l {
                return Err(malformed(
                    "private key",
                    format!("nested OCTET STRING of {} bytes", inner.as_bytes().len()),
                ));
            }
            Self::from_le_bytes(set, inner.as_bytes())?
        } else if content.first() == Some(&0x02) {
            let int =
                UintRef::from_der(content).map_err(|e| Error::malformed_der("private key", e))?;
            let bytes = int.as_bytes();
            if bytes.len() > l {
                return Err(malformed("private key", "INTEGER wider than the key"));
            }
            let mut be = Zeroizing::new(vec![0u8; l]);
            if let Some(dst) = be.get_mut(l - bytes.len()..) {
                dst.copy_from_slice(bytes);
            }
            Self::from_be_bytes(set, &be)?
        } else if content.first() == Some(&0x30) {
            let masked = MaskedGostKey::from_der(content)
                .map_err(|e| Error::malformed_der("masked private key", e))?;
            let key = Self::from_be_bytes(set, &unmask(set, masked.masked_key.as_bytes())?)?;
            // The SEQUENCE form carries the public key as well: it must be the key's own.
            let public = masked.public_key.as_bytes();
            if !public.is_empty() && public != key.public.as_raw_le() {
                return Err(malformed(
                    "masked private key",
                    "public key does not belong to the private key",
                ));
            }
            key
        } else {
            return Err(malformed(
                "private key",
                format!("{} bytes of key material; expected {l}", content.len()),
            ));
        };
        let public = VerifyingKey {
            set,
            algorithm: info.algorithm.oid,
            params,
            ..key.public.clone()
        };
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
fn unmask(set: GostParamSet, content: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let l = key_len(set);
    if content.len() <= l || !content.len().is_multiple_of(l) {
        return Err(malformed(
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
                limbs_from_be::<N>(&be).ok_or_else(|| malformed("masked private key", "width"))?,
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

/// The operating system's random generator.
struct OsBytes;

impl OsBytes {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|e| {
            Error::Backend(token_core::BackendEvidence::Other(format!(
                "operating system random generator: {e}"
            )))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// RustCrypto traits

fn sig_err(e: Error) -> signature::Error {
    signature::Error::from_source(e)
}

impl signature::Signer<Signature> for SigningKey {
    fn try_sign(&self, msg: &[u8]) -> core::result::Result<Signature, signature::Error> {
        self.sign_message(msg).map_err(sig_err)
    }
}

impl signature::RandomizedSigner<Signature> for SigningKey {
    fn try_sign_with_rng<R: rand_core::TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[u8],
    ) -> core::result::Result<Signature, signature::Error> {
        let mut extra = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(&mut *extra)
            .map_err(|_| signature::Error::new())?;
        let digest = hash::digest(self.public.digest_algorithm(), msg);
        self.sign_prehash_with_extra(&digest, &*extra)
            .map_err(sig_err)
    }
}

impl signature::hazmat::PrehashSigner<Signature> for SigningKey {
    fn sign_prehash(&self, prehash: &[u8]) -> core::result::Result<Signature, signature::Error> {
        SigningKey::sign_prehash(self, prehash).map_err(sig_err)
    }
}

impl signature::hazmat::PrehashVerifier<Signature> for VerifyingKey {
    fn verify_prehash(
        &self,
        prehash: &[u8],
        signature: &Signature,
    ) -> core::result::Result<(), signature::Error> {
        VerifyingKey::verify_prehash(self, prehash, signature).map_err(sig_err)
    }
}

impl signature::Verifier<Signature> for VerifyingKey {
    fn verify(
        &self,
        msg: &[u8],
        signature: &Signature,
    ) -> core::result::Result<(), signature::Error> {
        self.verify_message(msg, signature).map_err(sig_err)
    }
}

impl signature::Keypair for SigningKey {
    type VerifyingKey = VerifyingKey;

    fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for SigningKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        self.public.signature_algorithm_identifier()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for VerifyingKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        token_core::signature_algorithm_identifier(
            token_core::KeyAlgorithm::Gost(self.set).signature_scheme(),
        )
        .map_err(|_| spki::Error::KeyMalformed)
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
        let masked = (|| -> Result<Vec<u8>> {
            with_curve!(set, c, N => {
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
                Ok(out)
            })
        })()
        .unwrap();
        let mut content = masked;
        for m in masks {
            content.extend_from_slice(m);
        }
        content
    }

    #[test]
    fn cryptopro_masked_keys_unmask_to_the_key() {
        for set in [
            GostParamSet::Tc26_256A,
            GostParamSet::CryptoProA,
            GostParamSet::Tc26_512C,
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
        let key = SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
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
        let key = SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
        // A zero mask makes d = 0: refused as out of range, not accepted.
        let mut content = vec![0x11u8; 32];
        content.extend([0u8; 32]);
        assert!(matches!(
            SigningKey::from_pkcs8_der(&pkcs8_with(&key, &content)),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            SigningKey::from_pkcs8_der(&pkcs8_with(&key, &[0x30, 0x03, 0x04, 0x01, 0x00])),
            Err(Error::Malformed { .. })
        ));
    }
}
