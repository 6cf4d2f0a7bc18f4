//! CMS SignedData (flow U14) of a file with a key generated on a soft token in a temporary
//! directory, its self-signed certificate (made through the token) inside the signature.
//!
//! `cargo run --example sign -- --algorithm gost256|gost512|rsa2048 --in PATH --out PATH
//! [--detached] [--cert CERT.pem]`
//!
//! Check it with `openssl cms -engine gost -verify -binary -inform DER -in PATH -noverify`
//! (or `-CAfile CERT.pem`), or with the `verify` example.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::str::FromStr;
use std::time::Duration;

use keycarrier::cms::{CmsSigner, Content, sign, sign_detached_reader};
use keycarrier::der::{Decode, Encode};
use keycarrier::soft::{SoftToken, TokenSettings};
use keycarrier::x509_cert::TbsCertificate;
use keycarrier::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use keycarrier::x509_cert::ext::Extension;
use keycarrier::x509_cert::name::Name;
use keycarrier::x509_cert::serial_number::SerialNumber;
use keycarrier::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use keycarrier::x509_cert::time::Validity;
use keycarrier::{
    AdminPin, CancelToken, Carrier, CarrierSignature, ContainerSigner, Error, FinalTry,
    GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin, PinPolicy,
};

type AnyError = Box<dyn std::error::Error>;

/// A self-signed certificate: issuer = subject, no extensions.
struct SelfSigned(Name);

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }
    fn get_subject(&self) -> Name {
        self.0.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> keycarrier::x509_cert::builder::Result<Vec<Extension>> {
        Ok(vec![])
    }
}

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Runs the example on `args` (without the program name); returns what it reports.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    let name = value(args, "--algorithm").unwrap_or_else(|| "gost256".into());
    let algorithm = match name.as_str() {
        "gost256" => KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        "gost512" => KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
        "rsa2048" => KeyAlgorithm::Rsa { bits: 2048 },
        other => return Err(format!("unknown algorithm {other}").into()),
    };
    let input = value(args, "--in").ok_or("--in PATH is required")?;
    let out = value(args, "--out").ok_or("--out PATH is required")?;
    let detached = args.iter().any(|a| a == "--detached");
    // A detached signature streams the file in 64 KiB pieces (constant memory, any size); an
    // attached one carries the content, so it is read whole.
    let content_len = std::fs::metadata(&input)?.len();

    let dir = tempfile::tempdir()?;
    // A token of our own, so its admin PIN is not the vendor default: the soft token
    // makes no keys until that is changed (the quickstart shows a token as banks hand
    // it out).
    let admin = AdminPin::new("Adm1nQw8");
    let mut token = SoftToken::create(dir.path(), &TokenSettings::new("Example"), &admin)?;
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .map_err(Error::from)?;
    token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
    token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
    let id = token
        .generate(
            &NewContainer::new("example", algorithm),
            &mut NoProgress,
            &CancelToken::new(),
        )?
        .id;

    let signer = ContainerSigner::new(&token, &id)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der()?)?;
    let subject = Name::from_str("CN=Ivanov Ivan,O=Romashka,C=RU")?;
    let certificate = CertificateBuilder::new(
        SelfSigned(subject),
        SerialNumber::from(1u32),
        Validity::from_now(Duration::from_secs(365 * 86400))?,
        spki,
    )?
    .build::<_, CarrierSignature>(&signer)?
    .to_der()?;
    token.write_certificate(&id, &certificate)?;

    let cms_signer = CmsSigner::new(&token, &id, &certificate)?;
    let started = std::time::Instant::now();
    let cms = if detached {
        sign_detached_reader(std::fs::File::open(&input)?, &cms_signer)?
    } else {
        sign(&std::fs::read(&input)?, &cms_signer, Content::Attached)?
    };
    let signing = started.elapsed();
    std::fs::write(&out, &cms)?;
    if let Some(cert_path) = value(args, "--cert") {
        let pem = keycarrier::der::pem::encode_string(
            "CERTIFICATE",
            keycarrier::der::pem::LineEnding::LF,
            &certificate,
        )?;
        std::fs::write(cert_path, pem)?;
    }
    Ok(format!(
        "{name}: {} CMS SignedData of {} bytes over {} bytes written to {out} \
         (signing took {:.3} s)\n",
        if detached { "detached" } else { "attached" },
        cms.len(),
        content_len,
        signing.as_secs_f64()
    ))
}

#[allow(dead_code)] // the test includes this file as a module and calls `run`
fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    print!("{}", run(&args)?);
    Ok(())
}
