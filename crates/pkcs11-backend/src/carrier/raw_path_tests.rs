//! The raw cryptoki-sys path (used for GOST) run for real on SoftHSM with RSA mechanism
//! numbers, next to cryptoki's typed calls.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType};
use sha2::{Digest as _, Sha256};
use token_core::{Carrier, Error, FinalTry, KeyAlgorithm, Pin};

use super::objects::attr_bytes;
use crate::consts::CKA_GOSTR3410_PARAMS;
use crate::convert::sha256_digest_info;
use crate::raw::RawAttribute;

/// cryptoki's typed calls. Only the GOST numbers themselves stay untested here.
/// The same FFI code, templates and two-pass attribute reads as the GOST path, checked against
/// cryptoki's typed calls. Only the GOST numbers themselves stay untested here.
#[test]
#[allow(unsafe_code)]
fn raw_path_matches_typed_calls_on_softhsm() {
    use crate::module::Module;
    use cryptoki_sys as c;
    use token_core::{AdminPin, PinPolicy};

    let module_path = "/usr/lib/softhsm/libsofthsm2.so";
    assert!(
        std::path::Path::new(module_path).is_file(),
        "SoftHSM2 is required: apt-get install softhsm2"
    );
    let dir = std::env::temp_dir().join(format!("kc-p11-unit-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    // SAFETY: the only unit test that touches the environment or loads a module; set
    // before the module is loaded.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let m = Module::open(module_path).unwrap();
    let slot = m
        .slots()
        .unwrap()
        .into_iter()
        .find(|s| s.carrier.as_ref().is_some_and(|c| !c.initialized))
        .unwrap()
        .slot;
    let mut carrier = m.carrier(slot).unwrap();
    carrier
        .wipe(&AdminPin::new("Ad9mQ4kz"), Some("raw"))
        .unwrap();
    let serial = carrier.info().unwrap().serial;
    drop(carrier);
    let mut carrier = m.carrier_by_serial(&serial).unwrap();
    let user = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    carrier
        .reset_pin(&AdminPin::new("Ad9mQ4kz"), &user, FinalTry::Refuse)
        .unwrap();
    carrier
        .login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)
        .unwrap();

    let raw = m.raw();
    carrier
        .pool
        .run(|s| {
            let id = b"raw-1";
            let public = vec![
                RawAttribute::ulong(c::CKA_CLASS, c::CKO_PUBLIC_KEY),
                RawAttribute::ulong(c::CKA_KEY_TYPE, c::CKK_RSA),
                RawAttribute::bool(c::CKA_TOKEN, true),
                RawAttribute::bool(c::CKA_VERIFY, true),
                RawAttribute::ulong(c::CKA_MODULUS_BITS, 2048),
                RawAttribute::bytes(c::CKA_PUBLIC_EXPONENT, &[1, 0, 1]),
                RawAttribute::bytes(c::CKA_ID, id),
            ];
            let private = vec![
                RawAttribute::ulong(c::CKA_CLASS, c::CKO_PRIVATE_KEY),
                RawAttribute::ulong(c::CKA_KEY_TYPE, c::CKK_RSA),
                RawAttribute::bool(c::CKA_TOKEN, true),
                RawAttribute::bool(c::CKA_PRIVATE, true),
                RawAttribute::bool(c::CKA_SENSITIVE, true),
                RawAttribute::bool(c::CKA_EXTRACTABLE, false),
                RawAttribute::bool(c::CKA_SIGN, true),
                RawAttribute::bytes(c::CKA_ID, id),
            ];
            let (pub_h, priv_h) = raw
                .generate_key_pair(s, c::CKM_RSA_PKCS_KEY_PAIR_GEN, public, private)
                .unwrap();
            // Two-pass read of a variable-length attribute equals cryptoki's.
            let modulus = raw
                .get_attribute(s, pub_h, c::CKA_MODULUS)
                .unwrap()
                .unwrap();
            let typed = s.get_attributes(pub_h, &[AttributeType::Modulus]).unwrap();
            assert_eq!(
                Some(modulus.clone()),
                attr_bytes(&typed, AttributeType::Modulus)
            );
            assert_eq!(modulus.len(), 256);
            // An attribute the object does not have (the GOST one) reads as None.
            assert_eq!(
                raw.get_attribute(s, pub_h, CKA_GOSTR3410_PARAMS).unwrap(),
                None
            );
            // A sensitive one too.
            assert_eq!(
                raw.get_attribute(s, priv_h, c::CKA_PRIVATE_EXPONENT)
                    .unwrap(),
                None
            );
            // Single-part raw sign equals the typed sign (PKCS#1 v1.5 is deterministic).
            let di = sha256_digest_info(&Sha256::digest(b"order"));
            let raw_sig = raw.sign(s, c::CKM_RSA_PKCS, priv_h, &di).unwrap();
            let typed_sig = s.sign(&Mechanism::RsaPkcs, priv_h, &di).unwrap();
            assert_eq!(raw_sig, typed_sig);
            // Errors come back typed, naming the function (and the CK_RV where no typed
            // error fits).
            let e = raw.sign(s, 0x1201, priv_h, &[0u8; 32]).unwrap_err();
            assert!(
                matches!(&e, Error::Unsupported { what } if what.contains("C_SignInit")),
                "{e:?}"
            );
            // Signing with the public key: refused in C_SignInit, with its CK_RV.
            let e = raw.sign(s, c::CKM_RSA_PKCS, pub_h, &di).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Backend(token_core::BackendEvidence::Pkcs11 {
                        function: "C_SignInit",
                        ckr,
                    }) if ckr != 0
                ),
                "{e:?}"
            );
            // Deleting goes on past a failure and reports the first one: a second pair,
            // its public handle twice (the second time it is stale), then the private.
            let (pub2, priv2) = raw
                .generate_key_pair(
                    s,
                    c::CKM_RSA_PKCS_KEY_PAIR_GEN,
                    vec![
                        RawAttribute::ulong(c::CKA_MODULUS_BITS, 2048),
                        RawAttribute::bytes(c::CKA_ID, b"raw-2"),
                    ],
                    vec![
                        RawAttribute::bool(c::CKA_TOKEN, true),
                        RawAttribute::bytes(c::CKA_ID, b"raw-2"),
                    ],
                )
                .unwrap();
            let e = carrier.delete_objects(s, &[pub2, pub2, priv2]).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Backend(token_core::BackendEvidence::Pkcs11 {
                        function: "C_DestroyObject",
                        ..
                    })
                ),
                "{e:?}"
            );
            let left = s.find_objects(&[Attribute::Id(b"raw-2".to_vec())]).unwrap();
            assert!(left.is_empty(), "{left:?}");
            Ok(())
        })
        .unwrap();
    // The container made through the raw path lists like any other.
    let listed = carrier.containers().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert!(listed[0].sensitive && !listed[0].extractable);
}
