//! Key import (flow U03): PKCS#8 private keys as PKCS#11 object templates.
//!
//! RSA: the `RSAPrivateKey` inside the PKCS#8 gives `CKA_MODULUS`, `CKA_PUBLIC_EXPONENT` and
//! the CRT components (big-endian). GOST R 34.10-2012: the `gost` crate decodes the PKCS#8
//! (raw little-endian scalar, nested OCTET STRING or INTEGER) and computes the public point;
//! private `CKA_VALUE` = `d` little-endian (32 or 64 bytes), public `CKA_VALUE` = `X_le ‖ Y_le`,
//! `CKA_GOSTR3410_PARAMS` = the curve OID the key came with, `CKA_GOSTR3411_PARAMS` = the
//! Streebog of its size.
//!
//! EC (P-256, P-384): the RFC 5915 `ECPrivateKey` inside the PKCS#8 gives `d` (private
//! `CKA_VALUE`, big-endian) and, where present, the public point (public `CKA_EC_POINT`, a DER
//! OCTET STRING); both objects get `CKA_EC_PARAMS` = the curve OID. A key without its public
//! point is refused (computing it would need EC arithmetic this crate does not carry).
//!
//! Every secret value sits in a [`RawAttribute`], which zeroizes it when dropped.

use cryptoki_sys as c;
use pkcs8::PrivateKeyInfoRef;
use token_core::const_oid::ObjectIdentifier;
use token_core::der::asn1::{BitStringRef, OctetString, OctetStringRef, UintRef};
use token_core::der::{Decode, Encode, Sequence};
use token_core::{EcCurve, Error, GostKeySize, PublicKey, Result, oid};

use cryptoki::object::Attribute;
use token_core::{ContainerId, ContainerInfo, KeyImport};

use super::Pkcs11Carrier;
use super::objects::{certificate_template, with_cleanup_failure};
use crate::consts::{CKA_GOSTR3410_PARAMS, CKA_GOSTR3411_PARAMS, CKK_GOSTR3410, CKK_GOSTR3410_512};
use crate::convert;
use crate::error::ck;
use crate::raw::RawAttribute;

impl Pkcs11Carrier {
    /// Creates, with `C_CreateObject`, the public key, the certificates and then the private
    /// key, all under one `CKA_ID` (the requested one, or SHA-1 of the public key bits as for
    /// generated keys) and the import's label. The private key is `CKA_TOKEN`, `CKA_PRIVATE`,
    /// `CKA_SENSITIVE`, not extractable. The end-entity certificate (the first) must certify
    /// the key. If any object fails, those already created are destroyed; the private key
    /// comes last, so a missing login (`LoginRequired`) leaves nothing behind.
    pub(super) fn import_container(&mut self, key: KeyImport) -> Result<ContainerInfo> {
        let mut objects = key_objects(key.private_key_pkcs8.expose())?;
        if let Some(first) = key.certificates.first() {
            let cert = token_core::CertificateInfo::from_der(first)?;
            if !cert.public_key.same_key(&objects.public_key) {
                return Err(Error::CertificateMismatch);
            }
        }
        let id = key
            .id
            .clone()
            .unwrap_or_else(|| ContainerId::derived_from(&objects.public_key));
        objects.name(id.as_bytes(), &key.label);
        let certificates = key
            .certificates
            .iter()
            .map(|der| certificate_template(&id, &key.label, der))
            .collect::<Result<Vec<_>>>()?;
        let raw = self.module().raw();
        self.pool.run(|s| {
            if !self
                .find(s, &[Attribute::Id(id.as_bytes().to_vec())])?
                .is_empty()
            {
                return Err(Error::AlreadyExists {
                    what: format!("container {id}"),
                });
            }
            let mut created = Vec::new();
            let mut create_all = || -> Result<()> {
                created.push(raw.create_object(s, objects.public.clone())?);
                for t in &certificates {
                    created.push(s.create_object(t).map_err(ck("C_CreateObject"))?);
                }
                created.push(raw.create_object(s, objects.private.clone())?);
                Ok(())
            };
            match create_all() {
                Ok(()) => Ok(()),
                Err(e) => match self.delete_objects(s, &created) {
                    Ok(()) => Err(e),
                    Err(cleanup) => Err(with_cleanup_failure(e, &cleanup)),
                },
            }
        })?;
        self.find_container(&id)
    }
}

