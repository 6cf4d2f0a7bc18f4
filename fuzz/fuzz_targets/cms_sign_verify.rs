#![no_main]
//! CMS SignedData verification over untrusted DER (attached and detached) must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = cms_sign::VerifyOptions::default();
    let _ = cms_sign::verify(data, None, &opts);
    let _ = cms_sign::verify(data, Some(b"content"), &opts);
});
