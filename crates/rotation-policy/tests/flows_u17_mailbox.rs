//! Flow U17 (seed: the tax office's client software): rotation waits until every document
//! encrypted to the old key has been received and decrypted. Three envelopes sealed by OpenSSL
//! to the old key block the advice and the rotation; opening them one by one releases both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../cms-envelope/tests/common/mod.rs"]
mod peer;

use std::time::{Duration, SystemTime};

use cms_envelope::{Mailbox, RecipientKey};
use keycarrier_rotation_policy::{Circumstances, Policy, RotationAdvice, UnreadMail};
use peer::{Peer, RSA_2048, Token};
use token_core::{Carrier, CertificateInfo};

#[test]
fn three_unread_envelopes_block_rotation_until_opened() {
    let peer = Peer::new();
    let cert = peer.key_and_cert("client", RSA_2048);
    let _ = peer.key_and_cert("colleague", RSA_2048);
    let mut token = Token::new();
    let old = token.import(&peer, "client");

    let mailbox = Mailbox::new();
    for n in 0..3 {
        peer.write(
            "doc.txt",
            format!("Requirement No. {n} from the tax office").as_bytes(),
        );
        peer.ok(&[
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            "doc.txt",
            "-outform",
            "DER",
            "-out",
            "doc.p7m",
            "-aes-256-cbc",
            "-recip",
            "client.crt",
        ]);
        mailbox.receive(&peer.read("doc.p7m")).unwrap();
    }
    // One envelope for somebody else does not count for this key.
    peer.ok(&[
        "cms",
        "-encrypt",
        "-binary",
        "-in",
        "doc.txt",
        "-outform",
        "DER",
        "-out",
        "other.p7m",
        "-aes-256-cbc",
        "-recip",
        "colleague.crt",
    ]);
    mailbox.receive(&peer.read("other.p7m")).unwrap();
    assert_eq!(mailbox.unread(), 4);

    let info = token.token.container(&old).unwrap();
    let certificate: CertificateInfo = info.certificate().unwrap().unwrap();
    // Inside the rotation window: 10 days before expiry.
    let now = certificate.not_after - Duration::from_secs(10 * 86_400);
    let now = now.max(SystemTime::UNIX_EPOCH);
    let policy = Policy::default();
    let unread = UnreadMail::new(&mailbox).container(&old, &cert);
    let advice = |unread: &UnreadMail<'_>| {
        policy
            .decide_certificate(&old, &certificate, Circumstances::default(), unread, now)
            .unwrap()
    };
    assert!(
        matches!(advice(&unread), RotationAdvice::Blocked { pending: 3, .. }),
        "{:?}",
        advice(&unread)
    );

    let key = RecipientKey {
        carrier: &token.token,
        container: &old,
        certificate: &cert,
    };
    for expected_left in [2, 1, 0] {
        let letter = mailbox.open_next(&key).unwrap().expect("an unread letter");
        assert!(letter.content.starts_with(b"Requirement No. "));
        assert_eq!(mailbox.unread_for(&cert).unwrap(), expected_left);
    }
    assert!(mailbox.open_next(&key).unwrap().is_none());
    assert!(!matches!(advice(&unread), RotationAdvice::Blocked { .. }));
    assert!(
        advice(&unread).allows_remote_rotation(),
        "{:?}",
        advice(&unread)
    );
    // The colleague's envelope is still unread, and does not hold this rotation back.
    assert_eq!(mailbox.unread(), 1);
}

/// The rotation itself (not only the advice): it does not start while a document for the old
/// key is unread, and a document arriving while the CA works keeps the old key from being
/// deleted until it is opened.
#[test]
fn rotation_waits_for_unread_mail_and_keeps_the_old_key_until_it_is_read() {
    use keycarrier_rotation_policy::ca::TestCa;
    use keycarrier_rotation_policy::journal::Step;
    use keycarrier_rotation_policy::{KeyFacts, RotationOptions, RotationOutcome, Rotator};
    use token_core::{ErrorCode, KeyAlgorithm};

    let peer = Peer::new();
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let mut token = Token::new();
    // The bank's test CA (a fixture) on its own soft token, RSA like the client's key.
    let mut ca_token = Token::new();
    let ca_key = ca_token
        .token
        .generate_key(&token_core::NewContainer::new("CA", KeyAlgorithm::RSA_2048))
        .unwrap()
        .id;
    let mut bank = TestCa::create(
        ca_token.token,
        ca_key,
        "Test Bank CA",
        &dir.path().join("ca"),
        now,
    )
    .unwrap()
    .with_delay(1);
    let old_cert = peer.key_and_cert("client", RSA_2048);
    let old = token.import(&peer, "client");
    let seal = |name: &str| {
        peer.write("doc.txt", name.as_bytes());
        peer.ok(&[
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            "doc.txt",
            "-outform",
            "DER",
            "-out",
            "doc.p7m",
            "-aes-256-gcm",
            "-recip",
            "client.crt",
        ]);
        peer.read("doc.p7m")
    };

    let mailbox = Mailbox::new();
    mailbox.receive(&seal("Requirement 1")).unwrap();
    let options = RotationOptions {
        retire_old: true,
        trust_anchors: trust::TrustAnchors::from_der([bank.certificate()]).unwrap(),
        ..RotationOptions::default()
    };
    let mut rot = Rotator::new(dir.path().join("journal"), options)
        .waiting_for(UnreadMail::new(&mailbox).container(&old, &old_cert));
    let cert = token
        .token
        .container(&old)
        .unwrap()
        .certificate()
        .unwrap()
        .unwrap();
    let go = Policy::default().decide(
        &KeyFacts::from_certificate(&cert),
        cert.not_after - Duration::from_secs(86_400 * 10),
    );
    assert!(go.allows_remote_rotation(), "{go:?}");

    let err = rot
        .start(&mut token.token, &mut bank, &old, &go, now)
        .unwrap_err();
    assert_eq!(err.code(), "KC-NOT-ALLOWED", "{err}");
    assert!(rot.journal(&old).unwrap().is_none(), "nothing started");

    let key = RecipientKey {
        carrier: &token.token,
        container: &old,
        certificate: &old_cert,
    };
    assert!(mailbox.open_next(&key).unwrap().is_some());
    let outcome = rot
        .start(&mut token.token, &mut bank, &old, &go, now)
        .unwrap();
    assert!(
        matches!(outcome, RotationOutcome::Waiting { .. }),
        "{outcome:?}"
    );

    // While the CA works, the bank sends one more document to the old key.
    mailbox.receive(&seal("Requirement 2")).unwrap();
    let err = rot
        .resume(&mut token.token, &mut bank, &old, now)
        .unwrap_err();
    assert_eq!(err.code(), "KC-NOT-ALLOWED", "{err}");
    assert_eq!(rot.journal(&old).unwrap().unwrap().step, Step::Retire);
    assert!(
        token.token.container(&old).is_ok(),
        "the old key is kept while mail is unread"
    );

    let key = RecipientKey {
        carrier: &token.token,
        container: &old,
        certificate: &old_cert,
    };
    let letter = mailbox.open_next(&key).unwrap().unwrap();
    assert_eq!(letter.content.as_slice(), b"Requirement 2");
    let outcome = rot.resume(&mut token.token, &mut bank, &old, now).unwrap();
    assert!(
        matches!(outcome, RotationOutcome::Completed { .. }),
        "{outcome:?}"
    );
    assert!(
        token.token.container(&old).is_err(),
        "retired once the mail was read"
    );
}
