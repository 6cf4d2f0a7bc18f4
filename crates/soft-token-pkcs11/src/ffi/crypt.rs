//! The C entry points of opening envelopes (flow U17): C_EncryptInit / C_Encrypt /
//! C_EncryptUpdate / C_EncryptFinal, the same for decryption, and C_DeriveKey, and the reading
//! of their mechanism parameters (CK_RSA_PKCS_OAEP_PARAMS, CK_GOSTR3410_DERIVE_PARAMS,
//! CK_ECDH1_DERIVE_PARAMS, and the byte-string parameters of the symmetric and wrapping
//! mechanisms). Part of the
//! `ffi` module, the C boundary: it only converts arguments. Each entry point first checks
//! that the module is initialised, so that `CKR_CRYPTOKI_NOT_INITIALIZED` comes before any
//! complaint about the arguments.

use cryptoki_sys::*;

use super::{bytes, capacity, entry, ok, out, template, to_usize, write_out};
use crate::consts::{CKM_GOSTR3410_12_DERIVE, CKM_VKO_GOSTR3410_2012_512};
use crate::crypt::RawParam;
use crate::module;
use crate::symmetric::SYMMETRIC;
use crate::wrap::WRAPPING;

/// `CKR_CRYPTOKI_NOT_INITIALIZED` unless C_Initialize was called.
pub(super) fn initialized() -> Result<(), CK_RV> {
    module::with(|_| Ok(()))
}

/// Reads a `T` parameter of exactly `size_of::<T>()` bytes; `None` if absent or mis-sized.
///
/// # Safety
/// `m.pParameter` is NULL or valid for `m.ulParameterLen` bytes.
unsafe fn param_struct<T>(m: &CK_MECHANISM) -> Option<T> {
    let p = m.pParameter.cast::<T>();
    if p.is_null() || usize::try_from(m.ulParameterLen).ok()? != size_of::<T>() {
        return None;
    }
    // SAFETY: non-NULL and `ulParameterLen` = size_of::<T>() bytes long (contract, checked);
    // the caller's buffer may be unaligned, hence `read_unaligned`. `T` is a plain C struct of
    // integers and pointers, valid for any bit pattern.
    Some(unsafe { p.read_unaligned() })
}

/// Copies the public data and UKM buffers of a derive parameter; `Bad` for a NULL pointer
/// with a non-zero length.
///
/// # Safety
/// Each pointer is NULL or valid for its length.
unsafe fn derive_param(
    kdf: u64,
    public: (*const u8, CK_ULONG),
    ukm: (*const u8, CK_ULONG),
) -> RawParam {
    // SAFETY: contract.
    match unsafe { (bytes(public.0, public.1), bytes(ukm.0, ukm.1)) } {
        (Ok(public), Ok(ukm)) => RawParam::Derive {
            kdf,
            public: public.to_vec(),
            ukm: ukm.to_vec(),
        },
        _ => RawParam::Bad,
    }
}

/// Reads a CK_MECHANISM and its parameter, without judging the parameter (the module does,
/// after the session checks).
///
/// # Safety
/// `p` is NULL or points to a CK_MECHANISM whose `pParameter` is NULL or valid for
/// `ulParameterLen` bytes, and whose buffers inside the parameter are valid for their lengths.
pub(super) unsafe fn mechanism(
    p: *const CK_MECHANISM,
) -> Result<(CK_MECHANISM_TYPE, RawParam), CK_RV> {
    // SAFETY: a non-NULL `p` points to a CK_MECHANISM (contract).
    let m = unsafe { p.as_ref() }.ok_or(CKR_ARGUMENTS_BAD)?;
    let param = match m.mechanism {
        // SAFETY (all three): `pParameter` is valid for `ulParameterLen` bytes (contract).
        CKM_RSA_PKCS_OAEP => match unsafe { param_struct::<CK_RSA_PKCS_OAEP_PARAMS>(m) } {
            Some(o) => RawParam::Oaep {
                hash: o.hashAlg,
                mgf: o.mgf,
                source: o.source,
                source_len: o.ulSourceDataLen,
            },
            None => RawParam::Bad,
        },
        CKM_GOSTR3410_12_DERIVE => match unsafe { param_struct::<CK_GOSTR3410_DERIVE_PARAMS>(m) } {
            // SAFETY: the parameter's buffers are valid for their lengths (contract).
            Some(d) => unsafe {
                derive_param(
                    d.kdf,
                    (d.pPublicData, d.ulPublicDataLen),
                    (d.pUKM, d.ulUKMLen),
                )
            },
            None => RawParam::Bad,
        },
        CKM_VKO_GOSTR3410_2012_512 => match unsafe { param_struct::<CK_ECDH1_DERIVE_PARAMS>(m) } {
            // SAFETY: the parameter's buffers are valid for their lengths (contract).
            Some(d) => unsafe {
                derive_param(
                    d.kdf,
                    (d.pPublicData, d.ulPublicDataLen),
                    (d.pSharedData, d.ulSharedDataLen),
                )
            },
            None => RawParam::Bad,
        },
        mech if SYMMETRIC.contains(&mech) || WRAPPING.contains(&mech) => {
            // SAFETY: `pParameter` is NULL or valid for `ulParameterLen` bytes (contract).
            match unsafe { bytes(m.pParameter.cast::<u8>(), m.ulParameterLen) } {
                Ok([]) => RawParam::None,
                Ok(b) => RawParam::Bytes(b.to_vec()),
                Err(_) => RawParam::Bad,
            }
        }
        _ if m.pParameter.is_null() || m.ulParameterLen == 0 => RawParam::None,
        _ => RawParam::Bad,
    };
    Ok((m.mechanism, param))
}

