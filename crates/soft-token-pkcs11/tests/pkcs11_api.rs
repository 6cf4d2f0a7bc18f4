//! The PKCS#11 module through the Rust `cryptoki` crate (loading `libsoft_token_pkcs11.so`) and
//! through its raw function list (in process): PIN lifecycle and the return codes of misuse.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::path::PathBuf;
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;
use gost::signature::Verifier;
use gost::signature::hazmat::PrehashVerifier;

/// Tests here share the process environment (the configuration variable) and the in-process
/// module state: they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The vendor default SO PIN tokens are handed out with: no keys until it is changed.
const VENDOR_SO_PIN: &str = "87654321";
/// The SO PIN of the tests' tokens (not a vendor default, so keys may be made).
const SO_PIN: &str = "Ad9mQ4kz";
const USER_PIN: &str = "11223344";

/// Same rule as in `pkcs11_tool.rs`: the fresher of deps/ and the profile directory.
fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("libsoft_token_pkcs11.so"),
        deps.parent().unwrap().join("libsoft_token_pkcs11.so"),
    ]
    .into_iter()
    .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
    .max()
    .map(|(_, p)| p)
    .expect("libsoft_token_pkcs11.so is missing: build it with `cargo build -p keycarrier-soft-token-pkcs11`")
}

/// A fresh one-slot configuration; holds the serialising lock.
struct Env {
    dir: tempfile::TempDir,
    _guard: MutexGuard<'static, ()>,
}

impl Env {
    /// Slot 0's token directory.
    fn token_dir(&self) -> PathBuf {
        self.dir.path().join("t")
    }
}

fn env() -> Env {
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::write(
        &conf,
        format!(
            "slot.0 = {}\nkdf_iterations = 10\n",
            dir.path().join("t").display()
        ),
    )
    .unwrap();
    // SAFETY: every test in this binary holds SERIAL while it runs, so no other thread reads or
    // writes the environment concurrently.
    unsafe { std::env::set_var("KEYCARRIER_SOFTTOKEN_CONF", &conf) };
    Env { dir, _guard: guard }
}

fn pkcs11() -> Pkcs11 {
    let p = Pkcs11::new(module_path()).unwrap();
    p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    p
}

fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other:?}"),
    }
}

fn pin(s: &str) -> AuthPin {
    AuthPin::new(s.into())
}

/// init-token with the tests' SO PIN + SO sets the user PIN.
fn initialised(p: &Pkcs11) -> cryptoki::slot::Slot {
    initialised_with(p, SO_PIN)
}

/// init-token with `so_pin` + SO sets the user PIN.
fn initialised_with(p: &Pkcs11, so_pin: &str) -> cryptoki::slot::Slot {
    let slot = p.get_slots_with_token().unwrap()[0];
    assert!(!p.get_token_info(slot).unwrap().token_initialized());
    p.init_token(slot, &pin(so_pin), "u08").unwrap();
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&pin(so_pin))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    slot
}

#[test]
fn u08_wrong_pins_count_down_block_and_the_so_resets() {
    let _env = env();
    let p = pkcs11();
    let slot = initialised_with(&p, VENDOR_SO_PIN);
    let info = p.get_token_info(slot).unwrap();
    assert!(info.user_pin_initialized() && info.login_required());
    assert!(!info.user_pin_count_low());
    assert!(info.so_pin_to_be_changed(), "87654321 is a vendor default");

    let s = p.open_rw_session(slot).unwrap();
    let wrong = pin("99999999");
    assert_eq!(
        rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
        RvError::PinIncorrect
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_count_low());
    // A PIN of impossible length is refused before the counter is touched.
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin("12"))).unwrap_err()),
        RvError::PinLenRange
    );
    for _ in 0..8 {
        assert_eq!(
            rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
            RvError::PinIncorrect
        );
    }
    // The counters are persistent: a second module instance (a new process) sees them.
    let info = p.get_token_info(slot).unwrap();
    assert!(info.user_pin_final_try() && !info.user_pin_locked());
    assert_eq!(
        rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
        RvError::PinIncorrect
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin(USER_PIN))).unwrap_err()),
        RvError::PinLocked
    );

    // The SO unblocks by setting a new user PIN.
    s.login(UserType::So, Some(&pin(VENDOR_SO_PIN))).unwrap();
    assert_eq!(
        rv(s.login(UserType::So, Some(&pin(VENDOR_SO_PIN)))
            .unwrap_err()),
        RvError::UserAlreadyLoggedIn
    );
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin(USER_PIN))).unwrap_err()),
        RvError::UserAnotherAlreadyLoggedIn
    );
    // No read-only session while the SO is logged in.
    assert_eq!(
        rv(p.open_ro_session(slot).unwrap_err()),
        RvError::SessionReadWriteSoExists
    );
    s.init_pin(&pin("Rx7mQ2wz")).unwrap();
    s.logout().unwrap();
    assert_eq!(rv(s.logout().unwrap_err()), RvError::UserNotLoggedIn);
    let info = p.get_token_info(slot).unwrap();
    assert!(!info.user_pin_locked() && !info.user_pin_count_low());
    s.login(UserType::User, Some(&pin("Rx7mQ2wz"))).unwrap();

    // The user changes the PIN; the old one stops working.
    s.set_pin(&pin("Rx7mQ2wz"), &pin("Kq3zP8vn")).unwrap();
    s.logout().unwrap();
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin("Rx7mQ2wz"))).unwrap_err()),
        RvError::PinIncorrect
    );
    s.login(UserType::User, Some(&pin("Kq3zP8vn"))).unwrap();
    // A new PIN of bad length.
    assert_eq!(
        rv(s.set_pin(&pin("Kq3zP8vn"), &pin("1")).unwrap_err()),
        RvError::PinLenRange
    );
    p.finalize().unwrap();
}

