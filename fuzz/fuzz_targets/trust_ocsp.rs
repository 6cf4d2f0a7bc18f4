#![no_main]
//! OCSP responses over untrusted DER must never panic: parsed alone, then checked on the public
//! route (`trust::validate` with the response as the only revocation source) for a fixed RSA
//! CA and end entity (`fuzz/fixtures/trust`, made by OpenSSL), whose good response signed by
//! the CA is the seed.
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use trust::{KeyPurpose, OcspResponse, OfflineRevocation, TrustAnchors, ValidationOptions};

const CA: &[u8] = include_bytes!("../fixtures/trust/ca.der");
const EE: &[u8] = include_bytes!("../fixtures/trust/ee.der");

fuzz_target!(|data: &[u8]| {
    let Ok(response) = OcspResponse::from_der(data) else {
        return;
    };
    let _ = (
        response.produced_at(),
        response.responder(),
        response.entries(),
    );
    let mut offline = OfflineRevocation::new();
    if offline.add_ocsp_response(data).is_err() {
        return;
    }
    let Ok(anchors) = TrustAnchors::from_der([CA]) else {
        return;
    };
    // 2027-06-01: inside the fixtures' validity and after the seed's thisUpdate.
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_811_808_000);
    let _ = trust::validate(
        EE,
        &[],
        &anchors,
        &offline,
        &ValidationOptions::new(t, KeyPurpose::Any),
    );
});
