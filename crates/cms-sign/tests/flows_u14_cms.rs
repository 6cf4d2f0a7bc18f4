//! Flow U14: CMS SignedData attached and detached, GOST-256/512 and RSA, several signers,
//! cross-checked with OpenSSL + gost engine (required; the tests fail loudly without it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use keycarrier_cms_sign::{
    CmsSigner, Content, VerifyOptions, add_signer, sign, verify, verify_report,
};
use soft_token::{SoftToken, TokenSettings};
use token_core::der::{Decode, Encode};
use token_core::x509_cert::TbsCertificate;
use token_core::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use token_core::x509_cert::ext::Extension;
use token_core::x509_cert::name::Name;
use token_core::x509_cert::serial_number::SerialNumber;
use token_core::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use token_core::x509_cert::time::Validity;
use token_core::{
    AdminPin, CancelToken, Carrier, CarrierSignature, ContainerId, ContainerSigner, Error,
    FinalTry, GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin, PinPolicy,
    SignatureScheme,
};

const ORDER: &[u8] = "Платёжное поручение № 118 на 15 000.00 RUB\r\n".as_bytes();

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("U14")
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

struct SelfSigned(Name);
impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }
    fn get_subject(&self) -> Name {
        self.0.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
        Ok(vec![])
    }
}

/// A key on the token with a self-signed certificate made through the token.
fn key_with_cert(t: &mut SoftToken, alg: KeyAlgorithm, cn: &str) -> (ContainerId, Vec<u8>) {
    let id = t
        .generate(
            &NewContainer::new(cn, alg),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap()
        .id;
    let signer = ContainerSigner::new(&*t, &id).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der().unwrap()).unwrap();
    let cert = CertificateBuilder::new(
        SelfSigned(Name::from_str(&format!("CN={cn},O=Romashka,C=RU")).unwrap()),
        SerialNumber::from(42u32),
        Validity::from_now(Duration::from_secs(365 * 86400)).unwrap(),
        spki,
    )
    .unwrap()
    .build::<_, CarrierSignature>(&signer)
    .unwrap()
    .to_der()
    .unwrap();
    (id, cert)
}

fn pem(label: &str, der: &[u8]) -> String {
    token_core::der::pem::encode_string(label, token_core::der::pem::LineEnding::LF, der).unwrap()
}

fn openssl_verifies(cms: &[u8], content: Option<&[u8]>, certs: &[&[u8]]) -> Result<(), String> {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("s.p7s"), cms).unwrap();
    let anchors: String = certs.iter().map(|c| pem("CERTIFICATE", c)).collect();
    std::fs::write(d.path().join("ca.pem"), anchors).unwrap();
    let mut args = vec![
        "cms", "-engine", "gost", "-verify", "-binary", "-inform", "DER", "-in", "s.p7s",
        "-CAfile", "ca.pem", "-out", "out.bin",
    ];
    if let Some(c) = content {
        std::fs::write(d.path().join("content.bin"), c).unwrap();
        args.extend(["-content", "content.bin"]);
    }
    let out = openssl(&args, d.path());
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    assert_eq!(std::fs::read(d.path().join("out.bin")).unwrap(), ORDER);
    Ok(())
}

