//! Every ISO PIN operation against the Rust card fixture through the real PC/SC stack
//! (pcscd + vpcd). Needs `scripts/pcscd.sh start` and `--features pcsc,fixture`.
// Test helpers outside #[test] functions may panic too: a panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use keycarrier_pcsc_apdu::atr::{Atr, IdentificationBasis, identify};
use keycarrier_pcsc_apdu::fixture::{FixtureConfig, VirtualCard, big_object};
use keycarrier_pcsc_apdu::pcsc_backend::ReaderEvent;
use keycarrier_pcsc_apdu::pin::{self, PinProfile};
use keycarrier_pcsc_apdu::{Command, Transport, tlv};
use token_core::{
    AdminPin, Approved, CancelToken, Error, FinalTry, Pin, PinAlphabet, PinPolicy, PinRole,
};

const P: PinProfile = PinProfile::ISO;

/// The card PIN policy the tests approve new PINs with: digits, the profile's lengths.
fn policy() -> PinPolicy {
    PinPolicy {
        alphabet: PinAlphabet::Digits,
        min_length: usize::from(P.min_len),
        max_length: Some(usize::from(P.max_len)),
        max_sequence: None,
        forbidden: vec![],
        ..PinPolicy::default()
    }
}

/// A new admin PIN, approved by [`policy`].
fn new_admin_pin(pin: &str) -> Approved<AdminPin> {
    policy().approve(AdminPin::new(pin), None).unwrap()
}

/// A new user PIN, approved by [`policy`].
fn new_pin(pin: &str) -> Approved<Pin> {
    policy().approve(Pin::new(pin), None).unwrap()
}

