//! Flow U18: changed organisation details or a compromised key never rotate remotely.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, UNIX_EPOCH};

use keycarrier_rotation_policy::{KeyFacts, OfficeReason, Policy, RotationAdvice};

#[test]
fn u18_office_only_at_any_distance_from_expiry() {
    let not_after = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let p = Policy::default();
    for days_before in [300u64, 61, 60, 10, 1] {
        let now = not_after - Duration::from_secs(days_before * 86_400);
        for (org, comp, reason) in [
            (true, false, OfficeReason::OrganisationChanged),
            (false, true, OfficeReason::Compromised),
            (true, true, OfficeReason::Compromised),
        ] {
            let facts = KeyFacts {
                not_before: not_after - Policy::ONE_YEAR,
                not_after,
                pending_documents: 0,
                organisation_changed: org,
                compromised: comp,
            };
            let d = p.decide(&facts, now);
            assert!(
                matches!(d, RotationAdvice::OfficeOnly { reason: r, .. } if r == reason),
                "{days_before}: {d:?}"
            );
            assert!(!d.allows_remote_rotation());
            assert!(d.to_string().contains("office"), "{d}");
        }
    }
}

#[test]
fn u18_compromise_also_wins_over_expiry_and_pending() {
    let not_after = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let facts = KeyFacts {
        not_before: not_after - Policy::ONE_YEAR,
        not_after,
        pending_documents: 4,
        organisation_changed: false,
        compromised: true,
    };
    let p = Policy::default();
    for now in [
        not_after - Duration::from_secs(5 * 86_400),
        not_after + Duration::from_secs(5 * 86_400),
    ] {
        assert!(matches!(
            p.decide(&facts, now),
            RotationAdvice::OfficeOnly {
                reason: OfficeReason::Compromised,
                ..
            }
        ));
    }
}