#[test]
fn u14_our_cms_verifies_with_openssl_and_ours() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    for (alg, scheme) in [
        (KeyAlgorithm::Gost(GostParamSet::Tc26_256A), None),
        (KeyAlgorithm::Gost(GostParamSet::CryptoProA), None),
        (KeyAlgorithm::Gost(GostParamSet::Tc26_512A), None),
        (KeyAlgorithm::Rsa { bits: 2048 }, None),
        (
            KeyAlgorithm::Rsa { bits: 2048 },
            Some(SignatureScheme::RsaPssSha256),
        ),
    ] {
        let (id, cert) = key_with_cert(&mut t, alg, "Signer");
        let mut signer = CmsSigner::new(&t, &id, &cert).unwrap();
        if let Some(s) = scheme {
            signer = signer.with_scheme(s).unwrap();
        }
        let attached = sign(ORDER, &signer, Content::Attached).unwrap();
        let detached = sign(ORDER, &signer, Content::Detached).unwrap();
        openssl_verifies(&attached, None, &[&cert])
            .unwrap_or_else(|e| panic!("{alg} {scheme:?} attached: {e}"));
        openssl_verifies(&detached, Some(ORDER), &[&cert])
            .unwrap_or_else(|e| panic!("{alg} {scheme:?} detached: {e}"));
        let anchors = trust::TrustAnchors::from_der([cert.as_slice()]).unwrap();
        let opts = VerifyOptions::trusting(&anchors);
        let v = verify(&attached, None, &opts).unwrap();
        assert_eq!(v.content, ORDER);
        assert!(v.signers[0].signing_certificate_v2 && v.signers[0].signing_time.is_some());
        verify(&detached, Some(ORDER), &opts).unwrap();
        // Tampered content, flipped signature bit, truncated DER: typed errors.
        assert!(matches!(
            verify(&detached, Some(b"another order"), &opts),
            Err(Error::VerificationFailed { .. })
        ));
        let mut flipped = attached.clone();
        let sig_len = if matches!(alg, KeyAlgorithm::Gost(GostParamSet::Tc26_512A)) {
            128
        } else if alg.signature_scheme().is_gost() {
            64
        } else {
            256
        };
        // The signature is the last field of the last SignerInfo: its bytes end the DER.
        let pos = flipped.len() - sig_len / 2;
        flipped[pos] ^= 0x01;
        assert!(matches!(
            verify(&flipped, None, &opts),
            Err(Error::VerificationFailed { .. })
        ));
        assert!(matches!(
            verify(&attached[..attached.len() - 7], None, &opts),
            Err(Error::Malformed { .. })
        ));
    }
}

#[test]
fn u14_openssl_made_cms_verifies_with_ours() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("data.txt"), ORDER).unwrap();
    for (alg, opt, md) in [
        ("gost2012_256", "paramset:A", "md_gost12_256"),
        ("gost2012_512", "paramset:A", "md_gost12_512"),
    ] {
        let p = d.path();
        assert!(
            openssl(
                &[
                    "genpkey",
                    "-engine",
                    "gost",
                    "-algorithm",
                    alg,
                    "-pkeyopt",
                    opt,
                    "-out",
                    "k.pem"
                ],
                p
            )
            .status
            .success()
        );
        let req_md = if md.ends_with("256") {
            "-md_gost12_256"
        } else {
            "-md_gost12_512"
        };
        assert!(
            openssl(
                &[
                    "req",
                    "-engine",
                    "gost",
                    "-x509",
                    "-new",
                    "-key",
                    "k.pem",
                    req_md,
                    "-days",
                    "30",
                    "-subj",
                    "/C=RU/CN=openssl signer",
                    "-out",
                    "c.pem"
                ],
                p
            )
            .status
            .success()
        );
        let out = openssl(
            &[
                "cms",
                "-engine",
                "gost",
                "-sign",
                "-binary",
                "-nodetach",
                "-in",
                "data.txt",
                "-signer",
                "c.pem",
                "-inkey",
                "k.pem",
                "-md",
                md,
                "-cades",
                "-outform",
                "DER",
                "-out",
                "att.p7s",
            ],
            p,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = openssl(
            &[
                "cms", "-engine", "gost", "-sign", "-binary", "-in", "data.txt", "-signer",
                "c.pem", "-inkey", "k.pem", "-md", md, "-outform", "DER", "-out", "det.p7s",
            ],
            p,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let att = std::fs::read(p.join("att.p7s")).unwrap();
        let det = std::fs::read(p.join("det.p7s")).unwrap();
        let v = verify(&att, None, &VerifyOptions::signatures_only())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(v.content, ORDER);
        assert!(v.signers[0].signing_certificate_v2);
        verify(&det, Some(ORDER), &VerifyOptions::signatures_only())
            .unwrap_or_else(|e| panic!("{alg} detached: {e}"));
        assert!(matches!(
            verify(&det, Some(b"tampered"), &VerifyOptions::signatures_only()),
            Err(Error::VerificationFailed { .. })
        ));
    }
}

#[test]
fn u14_employee_and_head_of_organisation_sign_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let (emp, emp_cert) = key_with_cert(
        &mut t,
        KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        "Employee",
    );
    let (head, head_cert) =
        key_with_cert(&mut t, KeyAlgorithm::Gost(GostParamSet::Tc26_512A), "Head");
    for mode in [Content::Attached, Content::Detached] {
        let detached = (mode == Content::Detached).then_some(ORDER);
        let one = sign(ORDER, &CmsSigner::new(&t, &emp, &emp_cert).unwrap(), mode).unwrap();
        let two = add_signer(
            &one,
            detached,
            &CmsSigner::new(&t, &head, &head_cert).unwrap(),
        )
        .unwrap();
        let both =
            trust::TrustAnchors::from_der([emp_cert.as_slice(), head_cert.as_slice()]).unwrap();
        let v = verify(&two, detached, &VerifyOptions::trusting(&both)).unwrap();
        assert_eq!(v.signers.len(), 2);
        let mut subjects: Vec<String> = v
            .signers
            .iter()
            .map(|s| s.subject.clone().unwrap())
            .collect();
        subjects.sort();
        assert!(
            subjects[0].contains("Employee") && subjects[1].contains("Head"),
            "{subjects:?}"
        );
        // The employee's SignerInfo is carried over byte for byte.
        let first_sig = &one[one.len() - 64..];
        assert!(two.windows(64).any(|w| w == first_sig));
        openssl_verifies(&two, detached, &[&emp_cert, &head_cert]).unwrap();
        // A certificate of another key is refused before anything is signed.
        assert!(matches!(
            CmsSigner::new(&t, &emp, &head_cert),
            Err(Error::CertificateMismatch)
        ));
        // An untrusted signer fails the chain check.
        let only_employee = trust::TrustAnchors::from_der([emp_cert.as_slice()]).unwrap();
        let err = verify(&two, detached, &VerifyOptions::trusting(&only_employee)).unwrap_err();
        assert!(matches!(err, Error::Untrusted { .. }), "{err:?}");
        // The report keeps both signers: the employee valid, the head untrusted.
        let report =
            verify_report(&two, detached, &VerifyOptions::trusting(&only_employee)).unwrap();
        assert_eq!(
            report.signers.iter().filter(|s| s.result.is_ok()).count(),
            1
        );
        assert!(!report.all_valid());
    }
    let _ = t.containers().unwrap();
}

