//! CryptoPro CSP containers made by CryptoPro itself (the get-cpcert samples, PIN `1`): the key
//! recovered must be byte for byte the PKCS#8 in the sample's `.pem`, and its public key the
//! certificate's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use gost::ParamSet;
use keycarrier_cryptopro_container::{ContainerAlgorithm, ContainerFiles, CryptoProContainer};
use token_core::der::Decode;
use token_core::x509_cert::Certificate;
use token_core::{Error, ErrorCode, Password, SecretBytes};

struct Sample {
    folder: &'static str,
    pem: &'static str,
    name: &'static str,
    algorithm: ContainerAlgorithm,
}

const SAMPLES: [Sample; 2] = [
    Sample {
        folder: "g2001.000",
        pem: "g2001.pem",
        name: "g2001",
        algorithm: ContainerAlgorithm::Gost2001,
    },
    Sample {
        folder: "g2012256.000",
        pem: "g2012256.pem",
        name: "g2012256",
        algorithm: ContainerAlgorithm::Gost2012_256,
    },
];

#[test]
fn samples_open_and_unlock_to_the_expected_key() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for s in SAMPLES {
        let expected = common::expected(&dir.join(s.pem));
        let container = CryptoProContainer::open(&dir.join(s.folder)).unwrap();
        assert_eq!(container.name(), s.name);
        assert_eq!(container.algorithm(), s.algorithm);
        // Both samples are on XchA (= the CryptoPro-A curve).
        assert_eq!(container.param_set(), ParamSet::CryptoProXchA);
        assert!(container.needs_pin(), "{}", s.folder);
        assert_eq!(container.certificate_der(), Some(&expected.certificate[..]));

        let key = container.unlock(&Password::new("1")).unwrap();
        assert_eq!(
            key.private_key_pkcs8().expose(),
            &expected.private_key[..],
            "{}: PKCS#8 differs from the sample's",
            s.folder
        );
        // The public key we computed is the certificate's SPKI, byte for byte.
        let cert = Certificate::from_der(&expected.certificate).unwrap();
        let spki =
            token_core::der::Encode::to_der(cert.tbs_certificate().subject_public_key_info())
                .unwrap();
        assert_eq!(key.public_key_der(), &spki[..], "{}", s.folder);
        assert_eq!(key.certificate_der(), Some(&expected.certificate[..]));
        assert_eq!(
            key.signing_key().is_some(),
            s.algorithm != ContainerAlgorithm::Gost2001
        );
        assert!(!format!("{key:?}").contains(&format!("{:?}", &expected.private_key[40..])));
    }
}

#[test]
fn wrong_pin_is_a_typed_error() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for s in SAMPLES {
        let container = CryptoProContainer::open(&dir.join(s.folder)).unwrap();
        for pin in ["2", "", "11", "1 "] {
            let err = container.unlock(&Password::new(pin)).unwrap_err();
            assert!(
                matches!(err, Error::WrongPasswordOrContainer),
                "{} with {pin:?}: {err:?}",
                s.folder
            );
            assert_eq!(err.code(), "KC-PASSWORD-WRONG");
        }
    }
}

fn files_of(dir: &std::path::Path) -> ContainerFiles {
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    ContainerFiles {
        header: read("header.key"),
        primary: SecretBytes::from_vec(read("primary.key")),
        masks: SecretBytes::from_vec(read("masks.key")),
        name: read("name.key"),
        primary2: Some(SecretBytes::from_vec(read("primary2.key"))),
        masks2: Some(SecretBytes::from_vec(read("masks2.key"))),
    }
}

/// primary2.key / masks2.key are a second, independently masked copy of the same key: alone
/// (as if they were the primary copy) they give the same PKCS#8.
#[test]
fn the_reserve_copy_holds_the_same_key() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    for s in SAMPLES {
        let expected = common::expected(&dir.join(s.pem));
        let all = files_of(&dir.join(s.folder));
        assert_ne!(
            all.primary,
            *all.primary2.as_ref().unwrap(),
            "a different masking"
        );
        let reserve_only = ContainerFiles {
            primary: all.primary2.clone().unwrap(),
            masks: all.masks2.clone().unwrap(),
            primary2: None,
            masks2: None,
            ..all.clone()
        };
        let key = CryptoProContainer::from_files(&reserve_only)
            .unwrap()
            .unlock(&Password::new("1"))
            .unwrap();
        assert_eq!(key.private_key_pkcs8().expose(), &expected.private_key[..]);
    }
}

#[test]
fn missing_files_are_not_found() {
    let Some(dir) = common::cryptopro_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for f in ["header.key", "primary.key", "masks.key", "name.key"] {
        let _ = std::fs::remove_dir_all(tmp.path().join("c.000"));
        let copy = tmp.path().join("c.000");
        std::fs::create_dir(&copy).unwrap();
        for g in common::FILES.iter().filter(|g| **g != f) {
            std::fs::copy(dir.join("g2012256.000").join(g), copy.join(g)).unwrap();
        }
        let err = CryptoProContainer::open(&copy).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{f}: {err:?}");
    }
    // Without the reserve copy the folder still opens and unlocks.
    let copy = tmp.path().join("c.000");
    std::fs::copy(dir.join("g2012256.000/name.key"), copy.join("name.key")).unwrap();
    std::fs::remove_file(copy.join("primary2.key")).unwrap();
    std::fs::remove_file(copy.join("masks2.key")).unwrap();
    let c = CryptoProContainer::open(&copy).unwrap();
    assert!(c.unlock(&Password::new("1")).is_ok());
    // Half a reserve copy is damage.
    std::fs::copy(dir.join("g2012256.000/masks2.key"), copy.join("masks2.key")).unwrap();
    assert_eq!(
        CryptoProContainer::open(&copy).unwrap_err().code(),
        "KC-MALFORMED"
    );
}
