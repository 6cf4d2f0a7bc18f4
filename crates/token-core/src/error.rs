//! The one error type of keycarrier, in the user's terms.
//!
//! Every variant has a stable [`ErrorCode::code`] (`KC-PIN-WRONG`, `KC-CARRIER-REMOVED`, …) a
//! support desk can search for, whatever language the GUI speaks. Backend failures keep the raw
//! evidence (PKCS#11 function and `CKR_*` value, or the card's status word) so nothing is lost
//! in translation. No variant ever holds a PIN, password or key.
//!
//! ```
//! use keycarrier_token_core::{Error, ErrorCode, PinRole};
//! let e = Error::WrongPin { role: PinRole::User, retries_left: Some(2) };
//! assert_eq!(e.code(), "KC-PIN-WRONG");
//! assert_eq!(e.to_string(), "wrong user PIN, 2 attempt(s) left");
//! ```

use core::fmt;

use crate::{PinRole, PolicyViolations};

/// Raw evidence of a failure below keycarrier: what the module or card actually said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendEvidence {
    /// A PKCS#11 call returned a `CKR_*` code.
    Pkcs11 {
        /// The C function, e.g. `"C_Login"`.
        function: &'static str,
        /// The `CK_RV` value.
        ckr: u64,
    },
    /// A card answered an APDU with a status word.
    StatusWord {
        /// The instruction byte of the command.
        ins: u8,
        /// SW1SW2.
        sw: u16,
    },
    /// The PC/SC layer reported an error code.
    Pcsc {
        /// The `SCARD_*` error value.
        code: u32,
    },
    /// Anything else, described in words.
    Other(String),
}

impl fmt::Display for BackendEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pkcs11 { function, ckr } => write!(f, "{function} returned CKR 0x{ckr:08X}"),
            Self::StatusWord { ins, sw } => write!(f, "card answered {sw:04X} to INS {ins:02X}"),
            Self::Pcsc { code } => write!(f, "PC/SC error 0x{code:08X}"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// Everything that can go wrong with a key carrier, a container or a document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PIN was wrong; the carrier may say how many attempts are left.
    #[error("wrong {role} PIN{}", RetriesSuffix(*retries_left))]
    WrongPin {
        /// Whose PIN.
        role: PinRole,
        /// Attempts left, where the carrier reports them.
        retries_left: Option<u8>,
    },
    /// The PIN is blocked.
    #[error("the {role} PIN is blocked")]
    PinLocked {
        /// Whose PIN.
        role: PinRole,
    },
    /// One attempt is left and the caller did not allow spending it (flow U08).
    #[error("one {role} PIN attempt is left; not used without explicit permission")]
    FinalTryRefused {
        /// Whose PIN.
        role: PinRole,
    },
    /// The new PIN breaks the PIN policy; every violation is listed.
    #[error("the new PIN is not accepted: {0}")]
    PinPolicy(PolicyViolations),
    /// The operation needs a login first.
    #[error("log in with the {role} PIN first")]
    LoginRequired {
        /// The role needed.
        role: PinRole,
    },
    /// The PIN has a length the carrier does not accept.
    #[error("the carrier does not accept a PIN of that length")]
    PinLengthRange,
    /// A file's password is wrong, or the file belongs to another key container (flow U03).
    #[error("wrong password or key container")]
    WrongPasswordOrContainer,
    /// No carrier is present in the reader or slot.
    #[error("no key carrier is present")]
    CarrierAbsent,
    /// The carrier was removed during the operation.
    #[error("the key carrier was removed")]
    CarrierRemoved,
    /// The carrier is not initialised (blank).
    #[error("the key carrier is not initialised")]
    CarrierNotInitialized,
    /// Something looked up does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `"container 3f2a…"`.
        what: String,
    },
    /// Something to be created exists already.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What exists.
        what: String,
    },
    /// An algorithm, parameter set or mechanism the carrier or this library does not support.
    #[error("not supported: {what}")]
    Unsupported {
        /// What, e.g. `"RSA 1024"` or `"CKM_GOSTR3410_512"`.
        what: String,
    },
    /// The caller cancelled (for instance a long key generation, flow U09).
    #[error("cancelled")]
    Cancelled,
    /// The confirmation hook rejected the signing request (flow U15); nothing was signed.
    #[error("rejected by the user; nothing was signed")]
    Rejected,
    /// Input bytes or text could not be understood.
    #[error("malformed {what}{}: {reason}", At(*at))]
    Malformed {
        /// What was being read, e.g. `"certificate"`.
        what: &'static str,
        /// Byte offset (or 1-based character position for typed text) where known.
        at: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// A signature, MAC or certificate check failed.
    #[error("verification failed: {what}")]
    VerificationFailed {
        /// What did not verify.
        what: String,
    },
    /// A certificate, its path to a trust anchor, or its revocation status was not accepted
    /// (the `trust` crate's path validator). `code` is the validator's specific code
    /// (`KC-TRUST-NOT-CA`, `KC-REVOKED`, …), `reason` names the certificate and the rule.
    #[error("not trusted: {reason}")]
    Untrusted {
        /// The specific, stable code.
        code: &'static str,
        /// What was refused and why.
        reason: String,
    },
    /// The certificate does not belong to the container's key (flow U12).
    #[error("the certificate does not match the key")]
    CertificateMismatch,
    /// The operation is not allowed in the current state, e.g. rotation refused on the expiry
    /// day (flow U16).
    #[error("not allowed now: {reason}")]
    NotAllowed {
        /// Why.
        reason: String,
    },
    /// Reading or writing local storage failed.
    #[error("storage: {context}")]
    Storage {
        /// What was being done, with the path where helpful.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The module, card or driver failed; the raw evidence is kept.
    #[error("backend failure: {0}")]
    Backend(BackendEvidence),
}

struct RetriesSuffix(Option<u8>);

impl fmt::Display for RetriesSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, ", {n} attempt(s) left"),
            None => Ok(()),
        }
    }
}

