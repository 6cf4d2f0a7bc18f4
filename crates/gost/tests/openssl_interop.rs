//! Interoperability with OpenSSL + the gost engine, both ways, for every parameter set the
//! engine offers (256: A B C XA XB TCA TCB TCC TCD; 512: A B C).
//!
//! Needs `openssl` and the `gost` engine (`apt-get install -y openssl libengine-gost-openssl`).
//! If either is missing the tests FAIL with a message saying so; they never skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is how a test fails"
)]

use std::path::Path;
use std::process::{Command, Output};

use keycarrier_gost::signature::hazmat::{PrehashSigner, PrehashVerifier};
use keycarrier_gost::signature::{Signer, Verifier};
use keycarrier_gost::{ParamSet, Signature, SigningKey, VerifyingKey};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use spki::{DecodePublicKey, EncodePublicKey};

fn openssl(dir: &Path, args: &[&str]) -> Output {
    // `openssl CMD -engine gost ARGS…`
    let mut full: Vec<&str> = Vec::with_capacity(args.len() + 2);
    if let Some((cmd, rest)) = args.split_first() {
        full.push(cmd);
        if *cmd != "engine" {
            full.extend(["-engine", "gost"]);
        }
        full.extend(rest);
    }
    Command::new("openssl")
        .args(&full)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}); install it with \
                 `apt-get install -y openssl libengine-gost-openssl`"
            )
        })
}

