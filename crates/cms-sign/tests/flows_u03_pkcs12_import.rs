//! Flow U03: PKCS#12 import into a soft token. PFX files are made at test time by OpenSSL with
//! the gost engine (required; the tests fail loudly without it); the imported key signs CMS
//! that OpenSSL verifies with the certificate from the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use keycarrier_cms_sign::pfx::{MAX_ITERATIONS, import_pfx, inspect_pfx, open_pfx};
use keycarrier_cms_sign::{CmsSigner, Content, sign};
use soft_token::{SoftToken, TokenSettings};
use token_core::der::Decode;
use token_core::{AdminPin, Carrier, Error, FinalTry, Password, Pin, PinPolicy, oid};

const ORDER: &[u8] = "Платёжное поручение № 7 на 1 000.00 RUB\r\n".as_bytes();
const PASS: &str = "Пароль-1";

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("U03")
    };
    // The admin PIN is not the vendor default: the soft token makes no keys until that is changed.
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new("Adm1nQw8")).unwrap();
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .unwrap();
    t.reset_pin(&AdminPin::new("Adm1nQw8"), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
    t
}

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("invalid engine"),
        "the OpenSSL gost engine is missing (apt-get install libengine-gost-openssl): {stderr}"
    );
    out
}

fn ok(args: &[&str], dir: &Path) {
    let out = openssl(args, dir);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn der_of_pem(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let (_, der) = token_core::der::pem::decode_vec(text.as_bytes()).unwrap();
    der
}

/// A key + self-signed certificate made by OpenSSL, named `name` in `dir`.
fn key_and_cert(dir: &Path, name: &str, genpkey: &[&str], md: &str) {
    let key = format!("{name}.key");
    let cert = format!("{name}.pem");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend(["-out", &key]);
    ok(&args, dir);
    let subj = format!("/C=RU/O=Romashka/CN={name}");
    ok(
        &[
            "req", "-engine", "gost", "-x509", "-new", "-key", &key, md, "-days", "30", "-subj",
            &subj, "-out", &cert,
        ],
        dir,
    );
}

/// `openssl pkcs12 -export` of `name`'s key and certificate with extra options.
fn export(dir: &Path, name: &str, extra: &[&str], out: &str) -> Vec<u8> {
    let key = format!("{name}.key");
    let cert = format!("{name}.pem");
    let pass = format!("pass:{PASS}");
    let mut args = vec![
        "pkcs12", "-engine", "gost", "-export", "-inkey", &key, "-in", &cert, "-passout", &pass,
        "-out", out,
    ];
    args.extend_from_slice(extra);
    ok(&args, dir);
    std::fs::read(dir.join(out)).unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    token_core::der::pem::encode_string(label, token_core::der::pem::LineEnding::LF, der).unwrap()
}

fn openssl_verifies(cms: &[u8], cert: &[u8]) {
    openssl_verifies_with(cms, cert, &["-CAfile", "ca.pem"]);
}

/// The signature and the signer certificate's key only (the certificate's issuer is absent).
fn openssl_verifies_signature(cms: &[u8], cert: &[u8]) {
    openssl_verifies_with(cms, cert, &["-noverify"]);
}

fn openssl_verifies_with(cms: &[u8], cert: &[u8], trust: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("s.p7s"), cms).unwrap();
    std::fs::write(d.path().join("ca.pem"), pem("CERTIFICATE", cert)).unwrap();
    let mut args = vec![
        "cms", "-engine", "gost", "-verify", "-binary", "-inform", "DER", "-in", "s.p7s", "-out",
        "out.bin",
    ];
    args.extend_from_slice(trust);
    let out = openssl(&args, d.path());
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(d.path().join("out.bin")).unwrap(), ORDER);
}

/// Imports `pfx` into a fresh token, signs with the imported key and has OpenSSL verify it.
fn import_sign_verify(pfx: &[u8], cert: &[u8], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let info = import_pfx(&mut t, pfx, &Password::new(PASS), "Imported")
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(info.certificates.first().map(Vec::as_slice), Some(cert));
    assert!(info.has_private_key && !info.extractable, "{what}");
    assert_eq!(info.label.as_deref(), Some("Imported"));
    let signer = CmsSigner::new(&t, &info.id, cert).unwrap();
    let cms = sign(ORDER, &signer, Content::Attached).unwrap();
    openssl_verifies(&cms, cert);
}

