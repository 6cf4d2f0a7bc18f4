//! Damaged containers: every file of the CryptoPro samples truncated, or with a byte flipped,
//! gives a typed error or — where CryptoPro's reserve copy or an unchecked field absorbs the
//! damage — the right key. Never a panic, never another key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use keycarrier_cryptopro_container::{ContainerFiles, CryptoProContainer};
use token_core::{Error, ErrorCode, Password, SecretBytes};

const SAMPLES: [(&str, &str); 2] = [("g2001.000", "g2001.pem"), ("g2012256.000", "g2012256.pem")];

fn load(dir: &std::path::Path) -> Vec<Vec<u8>> {
    common::FILES
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

fn files(raw: &[Vec<u8>], reserve: bool) -> ContainerFiles {
    ContainerFiles {
        header: raw[0].clone(),
        primary: SecretBytes::new(&raw[1]),
        masks: SecretBytes::new(&raw[2]),
        name: raw[3].clone(),
        primary2: reserve.then(|| SecretBytes::new(&raw[4])),
        masks2: reserve.then(|| SecretBytes::new(&raw[5])),
    }
}

/// Ok only with the expected key; otherwise one of the codes damage may cause.
fn check(raw: &[Vec<u8>], reserve: bool, expected_key: &[u8], what: &str) -> Option<Error> {
    let result = CryptoProContainer::from_files(&files(raw, reserve))
        .and_then(|c| c.unlock(&Password::new("1")));
    match result {
        Ok(key) => {
            assert_eq!(
                key.private_key_pkcs8().expose(),
                expected_key,
                "{what}: unlocked to another key"
            );
            None
        }
        Err(e) => {
            assert!(
                [
                    "KC-MALFORMED",
                    "KC-PASSWORD-WRONG",
                    "KC-CERT-MISMATCH",
                    "KC-UNSUPPORTED"
                ]
                .contains(&e.code()),
                "{what}: {e:?}"
            );
            Some(e)
        }
    }
}

/// Byte positions to flip: all of them, except inside the certificate of header.key (most of
/// the file), where every 7th is enough and keeps the test quick.
fn positions(file: usize, len: usize) -> Vec<usize> {
    (0..len)
        .filter(|i| file != 0 || *i < 80 || *i + 60 > len || i % 7 == 0)
        .collect()
}

#[test]
fn truncated_files_are_typed_errors() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for (folder, pem) in SAMPLES {
        let expected = common::expected(&dir.join(pem)).private_key;
        let raw = load(&dir.join(folder));
        for (i, name) in common::FILES.iter().enumerate() {
            let len = raw[i].len();
            for cut in [0, 1, 2, len / 2, len - 1] {
                let mut damaged = raw.clone();
                damaged[i].truncate(cut);
                let err = check(
                    &damaged,
                    true,
                    &expected,
                    &format!("{folder}/{name}[..{cut}]"),
                );
                assert_eq!(
                    err.map(|e| e.code()),
                    Some("KC-MALFORMED"),
                    "{folder}/{name} cut at {cut}"
                );
            }
        }
    }
}

#[test]
fn flipped_bytes_never_give_another_key() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for (folder, pem) in SAMPLES {
        let expected = common::expected(&dir.join(pem)).private_key;
        let raw = load(&dir.join(folder));
        for (i, name) in common::FILES.iter().enumerate() {
            for at in positions(i, raw[i].len()) {
                let mut damaged = raw.clone();
                damaged[i][at] ^= 0xff;
                let _ = check(&damaged, true, &expected, &format!("{folder}/{name}@{at}"));
            }
        }
    }
}

/// Without the reserve copy nothing absorbs damage to the key: a flipped byte in the
/// encrypted key, the mask or the salt is indistinguishable from a wrong PIN.
#[test]
fn damaged_key_material_without_reserve_reads_as_wrong_pin() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for (folder, pem) in SAMPLES {
        let expected = common::expected(&dir.join(pem)).private_key;
        let raw = load(&dir.join(folder));
        assert!(check(&raw, false, &expected, folder).is_none());
        // primary.key: 30 22 04 20 <32 key bytes>; masks.key: 30 36 04 20 <32 mask> 04 0c <12 salt> …
        for (file, range) in [(1, 4..36), (2, 4..36), (2, 38..50)] {
            for at in range {
                let mut damaged = raw.clone();
                damaged[file][at] ^= 0xff;
                let err = check(
                    &damaged,
                    false,
                    &expected,
                    &format!("{folder} #{file}@{at}"),
                );
                assert!(
                    matches!(err, Some(Error::WrongPasswordOrContainer)),
                    "{folder} file {file} byte {at}: {err:?}"
                );
            }
        }
    }
}
