//! Conversions between PKCS#11 attribute values and the DER structures token-core speaks:
//! SubjectPublicKeyInfo from RSA modulus/exponent, GOST `CKA_VALUE` + parameter OIDs or EC
//! `CKA_EC_PARAMS` + `CKA_EC_POINT`, PKCS#1 DigestInfo, and ECDSA `r ‖ s` → DER.

use token_core::const_oid::ObjectIdentifier;
use token_core::der::asn1::{AnyRef, BitString, OctetString, UintRef};
use token_core::der::{Decode, Encode, Sequence};
use token_core::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use token_core::{EcCurve, Error, GostKeyParameters, GostParamSet, PublicKey, Result, oid};

#[derive(Sequence)]
struct RsaPublicKeyRef<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

fn der_err(what: &'static str) -> impl Fn(token_core::der::Error) -> Error {
    move |e| Error::malformed_der(what, e)
}

/// SPKI of an RSA key from `CKA_MODULUS` and `CKA_PUBLIC_EXPONENT` (big-endian, as PKCS#11
/// stores them).
pub(crate) fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<PublicKey> {
    let strip = |b: &[u8]| -> Vec<u8> {
        let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
        b.get(start..).unwrap_or_default().to_vec()
    };
    let (n, e) = (strip(modulus), strip(exponent));
    let key = RsaPublicKeyRef {
        modulus: UintRef::new(&n).map_err(der_err("RSA modulus"))?,
        public_exponent: UintRef::new(&e).map_err(der_err("RSA exponent"))?,
    }
    .to_der()
    .map_err(der_err("RSA public key"))?;
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: Some(AnyRef::NULL.into()),
        },
        subject_public_key: BitString::from_bytes(&key).map_err(der_err("RSA public key"))?,
    };
    PublicKey::from_spki_der(&spki.to_der().map_err(der_err("RSA public key"))?)
}

/// The OID inside a DER-encoded `OBJECT IDENTIFIER` attribute (`CKA_GOSTR3410_PARAMS`, …).
pub(crate) fn oid_from_attribute(der: &[u8]) -> Result<ObjectIdentifier> {
    ObjectIdentifier::from_der(der).map_err(der_err("parameter OID attribute"))
}

/// The GOST public point `X_le ‖ Y_le` from a public key's `CKA_VALUE`. Accepts the bare 2L
/// bytes (the standard form) and, leniently, the same wrapped in a DER OCTET STRING (some
/// modules return the SPKI inner form).
pub(crate) fn gost_point(value: &[u8], coordinate_len: usize) -> Result<Vec<u8>> {
    let want = 2 * coordinate_len;
    if value.len() == want {
        return Ok(value.to_vec());
    }
    if let Ok(octets) = OctetString::from_der(value)
        && octets.as_bytes().len() == want
    {
        return Ok(octets.as_bytes().to_vec());
    }
    Err(Error::Malformed {
        what: "GOST public key value",
        at: None,
        reason: format!("{} bytes, expected {want}", value.len()),
    })
}

/// SPKI of a GOST R 34.10-2012 key from `CKA_VALUE` and the DER OIDs in
/// `CKA_GOSTR3410_PARAMS` and (optionally) `CKA_GOSTR3411_PARAMS`.
///
/// The curve OID is kept as the token wrote it (never normalised); `digestParamSet` is written
/// where OpenSSL's gost engine writes it for that set (reference §4.1), taking the token's
/// Streebog OID when it has one.
pub(crate) fn gost_spki(
    value: &[u8],
    gostr3410_params: &[u8],
    gostr3411_params: Option<&[u8]>,
) -> Result<PublicKey> {
    let curve = oid_from_attribute(gostr3410_params)?;
    let set = GostParamSet::from_oid(&curve).ok_or_else(|| Error::Unsupported {
        what: format!("GOST parameter set {curve}"),
    })?;
    let point = gost_point(value, set.key_size().coordinate_len())?;
    let mut params = GostKeyParameters::for_param_set(set);
    params.public_key_param_set = curve;
    if params.digest_param_set.is_some()
        && let Some(d) = gostr3411_params
    {
        params.digest_param_set = Some(oid_from_attribute(d)?);
    }
    let key_oid = token_core::KeyAlgorithm::Gost(set).key_oid();
    let inner = OctetString::new(point)
        .and_then(|o| o.to_der())
        .map_err(der_err("GOST public key"))?;
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: key_oid,
            parameters: Some(
                token_core::der::asn1::Any::encode_from(&params)
                    .map_err(der_err("GOST key parameters"))?,
            ),
        },
        subject_public_key: BitString::from_bytes(&inner).map_err(der_err("GOST public key"))?,
    };
    PublicKey::from_spki_der(&spki.to_der().map_err(der_err("GOST public key"))?)
}

