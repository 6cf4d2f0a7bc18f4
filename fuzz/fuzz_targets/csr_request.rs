#![no_main]
//! PKCS#10 parsing and proof-of-possession checks over untrusted DER must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = csr::CertificateRequest::from_der(data) {
        let _ = req.verify();
        let _ = req.requested_extensions();
        let _ = req.russian_subject();
        let _ = req.public_key();
    }
});
