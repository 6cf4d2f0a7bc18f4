//! Envelopes sealed by OpenSSL (the independent peer) opened with the recipient's key on the
//! soft token, and the refusals: another recipient's key, a tampered byte, a truncated
//! envelope, an unknown cipher — typed errors, no plaintext.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Peer, RSA_2048, Token};
use keycarrier_cms_envelope::{Envelope, RecipientKey};
use token_core::ErrorCode;

const STATEMENT: &[u8] =
    b"Account statement 40702810900000000001, March: closing balance 1 250 000.00 RUB\n";

fn openssl_seal(peer: &Peer, args: &[&str], to: &str) -> Vec<u8> {
    peer.write("statement.txt", STATEMENT);
    peer.cms_encrypt("statement.txt", args, to)
}

#[test]
fn rsa_envelopes_from_openssl_open_on_the_soft_token() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let mut token = Token::new();
    let id = token.import(&peer, "client");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };
    for args in [
        &["-aes-256-cbc"][..],
        &["-aes-128-cbc"],
        &["-aes-192-cbc"],
        &["-aes-256-gcm"],
    ] {
        let p7m = openssl_seal(&peer, args, "client");
        let opened = Envelope::from_der(&p7m).unwrap().open(&key).unwrap();
        assert_eq!(opened.as_slice(), STATEMENT, "{args:?}");
    }
    // RSAES-OAEP with SHA-256 (the -keyopt options follow -recip).
    peer.ok(&[
        "cms",
        "-encrypt",
        "-binary",
        "-in",
        "statement.txt",
        "-outform",
        "DER",
        "-out",
        "oaep.der",
        "-aes-256-cbc",
        "-recip",
        "client.crt",
        "-keyopt",
        "rsa_padding_mode:oaep",
        "-keyopt",
        "rsa_oaep_md:sha256",
    ]);
    let opened = Envelope::from_der(&peer.read("oaep.der"))
        .unwrap()
        .open(&key)
        .unwrap();
    assert_eq!(opened.as_slice(), STATEMENT);
}

#[test]
fn refusals_are_typed_and_release_nothing() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let other_cert = peer.key_and_cert("other", RSA_2048);
    let mut token = Token::new();
    let id = token.import(&peer, "client");
    let other_id = token.import(&peer, "other");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };

    // Not addressed to this certificate.
    let p7m = openssl_seal(&peer, &["-aes-256-gcm"], "other");
    let err = Envelope::from_der(&p7m).unwrap().open(&key).unwrap_err();
    assert_eq!(err.code(), "KC-NOT-FOUND");

    // Addressed to `other` but opened with the wrong container claiming other's certificate:
    // the RSA decryption yields a wrong key and the GCM tag refuses it.
    let wrong = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &other_cert,
    };
    let err = Envelope::from_der(&p7m).unwrap().open(&wrong).unwrap_err();
    assert_eq!(err.code(), "KC-VERIFY-FAILED", "{err}");
    let right = RecipientKey {
        carrier: &token.token,
        container: &other_id,
        certificate: &other_cert,
    };
    assert_eq!(
        Envelope::from_der(&p7m)
            .unwrap()
            .open(&right)
            .unwrap()
            .as_slice(),
        STATEMENT
    );

    // A tampered ciphertext byte under AES-GCM: refused, no plaintext.
    let p7m = openssl_seal(&peer, &["-aes-256-gcm"], "client");
    let envelope_len = p7m.len();
    let mut tampered = p7m.clone();
    // The MAC (last 16 bytes) follows the ciphertext; flip a ciphertext byte before it.
    tampered[envelope_len - 20] ^= 1;
    let err = Envelope::from_der(&tampered)
        .unwrap()
        .open(&key)
        .unwrap_err();
    assert_eq!(err.code(), "KC-VERIFY-FAILED", "{err}");

    // A truncated envelope does not parse.
    for cut in [1, 10, p7m.len() / 2, p7m.len() - 1] {
        let err = Envelope::from_der(&p7m[..cut]).unwrap_err();
        assert_eq!(err.code(), "KC-MALFORMED", "cut at {cut}: {err}");
    }

    // An unknown content cipher (AES-256-CBC's OID with the last arc changed): unsupported.
    let p7m = openssl_seal(&peer, &["-aes-256-cbc"], "client");
    let aes_oid = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
    ];
    let at = p7m
        .windows(aes_oid.len())
        .position(|w| w == aes_oid)
        .expect("the AES-256-CBC OID");
    let mut unknown = p7m.clone();
    unknown[at + aes_oid.len() - 1] = 0x7f;
    let err = Envelope::from_der(&unknown)
        .unwrap()
        .open(&key)
        .unwrap_err();
    assert_eq!(err.code(), "KC-UNSUPPORTED", "{err}");
}
