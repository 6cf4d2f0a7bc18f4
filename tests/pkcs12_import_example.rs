//! The `pkcs12_import` example (flow U03): its logic is compiled in here and imports PKCS#12
//! files that OpenSSL (with the gost engine, required) exports — RSA-2048 in OpenSSL's default
//! profile, GOST R 34.10-2012 256 and 512 with GOST 28147-89 and a Streebog MAC — into one soft
//! token; a wrong password and a vendor-default admin PIN are refused and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use keycarrier::soft::SoftToken;
use keycarrier::{Carrier, ErrorCode, FinalTry, Pin};

#[path = "../examples/pkcs12_import.rs"]
mod pkcs12_import_example;

const PASSWORD: &str = "Пароль-1";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?} (the gost engine is required: apt-get install \
         libengine-gost-openssl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key and self-signed certificate made by OpenSSL, exported as `NAME.p12`; returns its path.
fn pfx(dir: &Path, name: &str, newkey: &[&str], export: &[&str]) -> String {
    let (key, cert, p12) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("{name}.p12"),
    );
    let subj = format!("/C=RU/O=Romashka/CN=Ivanov Ivan {name}");
    let mut req = vec!["req", "-engine", "gost", "-x509", "-nodes", "-days", "365"];
    req.extend_from_slice(newkey);
    req.extend(["-subj", &subj, "-keyout", &key, "-out", &cert]);
    openssl(dir, &req);
    let pass = format!("pass:{PASSWORD}");
    let mut exp = vec![
        "pkcs12", "-engine", "gost", "-export", "-inkey", &key, "-in", &cert, "-passout", &pass,
        "-out", &p12,
    ];
    exp.extend_from_slice(export);
    openssl(dir, &exp);
    dir.join(p12).display().to_string()
}

fn import(file: &str, token_dir: &str, extra: &[&str]) -> Result<String, keycarrier::Error> {
    let mut a = args(&[
        "--pfx",
        file,
        "--password",
        PASSWORD,
        "--token-dir",
        token_dir,
        // Quick PIN hashing for the test; the example's default is the soft token's.
        "--kdf-iterations",
        "1000",
    ]);
    a.extend(args(extra));
    pkcs12_import_example::run(&a).map_err(|e| match e.downcast::<keycarrier::Error>() {
        Ok(e) => *e,
        Err(other) => panic!("not a keycarrier error: {other}"),
    })
}

fn containers(token_dir: &Path) -> usize {
    let mut t = SoftToken::open(token_dir);
    t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    t.containers().unwrap().len()
}

#[test]
fn u03_rsa_and_gost_pfx_files_import_into_one_soft_token() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let rsa = pfx(p, "rsa", &["-newkey", "rsa:2048"], &[]);
    let gost = ["-keypbe", "gost89", "-certpbe", "gost89"];
    let g256 = pfx(
        p,
        "g256",
        &[
            "-newkey",
            "gost2012_256",
            "-pkeyopt",
            "paramset:A",
            "-md_gost12_256",
        ],
        &[&gost[..], &["-macalg", "md_gost12_256"]].concat(),
    );
    let g512 = pfx(
        p,
        "g512",
        &[
            "-newkey",
            "gost2012_512",
            "-pkeyopt",
            "paramset:A",
            "-md_gost12_512",
        ],
        &[&gost[..], &["-macalg", "md_gost12_512"]].concat(),
    );
    let token_dir = p.join("token");
    let dir = token_dir.display().to_string();

    // A new token is created for the first file.
    let report = import(&rsa, &dir, &["--label", "RSA from the bank"]).unwrap();
    for expected in [
        "(created)",
        "MAC SHA-256",
        "AES-256-CBC",
        "label \"RSA from the bank\", RSA 2048",
        "private key: yes, extractable: no",
        "certificate: ",
        "CN=Ivanov Ivan rsa",
        "containers on the token: 1",
    ] {
        assert!(report.contains(expected), "{expected:?}?\n{report}");
    }

    // The next ones go into the same token.
    let report = import(&g256, &dir, &[]).unwrap();
    for expected in [
        "(opened)",
        "MAC Streebog-256",
        "GOST 28147-89",
        "label \"Imported\", GOST R 34.10-2012 256",
        "private key: yes, extractable: no",
        "CN=Ivanov Ivan g256",
        "containers on the token: 2",
    ] {
        assert!(report.contains(expected), "{expected:?}?\n{report}");
    }
    let report = import(&g512, &dir, &[]).unwrap();
    for expected in [
        "MAC Streebog-512",
        "GOST R 34.10-2012 512",
        "CN=Ivanov Ivan g512",
        "containers on the token: 3",
    ] {
        assert!(report.contains(expected), "{expected:?}?\n{report}");
    }

    // A wrong password: a typed error, nothing written.
    let a = args(&["--pfx", &g256, "--password", "wrong", "--token-dir", &dir]);
    let err = pkcs12_import_example::run(&a).unwrap_err();
    let err = err.downcast::<keycarrier::Error>().unwrap();
    assert_eq!(err.code(), "KC-PASSWORD-WRONG", "{err}");
    assert_eq!(containers(&token_dir), 3);

    // The token's user PIN is needed to add to it.
    let err = import(&g256, &dir, &["--pin", "Wr0ngPin9"]).unwrap_err();
    assert_eq!(err.code(), "KC-PIN-WRONG", "{err}");
    assert_eq!(containers(&token_dir), 3);
}

#[test]
fn u03_u04_a_new_token_with_a_vendor_default_admin_pin_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let rsa = pfx(p, "rsa", &["-newkey", "rsa:2048"], &[]);
    let token_dir = p.join("token");
    let dir = token_dir.display().to_string();
    let err = import(&rsa, &dir, &["--admin-pin", "87654321"]).unwrap_err();
    assert_eq!(err.code(), "KC-PIN-POLICY", "{err}");
    assert!(!SoftToken::open(&token_dir).info().unwrap().initialized);
    // With a PIN of its own the same file imports.
    let report = import(&rsa, &dir, &["--admin-pin", "Qz4kAdm9"]).unwrap();
    assert!(report.contains("containers on the token: 1"), "{report}");
}
