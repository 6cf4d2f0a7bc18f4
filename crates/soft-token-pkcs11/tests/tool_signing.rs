//! Keys on the soft-token module made or written with OpenSC's `pkcs11-tool` sign, and OpenSSL
//! (with the gost engine for GOST) verifies: GOST and RSA key generation (U05), an RSA key from
//! `openssl genpkey` written as objects (U03). Missing tools fail the tests loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use token_core::GostParamSet;

mod common;
use common::tool::*;

#[test]
fn u05_gost_keys_sign_with_pkcs11_tool_and_verify_with_openssl() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    let keygen = |key_type: &str, id: &str, label: &str| {
        let mut args = login.to_vec();
        args.extend([
            "--keypairgen",
            "--key-type",
            key_type,
            "--id",
            id,
            "--label",
            label,
        ]);
        f.ok(&args)
    };
    let out = keygen("GOSTR3410-2012-256:B", "01", "g256");
    assert!(out.contains("GOSTR3410-2012-256"), "{out}");
    let out = keygen("GOSTR3410-2012-512:A", "02", "g512");
    assert!(out.contains("GOSTR3410-2012-512"), "{out}");

    let mut args = login.to_vec();
    args.push("-O");
    let listing = f.ok(&args);
    assert!(
        listing.contains("Private Key Object; GOSTR3410-2012-256"),
        "{listing}"
    );
    assert!(
        listing.contains("Private Key Object; GOSTR3410-2012-512"),
        "{listing}"
    );
    let pub256 = gost_spki_pem(
        &f,
        GostParamSet::CryptoProA,
        &public_value(&listing, "g256"),
        "p256.pem",
    );
    let pub512 = gost_spki_pem(
        &f,
        GostParamSet::Tc26_512A,
        &public_value(&listing, "g512"),
        "p512.pem",
    );

    std::fs::write(f.path("msg"), "платёжное поручение № 42").unwrap();
    let d256 = openssl_ok(
        &[
            "dgst",
            "-engine",
            "gost",
            "-md_gost12_256",
            "-binary",
            "msg",
        ],
        dir,
    );
    let d512 = openssl_ok(
        &[
            "dgst",
            "-engine",
            "gost",
            "-md_gost12_512",
            "-binary",
            "msg",
        ],
        dir,
    );
    assert_eq!((d256.len(), d512.len()), (32, 64));
    std::fs::write(f.path("d256"), &d256).unwrap();
    std::fs::write(f.path("d512"), &d512).unwrap();

    let cases = [
        ("GOSTR3410", "01", "d256", &pub256, 64),
        ("GOSTR3410-WITH-GOSTR3411-12-256", "01", "msg", &pub256, 64),
        ("GOSTR3410_512", "02", "d512", &pub512, 128),
        ("GOSTR3410-WITH-GOSTR3411-12-512", "02", "msg", &pub512, 128),
    ];
    for (mech, id, input, spki, len) in cases {
        let sig = format!("sig-{mech}");
        let mut args = login.to_vec();
        args.extend(["--sign", "-m", mech, "--id", id, "-i", input, "-o", &sig]);
        f.ok(&args);
        assert_eq!(std::fs::read(f.path(&sig)).unwrap().len(), len, "{mech}");
        let out = f.ok(&[
            "--verify",
            "-m",
            mech,
            "--id",
            id,
            "-i",
            input,
            "--signature-file",
            &sig,
        ]);
        assert!(out.contains("Signature is valid"), "{mech}: {out}");
        // openssl verifies over the digest it computes itself.
        let digest = if len == 64 { "d256" } else { "d512" };
        let spki = spki.to_str().unwrap();
        let args = [
            "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", spki, "-in", digest,
            "-sigfile", &sig,
        ];
        assert!(
            openssl(&args, dir).status.success(),
            "openssl rejects {mech}"
        );
        // A damaged signature verifies neither with openssl nor with the module.
        let mut flipped = std::fs::read(f.path(&sig)).unwrap();
        flipped[0] ^= 1;
        std::fs::write(f.path("bad"), &flipped).unwrap();
        let args = [
            "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", spki, "-in", digest,
            "-sigfile", "bad",
        ];
        assert!(
            !openssl(&args, dir).status.success(),
            "{mech}: flipped signature verifies"
        );
        // (pkcs11-tool reports CKR_SIGNATURE_INVALID as "Invalid signature" and exits 0.)
        let out = f.ok(&[
            "--verify",
            "-m",
            mech,
            "--id",
            id,
            "-i",
            input,
            "--signature-file",
            "bad",
        ]);
        assert!(out.contains("Invalid signature"), "{out}");
    }

    // Streebog through C_Digest equals openssl's.
    let out = f.tool(&["--hash", "-m", "GOSTR3411-12-256", "-i", "msg"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, d256);
    let out = f.tool(&["--hash", "-m", "GOSTR3411-12-512", "-i", "msg"]);
    assert_eq!(out.stdout, d512);

    // A raw GOST mechanism refuses input that is not a digest of the key's size.
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "GOSTR3410",
        "--id",
        "01",
        "-i",
        "msg",
        "-o",
        "x",
    ]);
    let err = f.fails(&args);
    // pkcs11-tool feeds this file through C_SignUpdate, which a raw mechanism refuses.
    assert!(
        err.contains("CKR_DATA_LEN_RANGE")
            || err.contains("C_SignUpdate failed: rv = CKR_FUNCTION_NOT_SUPPORTED"),
        "{err}"
    );
    // A 256-bit mechanism with the 512-bit key.
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "GOSTR3410",
        "--id",
        "02",
        "-i",
        "d256",
        "-o",
        "x",
    ]);
    let err = f.fails(&args);
    assert!(err.contains("CKR_KEY_TYPE_INCONSISTENT"), "{err}");
}

