//! Flow U19: the resumable rotation. A child process (this test binary re-run with
//! `KC_ROT_CHILD` set) is killed with SIGKILL at every journal step; the parent resumes and
//! must end with exactly one new key, the old key present until the new one is verified, and a
//! consistent journal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use keycarrier_rotation_policy::journal::{Journal, Step, StepState};
use keycarrier_rotation_policy::{
    KeyFacts, Policy, RotationAdvice, RotationEvent, RotationOptions, RotationOutcome, Rotator,
};
use soft_token::{FailPoint, SoftToken, TestKnobs};
use token_core::{Carrier, CertificateInfo, ContainerId, Error, GostParamSet, KeyAlgorithm};

const ALG: KeyAlgorithm = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);

fn setup(dir: &Path, now: SystemTime) -> ContainerId {
    let ca = test_ca(&dir.join("ca"), ALG, now);
    let mut t = token(&dir.join("client"), "Flash drive");
    let (old, _) = client_key(&mut t, &ca, "Ivanov 2026", ALG, now, 30);
    std::fs::write(dir.join("old.id"), old.to_string()).unwrap();
    old
}

fn decision(t: &SoftToken, old: &ContainerId, now: SystemTime) -> RotationAdvice {
    let cert = t.container(old).unwrap().certificate().unwrap().unwrap();
    Policy::default().decide(&KeyFacts::from_certificate(&cert), now)
}

/// Runs a rotation to the end, resuming while the CA says "pending".
fn drive(
    rot: &mut Rotator<'_>,
    t: &mut SoftToken,
    ca: &mut keycarrier_rotation_policy::ca::TestCa<SoftToken>,
    old: &ContainerId,
    now: SystemTime,
) -> RotationOutcome {
    let mut outcome = match rot.journal(old).unwrap() {
        Some(j) if j.step != Step::Rejected => rot.resume(t, ca, old, now).unwrap(),
        _ => {
            let d = decision(t, old, now);
            rot.start(t, ca, old, &d, now).unwrap()
        }
    };
    for _ in 0..10 {
        if !matches!(outcome, RotationOutcome::Waiting { .. }) {
            break;
        }
        outcome = rot.resume(t, ca, old, now).unwrap();
    }
    outcome
}

/// Rotation options trusting the test CA kept under `root/ca` (see `common::test_ca`).
fn options(retire_old: bool, root: &Path) -> RotationOptions {
    let ca_cert = std::fs::read(root.join("ca").join("ca").join("ca.cer")).unwrap();
    RotationOptions {
        retire_old,
        trust_anchors: trust::TrustAnchors::from_der([ca_cert.as_slice()]).unwrap(),
        ..RotationOptions::default()
    }
}

/// Not a test of its own: the body of the child process.
#[test]
fn child_worker() {
    let Ok(stop) = std::env::var("KC_ROT_CHILD") else {
        return;
    };
    let stop: usize = stop.parse().unwrap();
    let dir = std::path::PathBuf::from(std::env::var("KC_ROT_DIR").unwrap());
    let retire = std::env::var("KC_ROT_RETIRE").unwrap() == "1";
    let now = SystemTime::now();
    let mut t = open(&dir.join("client"));
    let mut ca = reopen_ca(&dir.join("ca"), now).with_delay(1);
    let old: ContainerId = std::fs::read_to_string(dir.join("old.id"))
        .unwrap()
        .parse()
        .unwrap();
    let mut seen = 0usize;
    let marker = dir.join("reached");
    let mut rot = Rotator::new(dir.join("journal"), options(retire, &dir)).on_event(move |e| {
        if matches!(
            e,
            RotationEvent::Step { .. } | RotationEvent::KeyGenerated { .. }
        ) {
            if seen == stop {
                std::fs::write(&marker, format!("{e:?}")).unwrap();
                // Wait here for the parent's SIGKILL.
                std::thread::sleep(Duration::from_secs(120));
                std::process::abort();
            }
            seen += 1;
        }
    });
    let outcome = drive(&mut rot, &mut t, &mut ca, &old, now);
    assert!(
        matches!(outcome, RotationOutcome::Completed { .. }),
        "{outcome:?}"
    );
    std::fs::write(dir.join("finished"), b"").unwrap();
}

