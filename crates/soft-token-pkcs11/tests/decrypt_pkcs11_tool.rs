//! OpenSC's `pkcs11-tool --decrypt` against the module (flow U17): a key written by
//! pkcs11-tool from OpenSSL's PEM, ciphertexts from `openssl pkeyutl -encrypt` with the public
//! key, RSA-PKCS and RSA-PKCS-OAEP (SHA-1, SHA-256).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fresher of deps/ and the profile directory (as in the other test files).
fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("libsoft_token_pkcs11.so"),
        deps.parent().unwrap().join("libsoft_token_pkcs11.so"),
    ]
    .into_iter()
    .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
    .max()
    .map(|(_, p)| p)
    .expect("libsoft_token_pkcs11.so is missing: build it with `cargo build -p keycarrier-soft-token-pkcs11`")
}

/// Runs a tool in `dir` with the module's configuration; asserts success; returns stdout.
fn run(tool: &str, args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .env("KEYCARRIER_SOFTTOKEN_CONF", dir.join("conf"))
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required (scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn pkcs11_tool_decrypts_what_openssl_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("conf"),
        format!("slot.0 = {}\nkdf_iterations = 10\n", d.join("t").display()),
    )
    .unwrap();
    let module = module_path();
    let m = module.to_str().unwrap();
    let tool = |args: &[&str]| run("pkcs11-tool", &[&["--module", m], args].concat(), d);
    tool(&["--init-token", "--label", "dec", "--so-pin", "Ad9mQ4kz"]);
    tool(&["--init-pin", "--so-pin", "Ad9mQ4kz", "--pin", "11223344"]);
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
        d,
    );
    run(
        "openssl",
        &["pkey", "-in", "rsa.pem", "-pubout", "-out", "pub.pem"],
        d,
    );
    let login = ["--login", "--pin", "11223344"];
    tool(
        &[
            &login[..],
            &["-w", "rsa.pem", "--type", "privkey", "--id", "01"],
        ]
        .concat(),
    );
    let secret = run("openssl", &["rand", "32"], d);
    std::fs::write(d.join("plain"), &secret).unwrap();
    let cases: [(&[&str], &[&str]); 3] = [
        (&["rsa_padding_mode:pkcs1"], &["-m", "RSA-PKCS"]),
        (
            &["rsa_padding_mode:oaep"],
            &[
                "-m",
                "RSA-PKCS-OAEP",
                "--hash-algorithm",
                "SHA-1",
                "--mgf",
                "MGF1-SHA1",
            ],
        ),
        (
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha256",
            ],
            &[
                "-m",
                "RSA-PKCS-OAEP",
                "--hash-algorithm",
                "SHA256",
                "--mgf",
                "MGF1-SHA256",
            ],
        ),
    ];
    for (opts, mech) in cases {
        let _ = std::fs::remove_file(d.join("out"));
        let mut enc = vec![
            "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "plain", "-out", "ct",
        ];
        for o in opts {
            enc.extend(["-pkeyopt", o]);
        }
        run("openssl", &enc, d);
        let dec = [
            &login[..],
            &["--decrypt", "--id", "01", "-i", "ct", "-o", "out"],
            mech,
        ]
        .concat();
        tool(&dec);
        assert_eq!(std::fs::read(d.join("out")).unwrap(), secret, "{mech:?}");
    }
}
