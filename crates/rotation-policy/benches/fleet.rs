//! Fleet evaluation throughput: certificates per second on one core (goal ≥ 100 000/s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::io::BufReader;
use std::time::SystemTime;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csr::{RequestTemplate, RequestedExtensions};
use keycarrier_rotation_policy::Policy;
use keycarrier_rotation_policy::fleet::{self, CertificateDates, PemCertificates};
use token_core::{ContainerSigner, GostParamSet, KeyAlgorithm};

const N: usize = 10_000;

fn fleet(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);
    let ca = common::test_ca(&dir.path().join("ca"), alg, now);
    let mut t = common::token(&dir.path().join("client"), "client");
    let id = common::generate(&mut t, "k", alg);
    let req = RequestTemplate::new(
        common::employee(),
        RequestedExtensions::signing_and_encryption("keycarrier"),
    )
    .sign(&ContainerSigner::new(&t, &id).unwrap())
    .unwrap();
    // 16 distinct certificates with spread expiry dates, repeated to N.
    let certs: Vec<Vec<u8>> = (0..16u32)
        .map(|i| {
            let not_after = now + common::DAY * (i * 23);
            ca.issue(req.as_der(), not_after - common::DAY * 365, not_after)
                .unwrap()
        })
        .collect();
    let ders: Vec<Vec<u8>> = certs.iter().cycle().take(N).cloned().collect();
    let mut bundle = String::new();
    for der in &ders {
        bundle.push_str(
            &token_core::der::pem::encode_string(
                "CERTIFICATE",
                token_core::der::pem::LineEnding::LF,
                der,
            )
            .unwrap(),
        );
    }
    let policy = Policy::default();
    let mut g = c.benchmark_group("fleet");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("der_to_decision", |b| {
        b.iter(|| {
            let summary = fleet::evaluate(&policy, ders.iter().map(|d| Ok(d.clone())), now, |r| {
                black_box(r.is_ok());
            });
            black_box(summary)
        })
    });
    g.bench_function("parse_only", |b| {
        b.iter(|| {
            for d in &ders {
                black_box(CertificateDates::from_der(d).unwrap().not_after);
            }
        })
    });
    // Anchor: the full X.509 parse token-core does for one container (CertificateInfo).
    g.bench_function("anchor_full_parse_to_decision", |b| {
        b.iter(|| {
            for d in &ders {
                let info = token_core::CertificateInfo::from_der(d).unwrap();
                black_box(policy.decide(
                    &keycarrier_rotation_policy::KeyFacts::from_certificate(&info),
                    now,
                ));
            }
        })
    });
    g.bench_function("pem_bundle_to_decision", |b| {
        b.iter(|| {
            let summary = fleet::evaluate(
                &policy,
                PemCertificates::new(BufReader::new(bundle.as_bytes())),
                now,
                |r| {
                    black_box(r.is_ok());
                },
            );
            black_box(summary)
        })
    });
    g.finish();
}

criterion_group!(benches, fleet);
criterion_main!(benches);
