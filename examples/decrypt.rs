//! Decrypt an envelope with a private key file, the key used the way a token uses it (flow
//! U21): the key is put on a temporary soft token, and the envelope is opened through that
//! token's PKCS#11 module (`libsoft_token_pkcs11.so`), so the private key operation runs
//! behind the PKCS#11 interface as it would on a Rutoken or JaCarta.
//!
//! `cargo build -p keycarrier-soft-token-pkcs11 && cargo run --example decrypt -- --in P7M --out FILE
//! --key PKCS8.pem [--cert CERT] [--module PATH]`
//!
//! * `--key`: the recipient's private key, unencrypted PKCS#8 PEM (`openssl genpkey` writes
//!   it), GOST R 34.10-2012 or RSA.
//! * `--cert`: the recipient's certificate; needed only when the envelope has several
//!   recipients (it says which one is you).
//! * `--module`: the soft token's PKCS#11 module; default `libsoft_token_pkcs11.so` in the
//!   target directory this example was built into.
//!
//! The output file appears only when the envelope opened completely and, for authenticated
//! ciphers, its tag verified. The temporary token is deleted when the program ends.
//!
//! The module reads its token list from `KEYCARRIER_SOFTTOKEN_CONF` when it is loaded. The
//! workspace forbids `unsafe`, and setting a variable in one's own process is unsafe in Rust
//! 2024, so the program runs itself again as a child process with the variable set.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use keycarrier::envelope::{Envelope, RecipientKey, open_to_file};
use keycarrier::pkcs11::Module;
use keycarrier::soft::{SoftToken, TokenSettings};
use keycarrier::{
    AdminPin, Carrier, ContainerId, FinalTry, KeyImport, Pin, PinPolicy, SecretBytes,
};

type AnyError = Box<dyn std::error::Error>;

/// Set in the child: the soft token's configuration file.
const CONF: &str = "KEYCARRIER_SOFTTOKEN_CONF";
/// Set in the child: the container id (hex) holding the imported key.
const CHILD: &str = "KEYCARRIER_DECRYPT_EXAMPLE_CONTAINER";
/// The temporary token's PINs: the token lives only as long as this program.
const USER_PIN: &str = "Tq7mZ2xv";
const ADMIN_PIN: &str = "Wk4nR8pd";

fn value(args: &[String], flag: &str) -> Option<String> {
    args.windows(2)
        .find(|w| w.first().is_some_and(|f| f == flag))
        .and_then(|w| w.get(1).cloned())
}

fn usage(what: &str) -> AnyError {
    format!(
        "{what}\nusage: decrypt --in P7M --out FILE --key PKCS8.pem [--cert CERT] [--module PATH]"
    )
    .into()
}

fn pem_or_der(path: &str, label: &str) -> Result<Vec<u8>, AnyError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if !bytes.starts_with(b"-----") {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not PEM text"))?;
    let (found, der) =
        pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(|e| format!("{path}: {e}"))?;
    if found != label {
        return Err(format!("{path}: PEM label {found}, expected {label}").into());
    }
    Ok(der)
}

fn default_module() -> Result<PathBuf, AnyError> {
    // target/<profile>/examples/decrypt → target/<profile>/libsoft_token_pkcs11.so (`cargo
    // build -p keycarrier-soft-token-pkcs11`), or target/<profile>/deps/ (`cargo test --workspace`).
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot tell where this example was built")?;
    let built = dir.join("libsoft_token_pkcs11.so");
    let deps = dir.join("deps").join("libsoft_token_pkcs11.so");
    Ok(if built.exists() || !deps.exists() {
        built
    } else {
        deps
    })
}

