//! Return codes of the symmetric and wrapping entry points in PKCS#11 v2.40's order, through
//! the in-process function list: CKR_CRYPTOKI_NOT_INITIALIZED before anything,
//! CKR_SESSION_HANDLE_INVALID, CKR_OPERATION_ACTIVE, CKR_KEY_HANDLE_INVALID,
//! CKR_KEY_TYPE_INCONSISTENT, CKR_MECHANISM_PARAM_INVALID; the NULL-buffer length query and
//! CKR_BUFFER_TOO_SMALL leaving the operation as it was; CKR_OPERATION_NOT_INITIALIZED once an
//! operation ended (by its final call or by an error).
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use std::ptr;

use common::{Raw, env, raw};
use cryptoki_sys::*;

const CKK_KUZNYECHIK: CK_KEY_TYPE = 0xD432_1004;
const CKK_KUZNYECHIK_TWIN_KEY: CK_KEY_TYPE = 0xD432_1006;
const CKM_KUZNYECHIK_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1032;
const CKM_KUZNYECHIK_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102B;

macro_rules! call {
    ($raw:expr, $f:ident ( $($arg:expr),* )) => {{
        let f = $raw.0.$f.expect(stringify!($f));
        // SAFETY: the function comes from the module's own table; every pointer argument
        // points to live, correctly sized local storage (or is NULL where allowed).
        unsafe { f($($arg),*) }
    }};
}

fn attr<T>(kind: CK_ATTRIBUTE_TYPE, value: &mut T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: ptr::from_mut(value).cast(),
        ulValueLen: size_of::<T>() as CK_ULONG,
    }
}

/// A session secret key (extractable, readable) made with C_CreateObject.
fn create_secret<const N: usize>(
    r: &Raw,
    h: CK_SESSION_HANDLE,
    kind: CK_KEY_TYPE,
    value: [u8; N],
) -> CK_OBJECT_HANDLE {
    let (mut class, mut kind, mut value) = (CKO_SECRET_KEY, kind, value);
    let (mut no, mut yes) = (0u8, 1u8);
    let mut t = [
        attr(CKA_CLASS, &mut class),
        attr(CKA_KEY_TYPE, &mut kind),
        attr(CKA_TOKEN, &mut no),
        attr(CKA_VALUE, &mut value),
        attr(CKA_EXTRACTABLE, &mut yes),
    ];
    let mut key = 0;
    assert_eq!(
        call!(
            r,
            C_CreateObject(h, t.as_mut_ptr(), t.len() as CK_ULONG, &mut key)
        ),
        CKR_OK
    );
    key
}

fn mech<T>(m: CK_MECHANISM_TYPE, param: &mut T) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: m,
        pParameter: ptr::from_mut(param).cast(),
        ulParameterLen: size_of::<T>() as CK_ULONG,
    }
}