#[test]
fn u03_gost_pfx_from_openssl_imports_and_signs() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let gost = ["-keypbe", "gost89", "-certpbe", "gost89"];
    for (name, genpkey, md, macalg) in [
        (
            "tca",
            [
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_256",
                "-pkeyopt",
                "paramset:TCA",
            ],
            "-md_gost12_256",
            "md_gost12_512",
        ),
        (
            "tcb",
            [
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_256",
                "-pkeyopt",
                "paramset:TCB",
            ],
            "-md_gost12_256",
            "md_gost12_256",
        ),
        (
            "g512",
            [
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_512",
                "-pkeyopt",
                "paramset:A",
            ],
            "-md_gost12_512",
            "md_gost12_512",
        ),
        (
            "g512c",
            [
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_512",
                "-pkeyopt",
                "paramset:C",
            ],
            "-md_gost12_512",
            "md_gost12_256",
        ),
    ] {
        key_and_cert(p, name, &genpkey, md);
        let mut extra = gost.to_vec();
        extra.extend(["-macalg", macalg]);
        let pfx = export(p, name, &extra, &format!("{name}.p12"));
        let info = inspect_pfx(&pfx).unwrap();
        let mac_oid = if macalg == "md_gost12_512" {
            oid::TC26_GOST_3411_12_512
        } else {
            oid::TC26_GOST_3411_12_256
        };
        assert_eq!(info.mac, Some((mac_oid, 2048)), "{name}");
        assert_eq!(
            info.encryption,
            vec![(oid::GOST_28147_89, 2048), (oid::GOST_28147_89, 2048)],
            "{name}"
        );
        let cert = der_of_pem(&p.join(format!("{name}.pem")));
        import_sign_verify(&pfx, &cert, name);
    }
}

/// Certificates longer than 1 KiB in one encrypted bag exercise the CryptoPro key meshing of
/// the gost89 cipher: a chain of four certificates.
#[test]
fn u03_gost_pfx_with_chain_over_1k() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let genpkey = [
        "-engine",
        "gost",
        "-algorithm",
        "gost2012_512",
        "-pkeyopt",
        "paramset:A",
    ];
    key_and_cert(p, "leaf", &genpkey, "-md_gost12_512");
    for ca in ["ca1", "ca2", "ca3"] {
        key_and_cert(p, ca, &genpkey, "-md_gost12_512");
    }
    let chain: String = ["ca1", "ca2", "ca3"]
        .iter()
        .map(|c| std::fs::read_to_string(p.join(format!("{c}.pem"))).unwrap())
        .collect();
    std::fs::write(p.join("chain.pem"), chain).unwrap();
    let pfx = export(
        p,
        "leaf",
        &[
            "-certfile",
            "chain.pem",
            "-keypbe",
            "gost89",
            "-certpbe",
            "gost89",
            "-macalg",
            "md_gost12_512",
        ],
        "leaf.p12",
    );
    let cert = der_of_pem(&p.join("leaf.pem"));
    let contents = open_pfx(&pfx, &Password::new(PASS)).unwrap();
    assert_eq!(contents.certificates.len(), 4);
    assert!(contents.certificates.iter().map(Vec::len).sum::<usize>() > 1024);
    assert_eq!(contents.certificates[0], cert);
    for ca in ["ca1", "ca2", "ca3"] {
        let der = der_of_pem(&p.join(format!("{ca}.pem")));
        assert!(contents.certificates.contains(&der), "{ca}");
    }
    import_sign_verify(&pfx, &cert, "chain");
}

