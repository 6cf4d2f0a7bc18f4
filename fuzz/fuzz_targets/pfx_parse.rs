#![no_main]
//! Reading an untrusted PFX (U03) must never panic: the structure always, and the MAC check
//! and decryption when the file's iteration counts are small enough to keep the fuzzer fast.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = cms_sign::pfx::inspect_pfx(data) {
        let small = info.mac.iter().map(|m| m.1).chain(info.encryption.iter().map(|e| e.1));
        if small.into_iter().all(|n| n <= 16) {
            let _ = cms_sign::pfx::open_pfx(data, &token_core::Password::new("secret"));
        }
    }
});
