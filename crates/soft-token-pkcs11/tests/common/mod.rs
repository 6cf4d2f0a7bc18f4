//! Shared set-up for the soft-token module's tests: where the built module is, the test PINs,
//! a serialised one-slot configuration for in-process `cryptoki` tests, raw function-list
//! access, GOST attribute helpers, and (in `tool`) the fixture for `pkcs11-tool` / OpenSSL runs.
// Each test binary uses part of this; test helpers fail by panicking, like the tests.
#![allow(dead_code, unsafe_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod secret;
pub mod tool;

use std::path::PathBuf;
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;

/// The module built with this test: `cargo test -p keycarrier-soft-token-pkcs11` builds the cdylib next to
/// the test executables (`target/<profile>/deps/libsoft_token_pkcs11.so`); `cargo build` copies
/// it to `target/<profile>/`. The fresher of the two is used.
pub fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let candidates = [
        deps.join("libsoft_token_pkcs11.so"),
        deps.parent().unwrap().join("libsoft_token_pkcs11.so"),
    ];
    let newest = candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p.clone());
    newest.unwrap_or_else(|| {
        panic!(
            "libsoft_token_pkcs11.so is missing next to {}: build it with `cargo build -p keycarrier-soft-token-pkcs11`",
            exe.display()
        )
    })
}

/// Tests here share the process environment (the configuration variable) and the in-process
/// module state: they run one at a time.
pub static SERIAL: Mutex<()> = Mutex::new(());

/// The vendor default SO PIN tokens are handed out with: no keys until it is changed.
pub const VENDOR_SO_PIN: &str = "87654321";
/// The SO PIN of the tests' tokens (not a vendor default, so keys may be made).
pub const SO_PIN: &str = "Ad9mQ4kz";
pub const USER_PIN: &str = "11223344";

/// A fresh one-slot configuration; holds the serialising lock.
pub struct Env {
    pub dir: tempfile::TempDir,
    _guard: MutexGuard<'static, ()>,
}

impl Env {
    /// Slot 0's token directory.
    pub fn token_dir(&self) -> PathBuf {
        self.dir.path().join("t")
    }
}

pub fn env() -> Env {
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

pub fn pkcs11() -> Pkcs11 {
    let p = Pkcs11::new(module_path()).unwrap();
    p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    p
}

pub fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other:?}"),
    }
}

pub fn pin(s: &str) -> AuthPin {
    AuthPin::new(s.into())
}

/// init-token with the tests' SO PIN + SO sets the user PIN.
pub fn initialised(p: &Pkcs11) -> cryptoki::slot::Slot {
    initialised_with(p, SO_PIN)
}

/// init-token with `so_pin` + SO sets the user PIN.
pub fn initialised_with(p: &Pkcs11, so_pin: &str) -> cryptoki::slot::Slot {
    let slot = p.get_slots_with_token().unwrap()[0];
    assert!(!p.get_token_info(slot).unwrap().token_initialized());
    p.init_token(slot, &pin(so_pin), "u08").unwrap();
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&pin(so_pin))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    slot
}

/// Calls through the in-process function list.
pub struct Raw(pub &'static CK_FUNCTION_LIST);

pub fn raw() -> Raw {
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(
        unsafe { soft_token_pkcs11::ffi::C_GetFunctionList(&mut list) },
        CKR_OK
    );
    // SAFETY: the module returns a pointer to its static table.
    Raw(unsafe { &*list })
}

pub fn attr(kind: CK_ATTRIBUTE_TYPE, value: &mut [u8]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: value.as_mut_ptr().cast(),
        ulValueLen: value.len() as CK_ULONG,
    }
}

/// The Rutoken vendor table of the loaded module (the same library `cryptoki` opened, so the
/// same module state), looked up with dlsym.
pub fn extended_list(
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

/// CKA_GOSTR3410_PARAMS: cryptoki has no name for it; its number goes through `VendorDefined`.
pub fn gost_params(set: token_core::GostParamSet) -> Attribute {
    use token_core::der::Encode;
    Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_GOSTR3410_PARAMS),
        set.oid().to_der().unwrap(),
    ))
}

pub fn gost_key_type(set: token_core::GostParamSet) -> cryptoki::object::KeyType {
    match set.key_size() {
        token_core::GostKeySize::Bits256 => cryptoki::object::KeyType::GOSTR3410,
        token_core::GostKeySize::Bits512 => {
            cryptoki::object::KeyType::new_vendor_defined(0xD432_1003).unwrap()
        }
    }
}

pub fn vendor_mech(m: CK_MECHANISM_TYPE) -> Mechanism<'static> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        MechanismType::new_vendor_defined(m).unwrap(),
        None,
    ))
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