#[test]
fn u03_rsa_pfx_default_and_legacy() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    key_and_cert(
        p,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "-sha256",
    );
    let cert = der_of_pem(&p.join("rsa.pem"));
    let pfx = export(p, "rsa", &[], "rsa.p12");
    let info = inspect_pfx(&pfx).unwrap();
    assert_eq!(info.mac, Some((oid::SHA256, 2048)));
    assert_eq!(
        info.encryption,
        vec![(oid::AES256_CBC, 2048), (oid::AES256_CBC, 2048)]
    );
    import_sign_verify(&pfx, &cert, "rsa aes");
    // Legacy 3DES for both parts and a SHA-1 MAC (what OpenSSL 1.1 wrote by default, minus RC2).
    let legacy = export(
        p,
        "rsa",
        &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
        "rsa-3des.p12",
    );
    let info = inspect_pfx(&legacy).unwrap();
    assert_eq!(info.mac.map(|m| m.0), Some(oid::SHA1));
    assert!(
        info.encryption
            .iter()
            .all(|e| e.0 == oid::PBE_WITH_SHA_AND_3KEY_TRIPLE_DES_CBC)
    );
    import_sign_verify(&legacy, &cert, "rsa 3des");
    // `-legacy` (RC2-40 certificates) needs OpenSSL's legacy provider; where it is there the
    // file is refused as unsupported, never misread.
    let out = openssl(
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-inkey",
            "rsa.key",
            "-in",
            "rsa.pem",
            "-passout",
            &format!("pass:{PASS}"),
            "-out",
            "rsa-legacy.p12",
        ],
        p,
    );
    if out.status.success() {
        let legacy = std::fs::read(p.join("rsa-legacy.p12")).unwrap();
        match open_pfx(&legacy, &Password::new(PASS)) {
            Ok(c) => assert_eq!(c.certificates[0], cert),
            Err(Error::Unsupported { .. }) => {}
            Err(e) => panic!("-legacy PFX: {e}"),
        }
    }
}

#[test]
fn u03_wrong_password_leaves_the_token_untouched() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    key_and_cert(
        p,
        "k",
        &[
            "-engine",
            "gost",
            "-algorithm",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCA",
        ],
        "-md_gost12_256",
    );
    let pfx = export(
        p,
        "k",
        &[
            "-keypbe",
            "gost89",
            "-certpbe",
            "gost89",
            "-macalg",
            "md_gost12_512",
        ],
        "k.p12",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    let err = import_pfx(&mut t, &pfx, &Password::new("Пароль-2"), "x").unwrap_err();
    assert!(matches!(err, Error::WrongPasswordOrContainer), "{err}");
    assert_eq!(err.to_string(), "wrong password or key container");
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
    assert!(t.containers().unwrap().is_empty());
    // Truncated and tampered files: typed errors, nothing written.
    for cut in [1, 10, pfx.len() / 2, pfx.len() - 1] {
        let err = import_pfx(&mut t, &pfx[..cut], &Password::new(PASS), "x").unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "cut {cut}: {err}");
    }
    // Flip a byte inside the authSafe content (a third into the file): the MAC catches it.
    let mut tampered = pfx.clone();
    tampered[pfx.len() / 3] ^= 0x40;
    let err = import_pfx(&mut t, &tampered, &Password::new(PASS), "x").unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongPasswordOrContainer | Error::Malformed { .. }
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
    // The right password still works afterwards.
    import_pfx(&mut t, &pfx, &Password::new(PASS), "x").unwrap();
    assert_ne!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
}

