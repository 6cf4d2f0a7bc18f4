//! Symmetric C_Encrypt* / C_Decrypt* with secret keys through the built module, against
//! independent implementations and the standards' examples:
//!
//! * `CKM_KUZNYECHIK_CTR_ACPKM` / `CKM_MAGMA_CTR_ACPKM` against `openssl enc
//!   -kuznyechik-ctr-acpkm` / `-magma-ctr-acpkm` (gost engine: sections of 4 KiB / 1 KiB; only
//!   content within the first section, the engine 3.0.1 being wrong past it), and the section
//!   changes against RFC 8645 A.1 (Kuznyechik, N = 256 bits) and A.2 (Magma, N = 128 bits).
//! * `CKM_GOST28147` against `openssl enc -gost89` (CFB with CryptoPro key meshing, past the
//!   1 KiB meshing point) with the TC26 Z S-box (the engine's default) and CryptoPro-A
//!   (`CRYPT_PARAMS`), named by the key's CKA_GOST28147_PARAMS.
//! * `CKM_AES_CBC_PAD` against `openssl enc -aes-256-cbc` / `-aes-128-cbc`.
//!
//! Each both ways, single-part and in uneven multi-part pieces.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls for CKM_GOST28147, which cryptoki cannot name
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

use common::{USER_PIN, env, hex, pin, pkcs11, rv};
use cryptoki::error::RvError;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki_sys::*;

const CKK_KUZNYECHIK: CK_KEY_TYPE = 0xD432_1004;
const CKK_MAGMA: CK_KEY_TYPE = 0xD432_1005;
const CKM_KUZNYECHIK_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1032;
const CKM_MAGMA_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1036;
const CKM_KUZNYECHIK_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102B;
const CKM_MAGMA_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102C;
/// DER of id-tc26-gost-28147-param-Z and id-Gost28147-89-CryptoPro-A-ParamSet.
const PARAM_Z: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x05, 0x01, 0x01,
];
const PARAM_CRYPTOPRO_A: [u8; 9] = [0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 0x1f, 0x01];

fn openssl(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Vec<u8> {
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

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Test content (a fixed pattern, not secret).
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ ((i >> 7) as u8))
        .collect()
}

fn user_session(p: &cryptoki::context::Pkcs11) -> Session {
    let slot = common::initialised(p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    s
}

fn secret(s: &Session, kind: KeyType, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kind),
        Attribute::Token(false),
        Attribute::Value(value.to_vec()),
    ];
    t.extend_from_slice(extra);
    s.create_object(&t).unwrap()
}

fn vendor_type(k: CK_KEY_TYPE) -> KeyType {
    KeyType::new_vendor_defined(k).unwrap()
}

/// C_EncryptUpdate / C_DecryptUpdate in pieces of 1, 7, 100, … bytes, then the final call.
fn multipart(
    s: &Session,
    mech: &Mechanism<'_>,
    key: ObjectHandle,
    data: &[u8],
    enc: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    if enc {
        s.encrypt_init(mech, key).unwrap();
    } else {
        s.decrypt_init(mech, key).unwrap();
    }
    let mut rest = data;
    for n in [1usize, 7, 100, 1000, 15, 16, 3].iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*n).min(rest.len()));
        rest = tail;
        out.extend(if enc {
            s.encrypt_update(piece).unwrap()
        } else {
            s.decrypt_update(piece).unwrap()
        });
    }
    out.extend(if enc {
        s.encrypt_final().unwrap()
    } else {
        s.decrypt_final().unwrap()
    });
    out
}

/// The CTR-ACPKM parameter: section length in bits (4 bytes, big-endian), then the IV.
fn acpkm_param<const N: usize>(section_bits: u32, iv: &[u8]) -> [u8; N] {
    let mut p = [0u8; N];
    p[..4].copy_from_slice(&section_bits.to_be_bytes());
    p[4..].copy_from_slice(iv);
    p
}

