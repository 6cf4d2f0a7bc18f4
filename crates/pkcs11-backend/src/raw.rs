//! The few PKCS#11 calls `cryptoki` 0.12 cannot express, made through `cryptoki-sys`.
//!
//! `cryptoki` refuses mechanism numbers below `CKM_VENDOR_DEFINED` that are not in its table
//! (`CKM_GOSTR3410_KEY_PAIR_GEN` = 0x1200, `CKM_GOSTR3410` = 0x1201) and attribute numbers it does
//! not know (`CKA_GOSTR3410_PARAMS` = 0x250, `CKA_GOSTR3411_PARAMS` = 0x251). For exactly those
//! this module calls the module's function list itself:
//!
//! * [`RawModule::get_attribute`]: `C_GetAttributeValue` for one attribute, two passes;
//! * [`RawModule::generate_key_pair`]: `C_GenerateKeyPair` with a parameterless mechanism;
//! * [`RawModule::sign`]: `C_SignInit` + `C_Sign` (length query, then the signature) with a
//!   parameterless mechanism;
//! * [`RawModule::create_object`]: `C_CreateObject` with such attributes (key import);
//! * [`RawModule::unblock_user_pin`]: Rutoken's vendor `C_EX_UnblockUserPIN`, resolved through
//!   `C_EX_GetFunctionListExtended` only for a library whose maker is known to use Rutoken's
//!   table layout (the caller decides, see `crate::vendor`) and that exports the symbol.
//!
//! The library is opened a second time with `dlopen` (through `libloading`), which returns the
//! handle `cryptoki` already holds, so the function list, the `C_Initialize` state, session and
//! object handles are shared with the `cryptoki` context. Everything else goes through `cryptoki`.
#![allow(unsafe_code)]

use std::path::Path;

use cryptoki::object::ObjectHandle;
use cryptoki::session::Session;
use cryptoki_sys::{
    CK_ATTRIBUTE, CK_ATTRIBUTE_TYPE, CK_FUNCTION_LIST, CK_FUNCTION_LIST_PTR, CK_MECHANISM,
    CK_MECHANISM_TYPE, CK_OBJECT_HANDLE, CK_RV, CK_SESSION_HANDLE, CK_SLOT_ID, CK_ULONG,
    CK_UNAVAILABLE_INFORMATION, CK_VERSION, CKR_OK,
};

/// A raw failure: the C function and its `CK_RV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawError {
    pub(crate) function: &'static str,
    pub(crate) ckr: CK_RV,
}

/// One attribute of a template, owned. The value is zeroized on drop (imported private key
/// components travel in these) and never printed.
#[derive(Clone)]
pub(crate) struct RawAttribute {
    pub(crate) kind: CK_ATTRIBUTE_TYPE,
    pub(crate) value: Vec<u8>,
}

impl Drop for RawAttribute {
    fn drop(&mut self) {
        use token_core::zeroize::Zeroize;
        self.value.zeroize();
    }
}

impl core::fmt::Debug for RawAttribute {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawAttribute")
            .field("kind", &format_args!("0x{:X}", self.kind))
            .field("len", &self.value.len())
            .finish()
    }
}

impl RawAttribute {
    pub(crate) fn bytes(kind: CK_ATTRIBUTE_TYPE, value: &[u8]) -> Self {
        Self {
            kind,
            value: value.to_vec(),
        }
    }

    pub(crate) fn bool(kind: CK_ATTRIBUTE_TYPE, value: bool) -> Self {
        Self {
            kind,
            value: vec![u8::from(value)],
        }
    }

    pub(crate) fn ulong(kind: CK_ATTRIBUTE_TYPE, value: CK_ULONG) -> Self {
        Self {
            kind,
            value: value.to_ne_bytes().to_vec(),
        }
    }
}

/// `CK_C_EX_UnblockUserPIN` (Rutoken `rtpkcs11.h`): `CK_RV C_EX_UnblockUserPIN(CK_SESSION_HANDLE)`.
type UnblockUserPinFn = unsafe extern "C" fn(CK_SESSION_HANDLE) -> CK_RV;

