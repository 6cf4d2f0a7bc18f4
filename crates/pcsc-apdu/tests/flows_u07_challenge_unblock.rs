//! Flow U07 end to end over the real PC/SC stack: the client asks the card for a challenge,
//! shows the request code, the bank's responder turns the dictated request into the response
//! code, the client types it, the card accepts it once and the user PIN is set anew.
//! Needs `scripts/pcscd.sh start` and `--features pcsc,fixture`.
// Test helpers outside #[test] functions may panic too: a panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use keycarrier_pcsc_apdu::Transport;
use keycarrier_pcsc_apdu::fixture::FixtureConfig;
use keycarrier_pcsc_apdu::pin::{self, PinProfile};
use keycarrier_pcsc_apdu::unblock::{AdminKey, BankResponder, ClientUnblock, UnblockScheme};
use token_core::{Approved, Error, FinalTry, Pin, PinAlphabet, PinPolicy, PinRole};

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

/// A new user PIN, approved by [`policy`].
fn new_pin(pin: &str) -> Approved<Pin> {
    policy().approve(Pin::new(pin), None).unwrap()
}

/// What a person does with a code: reads it aloud, the other side types it in lower case
/// with dashes and the letter O for zero.
fn dictate(code: &str) -> String {
    code.to_lowercase().replace(' ', "-").replace('0', "o")
}

fn block_user_pin(tx: &mut dyn keycarrier_pcsc_apdu::CardTransaction) {
    for _ in 0..3 {
        let _ = pin::verify_user(tx, &P, &Pin::new("0000"), FinalTry::Allow);
    }
    assert!(
        pin::pin_counter(tx, &P, PinRole::User)
            .unwrap()
            .status
            .is_locked()
    );
}

#[test]
fn u07_tdes_unblock_end_to_end_and_single_use() {
    let stack = common::stack();
    let card = stack.insert(0, common::config());
    let bank = BankResponder::new(common::tdes_key());
    let mut pc = stack.connect(0);

    let session = {
        let mut tx = pc.transaction().unwrap();
        block_user_pin(&mut *tx);
        ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap()
    };
    let request = session.request_code();
    assert_eq!(request.len(), 17, "{request}");
    assert!(!request.contains('O'));

    // Support computes the response from the dictated request.
    let response = bank.respond(&dictate(&request)).unwrap();

    // A mis-heard response is caught before anything reaches the card.
    let apdus = card.applet().apdus;
    let mut typo = response.as_bytes().to_vec();
    typo[2] = if typo[2] == b'7' { b'8' } else { b'7' };
    let typo = String::from_utf8(typo).unwrap();
    assert!(matches!(
        session.check_response_code(&typo),
        Err(Error::Malformed { .. })
    ));
    {
        let mut tx = pc.transaction().unwrap();
        let e = session
            .clone()
            .complete(&mut *tx, &typo, &new_pin("2580"))
            .unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
    }
    assert_eq!(card.applet().apdus, apdus);
    assert_eq!(card.applet().admin_key_tries_left(), 3);

    // A new PIN the profile cannot carry (9 digits, the block is 8 bytes) is refused before
    // EXTERNAL AUTHENTICATE: the one-time response is not wasted (it works below).
    let too_long = PinPolicy {
        max_length: None,
        ..policy()
    }
    .approve(Pin::new("975310864"), None)
    .unwrap();
    {
        let mut tx = pc.transaction().unwrap();
        let e = session
            .clone()
            .complete(&mut *tx, &dictate(&response), &too_long)
            .unwrap_err();
        assert!(matches!(e, Error::PinLengthRange), "{e:?}");
    }
    assert_eq!(card.applet().apdus, apdus);
    assert_eq!(card.applet().admin_key_tries_left(), 3);

    // The typed response unblocks and sets the new PIN.
    let again = session.clone();
    {
        let mut tx = pc.transaction().unwrap();
        session
            .complete(&mut *tx, &dictate(&response), &new_pin("2580"))
            .unwrap();
        pin::verify_user(&mut *tx, &P, &Pin::new("2580"), FinalTry::Refuse).unwrap();
    }
    assert!(card.applet().user_pin_is(b"2580"));

    // The same response a second time: the challenge is used up.
    {
        let mut tx = pc.transaction().unwrap();
        let e = again
            .complete(&mut *tx, &response, &new_pin("1111"))
            .unwrap_err();
        assert!(matches!(e, Error::NotAllowed { .. }), "{e:?}");
    }
    assert!(card.applet().user_pin_is(b"2580"));
}

