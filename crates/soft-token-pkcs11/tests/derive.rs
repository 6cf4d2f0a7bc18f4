//! GOST VKO through the PKCS#11 module (flow U17): C_DeriveKey with CKM_GOSTR3410_12_DERIVE
//! (Streebog-256) and CKM_VKO_GOSTR3410_2012_512 (Streebog-512) through `cryptoki` (the
//! built `.so`), the session key's CKA_VALUE checked against OpenSSL's gost engine computing
//! the same VKO from the other side (the peer's private key, the token key's public key).
#![allow(unsafe_code)] // std::env::set_var, serialised by SERIAL
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::path::Path;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki_sys::*;
use token_core::GostParamSet;
use token_core::der::Encode;

mod common;

use common::tool::openssl_ok as openssl;
use common::{SO_PIN, USER_PIN, env, module_path, pin, rv};

const CKM_GOSTR3410_512_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD432_1005;
const CKM_GOSTR3410_12_DERIVE: CK_MECHANISM_TYPE = 0xD432_1007;
const CKM_VKO_GOSTR3410_2012_512: CK_MECHANISM_TYPE = 0xD432_1038;
const CKD_KDF_GOSTR3411_2012_256: CK_ULONG = 0xD432_1026;

fn mech_type(m: CK_MECHANISM_TYPE) -> MechanismType {
    MechanismType::new_vendor_defined(m).unwrap()
}

/// An initialised token, a logged-in session and a GOST TC26-512-A key pair made on it;
/// returns the private key and the public key's CKA_VALUE (`X_le ‖ Y_le`).
fn session_with_gost_key(p: &Pkcs11) -> (Session, ObjectHandle, Vec<u8>) {
    let slot = p.get_slots_with_token().unwrap()[0];
    p.init_token(slot, &pin(SO_PIN), "derive").unwrap();
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let params = Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_GOSTR3410_PARAMS),
        GostParamSet::Tc26_512A.oid().to_der().unwrap(),
    ));
    let gen_mech = Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        mech_type(CKM_GOSTR3410_512_KEY_PAIR_GEN),
        None,
    ));
    let (public, private) = s
        .generate_key_pair(
            &gen_mech,
            &[Attribute::Token(true), params, Attribute::Id(vec![9])],
            &[
                Attribute::Token(true),
                Attribute::Derive(true),
                Attribute::Id(vec![9]),
            ],
        )
        .unwrap();
    let value = match s
        .get_attributes(public, &[AttributeType::Value])
        .unwrap()
        .pop()
    {
        Some(Attribute::Value(v)) => v,
        other => panic!("no CKA_VALUE: {other:?}"),
    };
    (s, private, value)
}

/// A GOST 2012-512 paramset A key made by the engine (`peer.pem`); its point `X_le ‖ Y_le`.
fn openssl_peer(dir: &Path) -> Vec<u8> {
    openssl(
        &[
            "genpkey",
            "-engine",
            "gost",
            "-algorithm",
            "gost2012_512",
            "-pkeyopt",
            "paramset:A",
            "-out",
            "peer.pem",
        ],
        dir,
    );
    let pem = openssl(
        &["pkey", "-engine", "gost", "-in", "peer.pem", "-pubout"],
        dir,
    );
    let (_, der) = token_core::der::pem::decode_vec(&pem).unwrap();
    gost::VerifyingKey::from_spki_der(&der)
        .unwrap()
        .as_raw_le()
        .to_vec()
}

/// The token key's public value as a PEM file OpenSSL reads (`ours.pub.pem`).
fn write_our_public(dir: &Path, value: &[u8]) {
    use token_core::der::pem::{LineEnding, encode_string};
    let key = gost::VerifyingKey::from_raw_le(GostParamSet::Tc26_512A, value).unwrap();
    let pem = encode_string("PUBLIC KEY", LineEnding::LF, &key.to_spki_der().unwrap()).unwrap();
    std::fs::write(dir.join("ours.pub.pem"), pem).unwrap();
}

/// The engine's VKO from the peer's side.
fn openssl_vko(dir: &Path, ukm: &[u8], bits: &str) -> Vec<u8> {
    let hex: String = ukm.iter().map(|b| format!("{b:02x}")).collect();
    openssl(
        &[
            "pkeyutl",
            "-engine",
            "gost",
            "-derive",
            "-inkey",
            "peer.pem",
            "-peerkey",
            "ours.pub.pem",
            "-pkeyopt",
            &format!("ukmhex:{hex}"),
            "-pkeyopt",
            &format!("vko:{bits}"),
        ],
        dir,
    )
}

fn gost_derive(kdf: CK_ULONG, public: &[u8], ukm: &[u8]) -> CK_GOSTR3410_DERIVE_PARAMS {
    CK_GOSTR3410_DERIVE_PARAMS {
        kdf,
        pPublicData: public.as_ptr().cast_mut(),
        ulPublicDataLen: public.len() as CK_ULONG,
        pUKM: ukm.as_ptr().cast_mut(),
        ulUKMLen: ukm.len() as CK_ULONG,
    }
}