/// A PFX of another client: the key of one, the certificate of another (made with
/// `-nocerts`-free OpenSSL by giving the foreign certificate as the only one through
/// `-certfile` while `-in` carries none). Refused before anything is written.
#[test]
fn u03_foreign_certificate_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let genpkey = [
        "-engine",
        "gost",
        "-algorithm",
        "gost2012_256",
        "-pkeyopt",
        "paramset:TCA",
    ];
    key_and_cert(p, "mine", &genpkey, "-md_gost12_256");
    key_and_cert(p, "theirs", &genpkey, "-md_gost12_256");
    let pass = format!("pass:{PASS}");
    ok(
        &[
            "pkcs12",
            "-engine",
            "gost",
            "-export",
            "-inkey",
            "mine.key",
            "-nocerts",
            "-passout",
            &pass,
            "-keypbe",
            "gost89",
            "-certpbe",
            "gost89",
            "-macalg",
            "md_gost12_512",
            "-out",
            "keyonly.p12",
        ],
        p,
    );
    // -nocerts gives a key without certificate; the foreign file is the key with the other
    // client's certificate through -certfile (no -in).
    let out = openssl(
        &[
            "pkcs12",
            "-engine",
            "gost",
            "-export",
            "-inkey",
            "mine.key",
            "-nocerts",
            "-certfile",
            "theirs.pem",
            "-passout",
            &pass,
            "-keypbe",
            "gost89",
            "-certpbe",
            "gost89",
            "-macalg",
            "md_gost12_512",
            "-out",
            "foreign.p12",
        ],
        p,
    );
    assert!(out.status.success());
    let foreign = std::fs::read(p.join("foreign.p12")).unwrap();
    let contents = open_pfx(&foreign, &Password::new(PASS)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    if contents.certificates.is_empty() {
        panic!("OpenSSL wrote no certificate with -nocerts -certfile");
    }
    let err = import_pfx(&mut t, &foreign, &Password::new(PASS), "x").unwrap_err();
    assert!(matches!(err, Error::CertificateMismatch), "{err}");
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
}

/// The example of R 50.1.112-2016 (TC26 transport key container), as carried by pygost's
/// `test_pfx.py`: PBKDF2-HMAC-Streebog-512 with 32-byte salts and 2000 iterations, MAC digest
/// parameters absent, certificates after the key. The key is a CryptoPro *masked* key
/// (scalar ‖ mask): open, MAC and decryption are checked against the document's expected
/// PrivateKeyInfo and certificate, then the unmasked key is imported with its certificate.
#[test]
fn u03_tc26_example_pfx() {
    let pfx = b64(TC26_PFX);
    let password = Password::new("Пароль для PFX");
    let info = inspect_pfx(&pfx).unwrap();
    assert_eq!(info.mac, Some((oid::TC26_GOST_3411_12_512, 2000)));
    let contents = open_pfx(&pfx, &password).unwrap();
    assert_eq!(
        contents.private_key_pkcs8.expose(),
        b64(TC26_KEY).as_slice()
    );
    assert_eq!(contents.certificates.len(), 1);
    let cert = token_core::x509_cert::Certificate::from_der(&contents.certificates[0]).unwrap();
    assert!(
        cert.tbs_certificate()
            .subject()
            .to_string()
            .contains("PKCS#12 example")
    );
    assert!(matches!(
        open_pfx(&pfx, &Password::new("Пароль для PFX!")),
        Err(Error::WrongPasswordOrContainer)
    ));
    // The masked key unmasks to the certificate's key: the import goes through, and the
    // imported key signs CMS that OpenSSL verifies against the example certificate.
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let info = import_pfx(&mut t, &pfx, &password, "tc26").unwrap();
    assert_eq!(
        info.certificates.first(),
        contents.certificates.first(),
        "the example certificate is installed with the key"
    );
    assert_eq!(t.containers().unwrap().len(), 1);
    let signer = CmsSigner::new(&t, &info.id, &contents.certificates[0]).unwrap();
    let cms = sign(ORDER, &signer, Content::Attached).unwrap();
    openssl_verifies_signature(&cms, &contents.certificates[0]);
}

/// A file asking for more than `MAX_ITERATIONS` is refused before any key derivation.
#[test]
fn u03_huge_iteration_counts_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    key_and_cert(
        p,
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "-sha256",
    );
    let iter = (MAX_ITERATIONS + 1).to_string();
    let pfx = export(p, "k", &["-iter", &iter], "k.p12");
    let info = inspect_pfx(&pfx).unwrap();
    assert_eq!(info.encryption[0].1, MAX_ITERATIONS + 1);
    let started = std::time::Instant::now();
    let err = open_pfx(&pfx, &Password::new(PASS)).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

