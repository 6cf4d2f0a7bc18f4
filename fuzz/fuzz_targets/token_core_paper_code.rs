#![no_main]
//! The paper-code normaliser takes whatever a user typed.
use libfuzzer_sys::fuzz_target;
use token_core::{CodeAlphabet, normalize_code};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for alphabet in [CodeAlphabet::LATIN_ALPHANUMERIC, CodeAlphabet::WITHOUT_O, CodeAlphabet::DIGITS] {
            let _ = normalize_code(text, &alphabet);
        }
    }
});
