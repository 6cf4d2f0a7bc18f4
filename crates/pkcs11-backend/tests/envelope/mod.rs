//! Shared by the decryption tests (`decrypt_softhsm.rs`, `decrypt_on_soft_token.rs`): RSA
//! key transport made by OpenSSL and opened on a carrier through `Carrier::decrypt_key`.
#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

use keycarrier_pkcs11_backend::Pkcs11Carrier;
use token_core::{
    Carrier, ErrorCode, KeyDecryption, KeyImport, OaepHash, RsaKeyTransport, SecretBytes,
};

/// Runs openssl (with the gost engine where the arguments ask for it) in `dir`.
pub fn openssl_in(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An RSA-2048 key made by OpenSSL in `dir` (`rsa.pem`, `pub.pem`); its PKCS#8 DER.
pub fn openssl_rsa_key(dir: &Path) -> Vec<u8> {
    openssl_in(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
        dir,
    );
    openssl_in(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa.der",
        ],
        dir,
    );
    openssl_in(
        &["pkey", "-in", "rsa.pem", "-pubout", "-out", "pub.pem"],
        dir,
    );
    std::fs::read(dir.join("rsa.der")).unwrap()
}

/// `secret` encrypted by OpenSSL to `pub.pem` with the given `-pkeyopt`s.
pub fn openssl_encrypt(dir: &Path, secret: &[u8], opts: &[&str]) -> Vec<u8> {
    std::fs::write(dir.join("plain"), secret).unwrap();
    let mut args = vec![
        "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "plain", "-out", "ct",
    ];
    for o in opts {
        args.extend(["-pkeyopt", o]);
    }
    openssl_in(&args, dir);
    std::fs::read(dir.join("ct")).unwrap()
}

/// The paddings and OpenSSL's matching options.
pub fn rsa_cases() -> Vec<(RsaKeyTransport, Vec<&'static str>)> {
    vec![
        (RsaKeyTransport::Pkcs1v15, vec!["rsa_padding_mode:pkcs1"]),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha1),
            vec!["rsa_padding_mode:oaep"],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha256),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha256",
            ],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha384),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha384",
                "rsa_mgf1_md:sha384",
            ],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha512),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha512",
                "rsa_mgf1_md:sha512",
            ],
        ),
    ]
}

/// Imports OpenSSL's RSA key into `c` and opens OpenSSL's ciphertexts with every padding
/// (`softhsm_2_6`, SoftHSM 2.6: OAEP beyond SHA-1 must fail with the module's CKR as
/// evidence, and so does a bad OAEP padding, CKR_GENERAL_ERROR there); a damaged OAEP ciphertext is `VerificationFailed`; no login is
/// `LoginRequired`.
pub fn rsa_round(c: &mut Pkcs11Carrier, dir: &Path, softhsm_2_6: bool) {
    let pkcs8 = openssl_rsa_key(dir);
    let id = c
        .import(KeyImport {
            label: "rsa-dec".into(),
            id: None,
            private_key_pkcs8: SecretBytes::new(&pkcs8),
            certificates: vec![],
        })
        .unwrap()
        .id;
    let decrypt = |c: &Pkcs11Carrier, ct: &[u8], padding| {
        c.decrypt_key(&KeyDecryption {
            container: &id,
            encrypted_key: ct,
            padding,
        })
    };
    for (padding, opts) in rsa_cases() {
        let secret = openssl_in(&["rand", "32"], dir);
        let ct = openssl_encrypt(dir, &secret, &opts);
        let beyond_sha1 = matches!(padding, RsaKeyTransport::Oaep(h) if h != OaepHash::Sha1);
        if softhsm_2_6 && beyond_sha1 {
            let e = decrypt(c, &ct, padding).unwrap_err();
            assert_eq!(e.code(), "KC-BACKEND-PKCS11", "{padding:?}: {e:?}");
            continue;
        }
        assert_eq!(
            decrypt(c, &ct, padding).unwrap().expose(),
            secret,
            "{padding:?}"
        );
    }
    let mut ct = openssl_encrypt(dir, &[7; 32], &["rsa_padding_mode:oaep"]);
    ct[9] ^= 0x10;
    let e = decrypt(c, &ct, RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err();
    // SoftHSM 2.6 answers a bad OAEP padding and a short ciphertext with CKR_GENERAL_ERROR, which says nothing about
    // the ciphertext: it stays a backend error with its evidence.
    let expected = if softhsm_2_6 {
        "KC-BACKEND-PKCS11"
    } else {
        "KC-VERIFY-FAILED"
    };
    assert_eq!(e.code(), expected, "{e:?}");
    let e = decrypt(c, &ct[1..], RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err();
    assert_eq!(e.code(), expected, "{e:?}");
    c.logout().unwrap();
    let e = decrypt(c, &ct, RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err();
    assert_eq!(e.code(), "KC-LOGIN-REQUIRED", "{e:?}");
}