/// `RSAPrivateKey` (RFC 8017 A.1.2), two-prime form only (`version` 0, no `otherPrimeInfos`).
#[derive(Sequence)]
struct RsaPrivateKeyRef<'a> {
    version: u8,
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
    private_exponent: UintRef<'a>,
    prime1: UintRef<'a>,
    prime2: UintRef<'a>,
    exponent1: UintRef<'a>,
    exponent2: UintRef<'a>,
    coefficient: UintRef<'a>,
}

/// `ECPrivateKey` (RFC 5915).
#[derive(Sequence)]
struct EcPrivateKeyRef<'a> {
    version: u8,
    private_key: &'a OctetStringRef,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    parameters: Option<ObjectIdentifier>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    public_key: Option<BitStringRef<'a>>,
}

/// The public and private key objects of an imported key, without `CKA_ID` and `CKA_LABEL`
/// (the caller adds them), and the public key as listing will show it.
pub(super) struct KeyObjects {
    /// The public key, built from the same attribute values the listing reads back.
    pub(super) public_key: PublicKey,
    /// The public key object's template.
    pub(super) public: Vec<RawAttribute>,
    /// The private key object's template (secret values inside).
    pub(super) private: Vec<RawAttribute>,
}

impl KeyObjects {
    /// Adds `CKA_ID` and `CKA_LABEL` to both templates.
    pub(super) fn name(&mut self, id: &[u8], label: &str) {
        for t in [&mut self.public, &mut self.private] {
            t.push(RawAttribute::bytes(c::CKA_ID, id));
            t.push(RawAttribute::bytes(c::CKA_LABEL, label.as_bytes()));
        }
    }
}

fn malformed(e: token_core::der::Error) -> Error {
    Error::malformed_der("private key", e)
}

/// Safe object classes and flags every imported key gets.
fn common(private: bool, key_type: c::CK_KEY_TYPE) -> Vec<RawAttribute> {
    let mut t = vec![
        RawAttribute::ulong(
            c::CKA_CLASS,
            if private {
                c::CKO_PRIVATE_KEY
            } else {
                c::CKO_PUBLIC_KEY
            },
        ),
        RawAttribute::ulong(c::CKA_KEY_TYPE, key_type),
        RawAttribute::bool(c::CKA_TOKEN, true),
        RawAttribute::bool(c::CKA_PRIVATE, private),
    ];
    if private {
        t.extend([
            RawAttribute::bool(c::CKA_SENSITIVE, true),
            RawAttribute::bool(c::CKA_EXTRACTABLE, false),
            RawAttribute::bool(c::CKA_SIGN, true),
        ]);
    } else {
        t.push(RawAttribute::bool(c::CKA_VERIFY, true));
    }
    t
}

/// The key objects for a PKCS#8 `PrivateKeyInfo` (RSA or GOST R 34.10-2012).
pub(super) fn key_objects(pkcs8_der: &[u8]) -> Result<KeyObjects> {
    let info = PrivateKeyInfoRef::from_der(pkcs8_der).map_err(malformed)?;
    let alg = info.algorithm.oid;
    if alg == oid::RSA_ENCRYPTION {
        return rsa(info.private_key.as_bytes());
    }
    let gost = [
        oid::TC26_GOST_3410_12_256,
        oid::TC26_GOST_3410_12_512,
        oid::KZ_GOST_3410_2015_256,
        oid::KZ_GOST_3410_2015_512,
    ];
    if gost.contains(&alg) {
        return gost_key(pkcs8_der);
    }
    if alg == oid::EC_PUBLIC_KEY {
        let curve = EcCurve::from_parameters(info.algorithm.parameters, "private key")?;
        return ec(curve, info.private_key.as_bytes());
    }
    Err(Error::Unsupported {
        what: format!("importing a private key of algorithm {alg}"),
    })
}

