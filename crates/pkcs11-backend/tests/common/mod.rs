//! Shared set-up for the flow tests: SoftHSM2 with a token directory of this test binary's own,
//! a fresh token per test, and a lock so tests of one binary run one at a time.
// Test helpers fail by panicking, like the tests that call them.
#![allow(dead_code, unsafe_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use keycarrier_pkcs11_backend::{Module, Pkcs11Carrier};
use token_core::{AdminPin, Approved, Carrier, FinalTry, Pin, PinPolicy};

/// Where Debian's softhsm2 package puts the module.
pub const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// Test PINs (they pass the bank PIN policy).
pub const USER_PIN: &str = "Rx7mQ2wz";
/// Test admin PIN.
pub const SO_PIN: &str = "Ad9mQ4kz";

struct Env {
    dir: PathBuf,
    conf: PathBuf,
    module: Module,
}

static ENV: OnceLock<Env> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::new(());

/// Takes the per-binary test lock (tests share one process-global module).
pub fn serial() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn env() -> &'static Env {
    ENV.get_or_init(|| {
        assert!(
            Path::new(SOFTHSM).is_file(),
            "SoftHSM2 is required: apt-get install softhsm2 (missing {SOFTHSM})"
        );
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = std::env::temp_dir().join(format!("kc-p11-{name}-{}", std::process::id()));
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )
        .unwrap();
        // SAFETY: set once, under the test lock, before the module is loaded and before any
        // thread of ours reads the environment.
        unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
        let module = Module::open(SOFTHSM).unwrap();
        Env { dir, conf, module }
    })
}

/// The SoftHSM module of this test binary.
pub fn module() -> Module {
    env().module.clone()
}

/// The config file path (for pkcs11-tool / softhsm2-util run as child processes).
pub fn conf() -> PathBuf {
    env().conf.clone()
}

/// The token directory.
pub fn token_dir() -> PathBuf {
    env().dir.join("tokens")
}

pub fn user_pin() -> Pin {
    Pin::new(USER_PIN)
}

pub fn so_pin() -> AdminPin {
    AdminPin::new(SO_PIN)
}

pub fn approved_user(pin: &str) -> Approved<Pin> {
    PinPolicy::default().approve(Pin::new(pin), None).unwrap()
}

pub fn approved_admin(pin: &str) -> Approved<AdminPin> {
    PinPolicy::default()
        .approve(AdminPin::new(pin), None)
        .unwrap()
}

/// The slot id of a blank (uninitialised) SoftHSM token.
pub fn blank_slot() -> u64 {
    module()
        .slots()
        .unwrap()
        .into_iter()
        .find(|s| s.carrier.as_ref().is_some_and(|c| !c.initialized))
        .expect("SoftHSM always offers one blank token")
        .slot
}

/// Initialises a fresh token labelled `label` with the test SO and user PINs; returns the
/// carrier (logged out) and its serial.
pub fn fresh_token(label: &str) -> (Pkcs11Carrier, String) {
    let m = module();
    let slot = blank_slot();
    let mut c = m.carrier(slot).unwrap();
    c.wipe(&so_pin(), Some(label)).unwrap();
    let serial = c.info().unwrap().serial;
    // SoftHSM moves an initialised token to a new slot id: reopen by serial.
    drop(c);
    let mut c = m.carrier_by_serial(&serial).unwrap();
    c.reset_pin(&so_pin(), &approved_user(USER_PIN), FinalTry::Refuse)
        .unwrap();
    (c, serial)
}

/// A fresh token, logged in as the user.
pub fn logged_in(label: &str) -> (Pkcs11Carrier, String) {
    let (mut c, serial) = fresh_token(label);
    c.login(&user_pin(), FinalTry::Refuse).unwrap();
    (c, serial)
}

/// Runs pkcs11-tool against SoftHSM with this binary's config; panics loudly when missing.
pub fn pkcs11_tool(args: &[&str]) -> std::process::Output {
    Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf())
        .arg("--module")
        .arg(SOFTHSM)
        .args(args)
        .output()
        .expect("pkcs11-tool is required: apt-get install opensc")
}

/// Runs openssl; panics loudly when missing.
pub fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is required: apt-get install openssl")
}

/// A scratch directory for files handed to command-line tools.
pub fn scratch(name: &str) -> PathBuf {
    let d = env().dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// PEM of an SPKI DER.
pub fn spki_pem(der: &[u8]) -> String {
    use std::fmt::Write;
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                b64.push(T[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        writeln!(pem, "{}", std::str::from_utf8(line).unwrap()).unwrap();
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// Verifies an RSA signature over `data` with OpenSSL (SHA-256; PKCS#1 v1.5, or PSS with a
/// 32-byte salt); panics with OpenSSL's message when it does not verify.
pub fn openssl_verify_rsa(spki_der: &[u8], data: &[u8], sig: &[u8], pss: bool) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch(&format!("verify-{}", N.fetch_add(1, Ordering::Relaxed)));
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(p("pub.pem"), spki_pem(spki_der)).unwrap();
    std::fs::write(p("data"), data).unwrap();
    std::fs::write(p("sig"), sig).unwrap();
    let mut args = vec!["dgst", "-sha256"];
    if pss {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
        ]);
    }
    let (key, sig_path, data_path) = (p("pub.pem"), p("sig"), p("data"));
    args.extend(["-verify", &key, "-signature", &sig_path, &data_path]);
    let out = openssl(&args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs openssl, failing the test (with its stderr) when it fails.
pub fn run_openssl(args: &[&str]) {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An RSA key as PKCS#8 DER and a self-signed certificate for it (DER), made by OpenSSL.
pub fn openssl_rsa_key_and_cert(dir: &Path, cn: &str) -> (Vec<u8>, Vec<u8>) {
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    run_openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &p("key.pem"),
    ]);
    run_openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        &p("key.pem"),
        "-outform",
        "DER",
        "-out",
        &p("key.p8"),
    ]);
    run_openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &p("key.pem"),
        "-subj",
        &format!("/CN={cn}"),
        "-days",
        "30",
        "-outform",
        "DER",
        "-out",
        &p("cert.der"),
    ]);
    (
        std::fs::read(p("key.p8")).unwrap(),
        std::fs::read(p("cert.der")).unwrap(),
    )
}
