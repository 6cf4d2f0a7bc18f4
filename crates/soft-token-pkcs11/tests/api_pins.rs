//! The soft-token module's PIN lifecycle through `cryptoki`: wrong PINs counting down to a block
//! and the SO's reset (U08), Rutoken's vendor `C_EX_UnblockUserPIN` (U06), and no new keys while
//! the SO PIN is still the vendor default.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki_sys::*;

mod common;
use common::*;

#[test]
fn u08_wrong_pins_count_down_block_and_the_so_resets() {
    let _env = env();
    let p = pkcs11();
    let slot = initialised_with(&p, VENDOR_SO_PIN);
    let info = p.get_token_info(slot).unwrap();
    assert!(info.user_pin_initialized() && info.login_required());
    assert!(!info.user_pin_count_low());
    assert!(info.so_pin_to_be_changed(), "87654321 is a vendor default");

    let s = p.open_rw_session(slot).unwrap();
    let wrong = pin("99999999");
    assert_eq!(
        rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
        RvError::PinIncorrect
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_count_low());
    // A PIN of impossible length is refused before the counter is touched.
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin("12"))).unwrap_err()),
        RvError::PinLenRange
    );
    for _ in 0..8 {
        assert_eq!(
            rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
            RvError::PinIncorrect
        );
    }
    // The counters are persistent: a second module instance (a new process) sees them.
    let info = p.get_token_info(slot).unwrap();
    assert!(info.user_pin_final_try() && !info.user_pin_locked());
    assert_eq!(
        rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
        RvError::PinIncorrect
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin(USER_PIN))).unwrap_err()),
        RvError::PinLocked
    );

    // The SO unblocks by setting a new user PIN.
    s.login(UserType::So, Some(&pin(VENDOR_SO_PIN))).unwrap();
    assert_eq!(
        rv(s.login(UserType::So, Some(&pin(VENDOR_SO_PIN)))
            .unwrap_err()),
        RvError::UserAlreadyLoggedIn
    );
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin(USER_PIN))).unwrap_err()),
        RvError::UserAnotherAlreadyLoggedIn
    );
    // No read-only session while the SO is logged in.
    assert_eq!(
        rv(p.open_ro_session(slot).unwrap_err()),
        RvError::SessionReadWriteSoExists
    );
    s.init_pin(&pin("Rx7mQ2wz")).unwrap();
    s.logout().unwrap();
    assert_eq!(rv(s.logout().unwrap_err()), RvError::UserNotLoggedIn);
    let info = p.get_token_info(slot).unwrap();
    assert!(!info.user_pin_locked() && !info.user_pin_count_low());
    s.login(UserType::User, Some(&pin("Rx7mQ2wz"))).unwrap();

    // The user changes the PIN; the old one stops working.
    s.set_pin(&pin("Rx7mQ2wz"), &pin("Kq3zP8vn")).unwrap();
    s.logout().unwrap();
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin("Rx7mQ2wz"))).unwrap_err()),
        RvError::PinIncorrect
    );
    s.login(UserType::User, Some(&pin("Kq3zP8vn"))).unwrap();
    // A new PIN of bad length.
    assert_eq!(
        rv(s.set_pin(&pin("Kq3zP8vn"), &pin("1")).unwrap_err()),
        RvError::PinLenRange
    );
    p.finalize().unwrap();
}

#[test]
fn rutoken_unblock_user_pin_keeps_the_pin_and_refills_the_counter() {
    let env = env();
    let p = pkcs11();
    // SAFETY: loading the module cryptoki already loaded runs no new initialisers.
    let lib = unsafe { libloading::Library::new(module_path()) }.unwrap();
    let ex = extended_list(&lib);
    assert_eq!((ex.version.major, ex.version.minor), (1, 0));
    // The placeholders answer "not supported" (C_EX_InitToken, GetTokenInfoExtended, the rest).
    for stub in [ex.init_token, ex.get_token_info_extended]
        .into_iter()
        .chain(ex.further)
    {
        // SAFETY: placeholders take no argument.
        assert_eq!(unsafe { stub.unwrap()() }, CKR_FUNCTION_NOT_SUPPORTED);
    }
    let unblock = ex.unblock_user_pin.unwrap();

    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[Attribute::Token(true), Attribute::ModulusBits(2048.into())],
            &[Attribute::Token(true), Attribute::Sign(true)],
        )
        .unwrap();
    s.logout().unwrap();
    // Lock the user PIN with wrong tries.
    for _ in 0..10 {
        assert_eq!(
            rv(s.login(UserType::User, Some(&pin("99999999"))).unwrap_err()),
            RvError::PinIncorrect
        );
    }
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());
    // Without the SO: refused, nothing changes. A stale handle: refused.
    // SAFETY: the function takes a session handle by value.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_USER_NOT_LOGGED_IN);
    // SAFETY: as above.
    assert_eq!(
        unsafe { unblock(s.handle() + 1000) },
        CKR_SESSION_HANDLE_INVALID
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());

    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_OK);
    s.logout().unwrap();
    let info = p.get_token_info(slot).unwrap();
    assert!(
        !info.user_pin_locked() && !info.user_pin_count_low() && !info.user_pin_final_try(),
        "{info:?}"
    );
    // The counter is full on disk.
    let token = soft_token::SoftToken::open(&env.token_dir());
    use token_core::Carrier;
    let status = token.pin_status(token_core::PinRole::User).unwrap();
    assert_eq!(status.retries_left, status.max_retries);
    assert_eq!(status.retries_left, Some(10));
    // The old PIN works, and so does the key made before.
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let data = b"after the unblock";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, private, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    // A user session cannot unblock.
    // SAFETY: as above.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_USER_NOT_LOGGED_IN);
    drop(s);
    p.finalize().unwrap();
}