/// A function pointer of the extended list that keycarrier never calls; only its size and
/// position matter.
type UnusedFn = unsafe extern "C" fn();

/// The head of Rutoken's `CK_FUNCTION_LIST_EXTENDED` (`rtpkcs11.h`), up to and including
/// `C_EX_UnblockUserPIN`, the fourth function pointer after the 2-byte version. The real
/// structure goes on with more pointers, which are never read. `Option<fn>` is a nullable
/// pointer, so a module's null entry reads as `None`.
#[repr(C)]
struct ExtendedFunctionListHead {
    version: CK_VERSION,
    get_function_list_extended: Option<UnusedFn>,
    init_token: Option<UnusedFn>,
    get_token_info_extended: Option<UnusedFn>,
    unblock_user_pin: Option<UnblockUserPinFn>,
}

/// `CK_C_EX_GetFunctionListExtended`.
type GetFunctionListExtendedFn =
    unsafe extern "C" fn(*mut *const ExtendedFunctionListHead) -> CK_RV;

/// The module's function list, kept alive with the library that holds it.
pub(crate) struct RawModule {
    list: CK_FUNCTION_LIST_PTR,
    /// Rutoken-style `C_EX_UnblockUserPIN`, where the module exports the extended list and
    /// the entry is not null.
    unblock: Option<UnblockUserPinFn>,
    _library: libloading::Library,
}

/// `C_EX_UnblockUserPIN` from the module's `C_EX_GetFunctionListExtended`, if the library
/// exports that symbol, the call succeeds and the entry is set. Anything else is `None`: the
/// module simply has no vendor unblock.
fn resolve_vendor_unblock(library: &libloading::Library) -> Option<UnblockUserPinFn> {
    // SAFETY: the symbol, where present, has the signature `rtpkcs11.h` declares:
    // `CK_RV C_EX_GetFunctionListExtended(CK_FUNCTION_LIST_EXTENDED_PTR_PTR)`.
    let get: libloading::Symbol<'_, GetFunctionListExtendedFn> =
        unsafe { library.get(b"C_EX_GetFunctionListExtended\0") }.ok()?;
    let mut list: *const ExtendedFunctionListHead = core::ptr::null();
    // SAFETY: `list` is a valid out-pointer for the duration of the call.
    let rv = unsafe { get(&mut list) };
    if rv != CKR_OK || list.is_null() || !list.is_aligned() {
        return None;
    }
    // SAFETY: non-null and aligned; the module returns a pointer to its static extended list,
    // which starts with the fields of `ExtendedFunctionListHead` and lives as long as the
    // library, which `RawModule` keeps loaded. Only the head is read, by value.
    let head = unsafe { &*list };
    head.unblock_user_pin
}

impl core::fmt::Debug for RawModule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RawModule")
    }
}

// SAFETY: the function list is a table of function pointers owned by the loaded library, which
// this struct keeps loaded; PKCS#11 modules initialised with CKF_OS_LOCKING_OK (as `Module`
// does) may be called from any thread.
unsafe impl Send for RawModule {}
// SAFETY: as above; the table itself is never written through this pointer.
unsafe impl Sync for RawModule {}

fn check(function: &'static str, ckr: CK_RV) -> Result<(), RawError> {
    if ckr == CKR_OK {
        Ok(())
    } else {
        Err(RawError { function, ckr })
    }
}

fn to_ulong(n: usize) -> CK_ULONG {
    CK_ULONG::try_from(n).unwrap_or(CK_ULONG::MAX)
}

/// The largest attribute value or signature accepted from a module (16 MiB): a length is the
/// module's word, and a broken or hostile module must not make us allocate without bound.
pub(crate) const MAX_VALUE_LEN: usize = 16 * 1024 * 1024;

