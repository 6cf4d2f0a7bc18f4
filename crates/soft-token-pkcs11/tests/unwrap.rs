//! C_UnwrapKey / C_WrapKey through the built module, checked against independent sources:
//!
//! * KImp15 / KExp15 (`CKM_MAGMA_KEXP_15_WRAP`, `CKM_KUZNYECHIK_KEXP_15_WRAP`) against the
//!   examples of R 1323565.1.017-2018 (export keys, IV and wrapped key as the standard prints
//!   them; the Magma one also in gost-engine's `test_tls12additional.c`), and the unwrapped
//!   Kuznyechik key then encrypting GOST R 34.13-2015's CTR example (A.1.2) through the module.
//! * The CryptoPro key wrap (`CKM_GOST28147_KEY_WRAP`) on what `openssl cms -encrypt -gost89`
//!   (gost engine) made for a GOST 2012 recipient: the recipient's key on the token, the KEK
//!   from C_DeriveKey (VKO), the CEK from C_UnwrapKey, the content from C_Decrypt with
//!   `CKM_GOST28147` — all on the module — must give OpenSSL's plaintext; C_WrapKey must
//!   give OpenSSL's wrapped key back.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls for the mechanisms cryptoki cannot name
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use std::path::Path;
use std::process::Command;
use std::ptr;

use common::{USER_PIN, env, gost_key_type, gost_params, hex, pin, pkcs11, rv};
use cryptoki::error::RvError;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki_sys::*;

const CKK_KUZNYECHIK: CK_KEY_TYPE = 0xD432_1004;
const CKK_MAGMA: CK_KEY_TYPE = 0xD432_1005;
const CKK_KUZNYECHIK_TWIN_KEY: CK_KEY_TYPE = 0xD432_1006;
const CKK_MAGMA_TWIN_KEY: CK_KEY_TYPE = 0xD432_1007;
const CKM_GOSTR3410_12_DERIVE: CK_MECHANISM_TYPE = 0xD432_1007;
const CKD_KDF_GOSTR3411_2012_256: CK_ULONG = 0xD432_1026;
const CKM_KUZNYECHIK_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102B;
const CKM_MAGMA_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102C;
const CKM_KUZNYECHIK_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1032;
/// DER of id-tc26-gost-28147-param-Z.
const PARAM_Z: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x05, 0x01, 0x01,
];

fn vendor<T>(m: CK_MECHANISM_TYPE, param: &T) -> Mechanism<'_> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new(
        MechanismType::new_vendor_defined(m).unwrap(),
        Some(param),
    ))
}

fn key_type(k: CK_KEY_TYPE) -> KeyType {
    KeyType::new_vendor_defined(k).unwrap()
}

fn gost28147_params(der: &[u8]) -> Attribute {
    Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_GOST28147_PARAMS),
        der.to_vec(),
    ))
}

