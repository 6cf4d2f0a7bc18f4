//! PKCS#10 certificate requests signed on a key carrier (flow U10), with the Russian
//! (INN, INNLE, OGRN, OGRNIP, SNILS) and Kazakh (IIN, BIN) subject profiles, requested
//! extensions, and the install of the issued certificate (flow U12).
//!
//! Keys never leave the carrier: requests are signed through [`token_core::ContainerSigner`]
//! over any [`token_core::Carrier`] (soft token, PKCS#11 token, card), GOST R 34.10-2012
//! 256/512 and RSA alike. X.509 signature algorithm identifiers are the sign-with-digest OIDs
//! (1.2.643.7.1.1.3.2/.3.3), the signature BIT STRING holds `s ‖ r`.
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository.
//!
//! | flow | here |
//! | --- | --- |
//! | U10 request pre-filled from the current certificate | [`RequestTemplate::from_certificate`], [`RequestTemplate::sign`] |
//! | U11 re-issue signed by the current key | `cms-sign` (`cms_sign::reissue`) wraps a [`CertificateRequest`] |
//! | U12 install the issued certificate | [`install_certificate`] |
//!
//! Identifiers are validated with their check digits before anything is signed; the error
//! ([`token_core::Error::Malformed`]) names the field:
//!
//! ```
//! use keycarrier_csr::{RussianSubject, Subject};
//! let s = RussianSubject { inn: Some("500100732258".into()), ..Default::default() };
//! let err = Subject::from(s).to_name().unwrap_err();
//! assert!(matches!(err, token_core::Error::Malformed { what: "INN", .. }));
//! ```

pub mod ids;
mod install;
mod request;
mod subject;

pub use install::{InstallCheck, InstalledCertificate, check_certificate, install_certificate};
pub use request::{CertificateRequest, RequestTemplate, RequestedExtensions};
pub use subject::{KazakhSubject, RussianSubject, Subject, attribute_text};
