//! The fuzz seeds in `fuzz/seeds/cryptopro_container` are containers built for this project
//! (CryptoPro's structure, key bytes a fixed pattern): a 2001, a 2012-256 and a 2012-512 one,
//! without certificate or extensions. They must parse — or the seeds would not reach the
//! unlock code — and their pattern keys must never unlock, with or without a PIN.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use gost::ParamSet;
use keycarrier_cryptopro_container::{ContainerAlgorithm, ContainerFiles, CryptoProContainer};
use token_core::{Error, Password, SecretBytes};

/// The fuzz target's framing: six files, each with a 2-byte little-endian length.
fn unframe(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        out.push(data[2..2 + len].to_vec());
        data = &data[2 + len..];
    }
    out
}

#[test]
fn seeds_parse_and_never_unlock() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/cryptopro_container");
    for (file, algorithm, set) in [
        (
            "synthetic_2001.bin",
            ContainerAlgorithm::Gost2001,
            ParamSet::CryptoProXchA,
        ),
        (
            "synthetic_2012_256.bin",
            ContainerAlgorithm::Gost2012_256,
            ParamSet::CryptoProXchA,
        ),
        (
            "synthetic_2012_512.bin",
            ContainerAlgorithm::Gost2012_512,
            ParamSet::Tc26_512A,
        ),
    ] {
        let parts = unframe(&std::fs::read(seeds.join(file)).unwrap());
        assert_eq!(parts.len(), 6, "{file}");
        let files = ContainerFiles {
            header: parts[0].clone(),
            primary: SecretBytes::new(&parts[1]),
            masks: SecretBytes::new(&parts[2]),
            name: parts[3].clone(),
            primary2: Some(SecretBytes::new(&parts[4])),
            masks2: Some(SecretBytes::new(&parts[5])),
        };
        let c = CryptoProContainer::from_files(&files).unwrap();
        assert_eq!(c.name(), "synthetic");
        assert_eq!(c.algorithm(), algorithm);
        assert_eq!(c.param_set(), set);
        assert!(c.certificate_der().is_none());
        assert!(c.certificate().unwrap().is_none());
        assert!(c.exportable(), "pkaExportable is set in the seeds");
        assert!(c.needs_pin(), "the empty PIN does not open a pattern key");
        for pin in ["", "1"] {
            assert!(matches!(
                c.unlock(&Password::new(pin)),
                Err(Error::WrongPasswordOrContainer)
            ));
        }
    }
}
