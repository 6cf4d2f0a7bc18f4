//! Shared helpers: where the CryptoPro sample containers are, and what their `.pem` files say.
//!
//! The containers are GPL-2 samples (kov-serg/get-cpcert): they are read from
//! `../shared/vectors/cryptopro` next to the workspace and never copied into the repository.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};

/// `../shared/vectors/cryptopro` from the workspace root, or `None` outside CI when it is
/// missing (with a loud message). In CI (`CI` set) a missing folder fails the test.
pub fn cryptopro_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/cryptopro");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the shared CryptoPro sample containers at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the CryptoPro sample containers are not at {} (shared/vectors missing)",
        dir.display()
    );
    None
}

/// What a sample's `.pem` holds: the certificate and the private key (PKCS#8), DER.
pub struct Expected {
    pub certificate: Vec<u8>,
    pub private_key: Vec<u8>,
}

pub fn expected(pem_path: &Path) -> Expected {
    let text = std::fs::read_to_string(pem_path).unwrap();
    let mut certificate = None;
    let mut private_key = None;
    let mut block = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN ") {
            block.clear();
        }
        block.push_str(line);
        block.push('\n');
        if line.starts_with("-----END ") {
            let (label, der) = pem_rfc7468::decode_vec(block.as_bytes()).unwrap();
            match label {
                "CERTIFICATE" => certificate = Some(der),
                "PRIVATE KEY" => private_key = Some(der),
                other => panic!("unexpected PEM block {other}"),
            }
        }
    }
    Expected {
        certificate: certificate.expect("a certificate in the .pem"),
        private_key: private_key.expect("a private key in the .pem"),
    }
}

/// The six files of a container folder, in the order CryptoPro lists them.
pub const FILES: [&str; 6] = [
    "header.key",
    "primary.key",
    "masks.key",
    "name.key",
    "primary2.key",
    "masks2.key",
];
