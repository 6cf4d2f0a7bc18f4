#![no_main]
//! BER-TLV from card responses.
use libfuzzer_sys::fuzz_target;
use pcsc_apdu::tlv::{self, Tlv};

fuzz_target!(|data: &[u8]| {
    if let Ok(all) = Tlv::parse_all(data) {
        for t in all {
            let _ = t.children();
        }
    }
    let _ = tlv::find(data, 0x81);
});
