//! Signing through the soft token's PKCS#11 module (via `cryptoki`, as an application would)
//! against calling the signing code directly, for GOST R 34.10-2012 256 and RSA-2048.
//!
//! `cargo bench -p keycarrier-soft-token-pkcs11 --bench pkcs11` (goal: PKCS#11 ≥ 0.85× direct).
//!
//! Both sides hash and sign a 1 KiB message: PKCS#11 with CKM_GOSTR3410_WITH_GOSTR3411_12_256 /
//! CKM_SHA256_RSA_PKCS (one C_SignInit + C_Sign each), direct with `gost::SigningKey`'s
//! `Signer::try_sign` / `rsa` PKCS#1 v1.5 over SHA-256 with blinding, the code the module runs.
#![allow(
    missing_docs,
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness; unsafe only to set the module's config variable once"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::MechanismType;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::object::Attribute;
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use gost::signature::Signer;
use sha2::Digest;
use token_core::GostParamSet;

/// CKM_GOSTR3410_WITH_GOSTR3411_12_256 (TC26 vendor range).
const CKM_GOST_WITH_STREEBOG_256: u64 = 0xD432_1008;

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
    .expect("libsoft_token_pkcs11.so is missing: `cargo build --release -p keycarrier-soft-token-pkcs11`")
}

fn session(dir: &std::path::Path) -> (Pkcs11, Session) {
    let conf = dir.join("conf");
    std::fs::write(
        &conf,
        format!(
            "slot.0 = {}\nkdf_iterations = 1000\n",
            dir.join("t").display()
        ),
    )
    .unwrap();
    // SAFETY: single-threaded set-up before the module is loaded.
    unsafe { std::env::set_var("KEYCARRIER_SOFTTOKEN_CONF", &conf) };
    let p = Pkcs11::new(module_path()).unwrap();
    p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = p.get_slots_with_token().unwrap()[0];
    let so = AuthPin::new("Ad9mQ4kz".into());
    p.init_token(slot, &so, "bench").unwrap();
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&so)).unwrap();
    s.init_pin(&AuthPin::new("Rx7mQ2wz".into())).unwrap();
    s.logout().unwrap();
    s.login(UserType::User, Some(&AuthPin::new("Rx7mQ2wz".into())))
        .unwrap();
    (p, s)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (_p, s) = session(dir.path());
    let message = vec![0x5au8; 1024];

    // The GOST-256 key is made through the soft token's Rust API on the same directory:
    // cryptoki's typed API cannot express C_GenerateKeyPair with 0x1200 (below the vendor range).
    {
        use soft_token::SoftToken;
        use token_core::{
            CancelToken, Carrier, FinalTry, KeyAlgorithm, NewContainer, NoProgress, Pin,
        };
        let mut t = SoftToken::open(&dir.path().join("t"));
        t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
        t.generate(
            &NewContainer::new("gost", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    }
    let find = |label: &str, class: cryptoki::object::ObjectClass| {
        s.find_objects(&[
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
    };
    let gost_priv = find("gost", cryptoki::object::ObjectClass::PRIVATE_KEY);
    let (_, rsa_priv) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::ModulusBits(2048.into()),
                Attribute::Token(true),
                Attribute::Verify(true),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Sensitive(true),
            ],
        )
        .unwrap();

    let gost_mech = Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        MechanismType::new_vendor_defined(CKM_GOST_WITH_STREEBOG_256).unwrap(),
        None,
    ));
    let direct_gost = gost::SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
    let direct_rsa =
        rsa::RsaPrivateKey::new(&mut rand_core::UnwrapErr(getrandom::SysRng), 2048).unwrap();

    let mut g = c.benchmark_group("soft_token_sign_gost256_1KiB");
    g.bench_function("pkcs11_cryptoki", |b| {
        b.iter(|| s.sign(&gost_mech, gost_priv, black_box(&message)).unwrap())
    });
    g.bench_function("direct", |b| {
        b.iter(|| direct_gost.try_sign(black_box(&message)).unwrap())
    });
    g.finish();

    // Two sessions signing in two threads at once: one iteration = one signature on *each*
    // session. With signing outside the module lock this approaches the one-session time on a
    // machine with two free cores; under one global lock it would be twice that.
    let mut g = c.benchmark_group("soft_token_sign_gost256_1KiB_two_sessions");
    // cryptoki sessions are Send but not Sync: each thread locks its own (uncontended) mutex.
    let slot = s.get_session_info().unwrap().slot_id();
    let sessions = [
        std::sync::Mutex::new(_p.open_ro_session(slot).unwrap()),
        std::sync::Mutex::new(_p.open_ro_session(slot).unwrap()),
    ];
    g.bench_function("pkcs11_cryptoki_2_threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for session in &sessions {
                    let message = &message;
                    scope.spawn(move || {
                        let mech = &Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
                            MechanismType::new_vendor_defined(CKM_GOST_WITH_STREEBOG_256).unwrap(),
                            None,
                        ));
                        let session = session.lock().unwrap();
                        for _ in 0..iters {
                            session.sign(mech, gost_priv, black_box(message)).unwrap();
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
    drop(sessions);

    let mut g = c.benchmark_group("soft_token_sign_rsa2048_1KiB");
    g.bench_function("pkcs11_cryptoki", |b| {
        b.iter(|| {
            s.sign(&Mechanism::Sha256RsaPkcs, rsa_priv, black_box(&message))
                .unwrap()
        })
    });
    g.bench_function("direct", |b| {
        b.iter(|| {
            direct_rsa
                .sign_with_rng(
                    &mut rand_core::UnwrapErr(getrandom::SysRng),
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &sha2::Sha256::digest(black_box(&message)),
                )
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