struct At(Option<usize>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, " at {n}"),
            None => Ok(()),
        }
    }
}

/// A stable, searchable code for an error.
pub trait ErrorCode {
    /// The code, e.g. `"KC-PIN-WRONG"`. Codes never change meaning once released.
    fn code(&self) -> &'static str;
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongPin { .. } => "KC-PIN-WRONG",
            Self::PinLocked { .. } => "KC-PIN-LOCKED",
            Self::FinalTryRefused { .. } => "KC-PIN-FINAL-TRY",
            Self::PinPolicy(_) => "KC-PIN-POLICY",
            Self::LoginRequired { .. } => "KC-LOGIN-REQUIRED",
            Self::PinLengthRange => "KC-PIN-LENGTH",
            Self::WrongPasswordOrContainer => "KC-PASSWORD-WRONG",
            Self::CarrierAbsent => "KC-CARRIER-ABSENT",
            Self::CarrierRemoved => "KC-CARRIER-REMOVED",
            Self::CarrierNotInitialized => "KC-CARRIER-BLANK",
            Self::NotFound { .. } => "KC-NOT-FOUND",
            Self::AlreadyExists { .. } => "KC-EXISTS",
            Self::Unsupported { .. } => "KC-UNSUPPORTED",
            Self::Cancelled => "KC-CANCELLED",
            Self::Rejected => "KC-REJECTED",
            Self::Malformed { .. } => "KC-MALFORMED",
            Self::VerificationFailed { .. } => "KC-VERIFY-FAILED",
            Self::Untrusted { code, .. } => code,
            Self::CertificateMismatch => "KC-CERT-MISMATCH",
            Self::NotAllowed { .. } => "KC-NOT-ALLOWED",
            Self::Storage { .. } => "KC-STORAGE",
            Self::Backend(BackendEvidence::Pkcs11 { .. }) => "KC-BACKEND-PKCS11",
            Self::Backend(BackendEvidence::StatusWord { .. }) => "KC-BACKEND-CARD",
            Self::Backend(BackendEvidence::Pcsc { .. }) => "KC-BACKEND-PCSC",
            Self::Backend(BackendEvidence::Other(_)) => "KC-BACKEND",
        }
    }
}

impl Error {
    /// A [`Error::Malformed`] from a DER decoding error, keeping its byte position.
    pub fn malformed_der(what: &'static str, err: der::Error) -> Self {
        Self::Malformed {
            what,
            at: err
                .position()
                .map(|p| usize::try_from(u32::from(p)).unwrap_or(usize::MAX)),
            reason: err.kind().to_string(),
        }
    }

    /// A [`Error::Storage`] with context.
    pub fn storage(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Storage {
            context: context.into(),
            source,
        }
    }
}

/// An I/O failure without more context (prefer [`Error::storage`], which names what was being
/// done).
impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Self::Storage {
            context: "input/output".into(),
            source,
        }
    }
}

/// A `gost` failure in keycarrier's terms: malformed input stays [`Error::Malformed`] (DER
/// errors keep their position), an unknown algorithm or parameter set is
/// [`Error::Unsupported`], a failed random generator is a [`Error::Backend`] failure.
impl From<gost::Error> for Error {
    fn from(e: gost::Error) -> Self {
        match e {
            gost::Error::Malformed { what, reason } => Self::Malformed {
                what,
                at: None,
                reason,
            },
            gost::Error::Der { what, source } => Self::malformed_der(what, source),
            gost::Error::Unsupported { what } => Self::Unsupported { what },
            other => Self::Backend(BackendEvidence::Other(format!("GOST: {other}"))),
        }
    }
}

impl From<PolicyViolations> for Error {
    fn from(v: PolicyViolations) -> Self {
        Self::PinPolicy(v)
    }
}

