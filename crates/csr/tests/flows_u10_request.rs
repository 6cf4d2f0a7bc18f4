//! Flow U10: a PKCS#10 request pre-filled from the current certificate, signed on the token.
//! OpenSSL with the gost engine is the independent peer (it must be installed; tests fail
//! loudly without it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use keycarrier_csr::{
    CertificateRequest, RequestTemplate, RequestedExtensions, RussianSubject, Subject,
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
    AdminPin, CancelToken, Carrier, CarrierSignature, Confirm, ContainerId, ContainerSigner,
    Decision, Error, FinalTry, GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin,
    PinPolicy, SignRequest,
};

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("U10")
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

fn generate(t: &mut SoftToken, alg: KeyAlgorithm) -> ContainerId {
    t.generate(
        &NewContainer::new(format!("{alg}"), alg),
        &mut NoProgress,
        &CancelToken::new(),
    )
    .unwrap()
    .id
}

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("invalid engine") && !stderr.contains("could not load the shared library"),
        "the OpenSSL gost engine is missing (apt-get install libengine-gost-openssl): {stderr}"
    );
    out
}

fn employee() -> RussianSubject {
    RussianSubject {
        common_name: Some("Иванов Иван Иванович".into()),
        surname: Some("Иванов".into()),
        given_name: Some("Иван Иванович".into()),
        title: Some("Главный бухгалтер".into()),
        organization: Some("ООО \"Ромашка\"".into()),
        organizational_unit: Some("Бухгалтерия".into()),
        country: Some("RU".into()),
        state: Some("77 г. Москва".into()),
        locality: Some("Москва".into()),
        street: Some("ул. Ленина, д. 1".into()),
        email: Some("buh@romashka.example".into()),
        inn: Some("500100732259".into()),
        inn_le: Some("7707083893".into()),
        ogrn: Some("1027700132195".into()),
        ogrnip: None,
        snils: Some("11223344595".into()),
    }
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
        spki: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
        let key = token_core::PublicKey::from_spki_der(&spki.to_der().unwrap()).unwrap();
        Ok(
            RequestedExtensions::signing_and_encryption("keycarrier soft token")
                .to_extensions(&key)
                .unwrap(),
        )
    }
}

fn self_signed(t: &SoftToken, id: &ContainerId, subject: Name) -> Vec<u8> {
    let signer = ContainerSigner::new(t, id).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der().unwrap()).unwrap();
    CertificateBuilder::new(
        SelfSigned(subject),
        SerialNumber::from(1001u32),
        Validity::from_now(Duration::from_secs(365 * 86400)).unwrap(),
        spki,
    )
    .unwrap()
    .build::<_, CarrierSignature>(&signer)
    .unwrap()
    .to_der()
    .unwrap()
}

