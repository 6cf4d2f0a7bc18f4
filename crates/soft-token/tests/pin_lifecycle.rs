//! The soft token's PIN semantics, against the real store on disk: flows U04, U05, U06, U08.
#![allow(clippy::unwrap_used)] // test helpers: a panic is how a test fails

use keycarrier_soft_token::{SoftToken, TokenSettings};
use token_core::{
    AdminPin, Carrier, CarrierFamily, Error, ErrorCode, FinalTry, Pin, PinPolicy, PinRole,
};

const ADMIN: &str = "87654321";
const USER: &str = "Rx7mQ2wz";

fn settings(retries: u8) -> TokenSettings {
    TokenSettings {
        user_retries: retries,
        admin_retries: retries,
        kdf_iterations: 200,
        ..TokenSettings::new("Test token")
    }
}

fn approved(pin: &str) -> token_core::Approved<Pin> {
    PinPolicy::default().approve(Pin::new(pin), None).unwrap()
}

fn fresh(retries: u8) -> (tempfile::TempDir, SoftToken) {
    let dir = tempfile::tempdir().unwrap();
    let mut token =
        SoftToken::create(dir.path(), &settings(retries), &AdminPin::new(ADMIN)).unwrap();
    token
        .reset_pin(&AdminPin::new(ADMIN), &approved(USER), FinalTry::Refuse)
        .unwrap();
    (dir, token)
}

#[test]
fn u01_blank_and_initialised_carrier_info() {
    let dir = tempfile::tempdir().unwrap();
    let blank = SoftToken::open(dir.path());
    let info = blank.info().unwrap();
    assert!(!info.initialized && info.is_blank());
    assert_eq!(info.family, CarrierFamily::SoftToken);
    assert_eq!(
        info.to_string(),
        "keycarrier soft token <no label> (serial , blank)"
    );
    assert!(matches!(
        blank.pin_status(PinRole::User),
        Err(Error::CarrierNotInitialized)
    ));

    let (_dir, token) = fresh(10);
    let info = token.info().unwrap();
    assert!(info.initialized && !info.is_blank());
    assert_eq!(info.label.as_deref(), Some("Test token"));
    assert_eq!(info.serial.len(), 16);
}

#[test]
fn u04_default_pins_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut token = SoftToken::create(dir.path(), &settings(10), &AdminPin::new(ADMIN)).unwrap();
    let admin = token.pin_status(PinRole::Admin).unwrap();
    assert_eq!(admin.default_pin, Some(true));
    assert!(admin.must_change);
    // No user PIN yet: must be set before use.
    assert!(token.pin_status(PinRole::User).unwrap().must_change);
    token
        .reset_pin(&AdminPin::new(ADMIN), &approved(USER), FinalTry::Refuse)
        .unwrap();
    let user = token.pin_status(PinRole::User).unwrap();
    assert_eq!(user.default_pin, Some(false));
    assert!(!user.must_change);
    // A token whose user PIN was set to the vendor default with a lax policy is flagged too.
    let lax = PinPolicy {
        forbidden: vec![],
        max_sequence: None,
        ..PinPolicy::default()
    };
    let default_user = lax.approve(Pin::new("12345678"), None).unwrap();
    token
        .reset_pin(&AdminPin::new(ADMIN), &default_user, FinalTry::Refuse)
        .unwrap();
    assert_eq!(
        token.pin_status(PinRole::User).unwrap().default_pin,
        Some(true)
    );
}

