//! Flow U22: a CryptoPro container moved onto keycarrier's soft token in one call. The token
//! then signs through `ContainerSigner`, and OpenSSL with the gost engine verifies that
//! signature with the public key of the container's certificate: the key on the token is the
//! certified one. A GOST R 34.10-2001 key is refused by the soft token, and nothing is written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use keycarrier_cryptopro_container::{CryptoProContainer, migrate};
use soft_token::{SoftToken, TokenSettings};
use token_core::{AdminPin, Carrier, ContainerSigner, Error, FinalTry, Password, Pin, PinPolicy};

const ORDER: &[u8] = "Платёжное поручение № 22 на 1 000.00 RUB\r\n".as_bytes();

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("U22")
    };
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new("Adm1nQw8")).unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    t.reset_pin(&AdminPin::new("Adm1nQw8"), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    t
}

/// `openssl.cnf` loading the gost engine, in `dir`.
fn gost_conf(dir: &Path) {
    let so = [
        "/usr/lib/x86_64-linux-gnu/engines-3/gost.so",
        "/usr/lib/aarch64-linux-gnu/engines-3/gost.so",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("the gost engine (libengine-gost-openssl) is required: run scripts/test.sh");
    std::fs::write(
        dir.join("openssl.cnf"),
        format!(
            "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
             [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
             dynamic_path = {so}\ndefault_algorithms = ALL\n"
        ),
    )
    .unwrap();
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .output()
        .expect("the openssl command line is required: run scripts/test.sh")
}

#[test]
fn gost2012_container_moves_to_the_soft_token_and_signs_for_openssl() {
    let Some(vectors) = common::cryptopro_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut token = token(&tmp.path().join("token"));
    let container = CryptoProContainer::open(&vectors.join("g2012256.000")).unwrap();

    // A wrong PIN writes nothing.
    let err = migrate(&container, &Password::new("2"), &mut token, "Old key").unwrap_err();
    assert!(matches!(err, Error::WrongPasswordOrContainer), "{err:?}");
    assert!(token.containers().unwrap().is_empty());

    let moved = migrate(&container, &Password::new("1"), &mut token, "Old key").unwrap();
    assert_eq!(moved.label.as_deref(), Some("Old key"));
    assert!(moved.has_private_key);
    assert_eq!(
        moved.certificates,
        vec![container.certificate_der().unwrap().to_vec()]
    );

    let signer = ContainerSigner::new(&token, &moved.id).unwrap();
    let signature = signer.sign_message(ORDER).unwrap();
    assert_eq!(signature.as_bytes().len(), 64);

    // OpenSSL verifies it with the certificate's key (s ‖ r over Streebog-256, as `openssl
    // dgst -sign` writes it for GOST).
    let dir = tmp.path();
    gost_conf(dir);
    let pem = pem_rfc7468::encode_string(
        "CERTIFICATE",
        pem_rfc7468::LineEnding::LF,
        container.certificate_der().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("cert.pem"), pem).unwrap();
    std::fs::write(dir.join("order.txt"), ORDER).unwrap();
    std::fs::write(dir.join("order.sig"), signature.as_bytes()).unwrap();
    let out = openssl(
        dir,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = |data: &str| {
        openssl(
            dir,
            &[
                "dgst",
                "-md_gost12_256",
                "-verify",
                "pub.pem",
                "-signature",
                "order.sig",
                data,
            ],
        )
    };
    let out = verify("order.txt");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
        "openssl: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The control: an altered order does not verify.
    std::fs::write(dir.join("altered.txt"), [ORDER, b"0"].concat()).unwrap();
    assert!(!verify("altered.txt").status.success());

    // Moving it again is refused by the token (same container id), and changes nothing.
    let again = migrate(&container, &Password::new("1"), &mut token, "Old key").unwrap_err();
    assert!(matches!(again, Error::AlreadyExists { .. }), "{again:?}");
    assert_eq!(token.containers().unwrap().len(), 1);
}

/// The soft token has no GOST R 34.10-2001 signing: it refuses the key with a typed error and
/// stays empty. The 2001 key itself is checked in `cryptopro_samples.rs` (PKCS#8 equal to the
/// sample's, public key equal to the certificate's).
#[test]
fn gost2001_container_is_refused_by_the_soft_token_without_a_trace() {
    let Some(vectors) = common::cryptopro_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut token = token(tmp.path());
    let container = CryptoProContainer::open(&vectors.join("g2001.000")).unwrap();
    let err = migrate(&container, &Password::new("1"), &mut token, "2001 key").unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(token.containers().unwrap().is_empty());
}
