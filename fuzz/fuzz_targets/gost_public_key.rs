#![no_main]
//! GOST SubjectPublicKeyInfo decoding (parameters, OCTET STRING wrapper, point validation)
//! must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = gost::VerifyingKey::from_spki_der(data) {
        let _ = key.to_spki_der();
    }
});
