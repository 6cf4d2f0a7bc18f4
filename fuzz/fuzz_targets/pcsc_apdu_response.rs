#![no_main]
//! Response APDUs come from the card, and command APDUs reach the card fixture: both untrusted.
use libfuzzer_sys::fuzz_target;
use pcsc_apdu::{Command, Response};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Response::from_bytes(data) {
        let _ = r.sw().outcome();
        assert_eq!(r.to_bytes(), data);
    }
    if let Ok(c) = Command::parse(data) {
        let _ = c.to_bytes(false);
    }
});
