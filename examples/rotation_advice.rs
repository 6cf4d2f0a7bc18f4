//! What to do today about the key of a certificate (flows U16–U18): asks the rotation policy
//! and says it in words — nothing yet, a reminder to replace the key, the last day to replace
//! it remotely, wait for pending documents, an office visit, or expired.
//!
//! `cargo run --example rotation_advice -- --cert CERT.pem [--time-zone Asia/Almaty]
//! [--now 2027-01-31T09:00:00+03:00] [--pending N] [--organisation-changed] [--compromised]`
//!
//! * `--cert`: the certificate, PEM or DER.
//! * `--time-zone`: the bank's IANA time zone, whose calendar (with its historical rules)
//!   decides the expiry day (default `Europe/Moscow`; `Asia/Almaty` for Kazakhstan).
//! * `--now`: the moment to ask about, RFC 3339 (default: now).
//! * `--pending N`: N documents encrypted to this key are not yet received and decrypted (U17).
//! * `--organisation-changed`, `--compromised`: the cases only the office handles (U18).
//!
//! The policy is [`keycarrier::rotation::Policy::default`]: a reminder from 60 days before the
//! expiry day, no remote rotation on the expiry day, only the office after it.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::time::SystemTime;

use keycarrier::rotation::{Circumstances, Policy, RotationAdvice, Zone};
use keycarrier::{CertificateInfo, ContainerId};

type AnyError = Box<dyn std::error::Error>;

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// An RFC 3339 timestamp (`2027-01-31T09:00:00+03:00`, `…Z`), read by `jiff`.
fn parse_rfc3339(text: &str) -> Result<SystemTime, AnyError> {
    let instant: jiff::Timestamp = text.parse().map_err(|e| {
        format!("bad time {text:?} (expected RFC 3339, e.g. 2027-01-31T09:00:00+03:00): {e}")
    })?;
    Ok(SystemTime::from(instant))
}

/// DER, or the first PEM block (text before it, as `openssl x509 -text` writes, is skipped).
fn read_certificate(bytes: &[u8]) -> Result<Vec<u8>, AnyError> {
    let Some(start) = bytes.windows(10).position(|w| w == b"-----BEGIN") else {
        return Ok(bytes.to_vec());
    };
    let (label, der) = keycarrier::der::pem::decode_vec(bytes.get(start..).unwrap_or_default())?;
    if label != "CERTIFICATE" {
        return Err(format!("expected a CERTIFICATE, found a PEM {label}").into());
    }
    Ok(der)
}

/// The decision in words: a short headline and what it means for the customer.
fn advice(decision: &RotationAdvice) -> (&'static str, &'static str) {
    match decision {
        RotationAdvice::NotDue { .. } => (
            "NOTHING TO DO YET",
            "the key is not due for replacement; no reminder is shown",
        ),
        RotationAdvice::Remind { .. } => (
            "REMINDER",
            "replace the key now: generate a new one and send the request to the bank remotely",
        ),
        RotationAdvice::RotateNow { .. } => (
            "LAST DAY",
            "today is the last day the key can be replaced remotely",
        ),
        RotationAdvice::Blocked { .. } => (
            "WAIT",
            "receive and decrypt the documents still encrypted to this key, then replace it",
        ),
        RotationAdvice::OfficeOnly { .. } => (
            "OFFICE VISIT",
            "remote replacement is refused; the key is replaced at the bank's office",
        ),
        RotationAdvice::Expired { .. } => (
            "EXPIRED",
            "the certificate has expired; the bank prepares a new request at its office",
        ),
        _ => (
            "SEE DETAILS",
            "an advice this example does not know by name",
        ),
    }
}

/// Runs the example on `args` (without the program name); returns what it reports.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    let path = value(args, "--cert").ok_or("--cert FILE is required")?;
    let der = read_certificate(&std::fs::read(&path)?)?;
    let certificate = CertificateInfo::from_der(&der)?;
    let zone = match value(args, "--time-zone") {
        Some(name) => Zone::named(&name)?,
        None => Zone::moscow(),
    };
    let now = match value(args, "--now") {
        Some(text) => parse_rfc3339(&text)?,
        None => SystemTime::now(),
    };
    let pending: u32 = match value(args, "--pending") {
        Some(n) => n
            .parse()
            .map_err(|_| format!("--pending {n}: not a count"))?,
        None => 0,
    };
    let circumstances = Circumstances {
        organisation_changed: args.iter().any(|a| a == "--organisation-changed"),
        compromised: args.iter().any(|a| a == "--compromised"),
    };

    let policy = Policy::in_zone(zone.clone());
    // The application tells the policy how many documents encrypted to this key are unread;
    // here the count comes from the command line. The container id only names the key to the
    // callback.
    let count = |_: &ContainerId| -> keycarrier::Result<u32> { Ok(pending) };
    let decision = policy.decide_certificate(
        &ContainerId::new(certificate.serial.clone()),
        &certificate,
        circumstances,
        &count,
        now,
    )?;
    let (headline, meaning) = advice(&decision);
    Ok(format!(
        "certificate: {}\n\
         valid: {} to {} (expiry day in {zone}: {})\n\
         today in {zone}: {}\n\
         advice: {headline}: {meaning}\n\
         policy says: {decision}\n\
         remote rotation allowed: {}\n",
        certificate.subject,
        zone.date_of(certificate.not_before),
        zone.date_of(certificate.not_after),
        decision.expiry_day(),
        zone.date_of(now),
        if decision.allows_remote_rotation() {
            "yes"
        } else {
            "no"
        },
    ))
}

#[allow(dead_code)] // the test includes this file as a module and calls `run`
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(report) => {
            print!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            // keycarrier errors carry a stable code a support desk can search for.
            match e.downcast_ref::<keycarrier::Error>() {
                Some(k) => eprintln!("error [{}]: {k}", keycarrier::ErrorCode::code(k)),
                None => eprintln!("error: {e}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}
