//! The PKCS#11 v2.40 C ABI: `C_GetFunctionList` and the function table; PKCS#11 v3.0's
//! `C_GetInterfaceList` / `C_GetInterface` offering that same v2.40 table as the "PKCS 11"
//! interface; and Rutoken's vendor table `C_EX_GetFunctionListExtended`
//! ([`FunctionListExtended`], with `C_EX_UnblockUserPIN`). The only module with `unsafe`: it
//! reads and writes the caller's memory as the specification defines it and hands Rust values
//! to `crate::module`. Every entry point catches panics (`CKR_GENERAL_ERROR`).

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cryptoki_sys::*;

use crate::attributes::{Attr, Lookup};
use crate::consts::{MAX_PIN_LEN, MIN_PIN_LEN};
use crate::errors::R;
use crate::mech::{MECHANISMS, PssParams};
use crate::module::{self, Out};

mod crypt;
mod wrap;

/// Runs an entry point: a panic becomes `CKR_GENERAL_ERROR`, an `Err` its return value.
fn entry(f: impl FnOnce() -> R<CK_RV>) -> CK_RV {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(rv) | Err(rv)) => rv,
        Err(_) => CKR_GENERAL_ERROR,
    }
}

fn ok(r: R<()>) -> R<CK_RV> {
    r.map(|()| CKR_OK)
}

fn to_usize(n: CK_ULONG) -> R<usize> {
    usize::try_from(n).map_err(|_| CKR_ARGUMENTS_BAD)
}

fn to_ulong(n: usize) -> CK_ULONG {
    CK_ULONG::try_from(n).unwrap_or(CK_UNAVAILABLE_INFORMATION)
}

/// Borrows `len` bytes at `p`; NULL is only allowed for an empty buffer.
///
/// # Safety
/// `p` is NULL or valid for reads of `len` bytes for `'a`, as the PKCS#11 caller guarantees.
unsafe fn bytes<'a>(p: *const u8, len: CK_ULONG) -> R<&'a [u8]> {
    let len = to_usize(len)?;
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(CKR_ARGUMENTS_BAD)
        };
    }
    // SAFETY: `p` is non-NULL and, by this function's contract, valid for `len` bytes.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows an output location; NULL is `CKR_ARGUMENTS_BAD`.
///
/// # Safety
/// `p` is NULL or valid for reads and writes of one `T` for `'a`.
unsafe fn out<'a, T>(p: *mut T) -> R<&'a mut T> {
    // SAFETY: by this function's contract, a non-NULL `p` points to a writable `T`.
    unsafe { p.as_mut() }.ok_or(CKR_ARGUMENTS_BAD)
}

/// Copies a template's types and values.
///
/// # Safety
/// `p` is NULL (with `n` = 0) or points to `n` CK_ATTRIBUTEs whose `pValue`s are NULL or valid
/// for `ulValueLen` bytes.
unsafe fn template(p: *const CK_ATTRIBUTE, n: CK_ULONG) -> R<Vec<Attr>> {
    let n = to_usize(n)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(CKR_ARGUMENTS_BAD);
    }
    // SAFETY: `p` is non-NULL and points to `n` attributes (contract).
    let attrs = unsafe { std::slice::from_raw_parts(p, n) };
    attrs
        .iter()
        .map(|a| {
            // SAFETY: each `pValue` is valid for `ulValueLen` bytes (contract).
            let v = unsafe { bytes(a.pValue.cast::<u8>(), a.ulValueLen) }?;
            Ok((a.type_, zeroize::Zeroizing::new(v.to_vec())))
        })
        .collect()
}

/// Reads a CK_MECHANISM and, for the PSS mechanisms, its CK_RSA_PKCS_PSS_PARAMS.
///
/// # Safety
/// `p` is NULL or points to a CK_MECHANISM whose `pParameter` is NULL or valid for
/// `ulParameterLen` bytes.
unsafe fn mechanism(p: *const CK_MECHANISM) -> R<(CK_MECHANISM_TYPE, Option<PssParams>)> {
    // SAFETY: a non-NULL `p` points to a CK_MECHANISM (contract).
    let m = unsafe { p.as_ref() }.ok_or(CKR_ARGUMENTS_BAD)?;
    let pss = if m.mechanism == CKM_RSA_PKCS_PSS || m.mechanism == CKM_SHA256_RSA_PKCS_PSS {
        let param = m.pParameter.cast::<CK_RSA_PKCS_PSS_PARAMS>();
        if param.is_null() || to_usize(m.ulParameterLen)? != size_of::<CK_RSA_PKCS_PSS_PARAMS>() {
            return Err(CKR_MECHANISM_PARAM_INVALID);
        }
        // SAFETY: `pParameter` is non-NULL and holds `ulParameterLen` = size_of
        // CK_RSA_PKCS_PSS_PARAMS bytes (contract, length checked); the caller's buffer may be
        // unaligned, hence `read_unaligned`.
        let p = unsafe { param.read_unaligned() };
        Some(PssParams {
            hash: p.hashAlg,
            mgf: p.mgf,
            salt_len: p.sLen,
        })
    } else {
        None
    };
    Ok((m.mechanism, pss))
}

