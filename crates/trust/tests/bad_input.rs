//! Damaged input to the validator: every truncation and many byte flips of a real CRL (the
//! Kazakh NCA RSA test CA's) and of real certificates give typed errors or verdicts, never a
//! panic; a damaged CRL never clears a certificate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use keycarrier_trust::{
    Crl, KeyPurpose, OfflineRevocation, RevocationStatus, TrustAnchors, TrustError,
    ValidationOptions,
};

fn vectors() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/kz/nca");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!("the Kazakh NCA vectors are missing: {}", dir.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{msg} (CI=true: they must be there)"
    );
    eprintln!("!!!!!!!! {msg}; bad_input checked NOTHING !!!!!!!!");
    None
}

fn pem_or_der(path: &Path) -> Vec<u8> {
    keycarrier_trust::read_certificates(&std::fs::read(path).unwrap())
        .unwrap()
        .remove(0)
}

#[test]
fn damaged_crls_and_certificates_are_typed_errors() {
    let Some(dir) = vectors() else { return };
    let anchor = pem_or_der(&dir.join("ca/nca_rsa_test.crt"));
    let ee = pem_or_der(&dir.join("certs/individual_valid_sign_2004_rsa.cer"));
    let crl = std::fs::read(dir.join("crl/nca_rsa_test.crl")).unwrap();
    let anchors = TrustAnchors::from_der([anchor.as_slice()]).unwrap();
    // 2022-06-01T00:00:00Z: inside the certificate's and the CRL's validity.
    let at = UNIX_EPOCH + Duration::from_secs(1_654_041_600);
    let options = ValidationOptions::new(at, KeyPurpose::DocumentSigning);

    // The undamaged CRL clears the certificate.
    let mut good = OfflineRevocation::new();
    good.add_crl(&crl).unwrap();
    let path = keycarrier_trust::validate(&ee, &[], &anchors, &good, &options).unwrap();
    assert_eq!(path.revocation, vec![RevocationStatus::GoodByCrl]);

    // Every truncation of the CRL: refused for form.
    for len in 0..crl.len() {
        let cut = &crl[..len];
        assert!(Crl::from_der(cut).is_err(), "truncated to {len}");
        assert!(
            OfflineRevocation::new().add_crl(cut).is_err(),
            "truncated to {len}"
        );
    }
    // Byte flips all over the CRL: either refused for form, or (when the DER still parses)
    // the signature fails; never "not revoked".
    for pos in (0..crl.len()).step_by(7) {
        let mut bad = crl.clone();
        bad[pos] ^= 0x41;
        let mut source = OfflineRevocation::new();
        if source.add_crl(&bad).is_err() {
            continue;
        }
        match keycarrier_trust::validate(&ee, &[], &anchors, &source, &options) {
            Err(_) => {}
            Ok(p) => panic!("flip at {pos} cleared the certificate: {:?}", p.revocation),
        }
    }
    // Every truncation and many flips of the certificate and the anchor: typed errors.
    for len in 0..ee.len() {
        let err =
            keycarrier_trust::validate(&ee[..len], &[], &anchors, &good, &options).unwrap_err();
        assert!(
            matches!(err, TrustError::Malformed { .. }),
            "{len}: {err:?}"
        );
        assert!(
            TrustAnchors::from_der([&anchor[..len.min(anchor.len())]]).is_err()
                || len >= anchor.len()
        );
    }
    for pos in (0..ee.len()).step_by(5) {
        let mut bad = ee.clone();
        bad[pos] ^= 0x20;
        assert!(
            keycarrier_trust::validate(&bad, &[], &anchors, &good, &options).is_err(),
            "flip at {pos} accepted"
        );
    }
    // Garbage in the intermediate pool is ignored, not a panic and not trusted.
    let junk = vec![vec![0x30, 0x82, 0xff, 0xff], vec![], ee[..100].to_vec()];
    keycarrier_trust::validate(&ee, &junk, &anchors, &good, &options).unwrap();
}