/// Kills the child at checkpoint `stop`; `true` when the child finished before reaching it.
fn crash_at(dir: &Path, stop: usize, retire: bool) -> bool {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--nocapture", "--test-threads=1"])
        .env("KC_ROT_CHILD", stop.to_string())
        .env("KC_ROT_DIR", dir)
        .env("KC_ROT_RETIRE", if retire { "1" } else { "0" })
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if dir.join("reached").exists() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return false;
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "child failed at stop {stop}");
            assert!(dir.join("finished").exists());
            return true;
        }
        assert!(Instant::now() < deadline, "child hung at stop {stop}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn u19_sigkill_at_every_journal_step_then_resume() {
    let mut stops_killed = 0;
    for stop in 0..40usize {
        let retire = stop % 2 == 1;
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let old = setup(dir.path(), now);
        let old_cert = open(&dir.path().join("client"))
            .container(&old)
            .unwrap()
            .certificates;
        if crash_at(dir.path(), stop, retire) {
            assert!(stop > 15, "the rotation has more checkpoints than {stop}");
            break;
        }
        stops_killed += 1;
        let reached = std::fs::read_to_string(dir.path().join("reached")).unwrap();
        let mut t = open(&dir.path().join("client"));
        let rot_dir = dir.path().join("journal");
        let mut rot = Rotator::new(&rot_dir, options(retire, dir.path()));
        // Killed: the journal parses, and the old key is intact until verification is done.
        let j = rot.journal(&old).unwrap();
        let past_verify = j
            .as_ref()
            .is_some_and(|j| j.step >= Step::Retire && !matches!(j.step, Step::Rejected));
        if !(retire && past_verify) {
            let o = t
                .container(&old)
                .unwrap_or_else(|e| panic!("{reached}: old key lost: {e}"));
            assert!(o.has_private_key);
            assert_eq!(o.certificates, old_cert, "{reached}");
        }
        let before = t.containers().unwrap().len();
        assert!(before <= 2, "{reached}: {before} containers");
        // Resume in this process.
        let mut ca = reopen_ca(&dir.path().join("ca"), now).with_delay(1);
        let outcome = drive(&mut rot, &mut t, &mut ca, &old, now);
        let RotationOutcome::Completed {
            new, certificate, ..
        } = outcome
        else {
            panic!("{reached}: {outcome:?}")
        };
        let j = rot.journal(&old).unwrap().unwrap();
        assert_eq!(j.step, Step::Done, "{reached}");
        assert_eq!(j.new, new);
        // Exactly one new key; the old one kept or retired as configured.
        let containers = t.containers().unwrap();
        let ids: Vec<_> = containers.iter().map(|c| c.id.clone()).collect();
        if retire {
            assert_eq!(ids, vec![new.clone()], "{reached}");
        } else {
            assert_eq!(containers.len(), 2, "{reached}: {ids:?}");
            assert!(ids.contains(&old) && ids.contains(&new));
        }
        let n = t.container(&new).unwrap();
        assert_eq!(n.certificates.first(), j.certificate.as_ref(), "{reached}");
        let info = CertificateInfo::from_der(&n.certificates[0]).unwrap();
        assert!(info.public_key.same_key(&n.public_key));
        assert_eq!(info.not_after, certificate.not_after);
        // The new certificate keeps the old subject (pre-filled request).
        let old_info = CertificateInfo::from_der(&old_cert[0]).unwrap();
        assert_eq!(info.subject, old_info.subject);
    }
    assert!(stops_killed >= 16, "only {stops_killed} checkpoints");
}

