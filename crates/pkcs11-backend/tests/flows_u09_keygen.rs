//! U09: key generation on the token — safe templates, progress, cancel, GOST refused where the
//! token has no GOST mechanism (SoftHSM as packaged by Debian).
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};

use token_core::{
    CancelToken, Carrier, ErrorCode, GostParamSet, KeyAlgorithm, NewContainer, NoProgress,
    Progress, Stage,
};

fn object_count(c: &keycarrier_pkcs11_backend::Pkcs11Carrier) -> usize {
    // Containers plus anything left under a temporary id would show up here.
    c.containers().unwrap().len()
}

#[test]
fn u09_rsa_sizes_with_progress() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U09 rsa");
    for bits in [2048u32, 3072] {
        let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
        let sink_seen = seen.clone();
        let mut sink = move |p: Progress| sink_seen.lock().unwrap().push(p);
        let info = c
            .generate(
                &NewContainer::new(format!("RSA {bits}"), KeyAlgorithm::Rsa { bits }),
                &mut sink,
                &CancelToken::new(),
            )
            .unwrap();
        assert_eq!(info.algorithm, KeyAlgorithm::Rsa { bits });
        assert!(info.has_private_key && info.sensitive && !info.extractable);
        let stages: Vec<Stage> = seen.lock().unwrap().iter().map(|p| p.stage).collect();
        assert_eq!(
            stages,
            [
                Stage::Preparing,
                Stage::Generating,
                Stage::Storing,
                Stage::Done
            ]
        );
        let pct: Vec<u8> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| p.percent)
            .collect();
        assert!(pct.windows(2).all(|w| w[0] <= w[1]), "{pct:?}");
    }
    // Unsupported sizes are refused before the token is asked.
    let e = c
        .generate(
            &NewContainer::new("x", KeyAlgorithm::Rsa { bits: 1024 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap_err();
    assert_eq!(e.code(), "KC-UNSUPPORTED");
    assert_eq!(object_count(&c), 2);
}

#[test]
fn u09_explicit_id_and_duplicate() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U09 id");
    let mut spec = NewContainer::new("given id", KeyAlgorithm::Rsa { bits: 2048 });
    spec.id = Some("c0ffee".parse().unwrap());
    let info = c
        .generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap();
    assert_eq!(info.id.to_string(), "c0ffee");
    let e = c
        .generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap_err();
    assert_eq!(e.code(), "KC-EXISTS");
    // The refused second key left nothing behind.
    assert_eq!(object_count(&c), 1);
}

#[test]
fn u09_cancel_before_and_during_generation_leaves_nothing() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U09 cancel");
    let spec = NewContainer::new("cancelled", KeyAlgorithm::Rsa { bits: 2048 });
    // Cancelled before the start.
    let cancel = CancelToken::new();
    cancel.cancel();
    assert_eq!(
        c.generate(&spec, &mut NoProgress, &cancel)
            .unwrap_err()
            .code(),
        "KC-CANCELLED"
    );
    // Cancelled while the token generates (the GUI button pressed once "Generating" shows):
    // C_GenerateKeyPair runs to its end, then the objects are deleted.
    let cancel = CancelToken::new();
    let button = cancel.clone();
    let mut sink = move |p: Progress| {
        if p.stage == Stage::Generating {
            button.cancel();
        }
    };
    assert_eq!(
        c.generate(&spec, &mut sink, &cancel).unwrap_err().code(),
        "KC-CANCELLED"
    );
    assert_eq!(object_count(&c), 0);
    // pkcs11-tool agrees: no key objects on the token.
    let out = common::pkcs11_tool(&[
        "--list-objects",
        "--token-label",
        "U09 cancel",
        "--login",
        "--pin",
        common::USER_PIN,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        !text.contains("Private Key Object") && !text.contains("Public Key Object"),
        "{text}"
    );
}

#[test]
fn u09_gost_is_refused_cleanly_without_gost_mechanisms() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U09 gost");
    for set in [
        GostParamSet::Tc26_256A,
        GostParamSet::CryptoProA,
        GostParamSet::Tc26_512A,
    ] {
        let e = c
            .generate(
                &NewContainer::new("gost", KeyAlgorithm::Gost(set)),
                &mut NoProgress,
                &CancelToken::new(),
            )
            .unwrap_err();
        assert_eq!(e.code(), "KC-UNSUPPORTED", "{set}: {e}");
    }
    assert_eq!(object_count(&c), 0);
}