/// The capacity of an output buffer: `None` for a NULL buffer (length query).
///
/// # Safety
/// `len` is NULL or points to a readable CK_ULONG.
unsafe fn capacity(buf: *const u8, len: *mut CK_ULONG) -> R<Option<usize>> {
    // SAFETY: contract.
    let len = unsafe { out(len) }?;
    if buf.is_null() {
        Ok(None)
    } else {
        to_usize(*len).map(Some)
    }
}

/// Writes an operation's output the PKCS#11 way.
///
/// # Safety
/// `buf` is NULL or valid for writes of `*len` bytes; `len` is valid for writes.
unsafe fn write_out(result: Out, buf: *mut u8, len: *mut CK_ULONG) -> R<CK_RV> {
    // SAFETY: contract.
    let len = unsafe { out(len) }?;
    match result {
        Out::Len(n) => {
            *len = to_ulong(n);
            Ok(CKR_OK)
        }
        Out::TooSmall(n) => {
            *len = to_ulong(n);
            Ok(CKR_BUFFER_TOO_SMALL)
        }
        Out::Data(_) | Out::Secret(_) => {
            let d: &[u8] = match &result {
                Out::Data(d) => d,
                Out::Secret(s) => s,
                _ => &[],
            };
            // The module produces `Data` only after checking the caller's capacity; checked
            // again here so that this function alone keeps the copy in bounds.
            let capacity = usize::try_from(*len).unwrap_or(usize::MAX);
            if buf.is_null() || d.len() > capacity {
                *len = to_ulong(d.len());
                return Ok(if buf.is_null() {
                    CKR_OK
                } else {
                    CKR_BUFFER_TOO_SMALL
                });
            }
            // SAFETY: `buf` is non-null and, by the caller's contract, valid for `capacity`
            // bytes; `d.len() <= capacity` was checked just above.
            unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), buf, d.len()) };
            *len = to_ulong(d.len());
            Ok(CKR_OK)
        }
    }
}

/// Copies `s` into a blank-padded fixed field.
fn pad(field: &mut [u8], s: &str) {
    field.fill(b' ');
    let mut end = s.len().min(field.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if let (Some(dst), Some(src)) = (field.get_mut(..end), s.as_bytes().get(..end)) {
        dst.copy_from_slice(src);
    }
}

const VERSION: CK_VERSION = CK_VERSION { major: 0, minor: 1 };

unsafe extern "C" fn c_initialize(args: *mut c_void) -> CK_RV {
    entry(|| {
        let args = args.cast::<CK_C_INITIALIZE_ARGS>();
        // SAFETY: pInitArgs is NULL or points to a CK_C_INITIALIZE_ARGS (PKCS#11 §5.4).
        if let Some(a) = unsafe { args.as_ref() } {
            if !a.pReserved.is_null() {
                return Err(CKR_ARGUMENTS_BAD);
            }
            let given = [
                a.CreateMutex.is_some(),
                a.DestroyMutex.is_some(),
                a.LockMutex.is_some(),
                a.UnlockMutex.is_some(),
            ];
            if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
                return Err(CKR_ARGUMENTS_BAD);
            }
            if given[0] && a.flags & CKF_OS_LOCKING_OK == 0 {
                return Err(CKR_CANT_LOCK);
            }
        }
        ok(module::initialize())
    })
}

unsafe extern "C" fn c_finalize(reserved: *mut c_void) -> CK_RV {
    entry(|| {
        if !reserved.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        ok(module::finalize())
    })
}

