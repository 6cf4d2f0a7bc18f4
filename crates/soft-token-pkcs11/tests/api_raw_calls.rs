//! The soft-token module through its raw function list (in process): buffer sizes, sensitive
//! values, operation state, and `C_GetInterface` offering the v2.40 list.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::ptr;

use cryptoki_sys::*;
use gost::signature::Verifier;
use gost::signature::hazmat::PrehashVerifier;

mod common;
use common::*;

macro_rules! call {
    ($raw:expr, $f:ident ( $($arg:expr),* )) => {{
        let f = $raw.0.$f.expect(stringify!($f));
        // SAFETY: the function comes from the module's own table; every pointer argument in
        // these tests points to live, correctly sized local storage (or is NULL where the
        // specification allows it).
        unsafe { f($($arg),*) }
    }};
}

#[test]
fn u06_raw_calls_buffer_sizes_sensitive_values_and_operation_state() {
    let _env = env();
    // SAFETY: NULL is the documented misuse being tested.
    assert_eq!(
        unsafe { soft_token_pkcs11::ffi::C_GetFunctionList(ptr::null_mut()) },
        CKR_ARGUMENTS_BAD
    );
    let r = raw();
    let mut slot: CK_SLOT_ID = 0;
    let mut n: CK_ULONG = 1;
    assert_eq!(
        call!(r, C_GetSlotList(0, &mut slot, &mut n)),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_Initialize(ptr::null_mut())), CKR_OK);
    assert_eq!(
        call!(r, C_Initialize(ptr::null_mut())),
        CKR_CRYPTOKI_ALREADY_INITIALIZED
    );
    assert_eq!(call!(r, C_GetSlotList(1, &mut slot, &mut n)), CKR_OK);
    assert_eq!((n, slot), (1, 0));

    let mut label = [b' '; 32];
    label[..3].copy_from_slice(b"raw");
    let mut so = *b"Ad9mQ4kz";
    assert_eq!(
        call!(r, C_InitToken(slot, so.as_mut_ptr(), 8, label.as_mut_ptr())),
        CKR_OK
    );
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
    assert_eq!(
        call!(r, C_OpenSession(slot, flags, ptr::null_mut(), None, &mut h)),
        CKR_OK
    );
    assert_eq!(
        call!(
            r,
            C_OpenSession(slot, CKF_RW_SESSION, ptr::null_mut(), None, &mut h)
        ),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED
    );
    assert_eq!(
        call!(r, C_CloseSession(h + 100)),
        CKR_SESSION_HANDLE_INVALID
    );
    let mut user = *b"11223344";
    assert_eq!(
        call!(r, C_Login(h, CKU_USER, user.as_mut_ptr(), 8)),
        CKR_USER_PIN_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_InitPIN(h, user.as_mut_ptr(), 8)),
        CKR_USER_NOT_LOGGED_IN
    );
    assert_eq!(call!(r, C_Login(h, CKU_SO, so.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_InitPIN(h, user.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);

    // Operations that were never started.
    let mut buf = [0u8; 256];
    let mut len: CK_ULONG = buf.len() as CK_ULONG;
    let mut data = [7u8; 32];
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_FindObjects(h, &mut 0, 1, &mut n)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_DigestFinal(h, buf.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_VerifyFinal(h, buf.as_mut_ptr(), 64)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    // Encryption exists now (RSA, issue 13): a NULL mechanism is a bad argument.
    assert_eq!(
        call!(r, C_EncryptInit(h, ptr::null_mut(), 0)),
        CKR_ARGUMENTS_BAD
    );

    // GOST 256 key pair the way pkcs11-tool asks for GOSTR3410-2012-256:B.
    let mut keygen = CK_MECHANISM {
        mechanism: CKM_GOSTR3410_KEY_PAIR_GEN,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut params = [0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 0x23, 0x01];
    let mut digest_params = [0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x02, 0x02];
    let mut yes = [1u8];
    let mut id = [0x42u8];
    let mut public_t = [
        attr(CKA_TOKEN, &mut yes),
        attr(CKA_GOSTR3410_PARAMS, &mut params),
        attr(CKA_GOSTR3411_PARAMS, &mut digest_params),
        attr(CKA_ID, &mut id),
    ];
    let mut private_t = [
        attr(CKA_TOKEN, &mut yes),
        attr(CKA_SIGN, &mut yes),
        attr(CKA_ID, &mut id),
    ];
    let (mut public, mut private): (CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) = (0, 0);
    assert_eq!(
        call!(
            r,
            C_GenerateKeyPair(
                h,
                &mut keygen,
                public_t.as_mut_ptr(),
                4,
                private_t.as_mut_ptr(),
                3,
                &mut public,
                &mut private
            )
        ),
        CKR_USER_NOT_LOGGED_IN
    );
    assert_eq!(call!(r, C_Login(h, CKU_USER, user.as_mut_ptr(), 8)), CKR_OK);
    // Without the parameter set; with a 512-bit set for the 256-bit mechanism.
    assert_eq!(
        call!(
            r,
            C_GenerateKeyPair(
                h,
                &mut keygen,
                public_t[2..].as_mut_ptr(),
                2,
                private_t.as_mut_ptr(),
                3,
                &mut public,
                &mut private
            )
        ),
        CKR_TEMPLATE_INCOMPLETE
    );
    let mut params512 = [
        0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x01, 0x02, 0x01,
    ];
    let mut wrong_t = [attr(CKA_GOSTR3410_PARAMS, &mut params512)];
    assert_eq!(
        call!(
            r,
            C_GenerateKeyPair(
                h,
                &mut keygen,
                wrong_t.as_mut_ptr(),
                1,
                private_t.as_mut_ptr(),
                3,
                &mut public,
                &mut private
            )
        ),
        CKR_TEMPLATE_INCONSISTENT
    );
    assert_eq!(
        call!(
            r,
            C_GenerateKeyPair(
                h,
                &mut keygen,
                public_t.as_mut_ptr(),
                4,
                private_t.as_mut_ptr(),
                3,
                &mut public,
                &mut private
            )
        ),
        CKR_OK
    );

    // C_GetAttributeValue: size query, too small, sensitive, unknown type.
    let mut size_q = [CK_ATTRIBUTE {
        type_: CKA_VALUE,
        pValue: ptr::null_mut(),
        ulValueLen: 0,
    }];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, public, size_q.as_mut_ptr(), 1)),
        CKR_OK
    );
    assert_eq!(size_q[0].ulValueLen, 64);
    let mut small = [0u8; 10];
    let mut t = [attr(CKA_VALUE, &mut small)];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, public, t.as_mut_ptr(), 1)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    let mut value = [0u8; 64];
    let mut t = [attr(CKA_VALUE, &mut value)];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, public, t.as_mut_ptr(), 1)),
        CKR_OK
    );
    let mut secret = [0u8; 64];
    let mut class = [0u8; 8];
    let mut t = [
        attr(CKA_VALUE, &mut secret),
        attr(CKA_CLASS, &mut class),
        attr(0x7FFF_0001, &mut small),
    ];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, private, t.as_mut_ptr(), 3)),
        CKR_ATTRIBUTE_TYPE_INVALID
    );
    assert_eq!(
        t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION,
        "the private value is sensitive"
    );
    assert_eq!(CK_ULONG::from_ne_bytes(class), CKO_PRIVATE_KEY);
    assert_eq!(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    let mut t = [attr(CKA_VALUE, &mut secret)];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, private, t.as_mut_ptr(), 1)),
        CKR_ATTRIBUTE_SENSITIVE
    );
    assert_eq!(
        call!(r, C_GetAttributeValue(h, 9999, t.as_mut_ptr(), 1)),
        CKR_OBJECT_HANDLE_INVALID
    );

    // CKM_GOSTR3410: length query, too small, wrong input length, signature, verification.
    let mut sign = CK_MECHANISM {
        mechanism: CKM_GOSTR3410,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut bogus = CK_MECHANISM {
        mechanism: 0x9999,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    assert_eq!(
        call!(r, C_SignInit(h, &mut bogus, private)),
        CKR_MECHANISM_INVALID
    );
    assert_eq!(
        call!(r, C_SignInit(h, &mut sign, 9999)),
        CKR_KEY_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_SignInit(h, &mut sign, private)), CKR_OK);
    assert_eq!(
        call!(r, C_SignInit(h, &mut sign, private)),
        CKR_OPERATION_ACTIVE
    );
    let mut len: CK_ULONG = 0;
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 32, ptr::null_mut(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 64);
    let mut len: CK_ULONG = 10;
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), &mut len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 64);
    let mut len: CK_ULONG = buf.len() as CK_ULONG;
    assert_eq!(
        call!(r, C_SignUpdate(h, data.as_mut_ptr(), 32)),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_SignInit(h, &mut sign, private)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 31, buf.as_mut_ptr(), &mut len)
        ),
        CKR_DATA_LEN_RANGE
    );
    assert_eq!(call!(r, C_SignInit(h, &mut sign, private)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 64);
    // The signature verifies with the gost crate from CKA_VALUE (X_le ‖ Y_le), digest as given.
    let key =
        gost::VerifyingKey::from_raw_le(token_core::GostParamSet::CryptoProA, &value).unwrap();
    key.verify_prehash(&data, &gost::Signature::from_bytes(&buf[..64]).unwrap())
        .unwrap();
    assert_eq!(call!(r, C_VerifyInit(h, &mut sign, public)), CKR_OK);
    assert_eq!(
        call!(r, C_Verify(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), 64)),
        CKR_OK
    );
    assert_eq!(call!(r, C_VerifyInit(h, &mut sign, public)), CKR_OK);
    assert_eq!(
        call!(r, C_Verify(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), 63)),
        CKR_SIGNATURE_LEN_RANGE
    );
    buf[3] ^= 1;
    assert_eq!(call!(r, C_VerifyInit(h, &mut sign, public)), CKR_OK);
    assert_eq!(
        call!(r, C_Verify(h, data.as_mut_ptr(), 32, buf.as_mut_ptr(), 64)),
        CKR_SIGNATURE_INVALID
    );

    // Multi-part signing with the hashing mechanism equals single-part verification.
    let mut with_hash = CK_MECHANISM {
        mechanism: 0xD432_1008,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut msg = *b"first part, second part";
    assert_eq!(call!(r, C_SignInit(h, &mut with_hash, private)), CKR_OK);
    assert_eq!(call!(r, C_SignUpdate(h, msg.as_mut_ptr(), 11)), CKR_OK);
    assert_eq!(
        call!(r, C_SignUpdate(h, msg[11..].as_mut_ptr(), 12)),
        CKR_OK
    );
    let mut len: CK_ULONG = buf.len() as CK_ULONG;
    assert_eq!(call!(r, C_SignFinal(h, buf.as_mut_ptr(), &mut len)), CKR_OK);
    assert_eq!(call!(r, C_VerifyInit(h, &mut with_hash, public)), CKR_OK);
    assert_eq!(
        call!(r, C_Verify(h, msg.as_mut_ptr(), 23, buf.as_mut_ptr(), 64)),
        CKR_OK
    );
    key.verify(&msg, &gost::Signature::from_bytes(&buf[..64]).unwrap())
        .unwrap();

    // The session's state and a closed session.
    let mut info = CK_SESSION_INFO {
        slotID: 9,
        state: 9,
        flags: 0,
        ulDeviceError: 0,
    };
    assert_eq!(call!(r, C_GetSessionInfo(h, &mut info)), CKR_OK);
    assert_eq!((info.slotID, info.state), (0, CKS_RW_USER_FUNCTIONS));
    assert_eq!(call!(r, C_CloseSession(h)), CKR_OK);
    assert_eq!(
        call!(r, C_GetSessionInfo(h, &mut info)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_Finalize(ptr::null_mut())), CKR_OK);
    assert_eq!(
        call!(r, C_Finalize(ptr::null_mut())),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
}

#[test]
fn c_get_interface_offers_the_v2_40_list_as_pkcs_11() {
    let _env = env();
    // cryptoki asks C_GetInterface first (NULL name, NULL version) and falls back to
    // C_GetFunctionList for a 2.x list: `pkcs11()` working is part of this test.
    let p = pkcs11();
    // SAFETY: loading the module cryptoki already loaded runs no new initialisers.
    let lib = unsafe { libloading::Library::new(module_path()) }.unwrap();
    type GetList = unsafe extern "C" fn(*mut CK_INTERFACE, *mut CK_ULONG) -> CK_RV;
    type Get = unsafe extern "C" fn(
        *mut CK_UTF8CHAR,
        *mut CK_VERSION,
        *mut *mut CK_INTERFACE,
        CK_FLAGS,
    ) -> CK_RV;
    type GetFunctionList = unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV;
    // SAFETY: the symbols have these PKCS#11 types.
    let (get_list, get, get_function_list) = unsafe {
        (
            lib.get::<GetList>(b"C_GetInterfaceList\0").unwrap(),
            lib.get::<Get>(b"C_GetInterface\0").unwrap(),
            lib.get::<GetFunctionList>(b"C_GetFunctionList\0").unwrap(),
        )
    };
    let mut v2: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: valid place for one pointer.
    assert_eq!(unsafe { get_function_list(&mut v2) }, CKR_OK);

    // The list: count query, too small, one entry.
    let mut n: CK_ULONG = 0;
    // SAFETY: NULL list is the count query; `n` is writable.
    assert_eq!(unsafe { get_list(ptr::null_mut(), &mut n) }, CKR_OK);
    assert_eq!(n, 1);
    let blank = CK_INTERFACE {
        pInterfaceName: ptr::null_mut(),
        pFunctionList: ptr::null_mut(),
        flags: 99,
    };
    let mut list = [blank; 2];
    let mut n: CK_ULONG = 0;
    // SAFETY: `list` holds 2 entries; `n` = 0 says none.
    assert_eq!(
        unsafe { get_list(list.as_mut_ptr(), &mut n) },
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 1);
    let mut n: CK_ULONG = 2;
    // SAFETY: `list` holds 2 entries.
    assert_eq!(unsafe { get_list(list.as_mut_ptr(), &mut n) }, CKR_OK);
    assert_eq!(n, 1);
    // SAFETY: NULL count is the misuse.
    assert_eq!(
        unsafe { get_list(list.as_mut_ptr(), ptr::null_mut()) },
        CKR_ARGUMENTS_BAD
    );
    let read_name = |i: &CK_INTERFACE| {
        // SAFETY: the module's interface name is a NUL-terminated static string.
        unsafe { std::ffi::CStr::from_ptr(i.pInterfaceName.cast()) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(read_name(&list[0]), "PKCS 11");
    assert_eq!(list[0].flags, 0);
    assert_eq!(list[0].pFunctionList.cast::<CK_FUNCTION_LIST>(), v2);
    // SAFETY: the interface's list is the module's static CK_FUNCTION_LIST.
    let table = unsafe { &*list[0].pFunctionList.cast::<CK_FUNCTION_LIST>() };
    assert_eq!((table.version.major, table.version.minor), (2, 40));
    let mut info = CK_INFO::default();
    // SAFETY: `info` is a writable CK_INFO; the module was initialised through cryptoki.
    assert_eq!(unsafe { table.C_GetInfo.unwrap()(&mut info) }, CKR_OK);
    assert_eq!(
        (info.cryptokiVersion.major, info.cryptokiVersion.minor),
        (2, 40)
    );

    // C_GetInterface: by name and version, by default; other names, versions, flags refused.
    let mut name = *b"PKCS 11\0";
    let mut other = *b"Vendor X\0";
    let mut v240 = CK_VERSION {
        major: 2,
        minor: 40,
    };
    let mut v30 = CK_VERSION { major: 3, minor: 0 };
    let call = |name: *mut u8, version: *mut CK_VERSION, flags| {
        let mut found: *mut CK_INTERFACE = ptr::null_mut();
        // SAFETY: `name` is NULL or NUL-terminated, `version` NULL or a CK_VERSION, `found`
        // a valid place for one pointer.
        let rv = unsafe { get(name, version, &mut found, flags) };
        (rv, found)
    };
    for (n, v) in [
        (ptr::null_mut(), ptr::null_mut()),
        (name.as_mut_ptr(), ptr::null_mut()),
        (name.as_mut_ptr(), &mut v240 as *mut CK_VERSION),
    ] {
        let (rv, found) = call(n, v, 0);
        assert_eq!(rv, CKR_OK);
        // SAFETY: the module returned a pointer to its static interface.
        let found = unsafe { &*found };
        assert_eq!(read_name(found), "PKCS 11");
        assert_eq!(found.pFunctionList.cast::<CK_FUNCTION_LIST>(), v2);
    }
    assert_eq!(
        call(other.as_mut_ptr(), ptr::null_mut(), 0).0,
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(call(name.as_mut_ptr(), &mut v30, 0).0, CKR_ARGUMENTS_BAD);
    assert_eq!(
        call(ptr::null_mut(), ptr::null_mut(), CKF_INTERFACE_FORK_SAFE).0,
        CKR_ARGUMENTS_BAD
    );
    // SAFETY: NULL ppInterface is the misuse.
    assert_eq!(
        unsafe { get(ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), 0) },
        CKR_ARGUMENTS_BAD
    );
    p.finalize().unwrap();
}