#[test]
fn u05_rsa_and_gost_sign_verify_digest_and_misuse_codes() {
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::ModulusBits(2048.into()),
                Attribute::PublicExponent(vec![1, 0, 1]),
                Attribute::Id(vec![7]),
                Attribute::Label(b"pub".to_vec()),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Id(vec![7]),
            ],
        )
        .unwrap();
    let info = s
        .get_attribute_info(
            private,
            &[
                AttributeType::Value,
                AttributeType::PrivateExponent,
                AttributeType::Modulus,
            ],
        )
        .unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive));
    assert!(matches!(info[1], AttributeInfo::Sensitive));
    assert!(matches!(info[2], AttributeInfo::Available(256)));
    let attrs = s
        .get_attributes(public, &[AttributeType::ModulusBits, AttributeType::Label])
        .unwrap();
    assert!(
        attrs.contains(&Attribute::ModulusBits(2048.into())),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&Attribute::Label(b"pub".to_vec())),
        "{attrs:?}"
    );

    let data = b"payment order 42";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, private, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    let mut bad = sig.clone();
    bad[5] ^= 1;
    assert_eq!(
        rv(s.verify(&Mechanism::Sha256RsaPkcs, public, data, &bad)
            .unwrap_err()),
        RvError::SignatureInvalid
    );
    let pss = Mechanism::Sha256RsaPkcsPss(PkcsPssParams {
        hash_alg: MechanismType::SHA256,
        mgf: PkcsMgfType::MGF1_SHA256,
        s_len: 32.into(),
    });
    let sig = s.sign(&pss, private, data).unwrap();
    s.verify(&pss, public, data, &sig).unwrap();

    // Digests: SHA-256 and Streebog (TC26 vendor mechanisms).
    use sha2::Digest;
    assert_eq!(
        s.digest(&Mechanism::Sha256, data).unwrap(),
        sha2::Sha256::digest(data).to_vec()
    );
    let vendor = |m| {
        Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
            MechanismType::new_vendor_defined(m).unwrap(),
            None,
        ))
    };
    assert_eq!(
        s.digest(&vendor(0xD432_1012), data).unwrap(),
        gost::streebog256(data).to_vec()
    );
    assert_eq!(
        s.digest(&vendor(0xD432_1013), data).unwrap(),
        gost::streebog512(data).to_vec()
    );
    assert_eq!(
        rv(s.digest(&Mechanism::Sha1, data).unwrap_err()),
        RvError::MechanismInvalid
    );

    // A wrong mechanism for the key; a raw GOST mechanism on an RSA key.
    assert_eq!(
        rv(s.sign(&vendor(0xD432_1006), private, &[0; 64]).unwrap_err()),
        RvError::KeyTypeInconsistent
    );

    // Objects: private ones vanish on logout; signing then needs the login.
    let all = s.find_objects(&[]).unwrap().len();
    s.logout().unwrap();
    let visible = s.find_objects(&[]).unwrap();
    assert_eq!(visible, vec![public], "{all} objects when logged in");
    assert_eq!(
        rv(s.sign(&Mechanism::Sha256RsaPkcs, private, data)
            .unwrap_err()),
        RvError::UserNotLoggedIn
    );
    // A read-only session cannot create token objects.
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Value(b"x".to_vec())
            ])
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    // A data object and a relabel in the read-write session.
    let obj = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Label(b"note".to_vec()),
            Attribute::Value(b"hello".to_vec()),
        ])
        .unwrap();
    s.update_attributes(obj, &[Attribute::Label(b"renamed".to_vec())])
        .unwrap();
    let found = s
        .find_objects(&[Attribute::Label(b"renamed".to_vec())])
        .unwrap();
    assert_eq!(found, vec![obj]);
    s.destroy_object(obj).unwrap();
    assert!(
        s.find_objects(&[Attribute::Label(b"renamed".to_vec())])
            .unwrap()
            .is_empty()
    );
    p.finalize().unwrap();
}