#[test]
fn u10_requests_verify_with_openssl_for_gost256_gost512_rsa2048() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let work = tempfile::tempdir().unwrap();
    for (name, alg) in [
        ("gost256", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
        ("gost256cp", KeyAlgorithm::Gost(GostParamSet::CryptoProA)),
        ("gost512", KeyAlgorithm::Gost(GostParamSet::Tc26_512A)),
        ("rsa2048", KeyAlgorithm::Rsa { bits: 2048 }),
    ] {
        let id = generate(&mut t, alg);
        let signer = ContainerSigner::new(&t, &id).unwrap();
        let template = RequestTemplate::new(
            employee(),
            RequestedExtensions::signing_and_encryption("СКЗИ \"КриптоПро CSP\""),
        );
        let req = template.sign(&signer).unwrap();
        req.verify().unwrap();
        let file = format!("{name}.pem");
        std::fs::write(work.path().join(&file), req.to_pem().unwrap()).unwrap();
        let out = openssl(
            &["req", "-engine", "gost", "-in", &file, "-verify", "-noout"],
            work.path(),
        );
        assert!(
            out.status.success(),
            "{name}: openssl req -verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = openssl(
            &[
                "req",
                "-engine",
                "gost",
                "-in",
                &file,
                "-text",
                "-noout",
                "-nameopt",
                "oneline,-esc_msb",
            ],
            work.path(),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for needle in [
            "INN = 500100732259",
            "OGRN = 1027700132195",
            "SNILS = 11223344595",
            "Signing Tool of Subject",
            "Class of Signing Tool KC1",
        ] {
            assert!(
                text.contains(needle),
                "{name}: `{needle}` missing in:\n{text}"
            );
        }
        // The DER of the identifiers is NumericString (tag 0x12).
        let der = req.as_der();
        let snils = b"11223344595";
        let pos = der.windows(snils.len()).position(|w| w == snils).unwrap();
        assert_eq!(der[pos - 2], 0x12, "{name}: SNILS must be a NumericString");
        // Round trip of what we asked for.
        let asked = req.requested_extensions().unwrap();
        assert_eq!(asked.policies, [token_core::oid::CLASS_KC1]);
        assert_eq!(
            asked.subject_sign_tool.as_deref(),
            Some("СКЗИ \"КриптоПро CSP\"")
        );
        assert_eq!(req.russian_subject(), employee());
    }
}

struct Counting(std::sync::atomic::AtomicUsize);
impl Confirm for Counting {
    fn confirm(&self, _: &SignRequest<'_>) -> Decision {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Decision::Approve
    }
}

#[test]
fn u10_bad_check_digits_are_refused_before_the_key_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let id = generate(&mut t, KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let hook = Counting(0.into());
    let signer = ContainerSigner::new(&t, &id)
        .unwrap()
        .with_confirmation(&hook, "request");
    let cases: [(&str, RussianSubject); 4] = [
        (
            "INN",
            RussianSubject {
                inn: Some("500100732258".into()),
                ..employee()
            },
        ),
        (
            "SNILS",
            RussianSubject {
                snils: Some("11223344596".into()),
                ..employee()
            },
        ),
        (
            "OGRN",
            RussianSubject {
                ogrn: Some("1027700132196".into()),
                ..employee()
            },
        ),
        (
            "INNLE",
            RussianSubject {
                inn_le: Some("7707083894".into()),
                ..employee()
            },
        ),
    ];
    for (field, subject) in cases {
        let err = RequestTemplate::new(subject, RequestedExtensions::default())
            .sign(&signer)
            .unwrap_err();
        match err {
            Error::Malformed { what, .. } => assert_eq!(what, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(
        hook.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was signed"
    );
}

#[test]
fn u10_openssl_made_gost_requests_verify_with_ours() {
    let work = tempfile::tempdir().unwrap();
    for (alg, opt, md) in [
        ("gost2012_256", "paramset:A", "-md_gost12_256"),
        ("gost2012_256", "paramset:TCA", "-md_gost12_256"),
        ("gost2012_512", "paramset:A", "-md_gost12_512"),
    ] {
        let out = openssl(
            &[
                "genpkey",
                "-engine",
                "gost",
                "-algorithm",
                alg,
                "-pkeyopt",
                opt,
                "-out",
                "k.pem",
            ],
            work.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = openssl(
            &[
                "req",
                "-engine",
                "gost",
                "-new",
                "-key",
                "k.pem",
                md,
                "-subj",
                "/C=RU/O=Test/INN=500100732259/OGRN=1027700132195/SNILS=11223344595/CN=gost",
                "-outform",
                "DER",
                "-out",
                "r.der",
            ],
            work.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let der = std::fs::read(work.path().join("r.der")).unwrap();
        let req = CertificateRequest::from_der(&der).unwrap();
        req.verify().unwrap_or_else(|e| panic!("{alg} {opt}: {e}"));
        let s = req.russian_subject();
        assert_eq!(s.inn.as_deref(), Some("500100732259"));
        assert_eq!(s.snils.as_deref(), Some("11223344595"));
        // A flipped signature bit fails; a truncated request is a typed error.
        let mut bad = der.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            CertificateRequest::from_der(&bad).unwrap().verify(),
            Err(Error::VerificationFailed { .. })
        ));
        assert!(matches!(
            CertificateRequest::from_der(&der[..der.len() - 10]),
            Err(Error::Malformed { .. })
        ));
    }
}

#[test]
fn u10_request_prefilled_from_the_current_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let old = generate(&mut t, KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let current = self_signed(&t, &old, employee().to_name().unwrap());
    // The new key for the next certificate.
    let new = generate(&mut t, KeyAlgorithm::Gost(GostParamSet::Tc26_512A));
    let mut template = RequestTemplate::from_certificate(&current).unwrap();
    assert_eq!(template.subject, Subject::Russian(employee()));
    assert_eq!(
        template.extensions,
        RequestedExtensions::signing_and_encryption("keycarrier soft token")
    );
    // The user corrects one field in the GUI.
    if let Subject::Russian(s) = &mut template.subject {
        s.title = Some("Директор".into());
    }
    let req = template
        .sign(&ContainerSigner::new(&t, &new).unwrap())
        .unwrap();
    req.verify().unwrap();
    assert_eq!(req.russian_subject().title.as_deref(), Some("Директор"));
    assert_eq!(req.russian_subject().ogrn, employee().ogrn);
    assert_eq!(
        req.public_key().unwrap(),
        t.container(&new).unwrap().public_key
    );
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("r.pem"), req.to_pem().unwrap()).unwrap();
    let out = openssl(
        &[
            "req", "-engine", "gost", "-in", "r.pem", "-verify", "-noout",
        ],
        work.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Kazakh profile: IIN/BIN with check digits.
    let kz = keycarrier_csr::KazakhSubject {
        common_name: Some("ИВАНОВ ИВАН".into()),
        country: Some("KZ".into()),
        iin: Some("123456789011".into()),
        ..Default::default()
    };
    let _ = Name::from_str("CN=x").unwrap();
    match kz.to_name() {
        Ok(name) => assert!(name.to_string().contains("IIN123456789011")),
        Err(Error::Malformed { what, .. }) => assert_eq!(what, "IIN"),
        Err(other) => panic!("{other:?}"),
    }
}
