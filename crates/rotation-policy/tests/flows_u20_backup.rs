//! Flow U20: after rotating a flash-drive (soft) container, the application is told to back it
//! up; not for a hardware token unless asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::SystemTime;

use common::*;
use keycarrier_rotation_policy::{
    BackupAdvice, KeyFacts, Policy, RotationEvent, RotationOptions, RotationOutcome, Rotator,
};
use token_core::{Carrier, CarrierFamily, ContainerId, GostParamSet, KeyAlgorithm};

const ALG: KeyAlgorithm = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);

fn rotate<C: Carrier>(
    carrier: &mut C,
    old: &ContainerId,
    dir: &std::path::Path,
    backup: BackupAdvice,
    now: SystemTime,
) -> (RotationOutcome, Vec<RotationEvent>) {
    let mut ca = reopen_ca(&dir.join("ca"), now);
    let cert = carrier
        .container(old)
        .unwrap()
        .certificate()
        .unwrap()
        .unwrap();
    let d = Policy::default().decide(&KeyFacts::from_certificate(&cert), now);
    let mut events = vec![];
    let mut rot = Rotator::new(
        dir.join(format!("journal-{backup:?}")),
        RotationOptions {
            backup,
            trust_anchors: trust::TrustAnchors::from_der([ca.certificate()]).unwrap(),
            ..RotationOptions::default()
        },
    )
    .on_event(|e| events.push(e.clone()));
    let outcome = rot.start(carrier, &mut ca, old, &d, now).unwrap();
    drop(rot);
    (outcome, events)
}

fn reminders(events: &[RotationEvent]) -> Vec<(ContainerId, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            RotationEvent::BackupReminder {
                container,
                carrier_label,
            } => Some((container.clone(), carrier_label.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn u20_backup_reminder_after_rotating_a_flash_container() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let ca = test_ca(&dir.path().join("ca"), ALG, now);
    let mut t = token(&dir.path().join("client"), "Flash E:");
    let (old, _) = client_key(&mut t, &ca, "key", ALG, now, 20);
    let (outcome, events) = rotate(&mut t, &old, dir.path(), BackupAdvice::Auto, now);
    let RotationOutcome::Completed {
        new,
        backup_reminder,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(backup_reminder);
    assert_eq!(reminders(&events), vec![(new, Some("Flash E:".into()))]);
    // The reminder comes after completion.
    let completed = events
        .iter()
        .position(|e| matches!(e, RotationEvent::Completed { .. }))
        .unwrap();
    let reminder = events
        .iter()
        .position(|e| matches!(e, RotationEvent::BackupReminder { .. }))
        .unwrap();
    assert!(completed < reminder);

    // Never: no reminder.
    let (old2, _) = client_key(&mut t, &ca, "key2", ALG, now, 20);
    let (outcome, events) = rotate(&mut t, &old2, dir.path(), BackupAdvice::Never, now);
    assert!(matches!(
        outcome,
        RotationOutcome::Completed {
            backup_reminder: false,
            ..
        }
    ));
    assert!(reminders(&events).is_empty());
}

#[test]
fn u20_no_reminder_for_a_hardware_token_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let ca = test_ca(&dir.path().join("ca"), ALG, now);
    let mut t = token(&dir.path().join("client"), "Rutoken");
    let (old, _) = client_key(&mut t, &ca, "a", ALG, now, 20);
    let (old2, _) = client_key(&mut t, &ca, "b", ALG, now, 20);
    let mut hw = Wrapped::new(t);
    hw.family = Some(CarrierFamily::Rutoken);
    let (_, events) = rotate(&mut hw, &old, dir.path(), BackupAdvice::Auto, now);
    assert!(reminders(&events).is_empty());
    let (_, events) = rotate(&mut hw, &old2, dir.path(), BackupAdvice::Always, now);
    assert_eq!(reminders(&events).len(), 1);
}