/// Decrypts as the command line says; returns the report printed on success. In the parent
/// process this prepares the temporary token and runs the child; in the child it opens the
/// envelope through PKCS#11.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    if let Some(container) = std::env::var_os(CHILD) {
        return in_child(args, &container.to_string_lossy());
    }
    let key = value(args, "--key").ok_or_else(|| usage("--key PKCS8.pem is needed"))?;
    value(args, "--in").ok_or_else(|| usage("--in P7M is needed"))?;
    value(args, "--out").ok_or_else(|| usage("--out FILE is needed"))?;
    let module = match value(args, "--module") {
        Some(m) => PathBuf::from(m),
        None => default_module()?,
    };
    if !module.exists() {
        return Err(format!(
            "{}: not found; build it with `cargo build -p keycarrier-soft-token-pkcs11` or pass --module",
            module.display()
        )
        .into());
    }

    // A temporary soft token holding the key (and the certificate, if given).
    let dir = tempfile::tempdir()?;
    let token_dir = dir.path().join("token");
    let settings = TokenSettings {
        kdf_iterations: 10_000,
        ..TokenSettings::new("decrypt example")
    };
    let admin = AdminPin::new(ADMIN_PIN);
    let mut token = SoftToken::create(&token_dir, &settings, &admin)?;
    let pin = PinPolicy::default()
        .approve(Pin::new(USER_PIN), None)
        .map_err(keycarrier::Error::from)?;
    token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
    token.login(&Pin::new(USER_PIN), FinalTry::Refuse)?;
    let certificates = match value(args, "--cert") {
        Some(c) => vec![pem_or_der(&c, "CERTIFICATE")?],
        None => Vec::new(),
    };
    let imported = token.import(KeyImport {
        label: "recipient".into(),
        id: None,
        private_key_pkcs8: SecretBytes::from_vec(pem_or_der(&key, "PRIVATE KEY")?),
        certificates,
    })?;
    drop(token);
    let conf = dir.path().join("softtoken.conf");
    std::fs::write(
        &conf,
        format!("{}\nkdf_iterations = 10000\n", token_dir.display()),
    )?;

    let mut child_args = args.to_vec();
    child_args.extend(["--module".to_owned(), module.display().to_string()]);
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(&child_args)
        .env(CONF, &conf)
        .env(CHILD, imported.id.to_string())
        .output()?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .trim()
            .to_owned()
            .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn in_child(args: &[String], container: &str) -> Result<String, AnyError> {
    let input = value(args, "--in").ok_or_else(|| usage("--in P7M is needed"))?;
    let output = value(args, "--out").ok_or_else(|| usage("--out FILE is needed"))?;
    let module_path = value(args, "--module").ok_or("no module")?;
    let id: ContainerId = container.parse()?;
    let module = Module::open(Path::new(&module_path))?;
    let slot = module
        .carriers()?
        .into_iter()
        .next()
        .ok_or("the soft token's module shows no token")?;
    let mut carrier = module.carrier(slot.slot)?;
    carrier.login(&Pin::new(USER_PIN), FinalTry::Refuse)?;
    let certificate = carrier.container(&id)?.certificates.into_iter().next();
    let mut report = String::new();
    let n = match certificate {
        Some(cert) => {
            let key = RecipientKey {
                carrier: &carrier,
                container: &id,
                certificate: &cert,
            };
            let reader = std::io::BufReader::new(
                std::fs::File::open(&input).map_err(|e| format!("{input}: {e}"))?,
            );
            open_to_file(reader, &key, Path::new(&output))?
        }
        None => {
            // No certificate: only an envelope with a single recipient can be opened.
            let envelope = Envelope::from_der(&std::fs::read(&input)?)?;
            let [recipient] = envelope.recipients() else {
                return Err(
                    "the envelope has several recipients: say which one you are with --cert".into(),
                );
            };
            let content = envelope.open_as(recipient, &carrier, &id)?;
            std::fs::write(&output, content.as_slice())?;
            content.len() as u64
        }
    };
    writeln!(
        report,
        "decrypted {n} bytes through the PKCS#11 module {module_path} into {output}"
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
            match e.downcast_ref::<keycarrier::Error>() {
                Some(k) => eprintln!("error [{}]: {k}", keycarrier::ErrorCode::code(k)),
                None => eprintln!("error: {e}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}