#[test]
fn pin_lifecycle_verify_lock_unblock_change_reset() {
    let stack = common::stack();
    let card = stack.insert(0, common::config());
    let mut pc = stack.connect(0);

    // The ATR arrives through PC/SC and parses as T=1.
    let atr = Atr::parse(&pc.atr().unwrap()).unwrap();
    assert!(atr.offers_t1());
    assert_eq!(identify(&atr).basis, IdentificationBasis::Generic);

    let mut tx = pc.transaction().unwrap();
    let tx = &mut *tx;
    // Empty VERIFY reads the counter without spending a try.
    for _ in 0..3 {
        let c = pin::pin_counter(tx, &P, PinRole::User).unwrap();
        assert_eq!(c.status.retries_left, Some(3));
        assert!(!c.verified);
    }
    pin::verify_user(tx, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap();
    assert!(pin::pin_counter(tx, &P, PinRole::User).unwrap().verified);

    // Wrong PINs count down; the last try is not spent without permission.
    let e = pin::verify_user(tx, &P, &Pin::new("0000"), FinalTry::Refuse).unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongPin {
                role: PinRole::User,
                retries_left: Some(2)
            }
        ),
        "{e:?}"
    );
    let e = pin::verify_user(tx, &P, &Pin::new("0000"), FinalTry::Refuse).unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongPin {
                retries_left: Some(1),
                ..
            }
        ),
        "{e:?}"
    );
    let e = pin::verify_user(tx, &P, &Pin::new("0000"), FinalTry::Refuse).unwrap_err();
    assert!(
        matches!(
            e,
            Error::FinalTryRefused {
                role: PinRole::User
            }
        ),
        "{e:?}"
    );
    assert_eq!(card.applet().user_tries_left(), 1);
    let e = pin::verify_user(tx, &P, &Pin::new("0000"), FinalTry::Allow).unwrap_err();
    assert!(
        matches!(
            e,
            Error::PinLocked {
                role: PinRole::User
            }
        ),
        "{e:?}"
    );
    // Blocked: 6983, even with the right PIN.
    let c = pin::pin_counter(tx, &P, PinRole::User).unwrap();
    assert!(c.status.is_locked());
    let e = pin::verify_user(tx, &P, &Pin::new("1234"), FinalTry::Allow).unwrap_err();
    assert!(matches!(e, Error::PinLocked { .. }), "{e:?}");

    // RESET RETRY COUNTER with a wrong PUK, then the right one.
    let e = pin::unblock_with_puk(
        tx,
        &P,
        &AdminPin::new("11112222"),
        &new_pin("5678"),
        FinalTry::Refuse,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongPin {
                role: PinRole::Admin,
                retries_left: Some(4)
            }
        ),
        "{e:?}"
    );
    pin::unblock_with_puk(
        tx,
        &P,
        &AdminPin::new("87654321"),
        &new_pin("5678"),
        FinalTry::Refuse,
    )
    .unwrap();
    assert_eq!(card.applet().puk_tries_left(), 5);
    assert_eq!(card.applet().user_tries_left(), 3);
    pin::verify_user(tx, &P, &Pin::new("5678"), FinalTry::Refuse).unwrap();

    // CHANGE REFERENCE DATA: wrong old PIN counts; right one changes it.
    let e = pin::change_user_pin(
        tx,
        &P,
        &Pin::new("9999"),
        &new_pin("2468"),
        FinalTry::Refuse,
    )
    .unwrap_err();
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
    pin::change_user_pin(
        tx,
        &P,
        &Pin::new("5678"),
        &new_pin("2468"),
        FinalTry::Refuse,
    )
    .unwrap();
    assert!(card.applet().user_pin_is(b"2468"));
    pin::change_admin_pin(
        tx,
        &P,
        &AdminPin::new("87654321"),
        &new_admin_pin("13572468"),
        FinalTry::Refuse,
    )
    .unwrap();

    // RESET RETRY COUNTER P1=02 needs admin authentication first.
    let e = pin::reset_user_pin(tx, &P, &new_pin("3690")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LoginRequired {
                role: PinRole::Admin
            }
        ),
        "{e:?}"
    );
    pin::verify_admin(tx, &P, &AdminPin::new("13572468"), FinalTry::Refuse).unwrap();
    pin::reset_user_pin(tx, &P, &new_pin("3690")).unwrap();
    pin::verify_user(tx, &P, &Pin::new("3690"), FinalTry::Refuse).unwrap();

    // GET CHALLENGE: 8 bytes, two differ; Le 256 gets 6C08 and the engine re-sends.
    let a = pin::get_challenge(tx, &P, 8).unwrap();
    let b = pin::get_challenge(tx, &P, 8).unwrap();
    assert_ne!(a, b);
    let r = tx
        .transmit(&Command::new(0, 0x84, 0, 0).with_le(256))
        .unwrap();
    assert_eq!(r.data().len(), 8);

    // 61xx: the 300-byte object arrives through GET RESPONSE rounds.
    let r = tx
        .transmit(&Command::new(0, 0xCA, 0x01, 0x01).with_le(256))
        .unwrap();
    assert!(r.sw().is_ok());
    assert_eq!(r.data(), big_object().as_slice());
    let obj = tlv::find(r.data(), 0x81).unwrap().unwrap();
    assert_eq!(obj.value.len(), 286);

    // Status words to typed errors.
    let r = tx.transmit(&Command::new(0, 0x99, 0, 0)).unwrap();
    assert_eq!(r.sw().0, 0x6D00);
    let r = tx.transmit(&Command::new(0x80, 0x20, 0, 0x81)).unwrap();
    assert_eq!(r.sw().0, 0x6E00);
    let e = pin::pin_counter(
        tx,
        &PinProfile {
            user_pin_ref: 0x99,
            ..P
        },
        PinRole::User,
    )
    .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