#[test]
fn u05_rsa_keys_sign_and_verify_with_openssl() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    let mut args = login.to_vec();
    args.extend([
        "--keypairgen",
        "--key-type",
        "rsa:2048",
        "--id",
        "03",
        "--label",
        "r2048",
    ]);
    let out = f.ok(&args);
    assert!(out.contains("RSA 2048 bits"), "{out}");
    f.ok(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "03",
        "-o",
        "rsa.der",
    ]);
    std::fs::write(f.path("msg"), "payment order 42").unwrap();
    let sha = openssl_ok(&["dgst", "-sha256", "-binary", "msg"], dir);
    std::fs::write(f.path("sha"), sha).unwrap();

    for (mech, input, extra, pss) in [
        ("SHA256-RSA-PKCS", "msg", &[][..], false),
        (
            "RSA-PKCS-PSS",
            "sha",
            &["--hash-algorithm", "SHA256", "--mgf", "MGF1-SHA256"][..],
            true,
        ),
        (
            "SHA256-RSA-PKCS-PSS",
            "msg",
            &["--mgf", "MGF1-SHA256"][..],
            true,
        ),
    ] {
        let sig = format!("sig-{mech}");
        let mut args = login.to_vec();
        args.extend(["--sign", "-m", mech, "--id", "03", "-i", input, "-o", &sig]);
        args.extend(extra);
        f.ok(&args);
        let mut args = vec![
            "--verify",
            "-m",
            mech,
            "--id",
            "03",
            "-i",
            input,
            "--signature-file",
            &sig,
        ];
        args.extend(extra);
        assert!(f.ok(&args).contains("Signature is valid"), "{mech}");
        let mut args = vec![
            "pkeyutl",
            "-verify",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "rsa.der",
            "-in",
            "sha",
            "-sigfile",
            &sig,
            "-pkeyopt",
            "digest:sha256",
        ];
        if pss {
            args.extend([
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:32",
            ]);
        }
        assert!(
            openssl(&args, dir).status.success(),
            "openssl rejects {mech}"
        );
    }
}

/// Issue 4 / C_CreateObject: an RSA key made by `openssl genpkey` written with
/// `pkcs11-tool --write-object --type privkey`, its public key with `--type pubkey`; pkcs11-tool
/// signs, OpenSSL verifies. (This pkcs11-tool cannot write GOST private keys: OpenSC 0.23
/// rejects GOST 2012 keys as "Unsupported key type" and fails to parse engine GOST 2001 keys;
/// GOST import is tested through cryptoki in `api_key_import.rs`.)
#[test]
fn u03_rsa_key_from_openssl_written_with_pkcs11_tool_signs() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    openssl_ok(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "DER",
            "-out",
            "key.der",
        ],
        dir,
    );
    openssl_ok(
        &[
            "pkey", "-inform", "DER", "-in", "key.der", "-pubout", "-outform", "DER", "-out",
            "pub.der",
        ],
        dir,
    );
    // Without the user logged in the private key is refused.
    f.fails(&[
        "--write-object",
        "key.der",
        "--type",
        "privkey",
        "--id",
        "05",
    ]);
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "key.der",
        "--type",
        "privkey",
        "--id",
        "05",
        "--label",
        "imported",
    ]);
    let out = f.ok(&args);
    assert!(out.contains("Private Key Object; RSA"), "{out}");
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "pub.der",
        "--type",
        "pubkey",
        "--id",
        "05",
    ]);
    f.ok(&args);

    // Another key's public half under the same id is refused.
    openssl_ok(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "other.pem",
        ],
        dir,
    );
    openssl_ok(
        &[
            "pkey",
            "-in",
            "other.pem",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "other.der",
        ],
        dir,
    );
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "other.der",
        "--type",
        "pubkey",
        "--id",
        "05",
    ]);
    f.fails(&args);

    std::fs::write(f.path("msg"), "payment order 43").unwrap();
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "05",
        "-i",
        "msg",
        "-o",
        "sig",
    ]);
    f.ok(&args);
    let verified = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.der",
            "-keyform",
            "DER",
            "-signature",
            "sig",
            "msg",
        ],
        dir,
    );
    assert!(
        verified.status.success(),
        "openssl rejects the signature: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // The module verifies with the imported public key too.
    let out = f.ok(&[
        "--verify",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "05",
        "-i",
        "msg",
        "--signature-file",
        "sig",
    ]);
    assert!(out.contains("Signature is valid"), "{out}");
    // The private exponent and the primes never show in the token file.
    use rsa::pkcs1::der::Decode;
    let key = std::fs::read(f.path("key.der")).unwrap();
    // `openssl genpkey -outform DER` writes the traditional PKCS#1 form.
    let parts = rsa::pkcs1::RsaPrivateKeyRef::from_der(&key).unwrap();
    let state = std::fs::read(f.path("token0/token.der")).unwrap();
    assert!(state.windows(256).any(|w| w == parts.modulus.as_bytes()));
    for secret in [parts.private_exponent, parts.prime1, parts.prime2] {
        let head = &secret.as_bytes()[..32];
        assert!(
            !state.windows(32).any(|w| w == head),
            "private key bytes in the clear on disk"
        );
    }
}