#[test]
fn u05_change_user_and_admin_pin() {
    let (_dir, mut token) = fresh(10);
    let new_user = approved("K9d4p7r2");
    token
        .change_pin(&Pin::new(USER), &new_user, FinalTry::Refuse)
        .unwrap();
    assert!(matches!(
        token.login(&Pin::new(USER), FinalTry::Refuse),
        Err(Error::WrongPin {
            role: PinRole::User,
            retries_left: Some(9)
        })
    ));
    token
        .login(&Pin::new("K9d4p7r2"), FinalTry::Refuse)
        .unwrap();
    assert_eq!(
        token.pin_status(PinRole::User).unwrap().retries_left,
        Some(10)
    );

    let new_admin = PinPolicy::default()
        .approve(AdminPin::new("Adm1nQw8"), None)
        .unwrap();
    token
        .change_admin_pin(&AdminPin::new(ADMIN), &new_admin, FinalTry::Refuse)
        .unwrap();
    assert!(!token.pin_status(PinRole::Admin).unwrap().must_change);
    assert!(
        token
            .login_admin(&AdminPin::new(ADMIN), FinalTry::Refuse)
            .is_err()
    );
    token
        .login_admin(&AdminPin::new("Adm1nQw8"), FinalTry::Refuse)
        .unwrap();
    // Changing with a wrong old PIN spends an attempt and changes nothing.
    let err = token
        .change_pin(
            &Pin::new("Wrong123x"),
            &approved("Zz9y8x7w"),
            FinalTry::Refuse,
        )
        .unwrap_err();
    assert_eq!(err.code(), "KC-PIN-WRONG");
    token
        .login(&Pin::new("K9d4p7r2"), FinalTry::Refuse)
        .unwrap();
}

#[test]
fn u08_counters_final_try_and_lock_then_u06_admin_reset() {
    let (dir, mut token) = fresh(3);
    let wrong = Pin::new("Wrong123x");
    let e = token.login(&wrong, FinalTry::Refuse).unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongPin {
                retries_left: Some(2),
                ..
            }
        ),
        "{e:?}"
    );
    let s = token.pin_status(PinRole::User).unwrap();
    assert!(s.count_low && !s.final_try && !s.locked);
    let e = token.login(&wrong, FinalTry::Refuse).unwrap_err();
    assert!(matches!(
        e,
        Error::WrongPin {
            retries_left: Some(1),
            ..
        }
    ));
    assert!(token.pin_status(PinRole::User).unwrap().final_try);

    // The final try is not spent without permission, not even with the right PIN.
    let e = token.login(&Pin::new(USER), FinalTry::Refuse).unwrap_err();
    assert_eq!(e.code(), "KC-PIN-FINAL-TRY");
    assert_eq!(
        token.pin_status(PinRole::User).unwrap().retries_left,
        Some(1)
    );

    let e = token.login(&wrong, FinalTry::Allow).unwrap_err();
    assert!(matches!(
        e,
        Error::WrongPin {
            retries_left: Some(0),
            ..
        }
    ));
    assert!(token.pin_status(PinRole::User).unwrap().locked);
    // Blocked: even the right PIN is refused, with or without permission.
    for ft in [FinalTry::Refuse, FinalTry::Allow] {
        assert!(matches!(
            token.login(&Pin::new(USER), ft),
            Err(Error::PinLocked {
                role: PinRole::User
            })
        ));
    }
    // The counter survives reopening: it is on disk, not in memory.
    let mut reopened = SoftToken::open(dir.path());
    assert!(reopened.pin_status(PinRole::User).unwrap().locked);

    // U06: the admin sets a new user PIN; the token is usable again.
    reopened
        .reset_pin(
            &AdminPin::new(ADMIN),
            &approved("N3wPinQz"),
            FinalTry::Refuse,
        )
        .unwrap();
    let s = reopened.pin_status(PinRole::User).unwrap();
    assert!(!s.locked && s.retries_left == Some(3));
    reopened
        .login(&Pin::new("N3wPinQz"), FinalTry::Refuse)
        .unwrap();
}

