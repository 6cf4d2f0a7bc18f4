//! GOST envelopes against independent peers: the TC26 examples of R 1323565.1.025-2019
//! (`../shared/vectors/tc26-cms`: key transport a231/a241, key agreement a211/a221) opened on
//! the soft token; `openssl cms -encrypt` with the gost engine (every TC26 cipher and the older
//! `-gost89` profile, to GOST 2012 256- and 512-bit certificates) opened on the soft token; and
//! what we seal opened by `openssl cms -decrypt`.
//!
//! Debian's gost engine 3.0.1 breaks its own CTR-ACPKM past the first section (1 KiB Magma,
//! 4 KiB Kuznyechik; see `../shared/vectors/README.md`), so OpenSSL is a peer only below that.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{GOST_256, GOST_512, Peer, Token};
use keycarrier_cms_envelope::{ContentCipher, Envelope, EnvelopeBuilder, RecipientKey};
use token_core::ErrorCode;

fn vectors() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/tc26-cms");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/vectors/tc26-cms is missing (CI must have it)"
    );
    eprintln!("SKIPPED LOUDLY: ../shared/vectors/tc26-cms is missing on this machine");
    None
}

/// The TC26 examples: each opens to the first 47 bytes of `plain/text_decrypted.plain` (the
/// file has a trailing newline the envelopes do not).
#[test]
fn tc26_examples_open_on_the_soft_token() {
    let Some(dir) = vectors() else { return };
    let peer = Peer::new();
    let mut token = Token::new();
    let mut ids = Vec::new();
    for bits in ["256", "512"] {
        let key = std::fs::read(dir.join(format!("recipient{bits}_key.pem"))).unwrap();
        let cert_pem =
            std::fs::read_to_string(dir.join(format!("recipient{bits}_cert.pem"))).unwrap();
        let (_, cert) = pem_rfc7468::decode_vec(cert_pem.trim().as_bytes()).unwrap();
        peer.write(&format!("r{bits}.key"), &key);
        peer.write(&format!("r{bits}.der"), &cert);
        ids.push((bits, token.import(&peer, &format!("r{bits}")), cert));
    }
    let expected = std::fs::read(dir.join("plain/text_decrypted.plain")).unwrap();
    let expected = &expected[..47];
    for (file, bits) in [
        ("encrypted_keytrans_a231.pem", "256"),
        ("encrypted_keytrans_a241.pem", "512"),
        ("encrypted_keyagree_a211.pem", "512"),
        ("encrypted_keyagree_a221.pem", "256"),
    ] {
        let (_, id, cert) = ids.iter().find(|(b, _, _)| *b == bits).unwrap();
        let pem = std::fs::read_to_string(dir.join(file)).unwrap();
        let envelope = Envelope::from_pem(&pem).unwrap();
        let key = RecipientKey {
            carrier: &token.token,
            container: id,
            certificate: cert,
        };
        let opened = if file.ends_with("a221.pem") {
            // A static sender key, named by certificate: the sender's certificate is needed.
            assert_eq!(envelope.open(&key).unwrap_err().code(), "KC-NOT-FOUND");
            let root = std::fs::read_to_string(dir.join("root256_cert.pem")).unwrap();
            let (_, root) = pem_rfc7468::decode_vec(root.trim().as_bytes()).unwrap();
            assert_eq!(
                envelope.open_from_sender(&key, &root).unwrap_err().code(),
                "KC-CERT-MISMATCH"
            );
            let sender = std::fs::read_to_string(dir.join("sender256_cert.pem")).unwrap();
            let (_, sender) = pem_rfc7468::decode_vec(sender.trim().as_bytes()).unwrap();
            envelope.open_from_sender(&key, &sender)
        } else {
            envelope.open(&key)
        };
        let opened = opened.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(opened.as_slice(), expected, "{file}");
    }
}

const CIPHERS: [(&str, ContentCipher); 5] = [
    ("kuznyechik-ctr-acpkm", ContentCipher::KuznyechikCtrAcpkm),
    (
        "kuznyechik-ctr-acpkm-omac",
        ContentCipher::KuznyechikCtrAcpkmOmac,
    ),
    ("magma-ctr-acpkm", ContentCipher::MagmaCtrAcpkm),
    ("magma-ctr-acpkm-omac", ContentCipher::MagmaCtrAcpkmOmac),
    ("gost89", ContentCipher::Gost89Cfb),
];

/// Content under one ACPKM section of either cipher (the engine's limit), not block-aligned.
fn content() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn openssl_gost_envelopes_open_on_the_soft_token() {
    let peer = Peer::new();
    let mut token = Token::new();
    let c256 = peer.key_and_cert("g256", GOST_256);
    let c512 = peer.key_and_cert("g512", GOST_512);
    let i256 = token.import(&peer, "g256");
    let i512 = token.import(&peer, "g512");
    let text = content();
    peer.write("doc.bin", &text);
    for (name, cipher) in CIPHERS {
        for (who, cert, id) in [("g256", &c256, &i256), ("g512", &c512, &i512)] {
            peer.ok(&[
                "cms",
                "-encrypt",
                "-binary",
                "-in",
                "doc.bin",
                "-outform",
                "DER",
                "-out",
                "doc.p7m",
                &format!("-{name}"),
                &format!("{who}.crt"),
            ]);
            let envelope = Envelope::from_der(&peer.read("doc.p7m")).unwrap();
            assert_eq!(envelope.content_cipher().unwrap(), cipher);
            let key = RecipientKey {
                carrier: &token.token,
                container: id,
                certificate: cert,
            };
            let opened = envelope
                .open(&key)
                .unwrap_or_else(|e| panic!("{name} {who}: {e}"));
            assert!(opened.as_slice() == text.as_slice(), "{name} {who}");
        }
    }
}

