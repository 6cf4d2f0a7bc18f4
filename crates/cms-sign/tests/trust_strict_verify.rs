//! Strict CMS verification against chains built by OpenSSL with the gost engine (the
//! independent peer), GOST 2012-256 and RSA:
//!
//! * the fraud of issue #12: a bank CA issues an ordinary customer certificate
//!   (basicConstraints CA:FALSE); the customer uses it to issue a "Head of Bank" certificate
//!   and signs a payment order with it. `openssl cms -verify -CAfile bank.pem` refuses it; so
//!   must we, by default;
//! * the honest control: the bank issues the head's certificate; both accept (with the bank's
//!   CRL), and without revocation information ours refuses by default;
//! * revoked by the bank's CRL: both refuse (`-crl_check`);
//! * no trust anchor: an error unless signatures-only is asked for explicitly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use keycarrier_cms_sign::{VerifyOptions, verify, verify_report};
use token_core::{Error, ErrorCode};
use trust::{OfflineRevocation, RevocationPolicy, TrustAnchors};

const ORDER: &[u8] = b"Payment order No. 7: 9 500 000.00 RUB to LLC Offshore\r\n";

fn gost_conf(dir: &Path) -> std::path::PathBuf {
    let so = [
        "/usr/lib/x86_64-linux-gnu/engines-3/gost.so",
        "/usr/lib/aarch64-linux-gnu/engines-3/gost.so",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("the gost engine (libengine-gost-openssl) is required: run scripts/test.sh");
    let conf = dir.join("openssl.cnf");
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
    conf
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .output()
        .expect("the openssl command line is required: run scripts/test.sh")
}

fn ok(dir: &Path, args: &[&str]) {
    let o = openssl(dir, args);
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Alg {
    keygen: &'static [&'static str],
    md: &'static str,
}

const GOST: Alg = Alg {
    keygen: &["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"],
    md: "md_gost12_256",
};
const RSA: Alg = Alg {
    keygen: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    md: "sha256",
};

fn key(dir: &Path, alg: &Alg, name: &str) {
    let mut a = vec!["genpkey"];
    a.extend_from_slice(alg.keygen);
    a.extend_from_slice(&["-out", name]);
    ok(dir, &a);
}

/// `subject_key`'s certificate `out` with `subj`, signed by `ca_cert`/`ca_key` (or self-signed
/// when `ca` is None), with the extensions in `ext`.
fn cert(
    dir: &Path,
    alg: &Alg,
    subject_key: &str,
    subj: &str,
    ca: Option<(&str, &str)>,
    ext: &str,
    out: &str,
) {
    std::fs::write(dir.join("ext.cnf"), format!("[e]\n{ext}\n")).unwrap();
    ok(
        dir,
        &[
            "req",
            "-new",
            "-key",
            subject_key,
            "-subj",
            subj,
            "-out",
            "req.pem",
        ],
    );
    let md = format!("-{}", alg.md);
    let serial = format!("{}", 1000 + out.len() * 7 + subj.len());
    let mut a = vec![
        "x509",
        "-req",
        "-in",
        "req.pem",
        "-days",
        "30",
        &md,
        "-extfile",
        "ext.cnf",
        "-extensions",
        "e",
        "-set_serial",
        &serial,
        "-out",
        out,
    ];
    match ca {
        Some((c, k)) => a.extend_from_slice(&["-CA", c, "-CAkey", k]),
        None => a.extend_from_slice(&["-signkey", subject_key]),
    }
    ok(dir, &a);
}

fn der_of(dir: &Path, pem: &str) -> Vec<u8> {
    let mut anchors = Vec::new();
    for d in trust::read_certificates(&std::fs::read(dir.join(pem)).unwrap()).unwrap() {
        anchors.push(d);
    }
    anchors.remove(0)
}

/// Signs ORDER with `signer`/`key`, adding `extra` certificates, as DER CMS.
fn cms_sign(dir: &Path, alg: &Alg, signer: &str, key: &str, extra: Option<&str>) -> Vec<u8> {
    std::fs::write(dir.join("order.txt"), ORDER).unwrap();
    let mut a = vec![
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-in",
        "order.txt",
        "-signer",
        signer,
        "-inkey",
        key,
        "-md",
        alg.md,
        "-outform",
        "DER",
        "-out",
        "order.p7s",
    ];
    if let Some(e) = extra {
        a.extend_from_slice(&["-certfile", e]);
    }
    ok(dir, &a);
    std::fs::read(dir.join("order.p7s")).unwrap()
}

fn openssl_cms_verifies(dir: &Path, ca: &str, crl: Option<&str>) -> bool {
    // `openssl cms` reads CRLs from the -CAfile bundle.
    let mut bundle = std::fs::read(dir.join(ca)).unwrap();
    if let Some(c) = crl {
        bundle.extend(std::fs::read(dir.join(c)).unwrap());
    }
    std::fs::write(dir.join("bundle.pem"), bundle).unwrap();
    let mut a = vec![
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "order.p7s",
        "-CAfile",
        "bundle.pem",
        "-out",
        "/dev/null",
    ];
    if crl.is_some() {
        a.push("-crl_check");
    }
    openssl(dir, &a).status.success()
}

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash";
const CUSTOMER_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection,clientAuth";
const HEAD_EXT: &str =
    "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection";

fn bank_crl_config(dir: &Path, alg: &Alg) {
    std::fs::write(
        dir.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ncrlnumber = crlnumber\n\
             default_md = {}\ndefault_crl_days = 7\npolicy = p\n[p]\ncommonName = supplied\n",
            alg.md
        ),
    )
    .unwrap();
}

