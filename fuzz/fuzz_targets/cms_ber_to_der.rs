#![no_main]
//! BER → DER on untrusted CMS / PFX bytes must never panic, and its output must be a fixed
//! point: converting DER again changes nothing.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(der) = cms_sign::ber::to_der(data) {
        let again = cms_sign::ber::to_der(&der).expect("DER output converts again");
        assert_eq!(again, der, "to_der is not idempotent");
    }
});
