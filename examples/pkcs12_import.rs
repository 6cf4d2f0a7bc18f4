//! Import a PKCS#12 file (`.pfx` / `.p12`) — the password-protected initialisation key a bank
//! hands to its customer — into a container of the built-in soft token (flow U03), and show
//! the container and the certificate it became.
//!
//! `cargo run --example pkcs12_import -- --pfx FILE --password PASSWORD --token-dir DIR
//! [--pin PIN] [--admin-pin PIN] [--label LABEL] [--kdf-iterations N]`
//!
//! * If `DIR` holds no token yet, a soft token is created there with the admin PIN
//!   `--admin-pin` and the user PIN `--pin`. Both must pass the bank PIN rules (8 or more Latin
//!   letters and digits, no runs like `123` or `abc`, no vendor default such as `87654321`):
//!   a soft token whose admin PIN is a vendor default takes no keys, since that PIN would open
//!   them.
//! * If `DIR` already holds a token, the example logs in with `--pin` and adds a container.
//! * `--pin` and `--admin-pin` default to the demonstration PINs of the other examples
//!   (`Rx7mQ2wz`, `Adm1nQw8`); pass your own for anything but a demonstration.
//! * `--label` names the new container (default `Imported`).
//! * `--kdf-iterations N`: PBKDF2 rounds with which a new token derives keys from its PINs
//!   (default: the soft token's 100 000). Fewer make a demonstration or a test quicker and
//!   the PINs cheaper to guess from a copy of the directory. With the default, creating and
//!   opening a token takes seconds; `cargo run --release --example pkcs12_import` is quicker.
//!
//! GOST R 34.10-2012 files (TC26 profile, or what `openssl pkcs12 -export -engine gost
//! -keypbe gost89 -certpbe gost89` writes) and RSA files (OpenSSL's default PBES2/AES, or the
//! legacy 3DES profile) are read. A wrong password is the typed error `KC-PASSWORD-WRONG` and
//! leaves the token untouched.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;
use std::path::Path;

use keycarrier::cms::pfx::{import_pfx, inspect_pfx};
use keycarrier::der::asn1::ObjectIdentifier;
use keycarrier::rotation::Zone;
use keycarrier::soft::{SoftToken, TokenSettings};
use keycarrier::{AdminPin, Carrier, Error, FinalTry, Password, Pin, PinPolicy, oid};

type AnyError = Box<dyn std::error::Error>;

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A readable name for the algorithms a PFX is protected with.
fn name(oid: &ObjectIdentifier) -> String {
    let known = [
        (oid::TC26_GOST_3411_12_256, "Streebog-256"),
        (oid::TC26_GOST_3411_12_512, "Streebog-512"),
        (oid::GOST_28147_89, "GOST 28147-89"),
        (oid::SHA256, "SHA-256"),
        (oid::SHA1, "SHA-1"),
        (oid::AES128_CBC, "AES-128-CBC"),
        (oid::AES192_CBC, "AES-192-CBC"),
        (oid::AES256_CBC, "AES-256-CBC"),
        (
            oid::PBE_WITH_SHA_AND_3KEY_TRIPLE_DES_CBC,
            "3DES (PKCS#12 PBE)",
        ),
        (oid::PBE_WITH_SHA_AND_40BIT_RC2_CBC, "RC2-40 (PKCS#12 PBE)"),
    ];
    known
        .iter()
        .find(|(o, _)| o == oid)
        .map_or_else(|| oid.to_string(), |(_, n)| (*n).to_owned())
}