/// A CRL of the bank (openssl ca), listing `revoked` (a PEM file and a reason) when given.
fn bank_crl(dir: &Path, alg: &Alg, revoked: Option<(&str, &str)>) -> Vec<u8> {
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
    bank_crl_config(dir, alg);
    if let Some((r, reason)) = revoked {
        let revoke = [
            "ca",
            "-config",
            "ca.cnf",
            "-cert",
            "bank.pem",
            "-keyfile",
            "bank.key",
            "-revoke",
            r,
            "-crl_reason",
            reason,
        ];
        ok(dir, &revoke);
    }
    let gencrl = [
        "ca", "-config", "ca.cnf", "-gencrl", "-cert", "bank.pem", "-keyfile", "bank.key", "-out",
        "crl.pem",
    ];
    ok(dir, &gencrl);
    std::fs::read(dir.join("crl.pem")).unwrap()
}

#[test]
fn customer_certificate_cannot_mint_a_head_of_bank_signer() {
    for (name, alg) in [("GOST 2012-256", &GOST), ("RSA-2048", &RSA)] {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        gost_conf(dir);
        key(dir, alg, "bank.key");
        cert(
            dir,
            alg,
            "bank.key",
            "/CN=Bank CA/O=Testbank",
            None,
            CA_EXT,
            "bank.pem",
        );
        key(dir, alg, "customer.key");
        cert(
            dir,
            alg,
            "customer.key",
            "/CN=Petrov Customer",
            Some(("bank.pem", "bank.key")),
            CUSTOMER_EXT,
            "customer.pem",
        );
        key(dir, alg, "head.key");
        // The fraud: the customer's key issues a certificate naming the head of the bank.
        cert(
            dir,
            alg,
            "head.key",
            "/CN=Head of Bank/O=Testbank",
            Some(("customer.pem", "customer.key")),
            HEAD_EXT,
            "head.pem",
        );
        let cms = cms_sign(dir, alg, "head.pem", "head.key", Some("customer.pem"));
        assert!(
            !openssl_cms_verifies(dir, "bank.pem", None),
            "{name}: openssl accepted the fraud"
        );
        let anchors = TrustAnchors::from_der([der_of(dir, "bank.pem").as_slice()]).unwrap();
        // Even with revocation relaxed, the path is refused: the customer is no CA.
        let relaxed = VerifyOptions::trusting(&anchors)
            .with_revocation_policy(RevocationPolicy::WarnIfUnavailable);
        let err = verify(&cms, None, &relaxed).unwrap_err();
        assert_eq!(err.code(), "KC-TRUST-NOT-CA", "{name}: {err}");
        assert!(err.to_string().contains("Petrov Customer"), "{name}: {err}");
        let err = verify(&cms, None, &VerifyOptions::trusting(&anchors)).unwrap_err();
        assert!(matches!(err, Error::Untrusted { .. }), "{name}: {err}");
        // The signature itself is fine: only signatures-only checking says so, and says so
        // explicitly.
        verify(&cms, None, &VerifyOptions::signatures_only()).unwrap();
        // No anchor at all is an error, not a pass.
        let none = TrustAnchors::new();
        assert_eq!(
            verify(&cms, None, &VerifyOptions::trusting(&none))
                .unwrap_err()
                .code(),
            "KC-TRUST-NO-ANCHOR"
        );
    }
}

