//! Sign / verify per curve and Streebog throughput.
//!
//! `cargo bench -p keycarrier-gost` (compare with the OpenSSL + gost engine anchors in the crate README
//! or the integration report).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use digest::Digest;
use keycarrier_gost::signature::hazmat::{PrehashSigner, PrehashVerifier};
use keycarrier_gost::{ParamSet, SigningKey};
use std::hint::black_box;

/// Keys cycled through by `verify-first-use`: well above the 64 keys `gost` remembers per
/// curve, so no key is found in its cache.
const FIRST_USE_KEYS: usize = 160;

fn sign_verify(c: &mut Criterion) {
    let sets = [
        ParamSet::Tc26_256A,
        ParamSet::Tc26_256B,
        ParamSet::Tc26_256C,
        ParamSet::Tc26_256D,
        ParamSet::Tc26_512A,
        ParamSet::Tc26_512B,
        ParamSet::Tc26_512C,
    ];
    for set in sets {
        let key = SigningKey::generate(set).unwrap();
        let vk = key.verifying_key().clone();
        let digest = keycarrier_gost::digest(vk.hash_algorithm(), b"benchmark message");
        let sig = key.sign_prehash(&digest).unwrap();
        // Warm the fixed-base tables.
        vk.verify_prehash(&digest, &sig).unwrap();
        let mut g = c.benchmark_group(format!("{set}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("sign", |b| {
            b.iter(|| key.sign_prehash(black_box(&digest)).unwrap())
        });
        // The same key again and again: from its second use on, `gost` keeps split tables
        // for it (a bank verifying many documents of the same clients).
        g.bench_function("verify", |b| {
            b.iter(|| {
                vk.verify_prehash(black_box(&digest), black_box(&sig))
                    .unwrap()
            })
        });
        // A different key every time, more keys than `gost` remembers: the first-use cost.
        let others: Vec<_> = (0..FIRST_USE_KEYS)
            .map(|_| {
                let k = SigningKey::generate(set).unwrap();
                let s = k.sign_prehash(&digest).unwrap();
                (k.verifying_key().clone(), s)
            })
            .collect();
        let mut next = others.iter().cycle();
        g.bench_function("verify-first-use", |b| {
            b.iter(|| {
                let (vk, sig) = next.next().unwrap();
                vk.verify_prehash(black_box(&digest), black_box(sig))
                    .unwrap()
            })
        });
        g.finish();
    }
}

fn streebog(c: &mut Criterion) {
    for size in [8 * 1024usize, 1024 * 1024] {
        let data = vec![0xa5u8; size];
        let mut g = c.benchmark_group(format!("streebog/{size}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("256", |b| {
            b.iter(|| keycarrier_gost::streebog256(black_box(&data)))
        });
        g.bench_function("512", |b| {
            b.iter(|| keycarrier_gost::streebog512(black_box(&data)))
        });
        // RustCrypto's `streebog` (what the workspace used before), for the ratio.
        g.bench_function("rustcrypto-256", |b| {
            b.iter(|| streebog::Streebog256::digest(black_box(&data)))
        });
        g.bench_function("rustcrypto-512", |b| {
            b.iter(|| streebog::Streebog512::digest(black_box(&data)))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = sign_verify, streebog
}
criterion_main!(benches);
