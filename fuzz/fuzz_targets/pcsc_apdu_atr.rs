#![no_main]
//! ATRs from readers and cards.
use libfuzzer_sys::fuzz_target;
use pcsc_apdu::atr::{Atr, identify};

fuzz_target!(|data: &[u8]| {
    if let Ok(atr) = Atr::parse(data) {
        let _ = atr.historical();
        let _ = identify(&atr);
    }
});
