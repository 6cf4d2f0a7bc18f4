//! The `pkcs11_token` example (flows U01, U08, U09, U14): its logic is compiled in here and
//! run against a fresh SoftHSM2 token (required; the test fails loudly without it) initialised
//! by `softhsm2-util` in a temporary directory; OpenSSL (required) verifies the RSA signature
//! the example wrote.
//!
//! SoftHSM2 reads its configuration from `SOFTHSM2_CONF` when the module is loaded. The
//! workspace forbids `unsafe`, so the test does not set the variable in its own process: it
//! runs itself again as a child process with the variable set, and the child runs the example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use keycarrier::ErrorCode;

#[path = "../examples/pkcs11_token.rs"]
mod pkcs11_token_example;

/// Where Debian's softhsm2 package puts the module (as the pkcs11-backend tests expect it).
const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "kc-example";
const USER_PIN: &str = "Rx7mQ2wz";
const SO_PIN: &str = "Ad9mQ4kz";
/// Set in the child process: the directory to write the example's files to.
const CHILD: &str = "KEYCARRIER_TEST_PKCS11_EXAMPLE_OUT";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn code_of(e: Box<dyn std::error::Error>) -> &'static str {
    match e.downcast::<keycarrier::Error>() {
        Ok(e) => e.code(),
        Err(other) => panic!("not a keycarrier error: {other}"),
    }
}

/// The part that runs with `SOFTHSM2_CONF` set: the example against the token.
fn in_child(out: &Path) {
    let base = ["--module", SOFTHSM, "--pin", USER_PIN];
    let mut a = args(&base);
    a.extend(args(&[
        "--label",
        LABEL,
        "--out",
        &out.display().to_string(),
    ]));
    let report = pkcs11_token_example::run(&a).unwrap();
    eprint!("{report}");
    for expected in [
        &format!("{LABEL} (serial ") as &str,
        "<no label>", // SoftHSM2 always offers one blank token
        "final try: false, locked: false",
        "logged in",
        "generated container ",
        "RSA 2048, extractable: false, sensitive: true",
        "256 bytes of RsaPkcs1Sha256 signature; verified with the public key",
        "containers on the token: 0", // the demonstration key was deleted
    ] {
        assert!(report.contains(expected), "{expected:?}?\n{report}");
    }

    // --keep leaves the key; without --label the first initialised token is used; the default
    // module path finds SoftHSM2.
    let report = pkcs11_token_example::run(&args(&["--pin", USER_PIN, "--keep"])).unwrap();
    assert!(report.contains("containers on the token: 1"), "{report}");

    // SoftHSM2 has no GOST mechanisms: refused cleanly, nothing left behind.
    let mut a = args(&base);
    a.extend(args(&["--label", LABEL, "--algorithm", "gost256"]));
    assert_eq!(
        code_of(pkcs11_token_example::run(&a).unwrap_err()),
        "KC-UNSUPPORTED"
    );
    // A wrong PIN and an unknown label are typed errors.
    let a = args(&["--module", SOFTHSM, "--pin", "Wr0ngPin9", "--label", LABEL]);
    assert_eq!(
        code_of(pkcs11_token_example::run(&a).unwrap_err()),
        "KC-PIN-WRONG"
    );
    let mut a = args(&base);
    a.extend(args(&["--label", "no-such-token"]));
    assert_eq!(
        code_of(pkcs11_token_example::run(&a).unwrap_err()),
        "KC-NOT-FOUND"
    );
    // The wrong PIN shows in the state the next run reads before logging in.
    let mut a = args(&base);
    a.extend(args(&["--label", LABEL]));
    let report = pkcs11_token_example::run(&a).unwrap();
    assert!(
        report.contains("a wrong PIN since the last correct one: yes"),
        "{report}"
    );
    assert!(report.contains("containers on the token: 1"), "{report}");
}

#[test]
fn u01_u09_u14_pkcs11_token_example_on_softhsm() {
    if let Some(out) = std::env::var_os(CHILD) {
        in_child(Path::new(&out));
        return;
    }
    assert!(
        Path::new(SOFTHSM).is_file(),
        "SoftHSM2 is required: apt-get install softhsm2 (missing {SOFTHSM})"
    );
    let d = tempfile::tempdir().unwrap();
    let tokens = d.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = d.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--init-token", "--free", "--label", LABEL])
        .args(["--so-pin", SO_PIN, "--pin", USER_PIN])
        .output()
        .expect("softhsm2-util is required: apt-get install softhsm2");
    assert!(
        init.status.success(),
        "softhsm2-util --init-token: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );

    // This test again, in a process of its own with SoftHSM2 pointed at the directory.
    let out: PathBuf = d.path().join("out");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "u01_u09_u14_pkcs11_token_example_on_softhsm",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD, &out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success() && stdout.contains("1 passed"),
        "the example against SoftHSM2 failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );

    // OpenSSL checks the signature the token made, with the public key the example wrote.
    let verify = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(out.join("public.pem"))
        .arg("-signature")
        .arg(out.join("signature.bin"))
        .arg(out.join("message.txt"))
        .output()
        .expect("openssl is required: apt-get install openssl");
    assert!(
        verify.status.success(),
        "openssl dgst -verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