#[test]
fn openssl_opens_what_we_seal_to_gost_certificates() {
    let peer = Peer::new();
    let c256 = peer.key_and_cert("g256", GOST_256);
    let c512 = peer.key_and_cert("g512", GOST_512);
    let text = content();
    for (name, cipher) in CIPHERS {
        // Both recipients in one envelope.
        let p7m = EnvelopeBuilder::new(cipher)
            .recipient(&c256)
            .unwrap()
            .recipient(&c512)
            .unwrap()
            .seal(&text)
            .unwrap();
        peer.write("sealed.der", &p7m);
        for who in ["g256", "g512"] {
            let out = peer.cms_decrypt("sealed.der", who);
            assert!(out == text, "{name} to {who}");
        }
    }
}

#[test]
fn a_tampered_omac_or_ciphertext_releases_nothing() {
    let peer = Peer::new();
    let mut token = Token::new();
    let cert = peer.key_and_cert("g256", GOST_256);
    let id = token.import(&peer, "g256");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };
    let text = content();
    for cipher in [
        ContentCipher::KuznyechikCtrAcpkmOmac,
        ContentCipher::MagmaCtrAcpkmOmac,
    ] {
        let p7m = EnvelopeBuilder::new(cipher)
            .recipient(&cert)
            .unwrap()
            .seal(&text)
            .unwrap();
        assert!(
            Envelope::from_der(&p7m)
                .unwrap()
                .open(&key)
                .unwrap()
                .as_slice()
                == text.as_slice()
        );
        // The OMAC attribute's value is the last bytes of the envelope; then a ciphertext byte.
        for at in [p7m.len() - 1, p7m.len() - 60] {
            let mut bad = p7m.clone();
            bad[at] ^= 0x01;
            let err = Envelope::from_der(&bad).unwrap().open(&key).unwrap_err();
            assert_eq!(err.code(), "KC-VERIFY-FAILED", "{cipher:?} at {at}: {err}");
            let mut sink = Vec::new();
            let err =
                keycarrier_cms_envelope::open_stream(bad.as_slice(), &key, &mut sink).unwrap_err();
            assert_eq!(
                err.code(),
                "KC-VERIFY-FAILED",
                "{cipher:?} stream at {at}: {err}"
            );
        }
    }
    // A GOST envelope for somebody else.
    let other = peer.key_and_cert("other", GOST_256);
    let p7m = EnvelopeBuilder::new(ContentCipher::KuznyechikCtrAcpkmOmac)
        .recipient(&other)
        .unwrap()
        .seal(&text)
        .unwrap();
    let err = Envelope::from_der(&p7m).unwrap().open(&key).unwrap_err();
    assert_eq!(err.code(), "KC-NOT-FOUND");
    // The right recipient entry, the wrong key on the carrier: KImp15's MAC refuses.
    let wrong = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &other,
    };
    let err = Envelope::from_der(&p7m).unwrap().open(&wrong).unwrap_err();
    assert_eq!(err.code(), "KC-VERIFY-FAILED", "{err}");
}

#[test]
fn large_gost_envelopes_stream_both_ways() {
    let peer = Peer::new();
    let mut token = Token::new();
    let cert = peer.key_and_cert("g512", GOST_512);
    let id = token.import(&peer, "g512");
    let key = RecipientKey {
        carrier: &token.token,
        container: &id,
        certificate: &cert,
    };
    let big: Vec<u8> = (0..(2u32 << 20) + 3).map(|i| (i % 253) as u8).collect();
    for cipher in [
        ContentCipher::KuznyechikCtrAcpkmOmac,
        ContentCipher::MagmaCtrAcpkm,
        ContentCipher::Gost89Cfb,
    ] {
        let mut p7m = Vec::new();
        EnvelopeBuilder::new(cipher)
            .recipient(&cert)
            .unwrap()
            .seal_stream(big.as_slice(), &mut p7m)
            .unwrap();
        let mut out = Vec::new();
        open_stream_ok(&p7m, &key, &mut out);
        assert!(out == big, "{cipher:?}");
        // The in-memory path reads the streamed (BER) form too, and agrees.
        let opened = Envelope::from_der(&p7m).unwrap().open(&key).unwrap();
        assert!(opened.as_slice() == big.as_slice(), "{cipher:?}");
    }
    // GOST 28147-89 is not limited by the engine's ACPKM bug: OpenSSL opens 2 MiB.
    let mut p7m = Vec::new();
    EnvelopeBuilder::new(ContentCipher::Gost89Cfb)
        .recipient(&cert)
        .unwrap()
        .seal_stream(big.as_slice(), &mut p7m)
        .unwrap();
    peer.write("big.ber", &p7m);
    peer.ok(&[
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "big.ber", "-inkey", "g512.key",
        "-recip", "g512.crt", "-out", "big.out",
    ]);
    assert!(peer.read("big.out") == big);
}

fn open_stream_ok(p7m: &[u8], key: &RecipientKey<'_>, out: &mut Vec<u8>) {
    keycarrier_cms_envelope::open_stream(p7m, key, out).unwrap();
}