/// A logged-in R/W session on a fresh token.
fn user_session(p: &cryptoki::context::Pkcs11) -> Session {
    let slot = common::initialised(p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    s
}

/// A readable session secret key.
fn secret(s: &Session, kind: KeyType, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
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

fn readable(kind: KeyType) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kind),
        Attribute::Token(false),
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

/// R 1323565.1.017-2018's export example: the key K, K_exp_mac ‖ K_exp_enc.
const SHARED: &str = "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef";
const TWIN: &str = "08090a0b0c0d0e0f0001020304050607101112131415161718191a1b1c1d1e1f\
                    202122232425262728292a2b2c2d2e2f38393a3b3c3d3e3f3031323334353637";

#[test]
fn kimp15_opens_the_examples_of_r_1323565_1_017() {
    let _env = env();
    let p = pkcs11();
    let s = user_session(&p);
    let cases: [(CK_MECHANISM_TYPE, CK_KEY_TYPE, CK_KEY_TYPE, &str, &str); 2] = [
        (
            CKM_MAGMA_KEXP_15_WRAP,
            CKK_MAGMA_TWIN_KEY,
            CKK_MAGMA,
            "67bed654",
            "cfd5a12d5b81b6e1e99c916d07900c6ac12703fb3abded55567bf3742c899c755dafe7b42e3a8bd9",
        ),
        (
            CKM_KUZNYECHIK_KEXP_15_WRAP,
            CKK_KUZNYECHIK_TWIN_KEY,
            CKK_KUZNYECHIK,
            "0909472dd9f26be8",
            "e36184e84e8d736ff36cc2e5ae065dc656b23c20f549b02fdff88e1f3f30d8c2\
             9a53f3ca554dbad80de152b9a4625b32",
        ),
    ];
    let mut kuznyechik_key = None;
    for (mech_type, twin_type, cek_type, iv, wrapped) in cases {
        let (iv, wrapped) = (hex(iv), hex(wrapped));
        let kek = secret(&s, key_type(twin_type), &hex(TWIN), &[]);
        let (mut iv4, mut iv8) = ([0u8; 4], [0u8; 8]);
        let mech = if iv.len() == 4 {
            iv4.copy_from_slice(&iv);
            vendor(mech_type, &iv4)
        } else {
            iv8.copy_from_slice(&iv);
            vendor(mech_type, &iv8)
        };
        let cek = s
            .unwrap_key(&mech, kek, &wrapped, &readable(key_type(cek_type)))
            .unwrap();
        assert_eq!(value_of(&s, cek), hex(SHARED), "{mech_type:#x}: KImp15");
        // KExp15 of the same key gives the standard's wrapped key.
        assert_eq!(s.wrap_key(&mech, kek, cek).unwrap(), wrapped, "KExp15");
        // Any change to the wrapped key fails the MAC: no key is made.
        for i in [0, 31, wrapped.len() - 1] {
            let mut bad = wrapped.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                rv(
                    s.unwrap_key(&mech, kek, &bad, &readable(key_type(cek_type)))
                        .unwrap_err()
                ),
                RvError::WrappedKeyInvalid,
                "byte {i}"
            );
        }
        assert_eq!(
            rv(
                s.unwrap_key(&mech, kek, &wrapped[1..], &readable(key_type(cek_type)))
                    .unwrap_err()
            ),
            RvError::WrappedKeyLenRange
        );
        if cek_type == CKK_KUZNYECHIK {
            kuznyechik_key = Some(cek);
        }
    }

    // The unwrapped key is GOST R 34.13-2015's example key: CTR (section length 0) with the
    // example's IV gives A.1.2's ciphertext.
    let key = kuznyechik_key.unwrap();
    let mut param = [0u8; 12];
    param[4..].copy_from_slice(&hex("1234567890abcef0"));
    let ctr = vendor(CKM_KUZNYECHIK_CTR_ACPKM, &param);
    let plain = hex(
        "1122334455667700ffeeddccbbaa998800112233445566778899aabbcceeff0a\
         112233445566778899aabbcceeff0a002233445566778899aabbcceeff0a0011",
    );
    assert_eq!(
        s.encrypt(&ctr, key, &plain).unwrap(),
        hex(
            "f195d8bec10ed1dbd57b5fa240bda1b885eee733f6a13e5df33ce4b33c45dee4\
             a5eae88be6356ed3d5e877f13564a3a5cb91fab1f20cbab6d1c6d15820bdba73"
        )
    );

    // Misuse: a wrong IV length, a key of the other cipher, a key that may not unwrap, a
    // token key asked for.
    let kek = secret(&s, key_type(CKK_MAGMA_TWIN_KEY), &hex(TWIN), &[]);
    let wrapped =
        hex("cfd5a12d5b81b6e1e99c916d07900c6ac12703fb3abded55567bf3742c899c755dafe7b42e3a8bd9");
    let five = vendor(CKM_MAGMA_KEXP_15_WRAP, &[0u8; 5]);
    assert_eq!(
        rv(
            s.unwrap_key(&five, kek, &wrapped, &readable(key_type(CKK_MAGMA)))
                .unwrap_err()
        ),
        RvError::MechanismParamInvalid
    );
    let kuz = vendor(CKM_KUZNYECHIK_KEXP_15_WRAP, &[0u8; 8]);
    assert_eq!(
        rv(
            s.unwrap_key(&kuz, kek, &wrapped, &readable(key_type(CKK_MAGMA)))
                .unwrap_err()
        ),
        RvError::UnwrappingKeyTypeInconsistent
    );
    let magma_iv: [u8; 4] = hex("67bed654").try_into().unwrap();
    let magma = vendor(CKM_MAGMA_KEXP_15_WRAP, &magma_iv);
    let no_unwrap = secret(
        &s,
        key_type(CKK_MAGMA_TWIN_KEY),
        &hex(TWIN),
        &[Attribute::Unwrap(false)],
    );
    assert_eq!(
        rv(
            s.unwrap_key(&magma, no_unwrap, &wrapped, &readable(key_type(CKK_MAGMA)))
                .unwrap_err()
        ),
        RvError::KeyFunctionNotPermitted
    );
    let mut on_token = readable(key_type(CKK_MAGMA));
    on_token[2] = Attribute::Token(true);
    assert_eq!(
        rv(s.unwrap_key(&magma, kek, &wrapped, &on_token).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let aes = secret(&s, KeyType::AES, &[7; 32], &[]);
    assert_eq!(
        rv(
            s.unwrap_key(&magma, aes, &wrapped, &readable(key_type(CKK_MAGMA)))
                .unwrap_err()
        ),
        RvError::UnwrappingKeyTypeInconsistent
    );
    // A key that may not leave the token is not wrapped.
    let stuck = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(key_type(CKK_MAGMA)),
            Attribute::Token(false),
            Attribute::Value(hex(SHARED)),
        ])
        .unwrap();
    assert_eq!(
        rv(s.wrap_key(&magma, kek, stuck).unwrap_err()),
        RvError::KeyUnextractable
    );
    drop(s);
    p.finalize().unwrap();
}

