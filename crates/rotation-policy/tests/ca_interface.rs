//! The CA interface: the embedded test CA (GOST and RSA, delayed issue, refusal) and the
//! offline folder exchange.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::SystemTime;

use common::*;
use csr::{RequestTemplate, RequestedExtensions};
use keycarrier_rotation_policy::ca::{
    CertificateAuthority, FolderExchange, Poll, RequestId, read_certificate,
};
use token_core::{Carrier, CertificateInfo, ContainerSigner, GostParamSet, KeyAlgorithm};

fn check_issued_by(cert: &[u8], ca_cert: &[u8]) {
    use token_core::der::Decode;
    let parsed = token_core::x509_cert::Certificate::from_der(cert).unwrap();
    let ca = CertificateInfo::from_der(ca_cert).unwrap();
    let tbs = trust::signature::signed_part(cert).unwrap();
    trust::signature::verify_message(
        &ca.public_key,
        parsed.signature_algorithm(),
        tbs,
        parsed.signature().raw_bytes(),
    )
    .unwrap();
    assert_eq!(CertificateInfo::from_der(cert).unwrap().issuer, ca.subject);
}

#[test]
fn test_ca_issues_gost_and_rsa_after_a_delay() {
    let now = SystemTime::now();
    for (ca_alg, client_alg) in [
        (
            KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
            KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        ),
        (
            KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
            KeyAlgorithm::Gost(GostParamSet::Tc26_256B),
        ),
        (
            KeyAlgorithm::Rsa { bits: 2048 },
            KeyAlgorithm::Rsa { bits: 2048 },
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = test_ca(&dir.path().join("ca"), ca_alg, now).with_delay(2);
        // The CA certificate is self-signed.
        check_issued_by(ca.certificate(), ca.certificate());
        let mut t = token(&dir.path().join("client"), "client");
        let (old, old_cert) = client_key(&mut t, &ca, "old", client_alg, now, 30);
        check_issued_by(&old_cert, ca.certificate());
        let info = CertificateInfo::from_der(&old_cert).unwrap();
        assert!(
            info.subject.contains("OGRN=1027700132195") || info.subject.contains("1.2.643.100.1"),
            "{}",
            info.subject
        );
        // A rotation request pre-filled from the old certificate.
        let new = generate(&mut t, "new", client_alg);
        let req = RequestTemplate::from_certificate(&old_cert)
            .unwrap()
            .sign(&ContainerSigner::new(&t, &new).unwrap())
            .unwrap();
        let id = ca.submit(req.as_der()).unwrap();
        assert_eq!(ca.submit(req.as_der()).unwrap(), id, "idempotent submit");
        assert!(matches!(ca.poll(&id).unwrap(), Poll::Pending { .. }));
        assert!(matches!(ca.poll(&id).unwrap(), Poll::Pending { .. }));
        let Poll::Issued(cert) = ca.poll(&id).unwrap() else {
            panic!("not issued after the delay")
        };
        check_issued_by(&cert, ca.certificate());
        let issued = CertificateInfo::from_der(&cert).unwrap();
        assert_eq!(issued.subject, info.subject);
        assert!(
            issued
                .public_key
                .same_key(&t.container(&new).unwrap().public_key)
        );
        assert!(issued.key_usage.unwrap().digital_signature);
        // Asking again returns the same certificate.
        assert_eq!(ca.poll(&id).unwrap(), Poll::Issued(cert));
        let _ = old;
    }
}

#[test]
fn test_ca_refuses_a_request_whose_signature_does_not_verify() {
    let now = SystemTime::now();
    let dir = tempfile::tempdir().unwrap();
    let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);
    let mut ca = test_ca(&dir.path().join("ca"), alg, now);
    let mut t = token(&dir.path().join("client"), "client");
    let k = generate(&mut t, "k", alg);
    let req = RequestTemplate::new(employee(), RequestedExtensions::signing_and_encryption("x"))
        .sign(&ContainerSigner::new(&t, &k).unwrap())
        .unwrap();
    let mut bad = req.as_der().to_vec();
    let last = bad.len() - 3;
    bad[last] ^= 0x55;
    let id = ca.submit(&bad).unwrap();
    assert!(matches!(ca.poll(&id).unwrap(), Poll::Rejected { .. }));
    assert!(ca.submit(b"not a request").is_err());
    assert!(ca.poll(&RequestId::new("unknown").unwrap()).is_err());
}

#[test]
fn folder_exchange_round_trip() {
    let now = SystemTime::now();
    let dir = tempfile::tempdir().unwrap();
    let alg = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);
    let ca = test_ca(&dir.path().join("ca"), alg, now);
    let mut t = token(&dir.path().join("client"), "client");
    let k = generate(&mut t, "k", alg);
    let req = RequestTemplate::new(employee(), RequestedExtensions::signing_and_encryption("x"))
        .sign(&ContainerSigner::new(&t, &k).unwrap())
        .unwrap();
    let out = dir.path().join("out");
    let inbox = dir.path().join("in");
    let mut fx = FolderExchange::new(&out, &inbox);
    let id = fx.submit(req.as_der()).unwrap();
    assert_eq!(std::fs::read(fx.request_path(&id)).unwrap(), req.as_der());
    assert!(matches!(fx.poll(&id).unwrap(), Poll::Pending { .. }));
    // The bank's answer arrives as PEM.
    let cert = ca.issue(req.as_der(), now, now + DAY * 365).unwrap();
    let pem = token_core::der::pem::encode_string(
        "CERTIFICATE",
        token_core::der::pem::LineEnding::LF,
        &cert,
    )
    .unwrap();
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(fx.certificate_path(&id), pem).unwrap();
    assert_eq!(fx.poll(&id).unwrap(), Poll::Issued(cert.clone()));
    assert_eq!(read_certificate(&cert).unwrap(), cert);
    // Garbage in the inbox is an error, not a panic.
    std::fs::write(fx.certificate_path(&id), b"garbage").unwrap();
    assert!(fx.poll(&id).is_err());
    std::fs::remove_file(fx.certificate_path(&id)).unwrap();
    std::fs::write(fx.rejection_path(&id), "ИНН не совпадает").unwrap();
    assert_eq!(
        fx.poll(&id).unwrap(),
        Poll::Rejected {
            reason: "ИНН не совпадает".into()
        }
    );
    // Ids are safe file names.
    assert!(RequestId::new("../etc/passwd").is_err());
    assert!(RequestId::new(".hidden").is_err());
    assert!(RequestId::new("").is_err());
    assert!(RequestId::new("a".repeat(65)).is_err());
    assert!(RequestId::new("REQ-2027.001_a").is_ok());
}
