//! Keys that enter the soft-token module through `C_CreateObject` (GOST and RSA private keys,
//! checked and signing) and `C_CopyObject`.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki_sys::*;
use gost::signature::Verifier;

mod common;
use common::*;

#[test]
fn c_create_object_imports_gost_private_keys_that_sign_and_refuses_bad_ones() {
    use token_core::GostParamSet;
    let env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    let msg = b"imported key, payment order 44";
    let private_template = |set: GostParamSet, d: Vec<u8>, id: u8| {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Id(vec![id]),
            Attribute::Label(b"imported".to_vec()),
            Attribute::Value(d),
            gost_params(set),
        ]
    };
    let key256 = gost::SigningKey::generate(GostParamSet::CryptoProA).unwrap();
    let t = private_template(GostParamSet::CryptoProA, key256.to_le_bytes().to_vec(), 1);
    // The user must be logged in, in a read-write session.
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::UserNotLoggedIn
    );
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro.create_object(&t).unwrap_err()),
        RvError::SessionReadOnly
    );

    let mut keys = Vec::new();
    for (set, mech, id) in [
        (GostParamSet::CryptoProA, 0xD432_1008, 1u8),
        (GostParamSet::Tc26_512A, 0xD432_1009, 2u8),
    ] {
        let key = if id == 1 {
            key256.clone()
        } else {
            gost::SigningKey::generate(set).unwrap()
        };
        let h = s
            .create_object(&private_template(set, key.to_le_bytes().to_vec(), id))
            .unwrap();
        let sig = s.sign(&vendor_mech(mech), h, msg).unwrap();
        key.verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
        // Imported, not generated: never "always sensitive" / "never extractable"; the
        // scalar stays sensitive.
        let attrs = s
            .get_attributes(
                h,
                &[
                    AttributeType::Local,
                    AttributeType::AlwaysSensitive,
                    AttributeType::NeverExtractable,
                    AttributeType::Sensitive,
                    AttributeType::Token,
                ],
            )
            .unwrap();
        for want in [
            Attribute::Local(false),
            Attribute::AlwaysSensitive(false),
            Attribute::NeverExtractable(false),
            Attribute::Sensitive(true),
            Attribute::Token(true),
        ] {
            assert!(attrs.contains(&want), "{want:?} not in {attrs:?}");
        }
        assert!(matches!(
            s.get_attribute_info(h, &[AttributeType::Value]).unwrap()[0],
            AttributeInfo::Sensitive
        ));
        // Its public half under the same id: accepted with CKA_VALUE = X_le ‖ Y_le.
        let public = s
            .create_object(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::KeyType(gost_key_type(set)),
                Attribute::Token(true),
                Attribute::Id(vec![id]),
                Attribute::Value(key.verifying_key().as_raw_le().to_vec()),
                gost_params(set),
            ])
            .unwrap();
        s.verify(&vendor_mech(mech), public, msg, &sig).unwrap();
        keys.push((key, h, mech));
    }
    // Another key's public half under id 1 is refused.
    let other = gost::SigningKey::generate(GostParamSet::CryptoProA).unwrap();
    assert_eq!(
        rv(s.create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(cryptoki::object::KeyType::GOSTR3410),
            Attribute::Token(true),
            Attribute::Id(vec![1]),
            Attribute::Value(other.verifying_key().as_raw_le().to_vec()),
            gost_params(GostParamSet::CryptoProA),
        ])
        .unwrap_err()),
        RvError::TemplateInconsistent
    );

    // Another private key under id 1 (which holds key256's pair) is refused too.
    assert_eq!(
        rv(s.create_object(&private_template(
            GostParamSet::CryptoProA,
            other.to_le_bytes().to_vec(),
            1
        ))
        .unwrap_err()),
        RvError::TemplateInconsistent
    );

    // Bad scalars and templates.
    let q_le = {
        // q of CryptoPro-A, little-endian: d = q is out of range.
        let mut q = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893");
        q.reverse();
        q
    };
    let before = s.find_objects(&[]).unwrap().len();
    for (d, want) in [
        (vec![0u8; 32], RvError::AttributeValueInvalid),
        (q_le, RvError::AttributeValueInvalid),
        (vec![1u8; 31], RvError::AttributeValueInvalid),
    ] {
        let t = private_template(GostParamSet::CryptoProA, d, 9);
        assert_eq!(rv(s.create_object(&t).unwrap_err()), want);
    }
    let mut t = private_template(GostParamSet::Tc26_512A, vec![1u8; 64], 9);
    t.retain(|a| a.attribute_type() != AttributeType::VendorDefined(CKA_GOSTR3410_PARAMS));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::TemplateIncomplete
    );
    t.push(gost_params(GostParamSet::CryptoProA));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let mut t = private_template(GostParamSet::CryptoProA, key256.to_le_bytes().to_vec(), 9);
    t.push(Attribute::Local(true));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);

    // The scalar is sealed on disk, and the keys survive a restart of the module.
    let state = std::fs::read(env.token_dir().join("token.der")).unwrap();
    for (key, _, _) in &keys {
        let d = key.to_le_bytes();
        assert!(!state.windows(d.len()).any(|w| w == d.as_slice()));
    }
    drop((s, ro));
    p.finalize().unwrap();
    let p = pkcs11();
    let s = p.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    for (key, h, mech) in &keys {
        let sig = s.sign(&vendor_mech(*mech), *h, msg).unwrap();
        key.verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
    }
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn c_create_object_imports_rsa_private_keys_and_checks_their_components() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs1::der::Decode;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let key = rsa::RsaPrivateKey::new(&mut rand_core::UnwrapErr(getrandom::SysRng), 2048).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    let k = rsa::pkcs1::RsaPrivateKeyRef::from_der(der.as_bytes()).unwrap();
    let b = |u: rsa::pkcs1::UintRef<'_>| u.as_bytes().to_vec();
    let full = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(cryptoki::object::KeyType::RSA),
        Attribute::Token(true),
        Attribute::Sign(true),
        Attribute::Id(vec![3]),
        Attribute::Modulus(b(k.modulus)),
        Attribute::PublicExponent(b(k.public_exponent)),
        Attribute::PrivateExponent(b(k.private_exponent)),
        Attribute::Prime1(b(k.prime1)),
        Attribute::Prime2(b(k.prime2)),
        Attribute::Exponent1(b(k.exponent1)),
        Attribute::Exponent2(b(k.exponent2)),
        Attribute::Coefficient(b(k.coefficient)),
    ];
    let before = s.find_objects(&[]).unwrap().len();
    // Inconsistent components: a wrong CRT coefficient, a wrong d, one prime only.
    let tweak = |kind: AttributeType| {
        full.iter()
            .map(|a| match a {
                Attribute::Coefficient(v) if kind == AttributeType::Coefficient => {
                    let mut v = v.clone();
                    v[10] ^= 1;
                    Attribute::Coefficient(v)
                }
                Attribute::PrivateExponent(v) if kind == AttributeType::PrivateExponent => {
                    let mut v = v.clone();
                    v[10] ^= 1;
                    Attribute::PrivateExponent(v)
                }
                other => other.clone(),
            })
            .collect::<Vec<_>>()
    };
    for bad in [AttributeType::Coefficient, AttributeType::PrivateExponent] {
        assert_eq!(
            rv(s.create_object(&tweak(bad)).unwrap_err()),
            RvError::TemplateInconsistent,
            "{bad:?}"
        );
    }
    let one_prime: Vec<_> = full
        .iter()
        .filter(|a| a.attribute_type() != AttributeType::Prime2)
        .cloned()
        .collect();
    assert_eq!(
        rv(s.create_object(&one_prime).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let no_d: Vec<_> = full
        .iter()
        .filter(|a| a.attribute_type() != AttributeType::PrivateExponent)
        .cloned()
        .collect();
    assert_eq!(
        rv(s.create_object(&no_d).unwrap_err()),
        RvError::TemplateIncomplete
    );
    // A modulus of no bytes or of zeros only.
    for n in [vec![], vec![0u8; 256]] {
        let t: Vec<_> = full
            .iter()
            .map(|a| match a {
                Attribute::Modulus(_) => Attribute::Modulus(n.clone()),
                other => other.clone(),
            })
            .collect();
        assert_eq!(
            rv(s.create_object(&t).unwrap_err()),
            RvError::AttributeValueInvalid
        );
    }
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);

    // The full set, and n, e, d alone (primes recovered), both sign; the module's public key
    // object from n and e verifies.
    let minimal: Vec<_> = full[..8].to_vec();
    let public = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(cryptoki::object::KeyType::RSA),
            Attribute::Token(true),
            Attribute::Id(vec![3]),
            Attribute::Modulus(b(k.modulus)),
            Attribute::PublicExponent(b(k.public_exponent)),
        ])
        .unwrap();
    for t in [full.clone(), minimal] {
        let h = s.create_object(&t).unwrap();
        let data = b"rsa import";
        let sig = s.sign(&Mechanism::Sha256RsaPkcs, h, data).unwrap();
        s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
            .unwrap();
        for secret in [AttributeType::PrivateExponent, AttributeType::Prime1] {
            assert!(matches!(
                s.get_attribute_info(h, &[secret]).unwrap()[0],
                AttributeInfo::Sensitive
            ));
        }
    }
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn c_copy_object_copies_keys_under_a_new_id_and_refuses_read_only_attributes() {
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::ModulusBits(2048.into()),
                Attribute::Id(vec![1]),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Id(vec![1]),
            ],
        )
        .unwrap();
    // A copy under a new id: the sealed key material is re-sealed for the new id and signs.
    let copy = s
        .copy_object(
            private,
            &[Attribute::Id(vec![2]), Attribute::Label(b"copy".to_vec())],
        )
        .unwrap();
    assert_ne!(copy, private);
    let attrs = s
        .get_attributes(copy, &[AttributeType::Id, AttributeType::Label])
        .unwrap();
    assert!(
        attrs.contains(&Attribute::Id(vec![2]))
            && attrs.contains(&Attribute::Label(b"copy".to_vec())),
        "{attrs:?}"
    );
    let data = b"signed by the copy";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, copy, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    // The original is untouched.
    assert!(
        s.get_attributes(private, &[AttributeType::Id])
            .unwrap()
            .contains(&Attribute::Id(vec![1]))
    );
    // What cannot change is refused, and nothing is copied.
    let before = s.find_objects(&[]).unwrap().len();
    assert_eq!(
        rv(s.copy_object(private, &[Attribute::Sensitive(false)])
            .unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(
        rv(s.copy_object(private, &[Attribute::Private(false)])
            .unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);
    // CKA_TOKEN = false makes a session copy (see `session_objects_…`).
    let session_copy = s.copy_object(private, &[Attribute::Token(false)]).unwrap();
    assert!(
        s.get_attributes(session_copy, &[AttributeType::Token])
            .unwrap()
            .contains(&Attribute::Token(false))
    );
    // A private object cannot be copied without the user logged in.
    s.logout().unwrap();
    assert!(s.copy_object(private, &[]).is_err());
}
