//! U02: containers — list, inspect, export the certificate, delete one, wipe the carrier; and
//! the cross-checks with OpenSC's pkcs11-tool and OpenSSL.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;

use token_core::{
    CancelToken, Carrier, ContainerId, ErrorCode, FinalTry, KeyAlgorithm, NewContainer, NoProgress,
    SignRequest, SignatureScheme,
};

fn rsa(label: &str) -> NewContainer {
    NewContainer::new(label, KeyAlgorithm::Rsa { bits: 2048 })
}

/// A certificate for `spki_der`'s key, issued by a throw-away OpenSSL CA; and one for another key.
fn certificates_for(spki_der: &[u8], dir: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    fs::write(p("pub.pem"), common::spki_pem(spki_der)).unwrap();
    let run = |args: &[&str]| {
        let out = common::openssl(args);
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-subj",
        "/CN=Test CA",
        "-days",
        "30",
    ]);
    run(&[
        "req",
        "-new",
        "-key",
        &p("ca.key"),
        "-subj",
        "/O=Romashka LLC/CN=Ivanov Ivan",
        "-out",
        &p("req.pem"),
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        &p("req.pem"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-force_pubkey",
        &p("pub.pem"),
        "-days",
        "365",
        "-outform",
        "DER",
        "-out",
        &p("ee.der"),
    ]);
    run(&[
        "x509",
        "-in",
        &p("ca.pem"),
        "-outform",
        "DER",
        "-out",
        &p("ca.der"),
    ]);
    (
        fs::read(p("ee.der")).unwrap(),
        fs::read(p("ca.der")).unwrap(),
    )
}

#[test]
fn u02_list_inspect_export_delete() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U02 list");
    assert!(c.containers().unwrap().is_empty());
    let a = c
        .generate(
            &rsa("Signing key 2026"),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let b = c
        .generate(&rsa("Old key"), &mut NoProgress, &CancelToken::new())
        .unwrap();
    let list = c.containers().unwrap();
    assert_eq!(list.len(), 2);
    let got = c.container(&a.id).unwrap();
    assert_eq!(got.label.as_deref(), Some("Signing key 2026"));
    assert_eq!(got.algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert!(got.has_private_key && got.sensitive && !got.extractable);
    assert_eq!(got.public_key, a.public_key);
    // Id = SHA-1 of the subjectPublicKey bits (RFC 5280 key identifier, method 1).
    assert_eq!(
        got.id,
        token_core::ContainerId::derived_from(&got.public_key)
    );

    // Install a certificate; a certificate of another key is refused.
    let dir = common::scratch("u02-certs");
    let (ee, ca) = certificates_for(&a.public_key.to_der().unwrap(), &dir);
    assert_eq!(
        c.write_certificate(&a.id, &ca).unwrap_err().code(),
        "KC-CERT-MISMATCH"
    );
    c.write_certificate(&a.id, &ee).unwrap();
    let got = c.container(&a.id).unwrap();
    assert_eq!(got.certificates, vec![ee.clone()]);
    let cert = got.certificate().unwrap().unwrap();
    assert!(cert.subject.contains("CN=Ivanov Ivan"), "{}", cert.subject);
    assert!(cert.is_valid_at(std::time::SystemTime::now()));
    // Export = the DER bytes; OpenSSL reads them.
    fs::write(dir.join("exported.der"), &got.certificates[0]).unwrap();
    let out = common::openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &dir.join("exported.der").to_string_lossy(),
        "-noout",
        "-subject",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Ivanov Ivan"));

    // Delete one container: the other stays.
    c.delete_container(&b.id).unwrap();
    let ids: Vec<ContainerId> = c.containers().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![a.id.clone()]);
    assert_eq!(
        c.delete_container(&b.id).unwrap_err().code(),
        "KC-NOT-FOUND"
    );
    let msg = [1u8, 2, 3];
    let e = c
        .sign(&SignRequest::message(
            &b.id,
            SignatureScheme::RsaPkcs1Sha256,
            &msg,
        ))
        .unwrap_err();
    assert_eq!(e.code(), "KC-NOT-FOUND");
}

