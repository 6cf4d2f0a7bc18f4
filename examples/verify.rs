//! Verifies a CMS SignedData (flow U14) against the CAs you trust and prints one line per
//! signer.
//!
//! ```text
//! cargo run --example verify -- --in P7S [--content FILE] --ca CERT [--ca CERT ...]
//!     [--crl CRL ...] [--ocsp RESP ...] [--at RFC3339] [--signatures-only]
//! ```
//!
//! * `--ca`: a trusted CA certificate, PEM (one or more) or DER; repeatable. Required unless
//!   `--signatures-only`.
//! * `--crl`: a CRL (PEM or DER), repeatable; CRLs carried in the SignedData are used too.
//!   Without revocation information for every certificate below the CA, the signer is refused.
//! * `--ocsp`: an OCSP response (DER), repeatable.
//! * `--at`: validate at this time (`2024-05-01T12:00:00Z`, or with `+03:00`) instead of now.
//! * `--signatures-only`: check signatures, digests and signed attributes only, not who signed
//!   (archives whose CA is gone).
//!
//! Exits 0 only when every signer is valid and trusted (or, with `--signatures-only`, when
//! every signature is valid).
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keycarrier::cms::{ValidationTime, VerifyOptions, verify_report};
use keycarrier::trust::{OfflineRevocation, TrustAnchors};

type AnyError = Box<dyn std::error::Error>;

fn value(args: &[String], flag: &str) -> Option<String> {
    values(args, flag).into_iter().next()
}

fn values(args: &[String], flag: &str) -> Vec<String> {
    args.iter()
        .enumerate()
        .filter(|(_, a)| *a == flag)
        .filter_map(|(i, _)| args.get(i + 1).cloned())
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM` (fractions of a second are ignored).
fn parse_rfc3339(text: &str) -> Result<SystemTime, AnyError> {
    let bad = || format!("--at {text:?}: expected e.g. 2024-05-01T12:00:00Z");
    let num = |range: core::ops::Range<usize>| -> Result<u32, AnyError> {
        Ok(text
            .get(range)
            .ok_or_else(bad)?
            .parse::<u32>()
            .map_err(|_| bad())?)
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = text.get(19..).ok_or_else(bad)?;
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset_secs: i64 = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 => {
            let sign = match o.get(..1) {
                Some("+") => 1,
                Some("-") => -1,
                _ => return Err(bad().into()),
            };
            let h: i64 = o.get(1..3).ok_or_else(bad)?.parse().map_err(|_| bad())?;
            let m: i64 = o.get(4..6).ok_or_else(bad)?.parse().map_err(|_| bad())?;
            sign * (h * 3600 + m * 60)
        }
        _ => return Err(bad().into()),
    };
    let dt = keycarrier::der::DateTime::new(
        u16::try_from(year)?,
        u8::try_from(month)?,
        u8::try_from(day)?,
        u8::try_from(hour)?,
        u8::try_from(minute)?,
        u8::try_from(second)?,
    )
    .map_err(|_| bad())?;
    let utc = i64::try_from(dt.unix_duration().as_secs())? - offset_secs;
    Ok(UNIX_EPOCH + Duration::from_secs(u64::try_from(utc)?))
}

/// Runs the example on `args` (without the program name): the report, and whether every
/// signer verified (and was trusted, unless `--signatures-only`).
pub(crate) fn run(args: &[String]) -> Result<(String, bool), AnyError> {
    let input = value(args, "--in").ok_or("--in PATH is required")?;
    let cms = std::fs::read(&input)?;
    let content = value(args, "--content").map(std::fs::read).transpose()?;
    let signatures_only = args.iter().any(|a| a == "--signatures-only");
    let mut anchors = TrustAnchors::new();
    for path in values(args, "--ca") {
        anchors.add_pem_or_der(&std::fs::read(&path)?)?;
    }
    let mut revocation = OfflineRevocation::new();
    for path in values(args, "--crl") {
        revocation.add_crl(&std::fs::read(&path)?)?;
    }
    for path in values(args, "--ocsp") {
        revocation.add_ocsp_response(&std::fs::read(&path)?)?;
    }
    let time = match value(args, "--at") {
        Some(t) => ValidationTime::At(parse_rfc3339(&t)?),
        None => ValidationTime::Now,
    };
    let options = if signatures_only {
        VerifyOptions::signatures_only()
    } else if anchors.is_empty() {
        return Err("give the trusted CA with --ca CERT, or --signatures-only".into());
    } else {
        VerifyOptions::trusting(&anchors)
            .with_revocation(&revocation)
            .at(time)
    };
    let verified = verify_report(&cms, content.as_deref(), &options)?;
    let mut report = String::new();
    writeln!(
        report,
        "{input}: {} signer(s) over {} bytes of content{}",
        verified.signers.len(),
        verified.content.len(),
        if signatures_only {
            " (signatures only: the signers are NOT checked against a CA)"
        } else {
            ""
        }
    )?;
    for (i, s) in verified.signers.iter().enumerate() {
        let verdict = match (&s.result, signatures_only) {
            (Ok(()), false) => "VALID and trusted".to_owned(),
            (Ok(()), true) => "signature VALID".to_owned(),
            (Err(e), _) => format!("REFUSED: {e}"),
        };
        let path = s
            .path
            .as_ref()
            .map(|p| format!(" via {}", p.subjects.join(" <- ")))
            .unwrap_or_default();
        writeln!(
            report,
            "signer {}: {verdict}; subject {}; {}{path}",
            i + 1,
            s.subject.as_deref().unwrap_or("<certificate not found>"),
            s.scheme
                .map_or_else(|| "-".to_owned(), |x| format!("{x:?}")),
        )?;
        if let Some(p) = &s.path {
            for w in &p.warnings {
                writeln!(report, "  warning: {w}")?;
            }
        }
    }
    Ok((report, verified.all_valid()))
}

#[allow(dead_code)] // the test includes this file as a module and calls `run`
fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (report, ok) = run(&args)?;
    print!("{report}");
    if ok {
        Ok(())
    } else {
        Err("not every signer is valid and trusted".into())
    }
}