unsafe extern "C" fn c_get_info(info: *mut CK_INFO) -> CK_RV {
    entry(|| {
        module::with(|_| Ok(()))?;
        // SAFETY: pInfo is NULL or points to a writable CK_INFO.
        let info = unsafe { out(info) }?;
        info.cryptokiVersion = CK_VERSION {
            major: 2,
            minor: 40,
        };
        pad(&mut info.manufacturerID, "keycarrier");
        info.flags = 0;
        pad(&mut info.libraryDescription, "keycarrier soft token");
        info.libraryVersion = VERSION;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_get_slot_list(
    _present: CK_BBOOL,
    list: *mut CK_SLOT_ID,
    count: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        let slots = module::with(|m| Ok(m.slot_list()))?;
        // SAFETY: pulCount is NULL or points to a writable CK_ULONG.
        let count = unsafe { out(count) }?;
        if list.is_null() {
            *count = to_ulong(slots.len());
            return Ok(CKR_OK);
        }
        if to_usize(*count)? < slots.len() {
            *count = to_ulong(slots.len());
            return Ok(CKR_BUFFER_TOO_SMALL);
        }
        // SAFETY: pSlotList is non-NULL and holds *pulCount >= slots.len() entries.
        unsafe { std::ptr::copy_nonoverlapping(slots.as_ptr(), list, slots.len()) };
        *count = to_ulong(slots.len());
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_get_slot_info(slot: CK_SLOT_ID, info: *mut CK_SLOT_INFO) -> CK_RV {
    entry(|| {
        module::with(|m| m.check_slot(slot))?;
        // SAFETY: pInfo is NULL or points to a writable CK_SLOT_INFO.
        let info = unsafe { out(info) }?;
        pad(&mut info.slotDescription, "keycarrier soft token directory");
        pad(&mut info.manufacturerID, "keycarrier");
        info.flags = CKF_TOKEN_PRESENT;
        info.hardwareVersion = VERSION;
        info.firmwareVersion = VERSION;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_get_token_info(slot: CK_SLOT_ID, info: *mut CK_TOKEN_INFO) -> CK_RV {
    entry(|| {
        let desc = module::with(|m| m.token_info(slot))?;
        // SAFETY: pInfo is NULL or points to a writable CK_TOKEN_INFO.
        let info = unsafe { out(info) }?;
        pad(&mut info.label, &desc.label);
        pad(&mut info.manufacturerID, "keycarrier");
        pad(&mut info.model, "soft token");
        pad(&mut info.serialNumber, &desc.serial);
        info.flags = desc.flags;
        info.ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
        info.ulSessionCount = to_ulong(desc.sessions);
        info.ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
        info.ulRwSessionCount = to_ulong(desc.rw_sessions);
        info.ulMaxPinLen = to_ulong(MAX_PIN_LEN);
        info.ulMinPinLen = to_ulong(MIN_PIN_LEN);
        info.ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
        info.ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
        info.ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
        info.ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
        info.hardwareVersion = VERSION;
        info.firmwareVersion = VERSION;
        info.utcTime.fill(b' ');
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_get_mechanism_list(
    slot: CK_SLOT_ID,
    list: *mut CK_MECHANISM_TYPE,
    count: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        module::with(|m| m.check_slot(slot))?;
        let mechs: Vec<CK_MECHANISM_TYPE> = MECHANISMS.iter().map(|m| m.0).collect();
        // SAFETY: pulCount is NULL or points to a writable CK_ULONG.
        let count = unsafe { out(count) }?;
        if list.is_null() {
            *count = to_ulong(mechs.len());
            return Ok(CKR_OK);
        }
        if to_usize(*count)? < mechs.len() {
            *count = to_ulong(mechs.len());
            return Ok(CKR_BUFFER_TOO_SMALL);
        }
        // SAFETY: pMechanismList is non-NULL and holds *pulCount >= mechs.len() entries.
        unsafe { std::ptr::copy_nonoverlapping(mechs.as_ptr(), list, mechs.len()) };
        *count = to_ulong(mechs.len());
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_get_mechanism_info(
    slot: CK_SLOT_ID,
    mech: CK_MECHANISM_TYPE,
    info: *mut CK_MECHANISM_INFO,
) -> CK_RV {
    entry(|| {
        module::with(|m| m.check_slot(slot))?;
        let (_, min, max, flags) = MECHANISMS
            .iter()
            .find(|m| m.0 == mech)
            .ok_or(CKR_MECHANISM_INVALID)?;
        // SAFETY: pInfo is NULL or points to a writable CK_MECHANISM_INFO.
        let info = unsafe { out(info) }?;
        info.ulMinKeySize = *min;
        info.ulMaxKeySize = *max;
        info.flags = *flags;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_init_token(
    slot: CK_SLOT_ID,
    pin: *mut CK_UTF8CHAR,
    pin_len: CK_ULONG,
    label: *mut CK_UTF8CHAR,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPin is valid for ulPinLen bytes; pLabel points to 32 bytes (PKCS#11 §5.6).
        let (pin, label) = unsafe { (bytes(pin, pin_len)?, bytes(label, 32)?) };
        let label = String::from_utf8_lossy(label);
        let label = label.trim_end_matches([' ', '\0']);
        module::with(|m| ok(m.init_token(slot, pin, label)))
    })
}

unsafe extern "C" fn c_init_pin(
    h: CK_SESSION_HANDLE,
    pin: *mut CK_UTF8CHAR,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPin is valid for ulPinLen bytes.
        let pin = unsafe { bytes(pin, len) }?;
        module::with(|m| ok(m.init_pin(h, pin)))
    })
}

unsafe extern "C" fn c_set_pin(
    h: CK_SESSION_HANDLE,
    old: *mut CK_UTF8CHAR,
    old_len: CK_ULONG,
    new: *mut CK_UTF8CHAR,
    new_len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pOldPin / pNewPin are valid for their lengths.
        let (old, new) = unsafe { (bytes(old, old_len)?, bytes(new, new_len)?) };
        module::with(|m| ok(m.set_pin(h, old, new)))
    })
}

unsafe extern "C" fn c_open_session(
    slot: CK_SLOT_ID,
    flags: CK_FLAGS,
    _app: *mut c_void,
    _notify: CK_NOTIFY,
    session: *mut CK_SESSION_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: phSession is NULL or points to a writable handle.
        let session = unsafe { out(session) }?;
        *session = module::with(|m| m.open_session(slot, flags))?;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_close_session(h: CK_SESSION_HANDLE) -> CK_RV {
    entry(|| module::with(|m| ok(m.close_session(h))))
}

unsafe extern "C" fn c_close_all_sessions(slot: CK_SLOT_ID) -> CK_RV {
    entry(|| module::with(|m| ok(m.close_all_sessions(slot))))
}

unsafe extern "C" fn c_get_session_info(h: CK_SESSION_HANDLE, info: *mut CK_SESSION_INFO) -> CK_RV {
    entry(|| {
        let desc = module::with(|m| m.session_info(h))?;
        // SAFETY: pInfo is NULL or points to a writable CK_SESSION_INFO.
        let info = unsafe { out(info) }?;
        info.slotID = desc.slot;
        info.state = desc.state;
        info.flags = desc.flags;
        info.ulDeviceError = 0;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_login(
    h: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    pin: *mut CK_UTF8CHAR,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPin is valid for ulPinLen bytes.
        let pin = unsafe { bytes(pin, len) }?;
        module::with(|m| ok(m.login(h, user, pin)))
    })
}

unsafe extern "C" fn c_logout(h: CK_SESSION_HANDLE) -> CK_RV {
    entry(|| module::with(|m| ok(m.logout(h))))
}

unsafe extern "C" fn c_create_object(
    h: CK_SESSION_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
    object: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: pTemplate holds ulCount attributes; phObject is writable.
        let (tmpl, object) = unsafe { (template(tmpl, n)?, out(object)?) };
        *object = module::with(|m| m.create_object(h, &tmpl))?;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_copy_object(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
    new_object: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: pTemplate holds ulCount attributes; phNewObject is writable.
        let (tmpl, new_object) = unsafe { (template(tmpl, n)?, out(new_object)?) };
        *new_object = module::with(|m| m.copy_object(h, object, &tmpl))?;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_destroy_object(h: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> CK_RV {
    entry(|| module::with(|m| ok(m.destroy_object(h, object))))
}

unsafe extern "C" fn c_get_attribute_value(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
) -> CK_RV {
    entry(|| {
        let n = to_usize(n)?;
        if tmpl.is_null() && n > 0 {
            return Err(CKR_ARGUMENTS_BAD);
        }
        let attrs: &mut [CK_ATTRIBUTE] = if n == 0 {
            &mut []
        } else {
            // SAFETY: pTemplate is non-NULL and holds ulCount writable attributes.
            unsafe { std::slice::from_raw_parts_mut(tmpl, n) }
        };
        let kinds: Vec<CK_ATTRIBUTE_TYPE> = attrs.iter().map(|a| a.type_).collect();
        let found = module::with(|m| m.attributes(h, object, &kinds))?;
        let mut rv = CKR_OK;
        for (a, value) in attrs.iter_mut().zip(found) {
            let v: &[u8] = match &value {
                Lookup::Value(v) => v,
                Lookup::Secret(v) => v,
                Lookup::Sensitive => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    rv = CKR_ATTRIBUTE_SENSITIVE;
                    continue;
                }
                Lookup::Invalid => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    rv = CKR_ATTRIBUTE_TYPE_INVALID;
                    continue;
                }
            };
            if a.pValue.is_null() {
                a.ulValueLen = to_ulong(v.len());
            } else if to_usize(a.ulValueLen)? >= v.len() {
                // SAFETY: pValue is non-NULL and the caller gave ulValueLen >= v.len()
                // writable bytes there.
                unsafe {
                    std::ptr::copy_nonoverlapping(v.as_ptr(), a.pValue.cast::<u8>(), v.len());
                }
                a.ulValueLen = to_ulong(v.len());
            } else {
                a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                rv = CKR_BUFFER_TOO_SMALL;
            }
        }
        Ok(rv)
    })
}

unsafe extern "C" fn c_set_attribute_value(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pTemplate holds ulCount attributes.
        let tmpl = unsafe { template(tmpl, n) }?;
        module::with(|m| ok(m.set_attributes(h, object, &tmpl)))
    })
}

unsafe extern "C" fn c_find_objects_init(
    h: CK_SESSION_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pTemplate holds ulCount attributes.
        let tmpl = unsafe { template(tmpl, n) }?;
        module::with(|m| ok(m.find_init(h, &tmpl)))
    })
}

unsafe extern "C" fn c_find_objects(
    h: CK_SESSION_HANDLE,
    objects: *mut CK_OBJECT_HANDLE,
    max: CK_ULONG,
    count: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pulObjectCount is writable.
        let count = unsafe { out(count) }?;
        if objects.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        let found = module::with(|m| m.find(h, to_usize(max)?))?;
        let found: Vec<CK_OBJECT_HANDLE> = found;
        // SAFETY: phObject holds ulMaxObjectCount >= found.len() handles.
        unsafe { std::ptr::copy_nonoverlapping(found.as_ptr(), objects, found.len()) };
        *count = to_ulong(found.len());
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_find_objects_final(h: CK_SESSION_HANDLE) -> CK_RV {
    entry(|| module::with(|m| ok(m.find_final(h))))
}

unsafe extern "C" fn c_digest_init(h: CK_SESSION_HANDLE, mech: *mut CK_MECHANISM) -> CK_RV {
    entry(|| {
        // SAFETY: pMechanism points to a CK_MECHANISM.
        let (mech, _) = unsafe { mechanism(mech) }?;
        module::with(|m| ok(m.digest_init(h, mech)))
    })
}

unsafe extern "C" fn c_digest(
    h: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    data_len: CK_ULONG,
    digest: *mut CK_BYTE,
    digest_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pData is valid for ulDataLen bytes; pulDigestLen is readable.
        let (data, cap) = unsafe { (bytes(data, data_len)?, capacity(digest, digest_len)?) };
        let result = module::with(|m| m.digest(h, Some(data), cap))?;
        // SAFETY: pDigest is NULL or valid for *pulDigestLen bytes.
        unsafe { write_out(result, digest, digest_len) }
    })
}

unsafe extern "C" fn c_digest_update(
    h: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPart is valid for ulPartLen bytes.
        let part = unsafe { bytes(part, len) }?;
        module::with(|m| ok(m.digest_update(h, part)))
    })
}

unsafe extern "C" fn c_digest_final(
    h: CK_SESSION_HANDLE,
    digest: *mut CK_BYTE,
    digest_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pulDigestLen is readable.
        let cap = unsafe { capacity(digest, digest_len) }?;
        let result = module::with(|m| m.digest(h, None, cap))?;
        // SAFETY: pDigest is NULL or valid for *pulDigestLen bytes.
        unsafe { write_out(result, digest, digest_len) }
    })
}

unsafe extern "C" fn c_sign_init(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: pMechanism points to a CK_MECHANISM.
        let (mech, pss) = unsafe { mechanism(mech) }?;
        module::with(|m| ok(m.sign_init(h, mech, pss, key)))
    })
}

unsafe extern "C" fn c_sign(
    h: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    data_len: CK_ULONG,
    sig: *mut CK_BYTE,
    sig_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pData is valid for ulDataLen bytes; pulSignatureLen is readable.
        let (data, cap) = unsafe { (bytes(data, data_len)?, capacity(sig, sig_len)?) };
        let result = module::sign(h, data, cap)?;
        // SAFETY: pSignature is NULL or valid for *pulSignatureLen bytes.
        unsafe { write_out(result, sig, sig_len) }
    })
}

