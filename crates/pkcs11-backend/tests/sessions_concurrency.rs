//! Sessions: many threads signing on one token through one shared carrier, and a token deleted
//! under open sessions.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Instant;

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use sha2::{Digest, Sha256};
use token_core::{
    CancelToken, Carrier, ErrorCode, KeyAlgorithm, NewContainer, NoProgress, SignRequest,
    SignatureScheme,
};

const THREADS: usize = 8;
const PER_THREAD: usize = 1000;

#[test]
fn eight_threads_sign_concurrently_and_every_signature_verifies() {
    let _g = common::serial();
    let (mut c, serial) = common::logged_in("threads");
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let carrier = &c;
    let start = Instant::now();
    let results: Vec<Vec<(Vec<u8>, Vec<u8>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let id = &key.id;
                s.spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| {
                            let msg = format!("thread {t} document {i}").into_bytes();
                            let sig = carrier
                                .sign(&SignRequest::message(
                                    id,
                                    SignatureScheme::RsaPkcs1Sha256,
                                    &msg,
                                ))
                                .unwrap();
                            (msg, sig)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "{} signatures in {:?} on {THREADS} threads",
        THREADS * PER_THREAD,
        start.elapsed()
    );
    // Verify every signature on the token with its public key (C_Verify, CKM_SHA256_RSA_PKCS),
    // through a session of our own.
    let m = common::module();
    let slot = cryptoki::slot::Slot::try_from(carrier.slot()).unwrap();
    let session = m.context().open_ro_session(slot).unwrap();
    let public = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Id(key.id.as_bytes().to_vec()),
        ])
        .unwrap()[0];
    let mut n = 0;
    for thread in &results {
        for (msg, sig) in thread {
            session
                .verify(&Mechanism::Sha256RsaPkcs, public, msg, sig)
                .unwrap();
            n += 1;
        }
    }
    assert_eq!(n, THREADS * PER_THREAD);
    // One per thread also with OpenSSL.
    let dir = common::scratch("threads");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(
        p("pub.pem"),
        common::spki_pem(&key.public_key.to_der().unwrap()),
    )
    .unwrap();
    for thread in &results {
        let (msg, sig) = &thread[PER_THREAD - 1];
        std::fs::write(p("msg"), msg).unwrap();
        std::fs::write(p("sig"), sig).unwrap();
        let out = common::openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &p("pub.pem"),
            "-signature",
            &p("sig"),
            &p("msg"),
        ]);
        assert!(out.status.success());
    }
    // Signing a digest gives the same bytes as signing the message.
    let (msg, sig) = &results[0][0];
    let digest = Sha256::digest(msg);
    let again = carrier
        .sign(&SignRequest::digest(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            &digest,
        ))
        .unwrap();
    assert_eq!(&again, sig);
    let _ = serial;
}

#[test]
fn token_deleted_under_open_sessions_gives_typed_errors() {
    let _g = common::serial();
    let (mut c, serial) = common::logged_in("doomed");
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let msg = b"x";
    c.sign(&SignRequest::message(
        &key.id,
        SignatureScheme::RsaPkcs1Sha256,
        msg,
    ))
    .unwrap();
    let out = std::process::Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", common::conf())
        .args(["--delete-token", "--serial", &serial])
        .output()
        .expect("softhsm2-util is required: apt-get install softhsm2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .map(|_| ())
        .unwrap_err();
    eprintln!("sign after deletion: {e:?}");
    let e2 = c.containers().map(|_| ()).unwrap_err();
    eprintln!("containers after deletion: {e2:?}");
    let e3 = c.info().map(|_| ()).unwrap_err();
    eprintln!("info after deletion: {e3:?}");
    for e in [e, e2, e3] {
        assert_eq!(e.code(), "KC-CARRIER-REMOVED", "{e:?}");
    }
}