fn vendor<T>(m: CK_MECHANISM_TYPE, param: &T) -> Mechanism<'_> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new(
        MechanismType::new_vendor_defined(m).unwrap(),
        Some(param),
    ))
}

#[test]
fn ctr_acpkm_agrees_with_openssl_enc_and_rfc_8645() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let k = "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef";

    // Kuznyechik: the engine's sections are 4 KiB; 4000 bytes stay inside the first.
    let iv = "1234567890abcef0";
    let key = secret(&s, vendor_type(CKK_KUZNYECHIK), &hex(k), &[]);
    let param: [u8; 12] = acpkm_param(4096 * 8, &hex(iv));
    let mech = vendor(CKM_KUZNYECHIK_CTR_ACPKM, &param);
    let plain = pattern(4000, 3);
    std::fs::write(dir.join("plain"), &plain).unwrap();
    let args = [
        "enc",
        "-engine",
        "gost",
        "-kuznyechik-ctr-acpkm",
        "-K",
        k,
        "-iv",
        iv,
    ];
    openssl(
        dir,
        &[],
        &[&args[..], &["-in", "plain", "-out", "ct"]].concat(),
    );
    let theirs = std::fs::read(dir.join("ct")).unwrap();
    assert_eq!(
        to_hex(&s.encrypt(&mech, key, &plain).unwrap()),
        to_hex(&theirs)
    );
    assert!(multipart(&s, &mech, key, &theirs, false) == plain);
    assert!(s.decrypt(&mech, key, &theirs).unwrap() == plain);

    // Magma: sections of 1 KiB; 1000 bytes.
    let iv = "12345678";
    let key = secret(&s, vendor_type(CKK_MAGMA), &hex(k), &[]);
    let param: [u8; 8] = acpkm_param(1024 * 8, &hex(iv));
    let mech = vendor(CKM_MAGMA_CTR_ACPKM, &param);
    let plain = pattern(1000, 5);
    std::fs::write(dir.join("plain"), &plain).unwrap();
    let args = [
        "enc",
        "-engine",
        "gost",
        "-magma-ctr-acpkm",
        "-K",
        k,
        "-iv",
        iv,
    ];
    openssl(
        dir,
        &[],
        &[&args[..], &["-in", "plain", "-out", "ct"]].concat(),
    );
    let theirs = std::fs::read(dir.join("ct")).unwrap();
    assert_eq!(
        to_hex(&multipart(&s, &mech, key, &plain, true)),
        to_hex(&theirs)
    );
    assert!(s.decrypt(&mech, key, &theirs).unwrap() == plain);
    // OpenSSL decrypts the module's ciphertext.
    std::fs::write(dir.join("ours"), s.encrypt(&mech, key, &plain).unwrap()).unwrap();
    let back = openssl(dir, &[], &[&args[..], &["-d", "-in", "ours"]].concat());
    assert!(back == plain);

    // RFC 8645 A.1: Kuznyechik, N = 256 bits, five blocks (a key change every two).
    let key = secret(&s, vendor_type(CKK_KUZNYECHIK), &hex(k), &[]);
    let param: [u8; 12] = acpkm_param(256, &hex("1234567890abcef0"));
    let mech = vendor(CKM_KUZNYECHIK_CTR_ACPKM, &param);
    let plain = hex(
        "1122334455667700ffeeddccbbaa998800112233445566778899aabbcceeff0a\
         112233445566778899aabbcceeff0a002233445566778899aabbcceeff0a0011\
         33445566778899aabbcceeff0a001122445566778899aabbcceeff0a00112233\
         5566778899aabbcceeff0a0011223344",
    );
    let expected = "f195d8bec10ed1dbd57b5fa240bda1b885eee733f6a13e5df33ce4b33c45dee4\
                    4bceeb8f646f4c55001706275e85e800587c4df568d094393e4834afd0805046\
                    cf30f57686aeece11cfc6c316b8a896edffd07ec813636460c4f3b743423163e\
                    6409a9c282fac8d469d221e7fbd6de5d";
    assert_eq!(to_hex(&s.encrypt(&mech, key, &plain).unwrap()), expected);
    assert_eq!(to_hex(&multipart(&s, &mech, key, &plain, true)), expected);
    // RFC 8645 A.2: Magma, N = 128 bits.
    let key = secret(&s, vendor_type(CKK_MAGMA), &hex(k), &[]);
    let param: [u8; 8] = acpkm_param(128, &hex("12345678"));
    let mech = vendor(CKM_MAGMA_CTR_ACPKM, &param);
    let plain = hex(
        "1122334455667700ffeeddccbbaa998800112233445566778899aabbcceeff0a\
         112233445566778899aabbcceeff0a002233445566778899",
    );
    let expected = "2ab81deeeb1e4cab68e104c4bd6b94eac72c67af6c2e5b6b0eafb61770f1b32e\
                    a1ae71149eed1382abd467180672ec6f84a2f15b3fca72c1";
    assert_eq!(to_hex(&multipart(&s, &mech, key, &plain, true)), expected);
    assert!(s.decrypt(&mech, key, &hex(expected)).unwrap() == plain);

    // Bad parameters: a section that is no whole number of blocks, an IV of the wrong size,
    // the length as a CK_ULONG (8 bytes) rather than Rutoken's 4.
    let bad: [u8; 8] = acpkm_param(100, &hex("12345678"));
    let bad_iv = [0u8; 9];
    let as_ulong = [0u8; 12];
    for param in [&bad[..], &bad_iv[..], &as_ulong[..]] {
        let r = match param.len() {
            8 => s.encrypt_init(&vendor(CKM_MAGMA_CTR_ACPKM, &bad), key),
            9 => s.encrypt_init(&vendor(CKM_MAGMA_CTR_ACPKM, &bad_iv), key),
            _ => s.encrypt_init(&vendor(CKM_MAGMA_CTR_ACPKM, &as_ulong), key),
        };
        assert_eq!(rv(r.unwrap_err()), RvError::MechanismParamInvalid);
    }
    // A Magma key for Kuznyechik.
    let param: [u8; 12] = acpkm_param(0, &[0; 8]);
    assert_eq!(
        rv(
            s.encrypt_init(&vendor(CKM_KUZNYECHIK_CTR_ACPKM, &param), key)
                .unwrap_err()
        ),
        RvError::KeyTypeInconsistent
    );

    drop(s);
    p.finalize().unwrap();
}

