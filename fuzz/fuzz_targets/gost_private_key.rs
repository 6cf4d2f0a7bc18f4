#![no_main]
//! GOST PKCS#8 decoding (raw, nested OCTET STRING and INTEGER forms) must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = gost::SigningKey::from_pkcs8_der(data) {
        let _ = key.to_pkcs8_der();
    }
});
