//! `CKR_*` codes to keycarrier's [`Error`], keeping the function and code as evidence.

use cryptoki::error::{Error as CkError, RvError};
use cryptoki_sys::CK_RV;
use token_core::{BackendEvidence, Error, PinRole};

use crate::raw::RawError;

/// The numeric `CK_RV` of a `cryptoki` error value (cryptoki 0.12 has no conversion back).
///
/// A direct reverse of cryptoki's own `CK_RV` → [`RvError`] table; an `UnknownErrorCode` keeps
/// its number, whatever its size.
pub(crate) fn ckr_of(e: RvError) -> CK_RV {
    use RvError as E;
    use cryptoki_sys as s;
    match e {
        E::Cancel => s::CKR_CANCEL,
        E::HostMemory => s::CKR_HOST_MEMORY,
        E::SlotIdInvalid => s::CKR_SLOT_ID_INVALID,
        E::GeneralError => s::CKR_GENERAL_ERROR,
        E::FunctionFailed => s::CKR_FUNCTION_FAILED,
        E::ArgumentsBad => s::CKR_ARGUMENTS_BAD,
        E::NoEvent => s::CKR_NO_EVENT,
        E::NeedToCreateThreads => s::CKR_NEED_TO_CREATE_THREADS,
        E::CantLock => s::CKR_CANT_LOCK,
        E::AttributeReadOnly => s::CKR_ATTRIBUTE_READ_ONLY,
        E::AttributeSensitive => s::CKR_ATTRIBUTE_SENSITIVE,
        E::AttributeTypeInvalid => s::CKR_ATTRIBUTE_TYPE_INVALID,
        E::AttributeValueInvalid => s::CKR_ATTRIBUTE_VALUE_INVALID,
        E::ActionProhibited => s::CKR_ACTION_PROHIBITED,
        E::DataInvalid => s::CKR_DATA_INVALID,
        E::DataLenRange => s::CKR_DATA_LEN_RANGE,
        E::DeviceError => s::CKR_DEVICE_ERROR,
        E::DeviceMemory => s::CKR_DEVICE_MEMORY,
        E::DeviceRemoved => s::CKR_DEVICE_REMOVED,
        E::EncryptedDataInvalid => s::CKR_ENCRYPTED_DATA_INVALID,
        E::EncryptedDataLenRange => s::CKR_ENCRYPTED_DATA_LEN_RANGE,
        E::FunctionCanceled => s::CKR_FUNCTION_CANCELED,
        E::FunctionNotParallel => s::CKR_FUNCTION_NOT_PARALLEL,
        E::FunctionNotSupported => s::CKR_FUNCTION_NOT_SUPPORTED,
        E::CurveNotSupported => s::CKR_CURVE_NOT_SUPPORTED,
        E::KeyHandleInvalid => s::CKR_KEY_HANDLE_INVALID,
        E::KeySizeRange => s::CKR_KEY_SIZE_RANGE,
        E::KeyTypeInconsistent => s::CKR_KEY_TYPE_INCONSISTENT,
        E::KeyNotNeeded => s::CKR_KEY_NOT_NEEDED,
        E::KeyChanged => s::CKR_KEY_CHANGED,
        E::KeyNeeded => s::CKR_KEY_NEEDED,
        E::KeyIndigestible => s::CKR_KEY_INDIGESTIBLE,
        E::KeyFunctionNotPermitted => s::CKR_KEY_FUNCTION_NOT_PERMITTED,
        E::KeyNotWrappable => s::CKR_KEY_NOT_WRAPPABLE,
        E::KeyUnextractable => s::CKR_KEY_UNEXTRACTABLE,
        E::MechanismInvalid => s::CKR_MECHANISM_INVALID,
        E::MechanismParamInvalid => s::CKR_MECHANISM_PARAM_INVALID,
        E::ObjectHandleInvalid => s::CKR_OBJECT_HANDLE_INVALID,
        E::OperationActive => s::CKR_OPERATION_ACTIVE,
        E::OperationNotInitialized => s::CKR_OPERATION_NOT_INITIALIZED,
        E::PinIncorrect => s::CKR_PIN_INCORRECT,
        E::PinInvalid => s::CKR_PIN_INVALID,
        E::PinLenRange => s::CKR_PIN_LEN_RANGE,
        E::PinExpired => s::CKR_PIN_EXPIRED,
        E::PinLocked => s::CKR_PIN_LOCKED,
        E::SessionClosed => s::CKR_SESSION_CLOSED,
        E::SessionCount => s::CKR_SESSION_COUNT,
        E::SessionHandleInvalid => s::CKR_SESSION_HANDLE_INVALID,
        E::SessionParallelNotSupported => s::CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        E::SessionReadOnly => s::CKR_SESSION_READ_ONLY,
        E::SessionExists => s::CKR_SESSION_EXISTS,
        E::SessionReadOnlyExists => s::CKR_SESSION_READ_ONLY_EXISTS,
        E::SessionReadWriteSoExists => s::CKR_SESSION_READ_WRITE_SO_EXISTS,
        E::SignatureInvalid => s::CKR_SIGNATURE_INVALID,
        E::SignatureLenRange => s::CKR_SIGNATURE_LEN_RANGE,
        E::TemplateIncomplete => s::CKR_TEMPLATE_INCOMPLETE,
        E::TemplateInconsistent => s::CKR_TEMPLATE_INCONSISTENT,
        E::TokenNotPresent => s::CKR_TOKEN_NOT_PRESENT,
        E::TokenNotRecognized => s::CKR_TOKEN_NOT_RECOGNIZED,
        E::TokenWriteProtected => s::CKR_TOKEN_WRITE_PROTECTED,
        E::UnwrappingKeyHandleInvalid => s::CKR_UNWRAPPING_KEY_HANDLE_INVALID,
        E::UnwrappingKeySizeRange => s::CKR_UNWRAPPING_KEY_SIZE_RANGE,
        E::UnwrappingKeyTypeInconsistent => s::CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
        E::UserAlreadyLoggedIn => s::CKR_USER_ALREADY_LOGGED_IN,
        E::UserNotLoggedIn => s::CKR_USER_NOT_LOGGED_IN,
        E::UserPinNotInitialized => s::CKR_USER_PIN_NOT_INITIALIZED,
        E::UserTypeInvalid => s::CKR_USER_TYPE_INVALID,
        E::UserAnotherAlreadyLoggedIn => s::CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        E::UserTooManyTypes => s::CKR_USER_TOO_MANY_TYPES,
        E::WrappedKeyInvalid => s::CKR_WRAPPED_KEY_INVALID,
        E::WrappedKeyLenRange => s::CKR_WRAPPED_KEY_LEN_RANGE,
        E::WrappingKeyHandleInvalid => s::CKR_WRAPPING_KEY_HANDLE_INVALID,
        E::WrappingKeySizeRange => s::CKR_WRAPPING_KEY_SIZE_RANGE,
        E::WrappingKeyTypeInconsistent => s::CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        E::RandomSeedNotSupported => s::CKR_RANDOM_SEED_NOT_SUPPORTED,
        E::RandomNoRng => s::CKR_RANDOM_NO_RNG,
        E::DomainParamsInvalid => s::CKR_DOMAIN_PARAMS_INVALID,
        E::BufferTooSmall => s::CKR_BUFFER_TOO_SMALL,
        E::SavedStateInvalid => s::CKR_SAVED_STATE_INVALID,
        E::InformationSensitive => s::CKR_INFORMATION_SENSITIVE,
        E::StateUnsaveable => s::CKR_STATE_UNSAVEABLE,
        E::CryptokiNotInitialized => s::CKR_CRYPTOKI_NOT_INITIALIZED,
        E::CryptokiAlreadyInitialized => s::CKR_CRYPTOKI_ALREADY_INITIALIZED,
        E::MutexBad => s::CKR_MUTEX_BAD,
        E::MutexNotLocked => s::CKR_MUTEX_NOT_LOCKED,
        E::NewPinMode => s::CKR_NEW_PIN_MODE,
        E::NextOtp => s::CKR_NEXT_OTP,
        E::ExceededMaxIterations => s::CKR_EXCEEDED_MAX_ITERATIONS,
        E::FipsSelfTestFailed => s::CKR_FIPS_SELF_TEST_FAILED,
        E::LibraryLoadFailed => s::CKR_LIBRARY_LOAD_FAILED,
        E::PinTooWeak => s::CKR_PIN_TOO_WEAK,
        E::PublicKeyInvalid => s::CKR_PUBLIC_KEY_INVALID,
        E::FunctionRejected => s::CKR_FUNCTION_REJECTED,
        E::VendorDefined(v) | E::UnknownErrorCode(v) => v,
    }
}

