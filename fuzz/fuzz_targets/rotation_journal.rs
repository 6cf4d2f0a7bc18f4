//! The rotation journal parser must never panic on any bytes; what it accepts round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rotation_policy::journal::Journal;

fuzz_target!(|data: &[u8]| {
    if let Ok(journal) = Journal::parse(data) {
        let text = journal.to_text();
        let again = Journal::parse(text.as_bytes()).expect("a written journal parses");
        assert_eq!(again, journal);
    }
});