/// While the SO PIN is a vendor default (the token info says `CKF_SO_PIN_TO_BE_CHANGED`), the
/// module takes no new private key: `CKR_PIN_EXPIRED` for C_GenerateKeyPair, C_CreateObject of
/// a private key (token or session) and C_CopyObject of a session private key onto the token,
/// until the SO changes the PIN with C_SetPIN. Keys already there keep signing.
#[test]
fn new_keys_wait_for_the_so_pin_to_change_from_the_vendor_default() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised_with(&p, VENDOR_SO_PIN);
    assert!(p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();

    let keygen = vendor_mech(0xD432_1005); // CKM_GOSTR3410_512_KEY_PAIR_GEN
    let sign_mech = vendor_mech(0xD432_1009); // CKM_GOSTR3410_WITH_GOSTR3411_12_512
    let generate = |public_on_token: bool, private_on_token: bool| {
        s.generate_key_pair(
            &keygen,
            &[
                Attribute::Token(public_on_token),
                gost_params(GostParamSet::Tc26_512A),
            ],
            &[Attribute::Token(private_on_token), Attribute::Sign(true)],
        )
    };
    let set = GostParamSet::Tc26_256A;
    let outside = gost::SigningKey::generate(set).unwrap();
    let private_key = |on_token: bool| {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(on_token),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Id(vec![9]),
            Attribute::Value(outside.to_le_bytes().to_vec()),
            gost_params(set),
        ]
    };
    let halves = [(true, true), (false, true), (true, false), (false, false)];
    for (public_on_token, private_on_token) in halves {
        assert_eq!(
            rv(generate(public_on_token, private_on_token).unwrap_err()),
            RvError::PinExpired,
            "public on token {public_on_token}, private on token {private_on_token}"
        );
    }
    for on_token in [true, false] {
        assert_eq!(
            rv(s.create_object(&private_key(on_token)).unwrap_err()),
            RvError::PinExpired,
            "on token {on_token}"
        );
    }
    assert!(s.find_objects(&[]).unwrap().is_empty(), "nothing was made");
    // Objects without private key material are not held back.
    s.create_object(&[Attribute::Class(ObjectClass::DATA), Attribute::Token(true)])
        .unwrap();

    // The SO changes the PIN: the flag clears and keys may be made, every way.
    s.logout().unwrap();
    s.login(UserType::So, Some(&pin(VENDOR_SO_PIN))).unwrap();
    s.set_pin(&pin(VENDOR_SO_PIN), &pin(SO_PIN)).unwrap();
    s.logout().unwrap();
    assert!(!p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    for (public_on_token, private_on_token) in halves {
        generate(public_on_token, private_on_token).unwrap();
    }
    for on_token in [true, false] {
        s.create_object(&private_key(on_token)).unwrap();
    }
    let (public, private) = generate(true, true).unwrap();
    let in_session = s
        .copy_object(private, &[Attribute::Token(false), Attribute::Id(vec![7])])
        .unwrap();

    // Back to a vendor default (PKCS#11 applications are not held to the bank's PIN policy):
    // the existing key signs, but its session copy may not go onto the token.
    s.logout().unwrap();
    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.set_pin(&pin(SO_PIN), &pin("12345678")).unwrap();
    s.logout().unwrap();
    assert!(p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let msg = b"signed while the SO PIN is a default";
    let sig = s.sign(&sign_mech, private, msg).unwrap();
    s.verify(&sign_mech, public, msg, &sig).unwrap();
    assert_eq!(
        rv(s.copy_object(in_session, &[Attribute::Token(true)])
            .unwrap_err()),
        RvError::PinExpired
    );
    assert_eq!(rv(generate(true, true).unwrap_err()), RvError::PinExpired);
    drop(s);
    p.finalize().unwrap();
}
