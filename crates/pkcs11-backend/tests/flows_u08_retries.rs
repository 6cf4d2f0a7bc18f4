//! U08: retry counters — status before typing, wrong PIN reports, the final-try guard.
//!
//! SoftHSM2 sets `CKF_USER_PIN_COUNT_LOW` after a wrong PIN and never sets `CKF_*_FINAL_TRY` or
//! `CKF_*_LOCKED` (it has no lockout); this test checks what it reports and drives the guard
//! through the status the backend reads from those flags.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use token_core::{Carrier, Error, ErrorCode, FinalTry, Pin, PinRole, PinStatus};

#[test]
fn u08_wrong_pin_is_reported_with_the_flags() {
    let _g = common::serial();
    let (mut c, _) = common::fresh_token("U08");
    let before = c.pin_status(PinRole::User).unwrap();
    assert!(
        !before.count_low && !before.final_try && !before.locked,
        "{before:?}"
    );
    let e = c
        .login(&Pin::new("Wrong0pin"), FinalTry::Refuse)
        .unwrap_err();
    assert_eq!(e.code(), "KC-PIN-WRONG");
    assert!(
        matches!(
            e,
            Error::WrongPin {
                role: PinRole::User,
                retries_left: None
            }
        ),
        "SoftHSM reports no count: {e:?}"
    );
    let after = c.pin_status(PinRole::User).unwrap();
    // What SoftHSM reports after a wrong PIN.
    assert!(!after.final_try && !after.locked, "{after:?}");
    eprintln!("SoftHSM user PIN status after one wrong PIN: {after:?}");
    assert!(after.count_low, "{after:?}");
    assert!(after.guard(FinalTry::Refuse).is_ok());
    // A correct PIN still works; the status is read without spending an attempt.
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();

    // Admin PIN: same reporting.
    c.logout().unwrap();
    let e = c
        .login_admin(&token_core::AdminPin::new("Wrong0pin"), FinalTry::Refuse)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongPin {
                role: PinRole::Admin,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn u08_guard_refuses_final_try_and_locked_from_token_flags() {
    use cryptoki_sys as c;
    // The status the backend builds from CK_TOKEN_INFO flags, as a Rutoken or JaCarta reports
    // them on the last attempt and when blocked (SoftHSM never sets these two).
    let final_try = pkcs11_backend::pin_status_from_flags(
        c::CKF_USER_PIN_COUNT_LOW | c::CKF_USER_PIN_FINAL_TRY,
        PinRole::User,
    );
    assert_eq!(
        final_try.guard(FinalTry::Refuse).unwrap_err().code(),
        "KC-PIN-FINAL-TRY"
    );
    assert!(final_try.guard(FinalTry::Allow).is_ok());
    let locked = pkcs11_backend::pin_status_from_flags(c::CKF_SO_PIN_LOCKED, PinRole::Admin);
    assert_eq!(
        locked.guard(FinalTry::Allow).unwrap_err().code(),
        "KC-PIN-LOCKED"
    );
    // And SoftHSM's own count-low flag alone does not stop a login.
    let low = pkcs11_backend::pin_status_from_flags(c::CKF_USER_PIN_COUNT_LOW, PinRole::User);
    assert!(low.guard(FinalTry::Refuse).is_ok());
    let _: PinStatus = low;
}
