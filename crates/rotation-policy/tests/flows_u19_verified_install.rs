//! Flow U19 with verified installs: a rotation installs the issued certificate only when it
//! chains to the CA the caller trusts, certifies the new key and carries the requested subject.
//! A certificate from another CA, or for another key, is refused with a typed error; nothing is
//! installed, and the old key (with its certificate) stays usable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::SystemTime;

use common::*;
use keycarrier_rotation_policy::ca::{CertificateAuthority, Poll, RequestId, TestCa};
use keycarrier_rotation_policy::journal::Step;
use keycarrier_rotation_policy::{KeyFacts, Policy, RotationOptions, Rotator};
use soft_token::SoftToken;
use token_core::{Carrier, ContainerSigner, Error, ErrorCode, GostParamSet, KeyAlgorithm, Result};

const ALG: KeyAlgorithm = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);

/// A CA that answers every request with a certificate for another key (a mix-up at the bank,
/// or an attacker's certificate slipped into the exchange folder).
struct WrongKey<'a> {
    ca: &'a TestCa<SoftToken>,
    other_request: Vec<u8>,
}

impl CertificateAuthority for WrongKey<'_> {
    fn submit(&mut self, request_der: &[u8]) -> Result<RequestId> {
        Ok(RequestId::for_request(request_der))
    }
    fn poll(&mut self, _: &RequestId) -> Result<Poll> {
        let now = SystemTime::now();
        Ok(Poll::Issued(self.ca.issue(
            &self.other_request,
            now,
            now + DAY * 365,
        )?))
    }
}

fn options(anchor: &[u8]) -> RotationOptions {
    RotationOptions {
        trust_anchors: trust::TrustAnchors::from_der([anchor]).unwrap(),
        ..RotationOptions::default()
    }
}

/// The old container still holds its certificate and signs.
fn old_key_kept(t: &SoftToken, old: &token_core::ContainerId, old_cert: &[u8]) {
    assert_eq!(
        t.container(old).unwrap().certificates,
        vec![old_cert.to_vec()]
    );
    ContainerSigner::new(t, old)
        .unwrap()
        .sign_message(b"still usable")
        .unwrap();
}

#[test]
fn u19_certificate_from_another_ca_is_not_installed_and_the_old_key_stays() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let mut bank = test_ca(&dir.path().join("bank"), ALG, now);
    let other = test_ca(&dir.path().join("other"), ALG, now);
    let mut t = token(&dir.path().join("client"), "Flash drive");
    let (old, old_cert) = client_key(&mut t, &bank, "Ivanov", ALG, now, 30);
    let cert = t.container(&old).unwrap().certificate().unwrap().unwrap();
    let d = Policy::default().decide(&KeyFacts::from_certificate(&cert), now);

    // The client trusts only `other` (same name "Test Bank CA", another key); the bank's
    // certificate must not be installed.
    let mut rot = Rotator::new(dir.path().join("journal"), options(other.certificate()));
    let err = rot.start(&mut t, &mut bank, &old, &d, now).unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err:?}");
    assert_eq!(err.code(), "KC-TRUST-BAD-SIGNATURE", "{err}");
    let j = rot.journal(&old).unwrap().unwrap();
    assert_eq!(j.step, Step::Install);
    assert!(t.container(&j.new).unwrap().certificates.is_empty());
    old_key_kept(&t, &old, &old_cert);
    // Resuming does not change the verdict.
    assert!(rot.resume(&mut t, &mut bank, &old, now).is_err());
    old_key_kept(&t, &old, &old_cert);

    // Trusting the right CA, the same rotation completes.
    let mut rot = Rotator::new(dir.path().join("journal"), options(bank.certificate()));
    let outcome = rot.resume(&mut t, &mut bank, &old, now).unwrap();
    assert!(
        matches!(
            outcome,
            keycarrier_rotation_policy::RotationOutcome::Completed { .. }
        ),
        "{outcome:?}"
    );
}

#[test]
fn u19_certificate_for_another_key_is_not_installed_and_the_old_key_stays() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let bank = test_ca(&dir.path().join("bank"), ALG, now);
    let mut t = token(&dir.path().join("client"), "Flash drive");
    let (old, old_cert) = client_key(&mut t, &bank, "Ivanov", ALG, now, 30);
    // A request for a third key, signed properly, with the same subject.
    let stranger = generate(&mut t, "stranger", ALG);
    let other_request = csr::RequestTemplate::from_certificate(&old_cert)
        .unwrap()
        .sign(&ContainerSigner::new(&t, &stranger).unwrap())
        .unwrap()
        .as_der()
        .to_vec();
    let cert = t.container(&old).unwrap().certificate().unwrap().unwrap();
    let d = Policy::default().decide(&KeyFacts::from_certificate(&cert), now);
    let mut ca = WrongKey {
        ca: &bank,
        other_request,
    };
    let mut rot = Rotator::new(dir.path().join("journal"), options(bank.certificate()));
    let err = rot.start(&mut t, &mut ca, &old, &d, now).unwrap_err();
    assert!(matches!(err, Error::CertificateMismatch), "{err:?}");
    let j = rot.journal(&old).unwrap().unwrap();
    assert_eq!(j.step, Step::Install);
    assert!(t.container(&j.new).unwrap().certificates.is_empty());
    old_key_kept(&t, &old, &old_cert);
}
