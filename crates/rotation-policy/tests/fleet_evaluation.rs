//! Bank side: a PEM bundle and a directory of DER certificates streamed into decisions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::BufReader;
use std::time::SystemTime;

use common::*;
use csr::{RequestTemplate, RequestedExtensions};
use keycarrier_rotation_policy::fleet::{self, CertificateDates, FleetSummary, PemCertificates};
use keycarrier_rotation_policy::{Policy, RotationAdvice};
use token_core::{CertificateInfo, ContainerSigner, GostParamSet, KeyAlgorithm};

const ALG: KeyAlgorithm = KeyAlgorithm::Gost(GostParamSet::Tc26_256A);

/// Certificates expiring 200, 45, 1 and 0 days from now and 10 days ago.
fn certificates(dir: &std::path::Path, now: SystemTime) -> Vec<Vec<u8>> {
    let ca = test_ca(&dir.join("ca"), ALG, now);
    let mut t = token(&dir.join("client"), "client");
    let id = generate(&mut t, "k", ALG);
    let req = RequestTemplate::new(employee(), RequestedExtensions::signing_and_encryption("x"))
        .sign(&ContainerSigner::new(&t, &id).unwrap())
        .unwrap();
    let mut out = vec![];
    for days in [200i64, 45, 1, 0, -10] {
        let not_after = if days >= 0 {
            now + DAY * u32::try_from(days).unwrap()
        } else {
            now - DAY * u32::try_from(-days).unwrap()
        } + std::time::Duration::from_secs(60);
        out.push(
            ca.issue(req.as_der(), not_after - DAY * 365, not_after)
                .unwrap(),
        );
    }
    out.push(ca.certificate().to_vec());
    out
}

#[test]
fn fleet_pem_bundle_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    // Noon in Moscow keeps the day arithmetic clear of midnight.
    let now = SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(1_900_000_000 / 86_400 * 86_400 + 9 * 3600);
    let certs = certificates(dir.path(), now);
    for der in &certs {
        let quick = CertificateDates::from_der(der).unwrap();
        let full = CertificateInfo::from_der(der).unwrap();
        assert_eq!(quick.not_after, full.not_after);
        assert_eq!(quick.not_before, full.not_before);
        assert_eq!(quick.serial, full.serial);
    }
    // A PEM bundle with noise between blocks, a key block and a broken certificate block.
    let mut bundle = String::from(
        "# exported by the bank\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    for der in &certs {
        bundle.push_str("subject=whatever\n");
        bundle.push_str(
            &token_core::der::pem::encode_string(
                "CERTIFICATE",
                token_core::der::pem::LineEnding::CRLF,
                der,
            )
            .unwrap(),
        );
    }
    bundle.push_str("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    let mut decisions = vec![];
    let summary = fleet::evaluate(
        &Policy::default(),
        PemCertificates::new(BufReader::new(bundle.as_bytes())),
        now,
        |r| decisions.push(r.map(|(_, d)| d)),
    );
    assert_eq!(
        summary,
        FleetSummary {
            total: 7,
            not_due: 2,
            due: 2,
            blocked: 0,
            office_only: 1,
            expired: 1,
            malformed: 1,
        },
        "{decisions:?}"
    );
    assert!(matches!(
        decisions[0],
        Ok(RotationAdvice::NotDue { days_left: 200, .. })
    ));
    assert!(matches!(
        decisions[1],
        Ok(RotationAdvice::Remind { days_left: 45, .. })
    ));
    assert!(matches!(decisions[2], Ok(RotationAdvice::RotateNow { .. })));
    assert!(matches!(
        decisions[3],
        Ok(RotationAdvice::OfficeOnly { .. })
    ));
    assert!(matches!(
        decisions[4],
        Ok(RotationAdvice::Expired { days_ago: 10, .. })
    ));
    assert!(decisions[6].is_err());

    // A directory of DER (and one PEM) files, plus junk.
    let d = dir.path().join("fleet");
    std::fs::create_dir_all(&d).unwrap();
    for (i, der) in certs.iter().enumerate() {
        std::fs::write(d.join(format!("{i:03}.cer")), der).unwrap();
    }
    std::fs::write(d.join("zzz.der"), b"\x30\x03\x02\x01").unwrap();
    std::fs::write(d.join("readme.txt"), b"ignored").unwrap();
    let mut names = vec![];
    let items = fleet::directory(&d).unwrap().map(|(p, r)| {
        names.push(p.file_name().unwrap().to_string_lossy().into_owned());
        r
    });
    let summary2 = fleet::evaluate(&Policy::default(), items, now, |_| {});
    assert_eq!(summary2.total, 7);
    assert_eq!(summary2.malformed, 1);
    assert_eq!(summary2.due, 2);
    assert_eq!(names.len(), 7);
}

#[test]
fn fleet_parser_never_panics_on_truncated_or_flipped_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let der = certificates(dir.path(), now).remove(0);
    for n in 0..der.len() {
        assert!(CertificateDates::from_der(&der[..n]).is_err());
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut m = der.clone();
        let i = (x % m.len() as u64) as usize;
        m[i] ^= (x >> 40) as u8 | 1;
        let _ = CertificateDates::from_der(&m);
    }
    // Unterminated PEM.
    let mut it = PemCertificates::new(BufReader::new(&b"-----BEGIN CERTIFICATE-----\nMIIB\n"[..]));
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
}
