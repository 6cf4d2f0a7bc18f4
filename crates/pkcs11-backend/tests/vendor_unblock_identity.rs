//! The Rutoken extended function list is trusted only by the library's maker, never by the
//! mere presence of its symbol: SoftHSM2 behind a wrapper library that also exports a
//! `C_EX_GetFunctionListExtended` (a table of unknown layout, as another vendor's might be) gets
//! the typed "not supported" error, and the wrapper's table is never even asked for.
#![allow(unsafe_code)] // loading the test's own C library to read its call counter
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use keycarrier_pkcs11_backend::Module;
use token_core::{AdminPin, Carrier, ErrorCode, FinalTry, PinRole};

/// A PKCS#11 library whose `C_GetFunctionList` is SoftHSM2's, plus a Rutoken-named extended
/// list whose unblock entry would be a call into code that is not Rutoken's. It counts every
/// request for the extended list and every unblock call.
const WRAPPER: &str = r#"
#include <dlfcn.h>
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
static int calls;
int calls_made(void) { return calls; }
static void *softhsm(void) {
    static void *h;
    if (!h) h = dlopen(SOFTHSM_PATH, RTLD_NOW | RTLD_LOCAL);
    return h;
}
CK_RV C_GetFunctionList(void **out) {
    CK_RV (*f)(void **) = (CK_RV (*)(void **))dlsym(softhsm(), "C_GetFunctionList");
    return f ? f(out) : 5;
}
static CK_RV not_rutokens_unblock(CK_ULONG session) { (void)session; calls += 100; return 0; }
struct foreign_table {
    unsigned char version[2];
    void *first, *second, *third;
    CK_RV (*fourth)(CK_ULONG);
    void *more[16];
};
static struct foreign_table table = {{1, 0}, 0, 0, 0, not_rutokens_unblock, {0}};
CK_RV C_EX_GetFunctionListExtended(struct foreign_table **out) {
    calls += 1;
    if (out) *out = &table;
    return 0;
}
"#;

fn build_wrapper() -> std::path::PathBuf {
    let dir = common::scratch("vendor-wrapper");
    let src = dir.join("wrapper.c");
    std::fs::write(&src, WRAPPER).unwrap();
    let out = dir.join("libnot_rutoken.so");
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&out)
        .arg(format!("-DSOFTHSM_PATH=\"{}\"", common::SOFTHSM))
        .arg(&src)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) is required for this test");
    assert!(status.success());
    out
}

#[test]
fn a_foreign_extended_list_is_never_called() {
    let _g = common::serial();
    let (_, serial) = common::fresh_token("U06 foreign table");
    let path = build_wrapper();
    let wrapped = Module::open(&path).unwrap();
    // The wrapper is SoftHSM2 as far as PKCS#11 can tell.
    assert_eq!(wrapped.manufacturer(), common::module().manufacturer());
    assert!(
        !wrapped.manufacturer().eq_ignore_ascii_case("Aktiv Co."),
        "{}",
        wrapped.manufacturer()
    );
    let mut c = wrapped.carrier_by_serial(&serial).unwrap();
    assert!(!c.can_unblock_pin());
    let admin_before = c.pin_status(PinRole::Admin).unwrap();
    for admin in [AdminPin::new("Wrong0pin"), common::so_pin()] {
        let e = c.unblock_pin(&admin, FinalTry::Allow).unwrap_err();
        assert!(matches!(&e, token_core::Error::Unsupported { .. }), "{e:?}");
        assert_eq!(e.code(), "KC-UNSUPPORTED");
    }
    // No PIN reached the token (a wrong one would have been counted) ...
    assert_eq!(c.pin_status(PinRole::Admin).unwrap(), admin_before);

    // ... and the foreign table was never requested, let alone called.
    // SAFETY: the library built above; `calls_made` has this signature in its source.
    let lib = unsafe { libloading::Library::new(&path) }.unwrap();
    // SAFETY: as above.
    let calls_made: libloading::Symbol<'_, unsafe extern "C" fn() -> i32> =
        unsafe { lib.get(b"calls_made\0") }.unwrap();
    // SAFETY: a plain getter of a static int.
    assert_eq!(unsafe { calls_made() }, 0);
    // The counter itself works: asking for the table directly counts once.
    // SAFETY: the wrapper's function, called with NULL, which it checks.
    let ext: libloading::Symbol<'_, unsafe extern "C" fn(*mut *mut u8) -> u64> =
        unsafe { lib.get(b"C_EX_GetFunctionListExtended\0") }.unwrap();
    // SAFETY: NULL out-pointer, checked by the function.
    let _ = unsafe { ext(std::ptr::null_mut()) };
    // SAFETY: as above.
    assert_eq!(unsafe { calls_made() }, 1);
    // The user PIN still works through the wrapper: it is SoftHSM underneath.
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
}
