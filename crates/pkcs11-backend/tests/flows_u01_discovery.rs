//! U01: carriers in slots, blank detection, PIN status, waiting for a carrier to appear.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use keycarrier_pkcs11_backend::{CarrierEvent, discover_modules, hazmat};
use token_core::{CancelToken, Carrier, CarrierFamily, ErrorCode, PinRole};

#[test]
fn u01_softhsm_is_discovered_by_its_usual_name() {
    let _g = common::serial();
    let found = discover_modules();
    assert!(
        found.iter().any(|p| p.ends_with("libsofthsm2.so")),
        "{found:?}"
    );
    // Listed once even where a symlink makes it reachable from two directories.
    assert_eq!(
        found
            .iter()
            .filter(|p| p.ends_with("libsofthsm2.so"))
            .count(),
        1,
        "{found:?}"
    );
    // Opening the same library again (also under another spelling of its path) gives the
    // same initialised module: the very same cryptoki context, not a second C_Initialize.
    let a = common::module();
    let b = keycarrier_pkcs11_backend::Module::open(common::SOFTHSM).unwrap();
    assert!(std::ptr::eq(hazmat::context(&a), hazmat::context(&b)));
    let other_spelling = "/usr/lib/softhsm/../softhsm/libsofthsm2.so";
    let c = keycarrier_pkcs11_backend::Module::open(other_spelling).unwrap();
    assert!(std::ptr::eq(hazmat::context(&a), hazmat::context(&c)));
}

#[test]
fn u01_blank_token_then_initialised_token() {
    let _g = common::serial();
    let m = common::module();
    let slot = common::blank_slot();
    let blank = m.carrier(slot).unwrap().info().unwrap();
    assert!(blank.is_blank(), "{blank}");
    assert!(!blank.initialized);
    assert_eq!(blank.family, CarrierFamily::SoftHsm);
    assert!(blank.to_string().contains("<no label>"), "{blank}");

    let (c, serial) = common::fresh_token("Buh U01");
    let info = c.info().unwrap();
    assert_eq!(info.serial, serial);
    assert_eq!(info.label.as_deref(), Some("Buh U01"));
    assert!(info.initialized && !info.is_blank());
    assert!(
        info.to_string().starts_with("SoftHSM v2 Buh U01 (serial"),
        "{info}"
    );
    let listed = m.carriers().unwrap();
    assert!(listed.iter().any(|c| c.info.serial == serial));
    let st = c.pin_status(PinRole::User).unwrap();
    assert!(!st.locked && !st.final_try, "{st:?}");
    assert!(
        c.pin_status(PinRole::Admin)
            .unwrap()
            .guard(Default::default())
            .is_ok()
    );
}

#[test]
fn u01_wait_sees_a_new_carrier_and_times_out_and_cancels() {
    let _g = common::serial();
    let m = common::module();
    // Nothing changes: timeout → None.
    let none = m
        .wait_for_change(
            Duration::from_millis(300),
            Duration::from_millis(50),
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(none, None);
    // Cancel is honoured.
    let cancel = CancelToken::new();
    cancel.cancel();
    let e = m
        .wait_for_change(Duration::from_secs(5), Duration::from_millis(50), &cancel)
        .unwrap_err();
    assert_eq!(e.code(), "KC-CANCELLED");
    // A blank carrier being initialised (here from another thread; SoftHSM does not see
    // tokens made by other processes until it is re-initialised) shows up as a change.
    let slot = common::blank_slot();
    let waiter = {
        let m = m.clone();
        std::thread::spawn(move || {
            m.wait_for_change(
                Duration::from_secs(20),
                Duration::from_millis(50),
                &CancelToken::new(),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    m.carrier(slot)
        .unwrap()
        .wipe(&common::so_pin(), Some("Plugged"))
        .unwrap();
    match waiter.join().unwrap().unwrap() {
        Some(CarrierEvent::Inserted { carrier, .. }) => {
            // Either the newly initialised token or the fresh blank slot SoftHSM adds.
            assert!(
                carrier.label.as_deref() == Some("Plugged") || carrier.is_blank(),
                "{carrier}"
            );
        }
        other => panic!("expected an insertion, got {other:?}"),
    }
}

/// Writing objects to a carrier is not an insertion: no event. (SoftHSM reports no memory
/// figures, so the rule that free memory is ignored is covered by the unit test
/// `module::tests::wait_identity_ignores_memory`.)
#[test]
fn u01_wait_ignores_objects_written_to_a_carrier() {
    let _g = common::serial();
    let m = common::module();
    let (mut c, serial) = common::logged_in("U01 busy");
    let before = m
        .carriers()
        .unwrap()
        .into_iter()
        .find(|c| c.info.serial == serial)
        .unwrap()
        .info;
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        c.generate(
            &token_core::NewContainer::new("k", token_core::KeyAlgorithm::Rsa { bits: 2048 }),
            &mut token_core::NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        c
    });
    let event = m
        .wait_for_change(
            Duration::from_millis(1500),
            Duration::from_millis(50),
            &CancelToken::new(),
        )
        .unwrap();
    let c = writer.join().unwrap();
    assert_eq!(c.containers().unwrap().len(), 1);
    assert_eq!(event, None);
    let after = c.info().unwrap();
    assert_eq!(
        (&before.serial, &before.label),
        (&after.serial, &after.label)
    );
}
