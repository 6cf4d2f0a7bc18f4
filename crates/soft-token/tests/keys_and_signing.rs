//! Keys in the soft token: generation (U09), signing (U14) with the confirmation hook (U15),
//! certificates (U02, U12), import (U03). Signatures are checked with OpenSSL + the gost engine
//! as an independent peer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gost::signature::Verifier;
use keycarrier_soft_token::{SoftToken, TestKnobs, TokenSettings};
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
    Decision, Error, ErrorCode, FinalTry, GostParamSet, KeyAlgorithm, KeyImport, NewContainer,
    NoProgress, Pin, PinPolicy, Progress, SecretBytes, SignRequest, SignatureScheme, Stage,
};

/// The tests' admin PIN: not a vendor default, so keys may be made (see
/// `keys_wait_for_the_vendor_default_admin_pin_to_be_changed`).
const ADMIN: &str = "Adm1nQw8";
/// The vendor default admin PIN tokens are handed out with.
const VENDOR_ADMIN: &str = "87654321";
const USER: &str = "Rx7mQ2wz";

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("Keys")
    };
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new(ADMIN)).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(USER), None).unwrap();
    t.reset_pin(&AdminPin::new(ADMIN), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    t
}

/// Runs openssl with the gost engine; a missing openssl or engine fails the test loudly.
fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required for these tests (apt-get install openssl libengine-gost-openssl; scripts/test.sh installs it)");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("invalid engine"),
        "the OpenSSL gost engine is missing (apt-get install libengine-gost-openssl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    use token_core::der::pem::{LineEnding, encode_string};
    encode_string(label, LineEnding::LF, der).unwrap()
}

/// Verifies a raw signature over `digest` with openssl pkeyutl and the SPKI.
fn openssl_verifies(spki_der: &[u8], digest: &[u8], signature: &[u8], rsa: bool) -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pub.pem"), pem("PUBLIC KEY", spki_der)).unwrap();
    std::fs::write(dir.path().join("dgst"), digest).unwrap();
    std::fs::write(dir.path().join("sig"), signature).unwrap();
    let mut args = vec![
        "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "dgst",
        "-sigfile", "sig",
    ];
    if rsa {
        args.extend(["-pkeyopt", "digest:sha256"]);
    }
    openssl(&args, dir.path()).status.success()
}

