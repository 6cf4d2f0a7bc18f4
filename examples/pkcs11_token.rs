//! A PKCS#11 token — SoftHSM2 here; a Rutoken, JaCarta or KAZTOKEN through its vendor's module
//! in real life: list the slots and the carriers in them (flow U01), read the PIN state and log
//! in (U08), generate a key on the token (U09), sign a payment order with it (U14) and verify
//! the signature with the public key alone.
//!
//! `cargo run --example pkcs11_token -- --pin PIN [--label LABEL] [--module PATH]
//! [--algorithm rsa2048|gost256|gost512] [--keep] [--out DIR]`
//!
//! * `--module`: the PKCS#11 module; default SoftHSM2 where Debian, Ubuntu or Fedora install it
//!   (`/usr/lib/softhsm/libsofthsm2.so`, …).
//! * `--label`: the token to use; default the first initialised one.
//! * `--pin`: its user PIN.
//! * `--algorithm`: default `rsa2048`. SoftHSM2 has no GOST mechanisms and refuses `gost256`
//!   cleanly; a token that has them generates and signs GOST R 34.10-2012.
//! * `--keep`: keep the generated key on the token (by default it is deleted at the end).
//! * `--out DIR`: also write `message.txt`, `signature.bin` and `public.pem` there; for RSA,
//!   `openssl dgst -sha256 -verify DIR/public.pem -signature DIR/signature.bin
//!   DIR/message.txt` checks them.
//!
//! A SoftHSM2 token to try it on, in a directory of its own:
//!
//! ```text
//! mkdir -p tokens && echo "directories.tokendir = $PWD/tokens" > softhsm2.conf
//! export SOFTHSM2_CONF=$PWD/softhsm2.conf
//! softhsm2-util --init-token --free --label demo --so-pin Ad9mQ4kz --pin Rx7mQ2wz
//! cargo run --example pkcs11_token -- --label demo --pin Rx7mQ2wz
//! ```
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;
use std::path::Path;

use keycarrier::pkcs11::Module;
use keycarrier::trust::signature::verify_message;
use keycarrier::{
    CancelToken, Carrier, Error, FinalTry, GostParamSet, KeyAlgorithm, NewContainer, NoProgress,
    Pin, PinRole, SignRequest, signature_algorithm_identifier,
};

type AnyError = Box<dyn std::error::Error>;

/// Where distributions install SoftHSM2's module.
const SOFTHSM: [&str; 4] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

const ORDER: &str = "Payment order No. 118: 15 000.00 RUB to LLC Romashka, INN 7707083893\n";

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Runs the example on `args` (without the program name); returns what it reports.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    let module_path = match value(args, "--module") {
        Some(path) => path,
        None => SOFTHSM
            .iter()
            .find(|p| Path::new(p).is_file())
            .map(|p| (*p).to_owned())
            .ok_or(
                "SoftHSM2 not found (apt-get install softhsm2), or name a module: --module PATH",
            )?,
    };
    let pin = value(args, "--pin").ok_or("--pin PIN is required")?;
    let label = value(args, "--label");
    let algorithm = match value(args, "--algorithm").as_deref().unwrap_or("rsa2048") {
        "rsa2048" => KeyAlgorithm::Rsa { bits: 2048 },
        "gost256" => KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        "gost512" => KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
        other => return Err(format!("unknown algorithm {other}").into()),
    };
    let mut report = String::new();

    // U01: the slots and what is in them.
    let module = Module::open(&module_path)?;
    writeln!(report, "module: {}", module.path().display())?;
    let slots = module.slots()?;
    for s in &slots {
        match &s.carrier {
            Some(c) => writeln!(report, "slot {} ({}): {c}", s.slot, s.reader)?,
            None => writeln!(report, "slot {} ({}): empty", s.slot, s.reader)?,
        }
    }
    let chosen = slots
        .iter()
        .find_map(|s| {
            let c = s.carrier.as_ref()?;
            let wanted = match &label {
                Some(l) => c.label.as_deref() == Some(l.as_str()),
                None => c.initialized,
            };
            wanted.then_some((s.slot, c))
        })
        .ok_or_else(|| Error::NotFound {
            what: match &label {
                Some(l) => format!("token labelled {l:?}"),
                None => "an initialised token".into(),
            },
        })?;
    writeln!(report, "using slot {}: {}", chosen.0, chosen.1)?;
    let mut carrier = module.carrier(chosen.0)?;

    // U08: the PIN state before typing, then the login; the last attempt is never spent
    // without FinalTry::Allow.
    let status = carrier.pin_status(PinRole::User)?;
    writeln!(
        report,
        "user PIN: a wrong PIN since the last correct one: {}, final try: {}, locked: {}",
        if status.count_low { "yes" } else { "no" },
        status.final_try,
        status.locked
    )?;
    carrier.login(&Pin::new(&pin), FinalTry::Refuse)?;
    writeln!(report, "logged in")?;

    // U09: a key pair generated on the token; the private key never leaves it.
    let spec = NewContainer::new("keycarrier example", algorithm);
    let container = carrier.generate(&spec, &mut NoProgress, &CancelToken::new())?;
    writeln!(
        report,
        "generated container {}: {}, extractable: {}, sensitive: {}",
        container.id, container.algorithm, container.extractable, container.sensitive
    )?;

    // U14: the token signs; anyone verifies with the public key alone.
    let scheme = container.algorithm.signature_scheme();
    let signed = (|| -> Result<Vec<u8>, AnyError> {
        let signature = carrier.sign(&SignRequest::message(
            &container.id,
            scheme,
            ORDER.as_bytes(),
        ))?;
        let algorithm = signature_algorithm_identifier(scheme)?;
        verify_message(
            &container.public_key,
            &algorithm,
            ORDER.as_bytes(),
            &signature,
        )?;
        let altered = ORDER.replace("15 000.00", "95 000.00");
        if verify_message(
            &container.public_key,
            &algorithm,
            altered.as_bytes(),
            &signature,
        )
        .is_ok()
        {
            return Err("an altered order verified".into());
        }
        Ok(signature)
    })();
    // The demonstration key goes away unless asked to stay, whether signing worked or not.
    if !args.iter().any(|a| a == "--keep") {
        carrier.delete_container(&container.id)?;
    }
    let signature = signed?;
    writeln!(
        report,
        "signed the payment order: {} bytes of {scheme:?} signature; verified with the public \
         key; an altered order does not verify",
        signature.len()
    )?;

    if let Some(out) = value(args, "--out") {
        let out = Path::new(&out);
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("message.txt"), ORDER)?;
        std::fs::write(out.join("signature.bin"), &signature)?;
        let pem = keycarrier::der::pem::encode_string(
            "PUBLIC KEY",
            keycarrier::der::pem::LineEnding::LF,
            &container.public_key.to_der()?,
        )?;
        std::fs::write(out.join("public.pem"), pem)?;
        writeln!(
            report,
            "wrote message.txt, signature.bin, public.pem to {}",
            out.display()
        )?;
    }
    writeln!(
        report,
        "containers on the token: {}",
        carrier.containers()?.len()
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
