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

    /// `openssl cms -decrypt` of `file` (DER or BER) with `who.key` and `who.crt`: the content.
    pub fn cms_decrypt(&self, file: &str, who: &str) -> Vec<u8> {
        self.ok(&[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            file,
            "-inkey",
            &format!("{who}.key"),
            "-recip",
            &format!("{who}.crt"),
        ])
    }

    /// `openssl cms -encrypt` of the file `input` with `args` (cipher and options; `-recip`
    /// CERT among them, or `to.crt` is used): the envelope, DER.
    pub fn cms_encrypt(&self, input: &str, args: &[&str], to: &str) -> Vec<u8> {
        let crt = format!("{to}.crt");
        let mut a = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            input,
            "-outform",
            "DER",
            "-out",
            "sealed.der",
        ];
        a.extend_from_slice(args);
        if !args.contains(&"-recip") {
            a.extend_from_slice(&["-recip", &crt]);
        }
        self.ok(&a);
        self.read("sealed.der")
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

/// A logged-in soft token (a fixture for the carrier; the code under test is real) holding the
/// OpenSSL-made key `name.key` with its certificate, imported as the bank client would.
pub struct Token {
    pub dir: tempfile::TempDir,
    pub token: soft_token::SoftToken,
}

impl Token {
    pub fn new() -> Self {
        use token_core::{AdminPin, Carrier, FinalTry, Pin, PinPolicy};
        let dir = tempfile::tempdir().unwrap();
        let settings = soft_token::TokenSettings {
            kdf_iterations: 1000,
            ..soft_token::TokenSettings::new("Client")
        };
        let admin = AdminPin::new("Adm1nQw8");
        let mut token = soft_token::SoftToken::create(dir.path(), &settings, &admin).unwrap();
        let pin = PinPolicy::default()
            .approve(Pin::new("Rx7mQ2wz"), None)
            .unwrap();
        token.reset_pin(&admin, &pin, FinalTry::Refuse).unwrap();
        token
            .login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)
            .unwrap();
        Self { dir, token }
    }

    /// Imports the peer's `name.key` (PEM PKCS#8) with `name.der`; returns the container id.
    pub fn import(&mut self, peer: &Peer, name: &str) -> token_core::ContainerId {
        use token_core::Carrier;
        let pem = String::from_utf8(peer.read(&format!("{name}.key"))).unwrap();
        let (_, pkcs8) = pem_rfc7468::decode_vec(pem.trim().as_bytes()).unwrap();
        self.token
            .import(token_core::KeyImport {
                label: name.into(),
                id: None,
                private_key_pkcs8: token_core::SecretBytes::from_vec(pkcs8),
                certificates: vec![peer.read(&format!("{name}.der"))],
            })
            .unwrap()
            .id
    }
}