fn b64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// R 50.1.112-2016 example PFX (password "Пароль для PFX").
const TC26_PFX: &str = "
MIIFqgIBAzCCBSsGCSqGSIb3DQEHAaCCBRwEggUYMIIFFDCCASIGCSqGSIb3DQEH
AaCCARMEggEPMIIBCzCCAQcGCyqGSIb3DQEMCgECoIHgMIHdMHEGCSqGSIb3DQEF
DTBkMEEGCSqGSIb3DQEFDDA0BCD5qZr0TTIsBvdgUoq/zFwOzdyJohj6/4Wiyccg
j9AK/QICB9AwDAYIKoUDBwEBBAIFADAfBgYqhQMCAhUwFQQI3Ip/Vp0IsyIGCSqF
AwcBAgUBAQRoSfLhgx9s/zn+BjnhT0ror07vS55Ys5hgvVpWDx4mXGWWyez/2sMc
aFgSr4H4UTGGwoMynGLpF1IOVo+bGJ0ePqHB+gS5OL9oV+PUmZ/ELrRENKlCDqfY
WvpSystX29CvCFrnTnDsbBYxFTATBgkqhkiG9w0BCRUxBgQEAQAAADCCA+oGCSqG
SIb3DQEHBqCCA9swggPXAgEAMIID0AYJKoZIhvcNAQcBMHEGCSqGSIb3DQEFDTBk
MEEGCSqGSIb3DQEFDDA0BCCJTJLZQRi1WIpQHzyjXbq7+Vw2+1280C45x8ff6kMS
VAICB9AwDAYIKoUDBwEBBAIFADAfBgYqhQMCAhUwFQQIxepowwvS11MGCSqFAwcB
AgUBAYCCA06n09P/o+eDEKoSWpvlpOLKs7dKmVquKzJ81nCngvLQ5fEWL1WkxwiI
rEhm53JKLD0wy4hekalEk011Bvc51XP9gkDkmaoBpnV/TyKIY35wl6ATfeGXno1M
KoA+Ktdhv4gLnz0k2SXdkUj11JwYskXue+REA0p4m2ZsoaTmvoODamh9JeY/5Qjy
Xe58CGnyXFzX3eU86qs4WfdWdS3NzYYOk9zzVl46le9u79O/LnW2j4n2of/Jpk/L
YjrRmz5oYeQOqKOKhEyhpO6e+ejr6laduEv7TwJQKRNiygogbVvkNn3VjHTSOUG4
W+3NRPhjb0jD9obdyx6MWa6O3B9bUzFMNav8/gYn0vTDxqXMLy/92oTngNrVx6Gc
cNl128ISrDS6+RxtAMiEBRK6xNkemqX5yNXG5GrLQQFGP6mbs2nNpjKlgj3pljmX
Eky2/G78XiJrv02OgGs6CKnI9nMpa6N7PBHV34MJ6EZzWOWDRQ420xk63mnicrs0
WDVJ0xjdu4FW3iEk02EaiRTvGBpa6GL7LBp6QlaXSSwONx725cyRsL9cTlukqXER
WHDlMpjYLbkGZRrCc1myWgEfsputfSIPNF/oLv9kJNWacP3uuDOfecg3us7eg2OA
xo5zrYfn39GcBMF1WHAYRO/+PnJb9jrDuLAE8+ONNqjNulWNK9CStEhb6Te+yE6q
oeP6hJjFLi+nFLE9ymIo0A7gLQD5vzFvl+7v1ZNVnQkwRUsWoRiEVVGnv3Z1iZU6
xStxgoHMl62V/P5cz4dr9vJM2adEWNZcVXl6mk1H8DRc1sRGnvs2l237oKWRVntJ
hoWnZ8qtD+3ZUqsX79QhVzUQBzKuBt6jwNhaHLGl5B+Or/zA9FezsOh6+Uc+fZaV
W7fFfeUyWwGy90XD3ybTrjzep9f3nt55Z2c+fu2iEwhoyImWLuC3+CVhf9Af59j9
8/BophMJuATDJEtgi8rt4vLnfxKu250Mv2ZpbfF69EGTgFYbwc55zRfaUG9zlyCu
1YwMJ6HC9FUVtJp9gObSrirbzTH7mVaMjQkBLotazWbegzI+be8V3yT06C+ehD+2
GdLWAVs9hp8gPHEUShb/XrgPpDSJmFlOiyeOFBO/j4edDACKqVcwdjBOMAoGCCqF
AwcBAQIDBEAIFX0fyZe20QKKhWm6WYX+S92Gt6zaXroXOvAmayzLfZ5Sd9C2t9zZ
JSg6M8RBUYpw/8ym5ou1o2nDa09M5zF3BCCpzyCQBI+rzfISeKvPV1ROfcXiYU93
mwcl1xQV2G5/fgICB9A=";