unsafe extern "C" fn c_sign_update(
    h: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPart is valid for ulPartLen bytes.
        let part = unsafe { bytes(part, len) }?;
        module::with(|m| ok(m.sign_update(h, part)))
    })
}

unsafe extern "C" fn c_sign_final(
    h: CK_SESSION_HANDLE,
    sig: *mut CK_BYTE,
    sig_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pulSignatureLen is readable.
        let cap = unsafe { capacity(sig, sig_len) }?;
        let result = module::sign_final(h, cap)?;
        // SAFETY: pSignature is NULL or valid for *pulSignatureLen bytes.
        unsafe { write_out(result, sig, sig_len) }
    })
}

unsafe extern "C" fn c_verify_init(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: pMechanism points to a CK_MECHANISM.
        let (mech, pss) = unsafe { mechanism(mech) }?;
        module::with(|m| ok(m.verify_init(h, mech, pss, key)))
    })
}

unsafe extern "C" fn c_verify(
    h: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    data_len: CK_ULONG,
    sig: *mut CK_BYTE,
    sig_len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pData and pSignature are valid for their lengths.
        let (data, sig) = unsafe { (bytes(data, data_len)?, bytes(sig, sig_len)?) };
        ok(module::verify(h, Some(data), sig))
    })
}

unsafe extern "C" fn c_verify_update(
    h: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pPart is valid for ulPartLen bytes.
        let part = unsafe { bytes(part, len) }?;
        module::with(|m| ok(m.verify_update(h, part)))
    })
}

