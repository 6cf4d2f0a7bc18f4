//! VKO GOST R 34.10-2012 (key agreement) against the standard's examples and OpenSSL's gost
//! engine.
//!
//! * R 50.1.113-2016 Appendix A.9 (VKO_GOSTR3410_2012_256) and A.10 (VKO_GOSTR3410_2012_512),
//!   also printed in RFC 7836 Appendix B: two TC26-512-A key pairs and UKM `1d80603c8544c727`.
//!   The hex below is as the standard prints it (little-endian byte strings; gost-engine's
//!   `test_derive.c` transcribes the same example).
//! * `openssl pkeyutl -derive` with an 8-byte UKM computes VKO with Streebog-256 (gost-engine
//!   `pkey_gost_ec_derive`): both directions on every parameter set the engine offers,
//!   including the cofactor-4 curves TC26-256-A and TC26-512-C.
//!
//! The OpenSSL test needs `openssl` and the `gost` engine and FAILS, never skips, without them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is how a test fails"
)]

use std::path::Path;
use std::process::Command;

use keycarrier_gost::{Error, ParamSet, SigningKey, VerifyingKey, VkoDigest};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use spki::EncodePublicKey;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// R 50.1.113-2016 A.9 / A.10 (RFC 7836 Appendix B): curve id-tc26-gost-3410-12-512-paramSetA.
const UKM: &str = "1d80603c8544c727";
const A_PRIV: &str = "c990ecd972fce84ec4db022778f50fcac726f46708384b8d458304962d7147f8
                      c2db41cef22c90b102f2968404f9b9be6d47c79692d81826b32b8daca43cb667";
const A_PUB: &str = "aab0eda4abff21208d18799fb9a8556654ba783070eba10cb9abb253ec56dcf5
                     d3ccba6192e464e6e5bcb6dea137792f2431f6c897eb1b3c0cc14327b1adc0a7
                     914613a3074e363aedb204d38d3563971bd8758e878c9db11403721b48002d38
                     461f92472d40ea92f9958c0ffa4c93756401b97f89fdbe0b5e46e4a4631cdb5a";
const B_PRIV: &str = "48c859f7b6f11585887cc05ec6ef1390cfea739b1a18c0d4662293ef63b79e3b
                      8014070b44918590b4b996acfea4edfbbbcccc8c06edd8bf5bda92a51392d0db";
const B_PUB: &str = "192fe183b9713a077253c72c8735de2ea42a3dbc66ea317838b65fa32523cd5e
                     fca974eda7c863f4954d1147f1f2b25c395fce1c129175e876d132e94ed5a651
                     04883b414c9b592ec4dc84826f07d0b6d9006dda176ce48c391e3f97d102e03b
                     b598bf132a228a45f7201aba08fc524a2d77e43a362ab022ad4028f75bde3b79";
const KEK_256: &str = "c9a9a77320e2cc559ed72dce6f47e2192ccea95fa648670582c054c0ef36c221";
const KEK_512: &str = "79f002a96940ce7bde3259a52e015297adaad84597a0d205b50e3e1719f97bfa
                       7ee1d2661fa9979a5aa235b558a7e6d9f88f982dd63fc35a8ec0dd5e242d3bdf";

fn example_keys() -> (SigningKey, SigningKey) {
    let a = SigningKey::from_le_bytes(ParamSet::Tc26_512A, &hex(A_PRIV)).unwrap();
    let b = SigningKey::from_le_bytes(ParamSet::Tc26_512A, &hex(B_PRIV)).unwrap();
    // The example's public keys are the ones of its private keys.
    assert_eq!(a.verifying_key().as_raw_le(), hex(A_PUB).as_slice());
    assert_eq!(b.verifying_key().as_raw_le(), hex(B_PUB).as_slice());
    (a, b)
}

#[test]
fn r50_1_113_a9_vko_256_both_ways() {
    let (a, b) = example_keys();
    let b_pub = VerifyingKey::from_raw_le(ParamSet::Tc26_512A, &hex(B_PUB)).unwrap();
    let a_pub = VerifyingKey::from_raw_le(ParamSet::Tc26_512A, &hex(A_PUB)).unwrap();
    let k_ab = a.vko(&b_pub, &hex(UKM), VkoDigest::Streebog256).unwrap();
    let k_ba = b.vko(&a_pub, &hex(UKM), VkoDigest::Streebog256).unwrap();
    assert_eq!(*k_ab, hex(KEK_256));
    assert_eq!(*k_ba, hex(KEK_256));
}

