//! Envelopes larger than a chunk, streamed both ways against OpenSSL: what `seal_stream`
//! writes (BER, indefinite lengths) `openssl cms -decrypt` opens; what `openssl cms -encrypt
//! -stream` writes (chunked, indefinite) `open_stream` opens on the soft token; a tampered
//! GCM stream leaves no output file behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Peer, RSA_2048, Token};
use keycarrier_cms_envelope::{
    ContentCipher, EnvelopeBuilder, RecipientKey, open_stream, open_to_file,
};
use token_core::ErrorCode;

/// 3 MiB + 5 bytes of varied content (not a multiple of the block or chunk size).
fn big() -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..(3 << 20) + 5)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn openssl_opens_our_streamed_envelopes() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let content = big();
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let mut p7m = Vec::new();
        let n = EnvelopeBuilder::new(cipher)
            .recipient(&cert)
            .unwrap()
            .seal_stream(content.as_slice(), &mut p7m)
            .unwrap();
        assert_eq!(n, content.len() as u64);
        peer.write("sealed.ber", &p7m);
        peer.ok(&[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "sealed.ber",
            "-inkey",
            "client.key",
            "-recip",
            "client.crt",
            "-out",
            "opened.bin",
        ]);
        assert!(peer.read("opened.bin") == content, "{cipher:?}");
    }
}

#[test]
fn we_open_openssl_streamed_envelopes_on_the_soft_token() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let mut token = Token::new();
    let id = token.import(&peer, "client");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };
    let content = big();
    peer.write("big.bin", &content);
    for cipher in ["-aes-256-cbc", "-aes-128-cbc", "-aes-256-gcm"] {
        peer.ok(&[
            "cms",
            "-encrypt",
            "-binary",
            "-stream",
            "-in",
            "big.bin",
            "-outform",
            "DER",
            "-out",
            "sealed.ber",
            cipher,
            "-recip",
            "client.crt",
        ]);
        let sealed = peer.read("sealed.ber");
        let mut opened = Vec::new();
        let n = open_stream(sealed.as_slice(), &key, &mut opened).unwrap();
        assert_eq!(n, content.len() as u64, "{cipher}");
        assert!(opened == content, "{cipher}");
        // The in-memory path reads the same BER.
        let envelope = keycarrier_cms_envelope::Envelope::from_der(&sealed).unwrap();
        assert!(
            envelope.open(&key).unwrap().as_slice() == content.as_slice(),
            "{cipher}"
        );
    }
}

#[test]
fn a_tampered_stream_leaves_no_file() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let mut token = Token::new();
    let id = token.import(&peer, "client");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };
    peer.write("big.bin", &big());
    peer.ok(&[
        "cms",
        "-encrypt",
        "-binary",
        "-stream",
        "-in",
        "big.bin",
        "-outform",
        "DER",
        "-out",
        "sealed.ber",
        "-aes-256-gcm",
        "-recip",
        "client.crt",
    ]);
    let mut sealed = peer.read("sealed.ber");
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x40;
    let target = peer.path("statement.bin");
    let err = open_to_file(sealed.as_slice(), &key, &target).unwrap_err();
    assert_eq!(err.code(), "KC-VERIFY-FAILED", "{err}");
    assert!(!target.exists(), "no plaintext released");
    let leftovers: Vec<_> = std::fs::read_dir(peer.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary file removed");

    // Truncated: a typed error too.
    let sealed = peer.read("sealed.ber");
    let err = open_to_file(&sealed[..sealed.len() - 30], &key, &target).unwrap_err();
    assert_eq!(err.code(), "KC-MALFORMED", "{err}");
    assert!(!target.exists());

    // Intact: the file appears with the content.
    open_to_file(sealed.as_slice(), &key, &target).unwrap();
    assert!(std::fs::read(&target).unwrap() == big());
}
