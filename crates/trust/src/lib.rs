//! Trust decisions for keycarrier: is this signature, this certificate, this document to be
//! believed? (Flow U23 of the bank flows described in `docs/flows.md` in the keycarrier
//! repository.)
//!
//! * [`signature`]: GOST R 34.10-2012 (through the `gost` crate) and RSA signature checks with a
//!   public key alone, for certificates, CRLs, OCSP responses, requests and CMS signer infos;
//! * [`validate`]: RFC 5280 certification path validation from explicit [`TrustAnchors`], with
//!   the rules listed in [`path`];
//! * revocation: CRLs and OCSP responses through a [`RevocationSource`] the application
//!   implements (it owns the network), or [`OfflineRevocation`] over bytes it already has, and
//!   a [`RevocationPolicy`] for when nothing is available (refuse, by default).
//!
//! Every refusal is a typed [`TrustError`] naming the certificate and the rule, with a stable
//! code; it converts into [`token_core::Error::Untrusted`].
//!
//! The validator is at least as strict as `openssl verify` on the same input: the tests build
//! chains with OpenSSL and the gost engine (CA flags, path lengths, key usages, validity at
//! every position, signatures, names, CRLs) and compare verdicts.
//!
//! ```no_run
//! # fn main() -> Result<(), keycarrier_trust::TrustError> {
//! # let (bank_ca, intermediate, signer, crl) = (vec![], vec![], vec![], vec![]);
//! use std::time::SystemTime;
//! use keycarrier_trust::{KeyPurpose, OfflineRevocation, TrustAnchors, ValidationOptions};
//!
//! let anchors = TrustAnchors::from_der([bank_ca.as_slice()])?;
//! let mut revocation = OfflineRevocation::new();
//! revocation.add_crl(&crl)?;
//! let options = ValidationOptions::new(SystemTime::now(), KeyPurpose::DocumentSigning);
//! let path = keycarrier_trust::validate(&signer, &[intermediate], &anchors, &revocation, &options)?;
//! assert!(path.warnings.is_empty());
//! # Ok(()) }
//! ```

mod cert;
mod crl;
mod error;
pub mod ocsp;
mod oids;
pub mod path;
mod revocation;
pub mod signature;

pub use crl::Crl;
pub use error::{RevocationReason, TrustError};
pub use ocsp::{OcspCertStatus, OcspEntry, OcspResponder, OcspResponse};
pub use path::{
    KeyPurpose, TrustAnchors, ValidatedPath, ValidationOptions, read_certificates, validate,
};
pub use revocation::{
    NoRevocation, OfflineRevocation, RevocationPolicy, RevocationSource, RevocationStatus,
};
