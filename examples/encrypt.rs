//! Encrypt a document to one or more certificates (flow U21): what a bank or tax office does
//! before sending a statement, and what a client does before sending a document only the bank
//! may read.
//!
//! `cargo run --example encrypt -- --to CERT [--to CERT …] --in FILE --out P7M
//! [--cipher kuznyechik|magma|gost89|aes256] [--oaep]`
//!
//! * `--to`: a recipient's certificate, PEM or DER; repeat for several recipients (each can
//!   open the envelope with its own key).
//! * `--cipher`: the content cipher. `kuznyechik` and `magma` are CTR-ACPKM with OMAC
//!   (R 1323565.1.025-2019), `gost89` the older GOST 28147-89 profile, `aes256` AES-256-CBC.
//!   Default: `kuznyechik` for GOST certificates, `aes256` for RSA.
//! * `--oaep`: RSA recipients get RSAES-OAEP with SHA-256 instead of PKCS#1 v1.5.
//!
//! The envelope is written as DER (`openssl cms -decrypt -inform DER` reads it). The content
//! is read and encrypted in 64 KiB chunks, so files of any size work. The certificates are not
//! validated here: check them with the `verify` example's trust options first.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::fmt::Write as _;

use keycarrier::envelope::{ContentCipher, EnvelopeBuilder};
use keycarrier::{Error, OaepHash, RsaKeyTransport, oid};

type AnyError = Box<dyn std::error::Error>;

fn values(args: &[String], flag: &str) -> Vec<String> {
    args.windows(2)
        .filter(|w| w.first().is_some_and(|f| f == flag))
        .filter_map(|w| w.get(1).cloned())
        .collect()
}

fn value(args: &[String], flag: &str) -> Option<String> {
    values(args, flag).into_iter().next()
}

fn usage(what: &str) -> AnyError {
    format!(
        "{what}\nusage: encrypt --to CERT [--to CERT …] --in FILE --out P7M \
         [--cipher kuznyechik|magma|gost89|aes256] [--oaep]"
    )
    .into()
}

/// A certificate file as DER (PEM `CERTIFICATE` or DER as it is).
fn certificate(path: &str) -> Result<Vec<u8>, AnyError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.starts_with(b"-----") {
        let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not PEM text"))?;
        let (label, der) =
            pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(|e| format!("{path}: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("{path}: PEM label {label}, expected CERTIFICATE").into());
        }
        Ok(der)
    } else {
        Ok(bytes)
    }
}

fn is_rsa(cert_der: &[u8]) -> Result<bool, AnyError> {
    use keycarrier::der::Decode;
    let cert = keycarrier::x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| Error::malformed_der("certificate", e))?;
    Ok(cert
        .tbs_certificate()
        .subject_public_key_info()
        .algorithm
        .oid
        == oid::RSA_ENCRYPTION)
}

/// Encrypts as the command line says; returns the report printed on success.
pub(crate) fn run(args: &[String]) -> Result<String, AnyError> {
    let to = values(args, "--to");
    if to.is_empty() {
        return Err(usage("at least one --to CERT is needed"));
    }
    let input = value(args, "--in").ok_or_else(|| usage("--in FILE is needed"))?;
    let output = value(args, "--out").ok_or_else(|| usage("--out P7M is needed"))?;
    let certificates = to
        .iter()
        .map(|p| certificate(p))
        .collect::<Result<Vec<_>, _>>()?;
    let all_rsa = certificates
        .iter()
        .try_fold(true, |acc, c| Ok::<_, AnyError>(acc && is_rsa(c)?))?;
    let cipher = match value(args, "--cipher").as_deref() {
        Some("kuznyechik") => ContentCipher::KuznyechikCtrAcpkmOmac,
        Some("magma") => ContentCipher::MagmaCtrAcpkmOmac,
        Some("gost89") => ContentCipher::Gost89Cfb,
        Some("aes256") => ContentCipher::Aes256Cbc,
        Some(other) => return Err(usage(&format!("unknown cipher {other}"))),
        None if all_rsa => ContentCipher::Aes256Cbc,
        None => ContentCipher::KuznyechikCtrAcpkmOmac,
    };
    let mut builder = EnvelopeBuilder::new(cipher);
    if args.iter().any(|a| a == "--oaep") {
        builder = builder.rsa_padding(RsaKeyTransport::Oaep(OaepHash::Sha256));
    }
    for c in &certificates {
        builder = builder.recipient(c)?;
    }
    let reader =
        std::io::BufReader::new(std::fs::File::open(&input).map_err(|e| format!("{input}: {e}"))?);
    let writer = std::io::BufWriter::new(
        std::fs::File::create(&output).map_err(|e| format!("{output}: {e}"))?,
    );
    let n = builder.seal_stream(reader, writer)?;
    let mut report = String::new();
    writeln!(
        report,
        "encrypted {n} bytes with {cipher:?} to {} recipient(s): {output}",
        certificates.len()
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