fn rsa(private_key: &[u8]) -> Result<KeyObjects> {
    let k = RsaPrivateKeyRef::from_der(private_key).map_err(malformed)?;
    if k.version != 0 {
        return Err(Error::Unsupported {
            what: "multi-prime RSA private key".into(),
        });
    }
    let (n, e) = (k.modulus.as_bytes(), k.public_exponent.as_bytes());
    let public_key = convert::rsa_spki(n, e)?;
    let mut public = common(false, c::CKK_RSA);
    public.extend([
        RawAttribute::bytes(c::CKA_MODULUS, n),
        RawAttribute::bytes(c::CKA_PUBLIC_EXPONENT, e),
    ]);
    let mut private = common(true, c::CKK_RSA);
    private.extend([
        RawAttribute::bytes(c::CKA_MODULUS, n),
        RawAttribute::bytes(c::CKA_PUBLIC_EXPONENT, e),
        RawAttribute::bytes(c::CKA_PRIVATE_EXPONENT, k.private_exponent.as_bytes()),
        RawAttribute::bytes(c::CKA_PRIME_1, k.prime1.as_bytes()),
        RawAttribute::bytes(c::CKA_PRIME_2, k.prime2.as_bytes()),
        RawAttribute::bytes(c::CKA_EXPONENT_1, k.exponent1.as_bytes()),
        RawAttribute::bytes(c::CKA_EXPONENT_2, k.exponent2.as_bytes()),
        RawAttribute::bytes(c::CKA_COEFFICIENT, k.coefficient.as_bytes()),
    ]);
    Ok(KeyObjects {
        public_key,
        public,
        private,
    })
}

fn ec(curve: EcCurve, private_key: &[u8]) -> Result<KeyObjects> {
    let curve_oid = curve.oid();
    let k = EcPrivateKeyRef::from_der(private_key).map_err(malformed)?;
    if k.version != 1 {
        return Err(Error::Malformed {
            what: "private key",
            at: None,
            reason: format!("ECPrivateKey version {}", k.version),
        });
    }
    if k.parameters.is_some_and(|p| p != curve_oid) {
        return Err(Error::Malformed {
            what: "private key",
            at: None,
            reason: "ECPrivateKey names another curve than its PKCS#8 algorithm".into(),
        });
    }
    let d = k.private_key.as_bytes();
    if d.len() != curve.coordinate_len() {
        return Err(Error::Malformed {
            what: "private key",
            at: None,
            reason: format!("{} bytes of EC scalar for {curve}", d.len()),
        });
    }
    let point = k
        .public_key
        .and_then(|b| b.as_bytes())
        .ok_or_else(|| Error::Unsupported {
            what: "an EC private key without its public key".into(),
        })?;
    let params = curve_oid.to_der().map_err(malformed)?;
    let ec_point = OctetString::new(point)
        .and_then(|o| o.to_der())
        .map_err(malformed)?;
    // As listing reads it back (this also checks the point's size and form).
    let public_key = convert::ec_spki(&params, &ec_point)?;
    let mut public = common(false, c::CKK_EC);
    public.extend([
        RawAttribute::bytes(c::CKA_EC_PARAMS, &params),
        RawAttribute::bytes(c::CKA_EC_POINT, &ec_point),
    ]);
    let mut private = common(true, c::CKK_EC);
    private.extend([
        RawAttribute::bytes(c::CKA_EC_PARAMS, &params),
        RawAttribute::bytes(c::CKA_VALUE, d),
    ]);
    Ok(KeyObjects {
        public_key,
        public,
        private,
    })
}

