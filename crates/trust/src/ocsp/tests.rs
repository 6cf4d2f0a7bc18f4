//! Unit tests on responses from another implementation: the Kazakh NCA test responder
//! (`/work/shared/vectors/kz/nca`). The certificates those responses are about are not among
//! the vectors, so stand-ins are made by giving a certificate of the same issuer the serial
//! number the response names: the OCSP check never looks at the end-entity signature.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is how a test fails"
)]

use std::path::{Path, PathBuf};

use super::verify::worse;
use super::*;
use der::Encode as _;

const KZ: &str = "/work/shared/vectors/kz/nca";

/// The vector folder, or `None` (with a loud message) when it is missing outside CI.
fn kz() -> Option<PathBuf> {
    let dir = PathBuf::from(KZ);
    if dir.join("ocsp").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the Kazakh NCA vectors are missing at {KZ} (required on CI)"
    );
    eprintln!("!!!!!!!! {KZ} is missing: the Kazakh NCA OCSP vectors were NOT checked !!!!!!!!");
    None
}

fn cert_der(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    crate::read_certificates(&bytes).unwrap().remove(0)
}

/// `der` with its serial number replaced by `serial` (of the same length).
fn with_serial(der: &[u8], serial: &[u8]) -> Vec<u8> {
    let old = Cert::from_der(der).unwrap();
    let old = old
        .cert
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec();
    assert_eq!(
        old.len(),
        serial.len(),
        "stand-in serial must keep the length"
    );
    let mut needle = vec![0x02, u8::try_from(old.len()).unwrap()];
    needle.extend(&old);
    let at = der
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap();
    let mut out = der.to_vec();
    out[at + 2..at + 2 + serial.len()].copy_from_slice(serial);
    out
}

fn time(y: u16, mo: u8, d: u8, h: u8) -> SystemTime {
    der::DateTime::new(y, mo, d, h, 0, 0)
        .unwrap()
        .to_system_time()
}

fn response(dir: &Path, name: &str) -> (Vec<u8>, OcspResponse) {
    let der = std::fs::read(dir.join("ocsp").join(name)).unwrap();
    let parsed = OcspResponse::from_der(&der).unwrap();
    (der, parsed)
}

#[test]
fn kz_rsa_response_from_a_delegated_responder_verifies() {
    let Some(dir) = kz() else { return };
    let (der, resp) = response(&dir, "ocsp_response_individual_sign_2004.bin");
    assert_eq!(
        resp.signature_algorithm(),
        token_core::oid::SHA256_WITH_RSA_ENCRYPTION
    );
    let issuer = Cert::from_der(&cert_der(&dir.join("ca/nca_rsa_test.crt"))).unwrap();
    let ee = cert_der(&dir.join("certs/individual_valid_sign_2004_rsa.cer"));
    let serial = resp.entries()[0].serial.clone();
    let stand_in = Cert::from_der(&with_serial(&ee, &serial)).unwrap();
    let t = time(2022, 9, 2, 17);
    assert_eq!(
        check_ocsp(&der, &stand_in, &issuer, t).unwrap(),
        OcspVerdict::Good
    );
    // The real certificate (another serial) is not what the response is about.
    let real = Cert::from_der(&ee).unwrap();
    assert_eq!(
        check_ocsp(&der, &real, &issuer, t).unwrap(),
        OcspVerdict::NotForThisCertificate
    );
    // One bit of the signed part changed: refused, not "not about it".
    let mut tampered = der.clone();
    let produced_at = b"20220902165359Z";
    let at = tampered
        .windows(produced_at.len())
        .position(|w| w == produced_at)
        .unwrap();
    tampered[at + 13] ^= 0x01; // ...5359Z -> ...5358Z
    let e = check_ocsp(&tampered, &stand_in, &issuer, t).unwrap_err();
    assert!(matches!(e, TrustError::Ocsp { .. }), "{e:?}");
    // The delegated responder's certificate expired in March 2023.
    let e = check_ocsp(&der, &stand_in, &issuer, time(2023, 6, 1, 0)).unwrap_err();
    assert!(e.to_string().contains("responder certificate"), "{e}");
}

#[test]
fn kz_gost_2015_responses_are_unsupported_not_a_panic() {
    let Some(dir) = kz() else { return };
    let issuer = Cert::from_der(&cert_der(&dir.join("ca/nca_gost2015_test.cer"))).unwrap();
    for name in [
        "ocsp_response_ceo_2015_revoked.bin",
        "ocsp_response_individual_2015.bin",
    ] {
        let (der, resp) = response(&dir, name);
        assert_eq!(
            resp.signature_algorithm(),
            ObjectIdentifier::new_unwrap("1.2.398.3.10.1.1.2.3.2")
        );
        // A certificate of the same issuer (the responder's own) with the response's serial.
        let responder = resp.basic.certs.as_ref().unwrap()[0].to_der().unwrap();
        let stand_in = Cert::from_der(&with_serial(&responder, &resp.entries()[0].serial)).unwrap();
        let e = check_ocsp(&der, &stand_in, &issuer, time(2022, 9, 2, 17)).unwrap_err();
        assert!(matches!(e, TrustError::Unsupported { .. }), "{name}: {e:?}");
    }
}

#[test]
fn kz_gost_2004_issuer_key_is_unsupported() {
    let Some(dir) = kz() else { return };
    // The GOST 34.310-2004 CA's key cannot even be read, so its responses can never be
    // checked against it: a typed refusal, before any OCSP processing.
    let e = Cert::from_der(&cert_der(&dir.join("ca/nca_gost_test.crt"))).unwrap_err();
    assert!(matches!(e, TrustError::Unsupported { .. }), "{e:?}");
    let (_, resp) = response(&dir, "ocsp_response_ceo_sign_2004_revoked.bin");
    assert_eq!(
        resp.signature_algorithm(),
        ObjectIdentifier::new_unwrap("1.2.398.3.10.1.1.1.2")
    );
}

#[test]
fn response_status_and_enumerated_forms() {
    let e = OcspResponse::from_der(&[0x30, 0x03, 0x0a, 0x01, 0x03]).unwrap_err();
    assert!(e.to_string().contains("tryLater (3)"), "{e}");
    let e = OcspResponse::from_der(&[0x30, 0x03, 0x0a, 0x01, 0x06]).unwrap_err();
    assert!(e.to_string().contains("unauthorized (6)"), "{e}");
    let e = OcspResponse::from_der(&[0x30, 0x03, 0x0a, 0x01, 0x04]).unwrap_err();
    assert!(e.to_string().contains("undefined"), "{e}");
    // An INTEGER where the ENUMERATED belongs, a two-byte ENUMERATED, successful without body.
    for der in [
        &[0x30, 0x03, 0x02, 0x01, 0x00][..],
        &[0x30, 0x04, 0x0a, 0x02, 0x00, 0x00][..],
        &[0x30, 0x03, 0x0a, 0x01, 0x00][..],
    ] {
        let e = OcspResponse::from_der(der).unwrap_err();
        assert!(
            matches!(e, TrustError::Malformed { .. }),
            "{der:02x?}: {e:?}"
        );
    }
}

#[test]
fn worst_verdict_wins() {
    let revoked = OcspVerdict::Revoked {
        since: SystemTime::UNIX_EPOCH,
        reason: RevocationReason::Unspecified,
    };
    assert_eq!(
        worse(OcspVerdict::Good, OcspVerdict::Unknown),
        OcspVerdict::Unknown
    );
    assert_eq!(worse(revoked, OcspVerdict::Good), revoked);
    assert_eq!(worse(OcspVerdict::Unknown, revoked), revoked);
}