#[test]
fn r50_1_113_a10_vko_512_both_ways() {
    let (a, b) = example_keys();
    let k_ab = a
        .vko(b.verifying_key(), &hex(UKM), VkoDigest::Streebog512)
        .unwrap();
    let k_ba = b
        .vko(a.verifying_key(), &hex(UKM), VkoDigest::Streebog512)
        .unwrap();
    assert_eq!(*k_ab, hex(KEK_512));
    assert_eq!(*k_ba, hex(KEK_512));
    assert_eq!(VkoDigest::Streebog512.output_len(), 64);
}

#[test]
fn ukm_is_little_endian_and_may_be_padded() {
    let (a, b) = example_keys();
    let mut padded = hex(UKM);
    padded.extend([0u8; 56]); // 64 bytes, same integer
    let k = a
        .vko(b.verifying_key(), &padded, VkoDigest::Streebog256)
        .unwrap();
    assert_eq!(*k, hex(KEK_256));
    let mut reversed = hex(UKM);
    reversed.reverse();
    let k = a
        .vko(b.verifying_key(), &reversed, VkoDigest::Streebog256)
        .unwrap();
    assert_ne!(*k, hex(KEK_256), "the UKM is read little-endian");
}

#[test]
fn zero_ukm_counts_as_one() {
    let (a, b) = example_keys();
    let zero = a
        .vko(b.verifying_key(), &[0, 0, 0], VkoDigest::Streebog256)
        .unwrap();
    let one = a
        .vko(b.verifying_key(), &[1], VkoDigest::Streebog256)
        .unwrap();
    assert_eq!(*zero, *one);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (a, _) = example_keys();
    let other = SigningKey::generate(ParamSet::Tc26_512B).unwrap();
    let err = a
        .vko(other.verifying_key(), &hex(UKM), VkoDigest::Streebog256)
        .unwrap_err();
    assert!(matches!(err, Error::CurveMismatch { .. }), "{err}");
    let small = SigningKey::generate(ParamSet::CryptoProA).unwrap();
    let err = a
        .vko(small.verifying_key(), &hex(UKM), VkoDigest::Streebog256)
        .unwrap_err();
    assert!(matches!(err, Error::CurveMismatch { .. }), "{err}");
    for ukm in [&[][..], &[1u8; 65][..]] {
        let err = a
            .vko(a.verifying_key(), ukm, VkoDigest::Streebog256)
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { what: "UKM", .. }), "{err}");
    }
    // q itself as a 64-byte UKM on a 256-bit curve: the agreed point would be the identity.
    let key = SigningKey::generate(ParamSet::CryptoProA).unwrap();
    let mut q = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893");
    q.reverse();
    let err = key
        .vko(key.verifying_key(), &q, VkoDigest::Streebog256)
        .unwrap_err();
    assert!(matches!(err, Error::KeyAgreement { .. }), "{err}");
    // The same curve under an alias is the same curve.
    let xcha = SigningKey::generate(ParamSet::CryptoProXchA).unwrap();
    let k1 = key
        .vko(xcha.verifying_key(), &[7], VkoDigest::Streebog256)
        .unwrap();
    let k2 = xcha
        .vko(key.verifying_key(), &[7], VkoDigest::Streebog256)
        .unwrap();
    assert_eq!(*k1, *k2);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
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
}