/// The PrivateKeyInfo inside it, as the document gives it.
const TC26_KEY: &str = "
MGYCAQAwHwYIKoUDBwEBAQEwEwYHKoUDAgIjAQYIKoUDBwEBAgIEQEYbRu86z+1JFKDcPDN9UbTG
G2ki9enTqos4KpUU0j9IDpl1UXiaA1YDIwUjlAp+81GkLmyt8Fw6Gt/X5JZySAY=";

#[allow(
    clippy::indexing_slicing,
    reason = "test helper over DER OpenSSL just wrote"
)]
/// Re-encodes DER as the BER Windows and CryptoPro write: every constructed value with an
/// indefinite length, every OCTET STRING longer than 32 bytes in 32-byte chunks. Only the
/// outer structure is touched (OCTET STRING contents stay as they are, so the MAC still fits).
fn to_indefinite_ber(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < der.len() {
        let tag = der[pos];
        let (len, header) = match der[pos + 1] {
            l if l < 0x80 => (l as usize, 2),
            l => {
                let n = (l & 0x7f) as usize;
                let len = der[pos + 2..pos + 2 + n]
                    .iter()
                    .fold(0usize, |a, &b| a * 256 + b as usize);
                (len, 2 + n)
            }
        };
        let body = &der[pos + header..pos + header + len];
        if tag & 0x20 != 0 {
            out.extend([tag, 0x80]);
            out.extend(to_indefinite_ber(body));
            out.extend([0, 0]);
        } else if tag == 0x04 && len > 32 {
            out.extend([0x24, 0x80]);
            for chunk in body.chunks(32) {
                out.extend([0x04, chunk.len() as u8]);
                out.extend_from_slice(chunk);
            }
            out.extend([0, 0]);
        } else {
            out.extend_from_slice(&der[pos..pos + header + len]);
        }
        pos += header + len;
    }
    out
}

/// A PFX in BER (indefinite lengths, chunked authSafe) imports like its DER original; the
/// same file cut short is a typed error.
#[test]
fn u03_ber_pfx_imports() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    key_and_cert(
        p,
        "ber",
        &[
            "-engine",
            "gost",
            "-algorithm",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCA",
        ],
        "-md_gost12_256",
    );
    let der = export(
        p,
        "ber",
        &[
            "-keypbe",
            "gost89",
            "-certpbe",
            "gost89",
            "-macalg",
            "md_gost12_256",
        ],
        "ber.p12",
    );
    let ber = to_indefinite_ber(&der);
    assert_ne!(ber, der);
    assert_eq!(&ber[..2], [0x30, 0x80]);
    // OpenSSL reads the BER file too (the re-encoding is valid BER).
    std::fs::write(p.join("ber-indefinite.p12"), &ber).unwrap();
    let pass = format!("pass:{PASS}");
    ok(
        &[
            "pkcs12",
            "-engine",
            "gost",
            "-in",
            "ber-indefinite.p12",
            "-passin",
            &pass,
            "-nokeys",
            "-out",
            "ber-certs.pem",
        ],
        p,
    );
    let cert = der_of_pem(&p.join("ber.pem"));
    import_sign_verify(&ber, &cert, "BER PFX");
    assert!(inspect_pfx(&ber).is_ok());
    for cut in [ber.len() - 2, ber.len() / 2] {
        assert!(matches!(
            open_pfx(&ber[..cut], &Password::new(PASS)),
            Err(Error::Malformed { .. })
        ));
    }
}
