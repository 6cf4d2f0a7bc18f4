//! Flow U20: after rotating a flash-drive (soft) container, the application is told to back it
//! up; not for a hardware token unless asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::SystemTime;

use common::*;
use rotation_policy::{
    BackupAdvice, KeyFacts, Outcome, Policy, RotationEvent, RotationOptions, Rotator,
};
use soft_token::SoftToken;
use token_core::{
    AdminPin, Approved, CancelToken, Carrier, CarrierFamily, CarrierInfo, ContainerId,
    ContainerInfo, FinalTry, GostParamSet, KeyAlgorithm, KeyImport, NewContainer, Pin, PinRole,
    PinStatus, ProgressSink, SignRequest,
};

const ALG: KeyAlgorithm = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);

/// The soft token dressed up as a hardware token (only `info` differs).
struct Hardware(SoftToken);

impl Carrier for Hardware {
    fn info(&self) -> token_core::Result<CarrierInfo> {
        let mut i = self.0.info()?;
        i.family = CarrierFamily::Rutoken;
        Ok(i)
    }
    fn pin_status(&self, role: PinRole) -> token_core::Result<PinStatus> {
        self.0.pin_status(role)
    }
    fn login(&mut self, pin: &Pin, f: FinalTry) -> token_core::Result<()> {
        self.0.login(pin, f)
    }
    fn login_admin(&mut self, pin: &AdminPin, f: FinalTry) -> token_core::Result<()> {
        self.0.login_admin(pin, f)
    }
    fn logout(&mut self) -> token_core::Result<()> {
        self.0.logout()
    }
    fn change_pin(&mut self, o: &Pin, n: &Approved<Pin>, f: FinalTry) -> token_core::Result<()> {
        self.0.change_pin(o, n, f)
    }
    fn change_admin_pin(
        &mut self,
        o: &AdminPin,
        n: &Approved<AdminPin>,
        f: FinalTry,
    ) -> token_core::Result<()> {
        self.0.change_admin_pin(o, n, f)
    }
    fn reset_pin(
        &mut self,
        a: &AdminPin,
        n: &Approved<Pin>,
        f: FinalTry,
    ) -> token_core::Result<()> {
        self.0.reset_pin(a, n, f)
    }
    fn containers(&self) -> token_core::Result<Vec<ContainerInfo>> {
        self.0.containers()
    }
    fn delete_container(&mut self, id: &ContainerId) -> token_core::Result<()> {
        self.0.delete_container(id)
    }
    fn wipe(&mut self, a: &AdminPin, l: Option<&str>) -> token_core::Result<()> {
        self.0.wipe(a, l)
    }
    fn generate(
        &mut self,
        spec: &NewContainer,
        p: &mut dyn ProgressSink,
        c: &CancelToken,
    ) -> token_core::Result<ContainerInfo> {
        self.0.generate(spec, p, c)
    }
    fn import(&mut self, key: KeyImport) -> token_core::Result<ContainerInfo> {
        self.0.import(key)
    }
    fn write_certificate(&mut self, id: &ContainerId, der: &[u8]) -> token_core::Result<()> {
        self.0.write_certificate(id, der)
    }
    fn sign(&self, r: &SignRequest<'_>) -> token_core::Result<Vec<u8>> {
        self.0.sign(r)
    }
}

fn rotate<C: Carrier>(
    carrier: &mut C,
    old: &ContainerId,
    dir: &std::path::Path,
    backup: BackupAdvice,
    now: SystemTime,
) -> (Outcome, Vec<RotationEvent>) {
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
    let Outcome::Completed {
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
        Outcome::Completed {
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
    let mut hw = Hardware(t);
    let (_, events) = rotate(&mut hw, &old, dir.path(), BackupAdvice::Auto, now);
    assert!(reminders(&events).is_empty());
    let (_, events) = rotate(&mut hw, &old2, dir.path(), BackupAdvice::Always, now);
    assert_eq!(reminders(&events).len(), 1);
}