/// Our VKO-256 and OpenSSL's `pkeyutl -derive` (8-byte UKM) agree, both ways: OpenSSL's key
/// with ours, and ours with OpenSSL's.
#[test]
fn openssl_derive_agrees_on_every_curve() {
    let cases = [
        ("gost2012_256", "A", ParamSet::CryptoProA),
        ("gost2012_256", "B", ParamSet::CryptoProB),
        ("gost2012_256", "C", ParamSet::CryptoProC),
        ("gost2012_256", "XA", ParamSet::CryptoProXchA),
        ("gost2012_256", "TCA", ParamSet::Tc26_256A),
        ("gost2012_512", "A", ParamSet::Tc26_512A),
        ("gost2012_512", "B", ParamSet::Tc26_512B),
        ("gost2012_512", "C", ParamSet::Tc26_512C),
    ];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ukm = hex("0123456789abcdef");
    for (alg, paramset, set) in cases {
        let theirs = d.join("theirs.pem");
        let ours_pub = d.join("ours_pub.pem");
        let ours_key = d.join("ours.pem");
        let their_pub = d.join("theirs_pub.pem");
        let out = d.join("shared.bin");
        let opt = format!("paramset:{paramset}");
        openssl(
            d,
            &[
                "genpkey",
                "-engine",
                "gost",
                "-algorithm",
                alg,
                "-pkeyopt",
                &opt,
                "-out",
                "theirs.pem",
            ],
        );
        openssl(
            d,
            &[
                "pkey",
                "-engine",
                "gost",
                "-in",
                "theirs.pem",
                "-pubout",
                "-out",
                "theirs_pub.pem",
            ],
        );
        let their_key =
            SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&theirs).unwrap()).unwrap();
        let ours = SigningKey::generate(set).unwrap();
        std::fs::write(
            &ours_pub,
            ours.verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
        .unwrap();
        std::fs::write(
            &ours_key,
            ours.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        let ukm_opt = "ukmhex:0123456789abcdef";
        // OpenSSL with its key and our public key.
        openssl(
            d,
            &[
                "pkeyutl",
                "-engine",
                "gost",
                "-derive",
                "-inkey",
                "theirs.pem",
                "-peerkey",
                "ours_pub.pem",
                "-pkeyopt",
                ukm_opt,
                "-out",
                "shared.bin",
            ],
        );
        let from_openssl = std::fs::read(&out).unwrap();
        let mine = ours
            .vko(their_key.verifying_key(), &ukm, VkoDigest::Streebog256)
            .unwrap();
        assert_eq!(*mine, from_openssl, "{alg} {paramset}: ours vs OpenSSL");
        // OpenSSL with our private key and its public key.
        openssl(
            d,
            &[
                "pkeyutl",
                "-engine",
                "gost",
                "-derive",
                "-inkey",
                "ours.pem",
                "-peerkey",
                "theirs_pub.pem",
                "-pkeyopt",
                ukm_opt,
                "-out",
                "shared.bin",
            ],
        );
        assert_eq!(
            *mine,
            std::fs::read(&out).unwrap(),
            "{alg} {paramset}: OpenSSL with our key"
        );
        let _ = their_pub;
    }
}

/// `(private key, public key)` of an OpenSSL key from `openssl pkey -text` (big-endian hex).
fn openssl_key_text(dir: &Path, file: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let out = Command::new("openssl")
        .args(["pkey", "-engine", "gost", "-in", file, "-noout", "-text"])
        .current_dir(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| -> Vec<u8> {
        let line = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {text}"));
        let mut h = line.trim().to_string();
        if !h.len().is_multiple_of(2) {
            h.insert(0, '0');
        }
        let mut v = hex(&h);
        while v.len() < 32 {
            v.insert(0, 0);
        }
        v
    };
    (field("Private key:"), field("X:"), field("Y:"))
}

/// VKO GOST R 34.10-2001 (GOST R 34.11-94, CryptoPro parameters) against `openssl pkeyutl
/// -derive` with two `gost2001` keys made by OpenSSL, on the three CryptoPro curves.
#[test]
fn openssl_derive_agrees_on_vko_2001() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (paramset, set) in [
        ("A", ParamSet::CryptoProA),
        ("B", ParamSet::CryptoProB),
        ("C", ParamSet::CryptoProC),
    ] {
        let opt = format!("paramset:{paramset}");
        for name in ["a.pem", "b.pem"] {
            openssl(
                d,
                &[
                    "genpkey",
                    "-engine",
                    "gost",
                    "-algorithm",
                    "gost2001",
                    "-pkeyopt",
                    &opt,
                    "-out",
                    name,
                ],
            );
        }
        openssl(
            d,
            &[
                "pkey",
                "-engine",
                "gost",
                "-in",
                "b.pem",
                "-pubout",
                "-out",
                "b_pub.pem",
            ],
        );
        openssl(
            d,
            &[
                "pkeyutl",
                "-engine",
                "gost",
                "-derive",
                "-inkey",
                "a.pem",
                "-peerkey",
                "b_pub.pem",
                "-pkeyopt",
                "ukmhex:0102030405060708",
                "-out",
                "kek.bin",
            ],
        );
        let (da, _, _) = openssl_key_text(d, "a.pem");
        let (_, bx, by) = openssl_key_text(d, "b.pem");
        let a = SigningKey::from_be_bytes(set, &da).unwrap();
        let b_pub = VerifyingKey::from_affine_be(set, &bx, &by).unwrap();
        let ours = a.vko_2001(&b_pub, &hex("0102030405060708")).unwrap();
        assert_eq!(
            *ours,
            std::fs::read(d.join("kek.bin")).unwrap(),
            "{paramset}"
        );
        // Not the 2012 VKO with the same point.
        assert_ne!(
            *ours,
            *a.vko(&b_pub, &hex("0102030405060708"), VkoDigest::Streebog256)
                .unwrap()
        );
    }
    let big = SigningKey::generate(ParamSet::Tc26_512A).unwrap();
    assert!(matches!(
        big.vko_2001(big.verifying_key(), &[1]),
        Err(Error::Unsupported { .. })
    ));
}