#[test]
fn u07_new_request_or_reset_voids_the_old_response() {
    let stack = common::stack();
    let card = stack.insert(1, common::config());
    let bank = BankResponder::new(common::tdes_key());
    let mut pc = stack.connect(1);

    // The window was closed and opened again: a new request; the old response is useless.
    let (old, new) = {
        let mut tx = pc.transaction().unwrap();
        block_user_pin(&mut *tx);
        let old = ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap();
        let new = ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap();
        (old, new)
    };
    assert_ne!(old.request_code(), new.request_code());
    let old_response = bank.respond(&old.request_code()).unwrap();
    {
        let mut tx = pc.transaction().unwrap();
        let e = old
            .complete(&mut *tx, &old_response, &new_pin("2580"))
            .unwrap_err();
        assert!(matches!(e, Error::VerificationFailed { .. }), "{e:?}");
    }
    assert_eq!(card.applet().admin_key_tries_left(), 2);
    // …and that attempt used the new challenge up too.
    let new_response = bank.respond(&new.request_code()).unwrap();
    {
        let mut tx = pc.transaction().unwrap();
        let e = new
            .complete(&mut *tx, &new_response, &new_pin("2580"))
            .unwrap_err();
        assert!(matches!(e, Error::NotAllowed { .. }), "{e:?}");
    }

    // A reset by another application between request and response: refused, ask anew.
    let session = {
        let mut tx = pc.transaction().unwrap();
        ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap()
    };
    let response = bank.respond(&session.request_code()).unwrap();
    let mut other = stack.connect(1);
    other.reset().unwrap();
    drop(other);
    {
        let mut tx = pc.transaction().unwrap();
        assert!(tx.was_reset());
        let e = session
            .complete(&mut *tx, &response, &new_pin("2580"))
            .unwrap_err();
        assert!(matches!(e, Error::NotAllowed { .. }), "{e:?}");
    }

    // A reset found by another transaction between request and response (the completing
    // transaction itself sees no reset): still refused, without EXTERNAL AUTHENTICATE.
    let session = {
        let mut tx = pc.transaction().unwrap();
        ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap()
    };
    let response = bank.respond(&session.request_code()).unwrap();
    let mut other = stack.connect(1);
    other.reset().unwrap();
    drop(other);
    {
        let mut tx = pc.transaction().unwrap();
        assert!(tx.was_reset());
        pin::pin_counter(&mut *tx, &P, PinRole::User).unwrap();
    }
    let apdus = card.applet().apdus;
    {
        let mut tx = pc.transaction().unwrap();
        assert!(!tx.was_reset());
        let e = session
            .complete(&mut *tx, &response, &new_pin("2580"))
            .unwrap_err();
        assert!(matches!(e, Error::NotAllowed { .. }), "{e:?}");
    }
    assert_eq!(card.applet().apdus, apdus, "nothing may reach the card");
    assert_eq!(card.applet().admin_key_tries_left(), 2);

    // A fresh request goes through.
    let mut tx = pc.transaction().unwrap();
    let session = ClientUnblock::begin(&mut *tx, &P, UnblockScheme::Tdes).unwrap();
    let response = bank.respond(&session.request_code()).unwrap();
    session
        .complete(&mut *tx, &response, &new_pin("2580"))
        .unwrap();
    assert_eq!(card.applet().admin_key_tries_left(), 3);
    assert_eq!(card.applet().user_tries_left(), 3);
}

#[test]
fn u07_aes_variant() {
    let stack = common::stack();
    for (scheme, key) in [
        (UnblockScheme::Aes128, vec![0x5A; 16]),
        (UnblockScheme::Aes256, (0u8..32).collect::<Vec<_>>()),
    ] {
        let key = AdminKey::new(scheme, &key).unwrap();
        let cfg = FixtureConfig::new("1234", "87654321", key.clone());
        let card = stack.insert(0, cfg);
        let mut pc = stack.connect(0);
        let mut tx = pc.transaction().unwrap();
        block_user_pin(&mut *tx);
        let session = ClientUnblock::begin(&mut *tx, &P, scheme).unwrap();
        let request = session.request_code();
        assert_eq!(request.replace(' ', "").len(), 27);
        let response = BankResponder::new(key).respond(&dictate(&request)).unwrap();
        session
            .complete(&mut *tx, &response, &new_pin("8642"))
            .unwrap();
        pin::verify_user(&mut *tx, &P, &Pin::new("8642"), FinalTry::Refuse).unwrap();
        drop(tx);
        drop(pc);
        drop(card);
    }
}