/// The `CKA_VALUE` a GOST public key object carries for `key`: the `X_le ‖ Y_le` bytes inside
/// the SPKI's OCTET STRING.
#[cfg(test)]
pub(crate) fn gost_value_from_spki(key: &PublicKey) -> Result<Vec<u8>> {
    let octets = OctetString::from_der(key.key_bytes()).map_err(der_err("GOST public key"))?;
    Ok(octets.as_bytes().to_vec())
}

/// The curve named by a `CKA_EC_PARAMS` value: DER `ECParameters`, of which only the
/// `namedCurve` choice (an OID) of a supported curve is accepted.
pub(crate) fn ec_curve_from_params(ec_params: &[u8]) -> Result<EcCurve> {
    let curve = ObjectIdentifier::from_der(ec_params).map_err(|_| Error::Unsupported {
        what: "EC key with explicit (not named) curve parameters".into(),
    })?;
    EcCurve::from_oid(&curve).ok_or_else(|| Error::Unsupported {
        what: format!("elliptic curve {curve}"),
    })
}

/// The EC point inside a `CKA_EC_POINT` value: the DER OCTET STRING PKCS#11 specifies, or,
/// leniently, the bare uncompressed point `04 ‖ X ‖ Y` some modules return.
pub(crate) fn ec_point(ec_point: &[u8], curve: EcCurve) -> Result<Vec<u8>> {
    let raw_len = 1 + 2 * curve.coordinate_len();
    if ec_point.len() == raw_len && ec_point.first() == Some(&0x04) {
        return Ok(ec_point.to_vec());
    }
    OctetString::from_der(ec_point)
        .map(|o| o.as_bytes().to_vec())
        .map_err(der_err("EC point"))
}

/// SPKI of an EC key (id-ecPublicKey, namedCurve) from `CKA_EC_PARAMS` and `CKA_EC_POINT`.
pub(crate) fn ec_spki(ec_params: &[u8], ec_point_attr: &[u8]) -> Result<PublicKey> {
    let curve = ec_curve_from_params(ec_params)?;
    let point = ec_point(ec_point_attr, curve)?;
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oid::EC_PUBLIC_KEY,
            parameters: Some(
                token_core::der::asn1::Any::encode_from(&curve.oid())
                    .map_err(der_err("EC curve"))?,
            ),
        },
        subject_public_key: BitString::from_bytes(&point).map_err(der_err("EC public key"))?,
    };
    PublicKey::from_spki_der(&spki.to_der().map_err(der_err("EC public key"))?)
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480).
#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// The DER `Ecdsa-Sig-Value` X.509 and CMS carry, from the `r ‖ s` (two big-endian halves of
/// equal length) that `CKM_ECDSA` returns.
pub(crate) fn ecdsa_der(r_s: &[u8]) -> Result<Vec<u8>> {
    if r_s.is_empty() || !r_s.len().is_multiple_of(2) {
        return Err(Error::Malformed {
            what: "ECDSA signature",
            at: None,
            reason: format!("{} bytes; r ‖ s of equal halves expected", r_s.len()),
        });
    }
    let (r, s) = r_s.split_at(r_s.len() / 2);
    let strip = |b: &[u8]| -> Vec<u8> {
        let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
        b.get(start..).unwrap_or_default().to_vec()
    };
    let (r, s) = (strip(r), strip(s));
    EcdsaSigValue {
        r: UintRef::new(&r).map_err(der_err("ECDSA signature"))?,
        s: UintRef::new(&s).map_err(der_err("ECDSA signature"))?,
    }
    .to_der()
    .map_err(der_err("ECDSA signature"))
}

