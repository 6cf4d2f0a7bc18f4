#![no_main]
//! SubjectPublicKeyInfo parsing (GOST parameters, RSA modulus size) must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = token_core::PublicKey::from_spki_der(data) {
        let _ = key.to_der();
        let _ = key.algorithm().to_string();
    }
});
