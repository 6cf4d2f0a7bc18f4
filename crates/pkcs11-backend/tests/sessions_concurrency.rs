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
use keycarrier_pkcs11_backend::hazmat;
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
    let session = hazmat::context(&m).open_ro_session(slot).unwrap();
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

/// Every session of the application closed behind the carrier's back (as a module does after
/// a reader hiccup): the next calls re-open sessions transparently; the login is gone, as
/// PKCS#11 says, and logging in again restores signing.
#[test]
fn dead_sessions_are_reopened_transparently() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("reopen");
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let msg = b"x";
    let before = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap();
    // SAFETY: SoftHSM exports C_CloseAllSessions with this signature; the library is already
    // loaded and initialised by the module registry.
    #[allow(unsafe_code)]
    let rv = unsafe {
        let lib = libloading::Library::new(common::SOFTHSM).unwrap();
        let close: libloading::Symbol<
            '_,
            unsafe extern "C" fn(cryptoki_sys::CK_SLOT_ID) -> cryptoki_sys::CK_RV,
        > = lib.get(b"C_CloseAllSessions\0").unwrap();
        close(cryptoki_sys::CK_SLOT_ID::try_from(c.slot()).unwrap())
    };
    assert_eq!(rv, cryptoki_sys::CKR_OK);
    // Listing works again without the caller doing anything (public objects).
    assert_eq!(c.containers().unwrap().len(), 1);
    let e = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap_err();
    assert_eq!(e.code(), "KC-LOGIN-REQUIRED", "{e:?}");
    c.login(&common::user_pin(), token_core::FinalTry::Refuse)
        .unwrap();
    let after = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap();
    assert_eq!(before, after);
}

/// Hashing on the token (CKM_SHA256_RSA_PKCS / _PSS) instead of the host gives signatures that
/// verify the same way (PKCS#1 v1.5 is deterministic: identical bytes).
#[test]
fn hash_on_token_option() {
    let _g = common::serial();
    let (mut c, serial) = common::logged_in("hash on token");
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let msg = b"order";
    let host = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap();
    drop(c);
    let mut c = common::module()
        .carrier_by_serial(&serial)
        .unwrap()
        .with_options(keycarrier_pkcs11_backend::CarrierOptions {
            hash_on_token: true,
            ..Default::default()
        });
    c.login(&common::user_pin(), token_core::FinalTry::Refuse)
        .unwrap();
    assert!(hazmat::has_mechanism(&c, cryptoki_sys::CKM_SHA256_RSA_PKCS));
    let token = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPkcs1Sha256,
            msg,
        ))
        .unwrap();
    assert_eq!(host, token);
    let pss = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::RsaPssSha256,
            msg,
        ))
        .unwrap();
    common::openssl_verify_rsa(&key.public_key.to_der().unwrap(), msg, &pss, true);
}

/// Sessions this process has open on SoftHSM, counted by asking `C_GetSessionInfo` about
/// every small handle (SoftHSM numbers sessions 1, 2, … and reuses freed numbers; it reports no
/// `ulRwSessionCount`).
fn open_sessions() -> usize {
    type GetSessionInfo = unsafe extern "C" fn(
        cryptoki_sys::CK_SESSION_HANDLE,
        *mut cryptoki_sys::CK_SESSION_INFO,
    ) -> cryptoki_sys::CK_RV;
    // SAFETY: SoftHSM exports C_GetSessionInfo with this signature; the library is already
    // loaded and initialised by the module registry; `info` is a valid out-pointer and an
    // unknown handle is answered with CKR_SESSION_HANDLE_INVALID.
    #[allow(unsafe_code)]
    unsafe {
        let lib = libloading::Library::new(common::SOFTHSM).unwrap();
        let get: libloading::Symbol<'_, GetSessionInfo> = lib.get(b"C_GetSessionInfo\0").unwrap();
        (1..=256)
            .filter(|&h| {
                let mut info = core::mem::zeroed::<cryptoki_sys::CK_SESSION_INFO>();
                get(h, &mut info) == cryptoki_sys::CKR_OK
            })
            .count()
    }
}

/// With a session cap, many signing threads share that many sessions: all signatures are made
/// and no more sessions than the cap are ever open.
#[test]
fn session_cap_is_respected_by_concurrent_signers() {
    let _g = common::serial();
    let (c, serial) = common::logged_in("capped");
    drop(c);
    assert_eq!(open_sessions(), 0);
    let mut c = common::module()
        .carrier_by_serial(&serial)
        .unwrap()
        .with_options(keycarrier_pkcs11_backend::CarrierOptions {
            max_sessions: Some(2),
            ..Default::default()
        });
    c.login(&common::user_pin(), token_core::FinalTry::Refuse)
        .unwrap();
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let carrier = &c;
    let most_seen = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (id, most_seen) = (&key.id, &most_seen);
            s.spawn(move || {
                for i in 0..50 {
                    let msg = format!("thread {t} document {i}").into_bytes();
                    carrier
                        .sign(&SignRequest::message(
                            id,
                            SignatureScheme::RsaPkcs1Sha256,
                            &msg,
                        ))
                        .unwrap();
                    most_seen.fetch_max(open_sessions(), std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let most = most_seen.into_inner();
    assert!((1..=2).contains(&most), "{most} sessions open");
    // The probe does see every session: three more opened directly are counted.
    let before = open_sessions();
    let slot = cryptoki::slot::Slot::try_from(c.slot()).unwrap();
    let extra: Vec<_> = (0..3)
        .map(|_| {
            hazmat::context(&common::module())
                .open_ro_session(slot)
                .unwrap()
        })
        .collect();
    assert_eq!(open_sessions(), before + 3);
    drop(extra);
}
