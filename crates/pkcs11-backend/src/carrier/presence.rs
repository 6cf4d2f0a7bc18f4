//! Is the carrier still there, and is it the same one? Token info is read through here, so a
//! pulled or swapped carrier shows up as [`Error::CarrierRemoved`] rather than as whatever
//! the module happened to answer.

use cryptoki::slot::TokenInfo;
use token_core::{Error, Result};

use super::Pkcs11Carrier;
use crate::error::{ck, is_ckr};

impl Pkcs11Carrier {
    pub(super) fn token_info(&self) -> Result<TokenInfo> {
        let known = self
            .serial
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match self.module().ctx().get_token_info(self.pool.slot()) {
            Ok(t) => {
                let serial = t.serial_number().trim();
                match known {
                    Some(k) if t.token_initialized() && k != serial => Err(Error::CarrierRemoved),
                    _ => Ok(t),
                }
            }
            Err(e) => {
                // CKR_DEVICE_REMOVED and CKR_TOKEN_NOT_PRESENT already map to CarrierRemoved.
                let e = ck("C_GetTokenInfo")(e);
                if is_ckr(&e, cryptoki_sys::CKR_SLOT_ID_INVALID)
                    || (is_ckr(&e, cryptoki_sys::CKR_GENERAL_ERROR) && self.gone(known.as_deref()))
                {
                    Err(Error::CarrierRemoved)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// After `CKR_GENERAL_ERROR` from `C_GetTokenInfo`: whether the carrier is gone, i.e. the
    /// slot is no longer listed with a token, or the carrier opened here (`serial`) is no
    /// longer among the module's readable carriers. SoftHSM with its token deleted keeps the
    /// slot listed, token present, and answers CKR_GENERAL_ERROR; the serial check sees that.
    /// `false` when the lists themselves cannot be read: the original error is then the better
    /// evidence.
    pub(super) fn gone(&self, serial: Option<&str>) -> bool {
        let id = self.pool.slot().id();
        let slot_listed = self
            .module()
            .ctx()
            .get_slots_with_token()
            .map_or(true, |slots| slots.iter().any(|s| s.id() == id));
        if !slot_listed {
            return true;
        }
        match serial {
            Some(serial) => self
                .module()
                .carriers()
                .is_ok_and(|list| list.iter().all(|c| c.info.serial != serial)),
            None => false,
        }
    }

    /// Turns a "not found" after a failure into [`Error::CarrierRemoved`] when the carrier is
    /// gone: objects vanish with their token.
    pub(super) fn explain(&self, e: Error) -> Error {
        match e {
            Error::NotFound { .. } | Error::Backend(_) => match self.token_info() {
                Err(Error::CarrierRemoved) => Error::CarrierRemoved,
                _ => e,
            },
            e => e,
        }
    }
}
