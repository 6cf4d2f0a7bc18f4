#![no_main]
//! Certificate inspection (U02) over untrusted DER must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = token_core::CertificateInfo::from_der(data);
});
