//! Session objects: kept in memory for the session that made them, and key pairs with one half
//! on the token and one in the session.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::ptr;

use cryptoki::error::RvError;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki_sys::*;
use gost::signature::Verifier;

mod common;
use common::*;

#[test]
fn session_objects_live_in_memory_for_the_session_that_made_them() {
    use token_core::GostParamSet;
    let env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let state_file = env.token_dir().join("token.der");
    let on_disk = || std::fs::read(&state_file).unwrap();
    let before = on_disk();

    // A read-only public session may make a public session object; every session sees it.
    let ro = p.open_ro_session(slot).unwrap();
    let other = p.open_rw_session(slot).unwrap();
    let note = ro
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Label(b"memo".to_vec()),
            Attribute::Value(b"in memory".to_vec()),
        ])
        .unwrap();
    assert_eq!(
        other
            .find_objects(&[Attribute::Token(false), Attribute::Label(b"memo".to_vec())])
            .unwrap(),
        vec![note]
    );
    assert!(
        other
            .get_attributes(note, &[AttributeType::Token])
            .unwrap()
            .contains(&Attribute::Token(false))
    );
    other
        .update_attributes(note, &[Attribute::Label(b"memo 2".to_vec())])
        .unwrap();
    // A token object still needs a read-write session; a private session object the user.
    assert_eq!(
        rv(ro
            .create_object(&[Attribute::Class(ObjectClass::DATA), Attribute::Token(true)])
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    assert_eq!(
        rv(ro
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(false),
                Attribute::Private(true)
            ])
            .unwrap_err()),
        RvError::UserNotLoggedIn
    );
    assert_eq!(on_disk(), before, "session objects never reach the disk");

    // Private session objects: a GOST key pair generated in memory, and an imported key.
    ro.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = ro
        .generate_key_pair(
            &vendor_mech(0xD432_1005),
            &[
                Attribute::Token(false),
                gost_params(GostParamSet::Tc26_512B),
                Attribute::Id(vec![0x51]),
            ],
            &[
                Attribute::Token(false),
                Attribute::Sign(true),
                Attribute::Id(vec![0x51]),
            ],
        )
        .unwrap();
    let msg = b"session key";
    let sig = other.sign(&vendor_mech(0xD432_1009), private, msg).unwrap();
    other
        .verify(&vendor_mech(0xD432_1009), public, msg, &sig)
        .unwrap();
    let imported = gost::SigningKey::generate(GostParamSet::Tc26_512A).unwrap();
    let session_key = ro
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_512A)),
            Attribute::Token(false),
            Attribute::Id(vec![0x52]),
            Attribute::Value(imported.to_le_bytes().to_vec()),
            gost_params(GostParamSet::Tc26_512A),
        ])
        .unwrap();
    let sig = ro
        .sign(&vendor_mech(0xD432_1009), session_key, msg)
        .unwrap();
    imported
        .verifying_key()
        .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
        .unwrap();
    assert_eq!(on_disk(), before, "session keys never reach the disk");

    // Copies: session → token (sealed on disk, survives the session), token → session.
    let to_token = other
        .copy_object(
            session_key,
            &[Attribute::Token(true), Attribute::Id(vec![0x53])],
        )
        .unwrap();
    assert_ne!(on_disk(), before);
    let d = imported.to_le_bytes();
    assert!(!on_disk().windows(d.len()).any(|w| w == d.as_slice()));
    let back = other
        .copy_object(to_token, &[Attribute::Token(false)])
        .unwrap();
    for h in [to_token, back] {
        let sig = other.sign(&vendor_mech(0xD432_1009), h, msg).unwrap();
        imported
            .verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
    }

    // Private session objects vanish from view on logout and come back on login.
    ro.logout().unwrap();
    let visible = other.find_objects(&[Attribute::Token(false)]).unwrap();
    assert_eq!(visible, vec![note, public], "{visible:?}");
    assert_eq!(
        rv(other
            .get_attributes(private, &[AttributeType::Label])
            .unwrap_err()),
        RvError::ObjectHandleInvalid
    );
    other.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    assert_eq!(
        other
            .find_objects(&[Attribute::Token(false)])
            .unwrap()
            .len(),
        5
    );

    // Closing the session that made them destroys them; the copy made by `other` stays until
    // `other` closes; the token copy stays.
    let (ro_handle, other_handle) = (ro.handle(), other.handle());
    drop(ro);
    let left = other.find_objects(&[Attribute::Token(false)]).unwrap();
    assert_eq!(left, vec![back]);
    for gone in [note, public, private, session_key] {
        assert_eq!(
            rv(other.destroy_object(gone).unwrap_err()),
            RvError::ObjectHandleInvalid
        );
    }
    other.destroy_object(back).unwrap();
    assert!(
        other
            .find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    assert_ne!(ro_handle, other_handle);

    // C_CloseAllSessions and C_Finalize end them too.
    let s = p.open_rw_session(slot).unwrap();
    let memo = |s: &cryptoki::session::Session| {
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Value(b"x".to_vec()),
        ])
        .unwrap()
    };
    memo(&s);
    // cryptoki has no C_CloseAllSessions: call it through the loaded module's table.
    // SAFETY: loading the module cryptoki already loaded runs no new initialisers.
    let lib = unsafe { libloading::Library::new(module_path()) }.unwrap();
    // SAFETY: the symbol has the PKCS#11 type.
    let get: libloading::Symbol<unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV> =
        unsafe { lib.get(b"C_GetFunctionList\0") }.unwrap();
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer; the table is static in the module.
    assert_eq!(unsafe { get(&mut list) }, CKR_OK);
    // SAFETY: as above; the slot id is passed by value.
    let close_all = unsafe { (*list).C_CloseAllSessions.unwrap() };
    // SAFETY: takes the slot id by value.
    assert_eq!(unsafe { close_all(slot.id()) }, CKR_OK);
    std::mem::forget(s);
    let s = p.open_rw_session(slot).unwrap();
    assert!(
        s.find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    memo(&s);
    std::mem::forget(s);
    drop(other);
    p.finalize().unwrap();
    let p = pkcs11();
    let s = p.open_rw_session(slot).unwrap();
    assert!(
        s.find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    // The token copy is still there and signs.
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let found = s.find_objects(&[Attribute::Id(vec![0x53])]).unwrap();
    assert_eq!(found, vec![to_token]);
    let sig = s.sign(&vendor_mech(0xD432_1009), to_token, msg).unwrap();
    imported
        .verifying_key()
        .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
        .unwrap();
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn a_key_pair_may_have_one_half_on_the_token_and_one_in_the_session() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &vendor_mech(0xD432_1005),
            &[
                Attribute::Token(false),
                gost_params(GostParamSet::Tc26_512A),
            ],
            &[Attribute::Token(true), Attribute::Sign(true)],
        )
        .unwrap();
    let token_of = |h| s.get_attributes(h, &[AttributeType::Token]).unwrap()[0].clone();
    assert_eq!(token_of(public), Attribute::Token(false));
    assert_eq!(token_of(private), Attribute::Token(true));
    let msg = b"mixed";
    let sig = s.sign(&vendor_mech(0xD432_1009), private, msg).unwrap();
    s.verify(&vendor_mech(0xD432_1009), public, msg, &sig)
        .unwrap();
    // A read-only session cannot put either half on the token.
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro
            .generate_key_pair(
                &vendor_mech(0xD432_1005),
                &[
                    Attribute::Token(false),
                    gost_params(GostParamSet::Tc26_512A)
                ],
                &[Attribute::Token(true), Attribute::Sign(true)],
            )
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    drop((s, ro));
    p.finalize().unwrap();
}