#[test]
fn symmetric_return_codes_follow_pkcs11_precedence() {
    let _env = env();
    let r = raw();
    let mut param = [0u8; 12]; // section 0 (plain CTR), IV 0
    let mut ctr = mech(CKM_KUZNYECHIK_CTR_ACPKM, &mut param);
    let mut data = [0x5au8; 10];
    let mut out = [0u8; 64];
    let mut out_len: CK_ULONG = 64;

    // Not initialised: before anything, even NULL pointers.
    for rv in [
        call!(r, C_EncryptInit(1, &mut ctr, 1)),
        call!(r, C_DecryptInit(1, ptr::null_mut(), 1)),
        call!(
            r,
            C_EncryptUpdate(1, ptr::null_mut(), 5, ptr::null_mut(), ptr::null_mut())
        ),
        call!(
            r,
            C_DecryptUpdate(1, ptr::null_mut(), 5, ptr::null_mut(), ptr::null_mut())
        ),
        call!(r, C_EncryptFinal(1, ptr::null_mut(), ptr::null_mut())),
        call!(r, C_DecryptFinal(1, ptr::null_mut(), ptr::null_mut())),
        call!(
            r,
            C_WrapKey(1, ptr::null_mut(), 1, 2, ptr::null_mut(), ptr::null_mut())
        ),
        call!(
            r,
            C_UnwrapKey(
                1,
                ptr::null_mut(),
                1,
                ptr::null_mut(),
                0,
                ptr::null_mut(),
                0,
                ptr::null_mut()
            )
        ),
    ] {
        assert_eq!(rv, CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    assert_eq!(call!(r, C_Initialize(ptr::null_mut())), CKR_OK);
    assert_eq!(
        call!(r, C_EncryptInit(99, &mut ctr, 1)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(99, data.as_mut_ptr(), 10, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_SESSION_HANDLE_INVALID
    );

    // A token, a user session, a Kuznyechik key and an AES key.
    let mut so = *b"Ad9mQ4kz";
    let mut user = *b"11223344";
    let mut label = [b' '; 32];
    assert_eq!(
        call!(r, C_InitToken(0, so.as_mut_ptr(), 8, label.as_mut_ptr())),
        CKR_OK
    );
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
    assert_eq!(
        call!(r, C_OpenSession(0, flags, ptr::null_mut(), None, &mut h)),
        CKR_OK
    );
    assert_eq!(call!(r, C_Login(h, CKU_SO, so.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_InitPIN(h, user.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);
    assert_eq!(call!(r, C_Login(h, CKU_USER, user.as_mut_ptr(), 8)), CKR_OK);
    let kuz = create_secret(&r, h, CKK_KUZNYECHIK, [0x11; 32]);
    let aes = create_secret(&r, h, CKK_AES, [0x22; 32]);

    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(h, data.as_mut_ptr(), 10, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    // Key handle, then key type, then parameter.
    let mut short = [0u8; 11];
    let mut bad = mech(CKM_KUZNYECHIK_CTR_ACPKM, &mut short);
    assert_eq!(
        call!(r, C_EncryptInit(h, &mut bad, 0xdead)),
        CKR_KEY_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_EncryptInit(h, &mut bad, aes)),
        CKR_KEY_TYPE_INCONSISTENT
    );
    assert_eq!(
        call!(r, C_EncryptInit(h, &mut bad, kuz)),
        CKR_MECHANISM_PARAM_INVALID
    );

    // The reference: single-part C_Encrypt of the 10 bytes.
    let mut reference = [0u8; 10];
    let mut n: CK_ULONG = 10;
    assert_eq!(call!(r, C_EncryptInit(h, &mut ctr, kuz)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, data.as_mut_ptr(), 10, reference.as_mut_ptr(), &mut n)
        ),
        CKR_OK
    );
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, data.as_mut_ptr(), 10, reference.as_mut_ptr(), &mut n)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // Multi-part: active first (even with a bad key), length query and small buffer keep state.
    assert_eq!(call!(r, C_EncryptInit(h, &mut ctr, kuz)), CKR_OK);
    assert_eq!(
        call!(r, C_EncryptInit(h, &mut bad, 0xdead)),
        CKR_OPERATION_ACTIVE
    );
    let mut len: CK_ULONG = 0;
    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(h, data.as_mut_ptr(), 10, ptr::null_mut(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 10);
    len = 5;
    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(h, data.as_mut_ptr(), 10, out.as_mut_ptr(), &mut len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 10);
    len = 64;
    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(h, data.as_mut_ptr(), 4, out.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 4);
    len = 60;
    assert_eq!(
        call!(
            r,
            C_EncryptUpdate(h, data.as_mut_ptr(), 6, out[4..].as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(out[..10], reference, "queries consumed nothing");
    // Single-part after an update is refused, and that ends the operation.
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, data.as_mut_ptr(), 10, out.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_ACTIVE
    );
    assert_eq!(
        call!(r, C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_EncryptInit(h, &mut ctr, kuz)), CKR_OK);
    len = 64;
    assert_eq!(
        call!(r, C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_OK
    );
    assert_eq!(len, 0);
    assert_eq!(
        call!(r, C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // AES-CBC-PAD decryption: the NULL query gives an upper bound, a small buffer the exact
    // length, and neither consumes the input.
    let mut iv = [0u8; 16];
    let mut cbc = mech(CKM_AES_CBC_PAD, &mut iv);
    let mut plain = [0x33u8; 20];
    let mut ct = [0u8; 32];
    len = 32;
    assert_eq!(call!(r, C_EncryptInit(h, &mut cbc, aes)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, plain.as_mut_ptr(), 20, ct.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 32);
    assert_eq!(call!(r, C_DecryptInit(h, &mut cbc, aes)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 32, ptr::null_mut(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 32);
    len = 19;
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 32, out.as_mut_ptr(), &mut len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 20);
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 32, out.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(out[..20], plain);
    // An error ends the operation.
    assert_eq!(call!(r, C_DecryptInit(h, &mut cbc, aes)), CKR_OK);
    len = 64;
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 31, out.as_mut_ptr(), &mut len)
        ),
        CKR_ENCRYPTED_DATA_LEN_RANGE
    );
    assert_eq!(
        call!(r, C_DecryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // Wrapping: handles and mechanism first, then the length query and a small buffer.
    let twin = create_secret(&r, h, CKK_KUZNYECHIK_TWIN_KEY, [0x44; 64]);
    let mut kexp_iv = [0u8; 8];
    let mut kexp = mech(CKM_KUZNYECHIK_KEXP_15_WRAP, &mut kexp_iv);
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, 0xdead, kuz, ptr::null_mut(), &mut len)
        ),
        CKR_WRAPPING_KEY_HANDLE_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, twin, 0xdead, ptr::null_mut(), &mut len)
        ),
        CKR_KEY_HANDLE_INVALID
    );
    let mut aes_wrap = CK_MECHANISM {
        mechanism: CKM_AES_KEY_WRAP,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut aes_wrap, twin, kuz, ptr::null_mut(), &mut len)
        ),
        CKR_MECHANISM_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, aes, kuz, ptr::null_mut(), &mut len)
        ),
        CKR_WRAPPING_KEY_TYPE_INCONSISTENT
    );
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, twin, kuz, ptr::null_mut(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 48);
    len = 47;
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, twin, kuz, out.as_mut_ptr(), &mut len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 48);
    assert_eq!(
        call!(
            r,
            C_WrapKey(h, &mut kexp, twin, kuz, out.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    let mut unwrapped = 0;
    assert_eq!(
        call!(
            r,
            C_UnwrapKey(
                h,
                &mut kexp,
                0xdead,
                out.as_mut_ptr(),
                48,
                ptr::null_mut(),
                0,
                &mut unwrapped
            )
        ),
        CKR_UNWRAPPING_KEY_HANDLE_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_UnwrapKey(
                h,
                &mut kexp,
                twin,
                out.as_mut_ptr(),
                48,
                ptr::null_mut(),
                0,
                &mut unwrapped
            )
        ),
        CKR_OK
    );
    // The unwrapped key (a Kuznyechik key by default) encrypts like the original.
    let mut again = [0u8; 10];
    n = 10;
    assert_eq!(call!(r, C_EncryptInit(h, &mut ctr, unwrapped)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, data.as_mut_ptr(), 10, again.as_mut_ptr(), &mut n)
        ),
        CKR_OK
    );
    assert_eq!(again, reference);
    // Logged out, the (private) secret keys are out of sight.
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_UnwrapKey(
                h,
                &mut kexp,
                twin,
                out.as_mut_ptr(),
                48,
                ptr::null_mut(),
                0,
                &mut unwrapped
            )
        ),
        CKR_UNWRAPPING_KEY_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_EncryptInit(h, &mut ctr, kuz)),
        CKR_KEY_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_Finalize(ptr::null_mut())), CKR_OK);
}
