//! Flow U17 (seed: the tax office's client software): rotation waits until every document
//! encrypted to the old key has been received and decrypted. Three envelopes sealed by OpenSSL
//! to the old key block the advice and the rotation; opening them one by one releases both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../cms-envelope/tests/common/mod.rs"]
mod peer;

use std::time::{Duration, SystemTime};

use cms_envelope::{Mailbox, RecipientKey};
use peer::{Peer, RSA_2048, Token};
use rotation_policy::{Circumstances, Policy, RotationAdvice, UnreadMail};
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
        peer.write("doc.txt", format!("Requirement No. {n} from the tax office").as_bytes());
        peer.ok(&[
            "cms", "-encrypt", "-binary", "-in", "doc.txt", "-outform", "DER", "-out", "doc.p7m",
            "-aes-256-cbc", "-recip", "client.crt",
        ]);
        mailbox.receive(&peer.read("doc.p7m")).unwrap();
    }
    // One envelope for somebody else does not count for this key.
    peer.ok(&[
        "cms", "-encrypt", "-binary", "-in", "doc.txt", "-outform", "DER", "-out", "other.p7m",
        "-aes-256-cbc", "-recip", "colleague.crt",
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
    assert!(advice(&unread).allows_remote_rotation(), "{:?}", advice(&unread));
    // The colleague's envelope is still unread, and does not hold this rotation back.
    assert_eq!(mailbox.unread(), 1);
}