#[test]
fn u19_soft_token_write_failure_during_generation_then_resume() {
    for point in [FailPoint::MidWrite, FailPoint::BeforeRename] {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let old = setup(dir.path(), now);
        let mut t = open(&dir.path().join("client"));
        let mut ca = reopen_ca(&dir.path().join("ca"), now);
        let mut rot = Rotator::new(dir.path().join("journal"), options(false, dir.path()));
        t.set_test_knobs(TestKnobs {
            fail_writes_at: Some(point),
            ..TestKnobs::default()
        });
        let d = decision(&t, &old, now);
        let err = rot.start(&mut t, &mut ca, &old, &d, now).unwrap_err();
        assert!(matches!(err, Error::Storage { .. }), "{err:?}");
        let j = rot.journal(&old).unwrap().unwrap();
        assert_eq!((j.step, j.state), (Step::Generate, StepState::Begun));
        assert_eq!(t.containers().unwrap().len(), 1);
        t.set_test_knobs(TestKnobs::default());
        // "Rotate" again: the unfinished rotation is resumed, not started afresh.
        let outcome = rot.start(&mut t, &mut ca, &old, &d, now).unwrap();
        let RotationOutcome::Completed { new, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(new, j.new);
        assert_eq!(t.containers().unwrap().len(), 2);
    }
}

#[test]
fn u19_waits_for_the_ca_and_the_old_key_stays_until_verified() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let old = setup(dir.path(), now);
    let mut t = open(&dir.path().join("client"));
    let mut ca = reopen_ca(&dir.path().join("ca"), now).with_delay(3);
    let mut events = vec![];
    let mut rot = Rotator::new(dir.path().join("journal"), options(true, dir.path()))
        .on_event(|e| events.push(e.clone()));
    let d = decision(&t, &old, now);
    assert!(
        matches!(d, RotationAdvice::Remind { days_left: 30, .. }),
        "{d:?}"
    );
    let mut outcome = rot.start(&mut t, &mut ca, &old, &d, now).unwrap();
    let mut waits = 0;
    while let RotationOutcome::Waiting { retry_after, .. } = outcome {
        assert!(retry_after > Duration::ZERO);
        waits += 1;
        assert!(t.container(&old).is_ok(), "old key kept while waiting");
        outcome = rot.resume(&mut t, &mut ca, &old, now).unwrap();
    }
    assert_eq!(waits, 3);
    assert!(matches!(outcome, RotationOutcome::Completed { .. }));
    assert!(
        t.container(&old).is_err(),
        "retired (deleted) as configured"
    );
    drop(rot);
    // Journal order: verify done strictly before retire begun.
    let steps: Vec<(Step, StepState)> = events
        .iter()
        .filter_map(|e| match e {
            RotationEvent::Step { step, state, .. } => Some((*step, *state)),
            _ => None,
        })
        .collect();
    let verify_done = steps
        .iter()
        .position(|s| *s == (Step::Verify, StepState::Done));
    let retire_begun = steps
        .iter()
        .position(|s| *s == (Step::Retire, StepState::Begun));
    assert!(verify_done.unwrap() < retire_begun.unwrap());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RotationEvent::Generation(_)))
    );
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, RotationEvent::Waiting { .. }))
            .count()
            == 3
    );
    // A finished rotation reports its outcome again, changing nothing.
    let mut rot = Rotator::new(dir.path().join("journal"), options(true, dir.path()));
    let again = rot.resume(&mut t, &mut ca, &old, now).unwrap();
    assert_eq!(again, outcome);
    assert_eq!(t.containers().unwrap().len(), 1);
    keycarrier_rotation_policy::forget_finished(&dir.path().join("journal"), &old).unwrap();
    assert!(rot.journal(&old).unwrap().is_none());
}

#[test]
fn u19_refused_decisions_and_ca_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let old = setup(dir.path(), now);
    let mut t = open(&dir.path().join("client"));
    let mut ca = reopen_ca(&dir.path().join("ca"), now).with_delay(1);
    let mut rot = Rotator::new(dir.path().join("journal"), options(false, dir.path()));
    // Office-only: nothing happens.
    let cert = t.container(&old).unwrap().certificate().unwrap().unwrap();
    let facts = KeyFacts {
        compromised: true,
        ..KeyFacts::from_certificate(&cert)
    };
    let office = Policy::default().decide(&facts, now);
    let err = rot.start(&mut t, &mut ca, &old, &office, now).unwrap_err();
    assert!(matches!(err, Error::NotAllowed { .. }), "{err:?}");
    assert!(rot.journal(&old).unwrap().is_none());
    assert_eq!(t.containers().unwrap().len(), 1);
    // The CA refuses: the uncertified new key goes, the old stays.
    let d = decision(&t, &old, now);
    let RotationOutcome::Waiting { request_id, .. } =
        rot.start(&mut t, &mut ca, &old, &d, now).unwrap()
    else {
        panic!("expected a wait")
    };
    assert_eq!(t.containers().unwrap().len(), 2);
    std::fs::write(
        dir.path()
            .join("ca/ca")
            .join(format!("{request_id}.rejected")),
        "организация изменила реквизиты",
    )
    .unwrap();
    let outcome = rot.resume(&mut t, &mut ca, &old, now).unwrap();
    assert_eq!(
        outcome,
        RotationOutcome::Rejected {
            reason: "организация изменила реквизиты".into()
        }
    );
    let ids: Vec<_> = t.containers().unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![old.clone()]);
    assert_eq!(rot.journal(&old).unwrap().unwrap().step, Step::Rejected);
    // A new rotation may start afterwards.
    ca = ca.with_delay(0);
    assert!(matches!(
        rot.start(&mut t, &mut ca, &old, &d, now).unwrap(),
        RotationOutcome::Completed { .. }
    ));
}

