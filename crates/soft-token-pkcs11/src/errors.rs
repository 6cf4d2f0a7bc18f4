//! PKCS#11 return values: the result type of the module's logic and the mapping of the soft
//! token's errors.

use cryptoki_sys::*;
use soft_token::SoftToken;
use token_core::Error;

/// A PKCS#11 result.
pub(crate) type R<T> = Result<T, CK_RV>;

/// Maps the token's errors to PKCS#11 return values.
pub(crate) fn rv(e: &Error) -> CK_RV {
    match e {
        Error::WrongPin { .. } => CKR_PIN_INCORRECT,
        Error::PinLocked { .. } | Error::FinalTryRefused { .. } => CKR_PIN_LOCKED,
        Error::PinPolicy(v) => {
            if v.iter().any(|v| {
                matches!(
                    v,
                    token_core::PolicyViolation::TooShort { .. }
                        | token_core::PolicyViolation::TooLong { .. }
                )
            }) {
                CKR_PIN_LEN_RANGE
            } else {
                CKR_PIN_INVALID
            }
        }
        Error::LoginRequired { .. } => CKR_USER_NOT_LOGGED_IN,
        Error::PinLengthRange => CKR_PIN_LEN_RANGE,
        Error::CarrierNotInitialized => CKR_TOKEN_NOT_RECOGNIZED,
        Error::CarrierAbsent | Error::CarrierRemoved => CKR_TOKEN_NOT_PRESENT,
        Error::NotFound { .. } => CKR_OBJECT_HANDLE_INVALID,
        Error::Unsupported { .. } => CKR_FUNCTION_NOT_SUPPORTED,
        Error::Cancelled => CKR_FUNCTION_CANCELED,
        Error::VerificationFailed { .. } => CKR_SIGNATURE_INVALID,
        Error::Storage { .. } | Error::Malformed { .. } => CKR_DEVICE_ERROR,
        _ => CKR_GENERAL_ERROR,
    }
}

pub(crate) fn ck<T>(r: token_core::Result<T>) -> R<T> {
    r.map_err(|e| rv(&e))
}

/// The gate before a new private key (C_GenerateKeyPair, C_CreateObject of a private key, a
/// private key copied onto the token): refused while the SO PIN is a vendor default
/// ([`SoftToken::require_admin_pin_changed`]; the token info shows `CKF_SO_PIN_TO_BE_CHANGED`).
///
/// `CKR_PIN_EXPIRED`, because the PKCS#11 v2.40 base specification's list of return values
/// defines it as "the specified PIN has expired, and the requested operation cannot be carried
/// out unless C_SetPIN is called to change the PIN value", which is exactly the remedy here
/// (C_SetPIN as the SO; `CKF_SO_PIN_TO_BE_CHANGED` says which PIN). The alternatives mislead:
/// `CKR_USER_PIN_NOT_INITIALIZED` speaks of the user's PIN, `CKR_TOKEN_WRITE_PROTECTED` of a
/// permanent state, `CKR_ACTION_PROHIBITED` is for C_CopyObject / C_SetAttributeValue /
/// C_DestroyObject only, and `CKR_FUNCTION_REJECTED` means a user declined. keycarrier's own
/// PKCS#11 backend reads `CKR_PIN_EXPIRED` as `Error::NotAllowed`, the error the soft token's
/// Rust API gives for the same refusal.
pub(crate) fn new_keys_allowed(token: &SoftToken) -> R<()> {
    match token.require_admin_pin_changed() {
        Err(Error::NotAllowed { .. }) => Err(CKR_PIN_EXPIRED),
        other => ck(other),
    }
}
