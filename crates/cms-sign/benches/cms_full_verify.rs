//! The whole trust decision for one document: a GOST 2012-256 SignedData over a 2 KiB payment
//! order, verified with its signer's path to the root (signer -> intermediate CA -> root, the
//! only trust anchor) and a CRL of each CA checked for every certificate.
//!
//! The inputs are made by OpenSSL (the peer it is compared with) in the directory named by
//! `KC_FULL_VERIFY_DIR`: `order.p7s` (DER), `root.pem`, `crls.pem` (both CRLs). Run it through
//! `scripts/bench-full-verify.sh`, which builds them and times OpenSSL's `CMS_verify` with
//! `X509_V_FLAG_CRL_CHECK_ALL` in the same run.
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
use keycarrier_cms_sign::{VerifyOptions, verify};
use trust::{OfflineRevocation, TrustAnchors};

fn full_verify(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("KC_FULL_VERIFY_DIR").map(PathBuf::from) else {
        eprintln!(
            "KC_FULL_VERIFY_DIR not set: run scripts/bench-full-verify.sh (nothing measured)"
        );
        return;
    };
    let cms = std::fs::read(dir.join("order.p7s")).unwrap();
    let mut anchors = TrustAnchors::new();
    anchors
        .add_pem_or_der(&std::fs::read(dir.join("root.pem")).unwrap())
        .unwrap();
    let crls_pem = std::fs::read_to_string(dir.join("crls.pem")).unwrap();
    let mut crls = OfflineRevocation::new();
    for block in crls_pem.split_inclusive("-----END X509 CRL-----\n") {
        if block.contains("BEGIN X509 CRL") {
            crls.add_crl(block.as_bytes()).unwrap();
        }
    }
    let options = VerifyOptions::trusting(&anchors).with_revocation(&crls);
    let v = verify(&cms, None, &options).unwrap();
    assert_eq!(v.signers[0].path.as_ref().unwrap().certificates.len(), 3);
    let mut g = c.benchmark_group("cms_full_verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("gost256_3cert_crl", |b| {
        b.iter(|| verify(black_box(&cms), None, &options).unwrap())
    });
    g.finish();
}

criterion_group!(benches, full_verify);
criterion_main!(benches);