#[test]
fn aes_cbc_pad_agrees_with_openssl_enc() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let iv = "000102030405060708090a0b0c0d0e0f";
    let iv_bytes: [u8; 16] = hex(iv).try_into().unwrap();
    let mech = Mechanism::AesCbcPad(iv_bytes);
    for (cipher, k) in [
        (
            "-aes-256-cbc",
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        ),
        ("-aes-128-cbc", "2b7e151628aed2a6abf7158809cf4f3c"),
    ] {
        let key = secret(&s, KeyType::AES, &hex(k), &[]);
        for len in [0usize, 1, 15, 16, 17, 1000] {
            let plain = pattern(len, 9);
            std::fs::write(dir.join("plain"), &plain).unwrap();
            let args = ["enc", cipher, "-K", k, "-iv", iv];
            openssl(
                dir,
                &[],
                &[&args[..], &["-in", "plain", "-out", "ct"]].concat(),
            );
            let theirs = std::fs::read(dir.join("ct")).unwrap();
            assert_eq!(
                to_hex(&s.encrypt(&mech, key, &plain).unwrap()),
                to_hex(&theirs),
                "{cipher} {len}"
            );
            assert_eq!(
                to_hex(&multipart(&s, &mech, key, &plain, true)),
                to_hex(&theirs)
            );
            assert!(s.decrypt(&mech, key, &theirs).unwrap() == plain, "{len}");
            assert!(multipart(&s, &mech, key, &theirs, false) == plain, "{len}");
        }
        // Damaged padding, and input that is no whole number of blocks.
        let plain = pattern(20, 1);
        let mut ct = s.encrypt(&mech, key, &plain).unwrap();
        let last = ct.len() - 1;
        ct[last - 16] ^= 0x55; // flips the pad byte of the last block through CBC
        assert_eq!(
            rv(s.decrypt(&mech, key, &ct).unwrap_err()),
            RvError::EncryptedDataInvalid
        );
        assert_eq!(
            rv(s.decrypt(&mech, key, &ct[..20]).unwrap_err()),
            RvError::EncryptedDataLenRange
        );
    }
    // An AES key of an odd length is no AES key.
    let r = s.create_object(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Value(vec![1; 20]),
    ]);
    assert_eq!(rv(r.unwrap_err()), RvError::AttributeValueInvalid);
    drop(s);
    p.finalize().unwrap();
}