#[test]
fn card_removed_mid_transaction_is_typed() {
    let stack = common::stack();
    let mut cfg = common::config();
    // The card is pulled out when CHANGE REFERENCE DATA arrives.
    cfg.remove_on_ins = Some(0x24);
    let card = stack.insert(1, cfg);
    let applet = card.applet_handle();
    {
        let mut pc = stack.connect(1);
        let mut tx = pc.transaction().unwrap();
        pin::verify_user(&mut *tx, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap();
        let e = pin::change_user_pin(
            &mut *tx,
            &P,
            &Pin::new("1234"),
            &new_pin("4321"),
            FinalTry::Refuse,
        )
        .unwrap_err();
        assert!(matches!(e, Error::CarrierRemoved), "{e:?}");
        // Later commands on the stale handle say the same.
        let e = tx.transmit(&Command::new(0, 0x20, 0, 0x81)).unwrap_err();
        assert!(
            matches!(e, Error::CarrierRemoved | Error::CarrierAbsent),
            "{e:?}"
        );
        // Let pcscd's event thread see the removal while our handle is still open (see the
        // note at the end of this test).
        drop(tx);
        stack.wait_absent(1);
    }
    assert!(card.is_removed());
    drop(card);
    stack.wait_absent(1);
    assert!(matches!(
        stack.ctx.connect(common::READERS[1]),
        Err(Error::CarrierAbsent)
    ));

    // Put the same card back: its state survived, the PIN is unchanged.
    applet.lock().unwrap().set_remove_on_ins(None);
    let card =
        VirtualCard::insert_applet(keycarrier_pcsc_apdu::fixture::VPCD_PORT + 1, applet).unwrap();
    stack
        .ctx
        .wait_for_card(
            common::READERS[1],
            Duration::from_secs(5),
            &CancelToken::new(),
        )
        .unwrap();
    let mut pc = stack.connect(1);
    let mut tx = pc.transaction().unwrap();
    pin::verify_user(&mut *tx, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap();
    // Disconnect before pulling the card. The other order makes pcscd's reset-on-disconnect
    // fail, pcscd then marks the reader empty without its event thread seeing a removal, and
    // the next card put into this vpcd slot is never reported as inserted.
    drop(tx);
    drop(pc);
    drop(card);
}

#[test]
fn two_readers_at_once() {
    let stack = common::stack();
    let a = stack.insert(0, common::config());
    let b = stack.insert(
        1,
        FixtureConfig::new("9876", "11223344", common::tdes_key()),
    );
    let mut ca = stack.connect(0);
    let mut cb = stack.connect(1);
    for _ in 0..3 {
        let mut ta = ca.transaction().unwrap();
        let mut tb = cb.transaction().unwrap();
        pin::verify_user(&mut *ta, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap();
        pin::verify_user(&mut *tb, &P, &Pin::new("9876"), FinalTry::Refuse).unwrap();
        let e = pin::verify_user(&mut *tb, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap_err();
        assert!(matches!(e, Error::WrongPin { .. }), "{e:?}");
        pin::verify_user(&mut *tb, &P, &Pin::new("9876"), FinalTry::Refuse).unwrap();
    }
    assert_eq!(a.applet().user_tries_left(), 3);
    assert_eq!(b.applet().user_tries_left(), 3);
}

#[test]
fn reset_events_timeout_and_cancel() {
    let stack = common::stack();
    let card = stack.insert(0, common::config());
    let mut first = stack.connect(0);
    let mut second = stack.connect(0);
    {
        let mut tx = first.transaction().unwrap();
        assert!(!tx.was_reset());
        pin::verify_user(&mut *tx, &P, &Pin::new("1234"), FinalTry::Refuse).unwrap();
    }
    // Another application resets the card: the first one notices at its next transaction,
    // and the verified state is gone.
    second.reset().unwrap();
    {
        let mut tx = first.transaction().unwrap();
        assert!(tx.was_reset());
        assert!(
            !pin::pin_counter(&mut *tx, &P, PinRole::User)
                .unwrap()
                .verified
        );
    }
    assert!(card.applet().resets >= 1);
    drop(second);

    // Events: nothing happens → timeout; cancel → Cancelled; removal → Changed(absent).
    let reader = common::READERS[0];
    let now = stack.ctx.reader_status(reader).unwrap();
    assert!(now.present);
    let started = Instant::now();
    let ev = stack
        .ctx
        .wait_for_change(
            reader,
            Some(&now),
            Duration::from_millis(300),
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(ev, ReaderEvent::Timeout);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        c2.cancel();
    });
    let e = stack
        .ctx
        .wait_for_change(reader, Some(&now), Duration::from_secs(10), &cancel)
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled));
    t.join().unwrap();

    drop(first);
    drop(card);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut known = now;
    loop {
        match stack
            .ctx
            .wait_for_change(
                reader,
                Some(&known),
                Duration::from_secs(5),
                &CancelToken::new(),
            )
            .unwrap()
        {
            ReaderEvent::Changed(s) if !s.present => break,
            ReaderEvent::Changed(s) => known = s,
            ReaderEvent::Timeout => panic!("no removal event"),
        }
        assert!(Instant::now() < deadline);
    }
}
