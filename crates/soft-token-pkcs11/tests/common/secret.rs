//! Helpers of the secret-key tests (symmetric encryption, wrapping): the TC26 numbers, secret
//! keys made with C_CreateObject, vendor mechanisms with a parameter, the module's own
//! function table for mechanisms `cryptoki` cannot name, and OpenSSL as a child process.

use std::path::Path;
use std::process::Command;
use std::ptr;

use cryptoki::context::Pkcs11;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki_sys::*;

use super::{USER_PIN, pin};

pub const CKK_KUZNYECHIK: CK_KEY_TYPE = 0xD432_1004;
pub const CKK_MAGMA: CK_KEY_TYPE = 0xD432_1005;
pub const CKK_KUZNYECHIK_TWIN_KEY: CK_KEY_TYPE = 0xD432_1006;
pub const CKK_MAGMA_TWIN_KEY: CK_KEY_TYPE = 0xD432_1007;
pub const CKM_GOSTR3410_12_DERIVE: CK_MECHANISM_TYPE = 0xD432_1007;
pub const CKD_KDF_GOSTR3411_2012_256: CK_ULONG = 0xD432_1026;
pub const CKM_KUZNYECHIK_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102B;
pub const CKM_MAGMA_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102C;
pub const CKM_KUZNYECHIK_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1032;
pub const CKM_MAGMA_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1036;
/// DER of id-tc26-gost-28147-param-Z.
pub const PARAM_Z: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x05, 0x01, 0x01,
];
/// DER of id-Gost28147-89-CryptoPro-A-ParamSet.
pub const PARAM_CRYPTOPRO_A: [u8; 9] = [0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 0x1f, 0x01];

/// A vendor mechanism with a parameter of type `T` (passed as its bytes).
pub fn vendor<T>(m: CK_MECHANISM_TYPE, param: &T) -> Mechanism<'_> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new(
        MechanismType::new_vendor_defined(m).unwrap(),
        Some(param),
    ))
}

pub fn key_type(k: CK_KEY_TYPE) -> KeyType {
    KeyType::new_vendor_defined(k).unwrap()
}

/// CKA_GOST28147_PARAMS (cryptoki has no name for it).
pub fn gost28147_params(der: &[u8]) -> Attribute {
    Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_GOST28147_PARAMS),
        der.to_vec(),
    ))
}

/// A logged-in R/W session on a fresh token.
pub fn user_session(p: &Pkcs11) -> Session {
    let slot = super::initialised(p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    s
}

/// A readable session secret key made with C_CreateObject.
pub fn secret(s: &Session, kind: KeyType, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kind),
        Attribute::Token(false),
        Attribute::Value(value.to_vec()),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
    ];
    t.extend_from_slice(extra);
    s.create_object(&t).unwrap()
}

/// The template of a readable session secret key of type `kind`.
pub fn readable(kind: KeyType) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kind),
        Attribute::Token(false),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
    ]
}

pub fn value_of(s: &Session, key: ObjectHandle) -> Vec<u8> {
    match s
        .get_attributes(key, &[AttributeType::Value])
        .unwrap()
        .pop()
    {
        Some(Attribute::Value(v)) => v,
        other => panic!("no CKA_VALUE: {other:?}"),
    }
}

/// The function table of the library `cryptoki` loaded (the same path, so the same module
/// state), for the mechanisms `cryptoki` cannot name (CKM_GOST28147, CKM_GOST28147_KEY_WRAP).
pub fn so_functions() -> &'static CK_FUNCTION_LIST {
    // SAFETY: loading the module runs no initialisation code beyond Rust statics.
    let lib = Box::leak(Box::new(
        unsafe { libloading::Library::new(super::module_path()) }.unwrap(),
    ));
    // SAFETY: the symbol has this C type (PKCS#11 v2.40).
    let get: libloading::Symbol<'_, unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV> =
        unsafe { lib.get(b"C_GetFunctionList\0") }.unwrap();
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(unsafe { get(&mut list) }, CKR_OK);
    // SAFETY: the module's static table; the library stays loaded (leaked).
    unsafe { &*list }
}

/// A raw CK_ATTRIBUTE over a local value.
pub fn raw_attr<T>(kind: CK_ATTRIBUTE_TYPE, value: &mut T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: ptr::from_mut(value).cast(),
        ulValueLen: size_of::<T>() as CK_ULONG,
    }
}

/// Runs openssl (with extra environment variables) in `dir`; fails loudly.
pub fn openssl(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Test content (a fixed pattern, not secret).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ ((i >> 7) as u8))
        .collect()
}
