#![no_main]
//! CMS SignedData verification over untrusted DER (attached and detached) must never panic,
//! signatures only or with a trust anchor (the path validator then reads the certificates and
//! CRLs the SignedData carries).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = cms_sign::VerifyOptions::signatures_only();
    let _ = cms_sign::verify(data, None, &opts);
    let _ = cms_sign::verify_report(data, Some(b"content"), &opts);
    // Any certificate found in the input serves as its own anchor, so path validation runs.
    let mut anchors = trust::TrustAnchors::new();
    if let Ok(certs) = trust::read_certificates(data) {
        for c in certs {
            let _ = anchors.add_der(&c);
        }
    }
    if !anchors.is_empty() {
        let _ = cms_sign::verify(data, None, &cms_sign::VerifyOptions::trusting(&anchors));
    }
});
