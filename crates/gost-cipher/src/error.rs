//! The crate's error type.

/// Why a GOST symmetric operation failed. No variant carries key material or plaintext.
///
/// ```
/// let err = keycarrier_gost_cipher::SecretKey::from_slice(&[0u8; 31]).unwrap_err();
/// assert!(matches!(err, keycarrier_gost_cipher::Error::Length { what: "key", .. }));
/// assert_eq!(err.to_string(), "key: 31 bytes; expected 32");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input of the wrong length: a key, an IV, a UKM, a wrapped key, a tag.
    #[error("{what}: {got} bytes; expected {expected}")]
    Length {
        /// What was wrong, e.g. `"IV"`.
        what: &'static str,
        /// Its length.
        got: usize,
        /// What the algorithm needs (a number or a range, in words).
        expected: String,
    },
    /// A parameter out of range (a section length, a KDF counter width, an output length).
    #[error("invalid {what}: {reason}")]
    Parameter {
        /// Which parameter.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A MAC that does not match: a wrapped key (KImp15, CryptoPro key unwrap) or encrypted
    /// content (the `*-ctracpkm-omac` modes) was altered, or the key is wrong. Nothing that
    /// was decrypted may be used.
    #[error("integrity check failed: {what}")]
    Integrity {
        /// What failed to verify, e.g. `"wrapped key (KImp15)"`.
        what: &'static str,
    },
    /// A content tag where the mode has none, or none where it needs one.
    #[error("{0}")]
    Tag(&'static str),
    /// The key agreement (VKO) supplied to KEG failed; its own error is in the message.
    #[error("key agreement for KEG failed: {0}")]
    KeyAgreement(String),
}

/// Result with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// A [`Error::Length`].
    pub(crate) fn length(what: &'static str, got: usize, expected: impl Into<String>) -> Self {
        Self::Length {
            what,
            got,
            expected: expected.into(),
        }
    }

    /// A [`Error::Parameter`].
    pub(crate) fn parameter(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Parameter {
            what,
            reason: reason.into(),
        }
    }
}
