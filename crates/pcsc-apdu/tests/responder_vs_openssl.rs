//! The bank responder's 3DES-EDE and AES answers equal `openssl enc` ECB without padding.
//! Needs the `openssl` command line tool (fails loudly without it).
// Test helpers outside #[test] functions may panic too: a panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Stdio};

use keycarrier_pcsc_apdu::unblock::{
    AdminKey, BankResponder, UnblockScheme, decode_code, encode_code,
};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn openssl(cipher: &str, key: &[u8], block: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["enc", cipher, "-nopad", "-K", &hex(key)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the `openssl` command is needed for this test (apt-get install -y openssl)");
    child.stdin.take().unwrap().write_all(block).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn bytes(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

#[test]
fn responses_match_openssl() {
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    for (scheme, cipher) in [
        (UnblockScheme::Tdes, "-des-ede3"),
        (UnblockScheme::Aes128, "-aes-128-ecb"),
        (UnblockScheme::Aes256, "-aes-256-ecb"),
    ] {
        for _ in 0..8 {
            let key = bytes(&mut seed, scheme.key_len());
            let challenge = bytes(&mut seed, scheme.challenge_len());
            let bank = BankResponder::new(AdminKey::new(scheme, &key).unwrap());
            let response = bank.respond(&encode_code(&challenge)).unwrap();
            let ours = decode_code(&response, scheme.challenge_len()).unwrap();
            assert_eq!(
                *ours,
                openssl(cipher, &key, &challenge),
                "{scheme:?} key {}",
                hex(&key)
            );
        }
    }
}