/// Opens the token in `dir`, creating it first when the directory holds none; logs in.
fn token(
    dir: &Path,
    pin: &str,
    admin_pin: &str,
    settings: &TokenSettings,
    report: &mut String,
) -> Result<SoftToken, Error> {
    let existing = SoftToken::open(dir);
    let mut token = if existing.info()?.initialized {
        let _ = writeln!(
            report,
            "token: {} in {} (opened)",
            existing.info()?,
            dir.display()
        );
        existing
    } else {
        let policy = PinPolicy::default();
        let admin = policy.approve(AdminPin::new(admin_pin), None)?;
        let user = policy.approve(Pin::new(pin), None)?;
        let mut created = SoftToken::create(dir, settings, &admin)?;
        created.reset_pin(&admin, &user, FinalTry::Refuse)?;
        let _ = writeln!(
            report,
            "token: {} in {} (created)",
            created.info()?,
            dir.display()
        );
        created
    };
    token.login(&Pin::new(pin), FinalTry::Refuse)?;
    Ok(token)
}

/// Runs the example on `args` (without the program name); returns what it reports.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    let pfx_path = value(args, "--pfx").ok_or("--pfx FILE is required")?;
    let password = value(args, "--password").ok_or("--password PASSWORD is required")?;
    let dir = value(args, "--token-dir").ok_or("--token-dir DIR is required")?;
    let pin = value(args, "--pin").unwrap_or_else(|| "Rx7mQ2wz".into());
    let admin_pin = value(args, "--admin-pin").unwrap_or_else(|| "Adm1nQw8".into());
    let label = value(args, "--label").unwrap_or_else(|| "Imported".into());
    let mut settings = TokenSettings::new("keycarrier");
    if let Some(n) = value(args, "--kdf-iterations") {
        settings.kdf_iterations = n.parse().map_err(|_| format!("--kdf-iterations {n}"))?;
    }

    let pfx = std::fs::read(&pfx_path)?;
    let mut report = String::new();
    // The protection can be read without the password.
    let protection = inspect_pfx(&pfx)?;
    let mac = protection.mac.as_ref().map_or_else(
        || "no MAC".to_owned(),
        |(alg, n)| format!("MAC {} x {n}", name(alg)),
    );
    let parts: Vec<String> = protection
        .encryption
        .iter()
        .map(|(alg, n)| format!("{} x {n}", name(alg)))
        .collect();
    writeln!(
        report,
        "file: {pfx_path}: {mac}; encrypted with {}",
        parts.join(", ")
    )?;

    let mut token = token(Path::new(&dir), &pin, &admin_pin, &settings, &mut report)?;
    let container = import_pfx(&mut token, &pfx, &Password::new(&password), &label)?;
    writeln!(
        report,
        "container {}: label {:?}, {}, private key: {}, extractable: {}",
        container.id,
        container.label.as_deref().unwrap_or(""),
        container.algorithm,
        if container.has_private_key {
            "yes"
        } else {
            "no"
        },
        if container.extractable { "yes" } else { "no" },
    )?;
    if let Some(c) = container.certificate()? {
        let zone = Zone::moscow();
        let serial: Vec<String> = c.serial.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(report, "certificate: {}", c.subject)?;
        writeln!(report, "  issued by: {}", c.issuer)?;
        writeln!(report, "  serial: {}", serial.join(":"))?;
        writeln!(
            report,
            "  valid: {} to {} ({zone})",
            zone.date_of(c.not_before),
            zone.date_of(c.not_after)
        )?;
        if let Some(ku) = c.key_usage {
            let uses: Vec<&str> = [
                (ku.digital_signature, "digitalSignature"),
                (ku.non_repudiation, "nonRepudiation"),
                (ku.key_encipherment, "keyEncipherment"),
                (ku.key_agreement, "keyAgreement"),
                (ku.key_cert_sign, "keyCertSign"),
            ]
            .into_iter()
            .filter_map(|(on, n)| on.then_some(n))
            .collect();
            writeln!(report, "  key usage: {}", uses.join(", "))?;
        }
    }
    writeln!(
        report,
        "certificates in the container: {}; containers on the token: {}",
        container.certificates.len(),
        token.containers()?.len()
    )?;
    Ok(report)
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
