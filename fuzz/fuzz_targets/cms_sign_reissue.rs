#![no_main]
//! Opening an untrusted re-issue request (U11) must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cms_sign::reissue::open_reissue_request(data, &cms_sign::VerifyOptions::signatures_only());
});
