//! **Test fixture**: inserts keycarrier's virtual PIN card into a vpcd reader and serves it
//! until vpcd closes the connection or the process is stopped.
//!
//! ```text
//! kc-card-fixture [PORT] [USER_PIN] [PUK] [3DES_KEY_HEX]
//! ```
//! Defaults: port 35963 (`Virtual PCD 00 00`), user PIN `1234`, PUK `87654321`, card-admin
//! key `0123456789ABCDEFFEDCBA98765432100F1E2D3C4B5A6978` (3DES, 24 bytes). Then try
//! `opensc-tool -r 0 -s 00:20:00:81 -s 00:84:00:00:08`.

use std::process::ExitCode;

use keycarrier_pcsc_apdu::fixture::{FixtureConfig, VPCD_PORT, VirtualCard};
use keycarrier_pcsc_apdu::unblock::{AdminKey, UnblockScheme};

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let Ok(port) = arg(0, &VPCD_PORT.to_string()).parse::<u16>() else {
        eprintln!("PORT must be a number");
        return ExitCode::from(2);
    };
    let key_hex = arg(3, "0123456789ABCDEFFEDCBA98765432100F1E2D3C4B5A6978");
    let Some(key) = unhex(&key_hex).and_then(|k| AdminKey::new(UnblockScheme::Tdes, &k).ok())
    else {
        eprintln!("3DES_KEY_HEX must be 48 hex digits");
        return ExitCode::from(2);
    };
    let config = FixtureConfig::new(&arg(1, "1234"), &arg(2, "87654321"), key);
    let card = match VirtualCard::insert(port, config) {
        Ok(card) => card,
        Err(e) => {
            eprintln!(
                "cannot connect to vpcd on 127.0.0.1:{port}: {e} (is pcscd running? scripts/pcscd.sh start)"
            );
            return ExitCode::FAILURE;
        }
    };
    eprintln!("virtual card inserted on port {port}; Ctrl-C to remove");
    while !card.is_removed() {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    eprintln!("vpcd closed the connection");
    ExitCode::SUCCESS
}
