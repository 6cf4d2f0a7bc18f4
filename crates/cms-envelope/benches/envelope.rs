//! Opening and sealing envelopes of 2 KiB and 1 MiB, against OpenSSL's `CMS_decrypt` /
//! `CMS_encrypt` on the same inputs.
//!
//! The inputs are made by OpenSSL in the directory named by `KC_ENVELOPE_DIR`: for each
//! profile `P`, `P.crt`, `P.der` (the recipient's certificate), `P.pk8` (its private key, put
//! on a soft token here, so opening goes through the carrier as in production) and `P-SIZE.der`
//! (an envelope of SIZE bytes). Run it through `scripts/bench-envelope.sh`, which makes them and
//! times OpenSSL in the same run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark harness"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keycarrier_cms_envelope::{ContentCipher, Envelope, EnvelopeBuilder, RecipientKey};
use soft_token::{SoftToken, TokenSettings};
use token_core::{AdminPin, Carrier, FinalTry, KeyImport, Pin, PinPolicy, SecretBytes};

/// Profile name (as the script names the files) and our content cipher.
const PROFILES: &[(&str, ContentCipher)] = &[
    (
        "gost256-kuznyechik-omac",
        ContentCipher::KuznyechikCtrAcpkmOmac,
    ),
    (
        "gost512-kuznyechik-omac",
        ContentCipher::KuznyechikCtrAcpkmOmac,
    ),
    ("gost256-magma", ContentCipher::MagmaCtrAcpkm),
    ("gost256-gost89", ContentCipher::Gost89Cfb),
    ("rsa-aes256cbc", ContentCipher::Aes256Cbc),
    ("rsa-aes256gcm", ContentCipher::Aes256Gcm),
];

fn envelope(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("KC_ENVELOPE_DIR").map(PathBuf::from) else {
        eprintln!("KC_ENVELOPE_DIR not set: run scripts/bench-envelope.sh (nothing measured)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let settings = TokenSettings {
        kdf_iterations: 1000,
        ..TokenSettings::new("Bench")
    };
    let admin = AdminPin::new("Adm1nQw8");
    let mut token = SoftToken::create(tmp.path(), &settings, &admin).unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    token.reset_pin(&admin, &pin, FinalTry::Refuse).unwrap();
    token
        .login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)
        .unwrap();

    for (profile, cipher) in PROFILES {
        let cert = std::fs::read(dir.join(format!("{profile}.der"))).unwrap();
        let id = token
            .import(KeyImport {
                label: (*profile).into(),
                id: None,
                private_key_pkcs8: SecretBytes::from_vec(
                    std::fs::read(dir.join(format!("{profile}.pk8"))).unwrap(),
                ),
                certificates: vec![cert.clone()],
            })
            .unwrap()
            .id;
        let key = RecipientKey {
            carrier: &token,
            container: &id,
            certificate: &cert,
        };
        for size in [2048usize, 1 << 20] {
            let p7m = std::fs::read(dir.join(format!("{profile}-{size}.der"))).unwrap();
            assert_eq!(
                Envelope::from_der(&p7m).unwrap().open(&key).unwrap().len(),
                size
            );
            let content = vec![0u8; size];
            let builder = EnvelopeBuilder::new(*cipher).recipient(&cert).unwrap();
            let mut g = c.benchmark_group(format!("envelope_{profile}_{size}"));
            g.throughput(Throughput::Bytes(size as u64));
            g.bench_function("decrypt", |b| {
                b.iter(|| {
                    Envelope::from_der(black_box(&p7m))
                        .unwrap()
                        .open(&key)
                        .unwrap()
                })
            });
            g.bench_function("encrypt", |b| {
                b.iter(|| builder.seal(black_box(&content)).unwrap())
            });
            g.finish();
        }
    }
}

criterion_group!(benches, envelope);
criterion_main!(benches);
