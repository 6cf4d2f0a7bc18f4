//! EC keys (NIST P-256, P-384) on SoftHSM2: U02 listing (including a key pair made by
//! pkcs11-tool), U09 generation, signing with the host hash and `CKM_ECDSA`, verified by
//! OpenSSL (`openssl dgst -verify` on the DER Ecdsa-Sig-Value).
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use keycarrier_pkcs11_backend::{CarrierOptions, hazmat};
use token_core::{
    CancelToken, Carrier, ContainerId, EcCurve, KeyAlgorithm, NewContainer, NoProgress, PublicKey,
    SignRequest, SignatureScheme,
};

/// OpenSSL verifies `sig` (DER Ecdsa-Sig-Value) over `data` with `key` and `digest`
/// (`-sha256`, `-sha384`); panics with its message otherwise.
fn openssl_verify_ecdsa(key: &PublicKey, digest: &str, data: &[u8], sig: &[u8], name: &str) {
    let dir = common::scratch(name);
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(p("pub.pem"), common::spki_pem(&key.to_der().unwrap())).unwrap();
    std::fs::write(p("data"), data).unwrap();
    std::fs::write(p("sig"), sig).unwrap();
    let out = common::openssl(&[
        "dgst",
        digest,
        "-verify",
        &p("pub.pem"),
        "-signature",
        &p("sig"),
        &p("data"),
    ]);
    assert!(
        out.status.success(),
        "openssl dgst {digest} -verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ECDSA signature is DER: SEQUENCE of two INTEGERs, each at most one coordinate long
/// (plus a sign byte).
fn assert_der_ecdsa(sig: &[u8], curve: EcCurve) {
    assert_eq!(sig[0], 0x30, "{sig:02x?}");
    let max = 2 + 2 * (2 + curve.coordinate_len() + 1) + 1;
    assert!(sig.len() <= max && sig.len() > 8, "{} bytes", sig.len());
}

#[test]
fn u09_ec_generate_sign_verify_with_openssl() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("EC U09");
    let order = b"payment order 118 for 15 000.00 RUB";
    for (curve, scheme, digest) in [
        (EcCurve::P256, SignatureScheme::EcdsaSha256, "-sha256"),
        (EcCurve::P384, SignatureScheme::EcdsaSha384, "-sha384"),
    ] {
        let alg = KeyAlgorithm::Ec(curve);
        let info = c
            .generate(
                &NewContainer::new(format!("EC {curve}"), alg),
                &mut NoProgress,
                &CancelToken::new(),
            )
            .unwrap();
        assert_eq!(info.algorithm, alg);
        assert_eq!(alg.signature_scheme(), scheme);
        assert!(info.has_private_key && info.sensitive && !info.extractable);
        assert_eq!(info.id, ContainerId::derived_from(&info.public_key));
        // Uncompressed point in the SPKI.
        assert_eq!(
            info.public_key.key_bytes().len(),
            1 + 2 * curve.coordinate_len()
        );
        assert_eq!(info.public_key.key_bytes()[0], 0x04);
        let listed = c.container(&info.id).unwrap();
        assert_eq!(listed.public_key, info.public_key);
        assert_eq!(
            listed.label.as_deref(),
            Some(format!("EC {curve}").as_str())
        );

        let by_message = c
            .sign(&SignRequest::message(&info.id, scheme, order))
            .unwrap();
        assert_der_ecdsa(&by_message, curve);
        openssl_verify_ecdsa(
            &info.public_key,
            digest,
            order,
            &by_message,
            &format!("ec-{curve}"),
        );
        // A precomputed digest signs the same message.
        let d: Vec<u8> = match scheme {
            SignatureScheme::EcdsaSha256 => {
                use sha2::Digest as _;
                sha2::Sha256::digest(order).to_vec()
            }
            _ => {
                use sha2::Digest as _;
                sha2::Sha384::digest(order).to_vec()
            }
        };
        let by_digest = c.sign(&SignRequest::digest(&info.id, scheme, &d)).unwrap();
        openssl_verify_ecdsa(
            &info.public_key,
            digest,
            order,
            &by_digest,
            &format!("ec-{curve}-d"),
        );
        // An RSA scheme with an EC key is refused, typed.
        let e = c
            .sign(&SignRequest::message(
                &info.id,
                SignatureScheme::RsaPkcs1Sha256,
                order,
            ))
            .unwrap_err();
        assert!(matches!(e, token_core::Error::Unsupported { .. }), "{e:?}");
    }
    // With hash_on_token set, ECDSA still hashes on the host (SoftHSM2 has no
    // CKM_ECDSA_SHA256) and signs.
    let p256 = c
        .containers()
        .unwrap()
        .into_iter()
        .find(|k| k.algorithm == KeyAlgorithm::Ec(EcCurve::P256))
        .unwrap();
    let on_token = c.with_options(CarrierOptions {
        hash_on_token: true,
        ..CarrierOptions::default()
    });
    assert!(!hazmat::has_mechanism(
        &on_token,
        cryptoki_sys::CKM_ECDSA_SHA256
    ));
    let sig = on_token
        .sign(&SignRequest::message(
            &p256.id,
            SignatureScheme::EcdsaSha256,
            order,
        ))
        .unwrap();
    openssl_verify_ecdsa(&p256.public_key, "-sha256", order, &sig, "ec-on-token");
}

#[test]
fn u02_ec_key_made_by_pkcs11_tool_is_a_container() {
    let _g = common::serial();
    let (c, _) = common::logged_in("EC U02");
    let token = [
        "--token-label",
        "EC U02",
        "--login",
        "--pin",
        common::USER_PIN,
    ];
    let mut args = vec![
        "--keypairgen",
        "--key-type",
        "EC:prime256v1",
        "--id",
        "0e0c",
        "--label",
        "EC by pkcs11-tool",
    ];
    args.extend(token);
    let out = common::pkcs11_tool(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id: ContainerId = "0e0c".parse().unwrap();
    let listed = c.containers().unwrap();
    assert_eq!(listed.len(), 1);
    let theirs = &listed[0];
    assert_eq!(theirs.id, id);
    assert_eq!(theirs.algorithm, KeyAlgorithm::Ec(EcCurve::P256));
    assert!(theirs.has_private_key);
    assert_eq!(theirs.label.as_deref(), Some("EC by pkcs11-tool"));

    // pkcs11-tool's own export of the public key (SPKI DER) is the key we list.
    let dir = common::scratch("ec-u02");
    let spki_path = dir.join("pub.der").to_string_lossy().into_owned();
    let mut args = vec![
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "0e0c",
        "--output-file",
        &spki_path,
    ];
    args.extend(token);
    let out = common::pkcs11_tool(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = PublicKey::from_spki_der(&std::fs::read(&spki_path).unwrap()).unwrap();
    assert!(exported.same_key(&theirs.public_key));

    // We sign with their key; OpenSSL verifies.
    let data = b"signed with a pkcs11-tool key";
    let sig = c
        .sign(&SignRequest::message(
            &id,
            SignatureScheme::EcdsaSha256,
            data,
        ))
        .unwrap();
    openssl_verify_ecdsa(&exported, "-sha256", data, &sig, "ec-theirs");
}

/// U03 for EC: OpenSSL makes the key (PKCS#8) and a self-signed certificate; we import both,
/// sign on the token, OpenSSL verifies with the certificate's key.
#[test]
fn u03_ec_import_then_sign() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("EC U03");
    for (curve, name, scheme, digest) in [
        (
            EcCurve::P256,
            "P-256",
            SignatureScheme::EcdsaSha256,
            "-sha256",
        ),
        (
            EcCurve::P384,
            "P-384",
            SignatureScheme::EcdsaSha384,
            "-sha384",
        ),
    ] {
        let dir = common::scratch(&format!("ec-u03-{name}"));
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let curve_opt = format!("ec_paramgen_curve:{name}");
        let subject = format!("/CN=EC import {name}");
        for args in [
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &curve_opt,
                "-out",
                &p("key.pem"),
            ][..],
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &p("key.pem"),
                "-outform",
                "DER",
                "-out",
                &p("key.p8"),
            ],
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &p("key.pem"),
                "-subj",
                &subject,
                "-days",
                "30",
                "-outform",
                "DER",
                "-out",
                &p("cert.der"),
            ],
        ] {
            let out = common::openssl(args);
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let cert = std::fs::read(p("cert.der")).unwrap();
        let info = c
            .import(token_core::KeyImport {
                label: format!("imported {name}"),
                id: None,
                private_key_pkcs8: token_core::SecretBytes::new(
                    &std::fs::read(p("key.p8")).unwrap(),
                ),
                certificates: vec![cert.clone()],
            })
            .unwrap();
        assert_eq!(info.algorithm, KeyAlgorithm::Ec(curve));
        assert!(info.has_private_key && info.sensitive && !info.extractable);
        assert_eq!(info.certificates, vec![cert.clone()]);
        let cert_key = token_core::CertificateInfo::from_der(&cert)
            .unwrap()
            .public_key;
        assert!(info.public_key.same_key(&cert_key));
        assert_eq!(info.id, ContainerId::derived_from(&cert_key));
        let data = b"signed with an imported EC key";
        let sig = c
            .sign(&SignRequest::message(&info.id, scheme, data))
            .unwrap();
        openssl_verify_ecdsa(&cert_key, digest, data, &sig, &format!("ec-u03-v-{name}"));
    }
    // A certificate of the other key is refused, nothing written.
    let before = c.containers().unwrap().len();
    let dir_a = common::scratch("ec-u03-P-256");
    let dir_b = common::scratch("ec-u03-P-384");
    let e = c
        .import(token_core::KeyImport {
            label: "mismatch".into(),
            id: Some("ee".parse().unwrap()),
            private_key_pkcs8: token_core::SecretBytes::new(
                &std::fs::read(dir_a.join("key.p8")).unwrap(),
            ),
            certificates: vec![std::fs::read(dir_b.join("cert.der")).unwrap()],
        })
        .unwrap_err();
    assert!(matches!(e, token_core::Error::CertificateMismatch), "{e:?}");
    assert_eq!(c.containers().unwrap().len(), before);
}