fn ecdh_derive(kdf: CK_ULONG, public: &[u8], ukm: &[u8]) -> CK_ECDH1_DERIVE_PARAMS {
    CK_ECDH1_DERIVE_PARAMS {
        kdf,
        ulSharedDataLen: ukm.len() as CK_ULONG,
        pSharedData: ukm.as_ptr().cast_mut(),
        ulPublicDataLen: public.len() as CK_ULONG,
        pPublicData: public.as_ptr().cast_mut(),
    }
}

fn readable(len: u64) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::ValueLen(len.into()),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
    ]
}

fn value_of(s: &Session, key: ObjectHandle) -> Vec<u8> {
    match s
        .get_attributes(key, &[AttributeType::Value])
        .unwrap()
        .pop()
    {
        Some(Attribute::Value(v)) => v,
        other => panic!("no CKA_VALUE: {other:?}"),
    }
}

#[test]
fn vko_on_the_module_matches_the_openssl_gost_engine() {
    let env = env();
    let dir = env.dir.path();
    let p = Pkcs11::new(module_path()).unwrap();
    p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let (s, private, ours) = session_with_gost_key(&p);
    write_our_public(dir, &ours);
    let peer = openssl_peer(dir);
    let ukm = openssl(&["rand", "8"], dir);

    // Streebog-256: CKM_GOSTR3410_12_DERIVE with CKD_KDF_GOSTR3411_2012_256.
    let params = gost_derive(CKD_KDF_GOSTR3411_2012_256, &peer, &ukm);
    let mech = Mechanism::VendorDefined(VendorDefinedMechanism::new(
        mech_type(CKM_GOSTR3410_12_DERIVE),
        Some(&params),
    ));
    let key = s.derive_key(&mech, private, &readable(32)).unwrap();
    assert_eq!(value_of(&s, key), openssl_vko(dir, &ukm, "256"));
    s.destroy_object(key).unwrap();
    assert_eq!(
        rv(s.get_attributes(key, &[AttributeType::Value]).unwrap_err()),
        RvError::ObjectHandleInvalid
    );

    // Streebog-512: CKM_VKO_GOSTR3410_2012_512 with CK_ECDH1_DERIVE_PARAMS, CKD_NULL.
    let params = ecdh_derive(CKD_NULL, &peer, &ukm);
    let mech512 = Mechanism::VendorDefined(VendorDefinedMechanism::new(
        mech_type(CKM_VKO_GOSTR3410_2012_512),
        Some(&params),
    ));
    let key = s.derive_key(&mech512, private, &readable(64)).unwrap();
    assert_eq!(value_of(&s, key), openssl_vko(dir, &ukm, "512"));

    // By default the key stays inside: CKA_VALUE is sensitive.
    let hidden = s
        .derive_key(&mech, private, &[Attribute::Class(ObjectClass::SECRET_KEY)])
        .unwrap();
    assert!(matches!(
        s.get_attribute_info(hidden, &[AttributeType::Value])
            .unwrap()[..],
        [AttributeInfo::Sensitive]
    ));
    let mut sensitive = readable(32);
    sensitive[5] = Attribute::Sensitive(true);
    let hidden = s.derive_key(&mech, private, &sensitive).unwrap();
    assert!(matches!(
        s.get_attribute_info(hidden, &[AttributeType::Value])
            .unwrap()[..],
        [AttributeInfo::Sensitive]
    ));

    // Misuse: a wrong kdf, a short point, an inconsistent template, no login.
    let bad_kdf = gost_derive(CKD_NULL, &peer, &ukm);
    let m = Mechanism::VendorDefined(VendorDefinedMechanism::new(
        mech_type(CKM_GOSTR3410_12_DERIVE),
        Some(&bad_kdf),
    ));
    assert_eq!(
        rv(s.derive_key(&m, private, &readable(32)).unwrap_err()),
        RvError::MechanismParamInvalid
    );
    let short = gost_derive(CKD_KDF_GOSTR3411_2012_256, &peer[..64], &ukm);
    let m = Mechanism::VendorDefined(VendorDefinedMechanism::new(
        mech_type(CKM_GOSTR3410_12_DERIVE),
        Some(&short),
    ));
    assert_eq!(
        rv(s.derive_key(&m, private, &readable(32)).unwrap_err()),
        RvError::MechanismParamInvalid
    );
    assert_eq!(
        rv(s.derive_key(&mech, private, &readable(64)).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let mut on_token = readable(32);
    on_token[2] = Attribute::Token(true);
    assert_eq!(
        rv(s.derive_key(&mech, private, &on_token).unwrap_err()),
        RvError::TemplateInconsistent
    );
    s.logout().unwrap();
    assert_eq!(
        rv(s.derive_key(&mech, private, &readable(32)).unwrap_err()),
        RvError::UserNotLoggedIn
    );
    drop(s);
    p.finalize().unwrap();
}