// ---- GOST 28147-89 (raw calls: cryptoki has no name for CKM_GOST28147) ----

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
    // SAFETY: the module's static table; the library stays loaded (leaked).
    unsafe { &*list }
}

macro_rules! call {
    ($f:ident ( $($arg:expr),* )) => {{
        let f = so_functions().$f.expect(stringify!($f));
        // SAFETY: every pointer argument points to live, correctly sized local storage.
        unsafe { f($($arg),*) }
    }};
}

/// CKM_GOST28147 over `data` in one call (`pieces` = None) or in update calls, raw.
fn gost89(
    h: CK_SESSION_HANDLE,
    key: CK_OBJECT_HANDLE,
    iv: &[u8],
    data: &[u8],
    enc: bool,
    pieces: bool,
) -> Vec<u8> {
    let mut iv = iv.to_vec();
    let mut mech = CK_MECHANISM {
        mechanism: CKM_GOST28147,
        pParameter: iv.as_mut_ptr().cast(),
        ulParameterLen: 8,
    };
    let rv = if enc {
        call!(C_EncryptInit(h, &mut mech, key))
    } else {
        call!(C_DecryptInit(h, &mut mech, key))
    };
    assert_eq!(rv, CKR_OK);
    let mut input = data.to_vec();
    let mut out = vec![0u8; data.len()];
    if !pieces {
        let mut n = out.len() as CK_ULONG;
        let rv = if enc {
            call!(C_Encrypt(
                h,
                input.as_mut_ptr(),
                input.len() as CK_ULONG,
                out.as_mut_ptr(),
                &mut n
            ))
        } else {
            call!(C_Decrypt(
                h,
                input.as_mut_ptr(),
                input.len() as CK_ULONG,
                out.as_mut_ptr(),
                &mut n
            ))
        };
        assert_eq!(rv, CKR_OK);
        assert_eq!(n as usize, data.len());
        return out;
    }
    let mut done = 0;
    for chunk in input.chunks_mut(333) {
        let mut n = (out.len() - done) as CK_ULONG;
        let dst = out[done..].as_mut_ptr();
        let rv = if enc {
            call!(C_EncryptUpdate(
                h,
                chunk.as_mut_ptr(),
                chunk.len() as CK_ULONG,
                dst,
                &mut n
            ))
        } else {
            call!(C_DecryptUpdate(
                h,
                chunk.as_mut_ptr(),
                chunk.len() as CK_ULONG,
                dst,
                &mut n
            ))
        };
        assert_eq!(rv, CKR_OK);
        done += n as usize;
    }
    let mut n: CK_ULONG = 0;
    let mut last = [0u8; 1];
    let rv = if enc {
        call!(C_EncryptFinal(h, last.as_mut_ptr(), &mut n))
    } else {
        call!(C_DecryptFinal(h, last.as_mut_ptr(), &mut n))
    };
    assert_eq!((rv, n), (CKR_OK, 0));
    out
}