#[test]
fn u19_several_due_keys_rotate_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let ca_dir = dir.path().join("ca");
    let mut ca = test_ca(&ca_dir, ALG, now);
    let mut t = token(&dir.path().join("client"), "Flash drive");
    let (late, _) = client_key(&mut t, &ca, "late", ALG, now, 40);
    let (soon, _) = client_key(&mut t, &ca, "soon", ALG, now, 10);
    let (not_due, _) = client_key(&mut t, &ca, "not due", ALG, now, 200);
    let keys: Vec<(ContainerId, KeyFacts)> = [&late, &soon, &not_due]
        .into_iter()
        .map(|id| {
            let c = t.container(id).unwrap().certificate().unwrap().unwrap();
            (id.clone(), KeyFacts::from_certificate(&c))
        })
        .collect();
    let decisions = Policy::default().decide_inventory(&keys, now);
    let mut completed = vec![];
    let mut rot =
        Rotator::new(dir.path().join("journal"), options(false, dir.path())).on_event(|e| {
            if let RotationEvent::Completed { old, .. } = e {
                completed.push(old.clone());
            }
        });
    let results = rot.rotate_all(&mut t, &mut ca, &decisions, now).unwrap();
    drop(rot);
    assert_eq!(completed, vec![soon.clone(), late.clone()]);
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|(_, o)| matches!(o, RotationOutcome::Completed { .. }))
    );
    assert_eq!(t.containers().unwrap().len(), 5);
    // Journal text round-trips.
    let rot = Rotator::new(dir.path().join("journal"), options(false, dir.path()));
    let j = rot.journal(&soon).unwrap().unwrap();
    assert_eq!(Journal::parse(j.to_text().as_bytes()).unwrap(), j);
    assert!(rot.unfinished().unwrap().is_empty());
}

#[test]
fn u19_pulled_token_and_lost_connection_at_each_operation_then_resume() {
    for (token_op, ca_op) in [
        (Some("generate"), None),
        (Some("sign"), None),
        (Some("write_certificate"), None),
        (Some("delete_container"), None),
        (None, Some("submit")),
        (None, Some("poll")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let old = setup(dir.path(), now);
        let mut t = Wrapped::new(open(&dir.path().join("client")));
        let mut ca = Flaky {
            inner: reopen_ca(&dir.path().join("ca"), now),
            drop_at: ca_op,
        };
        let mut rot = Rotator::new(dir.path().join("journal"), options(true, dir.path()));
        let cert = t.container(&old).unwrap().certificate().unwrap().unwrap();
        let d = Policy::default().decide(&KeyFacts::from_certificate(&cert), now);
        t.pull_at.set(token_op);
        let err = rot.start(&mut t, &mut ca, &old, &d, now).unwrap_err();
        assert!(
            matches!(err, Error::CarrierRemoved | Error::Storage { .. }),
            "{token_op:?} {ca_op:?}: {err:?}"
        );
        // The old key survives unless the failure came after verification.
        if token_op != Some("delete_container") {
            assert!(t.container(&old).is_ok());
        }
        let outcome = rot.start(&mut t, &mut ca, &old, &d, now).unwrap();
        assert!(
            matches!(outcome, RotationOutcome::Completed { .. }),
            "{outcome:?}"
        );
        let ids: Vec<_> = t.containers().unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), 1, "{token_op:?} {ca_op:?}: {ids:?}");
        assert_ne!(ids[0], old);
    }
}