#[test]
fn u09_generate_and_sign_gost_and_rsa_verified_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let algorithms = [
        KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        KeyAlgorithm::Gost(GostParamSet::CryptoProA),
        KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
        KeyAlgorithm::Gost(GostParamSet::Tc26_512C),
        KeyAlgorithm::Rsa { bits: 2048 },
    ];
    for alg in algorithms {
        let info = t
            .generate(
                &NewContainer::new(format!("{alg}"), alg),
                &mut NoProgress,
                &CancelToken::new(),
            )
            .unwrap();
        assert_eq!(info.algorithm, alg);
        assert!(
            info.has_private_key && info.sensitive && !info.extractable,
            "{info:?}"
        );
        assert_eq!(info.id, ContainerId::derived_from(&info.public_key));

        let scheme = alg.signature_scheme();
        let message = b"payment order 118: 15 000.00 RUB";
        let digest = match scheme {
            SignatureScheme::Gost256 => gost::streebog256(message).to_vec(),
            SignatureScheme::Gost512 => gost::streebog512(message).to_vec(),
            _ => {
                use sha2::Digest;
                sha2::Sha256::digest(message).to_vec()
            }
        };
        let by_message = t
            .sign(&SignRequest::message(&info.id, scheme, message))
            .unwrap();
        let by_digest = t
            .sign(&SignRequest::digest(&info.id, scheme, &digest))
            .unwrap();
        let spki = info.public_key.to_der().unwrap();
        let rsa = matches!(alg, KeyAlgorithm::Rsa { .. });
        assert!(
            openssl_verifies(&spki, &digest, &by_message, rsa),
            "{alg}: message signature"
        );
        assert!(
            openssl_verifies(&spki, &digest, &by_digest, rsa),
            "{alg}: digest signature"
        );
        let mut flipped = by_digest.clone();
        flipped[3] ^= 1;
        assert!(
            !openssl_verifies(&spki, &digest, &flipped, rsa),
            "{alg}: flipped bit must fail"
        );
    }
    assert_eq!(t.containers().unwrap().len(), algorithms.len());
    // Unsupported sizes are refused before anything is written.
    let err = t
        .generate(
            &NewContainer::new("weak", KeyAlgorithm::Rsa { bits: 1024 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "KC-UNSUPPORTED");
    // RSA PSS verifies with openssl too.
    let rsa_id = t
        .containers()
        .unwrap()
        .into_iter()
        .find(|c| matches!(c.algorithm, KeyAlgorithm::Rsa { .. }))
        .unwrap();
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(b"pss").to_vec()
    };
    let sig = t
        .sign(&SignRequest::digest(
            &rsa_id.id,
            SignatureScheme::RsaPssSha256,
            &digest,
        ))
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("pub.pem"),
        pem("PUBLIC KEY", &rsa_id.public_key.to_der().unwrap()),
    )
    .unwrap();
    std::fs::write(d.path().join("dgst"), &digest).unwrap();
    std::fs::write(d.path().join("sig"), &sig).unwrap();
    let ok = openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-in",
            "dgst",
            "-sigfile",
            "sig",
            "-pkeyopt",
            "digest:sha256",
            "-pkeyopt",
            "rsa_padding_mode:pss",
            "-pkeyopt",
            "rsa_pss_saltlen:32",
        ],
        d.path(),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn u09_progress_and_cancel_leave_no_half_made_container() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    t.set_test_knobs(TestKnobs {
        slow_generation: Some(Duration::from_millis(400)),
        ..TestKnobs::default()
    });
    let spec = NewContainer::new("slow", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let mut seen = Vec::new();
    t.generate(&spec, &mut |p: Progress| seen.push(p), &CancelToken::new())
        .unwrap();
    assert_eq!(seen.first().map(|p| p.stage), Some(Stage::Preparing));
    assert_eq!(seen.last().map(|p| p.stage), Some(Stage::Done));
    assert!(seen.iter().filter(|p| p.stage == Stage::Generating).count() > 10);
    let percents: Vec<u8> = seen.iter().filter_map(|p| p.percent).collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");

    // Cancel from another thread while generation runs.
    let cancel = CancelToken::new();
    let remote = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        remote.cancel();
    });
    let err = t.generate(&spec, &mut NoProgress, &cancel).unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, Error::Cancelled));
    assert_eq!(
        t.containers().unwrap().len(),
        1,
        "the cancelled key must not be stored"
    );
}

struct Recorder {
    decision: Decision,
    seen: Mutex<Vec<String>>,
}

impl Confirm for Recorder {
    fn confirm(&self, request: &SignRequest<'_>) -> Decision {
        self.seen
            .lock()
            .unwrap()
            .push(request.description.unwrap_or("").to_owned());
        self.decision
    }
}

#[test]
fn u15_rejected_confirmation_signs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let info = t
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256B)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let reject = Recorder {
        decision: Decision::Reject,
        seen: Mutex::new(vec![]),
    };
    let mut req = SignRequest::message(&info.id, SignatureScheme::Gost256, b"order");
    req.description = Some("Payment order 118 for 15 000.00 RUB");
    req.confirmation = Some(&reject);
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    assert_eq!(t.sign(&req).unwrap_err().code(), "KC-REJECTED");
    assert_eq!(
        *reject.seen.lock().unwrap(),
        ["Payment order 118 for 15 000.00 RUB"]
    );
    assert_eq!(
        std::fs::read(dir.path().join("token.der")).unwrap(),
        before,
        "no side effect"
    );

    let approve = Recorder {
        decision: Decision::Approve,
        seen: Mutex::new(vec![]),
    };
    req.confirmation = Some(&approve);
    assert_eq!(t.sign(&req).unwrap().len(), 64);
}

