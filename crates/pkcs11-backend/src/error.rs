//! `CKR_*` codes to keycarrier's [`Error`], keeping the function and code as evidence.

use cryptoki::error::{Error as CkError, Rv, RvError};
use cryptoki_sys::CK_RV;
use token_core::{BackendEvidence, Error, PinRole};

use crate::raw::RawError;

/// The numeric `CK_RV` of a `cryptoki` error value (cryptoki 0.12 has no conversion back).
pub(crate) fn ckr_of(e: RvError) -> CK_RV {
    if let RvError::VendorDefined(v) = e {
        return v;
    }
    // The standard codes all lie below 0x300; invert cryptoki's own table.
    (0..0x300)
        .find(|&v| Rv::from(v) == Rv::Error(e))
        .unwrap_or(cryptoki_sys::CKR_GENERAL_ERROR)
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
        s::CKR_FUNCTION_CANCELED | s::CKR_FUNCTION_REJECTED => Error::Rejected,
        _ => Error::Backend(BackendEvidence::Pkcs11 { function, ckr }),
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
