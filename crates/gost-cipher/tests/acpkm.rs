//! CTR and CTR-ACPKM against the standards' examples and OpenSSL's gost engine.
//!
//! * GOST R 34.13-2015 A.1.2 (Kuznyechik CTR) and A.2.2 (Magma CTR).
//! * RFC 8645 A.1 = R 1323565.1.017-2018 A.1: Kuznyechik CTR-ACPKM, N = 256 bits (gost-engine
//!   `test_ciphers.c` transcribes it).
//! * RFC 8645 A.2 = R 1323565.1.017-2018 A.2: Magma CTR-ACPKM, N = 128 bits, IV 12345678
//!   (transcribed in sheroz/crypto_vectors).
//! * `openssl enc -kuznyechik-ctr-acpkm` / `-magma-ctr-acpkm` (gost engine, sections of 4 KiB /
//!   1 KiB) on content below one section — Debian's engine 3.0.1 goes wrong past the first
//!   section (see shared/vectors/README.md), so it is no reference beyond it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;
use common::{hex, openssl, pattern, to_hex};

use keycarrier_gost_cipher::{BlockCipher, CtrAcpkm, Error, SecretKey};

const K: &str = "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef";
const KM: &str = "ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const P: &str = "1122334455667700ffeeddccbbaa9988 00112233445566778899aabbcceeff0a
                 112233445566778899aabbcceeff0a00 2233445566778899aabbcceeff0a0011";
const PM: &str = "92def06b3c130a59db54c704f8189d20 4a98fb2e67a8024c8912409b17b57e41";

fn key(h: &str) -> SecretKey {
    SecretKey::from_slice(&hex(h)).unwrap()
}

#[test]
fn gost_r_34_13_a_1_2_kuznyechik_ctr() {
    let mut data = hex(P);
    CtrAcpkm::ctr(BlockCipher::Kuznyechik, &key(K), &hex("1234567890abcef0"))
        .unwrap()
        .apply_keystream(&mut data);
    assert_eq!(
        to_hex(&data),
        to_hex(&hex(
            "f195d8bec10ed1dbd57b5fa240bda1b8 85eee733f6a13e5df33ce4b33c45dee4
             a5eae88be6356ed3d5e877f13564a3a5 cb91fab1f20cbab6d1c6d15820bdba73"
        ))
    );
}

#[test]
fn gost_r_34_13_a_2_2_magma_ctr() {
    let mut data = hex(PM);
    CtrAcpkm::ctr(BlockCipher::Magma, &key(KM), &hex("12345678"))
        .unwrap()
        .apply_keystream(&mut data);
    assert_eq!(
        to_hex(&data),
        to_hex(&hex(
            "4e98110c97b7b93c3e250d93d6e85d69 136d868807b2dbef568eb680ab52a12d"
        ))
    );
}

const P_ACPKM: &str = "1122334455667700ffeeddccbbaa9988 00112233445566778899aabbcceeff0a
                       112233445566778899aabbcceeff0a00 2233445566778899aabbcceeff0a0011
                       33445566778899aabbcceeff0a001122 445566778899aabbcceeff0a00112233
                       5566778899aabbcceeff0a0011223344";

#[test]
fn rfc8645_a1_kuznyechik_ctr_acpkm_n256() {
    let expected = hex(
        "f195d8bec10ed1dbd57b5fa240bda1b8 85eee733f6a13e5df33ce4b33c45dee4
         4bceeb8f646f4c55001706275e85e800 587c4df568d094393e4834afd0805046
         cf30f57686aeece11cfc6c316b8a896e dffd07ec813636460c4f3b743423163e
         6409a9c282fac8d469d221e7fbd6de5d",
    );
    let mut data = hex(P_ACPKM);
    CtrAcpkm::new(
        BlockCipher::Kuznyechik,
        &key(K),
        &hex("1234567890abcef0"),
        32,
    )
    .unwrap()
    .apply_keystream(&mut data);
    assert_eq!(to_hex(&data), to_hex(&expected));
    // Piece by piece, across block and section boundaries, gives the same.
    for piece in [1usize, 5, 16, 17, 33] {
        let mut data = hex(P_ACPKM);
        let mut ctr = CtrAcpkm::new(
            BlockCipher::Kuznyechik,
            &key(K),
            &hex("1234567890abcef0"),
            32,
        )
        .unwrap();
        for chunk in data.chunks_mut(piece) {
            ctr.apply_keystream(chunk);
        }
        assert_eq!(to_hex(&data), to_hex(&expected), "pieces of {piece}");
    }
}

