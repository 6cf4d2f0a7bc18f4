//! U05: change the user and admin PINs; U06: unblock (reset) the user PIN with the admin PIN.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use token_core::{AdminPin, Carrier, ErrorCode, FinalTry, Pin, PinRole};

#[test]
fn u05_change_user_pin() {
    let _g = common::serial();
    let (mut c, _) = common::fresh_token("U05 user");
    let new = common::approved_user("Nw4pinQz");
    // Wrong old PIN: typed error, nothing changes.
    let e = c
        .change_pin(&Pin::new("Wrong0pin"), &new, FinalTry::Refuse)
        .unwrap_err();
    assert!(
        matches!(
            e,
            token_core::Error::WrongPin {
                role: PinRole::User,
                ..
            }
        ),
        "{e:?}"
    );
    c.change_pin(&common::user_pin(), &new, FinalTry::Refuse)
        .unwrap();
    assert_eq!(
        c.login(&common::user_pin(), FinalTry::Refuse)
            .unwrap_err()
            .code(),
        "KC-PIN-WRONG"
    );
    c.login(&Pin::new("Nw4pinQz"), FinalTry::Refuse).unwrap();
    // Logging in again while logged in checks the PIN again: the right one works, the old
    // one is refused (it is not taken for CKR_USER_ALREADY_LOGGED_IN).
    c.login(&Pin::new("Nw4pinQz"), FinalTry::Refuse).unwrap();
    assert_eq!(
        c.login(&common::user_pin(), FinalTry::Refuse)
            .unwrap_err()
            .code(),
        "KC-PIN-WRONG"
    );
    c.login(&Pin::new("Nw4pinQz"), FinalTry::Refuse).unwrap();
    // Changing while logged in works too.
    c.change_pin(
        &Pin::new("Nw4pinQz"),
        &common::approved_user("Th1rdPin"),
        FinalTry::Refuse,
    )
    .unwrap();
    c.logout().unwrap();
    c.logout().unwrap();
    c.login(&Pin::new("Th1rdPin"), FinalTry::Refuse).unwrap();
}

#[test]
fn u05_change_admin_pin() {
    let _g = common::serial();
    let (mut c, _) = common::fresh_token("U05 admin");
    let e = c
        .change_admin_pin(
            &AdminPin::new("Wrong0pin"),
            &common::approved_admin("NewAdm1n"),
            FinalTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            token_core::Error::WrongPin {
                role: PinRole::Admin,
                ..
            }
        ),
        "{e:?}"
    );
    c.change_admin_pin(
        &common::so_pin(),
        &common::approved_admin("NewAdm1n"),
        FinalTry::Refuse,
    )
    .unwrap();
    assert_eq!(
        c.login_admin(&common::so_pin(), FinalTry::Refuse)
            .unwrap_err()
            .code(),
        "KC-PIN-WRONG"
    );
    c.login_admin(&AdminPin::new("NewAdm1n"), FinalTry::Refuse)
        .unwrap();
    c.logout().unwrap();
    // The user PIN is untouched.
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
}

#[test]
fn u06_reset_user_pin_with_admin_pin_keeps_keys() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U06");
    let key = c
        .generate(
            &token_core::NewContainer::new("k", token_core::KeyAlgorithm::Rsa { bits: 2048 }),
            &mut token_core::NoProgress,
            &token_core::CancelToken::new(),
        )
        .unwrap();
    c.logout().unwrap();
    // The user forgot the PIN and typed wrong ones.
    for _ in 0..3 {
        let _ = c.login(&Pin::new("Forg0tten"), FinalTry::Allow);
    }
    // Wrong admin PIN: typed error.
    let e = c
        .reset_pin(
            &AdminPin::new("Wrong0pin"),
            &common::approved_user("Fresh1Pin"),
            FinalTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            token_core::Error::WrongPin {
                role: PinRole::Admin,
                ..
            }
        ),
        "{e:?}"
    );
    c.reset_pin(
        &common::so_pin(),
        &common::approved_user("Fresh1Pin"),
        FinalTry::Refuse,
    )
    .unwrap();
    c.login(&Pin::new("Fresh1Pin"), FinalTry::Refuse).unwrap();
    let st = c.pin_status(PinRole::User).unwrap();
    assert!(!st.locked && !st.final_try, "{st:?}");
    // Keys stay.
    assert!(c.container(&key.id).unwrap().has_private_key);
}

/// SoftHSM2 has no vendor unblock (no `C_EX_GetFunctionListExtended`): the call is refused as
/// unsupported before any PIN reaches the token.
#[test]
fn u06_vendor_unblock_is_unsupported_on_softhsm_and_touches_nothing() {
    let _g = common::serial();
    let (mut c, _) = common::fresh_token("U06 vendor");
    assert!(!c.can_unblock_pin());
    // One wrong user PIN, so the user's state is not the initial one.
    let e = c
        .login(&Pin::new("Forg0tten"), FinalTry::Refuse)
        .unwrap_err();
    assert_eq!(e.code(), "KC-PIN-WRONG");
    let user_before = c.pin_status(PinRole::User).unwrap();
    let admin_before = c.pin_status(PinRole::Admin).unwrap();
    // A wrong admin PIN is not even tried (it would come back as KC-PIN-WRONG and mark the SO
    // counter), nor is the right one.
    for admin in [AdminPin::new("Wrong0pin"), common::so_pin()] {
        let e = c.unblock_pin(&admin, FinalTry::Allow).unwrap_err();
        assert!(
            matches!(&e, token_core::Error::Unsupported { what } if what.contains("C_EX_UnblockUserPIN")),
            "{e:?}"
        );
        assert_eq!(e.code(), "KC-UNSUPPORTED");
    }
    assert_eq!(c.pin_status(PinRole::User).unwrap(), user_before);
    assert_eq!(c.pin_status(PinRole::Admin).unwrap(), admin_before);
    assert!(!admin_before.count_low, "{admin_before:?}");
    // Nobody was logged in as SO: the user logs in with the unchanged PIN.
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
}
