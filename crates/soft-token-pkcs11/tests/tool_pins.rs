//! The soft-token module driven by OpenSC's `pkcs11-tool`: token initialisation, PIN change, lock
//! and unlock through the SO (U01), the vendor default SO PIN, and a missing or broken
//! configuration. Missing tools fail the tests loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::process::Command;

mod common;
use common::tool::*;
use common::{SO_PIN, VENDOR_SO_PIN, module_path};

#[test]
fn u01_init_token_pins_change_lock_and_unlock_through_the_so() {
    let f = Fixture::initialised("11223344");
    let flags = f.token_flags();
    assert!(
        flags.contains("token initialized") && flags.contains("PIN initialized"),
        "{flags}"
    );
    assert!(flags.contains("login required"), "{flags}");
    f.ok(&["--login", "--pin", "11223344", "-O"]);

    f.ok(&["--change-pin", "--pin", "11223344", "--new-pin", "55667788"]);
    f.fails(&["--login", "--pin", "11223344", "-O"]);
    assert!(f.token_flags().contains("user PIN count low"));
    f.ok(&["--login", "--pin", "55667788", "-O"]);
    assert!(
        !f.token_flags().contains("count low"),
        "a good PIN resets the counter"
    );

    // Ten wrong PINs block it (counters persist across processes); the right PIN is refused.
    for i in 1..=10 {
        let err = f.fails(&["--login", "--pin", "00000000", "-O"]);
        assert!(err.contains("CKR_PIN_INCORRECT"), "attempt {i}: {err}");
        if i == 9 {
            assert!(
                f.token_flags().contains("final user PIN try"),
                "{}",
                f.token_flags()
            );
        }
    }
    assert!(
        f.token_flags().contains("user PIN locked"),
        "{}",
        f.token_flags()
    );
    let err = f.fails(&["--login", "--pin", "55667788", "-O"]);
    assert!(err.contains("CKR_PIN_LOCKED"), "{err}");

    // The SO unblocks with C_InitPIN...
    f.ok(&[
        "--login",
        "--login-type",
        "so",
        "--so-pin",
        SO_PIN,
        "--init-pin",
        "--pin",
        "24681357",
    ]);
    assert!(!f.token_flags().contains("locked"));
    f.ok(&["--login", "--pin", "24681357", "-O"]);

    // ...or through pkcs11-tool --unlock-pin with the SO PIN as unblock code.
    for _ in 0..10 {
        f.fails(&["--login", "--pin", "00000000", "-O"]);
    }
    f.ok(&["--unlock-pin", "--puk", SO_PIN, "--new-pin", "13572468"]);
    f.ok(&["--login", "--pin", "13572468", "-O"]);

    // Re-initialising with a wrong SO PIN fails; with the right one it erases everything.
    let err = f.fails(&["--init-token", "--label", "Other", "--so-pin", "11111111"]);
    assert!(err.contains("CKR_PIN_INCORRECT"), "{err}");
    f.ok(&["--init-token", "--label", "Other", "--so-pin", SO_PIN]);
    let list = f.ok(&["-L"]);
    assert!(
        list.contains("Other") && !list.contains("PIN initialized"),
        "{list}"
    );
}

#[test]
fn keygen_waits_for_the_so_to_change_the_vendor_default_so_pin() {
    let f = Fixture::as_handed_out("11223344");
    let flags = f.token_flags();
    assert!(flags.contains("SO PIN to be changed"), "{flags}");
    let keygen = [
        "--login",
        "--pin",
        "11223344",
        "--keypairgen",
        "--key-type",
        "GOSTR3410-2012-256:B",
        "--id",
        "01",
    ];
    let err = f.fails(&keygen);
    assert!(err.contains("CKR_PIN_EXPIRED"), "{err}");
    f.change_so_pin(VENDOR_SO_PIN, SO_PIN);
    assert!(!f.token_flags().contains("SO PIN to be changed"));
    let out = f.ok(&keygen);
    assert!(out.contains("GOSTR3410-2012-256"), "{out}");
}

#[test]
fn module_without_configuration_has_no_slots_and_a_bad_file_fails_initialisation() {
    let out = Command::new("pkcs11-tool")
        .arg("--module")
        .arg(module_path())
        .arg("-L")
        .env_remove("KEYCARRIER_SOFTTOKEN_CONF")
        .output()
        .expect("pkcs11-tool is required (apt-get install opensc)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Available slots") && !text.contains("Slot 0"),
        "{text}"
    );
    let f = Fixture::new();
    std::fs::write(&f.conf, "slot.zero = /tmp/x\n").unwrap();
    let err = f.fails(&["-L"]);
    assert!(
        err.contains("C_Initialize") || err.contains("CKR_GENERAL_ERROR"),
        "{err}"
    );
}
