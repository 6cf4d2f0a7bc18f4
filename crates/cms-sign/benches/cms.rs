//! CMS SignedData sign and verify of a 2 KiB payment order, attached, GOST-256 (TC26-256-A)
//! and RSA-2048 (PKCS#1 v1.5, SHA-256).
//!
//! Keys live on a **soft token** (the path an application takes: `Carrier::sign` opens the
//! sealed PKCS#8 key for every signature), with a self-signed certificate made through the
//! token. Sign = signed attributes (contentType, signingTime, messageDigest,
//! signingCertificateV2) + the token signature + DER of the whole ContentInfo. Verify = parse,
//! message digest, signed attributes, signature with the embedded certificate's key, no trust
//! anchor (like `CMS_verify` with `CMS_NO_SIGNER_CERT_VERIFY`).
//!
//! `cargo bench -p keycarrier-cms-sign --bench cms`; `scripts/bench-cms.sh` runs it next to OpenSSL's
//! `CMS_sign` / `CMS_verify` and prints BENCHMARKS.md rows.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness"
)]

use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keycarrier_cms_sign::{CmsSigner, Content, VerifyOptions, sign, verify};
use soft_token::{SoftToken, TokenSettings};
use token_core::der::{Decode, Encode};
use token_core::x509_cert::TbsCertificate;
use token_core::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use token_core::x509_cert::ext::Extension;
use token_core::x509_cert::name::Name;
use token_core::x509_cert::serial_number::SerialNumber;
use token_core::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use token_core::x509_cert::time::Validity;
use token_core::{
    AdminPin, CancelToken, Carrier, CarrierSignature, ContainerId, ContainerSigner, FinalTry,
    GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin, PinPolicy,
};

struct SelfSigned(Name);
impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }
    fn get_subject(&self) -> Name {
        self.0.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
        Ok(vec![])
    }
}

/// A 2 KiB payment order (text, CRLF lines, as a client-bank sends it).
fn payment_order() -> Vec<u8> {
    let mut order = String::new();
    let mut n = 0;
    while order.len() < 2048 {
        order.push_str(&format!(
            "Платёжное поручение № 118, строка {n}: ИНН 7712345678 КПП 771201001 сумма 15000-00\r\n"
        ));
        n += 1;
    }
    let mut bytes = order.into_bytes();
    bytes.truncate(2048);
    bytes
}

fn key_with_cert(t: &mut SoftToken, alg: KeyAlgorithm) -> (ContainerId, Vec<u8>) {
    let id = t
        .generate(
            &NewContainer::new("bench", alg),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap()
        .id;
    let signer = ContainerSigner::new(&*t, &id).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der().unwrap()).unwrap();
    let cert = CertificateBuilder::new(
        SelfSigned(Name::from_str("CN=Bench,O=Romashka,C=RU").unwrap()),
        SerialNumber::from(7u32),
        Validity::from_now(Duration::from_secs(365 * 86400)).unwrap(),
        spki,
    )
    .unwrap()
    .build::<_, CarrierSignature>(&signer)
    .unwrap()
    .to_der()
    .unwrap();
    (id, cert)
}

fn cms(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let settings = TokenSettings {
        kdf_iterations: 1000,
        ..TokenSettings::new("bench")
    };
    // The admin PIN is not the vendor default: the soft token makes no keys until that is changed.
    let admin = AdminPin::new("Adm1nQw8");
    let mut t = SoftToken::create(dir.path(), &settings, &admin).unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    t.reset_pin(&admin, &pin, FinalTry::Refuse).unwrap();
    t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    let order = payment_order();
    for (name, alg) in [
        ("gost256", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
        ("rsa2048", KeyAlgorithm::Rsa { bits: 2048 }),
    ] {
        let (id, cert) = key_with_cert(&mut t, alg);
        let signer = CmsSigner::new(&t, &id, &cert).unwrap();
        let signed = sign(&order, &signer, Content::Attached).unwrap();
        let opts = VerifyOptions::signatures_only();
        assert!(verify(&signed, None, &opts).unwrap().all_valid());
        let mut g = c.benchmark_group(format!("cms_{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("sign", |b| {
            b.iter(|| sign(black_box(&order), &signer, Content::Attached).unwrap())
        });
        g.bench_function("verify", |b| {
            b.iter(|| {
                let v = verify(black_box(&signed), None, &opts).unwrap();
                assert!(v.all_valid());
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = cms
}
criterion_main!(benches);