/// A self-signed profile for the test certificates.
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

/// A self-signed certificate for a container, signed *through the token* with ContainerSigner.
fn self_signed(t: &SoftToken, id: &ContainerId, cn: &str) -> Vec<u8> {
    let signer = ContainerSigner::new(t, id).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der().unwrap()).unwrap();
    let builder = CertificateBuilder::new(
        SelfSigned(Name::from_str(&format!("CN={cn},O=Test")).unwrap()),
        SerialNumber::from(7u32),
        Validity::from_now(Duration::from_secs(365 * 86400)).unwrap(),
        spki,
    )
    .unwrap();
    builder
        .build::<_, CarrierSignature>(&signer)
        .unwrap()
        .to_der()
        .unwrap()
}

#[test]
fn u12_certificates_must_match_the_key_and_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let make = |t: &mut SoftToken, label: &str| {
        t.generate(
            &NewContainer::new(label, KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap()
    };
    let a = make(&mut t, "a");
    let b = make(&mut t, "b");
    let cert_a = self_signed(&t, &a.id, "Alice");
    // openssl checks the self-signature made through the token.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.pem"), pem("CERTIFICATE", &cert_a)).unwrap();
    let out = openssl(
        &["verify", "-engine", "gost", "-CAfile", "a.pem", "a.pem"],
        d.path(),
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A certificate for another key is refused and nothing is written.
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    assert!(matches!(
        t.write_certificate(&b.id, &cert_a),
        Err(Error::CertificateMismatch)
    ));
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);

    t.write_certificate(&a.id, &cert_a).unwrap();
    let a = t.container(&a.id).unwrap();
    let info = a.certificate().unwrap().unwrap();
    assert_eq!(info.subject, "CN=Alice,O=Test");
    assert!(info.is_valid_at(std::time::SystemTime::now()));
    // Damaged certificates are typed errors.
    assert!(matches!(
        t.write_certificate(&a.id, &cert_a[..40]),
        Err(Error::Malformed { .. })
    ));
    // U02: delete one container, the other stays.
    t.delete_container(&a.id).unwrap();
    let left: Vec<ContainerId> = t.containers().unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(left, vec![b.id]);
}

#[test]
fn u03_import_openssl_keys_transactionally() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let work = tempfile::tempdir().unwrap();
    for (alg, opt) in [
        ("gost2012_256", "paramset:TCA"),
        ("gost2012_512", "paramset:A"),
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
                "-outform",
                "DER",
                "-out",
                "k.der",
            ],
            work.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pkcs8 = std::fs::read(work.path().join("k.der")).unwrap();
        let info = t
            .import(KeyImport {
                label: alg.into(),
                id: None,
                private_key_pkcs8: SecretBytes::new(&pkcs8),
                certificates: vec![],
            })
            .unwrap();
        // The imported key signs, and openssl's own public key verifies it.
        let out = openssl(
            &[
                "pkey", "-engine", "gost", "-inform", "DER", "-in", "k.der", "-pubout", "-outform",
                "DER", "-out", "pub.der",
            ],
            work.path(),
        );
        assert!(out.status.success());
        let spki = std::fs::read(work.path().join("pub.der")).unwrap();
        let scheme = info.algorithm.signature_scheme();
        let digest = if scheme == SignatureScheme::Gost256 {
            gost::streebog256(b"x").to_vec()
        } else {
            gost::streebog512(b"x").to_vec()
        };
        let sig = t
            .sign(&SignRequest::digest(&info.id, scheme, &digest))
            .unwrap();
        assert!(openssl_verifies(&spki, &digest, &sig, false), "{alg}");
        assert!(!info.extractable);
    }
    // A certificate that belongs to another key: refused, nothing written.
    let other = t.containers().unwrap().remove(0);
    let cert = self_signed(&t, &other.id, "Other");
    let out = openssl(
        &[
            "genpkey",
            "-engine",
            "gost",
            "-algorithm",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCB",
            "-outform",
            "DER",
            "-out",
            "k2.der",
        ],
        work.path(),
    );
    assert!(out.status.success());
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    let err = t
        .import(KeyImport {
            label: "mismatch".into(),
            id: None,
            private_key_pkcs8: SecretBytes::new(
                &std::fs::read(work.path().join("k2.der")).unwrap(),
            ),
            certificates: vec![cert],
        })
        .unwrap_err();
    assert!(matches!(err, Error::CertificateMismatch), "{err:?}");
    // Garbage instead of a key: typed error.
    let err = t
        .import(KeyImport {
            label: "junk".into(),
            id: None,
            private_key_pkcs8: SecretBytes::new(b"\x30\x03\x02\x01\x00"),
            certificates: vec![],
        })
        .unwrap_err();
    assert_eq!(err.code(), "KC-MALFORMED");
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
}

