//! Flow U17: rotation waits until every document encrypted to the old key has been received
//! and decrypted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::time::{Duration, UNIX_EPOCH};

use rotation_policy::{Decision, KeyFacts, NothingPending, PendingDocuments, Policy};
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
            Decision::Blocked {
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
        Decision::Blocked { pending: 1, .. }
    ));
    mailbox.0.set(0);
    assert!(matches!(
        decide(&mailbox),
        Decision::Remind { days_left: 20, .. }
    ));
    assert!(matches!(decide(&NothingPending), Decision::Remind { .. }));
    // A closure is a PendingDocuments too.
    let closure = |_: &ContainerId| Ok(7);
    assert!(matches!(
        decide(&closure),
        Decision::Blocked { pending: 7, .. }
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
        Decision::NotDue { .. }
    ));
    assert!(matches!(
        p.decide(&facts, not_after + Duration::from_secs(86_400)),
        Decision::Expired { .. }
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
