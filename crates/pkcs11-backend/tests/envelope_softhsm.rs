//! Whole envelopes opened on SoftHSM2 (flow U21): `openssl cms -encrypt` to the certificate of
//! an OpenSSL-made RSA key imported into SoftHSM2, opened by `cms-envelope` with the key used
//! through `C_Decrypt` on the token (AES-CBC and AES-GCM content, PKCS#1 v1.5 and OAEP SHA-1,
//! the OAEP hash SoftHSM 2.6 knows).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;
mod envelope;

use cms_envelope::{Envelope, RecipientKey};
use envelope::{openssl_in, openssl_rsa_key};
use token_core::{Carrier, KeyImport, SecretBytes};

const STATEMENT: &[u8] = b"Statement for March: closing balance 1 250 000.00 RUB\n";

#[test]
fn u21_rsa_envelopes_open_on_softhsm() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("envelope");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pkcs8 = openssl_rsa_key(d);
    openssl_in(
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "rsa.pem",
            "-subj",
            "/CN=client",
            "-days",
            "30",
            "-out",
            "client.crt",
        ],
        d,
    );
    openssl_in(
        &[
            "x509",
            "-in",
            "client.crt",
            "-outform",
            "DER",
            "-out",
            "client.der",
        ],
        d,
    );
    let cert = std::fs::read(d.join("client.der")).unwrap();
    let id = c
        .import(KeyImport {
            label: "mail".into(),
            id: None,
            private_key_pkcs8: SecretBytes::new(&pkcs8),
            certificates: vec![cert.clone()],
        })
        .unwrap()
        .id;
    std::fs::write(d.join("statement.txt"), STATEMENT).unwrap();
    let key = RecipientKey {
        carrier: &c,
        container: &id,
        certificate: &cert,
    };
    for extra in [
        &["-aes-256-cbc", "-recip", "client.crt"][..],
        &["-aes-256-gcm", "-recip", "client.crt"],
        &[
            "-aes-128-cbc",
            "-recip",
            "client.crt",
            "-keyopt",
            "rsa_padding_mode:oaep",
        ],
    ] {
        let mut args = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            "statement.txt",
            "-outform",
            "DER",
            "-out",
            "statement.p7m",
        ];
        args.extend_from_slice(extra);
        openssl_in(&args, d);
        let p7m = std::fs::read(d.join("statement.p7m")).unwrap();
        let opened = Envelope::from_der(&p7m).unwrap().open(&key).unwrap();
        assert_eq!(opened.as_slice(), STATEMENT, "{extra:?}");
    }
}