unsafe extern "C" fn c_verify_final(
    h: CK_SESSION_HANDLE,
    sig: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pSignature is valid for ulSignatureLen bytes.
        let sig = unsafe { bytes(sig, len) }?;
        ok(module::verify(h, None, sig))
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn c_generate_key_pair(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    pub_tmpl: *mut CK_ATTRIBUTE,
    pub_n: CK_ULONG,
    priv_tmpl: *mut CK_ATTRIBUTE,
    priv_n: CK_ULONG,
    pub_key: *mut CK_OBJECT_HANDLE,
    priv_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        // SAFETY: pMechanism points to a CK_MECHANISM; the templates hold their counts of
        // attributes; phPublicKey / phPrivateKey are writable.
        let (mech, public, private, pub_key, priv_key) = unsafe {
            (
                mechanism(mech)?.0,
                template(pub_tmpl, pub_n)?,
                template(priv_tmpl, priv_n)?,
                out(pub_key)?,
                out(priv_key)?,
            )
        };
        let (p, s) = module::with(|m| m.generate_key_pair(h, mech, &public, &private))?;
        *pub_key = p;
        *priv_key = s;
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_generate_random(
    h: CK_SESSION_HANDLE,
    buf: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        let len = to_usize(len)?;
        if buf.is_null() && len > 0 {
            return Err(CKR_ARGUMENTS_BAD);
        }
        let mut tmp = vec![0u8; len];
        module::with(|m| m.random(h, &mut tmp))?;
        // SAFETY: pRandomData is non-NULL (or len is 0) and valid for ulRandomLen bytes.
        unsafe { std::ptr::copy_nonoverlapping(tmp.as_ptr(), buf, len) };
        Ok(CKR_OK)
    })
}