/// DER prefix of `DigestInfo { sha256, NULL }`, followed by the 32 digest bytes.
pub(crate) const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// `DigestInfo` for a SHA-256 digest, the input of `CKM_RSA_PKCS` signing.
pub(crate) fn sha256_digest_info(digest: &[u8]) -> Vec<u8> {
    let mut v = SHA256_DIGEST_INFO_PREFIX.to_vec();
    v.extend_from_slice(digest);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::{Digest as _, Sha1};
    use token_core::ContainerId;
    use token_core::{EcCurve, GostParamSet, KeyAlgorithm};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Reference §4.1: AlgorithmIdentifier DER per parameter set and the SPKI length.
    #[test]
    fn gost_value_to_spki_matches_reference_encodings() {
        let cases = [
            // (CKA_GOSTR3410_PARAMS, CKA_GOSTR3411_PARAMS, AlgorithmIdentifier, L, SPKI length, set)
            (
                "06072a850302022301",
                "06082a85030701010202",
                "301f06082a85030701010101301306072a85030202230106082a85030701010202",
                32,
                104,
                GostParamSet::CryptoProA,
            ),
            (
                "06092a8503070102010101",
                "06082a85030701010202",
                "301706082a85030701010101300b06092a8503070102010101",
                32,
                96,
                GostParamSet::Tc26_256A,
            ),
            (
                "06092a8503070102010102",
                "06082a85030701010202",
                "301706082a85030701010101300b06092a8503070102010102",
                32,
                96,
                GostParamSet::Tc26_256B,
            ),
            (
                "06092a8503070102010201",
                "06082a85030701010203",
                "302106082a85030701010102301506092a850307010201020106082a85030701010203",
                64,
                173,
                GostParamSet::Tc26_512A,
            ),
            (
                "06092a8503070102010203",
                "06082a85030701010203",
                "301706082a85030701010102300b06092a8503070102010203",
                64,
                163,
                GostParamSet::Tc26_512C,
            ),
        ];
        for (p3410, p3411, alg_id, l, spki_len, set) in cases {
            let value: Vec<u8> = (0..2 * l).map(|i| i as u8).collect();
            let pk = gost_spki(&value, &hex(p3410), Some(&hex(p3411))).unwrap();
            let der = pk.to_der().unwrap();
            assert_eq!(der.len(), spki_len, "{set}");
            let alg = hex(alg_id);
            let header = if der[1] & 0x80 == 0 { 2 } else { 3 };
            assert_eq!(&der[header..header + alg.len()], alg.as_slice(), "{set}");
            assert_eq!(pk.algorithm(), KeyAlgorithm::Gost(set));
            // Key bits: 04 40 / 04 81 80 then the value unchanged (X_le ‖ Y_le).
            let bits = pk.key_bytes();
            assert_eq!(&bits[bits.len() - 2 * l..], value.as_slice());
            assert_eq!(gost_value_from_spki(&pk).unwrap(), value);
            // Wrapped CKA_VALUE is accepted too.
            let wrapped = OctetString::new(value.clone()).unwrap().to_der().unwrap();
            assert_eq!(
                gost_spki(&wrapped, &hex(p3410), Some(&hex(p3411)))
                    .unwrap()
                    .to_der()
                    .unwrap(),
                der
            );
        }
    }

    #[test]
    fn same_gost_key_in_two_spki_spellings_matches() {
        let value: Vec<u8> = (0..64).map(|i| i as u8).collect();
        let cryptopro_a = hex("06072a850302022301");
        let tc26_256b = hex("06092a8503070102010102");
        let streebog = hex("06082a85030701010202");
        // CryptoPro OID with a digestParamSet, as OpenSSL's gost engine writes it.
        let a = gost_spki(&value, &cryptopro_a, Some(&streebog)).unwrap();
        // The same curve under its TC26 OID, no digestParamSet.
        let b = gost_spki(&value, &tc26_256b, Some(&streebog)).unwrap();
        // CryptoPro OID without the digestParamSet.
        let bare = GostKeyParameters {
            public_key_param_set: GostParamSet::CryptoProA.oid(),
            digest_param_set: None,
        };
        let c = PublicKey::from_spki_der(
            &SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: oid::TC26_GOST_3410_12_256,
                    parameters: Some(token_core::der::asn1::Any::encode_from(&bare).unwrap()),
                },
                subject_public_key: BitString::from_bytes(
                    &OctetString::new(value.clone()).unwrap().to_der().unwrap(),
                )
                .unwrap(),
            }
            .to_der()
            .unwrap(),
        )
        .unwrap();
        let ders = [&a, &b, &c].map(|k| k.to_der().unwrap());
        assert!(ders[0] != ders[1] && ders[0] != ders[2] && ders[1] != ders[2]);
        for (x, y) in [(&a, &b), (&a, &c), (&b, &c), (&b, &a)] {
            assert!(x.same_key(y), "{x:?} vs {y:?}");
        }
        // Another curve, or another point, is another key.
        let tc26_a = gost_spki(&value, &hex("06092a8503070102010101"), None).unwrap();
        assert!(!a.same_key(&tc26_a));
        let mut other = value.clone();
        other[0] ^= 1;
        let moved = gost_spki(&other, &cryptopro_a, Some(&streebog)).unwrap();
        assert!(!a.same_key(&moved));
        // RSA: the key itself decides; RSA never matches GOST.
        let r1 = rsa_spki(&[0, 0xC1, 0x02, 0x03], &[1, 0, 1]).unwrap();
        let r2 = rsa_spki(&[0xC1, 0x02, 0x03], &[0, 1, 0, 1]).unwrap();
        let r3 = rsa_spki(&[0xC1, 0x02, 0x05], &[1, 0, 1]).unwrap();
        assert!(r1.same_key(&r2));
        assert!(!r1.same_key(&r3));
        assert!(!r1.same_key(&a));
    }

    #[test]
    fn gost_value_of_wrong_length_is_malformed() {
        let e = gost_spki(&[0u8; 63], &hex("06072a850302022301"), None).unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
        let e = gost_spki(&[0u8; 64], &hex("06062a8648ce3d03"), None).unwrap_err();
        assert!(matches!(
            e,
            Error::Malformed { .. } | Error::Unsupported { .. }
        ));
    }

    #[test]
    fn rsa_spki_and_id() {
        let mut n = vec![0x00, 0xC1];
        n.extend(std::iter::repeat_n(0x5A, 255));
        let pk = rsa_spki(&n, &[0x01, 0x00, 0x01]).unwrap();
        assert_eq!(pk.algorithm(), KeyAlgorithm::Rsa { bits: 2048 });
        let id = ContainerId::derived_from(&pk);
        assert_eq!(id.as_bytes().len(), 20);
        assert_eq!(
            id.as_bytes(),
            Sha1::digest(pk.key_bytes()).as_slice(),
            "SKI method 1"
        );
    }

    #[test]
    fn ec_attributes_to_spki() {
        let params = hex("06082a8648ce3d030107");
        let mut point = vec![0x04];
        point.extend((0..64).map(|i| i as u8));
        let wrapped = OctetString::new(point.clone()).unwrap().to_der().unwrap();
        let pk = ec_spki(&params, &wrapped).unwrap();
        assert_eq!(pk.algorithm(), KeyAlgorithm::Ec(EcCurve::P256));
        assert_eq!(pk.key_bytes(), point.as_slice());
        let der = pk.to_der().unwrap();
        // OpenSSL's P-256 SPKI header.
        assert_eq!(
            &der[..26],
            hex("3059301306072a8648ce3d020106082a8648ce3d030107034200").as_slice()
        );
        // A bare point is accepted too, and gives the same key.
        assert_eq!(ec_spki(&params, &point).unwrap(), pk);
        // P-384.
        let mut p384 = vec![0x04];
        p384.extend([7u8; 96]);
        let k = ec_spki(
            &hex("06052b81040022"),
            &OctetString::new(p384).unwrap().to_der().unwrap(),
        )
        .unwrap();
        assert_eq!(k.algorithm(), KeyAlgorithm::Ec(EcCurve::P384));
        // Explicit parameters and unknown curves are unsupported, bad points malformed.
        assert!(matches!(
            ec_spki(&hex("3000"), &wrapped),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            ec_spki(&hex("06052b8104000a"), &wrapped),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            ec_spki(&params, &wrapped[..40]),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn ecdsa_r_s_to_der() {
        // r with its top bit set gets a 0x00 pad; s with leading zeros loses them.
        let mut rs = vec![0x80];
        rs.extend([0x11; 31]);
        rs.extend([0x00, 0x00]);
        rs.extend([0x22; 30]);
        let der = ecdsa_der(&rs).unwrap();
        let mut want = hex("3043022100");
        want.push(0x80);
        want.extend([0x11; 31]);
        want.extend([0x02, 0x1e]);
        want.extend([0x22; 30]);
        assert_eq!(der, want);
        assert!(matches!(ecdsa_der(&rs[..63]), Err(Error::Malformed { .. })));
        assert!(ecdsa_der(&[]).is_err());
    }

    #[test]
    fn digest_info_prefix() {
        let di = sha256_digest_info(&[0xAB; 32]);
        assert_eq!(di.len(), 51);
        assert_eq!(di[0], 0x30);
        assert_eq!(di[1] as usize, di.len() - 2);
    }
}
