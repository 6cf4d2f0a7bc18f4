//! Signing through `cryptoki` on the soft-token module: RSA and GOST, message and digest, the
//! return codes of misuse (U05), and many threads each on a session of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use cryptoki::error::RvError;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use gost::signature::Verifier;

mod common;
use common::*;

#[test]
fn u05_rsa_and_gost_sign_verify_digest_and_misuse_codes() {
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
                Attribute::PublicExponent(vec![1, 0, 1]),
                Attribute::Id(vec![7]),
                Attribute::Label(b"pub".to_vec()),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Id(vec![7]),
            ],
        )
        .unwrap();
    let info = s
        .get_attribute_info(
            private,
            &[
                AttributeType::Value,
                AttributeType::PrivateExponent,
                AttributeType::Modulus,
            ],
        )
        .unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive));
    assert!(matches!(info[1], AttributeInfo::Sensitive));
    assert!(matches!(info[2], AttributeInfo::Available(256)));
    let attrs = s
        .get_attributes(public, &[AttributeType::ModulusBits, AttributeType::Label])
        .unwrap();
    assert!(
        attrs.contains(&Attribute::ModulusBits(2048.into())),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&Attribute::Label(b"pub".to_vec())),
        "{attrs:?}"
    );

    let data = b"payment order 42";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, private, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    let mut bad = sig.clone();
    bad[5] ^= 1;
    assert_eq!(
        rv(s.verify(&Mechanism::Sha256RsaPkcs, public, data, &bad)
            .unwrap_err()),
        RvError::SignatureInvalid
    );
    let pss = Mechanism::Sha256RsaPkcsPss(PkcsPssParams {
        hash_alg: MechanismType::SHA256,
        mgf: PkcsMgfType::MGF1_SHA256,
        s_len: 32.into(),
    });
    let sig = s.sign(&pss, private, data).unwrap();
    s.verify(&pss, public, data, &sig).unwrap();

    // Digests: SHA-256 and Streebog (TC26 vendor mechanisms).
    use sha2::Digest;
    assert_eq!(
        s.digest(&Mechanism::Sha256, data).unwrap(),
        sha2::Sha256::digest(data).to_vec()
    );
    let vendor = |m| {
        Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
            MechanismType::new_vendor_defined(m).unwrap(),
            None,
        ))
    };
    assert_eq!(
        s.digest(&vendor(0xD432_1012), data).unwrap(),
        gost::streebog256(data).to_vec()
    );
    assert_eq!(
        s.digest(&vendor(0xD432_1013), data).unwrap(),
        gost::streebog512(data).to_vec()
    );
    assert_eq!(
        rv(s.digest(&Mechanism::Sha1, data).unwrap_err()),
        RvError::MechanismInvalid
    );

    // A wrong mechanism for the key; a raw GOST mechanism on an RSA key.
    assert_eq!(
        rv(s.sign(&vendor(0xD432_1006), private, &[0; 64]).unwrap_err()),
        RvError::KeyTypeInconsistent
    );

    // Objects: private ones vanish on logout; signing then needs the login.
    let all = s.find_objects(&[]).unwrap().len();
    s.logout().unwrap();
    let visible = s.find_objects(&[]).unwrap();
    assert_eq!(visible, vec![public], "{all} objects when logged in");
    assert_eq!(
        rv(s.sign(&Mechanism::Sha256RsaPkcs, private, data)
            .unwrap_err()),
        RvError::UserNotLoggedIn
    );
    // A read-only session cannot create token objects.
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Value(b"x".to_vec())
            ])
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    // A data object and a relabel in the read-write session.
    let obj = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Label(b"note".to_vec()),
            Attribute::Value(b"hello".to_vec()),
        ])
        .unwrap();
    s.update_attributes(obj, &[Attribute::Label(b"renamed".to_vec())])
        .unwrap();
    let found = s
        .find_objects(&[Attribute::Label(b"renamed".to_vec())])
        .unwrap();
    assert_eq!(found, vec![obj]);
    s.destroy_object(obj).unwrap();
    assert!(
        s.find_objects(&[Attribute::Label(b"renamed".to_vec())])
            .unwrap()
            .is_empty()
    );
    p.finalize().unwrap();
}

#[test]
fn many_threads_sign_and_verify_on_their_own_sessions() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let key = gost::SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
    let private = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_256A)),
            Attribute::Token(true),
            Attribute::Id(vec![0x77]),
            Attribute::Value(key.to_le_bytes().to_vec()),
            gost_params(GostParamSet::Tc26_256A),
        ])
        .unwrap();
    let public = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_256A)),
            Attribute::Token(true),
            Attribute::Id(vec![0x77]),
            Attribute::Value(key.verifying_key().as_raw_le().to_vec()),
            gost_params(GostParamSet::Tc26_256A),
        ])
        .unwrap();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let p = p.clone();
            let verifying = key.verifying_key().clone();
            std::thread::spawn(move || {
                let s = p.open_ro_session(slot).unwrap();
                let mech = vendor_mech(0xD432_1008);
                for n in 0..20 {
                    let msg = format!("thread {i} order {n}");
                    let sig = s.sign(&mech, private, msg.as_bytes()).unwrap();
                    verifying
                        .verify(msg.as_bytes(), &gost::Signature::from_bytes(&sig).unwrap())
                        .unwrap();
                    s.verify(&mech, public, msg.as_bytes(), &sig).unwrap();
                    let mut bad = sig.clone();
                    bad[0] ^= 1;
                    assert_eq!(
                        rv(s.verify(&mech, public, msg.as_bytes(), &bad).unwrap_err()),
                        RvError::SignatureInvalid
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(s);
    p.finalize().unwrap();
}
