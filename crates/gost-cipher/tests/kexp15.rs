//! KExp15 / KImp15 against R 1323565.1.017-2018's Magma example (gost-engine's
//! `test_tls12additional.c` transcribes it), and the integrity check of KImp15.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;
use common::hex;

use keycarrier_gost_cipher::{
    BlockCipher, Error, ExportKeys, SecretKey, kexp15, kimp15, wrapped_len,
};

fn example() -> (SecretKey, ExportKeys, Vec<u8>, Vec<u8>) {
    let shared = SecretKey::from_slice(&hex(
        "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef",
    ))
    .unwrap();
    let keys = ExportKeys {
        enc: SecretKey::from_slice(&hex(
            "202122232425262728292a2b2c2d2e2f38393a3b3c3d3e3f3031323334353637",
        ))
        .unwrap(),
        mac: SecretKey::from_slice(&hex(
            "08090a0b0c0d0e0f0001020304050607101112131415161718191a1b1c1d1e1f",
        ))
        .unwrap(),
    };
    let iv = hex("67bed654");
    let wrapped = hex(
        "cfd5a12d5b81b6e1e99c916d07900c6a c12703fb3abded55567bf3742c899c75
         5dafe7b42e3a8bd9",
    );
    (shared, keys, iv, wrapped)
}

#[test]
fn r1323565_1_017_magma_kexp15_and_kimp15() {
    let (shared, keys, iv, wrapped) = example();
    assert_eq!(
        kexp15(BlockCipher::Magma, &shared, &keys, &iv).unwrap(),
        wrapped
    );
    assert_eq!(
        kimp15(BlockCipher::Magma, &wrapped, &keys, &iv).unwrap(),
        shared
    );
}

#[test]
fn kimp15_rejects_any_change() {
    let (_, keys, iv, wrapped) = example();
    for i in [0, 31, 32, 39] {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x80;
        let err = kimp15(BlockCipher::Magma, &bad, &keys, &iv).unwrap_err();
        assert!(matches!(err, Error::Integrity { .. }), "byte {i}: {err}");
    }
    let mut other_iv = iv.clone();
    other_iv[0] ^= 1;
    assert!(matches!(
        kimp15(BlockCipher::Magma, &wrapped, &keys, &other_iv),
        Err(Error::Integrity { .. })
    ));
    let err = kimp15(BlockCipher::Magma, &wrapped[..39], &keys, &iv).unwrap_err();
    assert!(matches!(err, Error::Length { .. }), "{err}");
    let err = kimp15(BlockCipher::Kuznyechik, &wrapped, &keys, &iv).unwrap_err();
    assert!(matches!(err, Error::Length { .. }), "{err}");
}

#[test]
fn kuznyechik_round_trip() {
    let (shared, keys, _, _) = example();
    let iv = hex("0123456789abcdef");
    let wrapped = kexp15(BlockCipher::Kuznyechik, &shared, &keys, &iv).unwrap();
    assert_eq!(wrapped.len(), wrapped_len(BlockCipher::Kuznyechik));
    assert_eq!(wrapped.len(), 48);
    assert_eq!(
        kimp15(BlockCipher::Kuznyechik, &wrapped, &keys, &iv).unwrap(),
        shared
    );
}

#[test]
fn export_keys_split_mac_first() {
    let mut keg = vec![1u8; 32];
    keg.extend([2u8; 32]);
    let keys = ExportKeys::from_keg_output(&keg).unwrap();
    assert_eq!(keys.mac, SecretKey::from_array([1; 32]));
    assert_eq!(keys.enc, SecretKey::from_array([2; 32]));
    assert!(ExportKeys::from_keg_output(&keg[..63]).is_err());
}
