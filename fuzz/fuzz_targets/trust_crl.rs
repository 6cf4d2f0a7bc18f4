#![no_main]
//! CRLs over untrusted DER or PEM must never panic: read alone, added to an offline source,
//! then used on the public route (`trust::validate`) for a fixed RSA CA and end entity
//! (`fuzz/fixtures/trust`, made by OpenSSL), whose CA's CRL is the seed.
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use trust::{Crl, KeyPurpose, OfflineRevocation, TrustAnchors, ValidationOptions};

const CA: &[u8] = include_bytes!("../fixtures/trust/ca.der");
const EE: &[u8] = include_bytes!("../fixtures/trust/ee.der");

fuzz_target!(|data: &[u8]| {
    let _ = Crl::from_der(data);
    let mut offline = OfflineRevocation::new();
    if offline.add_crl(data).is_err() {
        return;
    }
    let Ok(anchors) = TrustAnchors::from_der([CA]) else {
        return;
    };
    // 2027-06-01: inside the fixtures' validity and the seed CRL's.
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_811_808_000);
    let _ = trust::validate(
        EE,
        &[],
        &anchors,
        &offline,
        &ValidationOptions::new(t, KeyPurpose::Any),
    );
});
