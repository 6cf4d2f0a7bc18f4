//! U03: importing a private key with its certificate into a token (`Carrier::import`), on
//! SoftHSM2 (RSA). Keys and certificates are made by OpenSSL; signatures are verified by
//! OpenSSL; the objects are cross-checked with pkcs11-tool.
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use token_core::{
    Carrier, CertificateInfo, ContainerId, ErrorCode, KeyAlgorithm, KeyImport, SecretBytes,
    SignRequest, SignatureScheme,
};

/// The subjectKeyIdentifier OpenSSL wrote into the certificate, as bytes.
fn openssl_ski(dir: &Path) -> Vec<u8> {
    let cert = dir.join("cert.der");
    let out = common::openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &cert.to_string_lossy(),
        "-noout",
        "-ext",
        "subjectKeyIdentifier",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let hex: String = text
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .split(':')
        .collect::<Vec<_>>()
        .concat();
    hex.parse::<ContainerId>().unwrap().as_bytes().to_vec()
}

/// pkcs11-tool's `--list-objects` output as (object kind, its lines), e.g.
/// ("Private Key", "  label: …\n  ID: …").
fn pkcs11_tool_objects(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some((kind, _)) = line.split_once(" Object;") {
            out.push((kind.trim().to_string(), String::new()));
        } else if let Some((_, block)) = out.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    out
}

fn import_of(label: &str, pkcs8: &[u8], certificates: Vec<Vec<u8>>) -> KeyImport {
    KeyImport {
        label: label.into(),
        id: None,
        private_key_pkcs8: SecretBytes::new(pkcs8),
        certificates,
    }
}

#[test]
fn u03_import_rsa_key_and_certificate_then_sign() {
    let _g = common::serial();
    let dir = common::scratch("u03-rsa");
    let (pkcs8, cert) = common::openssl_rsa_key_and_cert(&dir, "U03 import");
    let (mut c, _) = common::logged_in("U03 rsa");
    let info = c
        .import(import_of("U03 imported", &pkcs8, vec![cert.clone()]))
        .unwrap();
    // The id follows the generation rule (SHA-1 of the key bits), which is the SKI OpenSSL
    // put into the certificate.
    assert_eq!(info.id.as_bytes(), openssl_ski(&dir).as_slice());
    assert_eq!(info.id, ContainerId::derived_from(&info.public_key));
    assert_eq!(info.algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert!(info.has_private_key && info.sensitive && !info.extractable);
    assert_eq!(info.label.as_deref(), Some("U03 imported"));
    assert_eq!(info.certificates, vec![cert.clone()]);
    let cert_key = CertificateInfo::from_der(&cert).unwrap().public_key;
    assert!(info.public_key.same_key(&cert_key));

    // Sign on the token; OpenSSL verifies with the certificate's key.
    let order = b"payment order 118 for 15 000.00 RUB";
    for (scheme, pss) in [
        (SignatureScheme::RsaPkcs1Sha256, false),
        (SignatureScheme::RsaPssSha256, true),
    ] {
        let sig = c
            .sign(&SignRequest::message(&info.id, scheme, order))
            .unwrap();
        common::openssl_verify_rsa(&cert_key.to_der().unwrap(), order, &sig, pss);
    }

    // pkcs11-tool sees the three objects under the id and the label, the private key
    // sensitive and not extractable.
    // (Token labels in this file are not prefixes of each other: pkcs11-tool's --token-label
    // may match a prefix.)
    let out = common::pkcs11_tool(&[
        "--list-objects",
        "--token-label",
        "U03 rsa",
        "--login",
        "--pin",
        common::USER_PIN,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let id_hex = info.id.to_string();
    let objects = pkcs11_tool_objects(&text);
    assert_eq!(objects.len(), 3, "{text}");
    for kind in ["Private Key", "Public Key", "Certificate"] {
        let (_, block) = objects
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no {kind} object: {text}"));
        assert!(block.contains(&id_hex), "{block}");
        assert!(block.contains("U03 imported"), "{block}");
    }
    let private = &objects.iter().find(|(k, _)| k == "Private Key").unwrap().1;
    assert!(private.contains("sensitive"), "{private}");

    // The same key again: the container exists.
    let e = c
        .import(import_of("again", &pkcs8, vec![cert.clone()]))
        .unwrap_err();
    assert_eq!(e.code(), "KC-EXISTS", "{e:?}");
    assert_eq!(c.containers().unwrap().len(), 1);
}

#[test]
fn u03_import_refuses_a_certificate_of_another_key_and_leaves_nothing() {
    let _g = common::serial();
    let dir_a = common::scratch("u03-a");
    let dir_b = common::scratch("u03-b");
    let (pkcs8_a, _) = common::openssl_rsa_key_and_cert(&dir_a, "A");
    let (_, cert_b) = common::openssl_rsa_key_and_cert(&dir_b, "B");
    let (mut c, _) = common::logged_in("U03 mismatch");
    let e = c
        .import(import_of("mismatch", &pkcs8_a, vec![cert_b]))
        .unwrap_err();
    assert!(matches!(e, token_core::Error::CertificateMismatch), "{e:?}");
    assert!(c.containers().unwrap().is_empty());
    // Garbage is a typed error.
    let e = c
        .import(import_of("garbage", b"\x30\x03\x02\x01\x00", vec![]))
        .unwrap_err();
    assert!(matches!(e, token_core::Error::Malformed { .. }), "{e:?}");
}

/// Import is transactional: without a user login the token refuses the private key (the last
/// object made), and the public key and certificate already written are destroyed again.
#[test]
fn u03_failed_import_removes_what_it_wrote() {
    let _g = common::serial();
    let dir = common::scratch("u03-rollback");
    let (pkcs8, cert) = common::openssl_rsa_key_and_cert(&dir, "Rollback");
    let (mut c, _) = common::fresh_token("U03 rollback");
    let e = c
        .import(import_of("rollback", &pkcs8, vec![cert.clone()]))
        .unwrap_err();
    assert_eq!(e.code(), "KC-LOGIN-REQUIRED", "{e:?}");
    // Nothing public is left behind (public objects are visible without login).
    assert!(c.containers().unwrap().is_empty());
    let out = common::pkcs11_tool(&["--list-objects", "--token-label", "U03 rollback"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Object;"), "{text}");
    // After login the same import succeeds.
    c.login(&common::user_pin(), token_core::FinalTry::Refuse)
        .unwrap();
    let info = c.import(import_of("rollback", &pkcs8, vec![cert])).unwrap();
    assert!(info.has_private_key);
}
