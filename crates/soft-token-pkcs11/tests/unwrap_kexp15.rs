//! KImp15 / KExp15 through the built module (`CKM_MAGMA_KEXP_15_WRAP`,
//! `CKM_KUZNYECHIK_KEXP_15_WRAP`, C_UnwrapKey / C_WrapKey) against the examples of
//! R 1323565.1.017-2018 (export keys, IV and wrapped key as the standard prints them; the Magma
//! one also in gost-engine's `test_tls12additional.c`), the unwrapped Kuznyechik key then
//! encrypting GOST R 34.13-2015's CTR example (A.1.2) through the module; and misuse.
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
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;

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
