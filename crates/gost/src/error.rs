//! The crate's error type.

use crate::params::CurveId;

/// Why a GOST operation failed. No variant carries key material: reasons name the input
/// (`"private key"`, `"digest"`) and what is wrong with it, never its value.
///
/// The RustCrypto traits ([`signature::Signer`], [`signature::Verifier`], …) report
/// [`signature::Error`]: a failed verification is opaque there, as the `signature` crate asks;
/// malformed input (a digest of the wrong width) and signing failures carry this error as
/// their source.
///
/// ```
/// let err = keycarrier_gost::Signature::from_bytes(&[0u8; 10]).unwrap_err();
/// assert!(matches!(err, keycarrier_gost::Error::Malformed { what: "GOST signature", .. }));
/// assert_eq!(err.to_string(), "malformed GOST signature: 10 bytes; expected 64 (256-bit key) or 128 (512-bit key)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input that cannot be a GOST key, signature or digest: a wrong length, a scalar out of
    /// range, a point off the curve or outside the prime-order subgroup.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read, e.g. `"GOST public key"`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// DER (SPKI, PKCS#8, key parameters) that does not decode or encode.
    #[error("malformed {what}: {source}")]
    Der {
        /// What was being read or written.
        what: &'static str,
        /// The DER error (kind and position).
        #[source]
        source: der::Error,
    },
    /// A key algorithm or parameter-set OID that is not GOST R 34.10-2012 or not known here.
    #[error("not supported: {what}")]
    Unsupported {
        /// What, e.g. `"key algorithm 1.2.840.113549.1.1.1 (not GOST R 34.10-2012)"`.
        what: String,
    },
    /// Key agreement with a peer key on another curve than ours: VKO needs both keys on one
    /// curve (aliases such as CryptoPro-A and XchA count as the same curve).
    #[error("key agreement: the peer's key is on curve {peer:?}, ours on {ours:?}")]
    CurveMismatch {
        /// The curve of our private key.
        ours: CurveId,
        /// The curve of the peer's public key.
        peer: CurveId,
    },
    /// Key agreement gave no usable key (the agreed point is the identity).
    #[error("key agreement: {reason}")]
    KeyAgreement {
        /// Why.
        reason: &'static str,
    },
    /// The random generator failed or kept returning out-of-range values.
    #[error("random generator: {reason}")]
    Rng {
        /// What went wrong.
        reason: String,
    },
    /// No signature could be made: 64 nonces in a row gave `r = 0` or `s = 0`, which does not
    /// happen with a working hash (each has probability about `1/q`).
    #[error("no valid nonce after {attempts} attempts")]
    NonceExhausted {
        /// How many nonces were tried.
        attempts: u32,
    },
}

/// Result with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// A [`Error::Malformed`].
    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            reason: reason.into(),
        }
    }

    /// A [`Error::Der`].
    pub(crate) fn der(what: &'static str) -> impl FnOnce(der::Error) -> Self {
        move |source| Self::Der { what, source }
    }

    /// This error as the source of a [`signature::Error`].
    pub(crate) fn into_signature_error(self) -> signature::Error {
        signature::Error::from_source(self)
    }
}
