//! The `sign` and `verify` examples (flow U14): their logic is compiled in here and run on a
//! payment order for every algorithm, attached and detached; OpenSSL with the gost engine
//! (required) verifies each output with the certificate the example wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[path = "../examples/sign.rs"]
mod sign_example;
#[path = "../examples/verify.rs"]
mod verify_example;

const ORDER: &[u8] = "Платёжное поручение № 5 на 12 345.67 RUB\r\n".as_bytes();

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn sign_and_verify_examples_agree_with_openssl() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("order.txt"), ORDER).unwrap();
    let order = p.join("order.txt").display().to_string();
    for alg in ["gost256", "gost512", "rsa2048"] {
        for detached in [false, true] {
            let out = p
                .join(format!("{alg}-{detached}.p7s"))
                .display()
                .to_string();
            let cert = p
                .join(format!("{alg}-{detached}.pem"))
                .display()
                .to_string();
            let mut a = args(&[
                "--algorithm",
                alg,
                "--in",
                &order,
                "--out",
                &out,
                "--cert",
                &cert,
            ]);
            if detached {
                a.push("--detached".into());
            }
            let said = sign_example::run(&a).unwrap();
            assert!(said.starts_with(alg), "{said}");

            let mut v = args(&["--in", &out, "--ca", &cert]);
            if detached {
                v.extend(args(&["--content", &order]));
            }
            let (report, ok) = verify_example::run(&v).unwrap();
            assert!(ok, "{report}");
            assert!(report.contains("signer 1: VALID and trusted"), "{report}");
            assert!(report.contains("CN=Ivanov Ivan"), "{report}");
            // No CA named: refused, unless only signatures are asked for.
            let mut no_ca = args(&["--in", &out]);
            if detached {
                no_ca.extend(args(&["--content", &order]));
            }
            assert!(verify_example::run(&no_ca).is_err());
            no_ca.push("--signatures-only".into());
            let (report, ok) = verify_example::run(&no_ca).unwrap();
            assert!(ok && report.contains("signature VALID"), "{report}");

            let mut cmd = args(&[
                "cms",
                "-engine",
                "gost",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                &out,
                "-CAfile",
                &cert,
                "-out",
                "/dev/null",
            ]);
            if detached {
                cmd.extend(args(&["-content", &order]));
            }
            let o = Command::new("openssl")
                .args(&cmd)
                .output()
                .expect("openssl with the gost engine is required");
            assert!(
                o.status.success(),
                "{alg} detached={detached}: {}",
                String::from_utf8_lossy(&o.stderr)
            );

            // Another content: the verify example reports the signer as invalid.
            if detached {
                std::fs::write(p.join("other.txt"), b"another order").unwrap();
                let other = p.join("other.txt").display().to_string();
                let (report, ok) =
                    verify_example::run(&args(&["--in", &out, "--content", &other, "--ca", &cert]))
                        .unwrap();
                assert!(!ok && report.contains("REFUSED"), "{report}");
            }
        }
    }
    assert!(
        sign_example::run(&args(&["--algorithm", "dsa", "--in", &order, "--out", "x"])).is_err()
    );
}