// ---- the CryptoPro key wrap against `openssl cms -encrypt -gost89` ----

/// The module's function table, from the same library `cryptoki` loaded (so the same state).
fn so_functions() -> &'static CK_FUNCTION_LIST {
    // SAFETY: loading the module runs no initialisation code beyond Rust statics.
    let lib = Box::leak(Box::new(
        unsafe { libloading::Library::new(common::module_path()) }.unwrap(),
    ));
    // SAFETY: the symbol has this C type (PKCS#11 v2.40).
    let get: libloading::Symbol<'_, unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV> =
        unsafe { lib.get(b"C_GetFunctionList\0") }.unwrap();
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(unsafe { get(&mut list) }, CKR_OK);
    // SAFETY: a pointer to the module's static table, alive while the library stays loaded
    // (it is leaked).
    unsafe { &*list }
}

macro_rules! call {
    ($f:ident ( $($arg:expr),* )) => {{
        let f = so_functions().$f.expect(stringify!($f));
        // SAFETY: every pointer argument points to live, correctly sized local storage.
        unsafe { f($($arg),*) }
    }};
}

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
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

fn der_children(a: &der::Any) -> Vec<der::Any> {
    use der::{Decode, Reader};
    let mut r = der::SliceReader::new(a.value()).unwrap();
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(der::Any::decode(&mut r).unwrap());
    }
    out
}

/// What the module needs of an RFC 4490 KeyTrans envelope.
struct Envelope {
    ephemeral: Vec<u8>,
    ukm: Vec<u8>,
    encrypted_key: Vec<u8>,
    mac: Vec<u8>,
    iv: Vec<u8>,
    sbox_der: Vec<u8>,
    content: Vec<u8>,
}

fn parse_envelope(der_bytes: &[u8]) -> Envelope {
    use der::{Decode, Encode};
    let ci = der::Any::from_der(der_bytes).unwrap();
    let ed = der_children(&der_children(&der_children(&ci)[1])[0]);
    let ktri = der_children(&der_children(&ed[1])[0]);
    // GostR3410-KeyTransport ::= SEQUENCE { sessionEncryptedKey SEQUENCE { encryptedKey,
    //   [0] maskKey OPTIONAL, macKey }, [0] IMPLICIT transportParameters SEQUENCE {
    //   encryptionParamSet, [0] IMPLICIT ephemeralPublicKey, ukm } }
    let transport = der_children(&der::Any::from_der(ktri[3].value()).unwrap());
    let sek = der_children(&transport[0]);
    let params = der_children(&transport[1]);
    let mut spki = params[1].to_der().unwrap();
    spki[0] = 0x30;
    let eph = gost::VerifyingKey::from_spki_der(&spki).unwrap();
    let eci = der_children(&ed[2]);
    let alg_params = der_children(&der_children(&eci[1])[1]);
    Envelope {
        ephemeral: eph.as_raw_le().to_vec(),
        ukm: params[2].value().to_vec(),
        encrypted_key: sek[0].value().to_vec(),
        mac: sek.last().unwrap().value().to_vec(),
        iv: alg_params[0].value().to_vec(),
        sbox_der: alg_params[1].to_der().unwrap(),
        content: eci[2].value().to_vec(),
    }
}

fn raw_attr<T>(kind: CK_ATTRIBUTE_TYPE, value: &mut T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: ptr::from_mut(value).cast(),
        ulValueLen: size_of::<T>() as CK_ULONG,
    }
}