pub(super) unsafe extern "C" fn c_encrypt_init(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: pMechanism points to a CK_MECHANISM.
        let (mech, param) = unsafe { mechanism(mech) }?;
        module::with(|m| ok(m.encrypt_init(h, mech, &param, key)))
    })
}

pub(super) unsafe extern "C" fn c_encrypt(
    h: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    data_len: CK_ULONG,
    enc: *mut CK_BYTE,
    enc_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: pData is valid for ulDataLen bytes; pulEncryptedDataLen is readable.
        let (data, cap) = unsafe { (bytes(data, data_len)?, capacity(enc, enc_len)?) };
        let result = module::with(|m| m.encrypt(h, data, cap))?;
        // SAFETY: pEncryptedData is NULL or valid for *pulEncryptedDataLen bytes.
        unsafe { write_out(result, enc, enc_len) }
    })
}

pub(super) unsafe extern "C" fn c_decrypt_init(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: pMechanism points to a CK_MECHANISM.
        let (mech, param) = unsafe { mechanism(mech) }?;
        module::with(|m| ok(m.decrypt_init(h, mech, &param, key)))
    })
}

pub(super) unsafe extern "C" fn c_decrypt(
    h: CK_SESSION_HANDLE,
    enc: *mut CK_BYTE,
    enc_len: CK_ULONG,
    data: *mut CK_BYTE,
    data_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: pEncryptedData is valid for ulEncryptedDataLen bytes; pulDataLen is readable.
        let (enc, cap) = unsafe { (bytes(enc, enc_len)?, capacity(data, data_len)?) };
        let result = module::with(|m| m.decrypt(h, enc, cap))?;
        // SAFETY: pData is NULL or valid for *pulDataLen bytes.
        unsafe { write_out(result, data, data_len) }
    })
}

/// C_EncryptUpdate / C_DecryptUpdate (`encrypt` says which).
///
/// # Safety
/// `input` is valid for `input_len` bytes; `out_len` is readable and writable; `out` is NULL
/// or valid for `*out_len` bytes.
unsafe fn crypt_update(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    input: *const CK_BYTE,
    input_len: CK_ULONG,
    out: *mut CK_BYTE,
    out_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: contract.
        let (input, cap) = unsafe { (bytes(input, input_len)?, capacity(out, out_len)?) };
        let result = module::with(|m| m.crypt_update(h, encrypt, input, cap))?;
        // SAFETY: contract.
        unsafe { write_out(result, out, out_len) }
    })
}

/// C_EncryptFinal / C_DecryptFinal.
///
/// # Safety
/// `out_len` is readable and writable; `out` is NULL or valid for `*out_len` bytes.
unsafe fn crypt_final(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    out: *mut CK_BYTE,
    out_len: *mut CK_ULONG,
) -> CK_RV {
    entry(|| {
        initialized()?;
        // SAFETY: contract.
        let cap = unsafe { capacity(out, out_len) }?;
        let result = module::with(|m| m.crypt_final(h, encrypt, cap))?;
        // SAFETY: contract.
        unsafe { write_out(result, out, out_len) }
    })
}

pub(super) unsafe extern "C" fn c_encrypt_update(
    h: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    part_len: CK_ULONG,
    enc: *mut CK_BYTE,
    enc_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 caller's pointers are as `crypt_update` requires.
    unsafe { crypt_update(h, true, part, part_len, enc, enc_len) }
}

pub(super) unsafe extern "C" fn c_encrypt_final(
    h: CK_SESSION_HANDLE,
    last: *mut CK_BYTE,
    last_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 caller's pointers are as `crypt_final` requires.
    unsafe { crypt_final(h, true, last, last_len) }
}

pub(super) unsafe extern "C" fn c_decrypt_update(
    h: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    part_len: CK_ULONG,
    data: *mut CK_BYTE,
    data_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 caller's pointers are as `crypt_update` requires.
    unsafe { crypt_update(h, false, part, part_len, data, data_len) }
}

pub(super) unsafe extern "C" fn c_decrypt_final(
    h: CK_SESSION_HANDLE,
    last: *mut CK_BYTE,
    last_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 caller's pointers are as `crypt_final` requires.
    unsafe { crypt_final(h, false, last, last_len) }
}

pub(super) unsafe extern "C" fn c_derive_key(
    h: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    base: CK_OBJECT_HANDLE,
    tmpl: *mut CK_ATTRIBUTE,
    n: CK_ULONG,
    key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    entry(|| {
        initialized()?;
        to_usize(n)?;
        // SAFETY: pMechanism points to a CK_MECHANISM; pTemplate holds ulAttributeCount
        // attributes; phKey is writable.
        let (mech, param, template, key) = unsafe {
            let (mech, param) = mechanism(mech)?;
            (mech, param, template(tmpl, n)?, out(key)?)
        };
        *key = module::with(|m| m.derive_key(h, mech, &param, base, &template))?;
        Ok(CKR_OK)
    })
}