#[test]
fn gost28147_cfb_agrees_with_openssl_enc_gost89() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let h = s.handle();
    let k = "0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let iv = "1122334455667788";
    // 3000 bytes: CryptoPro key meshing happens after 1024 and 2048.
    let plain = pattern(3000, 7);
    std::fs::write(dir.join("plain"), &plain).unwrap();
    for (env_param, der) in [
        (None, &PARAM_Z[..]),
        (
            Some("id-Gost28147-89-CryptoPro-A-ParamSet"),
            &PARAM_CRYPTOPRO_A[..],
        ),
    ] {
        let env: Vec<(&str, &str)> = env_param.map(|v| ("CRYPT_PARAMS", v)).into_iter().collect();
        let args = ["enc", "-engine", "gost", "-gost89", "-K", k, "-iv", iv];
        openssl(
            dir,
            &env,
            &[&args[..], &["-in", "plain", "-out", "ct"]].concat(),
        );
        let theirs = std::fs::read(dir.join("ct")).unwrap();
        let key = secret(
            &s,
            KeyType::GOST28147,
            &hex(k),
            &[Attribute::VendorDefined((
                AttributeType::VendorDefined(CKA_GOST28147_PARAMS),
                der.to_vec(),
            ))],
        )
        .handle();
        let iv = hex(iv);
        assert_eq!(
            to_hex(&gost89(h, key, &iv, &plain, true, false)),
            to_hex(&theirs),
            "{env_param:?}"
        );
        assert_eq!(
            to_hex(&gost89(h, key, &iv, &plain, true, true)),
            to_hex(&theirs)
        );
        assert!(gost89(h, key, &iv, &theirs, false, false) == plain);
        assert!(gost89(h, key, &iv, &theirs, false, true) == plain);
    }
    // A key without CKA_GOST28147_PARAMS is CryptoPro-A (as the TC26 Z test above is not).
    let plain_key = secret(&s, KeyType::GOST28147, &hex(k), &[]).handle();
    let env = [("CRYPT_PARAMS", "id-Gost28147-89-CryptoPro-A-ParamSet")];
    let args = ["enc", "-engine", "gost", "-gost89", "-K", k, "-iv", iv];
    openssl(
        dir,
        &env,
        &[&args[..], &["-in", "plain", "-out", "ct"]].concat(),
    );
    let theirs = std::fs::read(dir.join("ct")).unwrap();
    assert_eq!(
        to_hex(&gost89(h, plain_key, &hex(iv), &plain, true, false)),
        to_hex(&theirs)
    );
    // An S-box OID the module does not know is refused.
    let r = s.create_object(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GOST28147),
        Attribute::Token(false),
        Attribute::Value(hex(k)),
        Attribute::VendorDefined((
            AttributeType::VendorDefined(CKA_GOST28147_PARAMS),
            vec![0x06, 0x03, 0x2a, 0x03, 0x04],
        )),
    ]);
    assert_eq!(rv(r.unwrap_err()), RvError::AttributeValueInvalid);
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn mechanisms_are_listed_with_their_flags() {
    let _env = env();
    let p = pkcs11();
    let slot = common::initialised(&p).id();
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(C_GetMechanismList(slot, ptr::null_mut(), &mut n)),
        CKR_OK
    );
    let mut list = vec![0; n as usize];
    assert_eq!(
        call!(C_GetMechanismList(slot, list.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    let crypt = CKF_ENCRYPT | CKF_DECRYPT;
    let wrap = CKF_WRAP | CKF_UNWRAP;
    for (m, flags) in [
        (CKM_KUZNYECHIK_CTR_ACPKM, crypt),
        (CKM_MAGMA_CTR_ACPKM, crypt),
        (CKM_GOST28147, crypt),
        (CKM_AES_CBC_PAD, crypt),
        (CKM_KUZNYECHIK_KEXP_15_WRAP, wrap),
        (CKM_MAGMA_KEXP_15_WRAP, wrap),
        (CKM_GOST28147_KEY_WRAP, wrap),
    ] {
        assert!(list.contains(&m), "{m:#x} listed");
        let mut info = CK_MECHANISM_INFO::default();
        assert_eq!(call!(C_GetMechanismInfo(slot, m, &mut info)), CKR_OK);
        assert_eq!(info.flags, flags, "{m:#x}");
    }
    p.finalize().unwrap();
}