/// Calls through the in-process function list.
struct Raw(&'static CK_FUNCTION_LIST);

macro_rules! call {
    ($raw:expr, $f:ident ( $($arg:expr),* )) => {{
        let f = $raw.0.$f.expect(stringify!($f));
        // SAFETY: the function comes from the module's own table; every pointer argument in
        // these tests points to live, correctly sized local storage (or is NULL where the
        // specification allows it).
        unsafe { f($($arg),*) }
    }};
}

fn raw() -> Raw {
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(
        unsafe { soft_token_pkcs11::ffi::C_GetFunctionList(&mut list) },
        CKR_OK
    );
    // SAFETY: the module returns a pointer to its static table.
    Raw(unsafe { &*list })
}

fn attr(kind: CK_ATTRIBUTE_TYPE, value: &mut [u8]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: value.as_mut_ptr().cast(),
        ulValueLen: value.len() as CK_ULONG,
    }
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
    assert_eq!(
        call!(r, C_EncryptInit(h, ptr::null_mut(), 0)),
        CKR_FUNCTION_NOT_SUPPORTED
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
fn c_copy_object_copies_keys_under_a_new_id_and_refuses_read_only_attributes() {
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::ModulusBits(2048.into()),
                Attribute::Id(vec![1]),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Id(vec![1]),
            ],
        )
        .unwrap();
    // A copy under a new id: the sealed key material is re-sealed for the new id and signs.
    let copy = s
        .copy_object(
            private,
            &[Attribute::Id(vec![2]), Attribute::Label(b"copy".to_vec())],
        )
        .unwrap();
    assert_ne!(copy, private);
    let attrs = s
        .get_attributes(copy, &[AttributeType::Id, AttributeType::Label])
        .unwrap();
    assert!(
        attrs.contains(&Attribute::Id(vec![2]))
            && attrs.contains(&Attribute::Label(b"copy".to_vec())),
        "{attrs:?}"
    );
    let data = b"signed by the copy";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, copy, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    // The original is untouched.
    assert!(
        s.get_attributes(private, &[AttributeType::Id])
            .unwrap()
            .contains(&Attribute::Id(vec![1]))
    );
    // What cannot change is refused, and nothing is copied.
    let before = s.find_objects(&[]).unwrap().len();
    assert_eq!(
        rv(s.copy_object(private, &[Attribute::Sensitive(false)])
            .unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(
        rv(s.copy_object(private, &[Attribute::Private(false)])
            .unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);
    // CKA_TOKEN = false makes a session copy (see `session_objects_…`).
    let session_copy = s.copy_object(private, &[Attribute::Token(false)]).unwrap();
    assert!(
        s.get_attributes(session_copy, &[AttributeType::Token])
            .unwrap()
            .contains(&Attribute::Token(false))
    );
    // A private object cannot be copied without the user logged in.
    s.logout().unwrap();
    assert!(s.copy_object(private, &[]).is_err());
}

/// The Rutoken vendor table of the loaded module (the same library `cryptoki` opened, so the
/// same module state), looked up with dlsym.
fn extended_list(
    lib: &libloading::Library,
) -> &'static soft_token_pkcs11::ffi::FunctionListExtended {
    // SAFETY: the symbol has the declared C type (soft_token_pkcs11::ffi).
    let get: libloading::Symbol<soft_token_pkcs11::ffi::ExGetFunctionListExtended> =
        unsafe { lib.get(b"C_EX_GetFunctionListExtended\0") }.unwrap();
    let mut list: *mut soft_token_pkcs11::ffi::FunctionListExtended = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(unsafe { get(&mut list) }, CKR_OK);
    // SAFETY: NULL is the documented misuse.
    assert_eq!(unsafe { get(ptr::null_mut()) }, CKR_ARGUMENTS_BAD);
    // SAFETY: the module returns a pointer to its static table, alive while `lib` is loaded
    // (and the test keeps the library loaded through `cryptoki` until the process ends).
    unsafe { &*list }
}

#[test]
fn rutoken_unblock_user_pin_keeps_the_pin_and_refills_the_counter() {
    let env = env();
    let p = pkcs11();
    // SAFETY: loading the module cryptoki already loaded runs no new initialisers.
    let lib = unsafe { libloading::Library::new(module_path()) }.unwrap();
    let ex = extended_list(&lib);
    assert_eq!((ex.version.major, ex.version.minor), (1, 0));
    // The placeholders answer "not supported" (C_EX_InitToken, GetTokenInfoExtended, the rest).
    for stub in [ex.init_token, ex.get_token_info_extended]
        .into_iter()
        .chain(ex.further)
    {
        // SAFETY: placeholders take no argument.
        assert_eq!(unsafe { stub.unwrap()() }, CKR_FUNCTION_NOT_SUPPORTED);
    }
    let unblock = ex.unblock_user_pin.unwrap();

    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[Attribute::Token(true), Attribute::ModulusBits(2048.into())],
            &[Attribute::Token(true), Attribute::Sign(true)],
        )
        .unwrap();
    s.logout().unwrap();
    // Lock the user PIN with wrong tries.
    for _ in 0..10 {
        assert_eq!(
            rv(s.login(UserType::User, Some(&pin("99999999"))).unwrap_err()),
            RvError::PinIncorrect
        );
    }
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());
    // Without the SO: refused, nothing changes. A stale handle: refused.
    // SAFETY: the function takes a session handle by value.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_USER_NOT_LOGGED_IN);
    // SAFETY: as above.
    assert_eq!(
        unsafe { unblock(s.handle() + 1000) },
        CKR_SESSION_HANDLE_INVALID
    );
    assert!(p.get_token_info(slot).unwrap().user_pin_locked());

    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_OK);
    s.logout().unwrap();
    let info = p.get_token_info(slot).unwrap();
    assert!(
        !info.user_pin_locked() && !info.user_pin_count_low() && !info.user_pin_final_try(),
        "{info:?}"
    );
    // The counter is full on disk.
    let token = soft_token::SoftToken::open(&env.token_dir());
    use token_core::Carrier;
    let status = token.pin_status(token_core::PinRole::User).unwrap();
    assert_eq!(status.retries_left, status.max_retries);
    assert_eq!(status.retries_left, Some(10));
    // The old PIN works, and so does the key made before.
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let data = b"after the unblock";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, private, data).unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    // A user session cannot unblock.
    // SAFETY: as above.
    assert_eq!(unsafe { unblock(s.handle()) }, CKR_USER_NOT_LOGGED_IN);
    drop(s);
    p.finalize().unwrap();
}

