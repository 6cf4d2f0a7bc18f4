//! The vocabulary every keycarrier backend shares: key carriers, containers, algorithms, PINs,
//! the PIN policy, errors, and the [`Carrier`] trait that the PKCS#11 backend, the soft token
//! and smart-card code implement. This crate does no I/O.
//!
//! # Where the bank flows live
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository. Here:
//!
//! | flow | here |
//! | --- | --- |
//! | U01 carrier discovery | [`CarrierInfo`], [`CarrierFamily`], [`Carrier::info`] |
//! | U02 containers | [`ContainerInfo`], [`CertificateInfo`], [`Carrier::containers`], [`Carrier::delete_container`], [`Carrier::wipe`] |
//! | U03 PKCS#12 import | [`KeyImport`], [`Carrier::import`], [`Error::WrongPasswordOrContainer`] |
//! | U04 PIN policy | [`PinPolicy`], [`PolicyViolation`], [`Approved`], [`normalize_code`] |
//! | U05 change PIN | [`Carrier::change_pin`], [`Carrier::change_admin_pin`] |
//! | U06 unblock with admin PIN | [`Carrier::reset_pin`] (new user PIN), [`Carrier::unblock_pin`] (user PIN kept, where [`Carrier::can_unblock_pin`]) |
//! | U08 retry counters | [`PinStatus`], [`FinalTry`], [`Error::FinalTryRefused`] |
//! | U09 key generation | [`NewContainer`], [`Carrier::generate`], [`ProgressSink`], [`CancelToken`] |
//! | U12 install certificate | [`Carrier::write_certificate`], [`Error::CertificateMismatch`] |
//! | U14 sign | [`Carrier::sign`], [`ContainerSigner`] (for the x509-cert / cms builders) |
//! | U15 trusted confirmation | [`Confirm`], [`SignRequest::confirm`], [`Error::Rejected`] |
//! | U17 decrypting received documents | [`Carrier::decrypt_key`] (RSA), [`Carrier::agree_key`] (GOST VKO), [`KeyDecryption`], [`KeyAgreement`] |
//!
//! U07 (challenge-response unblock) lives in `pcsc-apdu`, U10–U11 in `csr`, U13 and U16–U20 in
//! `rotation-policy`; they build on the types here.
//!
//! # Secrets
//!
//! [`Pin`], [`AdminPin`] and [`Password`] zeroize on drop, print as `Pin(***)` and compare in
//! constant time. No [`Error`] carries one.
//!
//! ```
//! use keycarrier_token_core::{AdminPin, ErrorCode, Pin, PinPolicy};
//!
//! let policy = PinPolicy::default();
//! // The vendor default and a run of digits are refused, all reasons at once.
//! let refused = policy.approve(Pin::new("12345678"), None).unwrap_err();
//! assert!(refused.len() >= 2);
//! let err = keycarrier_token_core::Error::from(refused);
//! assert_eq!(err.code(), "KC-PIN-POLICY");
//!
//! let new_pin = policy.approve(Pin::new("Rx7mQ2wz"), Some(&Pin::new("12345678"))).unwrap();
//! assert_eq!(format!("{:?}", *new_pin), "Pin(***)");
//! let _admin = AdminPin::new("87654321");
//! ```

mod algorithm;
mod backend;
pub mod ber;
mod carrier;
mod container;
mod decrypt;
mod dn;
mod error;
pub mod oid;
mod paper;
mod pin;
mod policy;
mod progress;
mod secret;
mod signer;

pub use algorithm::{DigestAlgorithm, EcCurve, KeyAlgorithm, SignatureScheme};
pub use backend::{Carrier, Confirm, Decision, SignInput, SignRequest};
pub use carrier::{CarrierFamily, CarrierInfo};
pub use container::{
    CertificateInfo, ContainerId, ContainerInfo, KeyImport, KeyUsageFlags, NewContainer, PublicKey,
};
pub use decrypt::{KeyAgreement, KeyDecryption, OaepHash, RsaKeyTransport, VkoHash};
pub use dn::name_to_string as x509_name_text;
pub use error::{BackendEvidence, Error, ErrorCode, Result};
pub use paper::{CodeAlphabet, normalize_code};
pub use pin::{FinalTry, PinRole, PinStatus};
pub use policy::{
    Approved, PinAlphabet, PinPolicy, PinSecret, PolicyViolation, PolicyViolations,
    VENDOR_DEFAULT_PINS,
};
pub use progress::{CancelToken, NoProgress, Progress, ProgressSink, Stage};
pub use secret::{AdminPin, Password, Pin, SecretBytes};
pub use signer::{CarrierSignature, ContainerSigner, signature_algorithm_identifier};

/// The GOST vocabulary is the `gost` crate's, under the names this crate has always used.
pub use gost::{
    CurveId as GostCurve, KeyParameters as GostKeyParameters, KeySize as GostKeySize,
    ParamSet as GostParamSet,
};

/// Re-exported so backends and users name the same versions.
pub use {const_oid, der, signature, spki, x509_cert, zeroize};