/// Result with keycarrier's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyViolation;
    use std::collections::HashSet;

    fn all_variants() -> Vec<Error> {
        vec![
            Error::WrongPin {
                role: PinRole::User,
                retries_left: None,
            },
            Error::PinLocked {
                role: PinRole::Admin,
            },
            Error::FinalTryRefused {
                role: PinRole::User,
            },
            Error::PinPolicy(PolicyViolations(vec![PolicyViolation::VendorDefault])),
            Error::LoginRequired {
                role: PinRole::User,
            },
            Error::PinLengthRange,
            Error::WrongPasswordOrContainer,
            Error::CarrierAbsent,
            Error::CarrierRemoved,
            Error::CarrierNotInitialized,
            Error::NotFound {
                what: "container".into(),
            },
            Error::AlreadyExists {
                what: "container".into(),
            },
            Error::Unsupported {
                what: "RSA 1024".into(),
            },
            Error::Cancelled,
            Error::Rejected,
            Error::Malformed {
                what: "certificate",
                at: Some(4),
                reason: "bad tag".into(),
            },
            Error::VerificationFailed {
                what: "signature".into(),
            },
            Error::Untrusted {
                code: "KC-TRUST-NOT-CA",
                reason: "\"CN=x\" is not a CA certificate".into(),
            },
            Error::CertificateMismatch,
            Error::NotAllowed {
                reason: "expiry day".into(),
            },
            Error::storage("write", std::io::Error::other("disk full")),
            Error::Backend(BackendEvidence::Pkcs11 {
                function: "C_Login",
                ckr: 0xA0,
            }),
            Error::Backend(BackendEvidence::StatusWord {
                ins: 0x20,
                sw: 0x63C2,
            }),
            Error::Backend(BackendEvidence::Pcsc { code: 0x8010_0069 }),
            Error::Backend(BackendEvidence::Other("x".into())),
        ]
    }

    /// These strings are a published contract: support desks search for them.
    #[test]
    fn codes_are_stable_and_unique() {
        let codes: Vec<&str> = all_variants().iter().map(ErrorCode::code).collect();
        assert_eq!(
            codes,
            [
                "KC-PIN-WRONG",
                "KC-PIN-LOCKED",
                "KC-PIN-FINAL-TRY",
                "KC-PIN-POLICY",
                "KC-LOGIN-REQUIRED",
                "KC-PIN-LENGTH",
                "KC-PASSWORD-WRONG",
                "KC-CARRIER-ABSENT",
                "KC-CARRIER-REMOVED",
                "KC-CARRIER-BLANK",
                "KC-NOT-FOUND",
                "KC-EXISTS",
                "KC-UNSUPPORTED",
                "KC-CANCELLED",
                "KC-REJECTED",
                "KC-MALFORMED",
                "KC-VERIFY-FAILED",
                "KC-TRUST-NOT-CA",
                "KC-CERT-MISMATCH",
                "KC-NOT-ALLOWED",
                "KC-STORAGE",
                "KC-BACKEND-PKCS11",
                "KC-BACKEND-CARD",
                "KC-BACKEND-PCSC",
                "KC-BACKEND",
            ]
        );
        let unique: HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn messages_keep_evidence() {
        let e = Error::Backend(BackendEvidence::Pkcs11 {
            function: "C_Sign",
            ckr: 0x101,
        });
        assert_eq!(
            e.to_string(),
            "backend failure: C_Sign returned CKR 0x00000101"
        );
        let e = Error::Backend(BackendEvidence::StatusWord {
            ins: 0x20,
            sw: 0x6983,
        });
        assert_eq!(
            e.to_string(),
            "backend failure: card answered 6983 to INS 20"
        );
        let e = Error::Malformed {
            what: "certificate",
            at: Some(7),
            reason: "bad tag".into(),
        };
        assert_eq!(e.to_string(), "malformed certificate at 7: bad tag");
        assert_eq!(
            Error::WrongPin {
                role: PinRole::Admin,
                retries_left: None
            }
            .to_string(),
            "wrong admin PIN"
        );
    }

    #[test]
    fn der_errors_keep_position() {
        use der::Decode;
        let err = der::asn1::OctetString::from_der(&[0x04, 0x05, 0x00]).unwrap_err();
        let e = Error::malformed_der("octet string", err);
        assert_eq!(e.code(), "KC-MALFORMED");
        assert!(matches!(e, Error::Malformed { at: Some(_), .. }), "{e:?}");
    }

    #[test]
    fn gost_errors_map_to_their_kind() {
        let e = Error::from(gost::Signature::from_bytes(&[0; 3]).unwrap_err());
        assert!(
            matches!(
                e,
                Error::Malformed {
                    what: "GOST signature",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Error::from(gost::VerifyingKey::from_spki_der(&[0x30, 0x00]).unwrap_err());
        assert_eq!(e.code(), "KC-MALFORMED");
        let rsa_spki = [
            0x30, 0x1a, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
            0x01, 0x05, 0x00, 0x03, 0x09, 0x00, 0x30, 0x06, 0x02, 0x01, 0x03, 0x02, 0x01, 0x03,
        ];
        let e = Error::from(gost::VerifyingKey::from_spki_der(&rsa_spki).unwrap_err());
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    }
}
