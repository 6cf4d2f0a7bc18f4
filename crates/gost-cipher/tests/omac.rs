//! OMAC against GOST R 34.13-2015 A.1.6 (Kuznyechik) and A.2.6 (Magma). The standard prints
//! the MAC truncated to s = 64 / 32 bits; those are the tag's first bytes.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;
use common::hex;

use keycarrier_gost_cipher::{BlockCipher, Error, Omac, SecretKey};

#[test]
fn gost_r_34_13_a_1_6_kuznyechik_mac() {
    let key = SecretKey::from_slice(&hex(
        "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef",
    ))
    .unwrap();
    let mut mac = Omac::new(BlockCipher::Kuznyechik, &key);
    mac.update(&hex(
        "1122334455667700ffeeddccbbaa9988 00112233445566778899aabbcceeff0a
         112233445566778899aabbcceeff0a00 2233445566778899aabbcceeff0a0011",
    ));
    let tag = mac.clone().finalize();
    assert_eq!(tag.len(), 16);
    assert_eq!(tag.get(..8), Some(hex("336f4d296059fbe3").as_slice()));
    assert!(mac.clone().verify(&tag).is_ok());
    let mut bad = tag.clone();
    bad[15] ^= 1;
    assert!(matches!(mac.verify(&bad), Err(Error::Integrity { .. })));
}

#[test]
fn gost_r_34_13_a_2_6_magma_mac() {
    let key = SecretKey::from_slice(&hex(
        "ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
    ))
    .unwrap();
    let mut mac = Omac::new(BlockCipher::Magma, &key);
    // In two pieces: the MAC is streaming.
    mac.update(&hex("92def06b3c130a59db54c704f8189d20"));
    mac.update(&hex("4a98fb2e67a8024c8912409b17b57e41"));
    let tag = mac.finalize();
    assert_eq!(tag.len(), 8);
    assert_eq!(tag.get(..4), Some(hex("154e7210").as_slice()));
}