#[test]
fn u02_private_objects_need_login() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U02 login");
    let a = c
        .generate(&rsa("k"), &mut NoProgress, &CancelToken::new())
        .unwrap();
    c.logout().unwrap();
    // Public key still lists the container, without the private key.
    let seen = c.container(&a.id).unwrap();
    assert!(!seen.has_private_key);
    let msg = b"order";
    let e = c
        .sign(&SignRequest::message(
            &a.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap_err();
    // The same code as the soft token's: log in, not "not found".
    assert_eq!(e.code(), "KC-LOGIN-REQUIRED");
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
    assert!(c.container(&a.id).unwrap().has_private_key);
}

#[test]
fn u02_wipe_keeps_label_and_removes_everything() {
    let _g = common::serial();
    let (mut c, serial) = common::logged_in("U02 wipe");
    let _ = c
        .generate(&rsa("k"), &mut NoProgress, &CancelToken::new())
        .unwrap();
    let wrong = token_core::AdminPin::new("Wrong0pin");
    assert_eq!(c.wipe(&wrong, None).unwrap_err().code(), "KC-PIN-WRONG");
    c.wipe(&common::so_pin(), None).unwrap();
    let info = c.info().unwrap();
    assert_eq!(info.label.as_deref(), Some("U02 wipe"));
    assert_eq!(info.serial, serial);
    // The user PIN must be set again; then the token is empty.
    c.reset_pin(
        &common::so_pin(),
        &common::approved_user(common::USER_PIN),
        FinalTry::Refuse,
    )
    .unwrap();
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
    assert!(c.containers().unwrap().is_empty());
    // A label longer than a token holds (32 bytes) is refused, not cut; nothing is wiped.
    let long = "Бухгалтерия ООО Ромашка"; // 23 characters, 44 bytes of UTF-8
    let e = c.wipe(&common::so_pin(), Some(long)).unwrap_err();
    assert_eq!(e.code(), "KC-MALFORMED", "{e:?}");
    assert_eq!(c.info().unwrap().label.as_deref(), Some("U02 wipe"));
    let exactly_32 = "Бухгалтерия ООО 12";
    assert_eq!(exactly_32.len(), 32);
    c.wipe(&common::so_pin(), Some(exactly_32)).unwrap();
    assert_eq!(c.info().unwrap().label.as_deref(), Some(exactly_32));
    c.wipe(&common::so_pin(), Some("Renamed")).unwrap();
    assert_eq!(c.info().unwrap().label.as_deref(), Some("Renamed"));
}

#[test]
fn u02_cross_check_with_pkcs11_tool_and_openssl() {
    let _g = common::serial();
    let (c, serial) = common::logged_in("U02 tool");
    let mut c = c;
    let ours = c
        .generate(
            &rsa("made by keycarrier"),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let token = [
        "--token-label",
        "U02 tool",
        "--login",
        "--pin",
        common::USER_PIN,
    ];

    // pkcs11-tool sees our objects.
    let mut args = vec!["--list-objects"];
    args.extend(token);
    let out = common::pkcs11_tool(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("made by keycarrier"), "{text}");
    assert!(text.contains(&ours.id.to_string()), "{text}");

    // A key pair pkcs11-tool generates is one of our containers.
    let mut args = vec![
        "--keypairgen",
        "--key-type",
        "rsa:2048",
        "--id",
        "0a0b0c",
        "--label",
        "made by pkcs11-tool",
    ];
    args.extend(token);
    let out = common::pkcs11_tool(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs_id: ContainerId = "0a0b0c".parse().unwrap();
    let theirs = c.container(&theirs_id).unwrap();
    assert_eq!(theirs.algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert!(theirs.has_private_key);
    assert_eq!(theirs.label.as_deref(), Some("made by pkcs11-tool"));

    let dir = common::scratch("u02-tool");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let data = b"payment order 118 for 15 000.00 RUB";
    fs::write(p("data"), data).unwrap();

    // Our signatures (PKCS#1 v1.5 and PSS, with both keys) verify with OpenSSL.
    for info in [&ours, &theirs] {
        fs::write(
            p("pub.pem"),
            common::spki_pem(&info.public_key.to_der().unwrap()),
        )
        .unwrap();
        let sig = c
            .sign(&SignRequest::message(
                &info.id,
                SignatureScheme::RsaPkcs1Sha256,
                data,
            ))
            .unwrap();
        fs::write(p("sig"), &sig).unwrap();
        let out = common::openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &p("pub.pem"),
            "-signature",
            &p("sig"),
            &p("data"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sig = c
            .sign(&SignRequest::message(
                &info.id,
                SignatureScheme::RsaPssSha256,
                data,
            ))
            .unwrap();
        fs::write(p("sig"), &sig).unwrap();
        let out = common::openssl(&[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-verify",
            &p("pub.pem"),
            "-signature",
            &p("sig"),
            &p("data"),
        ]);
        assert!(
            out.status.success(),
            "PSS: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // pkcs11-tool's signature with its key verifies with OpenSSL against the SPKI we built.
    let p_data = p("data");
    let p_sig = p("tool.sig");
    let mut args = vec![
        "--sign",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "0a0b0c",
        "-i",
        &p_data,
        "-o",
        &p_sig,
    ];
    args.extend(token);
    let out = common::pkcs11_tool(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(
        p("pub.pem"),
        common::spki_pem(&theirs.public_key.to_der().unwrap()),
    )
    .unwrap();
    let out = common::openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        &p("pub.pem"),
        "-signature",
        &p_sig,
        &p_data,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And it equals ours (PKCS#1 v1.5 is deterministic).
    let ours_sig = c
        .sign(&SignRequest::message(
            &theirs_id,
            SignatureScheme::RsaPkcs1Sha256,
            data,
        ))
        .unwrap();
    assert_eq!(fs::read(&p_sig).unwrap(), ours_sig);
    let _ = serial;
}