/// A length reported by the module, checked against [`MAX_VALUE_LEN`].
fn checked_len(function: &'static str, len: CK_ULONG) -> token_core::Result<usize> {
    usize::try_from(len)
        .ok()
        .filter(|&n| n <= MAX_VALUE_LEN)
        .ok_or_else(|| token_core::Error::Malformed {
            what: "PKCS#11 module answer",
            at: None,
            reason: format!("{function} reported a length of {len} bytes (limit {MAX_VALUE_LEN})"),
        })
}

fn template(attrs: &mut [RawAttribute]) -> Vec<CK_ATTRIBUTE> {
    attrs
        .iter_mut()
        .map(|a| CK_ATTRIBUTE {
            type_: a.kind,
            pValue: a.value.as_mut_ptr().cast(),
            ulValueLen: to_ulong(a.value.len()),
        })
        .collect()
}

impl RawModule {
    /// Opens the library at `path` (already loaded by `cryptoki`) and reads its function list.
    /// Rutoken's extended list is looked up only when `rutoken_layout` says the library's maker
    /// uses that layout; otherwise the symbol is never resolved, let alone called.
    pub(crate) fn open(path: &Path, rutoken_layout: bool) -> Result<Self, String> {
        // SAFETY: loading a PKCS#11 module runs its initialisers; `cryptoki` has already loaded
        // the same file, so this only bumps the reference count of the existing handle.
        let library = unsafe { libloading::Library::new(path) }.map_err(|e| e.to_string())?;
        let mut list: CK_FUNCTION_LIST_PTR = core::ptr::null_mut();
        {
            // SAFETY: `C_GetFunctionList` has this signature in every PKCS#11 version.
            let get: libloading::Symbol<
                '_,
                unsafe extern "C" fn(*mut CK_FUNCTION_LIST_PTR) -> CK_RV,
            > = unsafe { library.get(b"C_GetFunctionList\0") }.map_err(|e| e.to_string())?;
            // SAFETY: `list` is a valid out-pointer for the duration of the call.
            let rv = unsafe { get(&mut list) };
            check("C_GetFunctionList", rv).map_err(|e| format!("CKR 0x{:08X}", e.ckr))?;
        }
        if list.is_null() {
            return Err("C_GetFunctionList returned no list".into());
        }
        let unblock = if rutoken_layout {
            resolve_vendor_unblock(&library)
        } else {
            None
        };
        Ok(Self {
            list,
            unblock,
            _library: library,
        })
    }

    fn functions(&self) -> &CK_FUNCTION_LIST {
        // SAFETY: `list` was checked non-null in `open` and points into the loaded library,
        // which `self._library` keeps loaded; the module never frees it before C_Finalize,
        // which keycarrier never calls.
        unsafe { &*self.list }
    }

    /// Whether the module offers the vendor unblock (`C_EX_UnblockUserPIN`).
    pub(crate) fn has_vendor_unblock(&self) -> bool {
        self.unblock.is_some()
    }

    /// Rutoken's `C_EX_UnblockUserPIN(hSession)`: with the SO logged in, resets the user PIN's
    /// retry counter, keeping the user PIN. `None` when the module has no such function.
    pub(crate) fn unblock_user_pin(&self, session: &Session) -> Option<Result<(), RawError>> {
        let f = self.unblock?;
        // SAFETY: `f` is the module's C_EX_UnblockUserPIN (non-null, from its extended list;
        // the library stays loaded with `self`); it takes a session handle, which the module
        // validates.
        let rv = unsafe { f(session.handle()) };
        Some(check("C_EX_UnblockUserPIN", rv))
    }

