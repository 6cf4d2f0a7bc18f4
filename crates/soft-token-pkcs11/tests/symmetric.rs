//! Symmetric C_Encrypt* / C_Decrypt* with secret keys through the built module, against
//! independent implementations and the standards' examples, both ways, single-part and in
//! uneven multi-part pieces:
//!
//! * `CKM_KUZNYECHIK_CTR_ACPKM` / `CKM_MAGMA_CTR_ACPKM` against `openssl enc
//!   -kuznyechik-ctr-acpkm` / `-magma-ctr-acpkm` (gost engine: sections of 4 KiB / 1 KiB; only
//!   content within the first section, the engine 3.0.1 being wrong past it), and the section
//!   changes against RFC 8645 A.1 (Kuznyechik, N = 256 bits) and A.2 (Magma, N = 128 bits).
//! * `CKM_AES_CBC_PAD` against `openssl enc -aes-256-cbc` / `-aes-128-cbc`.
//!
//! GOST 28147-89 is in `symmetric_gost89.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use common::secret::*;
use common::{env, hex, pkcs11, rv};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

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

#[test]
fn ctr_acpkm_agrees_with_openssl_enc_and_rfc_8645() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let k = "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef";

    // Kuznyechik: the engine's sections are 4 KiB; 4000 bytes stay inside the first.
    let iv = "1234567890abcef0";
    let key = secret(&s, key_type(CKK_KUZNYECHIK), &hex(k), &[]);
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
    let key = secret(&s, key_type(CKK_MAGMA), &hex(k), &[]);
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
    let key = secret(&s, key_type(CKK_KUZNYECHIK), &hex(k), &[]);
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
    let key = secret(&s, key_type(CKK_MAGMA), &hex(k), &[]);
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
