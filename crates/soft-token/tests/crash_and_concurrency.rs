//! The store survives a process killed mid-write (real SIGKILL) and two processes at once.
//!
//! The test binary runs itself as the child process: `child_worker` does nothing unless
//! `KC_SOFT_TOKEN_CHILD` names a job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use keycarrier_soft_token::{SoftToken, TokenSettings};
use token_core::{AdminPin, Carrier, Error, FinalTry, Pin, PinPolicy, PinRole};

const ADMIN: &str = "Adm1nQw8";
const PIN_A: &str = "Rx7mQ2wz";
const PIN_B: &str = "K9d4p7r2";

fn create(dir: &Path, retries: u8) {
    let settings = TokenSettings {
        user_retries: retries,
        admin_retries: retries,
        kdf_iterations: 50,
        ..TokenSettings::new("Crash test")
    };
    let mut token = SoftToken::create(dir, &settings, &AdminPin::new(ADMIN)).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(PIN_A), None).unwrap();
    token
        .reset_pin(&AdminPin::new(ADMIN), &pin, FinalTry::Refuse)
        .unwrap();
}

fn spawn(job: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--nocapture", "--test-threads=1"])
        .env("KC_SOFT_TOKEN_CHILD", job)
        .env("KC_SOFT_TOKEN_DIR", dir)
        .spawn()
        .expect("spawn the child test process")
}

/// Not a test of its own: the body of the child processes.
#[test]
fn child_worker() {
    let Ok(job) = std::env::var("KC_SOFT_TOKEN_CHILD") else {
        return;
    };
    let dir = std::env::var("KC_SOFT_TOKEN_DIR").unwrap();
    let mut token = SoftToken::open(Path::new(&dir));
    match job.as_str() {
        // Flip the user PIN between A and B until killed.
        "churn" => {
            let policy = PinPolicy::default();
            loop {
                for (old, new) in [(PIN_A, PIN_B), (PIN_B, PIN_A)] {
                    let new = policy.approve(Pin::new(new), None).unwrap();
                    let _ = token.change_pin(&Pin::new(old), &new, FinalTry::Allow);
                }
            }
        }
        // 20 wrong user PINs.
        "wrong" => {
            for _ in 0..20 {
                let r = token.login(&Pin::new("Wrong123x"), FinalTry::Allow);
                assert!(matches!(r, Err(Error::WrongPin { .. })), "{r:?}");
            }
        }
        other => panic!("unknown child job {other}"),
    }
}

#[test]
fn sigkill_during_writes_leaves_a_usable_token() {
    for round in 0..6u64 {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path(), 200);
        let mut child = spawn("churn", dir.path());
        std::thread::sleep(Duration::from_millis(150 + round * 70));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // The state parses and exactly one of the two PINs opens it.
        let mut token = SoftToken::open(dir.path());
        let status = token.pin_status(PinRole::User).unwrap();
        assert!(!status.locked, "round {round}: {status:?}");
        let a = token.login(&Pin::new(PIN_A), FinalTry::Allow).is_ok();
        let b = token.login(&Pin::new(PIN_B), FinalTry::Allow).is_ok();
        assert!(a ^ b, "round {round}: A {a}, B {b}");
        // The admin PIN still unwraps the same token key.
        let pin = PinPolicy::default()
            .approve(Pin::new("N3wPinQz"), None)
            .unwrap();
        token
            .reset_pin(&AdminPin::new(ADMIN), &pin, FinalTry::Refuse)
            .unwrap();
        token
            .login(&Pin::new("N3wPinQz"), FinalTry::Refuse)
            .unwrap();
    }
}

#[test]
fn two_processes_lose_no_counter_update() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path(), 100);
    let mut first = spawn("wrong", dir.path());
    let mut second = spawn("wrong", dir.path());
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    let token = SoftToken::open(dir.path());
    // 40 wrong attempts from two processes: every decrement was written under the lock.
    assert_eq!(
        token.pin_status(PinRole::User).unwrap().retries_left,
        Some(60)
    );
}