unsafe extern "C" fn c_seed_random(
    h: CK_SESSION_HANDLE,
    _seed: *mut CK_BYTE,
    _len: CK_ULONG,
) -> CK_RV {
    entry(|| {
        module::with(|m| m.session_info(h).map(drop))?;
        Ok(CKR_RANDOM_SEED_NOT_SUPPORTED)
    })
}

unsafe extern "C" fn c_get_function_status(_h: CK_SESSION_HANDLE) -> CK_RV {
    CKR_FUNCTION_NOT_PARALLEL
}

unsafe extern "C" fn c_cancel_function(_h: CK_SESSION_HANDLE) -> CK_RV {
    CKR_FUNCTION_NOT_PARALLEL
}

/// The function table. Functions the module does not implement are entries that return
/// `CKR_FUNCTION_NOT_SUPPORTED`.
static FUNCTION_LIST: CK_FUNCTION_LIST = CK_FUNCTION_LIST {
    version: CK_VERSION {
        major: 2,
        minor: 40,
    },
    C_Initialize: Some(c_initialize),
    C_Finalize: Some(c_finalize),
    C_GetInfo: Some(c_get_info),
    C_GetFunctionList: Some(C_GetFunctionList),
    C_GetSlotList: Some(c_get_slot_list),
    C_GetSlotInfo: Some(c_get_slot_info),
    C_GetTokenInfo: Some(c_get_token_info),
    C_GetMechanismList: Some(c_get_mechanism_list),
    C_GetMechanismInfo: Some(c_get_mechanism_info),
    C_InitToken: Some(c_init_token),
    C_InitPIN: Some(c_init_pin),
    C_SetPIN: Some(c_set_pin),
    C_OpenSession: Some(c_open_session),
    C_CloseSession: Some(c_close_session),
    C_CloseAllSessions: Some(c_close_all_sessions),
    C_GetSessionInfo: Some(c_get_session_info),
    C_GetOperationState: Some(unsupported::get_operation_state),
    C_SetOperationState: Some(unsupported::set_operation_state),
    C_Login: Some(c_login),
    C_Logout: Some(c_logout),
    C_CreateObject: Some(c_create_object),
    C_CopyObject: Some(c_copy_object),
    C_DestroyObject: Some(c_destroy_object),
    C_GetObjectSize: Some(unsupported::get_object_size),
    C_GetAttributeValue: Some(c_get_attribute_value),
    C_SetAttributeValue: Some(c_set_attribute_value),
    C_FindObjectsInit: Some(c_find_objects_init),
    C_FindObjects: Some(c_find_objects),
    C_FindObjectsFinal: Some(c_find_objects_final),
    C_EncryptInit: Some(crypt::c_encrypt_init),
    C_Encrypt: Some(crypt::c_encrypt),
    C_EncryptUpdate: Some(crypt::c_encrypt_update),
    C_EncryptFinal: Some(crypt::c_encrypt_final),
    C_DecryptInit: Some(crypt::c_decrypt_init),
    C_Decrypt: Some(crypt::c_decrypt),
    C_DecryptUpdate: Some(crypt::c_decrypt_update),
    C_DecryptFinal: Some(crypt::c_decrypt_final),
    C_DigestInit: Some(c_digest_init),
    C_Digest: Some(c_digest),
    C_DigestUpdate: Some(c_digest_update),
    C_DigestKey: Some(unsupported::digest_key),
    C_DigestFinal: Some(c_digest_final),
    C_SignInit: Some(c_sign_init),
    C_Sign: Some(c_sign),
    C_SignUpdate: Some(c_sign_update),
    C_SignFinal: Some(c_sign_final),
    C_SignRecoverInit: Some(unsupported::crypt_init),
    C_SignRecover: Some(unsupported::crypt),
    C_VerifyInit: Some(c_verify_init),
    C_Verify: Some(c_verify),
    C_VerifyUpdate: Some(c_verify_update),
    C_VerifyFinal: Some(c_verify_final),
    C_VerifyRecoverInit: Some(unsupported::crypt_init),
    C_VerifyRecover: Some(unsupported::crypt),
    C_DigestEncryptUpdate: Some(unsupported::crypt),
    C_DecryptDigestUpdate: Some(unsupported::crypt),
    C_SignEncryptUpdate: Some(unsupported::crypt),
    C_DecryptVerifyUpdate: Some(unsupported::crypt),
    C_GenerateKey: Some(unsupported::generate_key),
    C_GenerateKeyPair: Some(c_generate_key_pair),
    C_WrapKey: Some(wrap::c_wrap_key),
    C_UnwrapKey: Some(wrap::c_unwrap_key),
    C_DeriveKey: Some(crypt::c_derive_key),
    C_SeedRandom: Some(c_seed_random),
    C_GenerateRandom: Some(c_generate_random),
    C_GetFunctionStatus: Some(c_get_function_status),
    C_CancelFunction: Some(c_cancel_function),
    C_WaitForSlotEvent: Some(unsupported::wait_for_slot_event),
};

