//! The `rotation_advice` example (flows U16–U18): its logic is compiled in here and asked about
//! certificates OpenSSL (with the gost engine, required) issues for 5, 30, 60, 61 and 400 days;
//! the advice changes from nothing to do, to a reminder, to the last day, an office visit and
//! expired as the days pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use keycarrier::CertificateInfo;

#[path = "../examples/rotation_advice.rs"]
mod rotation_advice_example;

const DAY: Duration = Duration::from_secs(86_400);

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A self-signed GOST R 34.10-2012 certificate valid for `days` days from now, in PEM.
fn certificate(dir: &Path, days: u32) -> PathBuf {
    let cert = dir.join(format!("{days}.pem"));
    let out = Command::new("openssl")
        .args(["req", "-engine", "gost", "-x509", "-newkey", "gost2012_256"])
        .args(["-pkeyopt", "paramset:A", "-md_gost12_256", "-nodes"])
        .args(["-subj", "/C=RU/O=Romashka/CN=Ivanov Ivan", "-days"])
        .arg(days.to_string())
        .arg("-keyout")
        .arg(dir.join(format!("{days}.key")))
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    assert!(
        out.status.success(),
        "openssl req -x509 with the gost engine (apt-get install libengine-gost-openssl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cert
}

fn not_before(cert: &Path) -> SystemTime {
    let pem = std::fs::read(cert).unwrap();
    let (_, der) = keycarrier::der::pem::decode_vec(&pem).unwrap();
    CertificateInfo::from_der(&der).unwrap().not_before
}

/// RFC 3339 in UTC.
fn rfc3339(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).unwrap().to_string()
}

/// The example's report about `cert` at `now`, with extra arguments.
fn advice(cert: &Path, now: SystemTime, extra: &[&str]) -> String {
    let mut a = args(&[
        "--cert",
        &cert.display().to_string(),
        "--now",
        &rfc3339(now),
    ]);
    a.extend(args(extra));
    rotation_advice_example::run(&a).unwrap()
}

fn assert_says(report: &str, headline: &str, also: &str, remote: bool) {
    assert!(
        report.contains(&format!("advice: {headline}:")),
        "{headline}?\n{report}"
    );
    assert!(report.contains(also), "{also}?\n{report}");
    let allowed = if remote { "yes" } else { "no" };
    assert!(
        report.contains(&format!("remote rotation allowed: {allowed}")),
        "{report}"
    );
}

#[test]
fn u16_u18_advice_follows_the_days_left_and_the_circumstances() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();

    // Asked at the moment of issue, the days left are the days the certificate was issued for.
    let far = certificate(p, 400);
    let issued = not_before(&far);
    assert_says(
        &advice(&far, issued, &[]),
        "NOTHING TO DO YET",
        "400 days left",
        true,
    );
    // Without --now: today, which is (about) the day of issue.
    let today = rotation_advice_example::run(&args(&["--cert", &far.display().to_string()]));
    assert!(today.unwrap().contains("NOTHING TO DO YET"));

    // The reminder window opens 60 days before the expiry day.
    let c61 = certificate(p, 61);
    assert_says(
        &advice(&c61, not_before(&c61), &[]),
        "NOTHING TO DO YET",
        "61 days left",
        true,
    );
    let c60 = certificate(p, 60);
    assert_says(
        &advice(&c60, not_before(&c60), &[]),
        "REMINDER",
        "60 days left",
        true,
    );

    let c30 = certificate(p, 30);
    let at = not_before(&c30);
    assert_says(&advice(&c30, at, &[]), "REMINDER", "30 days left", true);
    // U17: documents encrypted to the key still unread block the rotation.
    assert_says(
        &advice(&c30, at, &["--pending", "2"]),
        "WAIT",
        "2 document(s) encrypted to the current key",
        false,
    );
    // U18: changed organisation details or a compromised key: the office, whatever the dates.
    assert_says(
        &advice(&c30, at, &["--organisation-changed"]),
        "OFFICE VISIT",
        "the organisation's details changed",
        false,
    );
    assert_says(
        &advice(&far, issued, &["--compromised"]),
        "OFFICE VISIT",
        "the key is compromised",
        false,
    );

    // Five days, then the days pass.
    let c5 = certificate(p, 5);
    let at = not_before(&c5);
    assert_says(&advice(&c5, at, &[]), "REMINDER", "5 days left", true);
    assert_says(
        &advice(&c5, at + 4 * DAY, &[]),
        "LAST DAY",
        "today is the last day to rotate it remotely",
        true,
    );
    assert_says(
        &advice(&c5, at + 5 * DAY, &[]),
        "OFFICE VISIT",
        "the certificate expires today",
        false,
    );
    assert_says(
        &advice(&c5, at + 6 * DAY, &[]),
        "EXPIRED",
        "only the office path remains",
        false,
    );
}

#[test]
fn u16_options_der_input_and_bad_arguments() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let cert = certificate(p, 30);
    let at = not_before(&cert);

    // The zone the expiry day is counted in is named in the report.
    let kz = advice(&cert, at, &["--time-zone", "Asia/Almaty"]);
    assert!(kz.contains("expiry day in Asia/Almaty"), "{kz}");
    assert!(advice(&cert, at, &[]).contains("expiry day in Europe/Moscow"));

    // DER works as PEM does.
    let (_, der) = keycarrier::der::pem::decode_vec(&std::fs::read(&cert).unwrap()).unwrap();
    let der_path = p.join("30.der");
    std::fs::write(&der_path, der).unwrap();
    assert_says(
        &advice(&der_path, at, &[]),
        "REMINDER",
        "30 days left",
        true,
    );

    // An offset in the timestamp is honoured: 09:00 at UTC+03:00 is 06:00 UTC.
    let a = rotation_advice_example::run(&args(&[
        "--cert",
        &cert.display().to_string(),
        "--now",
        "2027-01-31T09:00:00+03:00",
    ]))
    .unwrap();
    assert!(a.contains("today in Europe/Moscow: 31.01.2027"), "{a}");
    // 2024-02-10T18:30:00Z is already 11.02 in Almaty, then UTC+6 (`TZ=Asia/Almaty date -d
    // @1707589800` says 2024-02-11 00:30:00 +0600), still 10.02 at today's +5.
    let a = rotation_advice_example::run(&args(&[
        "--cert",
        &cert.display().to_string(),
        "--time-zone",
        "Asia/Almaty",
        "--now",
        "2024-02-10T18:30:00Z",
    ]))
    .unwrap();
    assert!(a.contains("today in Asia/Almaty: 11.02.2024"), "{a}");

    for bad in [
        vec!["--now", "2027-01-31"],
        vec!["--now", "2027-02-30T00:00:00Z"],
        vec!["--now", "2027-01-31T25:00:00Z"],
        vec!["--time-zone", "+05:00"],
        vec!["--time-zone", "Moscow"],
        vec!["--pending", "many"],
    ] {
        let mut a = args(&["--cert", &cert.display().to_string()]);
        a.extend(args(&bad));
        assert!(rotation_advice_example::run(&a).is_err(), "{bad:?}");
    }
    assert!(rotation_advice_example::run(&args(&["--now", "2027-01-31T09:00:00Z"])).is_err());
    let not_a_cert = p.join("30.key");
    assert!(
        rotation_advice_example::run(&args(&["--cert", &not_a_cert.display().to_string()]))
            .is_err()
    );
}