fn gost_key(pkcs8_der: &[u8]) -> Result<KeyObjects> {
    let key = gost::SigningKey::from_pkcs8_der(pkcs8_der)?;
    let vk = key.verifying_key();
    let set = vk.param_set();
    let (key_type, digest) = match set.key_size() {
        GostKeySize::Bits256 => (CKK_GOSTR3410, oid::TC26_GOST_3411_12_256),
        GostKeySize::Bits512 => (CKK_GOSTR3410_512, oid::TC26_GOST_3411_12_512),
    };
    let p3410 = vk
        .key_parameters()
        .public_key_param_set
        .to_der()
        .map_err(malformed)?;
    let p3411 = digest.to_der().map_err(malformed)?;
    let point = vk.as_raw_le();
    // As listing reads it back from the public key object.
    let public_key = convert::gost_spki(point, &p3410, Some(&p3411))?;
    let params = [
        RawAttribute::bytes(CKA_GOSTR3410_PARAMS, &p3410),
        RawAttribute::bytes(CKA_GOSTR3411_PARAMS, &p3411),
    ];
    let mut public = common(false, key_type);
    public.extend(params.clone());
    public.push(RawAttribute::bytes(c::CKA_VALUE, point));
    let mut private = common(true, key_type);
    private.extend(params);
    private.push(RawAttribute::bytes(c::CKA_VALUE, &key.to_le_bytes()));
    Ok(KeyObjects {
        public_key,
        public,
        private,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::{GostParamSet, KeyAlgorithm};

    fn value(t: &[RawAttribute], kind: c::CK_ATTRIBUTE_TYPE) -> Option<&[u8]> {
        t.iter()
            .find(|a| a.kind == kind)
            .map(|a| a.value.as_slice())
    }

    #[test]
    fn gost_pkcs8_to_objects() {
        for set in [
            GostParamSet::Tc26_256A,
            GostParamSet::CryptoProA,
            GostParamSet::Tc26_512B,
        ] {
            let key = gost::SigningKey::generate(set).unwrap();
            let der = key.to_pkcs8_der().unwrap();
            let o = key_objects(der.as_bytes()).unwrap();
            assert_eq!(o.public_key.algorithm(), KeyAlgorithm::Gost(set));
            let l = set.key_size().coordinate_len();
            let d = value(&o.private, c::CKA_VALUE).unwrap();
            assert_eq!(d.len(), l);
            assert_eq!(d, key.to_le_bytes().as_slice(), "d little-endian");
            let point = value(&o.public, c::CKA_VALUE).unwrap();
            assert_eq!(point.len(), 2 * l);
            // x‖y little-endian halves: x_le reversed is the big-endian affine x.
            let (x, y) = key.verifying_key().to_affine_be();
            let mut x_le = x.clone();
            x_le.reverse();
            let mut y_le = y.clone();
            y_le.reverse();
            assert_eq!(&point[..l], x_le.as_slice());
            assert_eq!(&point[l..], y_le.as_slice());
            assert_eq!(
                value(&o.public, CKA_GOSTR3410_PARAMS).unwrap(),
                set.oid().to_der().unwrap().as_slice()
            );
            let key_type = value(&o.private, c::CKA_KEY_TYPE).unwrap();
            let want: c::CK_ULONG = match set.key_size() {
                GostKeySize::Bits256 => 0x30,
                GostKeySize::Bits512 => 0xD432_1003,
            };
            assert_eq!(key_type, want.to_ne_bytes().as_slice());
            assert!(o.public_key.same_key(
                &PublicKey::from_spki_der(&key.verifying_key().to_spki_der().unwrap()).unwrap()
            ));
            assert_eq!(value(&o.private, c::CKA_SENSITIVE), Some([1u8].as_slice()));
            assert_eq!(
                value(&o.private, c::CKA_EXTRACTABLE),
                Some([0u8].as_slice())
            );
        }
    }

    /// PKCS#8 of a P-256 `ECPrivateKey` without the optional public key.
    fn p256_without_public_key(d: &[u8; 32]) -> Vec<u8> {
        let mut der = vec![0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07];
        der.extend([
            0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        ]);
        der.extend([
            0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01,
        ]);
        der.extend([0x04, 0x20]);
        der.extend(d);
        der
    }

    #[test]
    fn ec_key_without_public_point_is_unsupported() {
        let e = key_objects(&p256_without_public_key(&[7; 32]))
            .err()
            .unwrap();
        assert!(
            matches!(e, Error::Unsupported { ref what } if what.contains("public key")),
            "{e:?}"
        );
        // A truncated one is malformed.
        let der = p256_without_public_key(&[7; 32]);
        assert!(matches!(
            key_objects(&der[..der.len() - 1]),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn garbage_and_unknown_algorithms_are_typed_errors() {
        assert!(matches!(
            key_objects(b"not a key"),
            Err(Error::Malformed { .. })
        ));
        // A PKCS#8 of an X25519 key (RFC 8410 example).
        let x25519 = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22,
            0x04, 0x20, 0xd4, 0xee, 0x72, 0xdb, 0xf9, 0x13, 0x58, 0x4a, 0xd5, 0xb6, 0xd8, 0xf1,
            0xf7, 0x69, 0xf8, 0xad, 0x3a, 0xfe, 0x7c, 0x28, 0xcb, 0xf1, 0xd4, 0xfb, 0xe0, 0x97,
            0xa8, 0x8f, 0x44, 0x75, 0x58, 0x42,
        ];
        assert!(matches!(
            key_objects(&x25519),
            Err(Error::Unsupported { .. })
        ));
    }
}