fn openssl_ok(dir: &Path, args: &[&str]) -> Output {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {} failed: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Fails loudly when the gost engine is not available.
fn require_engine(dir: &Path) {
    let out = openssl(dir, &["engine", "gost", "-c"]);
    assert!(
        out.status.success(),
        "OpenSSL's gost engine is not available ({}); install it with \
         `apt-get install -y libengine-gost-openssl`",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

struct Case {
    algorithm: &'static str,
    paramset: &'static str,
    set: ParamSet,
    md: &'static str,
}

const CASES: [Case; 12] = [
    Case {
        algorithm: "gost2012_256",
        paramset: "A",
        set: ParamSet::CryptoProA,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "B",
        set: ParamSet::CryptoProB,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "C",
        set: ParamSet::CryptoProC,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "XA",
        set: ParamSet::CryptoProXchA,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "XB",
        set: ParamSet::CryptoProXchB,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "TCA",
        set: ParamSet::Tc26_256A,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "TCB",
        set: ParamSet::Tc26_256B,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "TCC",
        set: ParamSet::Tc26_256C,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_256",
        paramset: "TCD",
        set: ParamSet::Tc26_256D,
        md: "md_gost12_256",
    },
    Case {
        algorithm: "gost2012_512",
        paramset: "A",
        set: ParamSet::Tc26_512A,
        md: "md_gost12_512",
    },
    Case {
        algorithm: "gost2012_512",
        paramset: "B",
        set: ParamSet::Tc26_512B,
        md: "md_gost12_512",
    },
    Case {
        algorithm: "gost2012_512",
        paramset: "C",
        set: ParamSet::Tc26_512C,
        md: "md_gost12_512",
    },
];

fn pem_to_der(pem: &str) -> Vec<u8> {
    let (_, der) = pem_rfc7468::decode_vec(pem.as_bytes()).unwrap();
    der
}

fn run_case(dir: &Path, case: &Case) {
    let tag = format!("{} {}", case.algorithm, case.paramset);
    let data = format!("interop data for {tag}\n").repeat(50);
    std::fs::write(dir.join("data.txt"), &data).unwrap();

    // --- OpenSSL → us -------------------------------------------------------------------
    let paramset = format!("paramset:{}", case.paramset);
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            case.algorithm,
            "-pkeyopt",
            &paramset,
            "-out",
            "ossl.pem",
        ],
    );
    openssl_ok(
        dir,
        &["pkey", "-in", "ossl.pem", "-pubout", "-out", "ossl.pub.pem"],
    );
    let key_pem = std::fs::read_to_string(dir.join("ossl.pem")).unwrap();
    let pub_pem = std::fs::read_to_string(dir.join("ossl.pub.pem")).unwrap();
    let key = SigningKey::from_pkcs8_pem(&key_pem).unwrap_or_else(|e| panic!("{tag}: {e}"));
    assert_eq!(key.param_set(), case.set, "{tag}");
    let public =
        VerifyingKey::from_public_key_pem(&pub_pem).unwrap_or_else(|e| panic!("{tag}: {e}"));
    assert_eq!(
        &public,
        key.verifying_key(),
        "{tag}: derived public key differs from OpenSSL's"
    );
    // Byte-exact re-encoding (same OIDs, same digestParamSet choice, same key forms).
    assert_eq!(
        public.to_spki_der().unwrap(),
        pem_to_der(&pub_pem),
        "{tag}: SPKI re-encoding"
    );
    assert_eq!(
        key.to_pkcs8_der().unwrap().as_bytes(),
        pem_to_der(&key_pem).as_slice(),
        "{tag}: PKCS#8 re-encoding"
    );

    // Digest: OpenSSL's Streebog output bytes = ours.
    let md = format!("-{}", case.md);
    openssl_ok(
        dir,
        &["dgst", &md, "-binary", "-out", "data.dgst", "data.txt"],
    );
    let digest = std::fs::read(dir.join("data.dgst")).unwrap();
    assert_eq!(
        digest,
        keycarrier_gost::digest(public.hash_algorithm(), data.as_bytes()),
        "{tag}: Streebog"
    );

    // OpenSSL's signatures verify with us (several, to cover different nonces).
    for _ in 0..3 {
        openssl_ok(
            dir,
            &[
                "pkeyutl",
                "-sign",
                "-inkey",
                "ossl.pem",
                "-in",
                "data.dgst",
                "-out",
                "ossl.sig",
            ],
        );
        let sig = Signature::from_bytes(&std::fs::read(dir.join("ossl.sig")).unwrap()).unwrap();
        public
            .verify_prehash(&digest, &sig)
            .unwrap_or_else(|e| panic!("{tag}: OpenSSL signature rejected: {e}"));
        public.verify(data.as_bytes(), &sig).unwrap();
        let mut bad = sig.to_vec();
        bad[5] ^= 0x80;
        assert!(
            public
                .verify_prehash(&digest, &Signature::from_bytes(&bad).unwrap())
                .is_err()
        );
    }
    // Whole-message signature made by `openssl dgst -sign`.
    openssl_ok(
        dir,
        &[
            "dgst",
            &md,
            "-sign",
            "ossl.pem",
            "-out",
            "ossl.dgst.sig",
            "data.txt",
        ],
    );
    let sig = Signature::from_bytes(&std::fs::read(dir.join("ossl.dgst.sig")).unwrap()).unwrap();
    public
        .verify(data.as_bytes(), &sig)
        .unwrap_or_else(|e| panic!("{tag}: dgst -sign signature rejected: {e}"));

    // --- us → OpenSSL -------------------------------------------------------------------
    // Our signature with OpenSSL's key.
    let ours = key.sign_prehash(&digest).unwrap();
    std::fs::write(dir.join("ours.sig"), ours.as_bytes()).unwrap();
    let out = openssl_ok(
        dir,
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "ossl.pub.pem",
            "-in",
            "data.dgst",
            "-sigfile",
            "ours.sig",
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
        "{tag}"
    );

    // Our own key, written by us, read by OpenSSL.
    let mine = SigningKey::generate(case.set).unwrap();
    std::fs::write(
        dir.join("mine.pem"),
        mine.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(
        dir.join("mine.pub.pem"),
        mine.verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    )
    .unwrap();
    let sig = mine.try_sign(data.as_bytes()).unwrap();
    std::fs::write(dir.join("mine.sig"), sig.as_bytes()).unwrap();
    let out = openssl_ok(
        dir,
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "mine.pub.pem",
            "-in",
            "data.dgst",
            "-sigfile",
            "mine.sig",
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
        "{tag}"
    );
    // OpenSSL rejects a corrupted one (the check above is meaningful).
    let mut bad = sig.to_vec();
    bad[0] ^= 1;
    std::fs::write(dir.join("mine.bad.sig"), &bad).unwrap();
    let out = openssl(
        dir,
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "mine.pub.pem",
            "-in",
            "data.dgst",
            "-sigfile",
            "mine.bad.sig",
        ],
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Verified Successfully"),
        "{tag}"
    );
    // OpenSSL signs with our PKCS#8 key and the signature verifies with us.
    openssl_ok(
        dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "mine.pem",
            "-in",
            "data.dgst",
            "-out",
            "mine.ossl.sig",
        ],
    );
    let sig = Signature::from_bytes(&std::fs::read(dir.join("mine.ossl.sig")).unwrap()).unwrap();
    mine.verifying_key()
        .verify_prehash(&digest, &sig)
        .unwrap_or_else(|e| panic!("{tag}: {e}"));

    // Round trips through `openssl pkey`: what comes back is byte-identical.
    openssl_ok(dir, &["pkey", "-in", "mine.pem", "-out", "mine.back.pem"]);
    openssl_ok(
        dir,
        &[
            "pkey",
            "-pubin",
            "-in",
            "mine.pub.pem",
            "-out",
            "mine.pub.back.pem",
        ],
    );
    openssl_ok(
        dir,
        &[
            "pkey",
            "-in",
            "mine.pem",
            "-pubout",
            "-out",
            "mine.derived.pub.pem",
        ],
    );
    let back = std::fs::read_to_string(dir.join("mine.back.pem")).unwrap();
    assert_eq!(
        pem_to_der(&back),
        mine.to_pkcs8_der().unwrap().as_bytes(),
        "{tag}: PKCS#8 via openssl pkey"
    );
    let back = SigningKey::from_pkcs8_pem(&back).unwrap();
    assert_eq!(*back.to_le_bytes(), *mine.to_le_bytes());
    for f in ["mine.pub.back.pem", "mine.derived.pub.pem"] {
        let pem = std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(
            pem_to_der(&pem),
            mine.verifying_key().to_spki_der().unwrap(),
            "{tag}: SPKI via openssl pkey ({f})"
        );
    }
    // OpenSSL's view of our private key: the same public point.
    let text = openssl_ok(dir, &["pkey", "-in", "mine.pem", "-text", "-noout"]);
    let text = String::from_utf8_lossy(&text.stdout).to_uppercase();
    let (x, _) = mine.verifying_key().to_affine_be();
    let x_hex: String = x.iter().map(|b| format!("{b:02X}")).collect();
    // OpenSSL prints the coordinate as a number: no leading zero digits.
    let x_hex = x_hex.trim_start_matches('0');
    assert!(
        text.replace([' ', '\n', ':'], "").contains(x_hex),
        "{tag}: openssl shows another public key:\n{text}"
    );
}

fn run(index: usize) {
    let dir = tempfile::tempdir().unwrap();
    require_engine(dir.path());
    run_case(dir.path(), &CASES[index]);
}

#[test]
fn interop_gost2012_256_a() {
    run(0);
}

#[test]
fn interop_gost2012_256_b() {
    run(1);
}

#[test]
fn interop_gost2012_256_c() {
    run(2);
}

#[test]
fn interop_gost2012_256_xa() {
    run(3);
}

#[test]
fn interop_gost2012_256_xb() {
    run(4);
}

#[test]
fn interop_gost2012_256_tca() {
    run(5);
}

#[test]
fn interop_gost2012_256_tcb() {
    run(6);
}

#[test]
fn interop_gost2012_256_tcc() {
    run(7);
}

#[test]
fn interop_gost2012_256_tcd() {
    run(8);
}

#[test]
fn interop_gost2012_512_a() {
    run(9);
}

#[test]
fn interop_gost2012_512_b() {
    run(10);
}

#[test]
fn interop_gost2012_512_c() {
    run(11);
}