/// U06, vendor unblock (Rutoken's `C_EX_UnblockUserPIN` semantics through the Rust API): the
/// admin restores the counter and the user keeps the PIN they had.
#[test]
fn u06_vendor_unblock_keeps_the_user_pin() {
    let (dir, mut token) = fresh(3);
    assert!(token.can_unblock_pin());
    let wrong = Pin::new("Wrong123x");
    for ft in [FinalTry::Refuse, FinalTry::Refuse, FinalTry::Allow] {
        let _ = token.login(&wrong, ft).unwrap_err();
    }
    assert!(token.pin_status(PinRole::User).unwrap().locked);
    // A wrong admin PIN unblocks nothing and costs an admin try.
    let e = token
        .unblock_pin(&AdminPin::new("00000000"), FinalTry::Refuse)
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
    assert!(token.pin_status(PinRole::User).unwrap().locked);
    token
        .unblock_pin(&AdminPin::new(ADMIN), FinalTry::Refuse)
        .unwrap();
    let mut reopened = SoftToken::open(dir.path());
    let s = reopened.pin_status(PinRole::User).unwrap();
    assert!(
        !s.locked && !s.final_try && s.retries_left == Some(3),
        "{s:?}"
    );
    reopened.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
}

#[test]
fn admin_pin_blocks_too_and_a_correct_pin_resets_the_counter() {
    let (_dir, mut token) = fresh(3);
    let bad = AdminPin::new("Bad0dmin");
    assert!(token.login_admin(&bad, FinalTry::Refuse).is_err());
    assert_eq!(
        token.pin_status(PinRole::Admin).unwrap().retries_left,
        Some(2)
    );
    token
        .login_admin(&AdminPin::new(ADMIN), FinalTry::Refuse)
        .unwrap();
    assert_eq!(
        token.pin_status(PinRole::Admin).unwrap().retries_left,
        Some(3)
    );
    for _ in 0..2 {
        assert!(token.login_admin(&bad, FinalTry::Refuse).is_err());
    }
    assert!(token.login_admin(&bad, FinalTry::Allow).is_err());
    assert!(matches!(
        token.reset_pin(
            &AdminPin::new(ADMIN),
            &approved("N3wPinQz"),
            FinalTry::Allow
        ),
        Err(Error::PinLocked {
            role: PinRole::Admin
        })
    ));
}

#[test]
fn u02_wipe_needs_the_admin_pin_and_keeps_the_label() {
    let (dir, mut token) = fresh(10);
    assert!(token.wipe(&AdminPin::new("Bad0dmin"), None).is_err());
    token.wipe(&AdminPin::new(ADMIN), None).unwrap();
    let info = token.info().unwrap();
    assert_eq!(info.label.as_deref(), Some("Test token"));
    // The user PIN is gone: it must be set again.
    assert!(token.login(&Pin::new(USER), FinalTry::Refuse).is_err());
    assert!(token.pin_status(PinRole::User).unwrap().must_change);
    token
        .wipe(&AdminPin::new(ADMIN), Some("Relabelled"))
        .unwrap();
    assert_eq!(
        SoftToken::open(dir.path()).info().unwrap().label.as_deref(),
        Some("Relabelled")
    );
}

#[test]
fn operations_need_the_right_login() {
    let (_dir, mut token) = fresh(10);
    let id = token_core::ContainerId::new(vec![1]);
    assert!(matches!(
        token.delete_container(&id),
        Err(Error::LoginRequired {
            role: PinRole::User
        })
    ));
    token
        .login_admin(&AdminPin::new(ADMIN), FinalTry::Refuse)
        .unwrap();
    assert!(matches!(
        token.delete_container(&id),
        Err(Error::LoginRequired {
            role: PinRole::User
        })
    ));
    token.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    assert!(matches!(
        token.delete_container(&id),
        Err(Error::NotFound { .. })
    ));
    token.logout().unwrap();
    assert!(token.containers().unwrap().is_empty());
}

#[test]
fn debug_output_shows_no_secrets() {
    let (_dir, mut token) = fresh(10);
    token.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    let shown = format!("{token:?}");
    assert!(shown.contains("logged_in: Some(User)"), "{shown}");
    assert!(!shown.contains(USER));
}
