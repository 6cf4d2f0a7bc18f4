//! RSA envelopes against OpenSSL, the independent peer: what we seal, `openssl cms -decrypt`
//! opens to the same bytes; what `openssl cms -encrypt` seals, we parse, name the recipient and
//! the cipher of.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Peer, RSA_2048};
use keycarrier_cms_envelope::{ContentCipher, Envelope, EnvelopeBuilder, KeyProtection};
use token_core::{OaepHash, RsaKeyTransport};

const STATEMENT: &[u8] =
    b"Account statement 40702810900000000001, March: closing balance 1 250 000.00 RUB\n";

#[test]
fn openssl_opens_what_we_seal_for_every_rsa_profile() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let profiles = [
        (ContentCipher::Aes128Cbc, RsaKeyTransport::Pkcs1v15),
        (ContentCipher::Aes192Cbc, RsaKeyTransport::Pkcs1v15),
        (ContentCipher::Aes256Cbc, RsaKeyTransport::Pkcs1v15),
        (
            ContentCipher::Aes256Cbc,
            RsaKeyTransport::Oaep(OaepHash::Sha1),
        ),
        (
            ContentCipher::Aes256Cbc,
            RsaKeyTransport::Oaep(OaepHash::Sha256),
        ),
        (
            ContentCipher::Aes256Gcm,
            RsaKeyTransport::Oaep(OaepHash::Sha512),
        ),
        (ContentCipher::Aes256Gcm, RsaKeyTransport::Pkcs1v15),
    ];
    for (cipher, padding) in profiles {
        let p7m = EnvelopeBuilder::new(cipher)
            .rsa_padding(padding)
            .recipient(&cert)
            .unwrap()
            .seal(STATEMENT)
            .unwrap();
        peer.write("sealed.der", &p7m);
        let out = peer.ok(&[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "sealed.der",
            "-inkey",
            "client.key",
            "-recip",
            "client.crt",
        ]);
        assert_eq!(out, STATEMENT, "{cipher:?} / {padding:?}");
    }
}

#[test]
fn several_recipients_each_open_the_same_envelope() {
    let peer = Peer::new();
    let a = peer.key_and_cert("a", RSA_2048);
    let b = peer.key_and_cert("b", RSA_2048);
    let p7m = EnvelopeBuilder::new(ContentCipher::Aes256Cbc)
        .recipient(&a)
        .unwrap()
        .recipient(&b)
        .unwrap()
        .seal(STATEMENT)
        .unwrap();
    peer.write("sealed.der", &p7m);
    for who in ["a", "b"] {
        let out = peer.cms_decrypt("sealed.der", who);
        assert_eq!(out, STATEMENT, "recipient {who}");
    }
    let envelope = Envelope::from_der(&p7m).unwrap();
    assert_eq!(envelope.recipients().len(), 2);
    assert!(envelope.recipient_for(&a).is_ok());
    assert!(envelope.recipient_for(&b).is_ok());
}

#[test]
fn we_read_what_openssl_seals() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let other = peer.key_and_cert("other", RSA_2048);
    peer.write("statement.txt", STATEMENT);
    let cases: [(&[&str], ContentCipher, KeyProtection); 4] = [
        (
            &["-aes-256-cbc"],
            ContentCipher::Aes256Cbc,
            KeyProtection::Rsa(RsaKeyTransport::Pkcs1v15),
        ),
        (
            &["-aes-128-cbc"],
            ContentCipher::Aes128Cbc,
            KeyProtection::Rsa(RsaKeyTransport::Pkcs1v15),
        ),
        (
            &["-aes-256-gcm"],
            ContentCipher::Aes256Gcm,
            KeyProtection::Rsa(RsaKeyTransport::Pkcs1v15),
        ),
        (
            &[
                "-aes-256-cbc",
                "-recip",
                "client.crt",
                "-keyopt",
                "rsa_padding_mode:oaep",
                "-keyopt",
                "rsa_oaep_md:sha256",
            ],
            ContentCipher::Aes256Cbc,
            KeyProtection::Rsa(RsaKeyTransport::Oaep(OaepHash::Sha256)),
        ),
    ];
    for (args, cipher, protection) in cases {
        let mut a = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            "statement.txt",
            "-outform",
            "DER",
            "-out",
            "sealed.der",
        ];
        a.extend_from_slice(args);
        if !args.contains(&"-recip") {
            a.extend_from_slice(&["-recip", "client.crt"]);
        }
        peer.ok(&a);
        let envelope = Envelope::from_der(&peer.read("sealed.der")).unwrap();
        assert_eq!(envelope.content_cipher().unwrap(), cipher, "{args:?}");
        assert_eq!(
            envelope.recipient_for(&cert).unwrap().protection,
            protection
        );
        let not_for_other = envelope.recipient_for(&other).unwrap_err();
        assert_eq!(token_core::ErrorCode::code(&not_for_other), "KC-NOT-FOUND");
    }
}