    /// `C_GetMechanismList` with every mechanism number kept. cryptoki's typed
    /// `get_mechanism_list` drops numbers it has no name for, among them the standard GOST
    /// mechanisms 0x1200 / 0x1201, so GOST tokens would look as if they had no GOST.
    pub(crate) fn mechanism_list(
        &self,
        slot: CK_SLOT_ID,
    ) -> Result<Vec<CK_MECHANISM_TYPE>, RawError> {
        let f = self.functions().C_GetMechanismList.ok_or(RawError {
            function: "C_GetMechanismList",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let mut count: CK_ULONG = 0;
        // SAFETY: a null list pointer asks for the count only; `count` is a valid local.
        check("C_GetMechanismList", unsafe {
            f(slot, core::ptr::null_mut(), &mut count)
        })?;
        // A mechanism list is short; refuse a module that claims an absurd count.
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(4096);
        let mut list: Vec<CK_MECHANISM_TYPE> = vec![0; n];
        let mut count = to_ulong(n);
        // SAFETY: `list` has room for `count` entries, as `count` tells the module; the module
        // writes at most that many and updates `count`.
        check("C_GetMechanismList", unsafe {
            f(slot, list.as_mut_ptr(), &mut count)
        })?;
        list.truncate(usize::try_from(count).unwrap_or(0).min(n));
        Ok(list)
    }

    /// Reads one attribute; `Ok(None)` when the object does not have it (or it is sensitive).
    /// A length above [`MAX_VALUE_LEN`] (the module's word, untrusted) is `Error::Malformed`.
    pub(crate) fn get_attribute(
        &self,
        session: &Session,
        object: ObjectHandle,
        kind: CK_ATTRIBUTE_TYPE,
    ) -> token_core::Result<Option<Vec<u8>>> {
        let f = self.functions().C_GetAttributeValue.ok_or(RawError {
            function: "C_GetAttributeValue",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let mut attr = CK_ATTRIBUTE {
            type_: kind,
            pValue: core::ptr::null_mut(),
            ulValueLen: 0,
        };
        // SAFETY: `f` is the module's C_GetAttributeValue; a one-element template (a valid
        // local) with a null buffer asks only for the length; session and object handles are
        // plain numbers the module validates.
        let rv = unsafe { f(session.handle(), object.handle(), &mut attr, 1) };
        if rv == cryptoki_sys::CKR_ATTRIBUTE_TYPE_INVALID
            || rv == cryptoki_sys::CKR_ATTRIBUTE_SENSITIVE
        {
            return Ok(None);
        }
        check("C_GetAttributeValue", rv)?;
        if attr.ulValueLen == CK_UNAVAILABLE_INFORMATION {
            return Ok(None);
        }
        let len = checked_len("C_GetAttributeValue", attr.ulValueLen)?;
        let mut buf = vec![0u8; len];
        attr.pValue = buf.as_mut_ptr().cast();
        attr.ulValueLen = to_ulong(len);
        // SAFETY: `buf` has exactly `ulValueLen` writable bytes and outlives the call.
        let rv = unsafe { f(session.handle(), object.handle(), &mut attr, 1) };
        check("C_GetAttributeValue", rv)?;
        buf.truncate(usize::try_from(attr.ulValueLen).unwrap_or(len));
        Ok(Some(buf))
    }

    /// `C_GenerateKeyPair` with a mechanism that takes no parameter. Returns (public, private).
    pub(crate) fn generate_key_pair(
        &self,
        session: &Session,
        mechanism: CK_MECHANISM_TYPE,
        mut public: Vec<RawAttribute>,
        mut private: Vec<RawAttribute>,
    ) -> Result<(ObjectHandle, ObjectHandle), RawError> {
        let f = self.functions().C_GenerateKeyPair.ok_or(RawError {
            function: "C_GenerateKeyPair",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let mut mech = CK_MECHANISM {
            mechanism,
            pParameter: core::ptr::null_mut(),
            ulParameterLen: 0,
        };
        let mut pub_t = template(&mut public);
        let mut priv_t = template(&mut private);
        let mut pub_h: CK_OBJECT_HANDLE = 0;
        let mut priv_h: CK_OBJECT_HANDLE = 0;
        // SAFETY: the templates point into `public` / `private`, which live until the end of this
        // function; the out-pointers are valid locals.
        let rv = unsafe {
            f(
                session.handle(),
                &mut mech,
                pub_t.as_mut_ptr(),
                to_ulong(pub_t.len()),
                priv_t.as_mut_ptr(),
                to_ulong(priv_t.len()),
                &mut pub_h,
                &mut priv_h,
            )
        };
        check("C_GenerateKeyPair", rv)?;
        // SAFETY: both handles were just returned by the module for this session's token.
        Ok(unsafe {
            (
                ObjectHandle::new_from_raw(pub_h),
                ObjectHandle::new_from_raw(priv_h),
            )
        })
    }

    /// `C_CreateObject` with a template that may hold attributes `cryptoki` cannot express
    /// (the GOST parameter OIDs) or secret values (imported private keys; the template zeroizes
    /// them when dropped).
    pub(crate) fn create_object(
        &self,
        session: &Session,
        mut attrs: Vec<RawAttribute>,
    ) -> Result<ObjectHandle, RawError> {
        let f = self.functions().C_CreateObject.ok_or(RawError {
            function: "C_CreateObject",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let mut t = template(&mut attrs);
        let mut handle: CK_OBJECT_HANDLE = 0;
        // SAFETY: the template points into `attrs`, alive until the end of this function; the
        // out-pointer is a valid local.
        let rv = unsafe {
            f(
                session.handle(),
                t.as_mut_ptr(),
                to_ulong(t.len()),
                &mut handle,
            )
        };
        check("C_CreateObject", rv)?;
        // SAFETY: the handle was just returned by the module for this session's token.
        Ok(unsafe { ObjectHandle::new_from_raw(handle) })
    }

    /// `C_SignInit` + `C_Sign` (single part) with a mechanism that takes no parameter.
    pub(crate) fn sign(
        &self,
        session: &Session,
        mechanism: CK_MECHANISM_TYPE,
        key: ObjectHandle,
        data: &[u8],
    ) -> token_core::Result<Vec<u8>> {
        let functions = self.functions();
        let init = functions.C_SignInit.ok_or(RawError {
            function: "C_SignInit",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let sign = functions.C_Sign.ok_or(RawError {
            function: "C_Sign",
            ckr: cryptoki_sys::CKR_FUNCTION_NOT_SUPPORTED,
        })?;
        let mut mech = CK_MECHANISM {
            mechanism,
            pParameter: core::ptr::null_mut(),
            ulParameterLen: 0,
        };
        // SAFETY: `mech` is a valid mechanism without parameter; handles come from the module.
        check("C_SignInit", unsafe {
            init(session.handle(), &mut mech, key.handle())
        })?;
        // C_Sign only reads pData (PKCS#11 declares it CK_BYTE_PTR, not const): the caller's
        // bytes are passed as they are, without a copy (a whole document when the token hashes).
        let input = data.as_ptr().cast_mut();
        // Two calls: the length first (NULL buffer), then the signature into a buffer of that
        // size, so CKR_BUFFER_TOO_SMALL (which leaves the operation active on a pooled
        // session) cannot happen.
        let mut out_len: CK_ULONG = 0;
        // SAFETY: `input` is valid for reads of `data.len()` bytes and C_Sign does not write
        // through it; a null signature pointer asks only for the length; `out_len` is a valid
        // in/out local.
        let rv = unsafe {
            sign(
                session.handle(),
                input,
                to_ulong(data.len()),
                core::ptr::null_mut(),
                &mut out_len,
            )
        };
        check("C_Sign", rv)?;
        let len = checked_len("C_Sign", out_len)?;
        let mut out = vec![0u8; len];
        let mut out_len = to_ulong(out.len());
        // SAFETY: `input` (read only) and `out` are valid for the lengths passed; `out_len` is
        // in/out.
        let rv = unsafe {
            sign(
                session.handle(),
                input,
                to_ulong(data.len()),
                out.as_mut_ptr(),
                &mut out_len,
            )
        };
        check("C_Sign", rv)?;
        out.truncate(usize::try_from(out_len).unwrap_or(len));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unblock entry sits where `rtpkcs11.h` puts it: the 4th pointer after the 2-byte
    /// version, the version padded to pointer alignment.
    #[test]
    fn extended_list_head_layout() {
        let ptr = core::mem::size_of::<usize>();
        assert_eq!(
            core::mem::offset_of!(ExtendedFunctionListHead, unblock_user_pin),
            4 * ptr
        );
        assert_eq!(
            core::mem::offset_of!(ExtendedFunctionListHead, get_function_list_extended),
            ptr
        );
        assert_eq!(core::mem::size_of::<ExtendedFunctionListHead>(), 5 * ptr);
    }

    /// A tiny C library laid out as Rutoken's `rtpkcs11.h` (compiled here by the system C
    /// compiler, so the C side of the layout is the compiler's, not ours): the vendor unblock is
    /// found and called with the session handle; a null entry and a missing symbol are `None`.
    #[test]
    fn vendor_unblock_resolved_from_a_c_library() {
        const SOURCE: &str = r#"
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef struct { unsigned char major; unsigned char minor; } CK_VERSION;
typedef CK_RV (*any_fn)(void);
typedef struct CK_FUNCTION_LIST_EXTENDED {
    CK_VERSION version;
    any_fn C_EX_GetFunctionListExtended;
    any_fn C_EX_InitToken;
    any_fn C_EX_GetTokenInfoExtended;
    CK_RV (*C_EX_UnblockUserPIN)(CK_SESSION_HANDLE);
    any_fn more[16];
} CK_FUNCTION_LIST_EXTENDED;
static CK_SESSION_HANDLE last_session;
static CK_RV not_supported(void) { return 0x54; }
static CK_RV unblock(CK_SESSION_HANDLE h) { last_session = h; return h == 7 ? 0 : 0xB3; }
CK_SESSION_HANDLE last_unblocked(void) { return last_session; }
CK_RV C_EX_GetFunctionListExtended(CK_FUNCTION_LIST_EXTENDED **out);
static CK_FUNCTION_LIST_EXTENDED list = {
    {1, 0}, (any_fn)C_EX_GetFunctionListExtended, not_supported, not_supported,
#ifdef NULL_ENTRY
    0,
#else
    unblock,
#endif
    {0}
};
CK_RV C_EX_GetFunctionListExtended(CK_FUNCTION_LIST_EXTENDED **out) {
    if (!out) return 7;
    *out = &list;
    return 0;
}
"#;
        let dir = std::env::temp_dir().join(format!("kc-p11-ext-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("ext.c");
        std::fs::write(&src, SOURCE).unwrap();
        let build = |name: &str, defines: &[&str]| {
            let out = dir.join(name);
            let status = std::process::Command::new("cc")
                .args(["-shared", "-fPIC", "-O1", "-o"])
                .arg(&out)
                .args(defines)
                .arg(&src)
                .status()
                .expect("a C compiler (cc) is required for this test");
            assert!(status.success());
            // SAFETY: our own test library; its only initialiser is static data.
            unsafe { libloading::Library::new(&out) }.unwrap()
        };
        let with = build("libext.so", &[]);
        let f = resolve_vendor_unblock(&with).expect("C_EX_UnblockUserPIN found");
        // SAFETY: the test library's `unblock(CK_SESSION_HANDLE)`.
        assert_eq!(unsafe { f(7) }, CKR_OK);
        // SAFETY: as above.
        assert_eq!(unsafe { f(9) }, cryptoki_sys::CKR_SESSION_HANDLE_INVALID);
        // SAFETY: `last_unblocked` has this signature in the source above.
        let last: libloading::Symbol<'_, unsafe extern "C" fn() -> CK_ULONG> =
            unsafe { with.get(b"last_unblocked\0") }.unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { last() }, 9, "the handle reached the C function");

        let null_entry = build("libext-null.so", &["-DNULL_ENTRY"]);
        assert!(resolve_vendor_unblock(&null_entry).is_none());

        // A module without the extended list (SoftHSM2 as packaged by Debian).
        // SAFETY: loading SoftHSM runs its initialisers only; nothing is called.
        let softhsm = unsafe { libloading::Library::new("/usr/lib/softhsm/libsofthsm2.so") }
            .expect("SoftHSM2 is required: apt-get install softhsm2");
        assert!(resolve_vendor_unblock(&softhsm).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