/// `ckr` as the `u64` [`BackendEvidence::Pkcs11`] stores (`CK_RV` is 32 bits where `c_ulong`
/// is).
#[allow(clippy::useless_conversion)] // a no-op only where CK_RV is already u64
pub(crate) fn ckr_u64(ckr: CK_RV) -> u64 {
    u64::from(ckr)
}

/// Whether `e` is the backend evidence of a PKCS#11 call that returned `ckr`.
pub(crate) fn is_ckr(e: &Error, ckr: CK_RV) -> bool {
    matches!(e, Error::Backend(BackendEvidence::Pkcs11 { ckr: c, .. }) if *c == ckr_u64(ckr))
}

/// Maps a raw `CK_RV` from `function` into an [`Error`]. `role` is whose PIN or login the
/// call concerned, for the PIN and login errors.
pub(crate) fn map_ckr(function: &'static str, ckr: CK_RV, role: PinRole) -> Error {
    use cryptoki_sys as s;
    match ckr {
        s::CKR_PIN_INCORRECT => Error::WrongPin {
            role,
            retries_left: None,
        },
        s::CKR_PIN_LOCKED => Error::PinLocked { role },
        s::CKR_USER_NOT_LOGGED_IN => Error::LoginRequired { role },
        s::CKR_PIN_LEN_RANGE => Error::PinLengthRange,
        s::CKR_DEVICE_REMOVED | s::CKR_TOKEN_NOT_PRESENT => Error::CarrierRemoved,
        s::CKR_TOKEN_NOT_RECOGNIZED => Error::CarrierNotInitialized,
        s::CKR_USER_PIN_NOT_INITIALIZED => Error::NotAllowed {
            reason: "the user PIN has not been set on this carrier".into(),
        },
        s::CKR_MECHANISM_INVALID => Error::Unsupported {
            what: format!("mechanism ({function})"),
        },
        s::CKR_PIN_EXPIRED => Error::NotAllowed {
            reason: "PIN expired; change it".into(),
        },
        // The user declined on the device (a signing confirmation, a PIN pad): for a signature
        // that is a rejection; for anything else a cancellation.
        s::CKR_FUNCTION_CANCELED | s::CKR_FUNCTION_REJECTED if function.starts_with("C_Sign") => {
            Error::Rejected
        }
        s::CKR_FUNCTION_CANCELED | s::CKR_FUNCTION_REJECTED => Error::Cancelled,
        _ => Error::Backend(BackendEvidence::Pkcs11 {
            function,
            ckr: ckr_u64(ckr),
        }),
    }
}