#[test]
fn cryptopro_unwrap_on_the_module_opens_openssl_cms_gost89() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let h = s.handle();
    openssl(
        dir,
        &[
            "req",
            "-engine",
            "gost",
            "-x509",
            "-newkey",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCA",
            "-nodes",
            "-subj",
            "/CN=recipient",
            "-days",
            "1",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    );
    let plain: Vec<u8> = (0..2500u32).map(|i| (i * 7 + i / 256) as u8).collect();
    std::fs::write(dir.join("plain.bin"), &plain).unwrap();
    openssl(
        dir,
        &[
            "cms",
            "-engine",
            "gost",
            "-encrypt",
            "-gost89",
            "-binary",
            "-in",
            "plain.bin",
            "-outform",
            "DER",
            "-out",
            "env.der",
            "cert.pem",
        ],
    );
    let env_der = parse_envelope(&std::fs::read(dir.join("env.der")).unwrap());
    assert_eq!(
        env_der.sbox_der, PARAM_Z,
        "OpenSSL's S-box for GOST 2012 keys"
    );

    // The recipient's private key goes onto the token.
    let pem = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    let (_, pkcs8) = token_core::der::pem::decode_vec(pem.as_bytes()).unwrap();
    let recipient = gost::SigningKey::from_pkcs8_der(&pkcs8).unwrap();
    let set = recipient.param_set();
    let private = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(false),
            Attribute::Derive(true),
            gost_params(set),
            Attribute::Value(recipient.to_le_bytes().to_vec()),
        ])
        .unwrap();
    // KEK = VKO(recipient, ephemeral key, UKM) on the module, as a GOST 28147-89 key (S-box Z).
    let derive = CK_GOSTR3410_DERIVE_PARAMS {
        kdf: CKD_KDF_GOSTR3411_2012_256,
        pPublicData: env_der.ephemeral.as_ptr().cast_mut(),
        ulPublicDataLen: env_der.ephemeral.len() as CK_ULONG,
        pUKM: env_der.ukm.as_ptr().cast_mut(),
        ulUKMLen: env_der.ukm.len() as CK_ULONG,
    };
    let kek = s
        .derive_key(
            &vendor(CKM_GOSTR3410_12_DERIVE, &derive),
            private,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GOST28147),
                Attribute::Token(false),
                gost28147_params(&PARAM_Z),
            ],
        )
        .unwrap()
        .handle();

    // C_UnwrapKey with CKM_GOST28147_KEY_WRAP: UKM ‖ encrypted CEK ‖ MAC.
    let mut wrapped = env_der.ukm.clone();
    wrapped.extend_from_slice(&env_der.encrypted_key);
    wrapped.extend_from_slice(&env_der.mac);
    assert_eq!(wrapped.len(), 44);
    let mut ukm = env_der.ukm.clone();
    let mut wrap_mech = CK_MECHANISM {
        mechanism: CKM_GOST28147_KEY_WRAP,
        pParameter: ukm.as_mut_ptr().cast(),
        ulParameterLen: 8,
    };
    let (mut class, mut kind, mut no, mut yes) = (CKO_SECRET_KEY, CKK_GOST28147, 0u8, 1u8);
    let mut z = PARAM_Z;
    let mut yes2 = 1u8;
    let mut template = [
        raw_attr(CKA_CLASS, &mut class),
        raw_attr(CKA_KEY_TYPE, &mut kind),
        raw_attr(CKA_TOKEN, &mut no),
        raw_attr(CKA_EXTRACTABLE, &mut yes),
        raw_attr(CKA_DECRYPT, &mut yes2),
        raw_attr(CKA_GOST28147_PARAMS, &mut z),
    ];
    let mut cek: CK_OBJECT_HANDLE = 0;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            wrapped.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut cek
        )),
        CKR_OK
    );

    // C_Decrypt with CKM_GOST28147 (CFB, key meshing, S-box Z from the key) and the CMS IV.
    let mut iv = env_der.iv.clone();
    let mut cfb = CK_MECHANISM {
        mechanism: CKM_GOST28147,
        pParameter: iv.as_mut_ptr().cast(),
        ulParameterLen: 8,
    };
    assert_eq!(call!(C_DecryptInit(h, &mut cfb, cek)), CKR_OK);
    let mut content = env_der.content.clone();
    let mut out = vec![0u8; content.len()];
    let mut out_len = out.len() as CK_ULONG;
    assert_eq!(
        call!(C_Decrypt(
            h,
            content.as_mut_ptr(),
            content.len() as CK_ULONG,
            out.as_mut_ptr(),
            &mut out_len
        )),
        CKR_OK
    );
    assert!(out == plain, "the module's plaintext is OpenSSL's");

    // C_WrapKey of the CEK with the same UKM is OpenSSL's wrapped key.
    let mut again = [0u8; 44];
    let mut again_len: CK_ULONG = 0;
    assert_eq!(
        call!(C_WrapKey(
            h,
            &mut wrap_mech,
            kek,
            cek,
            ptr::null_mut(),
            &mut again_len
        )),
        CKR_OK
    );
    assert_eq!(again_len, 44);
    assert_eq!(
        call!(C_WrapKey(
            h,
            &mut wrap_mech,
            kek,
            cek,
            again.as_mut_ptr(),
            &mut again_len
        )),
        CKR_OK
    );
    assert_eq!(again.to_vec(), wrapped);

    // A damaged MAC or another UKM makes no key.
    let mut bad = wrapped.clone();
    bad[43] ^= 1;
    let mut none: CK_OBJECT_HANDLE = 0;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            bad.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut none
        )),
        CKR_WRAPPED_KEY_INVALID
    );
    ukm[0] ^= 1;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            wrapped.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut none
        )),
        CKR_WRAPPED_KEY_INVALID
    );
    assert_eq!(none, 0);
    drop(s);
    p.finalize().unwrap();
}
