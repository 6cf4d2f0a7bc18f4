//! Helpers shared by the tests (`mod common;` in each).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is how a test fails"
)]

use std::path::Path;
use std::process::Command;

/// Bytes from hex, whitespace ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Lower-case hex of bytes.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `openssl ARGS…` in `dir`; fails loudly (never skips) without openssl or the gost engine.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    openssl_env(dir, &[], args)
}

/// [`openssl`] with extra environment variables (the gost engine reads `CRYPT_PARAMS`).
pub fn openssl_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}); `apt-get install -y openssl libengine-gost-openssl`"
            )
        });
    assert!(
        out.status.success(),
        "openssl {} failed (is the gost engine installed? `apt-get install -y \
         libengine-gost-openssl`): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Deterministic test bytes (not secret, not random: a fixed pattern).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8))
        .collect()
}

/// The TC26 CMS examples folder (`../shared/vectors/tc26-cms` from the workspace root), or
/// `None` outside CI when it is missing (CI must have it: the test then fails).
pub fn tc26_cms_dir() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/tc26-cms");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the shared test vectors at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the TC26 CMS examples are not at {} (shared/vectors missing)",
        dir.display()
    );
    None
}