/// The bank CA (the only anchor) issues the head's certificate; the head signs ORDER.
fn honest_bank_and_head(dir: &Path, alg: &Alg) -> (Vec<u8>, TrustAnchors) {
    gost_conf(dir);
    key(dir, alg, "bank.key");
    let bank = "/CN=Bank CA/O=Testbank";
    cert(dir, alg, "bank.key", bank, None, CA_EXT, "bank.pem");
    key(dir, alg, "head.key");
    let head = "/CN=Head of Bank/O=Testbank";
    let issuer = Some(("bank.pem", "bank.key"));
    cert(dir, alg, "head.key", head, issuer, HEAD_EXT, "head.pem");
    let cms = cms_sign(dir, alg, "head.pem", "head.key", None);
    let anchors = TrustAnchors::from_der([der_of(dir, "bank.pem").as_slice()]).unwrap();
    (cms, anchors)
}

#[test]
fn honest_head_of_bank_is_accepted_with_the_banks_crl_and_refused_when_revoked() {
    for (name, alg) in [("GOST 2012-256", &GOST), ("RSA-2048", &RSA)] {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        let (cms, anchors) = honest_bank_and_head(dir, alg);

        // No revocation information: refused by default.
        let err = verify(&cms, None, &VerifyOptions::trusting(&anchors)).unwrap_err();
        assert_eq!(err.code(), "KC-REVOCATION-UNKNOWN", "{name}: {err}");

        // With the bank's current CRL: both accept.
        let crl = bank_crl(dir, alg, None);
        assert!(
            openssl_cms_verifies(dir, "bank.pem", Some("crl.pem")),
            "{name}"
        );
        let mut crls = OfflineRevocation::new();
        crls.add_crl(&crl).unwrap();
        let v = verify(
            &cms,
            None,
            &VerifyOptions::trusting(&anchors).with_revocation(&crls),
        )
        .unwrap();
        assert_eq!(v.content, ORDER);
        let path = v.signers[0].path.as_ref().unwrap();
        assert_eq!(path.certificates.len(), 2);
        assert_eq!(path.revocation, vec![trust::RevocationStatus::GoodByCrl]);

        // Revoked for key compromise: both refuse.
        let crl = bank_crl(dir, alg, Some(("head.pem", "keyCompromise")));
        assert!(
            !openssl_cms_verifies(dir, "bank.pem", Some("crl.pem")),
            "{name}"
        );
        let mut crls = OfflineRevocation::new();
        crls.add_crl(&crl).unwrap();
        let options = VerifyOptions::trusting(&anchors).with_revocation(&crls);
        let err = verify(&cms, None, &options).unwrap_err();
        assert_eq!(err.code(), "KC-REVOKED", "{name}: {err}");
        // The report keeps the signer, with the reason.
        let report = verify_report(&cms, None, &options).unwrap();
        assert!(!report.all_valid());
        assert!(
            report.signers[0]
                .result
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("key compromise")
        );
    }
}

/// Revocation date against signing time: a certificate revoked as superseded *after* a
/// document was signed leaves that signature valid when validated at its signing time with
/// today's CRL; validated now, it is refused. Revoked for key compromise, it is refused either
/// way (the signing time is the signer's own claim).
#[test]
fn revocation_after_the_signing_time_spares_the_signature_only_for_benign_reasons() {
    use keycarrier_cms_sign::ValidationTime;
    let alg = &GOST;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (cms, anchors) = honest_bank_and_head(dir, alg);
    // The revocation is dated a few seconds after the signingTime OpenSSL wrote.
    std::thread::sleep(std::time::Duration::from_secs(2));
    for (reason, spared) in [("superseded", true), ("keyCompromise", false)] {
        let crl = bank_crl(dir, alg, Some(("head.pem", reason)));
        let mut crls = OfflineRevocation::new();
        crls.add_crl(&crl).unwrap();
        let now = VerifyOptions::trusting(&anchors).with_revocation(&crls);
        assert_eq!(
            verify(&cms, None, &now).unwrap_err().code(),
            "KC-REVOKED",
            "{reason}"
        );
        let at_signing = now.at(ValidationTime::SigningTime);
        match verify(&cms, None, &at_signing) {
            Ok(v) => {
                assert!(spared, "{reason}: accepted at the signing time");
                let status = &v.signers[0].path.as_ref().unwrap().revocation[0];
                assert!(
                    matches!(status, trust::RevocationStatus::RevokedLater { .. }),
                    "{status:?}"
                );
            }
            Err(e) => {
                assert!(!spared, "{reason}: {e}");
                assert_eq!(e.code(), "KC-REVOKED");
            }
        }
    }
}