#[test]
fn many_threads_sign_on_one_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let info = t
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let key = gost::VerifyingKey::from_spki_der(&info.public_key.to_der().unwrap()).unwrap();
    let t = Arc::new(t);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let t = Arc::clone(&t);
            let id = info.id.clone();
            let key = key.clone();
            std::thread::spawn(move || {
                for n in 0..50 {
                    let msg = format!("thread {i} document {n}");
                    let sig = t
                        .sign(&SignRequest::message(
                            &id,
                            SignatureScheme::Gost256,
                            msg.as_bytes(),
                        ))
                        .unwrap();
                    key.verify(msg.as_bytes(), &gost::Signature::from_bytes(&sig).unwrap())
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn signing_needs_the_user_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let info = t
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    t.logout().unwrap();
    let err = t
        .sign(&SignRequest::message(
            &info.id,
            SignatureScheme::Gost256,
            b"x",
        ))
        .unwrap_err();
    assert_eq!(err.code(), "KC-LOGIN-REQUIRED");
    // A digest of the wrong length and a scheme that does not fit the key are typed errors.
    t.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    let err = t
        .sign(&SignRequest::digest(
            &info.id,
            SignatureScheme::Gost256,
            &[0; 31],
        ))
        .unwrap_err();
    assert_eq!(err.code(), "KC-MALFORMED");
    let err = t
        .sign(&SignRequest::message(
            &info.id,
            SignatureScheme::Gost512,
            b"x",
        ))
        .unwrap_err();
    assert_eq!(err.code(), "KC-UNSUPPORTED");
}

#[test]
fn a_key_deleted_elsewhere_is_not_signed_with_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = token(dir.path());
    let info = a
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    // `a` has the key parsed in memory now.
    a.sign(&SignRequest::message(
        &info.id,
        SignatureScheme::Gost256,
        b"one",
    ))
    .unwrap();
    // Another handle (as another process would) deletes the container.
    let mut b = SoftToken::open(dir.path());
    b.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    b.delete_container(&info.id).unwrap();
    let err = a
        .sign(&SignRequest::message(
            &info.id,
            SignatureScheme::Gost256,
            b"two",
        ))
        .unwrap_err();
    assert_eq!(err.code(), "KC-NOT-FOUND");
    // And after a logout nothing signs, cached or not.
    let other = a
        .generate(
            &NewContainer::new("k2", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    a.sign(&SignRequest::message(
        &other.id,
        SignatureScheme::Gost256,
        b"three",
    ))
    .unwrap();
    a.logout().unwrap();
    let err = a
        .sign(&SignRequest::message(
            &other.id,
            SignatureScheme::Gost256,
            b"four",
        ))
        .unwrap_err();
    assert_eq!(err.code(), "KC-LOGIN-REQUIRED");
}

/// A GOST private key as PKCS#8, made outside the token (for import).
fn outside_key() -> Vec<u8> {
    gost::SigningKey::generate(GostParamSet::Tc26_256A)
        .unwrap()
        .to_pkcs8_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn import_of(pkcs8: &[u8]) -> KeyImport {
    KeyImport {
        label: "imported".into(),
        id: None,
        private_key_pkcs8: SecretBytes::new(pkcs8),
        certificates: vec![],
    }
}

/// Asserts the refusal of a new key on a token whose admin PIN is a vendor default: the typed
/// error, its code, a reason that says what to do, and no PIN in any rendering of it.
fn assert_default_admin_refusal(err: &Error) {
    assert!(matches!(err, Error::NotAllowed { .. }), "{err:?}");
    assert_eq!(err.code(), "KC-NOT-ALLOWED");
    let text = err.to_string();
    assert!(
        text.contains("change the vendor default admin PIN"),
        "{text}"
    );
    for shown in [text, format!("{err:?}")] {
        assert!(
            !shown.contains(VENDOR_ADMIN) && !shown.contains(USER),
            "{shown}"
        );
    }
}

#[test]
fn keys_wait_for_the_vendor_default_admin_pin_to_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("Bank issue")
    };
    let mut t = SoftToken::create(dir.path(), &settings, &AdminPin::new(VENDOR_ADMIN)).unwrap();
    let status = t.pin_status(token_core::PinRole::Admin).unwrap();
    assert!(status.must_change && status.default_pin == Some(true));
    let pin = PinPolicy::default().approve(Pin::new(USER), None).unwrap();
    t.reset_pin(&AdminPin::new(VENDOR_ADMIN), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new(USER), FinalTry::Refuse).unwrap();

    // Generation and import are refused, and nothing is written.
    let before = std::fs::read(dir.path().join("token.der")).unwrap();
    let spec = NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let err = t
        .generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap_err();
    assert_default_admin_refusal(&err);
    let pkcs8 = outside_key();
    let err = t.import(import_of(&pkcs8)).unwrap_err();
    assert_default_admin_refusal(&err);
    assert_eq!(std::fs::read(dir.path().join("token.der")).unwrap(), before);
    assert!(t.containers().unwrap().is_empty());

    // Another vendor default is no change: set through a policy that does not forbid it (as
    // a PKCS#11 application may), it is flagged and the refusal stays.
    let lax = PinPolicy {
        forbidden: Vec::new(),
        max_sequence: None,
        ..PinPolicy::default()
    };
    let other_default = lax.approve(AdminPin::new("12345678"), None).unwrap();
    t.change_admin_pin(
        &AdminPin::new(VENDOR_ADMIN),
        &other_default,
        FinalTry::Refuse,
    )
    .unwrap();
    let err = t
        .generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap_err();
    assert_default_admin_refusal(&err);

    // A real admin PIN: both work; the user stays logged in through the change.
    let admin = PinPolicy::default()
        .approve(AdminPin::new(ADMIN), None)
        .unwrap();
    t.change_admin_pin(&AdminPin::new("12345678"), &admin, FinalTry::Refuse)
        .unwrap();
    let status = t.pin_status(token_core::PinRole::Admin).unwrap();
    assert!(!status.must_change && status.default_pin == Some(false));
    let made = t
        .generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap();
    let imported = t.import(import_of(&pkcs8)).unwrap();
    assert_eq!(t.containers().unwrap().len(), 2);
    for c in [&made, &imported] {
        let digest = gost::streebog256(b"x");
        t.sign(&SignRequest::digest(
            &c.id,
            SignatureScheme::Gost256,
            &digest,
        ))
        .unwrap();
    }

    // Wiping with the admin PIN keeps it (not a default): keys may be made at once.
    t.wipe(&AdminPin::new(ADMIN), None).unwrap();
    t.reset_pin(&AdminPin::new(ADMIN), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    t.generate(&spec, &mut NoProgress, &CancelToken::new())
        .unwrap();
}

#[test]
fn a_token_created_with_its_own_admin_pin_is_not_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let status = t.pin_status(token_core::PinRole::Admin).unwrap();
    assert!(!status.must_change && status.default_pin == Some(false));
    t.generate(
        &NewContainer::new("k", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
        &mut NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    t.import(import_of(&outside_key())).unwrap();
    assert_eq!(t.containers().unwrap().len(), 2);
}