/// The module's PKCS#11 v2.40 entry point.
///
/// # Safety
/// `list` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetFunctionList(list: *mut *mut CK_FUNCTION_LIST) -> CK_RV {
    entry(|| {
        // SAFETY: ppFunctionList is NULL or writable (contract).
        let list = unsafe { out(list) }?;
        // The table is immutable; PKCS#11 callers only read through this pointer (the type is
        // `*mut` for historical reasons).
        *list = std::ptr::from_ref(&FUNCTION_LIST).cast_mut();
        Ok(CKR_OK)
    })
}

/// The interface name of PKCS#11 v3.0 §5.2, NUL-terminated.
const INTERFACE_NAME: &[u8; 8] = b"PKCS 11\0";

/// The one interface the module offers: "PKCS 11" with the v2.40 function list (allowed by
/// PKCS#11 v3.0 §5.2; the module does not claim v3.0), no flags.
struct Interface(CK_INTERFACE);

// SAFETY: both pointers point to immutable statics (the name and `FUNCTION_LIST`); nothing
// writes through them, so sharing the struct between threads is sound.
unsafe impl Sync for Interface {}

static INTERFACE: Interface = Interface(CK_INTERFACE {
    pInterfaceName: INTERFACE_NAME.as_ptr().cast_mut(),
    pFunctionList: std::ptr::from_ref(&FUNCTION_LIST)
        .cast_mut()
        .cast::<c_void>(),
    flags: 0,
});

/// PKCS#11 v3.0 `C_GetInterfaceList`: one interface, "PKCS 11" version 2.40.
///
/// # Safety
/// `list` is NULL or valid for writing `*count` CK_INTERFACEs; `count` is NULL or valid for
/// reads and writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetInterfaceList(
    list: *mut CK_INTERFACE,
    count: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        // SAFETY: pulCount is NULL or valid (contract).
        let count = unsafe { out(count) }?;
        if list.is_null() {
            *count = 1;
            return Ok(CKR_OK);
        }
        if *count < 1 {
            *count = 1;
            return Ok(CKR_BUFFER_TOO_SMALL);
        }
        // SAFETY: pInterfacesList is non-NULL and holds *pulCount >= 1 entries (contract).
        unsafe { list.write(INTERFACE.0) };
        *count = 1;
        Ok(CKR_OK)
    })
}

/// PKCS#11 v3.0 `C_GetInterface`: the "PKCS 11" interface (also for a NULL name), version
/// 2.40 (or any, for a NULL version); flags the interface lacks are `CKR_ARGUMENTS_BAD`, as is
/// any other name or version.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `version` is NULL or points to a CK_VERSION;
/// `interface` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetInterface(
    name: *mut CK_UTF8CHAR,
    version: *mut CK_VERSION,
    interface: *mut *mut CK_INTERFACE,
    flags: CK_FLAGS,
) -> CK_RV {
    entry(|| {
        // SAFETY: ppInterface is NULL or writable (contract).
        let interface = unsafe { out(interface) }?;
        if !name.is_null() {
            // SAFETY: a non-NULL pInterfaceName is NUL-terminated (contract).
            let name = unsafe { std::ffi::CStr::from_ptr(name.cast::<std::ffi::c_char>()) };
            if name.to_bytes_with_nul() != INTERFACE_NAME {
                return Err(CKR_ARGUMENTS_BAD);
            }
        }
        // SAFETY: pVersion is NULL or points to a CK_VERSION (contract); it may be unaligned
        // only in theory (both fields are bytes).
        if let Some(v) = unsafe { version.as_ref() }
            && (v.major, v.minor) != (2, 40)
        {
            return Err(CKR_ARGUMENTS_BAD);
        }
        if flags & !INTERFACE.0.flags != 0 {
            return Err(CKR_ARGUMENTS_BAD);
        }
        *interface = std::ptr::from_ref(&INTERFACE.0).cast_mut();
        Ok(CKR_OK)
    })
}

/// A placeholder entry of [`FunctionListExtended`]: takes no argument and returns
/// `CKR_FUNCTION_NOT_SUPPORTED`. Callers pass the real function's arguments; with the C calling
/// convention on the supported targets (x86-64 System V, AArch64) the caller owns its argument
/// registers and stack, so a callee that ignores them is sound to call with any arguments.
pub type ExUnsupported = unsafe extern "C" fn() -> CK_RV;

/// `C_EX_GetFunctionListExtended`'s function type.
pub type ExGetFunctionListExtended =
    unsafe extern "C" fn(list: *mut *mut FunctionListExtended) -> CK_RV;

/// `C_EX_UnblockUserPIN`'s function type.
pub type ExUnblockUserPin = unsafe extern "C" fn(session: CK_SESSION_HANDLE) -> CK_RV;

/// How many placeholder entries follow the named ones in [`FunctionListExtended`].
pub const EX_FURTHER_ENTRIES: usize = 48;

