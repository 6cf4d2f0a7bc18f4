//! Flow U17: rotation waits until every document encrypted to the old key has been received
//! and decrypted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::cell::Cell;
use std::time::{Duration, UNIX_EPOCH};

use keycarrier_rotation_policy::{
    KeyFacts, NothingPending, PendingDocuments, Policy, RotationAdvice,
};
use token_core::{ContainerId, Error};

struct Mailbox(Cell<u32>);
impl PendingDocuments for Mailbox {
    fn pending(&self, _: &ContainerId) -> token_core::Result<u32> {
        Ok(self.0.get())
    }
}

#[test]
fn u17_pending_documents_block_then_release() {
    let not_after = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let now = not_after - Duration::from_secs(20 * 86_400);
    let id = ContainerId::new(vec![1, 2, 3]);
    let mailbox = Mailbox(Cell::new(3));
    let p = Policy::default();
    let decide = |pending: &dyn PendingDocuments| {
        let facts = KeyFacts {
            not_before: not_after - Policy::ONE_YEAR,
            not_after,
            pending_documents: pending.pending(&id).unwrap(),
            organisation_changed: false,
            compromised: false,
        };
        p.decide(&facts, now)
    };
    let blocked = decide(&mailbox);
    assert!(
        matches!(
            blocked,
            RotationAdvice::Blocked {
                pending: 3,
                days_left: 20,
                ..
            }
        ),
        "{blocked:?}"
    );
    assert!(!blocked.allows_remote_rotation());
    assert!(blocked.to_string().contains("3 document"), "{blocked}");
    assert!(matches!(blocked.refusal(), Some(Error::NotAllowed { .. })));
    // The user receives and decrypts them one by one.
    mailbox.0.set(1);
    assert!(matches!(
        decide(&mailbox),
        RotationAdvice::Blocked { pending: 1, .. }
    ));
    mailbox.0.set(0);
    assert!(matches!(
        decide(&mailbox),
        RotationAdvice::Remind { days_left: 20, .. }
    ));
    assert!(matches!(
        decide(&NothingPending),
        RotationAdvice::Remind { .. }
    ));
    // A closure is a PendingDocuments too.
    let closure = |_: &ContainerId| Ok(7);
    assert!(matches!(
        decide(&closure),
        RotationAdvice::Blocked { pending: 7, .. }
    ));
}

#[test]
fn u17_pending_documents_do_not_matter_before_the_window_or_after_expiry() {
    let not_after = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let p = Policy::default();
    let facts = KeyFacts {
        not_before: not_after - Policy::ONE_YEAR,
        not_after,
        pending_documents: 5,
        organisation_changed: false,
        compromised: false,
    };
    assert!(matches!(
        p.decide(&facts, not_after - Duration::from_secs(100 * 86_400)),
        RotationAdvice::NotDue { .. }
    ));
    assert!(matches!(
        p.decide(&facts, not_after + Duration::from_secs(86_400)),
        RotationAdvice::Expired { .. }
    ));
}

#[test]
fn u17_an_error_from_the_mailbox_is_passed_on() {
    let failing = |_: &ContainerId| -> token_core::Result<u32> {
        Err(Error::NotFound {
            what: "mailbox".into(),
        })
    };
    assert!(failing.pending(&ContainerId::new(vec![9])).is_err());
}

#[test]
fn u17_real_certificate_on_the_soft_token_with_a_mailbox() {
    use keycarrier_rotation_policy::Circumstances;
    use token_core::{Carrier, GostParamSet, KeyAlgorithm};
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now();
    let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);
    let ca = common::test_ca(&dir.path().join("ca"), alg, now);
    let mut t = common::token(&dir.path().join("client"), "client");
    let (old, _) = common::client_key(&mut t, &ca, "old", alg, now, 25);
    let cert = t.container(&old).unwrap().certificate().unwrap().unwrap();
    let mailbox = Mailbox(Cell::new(2));
    let p = Policy::default();
    let d = p
        .decide_certificate(&old, &cert, Circumstances::default(), &mailbox, now)
        .unwrap();
    assert!(
        matches!(d, RotationAdvice::Blocked { pending: 2, .. }),
        "{d:?}"
    );
    mailbox.0.set(0);
    let d = p
        .decide_certificate(&old, &cert, Circumstances::default(), &mailbox, now)
        .unwrap();
    assert!(matches!(d, RotationAdvice::Remind { .. }), "{d:?}");
    let changed = Circumstances {
        organisation_changed: true,
        ..Circumstances::default()
    };
    let d = p
        .decide_certificate(&old, &cert, changed, &NothingPending, now)
        .unwrap();
    assert!(matches!(d, RotationAdvice::OfficeOnly { .. }), "{d:?}");
}
