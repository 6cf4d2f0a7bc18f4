//! Flow U14, large files: detached signing from a reader in constant memory. The signature of a
//! generated stream verifies (ours and OpenSSL); the peak RSS of a child process signing 64 MiB
//! is no larger than that of one signing 4 MiB, give or take a few MiB.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use keycarrier_cms_sign::{
    CmsSigner, VerifyOptions, sign_detached_reader, verify, verify_detached_reader,
};
use soft_token::{SoftToken, TokenSettings};
use token_core::der::{Decode, Encode};
use token_core::x509_cert::TbsCertificate;
use token_core::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use token_core::x509_cert::ext::Extension;
use token_core::x509_cert::name::Name;
use token_core::x509_cert::serial_number::SerialNumber;
use token_core::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use token_core::x509_cert::time::Validity;
use token_core::{
    AdminPin, CancelToken, Carrier, CarrierSignature, ContainerId, ContainerSigner, FinalTry,
    GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin, PinPolicy,
};

/// A deterministic stream of `len` bytes, generated on the fly (never held in memory).
struct Generated {
    left: u64,
    state: u64,
}

impl Generated {
    fn new(len: u64) -> Self {
        Self {
            left: len,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for b in buf.iter_mut().take(n) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = self.state as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

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
    ) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
        Ok(vec![])
    }
}

fn token_with_key(dir: &Path, alg: KeyAlgorithm) -> (SoftToken, ContainerId, Vec<u8>) {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("stream")
    };
    // The admin PIN is not the vendor default: the soft token makes no keys until that is changed.
    let admin = AdminPin::new("Adm1nQw8");
    let mut t = SoftToken::create(dir, &settings, &admin).unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    t.reset_pin(&admin, &pin, FinalTry::Refuse).unwrap();
    t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    let id = t
        .generate(
            &NewContainer::new("stream", alg),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap()
        .id;
    let signer = ContainerSigner::new(&t, &id).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der().unwrap()).unwrap();
    let cert = CertificateBuilder::new(
        SelfSigned(Name::from_str("CN=Stream,O=Romashka,C=RU").unwrap()),
        SerialNumber::from(3u32),
        Validity::from_now(Duration::from_secs(86400)).unwrap(),
        spki,
    )
    .unwrap()
    .build::<_, CarrierSignature>(&signer)
    .unwrap()
    .to_der()
    .unwrap();
    (t, id, cert)
}

#[test]
fn u14_stream_signature_verifies() {
    let d = tempfile::tempdir().unwrap();
    let len = 3 * 1024 * 1024 + 17;
    let mut content = Vec::new();
    Generated::new(len).read_to_end(&mut content).unwrap();
    std::fs::write(d.path().join("content.bin"), &content).unwrap();
    for alg in [
        KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
        KeyAlgorithm::Rsa { bits: 2048 },
    ] {
        let tdir = tempfile::tempdir().unwrap();
        let (t, id, cert) = token_with_key(tdir.path(), alg);
        let signer = CmsSigner::new(&t, &id, &cert).unwrap();
        let cms = sign_detached_reader(Generated::new(len), &signer).unwrap();
        let anchors = trust::TrustAnchors::from_der([cert.as_slice()]).unwrap();
        let opts = VerifyOptions::trusting(&anchors);
        verify(&cms, Some(&content), &opts).unwrap();
        assert!(verify(&cms, Some(&content[1..]), &opts).is_err());
        // Verified from a reader too, in constant memory.
        verify_detached_reader(&cms, Generated::new(len), &opts).unwrap();
        assert!(verify_detached_reader(&cms, Generated::new(len - 1), &opts).is_err());
        std::fs::write(d.path().join("s.p7s"), &cms).unwrap();
        let pem = token_core::der::pem::encode_string(
            "CERTIFICATE",
            token_core::der::pem::LineEnding::LF,
            &cert,
        )
        .unwrap();
        std::fs::write(d.path().join("ca.pem"), pem).unwrap();
        let out = Command::new("openssl")
            .args([
                "cms",
                "-engine",
                "gost",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "s.p7s",
                "-content",
                "content.bin",
                "-CAfile",
                "ca.pem",
                "-out",
                "/dev/null",
            ])
            .current_dir(d.path())
            .output()
            .expect("openssl with the gost engine is required");
        assert!(
            out.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Run in a child process by `u14_stream_memory_is_constant`: signs `KC_STREAM_BYTES` bytes
/// and prints the peak RSS.
#[test]
fn stream_child() {
    let Ok(len) = std::env::var("KC_STREAM_BYTES") else {
        return;
    };
    let len: u64 = len.parse().unwrap();
    let tdir = tempfile::tempdir().unwrap();
    let (t, id, cert) = token_with_key(tdir.path(), KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let signer = CmsSigner::new(&t, &id, &cert).unwrap();
    let cms = sign_detached_reader(Generated::new(len), &signer).unwrap();
    assert!(cms.len() < 4096);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    println!("\nKC_HWM {} kB", hwm.split_whitespace().nth(1).unwrap());
}

fn peak_kib(len: u64) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stream_child", "--nocapture", "--test-threads=1"])
        .env("KC_STREAM_BYTES", len.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    text.lines()
        .find_map(|l| l.split_once("KC_HWM ").map(|(_, v)| v))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("no KC_HWM line in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn u14_stream_memory_is_constant() {
    if !Path::new("/proc/self/status").exists() {
        return; // Linux only
    }
    let small = peak_kib(4 << 20);
    let large = peak_kib(64 << 20);
    println!("peak RSS: 4 MiB → {small} KiB, 64 MiB → {large} KiB");
    // 60 MiB more content must cost (much) less than 8 MiB more peak memory.
    assert!(
        large < small + 8 * 1024,
        "peak RSS grows with the size: 4 MiB → {small} KiB, 64 MiB → {large} KiB"
    );
}
