//! Where to hash a large document before signing: on the host (Streebog here, then
//! CKM_GOSTR3410 with the 32-byte digest) or on the token (CKM_GOSTR3410_WITH_GOSTR3411_12_256
//! fed the whole document). 1 MiB, GOST R 34.10-2012 256, on keycarrier's soft-token module.
//!
//! `cargo build --release -p keycarrier-soft-token-pkcs11 && cargo bench -p keycarrier-pkcs11-backend --bench hash_location`
#![allow(
    missing_docs,
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark harness; unsafe only to set the module's configuration variable once"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keycarrier_pkcs11_backend::{CarrierOptions, Module};
use token_core::{
    AdminPin, CancelToken, Carrier, FinalTry, GostParamSet, KeyAlgorithm, NewContainer, NoProgress,
    Pin, PinPolicy, SignRequest, SignatureScheme,
};

fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("libsoft_token_pkcs11.so"),
        deps.parent().unwrap().join("libsoft_token_pkcs11.so"),
    ]
    .into_iter()
    .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
    .max()
    .map(|(_, p)| p)
    .expect(
        "libsoft_token_pkcs11.so is missing: cargo build --release -p keycarrier-soft-token-pkcs11",
    )
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::write(
        &conf,
        format!(
            "slot.0 = {}\nkdf_iterations = 1000\n",
            dir.path().join("t").display()
        ),
    )
    .unwrap();
    // SAFETY: single-threaded set-up, before the module is loaded.
    unsafe { std::env::set_var("KEYCARRIER_SOFTTOKEN_CONF", &conf) };
    let module = Module::open(module_path()).unwrap();
    let slot = module.slots().unwrap()[0].slot;
    let mut host = module.carrier(slot).unwrap();
    host.wipe(&AdminPin::new("Ad9mQ4kz"), Some("bench"))
        .unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    host.reset_pin(&AdminPin::new("Ad9mQ4kz"), &pin, FinalTry::Refuse)
        .unwrap();
    host.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    let key = host
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let on_token = module.carrier(slot).unwrap().with_options(CarrierOptions {
        hash_on_token: true,
        ..CarrierOptions::default()
    });
    let document = vec![0x5au8; 1 << 20];
    let request = SignRequest::message(&key.id, SignatureScheme::Gost256, &document);

    let mut g = c.benchmark_group("gost256_sign_1MiB_soft_token");
    g.throughput(Throughput::Bytes(document.len() as u64));
    g.sample_size(20);
    g.bench_function("host_hash", |b| {
        b.iter(|| host.sign(black_box(&request)).unwrap())
    });
    g.bench_function("token_hash", |b| {
        b.iter(|| on_token.sign(black_box(&request)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
