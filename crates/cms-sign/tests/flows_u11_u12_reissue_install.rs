//! Flows U11 (re-issue request signed by the current key) and U12 (install the issued
//! certificate), end to end on the soft token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use csr::{InstallCheck, RequestTemplate, RequestedExtensions, Subject, install_certificate};
use keycarrier_cms_sign::reissue::{open_reissue_request, sign_reissue_request};
use keycarrier_cms_sign::{CmsSigner, VerifyOptions};
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
};

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

#[test]
fn u11_u12_reissue_signed_by_current_key_then_install() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);
    let (old, old_cert) = key_with_cert(&mut t, alg, "Ivanov");
    // U09 + U10: a new key, a request pre-filled from the current certificate.
    let new = t
        .generate(
            &NewContainer::new("next", alg),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap()
        .id;
    let template = RequestTemplate::from_certificate(&old_cert).unwrap();
    let request = template
        .sign(&ContainerSigner::new(&t, &new).unwrap())
        .unwrap();
    // U11: wrapped in CMS signed by the current key and certificate.
    let current = CmsSigner::new(&t, &old, &old_cert).unwrap();
    let wrapped = sign_reissue_request(&request, &current).unwrap();
    // The bank opens it: the replaced certificate is named (signingCertificateV2).
    let bank_trusts = trust::TrustAnchors::from_der([old_cert.as_slice()]).unwrap();
    let opened = open_reissue_request(&wrapped, &VerifyOptions::trusting(&bank_trusts)).unwrap();
    assert_eq!(opened.replaces_der, old_cert);
    assert_eq!(opened.replaces.serial, vec![42]);
    assert_eq!(opened.request.as_der(), request.as_der());
    // OpenSSL agrees on the outer signature.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("r.p7s"), &wrapped).unwrap();
    std::fs::write(d.path().join("ca.pem"), pem("CERTIFICATE", &old_cert)).unwrap();
    let out = openssl(
        &[
            "cms", "-engine", "gost", "-verify", "-binary", "-inform", "DER", "-in", "r.p7s",
            "-CAfile", "ca.pem", "-out", "req.der",
        ],
        d.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(d.path().join("req.der")).unwrap(),
        request.as_der()
    );
    // A request for the same key as the current certificate is refused.
    let same = template
        .sign(&ContainerSigner::new(&t, &old).unwrap())
        .unwrap();
    assert!(matches!(
        sign_reissue_request(&same, &current),
        Err(Error::NotAllowed { .. })
    ));

    // U12: the CA issues a certificate for the new key (here: OpenSSL, from the request).
    std::fs::write(d.path().join("req.pem"), request.to_pem().unwrap()).unwrap();
    let p = d.path();
    assert!(
        openssl(
            &[
                "genpkey",
                "-engine",
                "gost",
                "-algorithm",
                "gost2012_256",
                "-pkeyopt",
                "paramset:A",
                "-out",
                "ca.key"
            ],
            p
        )
        .status
        .success()
    );
    assert!(
        openssl(
            &[
                "req",
                "-engine",
                "gost",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-md_gost12_256",
                "-days",
                "30",
                "-subj",
                "/CN=Test CA",
                "-out",
                "cacert.pem"
            ],
            p
        )
        .status
        .success()
    );
    let out = openssl(
        &[
            "x509",
            "-engine",
            "gost",
            "-req",
            "-in",
            "req.pem",
            "-CA",
            "cacert.pem",
            "-CAkey",
            "ca.key",
            "-md_gost12_256",
            "-days",
            "365",
            "-set_serial",
            "77",
            "-outform",
            "DER",
            "-out",
            "issued.der",
        ],
        p,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issued = std::fs::read(p.join("issued.der")).unwrap();
    let ca_pem = std::fs::read(p.join("cacert.pem")).unwrap();
    let mut anchors = trust::TrustAnchors::new();
    anchors.add_pem_or_der(&ca_pem).unwrap();
    let now = std::time::SystemTime::now();
    let check = InstallCheck::new(&anchors, now).with_subject(request.subject());
    // Installing it into the old container is refused and writes nothing.
    let before = t.container(&old).unwrap().certificates.len();
    assert!(matches!(
        install_certificate(&mut t, &old, &issued, &check),
        Err(Error::CertificateMismatch)
    ));
    assert_eq!(t.container(&old).unwrap().certificates.len(), before);
    // Outside its validity: refused, nothing written.
    let later = now + Duration::from_secs(400 * 86400);
    let err = install_certificate(
        &mut t,
        &new,
        &issued,
        &InstallCheck::new(&anchors, later).with_subject(request.subject()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err:?}");
    assert!(t.container(&new).unwrap().certificates.is_empty());
    // Issued by a CA the caller does not trust (here: the old self-signed certificate is the
    // only anchor): refused, nothing written.
    let err = install_certificate(
        &mut t,
        &new,
        &issued,
        &InstallCheck::new(&bank_trusts, now).with_subject(request.subject()),
    )
    .unwrap_err();
    assert_eq!(
        token_core::ErrorCode::code(&err),
        "KC-TRUST-NO-ISSUER",
        "{err}"
    );
    assert!(t.container(&new).unwrap().certificates.is_empty());
    // Another subject than requested: refused, nothing written.
    let other = Name::from_str("CN=Somebody Else").unwrap();
    let err = install_certificate(
        &mut t,
        &new,
        &issued,
        &InstallCheck::new(&anchors, now).with_subject(&other),
    )
    .unwrap_err();
    assert_eq!(
        token_core::ErrorCode::code(&err),
        "KC-TRUST-SUBJECT",
        "{err}"
    );
    assert!(t.container(&new).unwrap().certificates.is_empty());
    // Into the new container: written, new validity dates reported.
    let installed = install_certificate(&mut t, &new, &issued, &check).unwrap();
    let days = installed
        .not_after
        .duration_since(installed.not_before)
        .unwrap()
        .as_secs()
        / 86400;
    assert_eq!(days, 365);
    assert_eq!(t.container(&new).unwrap().certificates, vec![issued]);
    let _ = RequestedExtensions::default();
    let _ = Subject::Name(Name::default());
}