#[test]
fn rfc8645_a2_magma_ctr_acpkm_n128() {
    let plain = hex(
        "1122334455667700ffeeddccbbaa9988 00112233445566778899aabbcceeff0a
         112233445566778899aabbcceeff0a00 2233445566778899",
    );
    let expected = hex(
        "2ab81deeeb1e4cab68e104c4bd6b94ea c72c67af6c2e5b6b0eafb61770f1b32e
         a1ae71149eed1382abd467180672ec6f 84a2f15b3fca72c1",
    );
    let mut data = plain.clone();
    CtrAcpkm::new(BlockCipher::Magma, &key(K), &hex("12345678"), 16)
        .unwrap()
        .apply_keystream(&mut data);
    assert_eq!(to_hex(&data), to_hex(&expected));
    // And back.
    CtrAcpkm::new(BlockCipher::Magma, &key(K), &hex("12345678"), 16)
        .unwrap()
        .apply_keystream(&mut data);
    assert_eq!(data, plain);
}

#[test]
fn bad_parameters_are_errors() {
    let k = key(K);
    for (cipher, iv, section) in [
        (BlockCipher::Kuznyechik, vec![0u8; 16], 32),
        (BlockCipher::Magma, vec![0u8; 8], 16),
        (BlockCipher::Magma, vec![0u8; 4], 12),
        (BlockCipher::Kuznyechik, vec![0u8; 8], 0),
    ] {
        let err = CtrAcpkm::new(cipher, &k, &iv, section).unwrap_err();
        assert!(
            matches!(err, Error::Length { .. } | Error::Parameter { .. }),
            "{err}"
        );
    }
}

/// OpenSSL agrees below the engine's first section (4 KiB Kuznyechik, 1 KiB Magma).
#[test]
fn openssl_enc_agrees_within_the_first_section() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, cipher, iv, section, len) in [
        (
            "kuznyechik-ctr-acpkm",
            BlockCipher::Kuznyechik,
            "0102030405060708",
            4096,
            4096,
        ),
        (
            "kuznyechik-ctr-acpkm",
            BlockCipher::Kuznyechik,
            "a1b2c3d4e5f60718",
            4096,
            1001,
        ),
        (
            "magma-ctr-acpkm",
            BlockCipher::Magma,
            "01020304",
            1024,
            1024,
        ),
        ("magma-ctr-acpkm", BlockCipher::Magma, "f1e2d3c4", 1024, 77),
    ] {
        let plain = pattern(len, 3);
        std::fs::write(d.join("plain.bin"), &plain).unwrap();
        // The engine takes a full-block IV: ours, then zeros.
        let full_iv = format!("{iv}{}", "0".repeat(iv.len()));
        openssl(
            d,
            &[
                "enc",
                "-engine",
                "gost",
                &format!("-{name}"),
                "-K",
                K,
                "-iv",
                &full_iv,
                "-in",
                "plain.bin",
                "-out",
                "enc.bin",
            ],
        );
        let theirs = std::fs::read(d.join("enc.bin")).unwrap();
        let mut ours = plain.clone();
        CtrAcpkm::new(cipher, &key(K), &hex(iv), section)
            .unwrap()
            .apply_keystream(&mut ours);
        assert_eq!(to_hex(&ours), to_hex(&theirs), "{name}, {len} bytes");
    }
}