/// CKA_GOSTR3410_PARAMS: cryptoki has no name for it; its number goes through `VendorDefined`.
fn gost_params(set: token_core::GostParamSet) -> Attribute {
    use token_core::der::Encode;
    Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_GOSTR3410_PARAMS),
        set.oid().to_der().unwrap(),
    ))
}

fn gost_key_type(set: token_core::GostParamSet) -> cryptoki::object::KeyType {
    match set.key_size() {
        token_core::GostKeySize::Bits256 => cryptoki::object::KeyType::GOSTR3410,
        token_core::GostKeySize::Bits512 => {
            cryptoki::object::KeyType::new_vendor_defined(0xD432_1003).unwrap()
        }
    }
}

fn vendor_mech(m: CK_MECHANISM_TYPE) -> Mechanism<'static> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        MechanismType::new_vendor_defined(m).unwrap(),
        None,
    ))
}

#[test]
fn c_create_object_imports_gost_private_keys_that_sign_and_refuses_bad_ones() {
    use token_core::GostParamSet;
    let env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    let msg = b"imported key, payment order 44";
    let private_template = |set: GostParamSet, d: Vec<u8>, id: u8| {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Id(vec![id]),
            Attribute::Label(b"imported".to_vec()),
            Attribute::Value(d),
            gost_params(set),
        ]
    };
    let key256 = gost::SigningKey::generate(GostParamSet::CryptoProA).unwrap();
    let t = private_template(GostParamSet::CryptoProA, key256.to_le_bytes().to_vec(), 1);
    // The user must be logged in, in a read-write session.
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::UserNotLoggedIn
    );
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro.create_object(&t).unwrap_err()),
        RvError::SessionReadOnly
    );

    let mut keys = Vec::new();
    for (set, mech, id) in [
        (GostParamSet::CryptoProA, 0xD432_1008, 1u8),
        (GostParamSet::Tc26_512A, 0xD432_1009, 2u8),
    ] {
        let key = if id == 1 {
            key256.clone()
        } else {
            gost::SigningKey::generate(set).unwrap()
        };
        let h = s
            .create_object(&private_template(set, key.to_le_bytes().to_vec(), id))
            .unwrap();
        let sig = s.sign(&vendor_mech(mech), h, msg).unwrap();
        key.verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
        // Imported, not generated: never "always sensitive" / "never extractable"; the
        // scalar stays sensitive.
        let attrs = s
            .get_attributes(
                h,
                &[
                    AttributeType::Local,
                    AttributeType::AlwaysSensitive,
                    AttributeType::NeverExtractable,
                    AttributeType::Sensitive,
                    AttributeType::Token,
                ],
            )
            .unwrap();
        for want in [
            Attribute::Local(false),
            Attribute::AlwaysSensitive(false),
            Attribute::NeverExtractable(false),
            Attribute::Sensitive(true),
            Attribute::Token(true),
        ] {
            assert!(attrs.contains(&want), "{want:?} not in {attrs:?}");
        }
        assert!(matches!(
            s.get_attribute_info(h, &[AttributeType::Value]).unwrap()[0],
            AttributeInfo::Sensitive
        ));
        // Its public half under the same id: accepted with CKA_VALUE = X_le ‖ Y_le.
        let public = s
            .create_object(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::KeyType(gost_key_type(set)),
                Attribute::Token(true),
                Attribute::Id(vec![id]),
                Attribute::Value(key.verifying_key().as_raw_le().to_vec()),
                gost_params(set),
            ])
            .unwrap();
        s.verify(&vendor_mech(mech), public, msg, &sig).unwrap();
        keys.push((key, h, mech));
    }
    // Another key's public half under id 1 is refused.
    let other = gost::SigningKey::generate(GostParamSet::CryptoProA).unwrap();
    assert_eq!(
        rv(s.create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(cryptoki::object::KeyType::GOSTR3410),
            Attribute::Token(true),
            Attribute::Id(vec![1]),
            Attribute::Value(other.verifying_key().as_raw_le().to_vec()),
            gost_params(GostParamSet::CryptoProA),
        ])
        .unwrap_err()),
        RvError::TemplateInconsistent
    );

    // Another private key under id 1 (which holds key256's pair) is refused too.
    assert_eq!(
        rv(s.create_object(&private_template(
            GostParamSet::CryptoProA,
            other.to_le_bytes().to_vec(),
            1
        ))
        .unwrap_err()),
        RvError::TemplateInconsistent
    );

    // Bad scalars and templates.
    let q_le = {
        // q of CryptoPro-A, little-endian: d = q is out of range.
        let mut q = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893");
        q.reverse();
        q
    };
    let before = s.find_objects(&[]).unwrap().len();
    for (d, want) in [
        (vec![0u8; 32], RvError::AttributeValueInvalid),
        (q_le, RvError::AttributeValueInvalid),
        (vec![1u8; 31], RvError::AttributeValueInvalid),
    ] {
        let t = private_template(GostParamSet::CryptoProA, d, 9);
        assert_eq!(rv(s.create_object(&t).unwrap_err()), want);
    }
    let mut t = private_template(GostParamSet::Tc26_512A, vec![1u8; 64], 9);
    t.retain(|a| a.attribute_type() != AttributeType::VendorDefined(CKA_GOSTR3410_PARAMS));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::TemplateIncomplete
    );
    t.push(gost_params(GostParamSet::CryptoProA));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let mut t = private_template(GostParamSet::CryptoProA, key256.to_le_bytes().to_vec(), 9);
    t.push(Attribute::Local(true));
    assert_eq!(
        rv(s.create_object(&t).unwrap_err()),
        RvError::AttributeReadOnly
    );
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);

    // The scalar is sealed on disk, and the keys survive a restart of the module.
    let state = std::fs::read(env.token_dir().join("token.der")).unwrap();
    for (key, _, _) in &keys {
        let d = key.to_le_bytes();
        assert!(!state.windows(d.len()).any(|w| w == d.as_slice()));
    }
    drop((s, ro));
    p.finalize().unwrap();
    let p = pkcs11();
    let s = p.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    for (key, h, mech) in &keys {
        let sig = s.sign(&vendor_mech(*mech), *h, msg).unwrap();
        key.verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
    }
    drop(s);
    p.finalize().unwrap();
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn c_create_object_imports_rsa_private_keys_and_checks_their_components() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs1::der::Decode;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let key = rsa::RsaPrivateKey::new(&mut rand_core::UnwrapErr(getrandom::SysRng), 2048).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    let k = rsa::pkcs1::RsaPrivateKeyRef::from_der(der.as_bytes()).unwrap();
    let b = |u: rsa::pkcs1::UintRef<'_>| u.as_bytes().to_vec();
    let full = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(cryptoki::object::KeyType::RSA),
        Attribute::Token(true),
        Attribute::Sign(true),
        Attribute::Id(vec![3]),
        Attribute::Modulus(b(k.modulus)),
        Attribute::PublicExponent(b(k.public_exponent)),
        Attribute::PrivateExponent(b(k.private_exponent)),
        Attribute::Prime1(b(k.prime1)),
        Attribute::Prime2(b(k.prime2)),
        Attribute::Exponent1(b(k.exponent1)),
        Attribute::Exponent2(b(k.exponent2)),
        Attribute::Coefficient(b(k.coefficient)),
    ];
    let before = s.find_objects(&[]).unwrap().len();
    // Inconsistent components: a wrong CRT coefficient, a wrong d, one prime only.
    let tweak = |kind: AttributeType| {
        full.iter()
            .map(|a| match a {
                Attribute::Coefficient(v) if kind == AttributeType::Coefficient => {
                    let mut v = v.clone();
                    v[10] ^= 1;
                    Attribute::Coefficient(v)
                }
                Attribute::PrivateExponent(v) if kind == AttributeType::PrivateExponent => {
                    let mut v = v.clone();
                    v[10] ^= 1;
                    Attribute::PrivateExponent(v)
                }
                other => other.clone(),
            })
            .collect::<Vec<_>>()
    };
    for bad in [AttributeType::Coefficient, AttributeType::PrivateExponent] {
        assert_eq!(
            rv(s.create_object(&tweak(bad)).unwrap_err()),
            RvError::TemplateInconsistent,
            "{bad:?}"
        );
    }
    let one_prime: Vec<_> = full
        .iter()
        .filter(|a| a.attribute_type() != AttributeType::Prime2)
        .cloned()
        .collect();
    assert_eq!(
        rv(s.create_object(&one_prime).unwrap_err()),
        RvError::TemplateInconsistent
    );
    let no_d: Vec<_> = full
        .iter()
        .filter(|a| a.attribute_type() != AttributeType::PrivateExponent)
        .cloned()
        .collect();
    assert_eq!(
        rv(s.create_object(&no_d).unwrap_err()),
        RvError::TemplateIncomplete
    );
    // A modulus of no bytes or of zeros only.
    for n in [vec![], vec![0u8; 256]] {
        let t: Vec<_> = full
            .iter()
            .map(|a| match a {
                Attribute::Modulus(_) => Attribute::Modulus(n.clone()),
                other => other.clone(),
            })
            .collect();
        assert_eq!(
            rv(s.create_object(&t).unwrap_err()),
            RvError::AttributeValueInvalid
        );
    }
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);

    // The full set, and n, e, d alone (primes recovered), both sign; the module's public key
    // object from n and e verifies.
    let minimal: Vec<_> = full[..8].to_vec();
    let public = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(cryptoki::object::KeyType::RSA),
            Attribute::Token(true),
            Attribute::Id(vec![3]),
            Attribute::Modulus(b(k.modulus)),
            Attribute::PublicExponent(b(k.public_exponent)),
        ])
        .unwrap();
    for t in [full.clone(), minimal] {
        let h = s.create_object(&t).unwrap();
        let data = b"rsa import";
        let sig = s.sign(&Mechanism::Sha256RsaPkcs, h, data).unwrap();
        s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
            .unwrap();
        for secret in [AttributeType::PrivateExponent, AttributeType::Prime1] {
            assert!(matches!(
                s.get_attribute_info(h, &[secret]).unwrap()[0],
                AttributeInfo::Sensitive
            ));
        }
    }
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn session_objects_live_in_memory_for_the_session_that_made_them() {
    use token_core::GostParamSet;
    let env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let state_file = env.token_dir().join("token.der");
    let on_disk = || std::fs::read(&state_file).unwrap();
    let before = on_disk();

    // A read-only public session may make a public session object; every session sees it.
    let ro = p.open_ro_session(slot).unwrap();
    let other = p.open_rw_session(slot).unwrap();
    let note = ro
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Label(b"memo".to_vec()),
            Attribute::Value(b"in memory".to_vec()),
        ])
        .unwrap();
    assert_eq!(
        other
            .find_objects(&[Attribute::Token(false), Attribute::Label(b"memo".to_vec())])
            .unwrap(),
        vec![note]
    );
    assert!(
        other
            .get_attributes(note, &[AttributeType::Token])
            .unwrap()
            .contains(&Attribute::Token(false))
    );
    other
        .update_attributes(note, &[Attribute::Label(b"memo 2".to_vec())])
        .unwrap();
    // A token object still needs a read-write session; a private session object the user.
    assert_eq!(
        rv(ro
            .create_object(&[Attribute::Class(ObjectClass::DATA), Attribute::Token(true)])
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    assert_eq!(
        rv(ro
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(false),
                Attribute::Private(true)
            ])
            .unwrap_err()),
        RvError::UserNotLoggedIn
    );
    assert_eq!(on_disk(), before, "session objects never reach the disk");

    // Private session objects: a GOST key pair generated in memory, and an imported key.
    ro.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = ro
        .generate_key_pair(
            &vendor_mech(0xD432_1005),
            &[
                Attribute::Token(false),
                gost_params(GostParamSet::Tc26_512B),
                Attribute::Id(vec![0x51]),
            ],
            &[
                Attribute::Token(false),
                Attribute::Sign(true),
                Attribute::Id(vec![0x51]),
            ],
        )
        .unwrap();
    let msg = b"session key";
    let sig = other.sign(&vendor_mech(0xD432_1009), private, msg).unwrap();
    other
        .verify(&vendor_mech(0xD432_1009), public, msg, &sig)
        .unwrap();
    let imported = gost::SigningKey::generate(GostParamSet::Tc26_512A).unwrap();
    let session_key = ro
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_512A)),
            Attribute::Token(false),
            Attribute::Id(vec![0x52]),
            Attribute::Value(imported.to_le_bytes().to_vec()),
            gost_params(GostParamSet::Tc26_512A),
        ])
        .unwrap();
    let sig = ro
        .sign(&vendor_mech(0xD432_1009), session_key, msg)
        .unwrap();
    imported
        .verifying_key()
        .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
        .unwrap();
    assert_eq!(on_disk(), before, "session keys never reach the disk");

    // Copies: session → token (sealed on disk, survives the session), token → session.
    let to_token = other
        .copy_object(
            session_key,
            &[Attribute::Token(true), Attribute::Id(vec![0x53])],
        )
        .unwrap();
    assert_ne!(on_disk(), before);
    let d = imported.to_le_bytes();
    assert!(!on_disk().windows(d.len()).any(|w| w == d.as_slice()));
    let back = other
        .copy_object(to_token, &[Attribute::Token(false)])
        .unwrap();
    for h in [to_token, back] {
        let sig = other.sign(&vendor_mech(0xD432_1009), h, msg).unwrap();
        imported
            .verifying_key()
            .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
            .unwrap();
    }

    // Private session objects vanish from view on logout and come back on login.
    ro.logout().unwrap();
    let visible = other.find_objects(&[Attribute::Token(false)]).unwrap();
    assert_eq!(visible, vec![note, public], "{visible:?}");
    assert_eq!(
        rv(other
            .get_attributes(private, &[AttributeType::Label])
            .unwrap_err()),
        RvError::ObjectHandleInvalid
    );
    other.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    assert_eq!(
        other
            .find_objects(&[Attribute::Token(false)])
            .unwrap()
            .len(),
        5
    );

    // Closing the session that made them destroys them; the copy made by `other` stays until
    // `other` closes; the token copy stays.
    let (ro_handle, other_handle) = (ro.handle(), other.handle());
    drop(ro);
    let left = other.find_objects(&[Attribute::Token(false)]).unwrap();
    assert_eq!(left, vec![back]);
    for gone in [note, public, private, session_key] {
        assert_eq!(
            rv(other.destroy_object(gone).unwrap_err()),
            RvError::ObjectHandleInvalid
        );
    }
    other.destroy_object(back).unwrap();
    assert!(
        other
            .find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    assert_ne!(ro_handle, other_handle);

    // C_CloseAllSessions and C_Finalize end them too.
    let s = p.open_rw_session(slot).unwrap();
    let memo = |s: &cryptoki::session::Session| {
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Value(b"x".to_vec()),
        ])
        .unwrap()
    };
    memo(&s);
    // cryptoki has no C_CloseAllSessions: call it through the loaded module's table.
    // SAFETY: loading the module cryptoki already loaded runs no new initialisers.
    let lib = unsafe { libloading::Library::new(module_path()) }.unwrap();
    // SAFETY: the symbol has the PKCS#11 type.
    let get: libloading::Symbol<unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV> =
        unsafe { lib.get(b"C_GetFunctionList\0") }.unwrap();
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer; the table is static in the module.
    assert_eq!(unsafe { get(&mut list) }, CKR_OK);
    // SAFETY: as above; the slot id is passed by value.
    let close_all = unsafe { (*list).C_CloseAllSessions.unwrap() };
    // SAFETY: takes the slot id by value.
    assert_eq!(unsafe { close_all(slot.id()) }, CKR_OK);
    std::mem::forget(s);
    let s = p.open_rw_session(slot).unwrap();
    assert!(
        s.find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    memo(&s);
    std::mem::forget(s);
    drop(other);
    p.finalize().unwrap();
    let p = pkcs11();
    let s = p.open_rw_session(slot).unwrap();
    assert!(
        s.find_objects(&[Attribute::Token(false)])
            .unwrap()
            .is_empty()
    );
    // The token copy is still there and signs.
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let found = s.find_objects(&[Attribute::Id(vec![0x53])]).unwrap();
    assert_eq!(found, vec![to_token]);
    let sig = s.sign(&vendor_mech(0xD432_1009), to_token, msg).unwrap();
    imported
        .verifying_key()
        .verify(msg, &gost::Signature::from_bytes(&sig).unwrap())
        .unwrap();
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn a_key_pair_may_have_one_half_on_the_token_and_one_in_the_session() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let (public, private) = s
        .generate_key_pair(
            &vendor_mech(0xD432_1005),
            &[
                Attribute::Token(false),
                gost_params(GostParamSet::Tc26_512A),
            ],
            &[Attribute::Token(true), Attribute::Sign(true)],
        )
        .unwrap();
    let token_of = |h| s.get_attributes(h, &[AttributeType::Token]).unwrap()[0].clone();
    assert_eq!(token_of(public), Attribute::Token(false));
    assert_eq!(token_of(private), Attribute::Token(true));
    let msg = b"mixed";
    let sig = s.sign(&vendor_mech(0xD432_1009), private, msg).unwrap();
    s.verify(&vendor_mech(0xD432_1009), public, msg, &sig)
        .unwrap();
    // A read-only session cannot put either half on the token.
    let ro = p.open_ro_session(slot).unwrap();
    assert_eq!(
        rv(ro
            .generate_key_pair(
                &vendor_mech(0xD432_1005),
                &[
                    Attribute::Token(false),
                    gost_params(GostParamSet::Tc26_512A)
                ],
                &[Attribute::Token(true), Attribute::Sign(true)],
            )
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    drop((s, ro));
    p.finalize().unwrap();
}

#[test]
fn many_threads_sign_and_verify_on_their_own_sessions() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised(&p);
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let key = gost::SigningKey::generate(GostParamSet::Tc26_256A).unwrap();
    let private = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_256A)),
            Attribute::Token(true),
            Attribute::Id(vec![0x77]),
            Attribute::Value(key.to_le_bytes().to_vec()),
            gost_params(GostParamSet::Tc26_256A),
        ])
        .unwrap();
    let public = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(gost_key_type(GostParamSet::Tc26_256A)),
            Attribute::Token(true),
            Attribute::Id(vec![0x77]),
            Attribute::Value(key.verifying_key().as_raw_le().to_vec()),
            gost_params(GostParamSet::Tc26_256A),
        ])
        .unwrap();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let p = p.clone();
            let verifying = key.verifying_key().clone();
            std::thread::spawn(move || {
                let s = p.open_ro_session(slot).unwrap();
                let mech = vendor_mech(0xD432_1008);
                for n in 0..20 {
                    let msg = format!("thread {i} order {n}");
                    let sig = s.sign(&mech, private, msg.as_bytes()).unwrap();
                    verifying
                        .verify(msg.as_bytes(), &gost::Signature::from_bytes(&sig).unwrap())
                        .unwrap();
                    s.verify(&mech, public, msg.as_bytes(), &sig).unwrap();
                    let mut bad = sig.clone();
                    bad[0] ^= 1;
                    assert_eq!(
                        rv(s.verify(&mech, public, msg.as_bytes(), &bad).unwrap_err()),
                        RvError::SignatureInvalid
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(s);
    p.finalize().unwrap();
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

/// While the SO PIN is a vendor default (the token info says `CKF_SO_PIN_TO_BE_CHANGED`), the
/// module takes no new private key: `CKR_PIN_EXPIRED` for C_GenerateKeyPair, C_CreateObject of
/// a private key (token or session) and C_CopyObject of a session private key onto the token,
/// until the SO changes the PIN with C_SetPIN. Keys already there keep signing.
#[test]
fn new_keys_wait_for_the_so_pin_to_change_from_the_vendor_default() {
    use token_core::GostParamSet;
    let _env = env();
    let p = pkcs11();
    let slot = initialised_with(&p, VENDOR_SO_PIN);
    assert!(p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();

    let keygen = vendor_mech(0xD432_1005); // CKM_GOSTR3410_512_KEY_PAIR_GEN
    let sign_mech = vendor_mech(0xD432_1009); // CKM_GOSTR3410_WITH_GOSTR3411_12_512
    let generate = |public_on_token: bool, private_on_token: bool| {
        s.generate_key_pair(
            &keygen,
            &[
                Attribute::Token(public_on_token),
                gost_params(GostParamSet::Tc26_512A),
            ],
            &[Attribute::Token(private_on_token), Attribute::Sign(true)],
        )
    };
    let set = GostParamSet::Tc26_256A;
    let outside = gost::SigningKey::generate(set).unwrap();
    let private_key = |on_token: bool| {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(on_token),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Id(vec![9]),
            Attribute::Value(outside.to_le_bytes().to_vec()),
            gost_params(set),
        ]
    };
    let halves = [(true, true), (false, true), (true, false), (false, false)];
    for (public_on_token, private_on_token) in halves {
        assert_eq!(
            rv(generate(public_on_token, private_on_token).unwrap_err()),
            RvError::PinExpired,
            "public on token {public_on_token}, private on token {private_on_token}"
        );
    }
    for on_token in [true, false] {
        assert_eq!(
            rv(s.create_object(&private_key(on_token)).unwrap_err()),
            RvError::PinExpired,
            "on token {on_token}"
        );
    }
    assert!(s.find_objects(&[]).unwrap().is_empty(), "nothing was made");
    // Objects without private key material are not held back.
    s.create_object(&[Attribute::Class(ObjectClass::DATA), Attribute::Token(true)])
        .unwrap();

    // The SO changes the PIN: the flag clears and keys may be made, every way.
    s.logout().unwrap();
    s.login(UserType::So, Some(&pin(VENDOR_SO_PIN))).unwrap();
    s.set_pin(&pin(VENDOR_SO_PIN), &pin(SO_PIN)).unwrap();
    s.logout().unwrap();
    assert!(!p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    for (public_on_token, private_on_token) in halves {
        generate(public_on_token, private_on_token).unwrap();
    }
    for on_token in [true, false] {
        s.create_object(&private_key(on_token)).unwrap();
    }
    let (public, private) = generate(true, true).unwrap();
    let in_session = s
        .copy_object(private, &[Attribute::Token(false), Attribute::Id(vec![7])])
        .unwrap();

    // Back to a vendor default (PKCS#11 applications are not held to the bank's PIN policy):
    // the existing key signs, but its session copy may not go onto the token.
    s.logout().unwrap();
    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.set_pin(&pin(SO_PIN), &pin("12345678")).unwrap();
    s.logout().unwrap();
    assert!(p.get_token_info(slot).unwrap().so_pin_to_be_changed());
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let msg = b"signed while the SO PIN is a default";
    let sig = s.sign(&sign_mech, private, msg).unwrap();
    s.verify(&sign_mech, public, msg, &sig).unwrap();
    assert_eq!(
        rv(s.copy_object(in_session, &[Attribute::Token(true)])
            .unwrap_err()),
        RvError::PinExpired
    );
    assert_eq!(rv(generate(true, true).unwrap_err()), RvError::PinExpired);
    drop(s);
    p.finalize().unwrap();
}
