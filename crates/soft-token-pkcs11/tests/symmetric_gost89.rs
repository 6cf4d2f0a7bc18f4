//! `CKM_GOST28147` (GOST 28147-89 CFB with CryptoPro key meshing) through the built module
//! against `openssl enc -gost89`, past the 1 KiB meshing point, with the TC26 Z S-box (the
//! engine's default) and CryptoPro-A (`CRYPT_PARAMS`) named by the key's
//! CKA_GOST28147_PARAMS, both ways, single-part and multi-part; and the mechanisms' flags in
//! C_GetMechanismList / C_GetMechanismInfo. Raw calls: cryptoki cannot name CKM_GOST28147 and
//! filters vendor mechanisms out of its mechanism list.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use std::ptr;

use common::secret::*;
use common::{env, hex, pkcs11, rv};
use cryptoki::error::RvError;
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;

macro_rules! call {
    ($f:ident ( $($arg:expr),* )) => {{
        let f = common::secret::so_functions().$f.expect(stringify!($f));
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
        let key = secret(&s, KeyType::GOST28147, &hex(k), &[gost28147_params(der)]).handle();
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
        gost28147_params(&[0x06, 0x03, 0x2a, 0x03, 0x04]),
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