/// A closure for `map_err` on `cryptoki` results.
pub(crate) fn ck(function: &'static str) -> impl Fn(CkError) -> Error {
    ck_as(function, PinRole::User)
}

/// Like [`ck`], naming the PIN role the call concerned.
pub(crate) fn ck_as(function: &'static str, role: PinRole) -> impl Fn(CkError) -> Error {
    move |e| from_cryptoki(function, e, role)
}

/// Maps a `cryptoki` error.
pub(crate) fn from_cryptoki(function: &'static str, e: CkError, role: PinRole) -> Error {
    match e {
        CkError::Pkcs11(rv, _) => map_ckr(function, ckr_of(rv), role),
        CkError::LibraryLoading(err) => Error::Backend(BackendEvidence::Other(format!(
            "cannot load the PKCS#11 module: {err}"
        ))),
        other => Error::Backend(BackendEvidence::Other(format!("{function}: {other}"))),
    }
}

impl From<RawError> for Error {
    fn from(e: RawError) -> Self {
        map_ckr(e.function, e.ckr, PinRole::User)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::ErrorCode;

    #[test]
    fn codes_invert_cryptoki_table() {
        assert_eq!(
            ckr_of(RvError::PinIncorrect),
            cryptoki_sys::CKR_PIN_INCORRECT
        );
        assert_eq!(ckr_of(RvError::SessionHandleInvalid), 0xB3);
        assert_eq!(ckr_of(RvError::VendorDefined(0x8000_0001)), 0x8000_0001);
        // A code cryptoki does not know keeps its number, also at or above 0x300.
        assert_eq!(ckr_of(RvError::UnknownErrorCode(0x1F0)), 0x1F0);
        assert_eq!(ckr_of(RvError::UnknownErrorCode(0x350)), 0x350);
    }

    #[test]
    fn every_code_cryptoki_knows_round_trips() {
        use cryptoki::error::Rv;
        // Codes cryptoki names (and some it does not) come back unchanged. (Unknown codes make
        // cryptoki log through `log`; no logger is installed here.)
        for v in (0..0x1C0).chain([0x1F0, 0x350, 0x8000_0001]) {
            if let Rv::Error(e) = Rv::from(v) {
                assert_eq!(ckr_of(e), v, "{e:?}");
            }
        }
    }

    #[test]
    fn mapping_follows_the_brief() {
        let m = |ckr| map_ckr("C_Login", ckr, PinRole::Admin);
        assert!(matches!(
            m(cryptoki_sys::CKR_PIN_INCORRECT),
            Error::WrongPin {
                role: PinRole::Admin,
                ..
            }
        ));
        assert_eq!(m(cryptoki_sys::CKR_PIN_LOCKED).code(), "KC-PIN-LOCKED");
        assert_eq!(m(cryptoki_sys::CKR_PIN_LEN_RANGE).code(), "KC-PIN-LENGTH");
        assert_eq!(
            m(cryptoki_sys::CKR_DEVICE_REMOVED).code(),
            "KC-CARRIER-REMOVED"
        );
        assert_eq!(
            m(cryptoki_sys::CKR_TOKEN_NOT_PRESENT).code(),
            "KC-CARRIER-REMOVED"
        );
        assert_eq!(
            m(cryptoki_sys::CKR_USER_NOT_LOGGED_IN).code(),
            "KC-LOGIN-REQUIRED"
        );
        assert_eq!(
            m(cryptoki_sys::CKR_FUNCTION_CANCELED).code(),
            "KC-CANCELLED"
        );
        assert_eq!(
            m(cryptoki_sys::CKR_FUNCTION_REJECTED).code(),
            "KC-CANCELLED"
        );
        let sign = |ckr| map_ckr("C_Sign", ckr, PinRole::User);
        assert_eq!(
            sign(cryptoki_sys::CKR_FUNCTION_CANCELED).code(),
            "KC-REJECTED"
        );
        assert_eq!(
            sign(cryptoki_sys::CKR_FUNCTION_REJECTED).code(),
            "KC-REJECTED"
        );
        assert!(matches!(
            m(cryptoki_sys::CKR_PIN_EXPIRED),
            Error::NotAllowed { .. }
        ));
        let e = m(cryptoki_sys::CKR_DEVICE_ERROR);
        assert!(matches!(
            e,
            Error::Backend(BackendEvidence::Pkcs11 {
                function: "C_Login",
                ckr: 0x30
            })
        ));
    }
}
