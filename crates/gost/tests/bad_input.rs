//! Bad input gives typed errors, never panics or false acceptance.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is how a test fails"
)]

use keycarrier_gost::signature::hazmat::{PrehashSigner, PrehashVerifier};
use keycarrier_gost::{Error, ParamSet, Signature, SigningKey, VerifyingKey};

/// The `gost` error a `signature` error carries, if any.
fn source(e: &keycarrier_gost::signature::Error) -> Option<&Error> {
    std::error::Error::source(e).and_then(|s| s.downcast_ref::<Error>())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// q of each curve, big-endian.
fn order(set: ParamSet) -> Vec<u8> {
    use keycarrier_gost::CurveId::*;
    hex(match set.curve() {
        Test256 => "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
        CryptoProA => "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
        CryptoProB => "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
        CryptoProC => "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
        Tc26_256A => "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
        Test512 => {
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15DA82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF"
        }
        Tc26_512A => {
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"
        }
        Tc26_512B => {
            "800000000000000000000000000000000000000000000000000000000000000149A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD"
        }
        Tc26_512C => {
            "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED"
        }
        _ => unreachable!(),
    })
}

fn add_one(mut v: Vec<u8>) -> Vec<u8> {
    for b in v.iter_mut().rev() {
        let (n, c) = b.overflowing_add(1);
        *b = n;
        if !c {
            break;
        }
    }
    v
}

#[test]
fn r_or_s_out_of_range_is_rejected() {
    for set in ParamSet::ALL {
        let key = SigningKey::generate(set).unwrap();
        let vk = key.verifying_key();
        let digest = keycarrier_gost::digest(vk.hash_algorithm(), b"x");
        let good = key.sign_prehash(&digest).unwrap();
        let l = set.key_size().coordinate_len();
        let q = order(set);
        let zero = vec![0u8; l];
        let cases = [
            (good.r().to_vec(), zero.clone()),
            (zero.clone(), good.s().to_vec()),
            (q.clone(), good.s().to_vec()),
            (good.r().to_vec(), q.clone()),
            (add_one(q.clone()), good.s().to_vec()),
            (vec![0xff; l], good.s().to_vec()),
            (good.r().to_vec(), vec![0xff; l]),
        ];
        for (r, s) in cases {
            let bad = Signature::from_r_s(&r, &s).unwrap();
            // A signature that does not verify is an opaque error (no source).
            let err = vk.verify_prehash(&digest, &bad).unwrap_err();
            assert!(source(&err).is_none(), "{set}");
        }
        // r + q (where it fits) must not verify either: range checks, not reduction.
        // A signature of the other size is a verification failure, not a panic.
        let other = if l == 32 { 128 } else { 64 };
        let bad = Signature::from_bytes(&vec![1u8; other]).unwrap();
        assert!(vk.verify_prehash(&digest, &bad).is_err());
        // Digest of the wrong width is malformed input.
        let err = vk.verify_prehash(&digest[1..], &good).unwrap_err();
        assert!(matches!(source(&err), Some(Error::Malformed { .. })));
        let err = key.sign_prehash(&[0u8; 5]).unwrap_err();
        assert!(matches!(source(&err), Some(Error::Malformed { .. })));
    }
}

#[test]
fn signature_encodings() {
    for n in [0usize, 1, 63, 65, 96, 127, 129, 256] {
        assert!(matches!(
            Signature::from_bytes(&vec![1; n]),
            Err(Error::Malformed { .. })
        ));
    }
    assert!(Signature::from_r_s(&[1; 32], &[1; 31]).is_err());
    assert!(Signature::from_r_s(&[1; 16], &[1; 16]).is_err());
    let sig = Signature::from_r_s(&[1; 64], &[2; 64]).unwrap();
    assert_eq!(sig.key_size(), keycarrier_gost::KeySize::Bits512);
    assert_eq!(Signature::try_from(sig.as_bytes()).unwrap(), sig);
}

#[test]
fn points_off_curve_are_rejected() {
    for set in ParamSet::ALL {
        let key = SigningKey::generate(set).unwrap();
        let mut raw = key.verifying_key().as_raw_le().to_vec();
        raw[0] ^= 1;
        assert!(matches!(
            VerifyingKey::from_raw_le(set, &raw),
            Err(Error::Malformed { .. })
        ));
        // Coordinates ≥ p.
        let l = set.key_size().coordinate_len();
        assert!(VerifyingKey::from_raw_le(set, &vec![0xff; 2 * l]).is_err());
        // All zero (x = 0, y = 0 is not on any of these curves; CryptoPro-C has x = 0 points
        // but y = 0 is not among them).
        assert!(VerifyingKey::from_raw_le(set, &vec![0; 2 * l]).is_err());
        // Truncated and overlong raw keys.
        assert!(VerifyingKey::from_raw_le(set, &raw[1..]).is_err());
        let mut long = key.verifying_key().as_raw_le().to_vec();
        long.push(0);
        assert!(VerifyingKey::from_raw_le(set, &long).is_err());
    }
}

#[test]
fn small_order_and_mixed_order_points_are_rejected() {
    // Points on the cofactor-4 curves outside the order-q subgroup (computed with independent
    // Python code): a point of order 2 (256-A), of order 4 (512-C), and points of order 2q / 4q.
    let cases = [
        (
            ParamSet::Tc26_256A,
            "0100FE73F595FF158E974B44D478D9588744FE5C192AC47EA63075DCE7A14AAA",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            ParamSet::Tc26_256A,
            "36F675CC81E74EF5E8E25D940ED904759531985D5D9DC9F81818E811892F902B",
            "0531835B579A7F17BA717F2B405641B54D1342DEA44CDBD3BD756F418FCEED22",
        ),
        (
            ParamSet::Tc26_512C,
            "B2CEB8345535898813B22EBAED63002431BAA6E3A8897BD702D1F2A27EA3FA5D9CC65D7F23E2FF7114ED197A575D7B72C932995A7051D270EF26A6DB1101748F",
            "E793D763005F6367C4E973CF37D6FF936AD00B5506638C7AF78A2818841410E729ACE782945701ACC138B390F9E78DA7A46833F0AF0A88AD328C0B6ECCFB9BA9",
        ),
        (
            ParamSet::Tc26_512C,
            "A170B33839263059F28C105D1FB17C2390C192CFD3AC94AF0F21DDB66CAD4A268D116ECE1738F7D93D9C172411E20B8F6B0D549B6F03675A1600A35A099950D8",
            "1B2E92A3FDC1F4B94587F401FB8907184CB6C423EA59B709B95B3410752482A3D43A5D2C562DC6369BFCDF53EB5068622932D1EFE8354AEC77D89F8DB687DBBD",
        ),
    ];
    for (set, x, y) in cases {
        match VerifyingKey::from_affine_be(set, &hex(x), &hex(y)) {
            Err(Error::Malformed { reason, .. }) => {
                assert!(reason.contains("subgroup"), "{set}: {reason}")
            }
            other => panic!("{set}: accepted a point outside the subgroup: {other:?}"),
        }
    }
}

#[test]
fn private_scalars_out_of_range_are_rejected() {
    for set in ParamSet::ALL {
        let l = set.key_size().coordinate_len();
        assert!(SigningKey::from_be_bytes(set, &vec![0; l]).is_err());
        assert!(SigningKey::from_be_bytes(set, &order(set)).is_err());
        assert!(SigningKey::from_be_bytes(set, &vec![0xff; l]).is_err());
        assert!(SigningKey::from_be_bytes(set, &vec![1; l - 1]).is_err());
        assert!(SigningKey::from_be_bytes(set, &vec![1; l + 1]).is_err());
        let mut one = vec![0; l];
        one[l - 1] = 1;
        let key = SigningKey::from_be_bytes(set, &one).unwrap();
        // Explicit nonces must be in range too.
        let digest = vec![7u8; l];
        assert!(
            keycarrier_gost::hazmat::sign_prehash_with_nonce(&key, &digest, &vec![0; l]).is_err()
        );
        assert!(
            keycarrier_gost::hazmat::sign_prehash_with_nonce(&key, &digest, &order(set)).is_err()
        );
    }
}

#[test]
fn spki_and_pkcs8_truncation_and_garbage() {
    for set in [ParamSet::CryptoProA, ParamSet::Tc26_512C] {
        let key = SigningKey::generate(set).unwrap();
        let spki = key.verifying_key().to_spki_der().unwrap();
        for n in 0..spki.len() {
            assert!(VerifyingKey::from_spki_der(&spki[..n]).is_err());
        }
        let mut long = spki.clone();
        long.push(0);
        assert!(VerifyingKey::from_spki_der(&long).is_err());
        let p8 = key.to_pkcs8_der().unwrap();
        let p8 = p8.as_bytes();
        for n in 0..p8.len() {
            assert!(SigningKey::from_pkcs8_der(&p8[..n]).is_err());
        }
        // Flip every byte once: never a panic, and never a different valid key silently
        // accepted under the same encoding.
        for i in 0..p8.len() {
            let mut b = p8.to_vec();
            b[i] ^= 0x5a;
            let _ = SigningKey::from_pkcs8_der(&b);
        }
        for i in 0..spki.len() {
            let mut b = spki.clone();
            b[i] ^= 0x5a;
            let _ = VerifyingKey::from_spki_der(&b);
        }
    }
    // An RSA SPKI is unsupported, not malformed.
    let rsa = hex(
        "302a300d06092a864886f70d01010105000319003016020f00c0ffee00000000000000000000010203010001",
    );
    assert!(VerifyingKey::from_spki_der(&rsa).is_err());
}

#[test]
fn pkcs8_accepts_the_four_private_key_forms() {
    use der::Encode;
    use der::asn1::{OctetString, UintRef};
    let set = ParamSet::Tc26_256A;
    let key = SigningKey::generate(set).unwrap();
    let p8 = key.to_pkcs8_der().unwrap();
    let info = pkcs8::PrivateKeyInfoRef::try_from(p8.as_bytes()).unwrap();
    let le = key.to_le_bytes();
    let be = key.to_be_bytes();
    let nested = OctetString::new(le.to_vec()).unwrap().to_der().unwrap();
    let int = UintRef::new(&be).unwrap().to_der().unwrap();
    for content in [nested, int] {
        let octets = der::asn1::OctetStringRef::new(&content).unwrap();
        let alt = pkcs8::PrivateKeyInfoRef::new(info.algorithm, octets);
        let der = alt.to_der().unwrap();
        let back = SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(*back.to_le_bytes(), *le);
    }
    // A 64-byte CryptoPro masked key: key ‖ mask, d = key · mask mod q. With mask = 1 it is
    // the key itself; with another mask, another key (never an error, never the same key).
    let mut one = vec![0u8; 32];
    one[0] = 1;
    for (mask, same) in [(one, true), (vec![1u8; 32], false)] {
        let masked = [le.to_vec(), mask].concat();
        let octets = der::asn1::OctetStringRef::new(&masked).unwrap();
        let alt = pkcs8::PrivateKeyInfoRef::new(info.algorithm, octets);
        let back = SigningKey::from_pkcs8_der(&alt.to_der().unwrap()).unwrap();
        assert_eq!(*back.to_le_bytes() == *le, same);
    }
}

#[test]
fn secrets_do_not_leak_through_debug() {
    let set = ParamSet::Tc26_256B;
    let mut d = vec![0x11u8; 32];
    d[0] = 0x3c;
    let key = SigningKey::from_be_bytes(set, &d).unwrap();
    let dbg = format!("{key:?}");
    assert!(!dbg.contains("3c1111"), "{dbg}");
    assert!(!dbg.contains("111111111111"), "{dbg}");
}

#[test]
fn oids_are_kept_not_normalised() {
    // CryptoPro-A, XchA and TC26-256-B are one curve with three OIDs.
    let d = {
        let mut d = vec![0x22u8; 32];
        d[0] = 0x01;
        d
    };
    let mut raws = Vec::new();
    for set in [
        ParamSet::CryptoProA,
        ParamSet::CryptoProXchA,
        ParamSet::Tc26_256B,
    ] {
        let key = SigningKey::from_be_bytes(set, &d).unwrap();
        let spki = key.verifying_key().to_spki_der().unwrap();
        let back = VerifyingKey::from_spki_der(&spki).unwrap();
        assert_eq!(back.param_set(), set);
        assert_eq!(back.key_parameters().public_key_param_set, set.oid());
        raws.push(back.as_raw_le().to_vec());
    }
    assert!(raws.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn digest_equal_to_q_maps_to_e_one() {
    // e = LE(H) mod q; H = LE bytes of q gives e = 0, which the standard replaces by 1, so a
    // signature over it is also a signature over H = LE(1).
    for set in ParamSet::ALL {
        let key = SigningKey::generate(set).unwrap();
        let mut h_q = order(set);
        h_q.reverse();
        let mut h_one = vec![0u8; h_q.len()];
        h_one[0] = 1;
        let sig = key.sign_prehash(&h_q).unwrap();
        key.verifying_key().verify_prehash(&h_q, &sig).unwrap();
        key.verifying_key().verify_prehash(&h_one, &sig).unwrap();
    }
}
