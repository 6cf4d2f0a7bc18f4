//! The C entry points C_WrapKey and C_UnwrapKey (secret keys under KExp15 / the CryptoPro key
//! wrap). Part of the `ffi` module, the C boundary: it only converts arguments, after checking
//! that the module is initialised.

use cryptoki_sys::*;

use super::crypt::{initialized, mechanism};
use super::{bytes, capacity, entry, out, template, to_usize, write_out};
use crate::module;

pub(super) unsafe extern "C" fn c_wrap_key(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    wrapping: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
    wrapped: *mut CK_BYTE,
    wrapped_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: pMechanism points to a CK_MECHANISM; pulWrappedKeyLen is readable and
        // writable; pWrappedKey is NULL or valid for *pulWrappedKeyLen bytes.
        let ((mech, param), cap) = unsafe { (mechanism(mech)?, capacity(wrapped, wrapped_len)?) };
        let result = module::with(|m| m.wrap_key(h, mech, &param, wrapping, key, cap))?;
        // SAFETY: as above.
        unsafe { write_out(result, wrapped, wrapped_len) }
    })
}

#[allow(clippy::too_many_arguments)] // the C signature
pub(super) unsafe extern "C" fn c_unwrap_key(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    unwrapping: CK_OBJECT_HANDLE,
    wrapped: *mut CK_BYTE,
    wrapped_len: CK_ULONG,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
    key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        initialized()?;
        to_usize(n)?;
        // SAFETY: pMechanism points to a CK_MECHANISM; pWrappedKey is valid for
        // ulWrappedKeyLen bytes; pTemplate holds ulAttributeCount attributes; phKey is
        // writable.
        let ((mech, param), wrapped, template, key) = unsafe {
            (
                mechanism(mech)?,
                bytes(wrapped, wrapped_len)?,
                template(tmpl, n)?,
                out(key)?,
            )
        };
        *key = module::with(|m| m.unwrap_key(h, mech, &param, unwrapping, wrapped, &template))?;
        Ok(CKR_OK)
    })
}
