//! The `encrypt` and `decrypt` examples (flow U21) against OpenSSL, the independent peer:
//! what `encrypt` writes `openssl cms -decrypt` opens; what `openssl cms -encrypt` writes the
//! `decrypt` example opens through the soft token's PKCS#11 module (required: built by
//! `cargo build -p keycarrier-soft-token-pkcs11` or `cargo test --workspace`; the test fails loudly
//! without it), exiting 0; a wrong key exits non-zero and writes no file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../examples/encrypt.rs"]
mod encrypt_example;

const TEXT: &[u8] = b"Payment order No. 42 for 15 000.00 RUB, to be read by the bank only\n";

fn openssl(dir: &Path, args: &[&str]) -> Output {
    let conf = dir.join("openssl.cnf");
    if !conf.exists() {
        let so = [
            "/usr/lib/x86_64-linux-gnu/engines-3/gost.so",
            "/usr/lib/aarch64-linux-gnu/engines-3/gost.so",
        ]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the gost engine (libengine-gost-openssl) is required: run scripts/test.sh");
        std::fs::write(
            &conf,
            format!(
                "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
                 [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
                 dynamic_path = {so}\ndefault_algorithms = ALL\n\
                 [req]\ndistinguished_name = dn\n[dn]\n"
            ),
        )
        .unwrap();
    }
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", &conf)
        .output()
        .expect("the openssl command line is required: run scripts/test.sh");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn rsa_key_and_cert(dir: &Path, name: &str) {
    key_and_cert(
        dir,
        name,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
}

fn key_and_cert(dir: &Path, name: &str, keygen: &[&str]) {
    let key = format!("{name}.key");
    let mut a = vec!["genpkey"];
    a.extend_from_slice(keygen);
    a.extend_from_slice(&["-out", &key]);
    openssl(dir, &a);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            &key,
            "-subj",
            &format!("/CN={name}"),
            "-days",
            "30",
            "-out",
            &format!("{name}.crt"),
        ],
    );
}

/// The built `decrypt` example: cargo builds examples for `cargo test`, next to the tests.
fn decrypt_example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let example = profile.join("examples").join("decrypt");
    assert!(
        example.exists(),
        "{} missing: run `cargo test --workspace`",
        example.display()
    );
    let module = ["libsoft_token_pkcs11.so", "deps/libsoft_token_pkcs11.so"]
        .iter()
        .map(|m| profile.join(m))
        .find(|m| m.exists());
    assert!(
        module.is_some(),
        "libsoft_token_pkcs11.so missing in {}: run `cargo build -p keycarrier-soft-token-pkcs11`",
        profile.display()
    );
    example
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn encrypt_example_output_opens_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rsa_key_and_cert(d, "bank");
    rsa_key_and_cert(d, "auditor");
    std::fs::write(d.join("order.txt"), TEXT).unwrap();
    for extra in [&[][..], &["--oaep"]] {
        let mut args: Vec<String> = [
            "--to",
            &s(&d.join("bank.crt")),
            "--to",
            &s(&d.join("auditor.crt")),
            "--in",
            &s(&d.join("order.txt")),
            "--out",
            &s(&d.join("order.p7m")),
            "--cipher",
            "aes256",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let report = encrypt_example::run(&args).unwrap();
        assert!(report.contains("to 2 recipient(s)"), "{report}");
        for who in ["bank", "auditor"] {
            let out = openssl(
                d,
                &[
                    "cms",
                    "-decrypt",
                    "-binary",
                    "-inform",
                    "DER",
                    "-in",
                    "order.p7m",
                    "-inkey",
                    &format!("{who}.key"),
                    "-recip",
                    &format!("{who}.crt"),
                ],
            );
            assert_eq!(out.stdout, TEXT, "{who} {extra:?}");
        }
    }
}

#[test]
fn decrypt_example_opens_openssl_envelopes_through_pkcs11() {
    let example = decrypt_example();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rsa_key_and_cert(d, "client");
    rsa_key_and_cert(d, "stranger");
    std::fs::write(d.join("statement.txt"), TEXT).unwrap();
    for cipher in ["-aes-256-cbc", "-aes-256-gcm"] {
        openssl(
            d,
            &[
                "cms",
                "-encrypt",
                "-binary",
                "-in",
                "statement.txt",
                "-outform",
                "DER",
                "-out",
                "statement.p7m",
                cipher,
                "client.crt",
            ],
        );
        let out_file = d.join(format!("opened{cipher}.txt"));
        let run = |key: &str, cert: Option<&str>| {
            let mut c = Command::new(&example);
            c.args([
                "--in",
                &s(&d.join("statement.p7m")),
                "--out",
                &s(&out_file),
                "--key",
                key,
            ]);
            if let Some(cert) = cert {
                c.args(["--cert", cert]);
            }
            c.output().unwrap()
        };
        // With the certificate, and without it (a single recipient).
        for cert in [Some(s(&d.join("client.crt"))), None] {
            let o = run(&s(&d.join("client.key")), cert.as_deref());
            assert!(
                o.status.success(),
                "{cipher}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(String::from_utf8_lossy(&o.stdout).contains("through the PKCS#11 module"));
            assert_eq!(std::fs::read(&out_file).unwrap(), TEXT, "{cipher}");
            std::fs::remove_file(&out_file).unwrap();
        }
        // Somebody else's key: non-zero exit, a typed error, no output file.
        let o = run(
            &s(&d.join("stranger.key")),
            Some(&s(&d.join("stranger.crt"))),
        );
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("[KC-NOT-FOUND]"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!out_file.exists());
    }
}

#[test]
fn gost_envelopes_through_both_examples() {
    let example = decrypt_example();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    key_and_cert(
        d,
        "client",
        &["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"],
    );
    key_and_cert(
        d,
        "bank",
        &["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"],
    );
    std::fs::write(d.join("order.txt"), TEXT).unwrap();
    // encrypt → openssl cms -decrypt, every GOST cipher the example offers.
    for cipher in ["kuznyechik", "magma", "gost89"] {
        let args: Vec<String> = [
            "--to",
            &s(&d.join("bank.crt")),
            "--in",
            &s(&d.join("order.txt")),
            "--out",
            &s(&d.join("order.p7m")),
            "--cipher",
            cipher,
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        encrypt_example::run(&args).unwrap();
        let out = openssl(
            d,
            &[
                "cms",
                "-decrypt",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "order.p7m",
                "-inkey",
                "bank.key",
                "-recip",
                "bank.crt",
            ],
        );
        assert_eq!(out.stdout, TEXT, "{cipher}");
    }
    // openssl cms -encrypt → the decrypt example, the VKO done by the PKCS#11 module.
    for cipher in ["-kuznyechik-ctr-acpkm-omac", "-magma-ctr-acpkm", "-gost89"] {
        openssl(
            d,
            &[
                "cms",
                "-encrypt",
                "-binary",
                "-in",
                "order.txt",
                "-outform",
                "DER",
                "-out",
                "statement.p7m",
                cipher,
                "client.crt",
            ],
        );
        let out_file = d.join("opened.txt");
        let o = Command::new(&example)
            .args([
                "--in",
                &s(&d.join("statement.p7m")),
                "--out",
                &s(&out_file),
                "--key",
                &s(&d.join("client.key")),
                "--cert",
                &s(&d.join("client.crt")),
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{cipher}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(std::fs::read(&out_file).unwrap(), TEXT, "{cipher}");
        std::fs::remove_file(&out_file).unwrap();
    }
}