/// Rutoken's vendor function table (`CK_FUNCTION_LIST_EXTENDED` of Aktiv's `rtpkcs11.h`), laid
/// out exactly like the C struct: a 2-byte `CK_VERSION`, then function pointers at 8-byte
/// alignment (6 bytes of padding after the version on 64-bit targets). The first four pointers
/// are, in Rutoken's order, `C_EX_GetFunctionListExtended`, `C_EX_InitToken`,
/// `C_EX_GetTokenInfoExtended` and `C_EX_UnblockUserPIN`.
///
/// The soft token implements `C_EX_GetFunctionListExtended` and `C_EX_UnblockUserPIN` (so that
/// `pkcs11-backend` can exercise its Rutoken unblock path on a real module). `C_EX_InitToken`,
/// `C_EX_GetTokenInfoExtended` and [`EX_FURTHER_ENTRIES`] further entries — more than Rutoken's
/// table has — are [`ExUnsupported`] placeholders returning `CKR_FUNCTION_NOT_SUPPORTED`, so a
/// caller compiled against a longer `rtpkcs11.h` never reads past the struct or calls NULL.
/// Version 1.0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FunctionListExtended {
    /// The table's version, {1, 0}.
    pub version: CK_VERSION,
    /// `C_EX_GetFunctionListExtended`.
    pub get_function_list_extended: Option<ExGetFunctionListExtended>,
    /// `C_EX_InitToken` (placeholder: not supported).
    pub init_token: Option<ExUnsupported>,
    /// `C_EX_GetTokenInfoExtended` (placeholder: not supported).
    pub get_token_info_extended: Option<ExUnsupported>,
    /// `C_EX_UnblockUserPIN`: the SO logged in on the session resets the user PIN's retry
    /// counter; the user PIN itself is kept.
    pub unblock_user_pin: Option<ExUnblockUserPin>,
    /// `C_EX_SetTokenName` and the rest of Rutoken's table (placeholders: not supported).
    pub further: [Option<ExUnsupported>; EX_FURTHER_ENTRIES],
}

// The C layout on 64-bit targets: version at 0, then 8-byte pointers from offset 8, so the
// unblock function is at 8 + 3 * 8.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::offset_of!(FunctionListExtended, get_function_list_extended) == 8);
    assert!(std::mem::offset_of!(FunctionListExtended, unblock_user_pin) == 32);
    assert!(std::mem::size_of::<FunctionListExtended>() == 40 + 8 * EX_FURTHER_ENTRIES);
};

unsafe extern "C" fn ex_unsupported() -> CK_RV {
    CKR_FUNCTION_NOT_SUPPORTED
}

unsafe extern "C" fn ex_unblock_user_pin(h: CK_SESSION_HANDLE) -> CK_RV {
    entry(|| module::with(|m| ok(m.unblock_user_pin(h))))
}

static FUNCTION_LIST_EXTENDED: FunctionListExtended = FunctionListExtended {
    version: CK_VERSION { major: 1, minor: 0 },
    get_function_list_extended: Some(C_EX_GetFunctionListExtended),
    init_token: Some(ex_unsupported),
    get_token_info_extended: Some(ex_unsupported),
    unblock_user_pin: Some(ex_unblock_user_pin),
    further: [Some(ex_unsupported as ExUnsupported); EX_FURTHER_ENTRIES],
};

/// Rutoken's vendor entry point: the [`FunctionListExtended`] table.
///
/// # Safety
/// `list` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EX_GetFunctionListExtended(
    list: *mut *mut FunctionListExtended,
) -> CK_RV {
    entry(|| {
        // SAFETY: ppFunctionList is NULL or writable (contract).
        let list = unsafe { out(list) }?;
        // Immutable static table; callers only read through the pointer.
        *list = std::ptr::from_ref(&FUNCTION_LIST_EXTENDED).cast_mut();
        Ok(CKR_OK)
    })
}

/// Entries for functions the module does not implement: they touch no argument.
mod unsupported {
    use std::ffi::c_void;

    use cryptoki_sys::*;

    pub(super) unsafe extern "C" fn get_operation_state(
        _: CK_SESSION_HANDLE,
        _: *mut CK_BYTE,
        _: *mut CK_ULONG,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn set_operation_state(
        _: CK_SESSION_HANDLE,
        _: *mut CK_BYTE,
        _: CK_ULONG,
        _: CK_OBJECT_HANDLE,
        _: CK_OBJECT_HANDLE,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn get_object_size(
        _: CK_SESSION_HANDLE,
        _: CK_OBJECT_HANDLE,
        _: *mut CK_ULONG,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn crypt_init(
        _: CK_SESSION_HANDLE,
        _: *mut CK_MECHANISM,
        _: CK_OBJECT_HANDLE,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn crypt(
        _: CK_SESSION_HANDLE,
        _: *mut CK_BYTE,
        _: CK_ULONG,
        _: *mut CK_BYTE,
        _: *mut CK_ULONG,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn digest_key(_: CK_SESSION_HANDLE, _: CK_OBJECT_HANDLE) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn generate_key(
        _: CK_SESSION_HANDLE,
        _: *mut CK_MECHANISM,
        _: *mut CK_ATTRIBUTE,
        _: CK_ULONG,
        _: *mut CK_OBJECT_HANDLE,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
    pub(super) unsafe extern "C" fn wait_for_slot_event(
        _: CK_FLAGS,
        _: *mut CK_SLOT_ID,
        _: *mut c_void,
    ) -> CK_RV {
        CKR_FUNCTION_NOT_SUPPORTED
    }
}
