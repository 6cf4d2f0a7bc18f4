//! RSA-2048 PKCS#1 v1.5 signing on SoftHSM: through `Pkcs11Carrier::sign` (session pool, key
//! cache, typed errors) against a bare `cryptoki` session calling `C_Sign` on the same key.
//! The goal is ≥ 0.95× the bare throughput.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use keycarrier_pkcs11_backend::hazmat;
use sha2::{Digest, Sha256};
use std::hint::black_box;
use token_core::{
    CancelToken, Carrier, KeyAlgorithm, NewContainer, NoProgress, SignRequest, SignatureScheme,
};

fn bench(c: &mut Criterion) {
    let _g = common::serial();
    let (mut carrier, _) = common::logged_in("bench");
    let key = carrier
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let digest = Sha256::digest(b"payment order 118");
    let slot = cryptoki::slot::Slot::try_from(carrier.slot()).unwrap();
    let session = hazmat::context(&common::module())
        .open_ro_session(slot)
        .unwrap();
    let private = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(key.id.as_bytes().to_vec()),
        ])
        .unwrap()[0];
    // DigestInfo for SHA-256: the DER prefix of RFC 8017 §9.2, note 1, then the digest.
    let mut digest_info = vec![
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    digest_info.extend_from_slice(&digest);
    let mut group = c.benchmark_group("rsa2048_pkcs1_sign_softhsm");
    group.sample_size(50);
    group.bench_function("raw_cryptoki", |b| {
        b.iter(|| {
            session
                .sign(&Mechanism::RsaPkcs, private, black_box(&digest_info))
                .unwrap()
        })
    });
    group.bench_function("pkcs11_backend", |b| {
        b.iter(|| {
            carrier
                .sign(&SignRequest::digest(
                    &key.id,
                    SignatureScheme::RsaPkcs1Sha256,
                    black_box(&digest),
                ))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