/// `openssl cms -sign -stream` writes BER: indefinite lengths and the content as a chunked
/// OCTET STRING (as CryptoPro does). Ours reads it, GOST and RSA, and still catches tampering.
#[test]
fn u14_openssl_streamed_ber_cms_verifies_with_ours() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // 20 KiB, so that the content arrives in several chunks.
    let content: Vec<u8> = (0..20 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(p.join("big.txt"), &content).unwrap();
    for (genpkey, req_md, md) in [
        (
            &[
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_256",
                "-pkeyopt",
                "paramset:TCA",
            ][..],
            "-md_gost12_256",
            "md_gost12_256",
        ),
        (
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"][..],
            "-sha256",
            "sha256",
        ),
    ] {
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey);
        args.extend(["-out", "k.pem"]);
        assert!(openssl(&args, p).status.success());
        let req = [
            "req",
            "-engine",
            "gost",
            "-x509",
            "-new",
            "-key",
            "k.pem",
            req_md,
            "-days",
            "30",
            "-subj",
            "/C=RU/CN=streaming signer",
            "-out",
            "c.pem",
        ];
        assert!(openssl(&req, p).status.success());
        let out = openssl(
            &[
                "cms",
                "-engine",
                "gost",
                "-sign",
                "-binary",
                "-stream",
                "-nodetach",
                "-in",
                "big.txt",
                "-signer",
                "c.pem",
                "-inkey",
                "k.pem",
                "-md",
                md,
                "-outform",
                "DER",
                "-out",
                "s.p7s",
            ],
            p,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ber = std::fs::read(p.join("s.p7s")).unwrap();
        assert_eq!(
            &ber[..2],
            [0x30, 0x80],
            "{md}: OpenSSL wrote an indefinite length"
        );
        let v = verify(&ber, None, &VerifyOptions::signatures_only())
            .unwrap_or_else(|e| panic!("{md}: {e}"));
        assert_eq!(v.content, content, "{md}");
        // One content byte changed (the content sits in the middle of the file).
        let mut tampered = ber.clone();
        let at = ber
            .windows(16)
            .position(|w| w == &content[4096..4112])
            .unwrap();
        tampered[at] ^= 1;
        assert!(
            matches!(
                verify(&tampered, None, &VerifyOptions::signatures_only()),
                Err(Error::VerificationFailed { .. })
            ),
            "{md}: tampered BER content accepted"
        );
    }
}
