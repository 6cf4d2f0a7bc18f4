//! OpenSSL (with the gost engine) as the independent peer of the envelope tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory with an `openssl.cnf` that loads the gost engine.
pub struct Peer {
    pub dir: tempfile::TempDir,
}

impl Peer {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let so = [
            "/usr/lib/x86_64-linux-gnu/engines-3/gost.so",
            "/usr/lib/aarch64-linux-gnu/engines-3/gost.so",
        ]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the gost engine (libengine-gost-openssl) is required: run scripts/test.sh");
        std::fs::write(
            dir.path().join("openssl.cnf"),
            format!(
                "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
                 [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
                 dynamic_path = {so}\ndefault_algorithms = ALL\n\
                 [req]\ndistinguished_name = dn\n[dn]\n"
            ),
        )
        .unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .env("OPENSSL_CONF", self.path("openssl.cnf"))
            .output()
            .expect("the openssl command line is required: run scripts/test.sh")
    }

    pub fn ok(&self, args: &[&str]) -> Vec<u8> {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// A key (`name.key`, PEM PKCS#8) and a self-signed certificate (`name.crt` PEM,
    /// `name.der` DER) made by OpenSSL.
    pub fn key_and_cert(&self, name: &str, keygen: &[&str]) -> Vec<u8> {
        let key = format!("{name}.key");
        let crt = format!("{name}.crt");
        let der = format!("{name}.der");
        let mut a = vec!["genpkey"];
        a.extend_from_slice(keygen);
        a.extend_from_slice(&["-out", &key]);
        self.ok(&a);
        self.ok(&[
            "req",
            "-new",
            "-x509",
            "-key",
            &key,
            "-out",
            &crt,
            "-subj",
            &format!("/CN={name}/O=Bank"),
            "-days",
            "30",
        ]);
        self.ok(&["x509", "-in", &crt, "-outform", "DER", "-out", &der]);
        self.read(&der)
    }
}

pub const RSA_2048: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
pub const GOST_256: &[&str] = &["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"];
pub const GOST_512: &[&str] = &["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"];
