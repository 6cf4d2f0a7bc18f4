//! Verifies a CMS SignedData (flow U14) and prints one report per signer.
//!
//! `cargo run --example verify -- --in PATH [--content PATH]`
//!
//! The content is the attached one, or the file given with `--content` for a detached
//! signature. Signer certificates are taken from the SignedData; no trust anchor is checked
//! (this example shows the signatures, not the PKI). Exits with an error when a signer fails.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;

use keycarrier::cms::{VerifyOptions, verify};

type AnyError = Box<dyn std::error::Error>;

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Runs the example on `args` (without the program name): the report, and whether every
/// signer verified.
pub(crate) fn run(args: &[String]) -> Result<(String, bool), AnyError> {
    let input = value(args, "--in").ok_or("--in PATH is required")?;
    let cms = std::fs::read(&input)?;
    let content = value(args, "--content").map(std::fs::read).transpose()?;
    let verified = verify(&cms, content.as_deref(), &VerifyOptions::default())?;
    let mut report = String::new();
    writeln!(
        report,
        "{input}: {} signer(s) over {} bytes of content",
        verified.signers.len(),
        verified.content.len()
    )?;
    for (i, s) in verified.signers.iter().enumerate() {
        let time = s
            .signing_time
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or_else(
                || "-".to_owned(),
                |d| format!("{} s after 1970", d.as_secs()),
            );
        writeln!(
            report,
            "signer {}: {}\n  subject: {}\n  scheme: {}\n  signingTime: {time}\n  signingCertificateV2: {}",
            i + 1,
            match &s.result {
                Ok(()) => "VALID".to_owned(),
                Err(e) => format!("INVALID ({e})"),
            },
            s.subject.as_deref().unwrap_or("<certificate not found>"),
            s.scheme
                .map_or_else(|| "-".to_owned(), |x| format!("{x:?}")),
            if s.signing_certificate_v2 {
                "yes"
            } else {
                "no"
            },
        )?;
    }
    Ok((report, verified.all_valid() && !verified.signers.is_empty()))
}

#[allow(dead_code)] // the test includes this file as a module and calls `run`
fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (report, ok) = run(&args)?;
    print!("{report}");
    if ok {
        Ok(())
    } else {
        Err("not every signer verified".into())
    }
}
