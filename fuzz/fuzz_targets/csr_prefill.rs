#![no_main]
//! Pre-filling a request from an untrusted certificate (U10) must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = csr::RequestTemplate::from_certificate(data) {
        let _ = t.subject.to_name();
    }
});