/// An X.509 structure signed through the token with an EC key: a PKCS#10 request built by
/// x509-cert with `ContainerSigner` (ecdsa-with-SHA256, absent parameters, DER signature);
/// OpenSSL checks its self-signature.
#[test]
fn ec_key_signs_a_pkcs10_request_openssl_verifies() {
    use std::str::FromStr;
    use token_core::der::Encode;
    use token_core::x509_cert::name::Name;
    use token_core::{CarrierSignature, ContainerSigner};
    use x509_cert::builder::Builder as _;
    use x509_cert::request::RequestBuilder;

    let _g = common::serial();
    let (mut c, _) = common::logged_in("EC PKCS10");
    let info = c
        .generate(
            &NewContainer::new("EC request", KeyAlgorithm::Ec(EcCurve::P256)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let signer = ContainerSigner::new(&c, &info.id).unwrap();
    assert_eq!(signer.scheme(), SignatureScheme::EcdsaSha256);
    let req = RequestBuilder::new(Name::from_str("CN=EC request,O=Test").unwrap())
        .unwrap()
        .build::<_, CarrierSignature>(&signer)
        .unwrap()
        .to_der()
        .unwrap();
    let dir = common::scratch("ec-pkcs10");
    let path = dir.join("req.der").to_string_lossy().into_owned();
    std::fs::write(&path, &req).unwrap();
    let out = common::openssl(&[
        "req", "-inform", "DER", "-in", &path, "-verify", "-noout", "-text",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `openssl req -verify` exits 0 even on a bad signature; its message decides.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("self-signature verify OK") && !err.contains("failure"),
        "{err}"
    );
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    assert!(text.contains("NIST CURVE: P-256"), "{text}");
}
