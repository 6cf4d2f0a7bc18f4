//! GOST R 34.10-2012 through `pkcs11-backend` against a real PKCS#11 module that has GOST:
//! keycarrier's soft-token module (`libsoft_token_pkcs11.so`, which the dev-dependency on
//! `soft-token-pkcs11` builds with these tests). Debian's SoftHSM2 has no GOST, so this is
//! where the raw 0x1200 / 0x1201 / TC26 vendor paths run.
//! Signatures are checked with the `gost` crate and with OpenSSL's gost engine; keys made by
//! OpenSC's pkcs11-tool are listed as containers. Also the U08 final-try guard on a module that
//! reports CKF_USER_PIN_FINAL_TRY.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use gost::signature::Verifier;
use keycarrier_pkcs11_backend::{CarrierOptions, Module, Pkcs11Carrier};
use token_core::{
    AdminPin, CancelToken, Carrier, ContainerId, ErrorCode, FinalTry, GostParamSet, KeyAlgorithm,
    NewContainer, NoProgress, Pin, PinPolicy, PinRole, SignRequest, SignatureScheme,
};

const SO: &str = "Ad9mQ4kz";
const USER: &str = "Rx7mQ2wz";

struct Env {
    dir: PathBuf,
    conf: PathBuf,
    so: PathBuf,
    module: Module,
}

static ENV: OnceLock<Env> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::new(());

/// `libsoft_token_pkcs11.so` next to the test executables (`target/<profile>/deps`, where cargo
/// puts the dev-dependency's cdylib) or one level up.
fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [deps.join("libsoft_token_pkcs11.so"), deps.parent().unwrap().join("libsoft_token_pkcs11.so")]
        .into_iter()
        .find(|p| p.is_file())
        .expect("libsoft_token_pkcs11.so is missing: run the workspace tests (`cargo test --workspace`) or `cargo build -p keycarrier-soft-token-pkcs11` first")
}

fn env() -> (&'static Env, MutexGuard<'static, ()>) {
    let guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let env = ENV.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kc-p11-soft-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("softtoken.conf");
        std::fs::write(
            &conf,
            format!(
                "slot.0 = {}\nkdf_iterations = 50\n",
                dir.join("token").display()
            ),
        )
        .unwrap();
        // SAFETY: set once, under LOCK, before the module is loaded; no other thread of this
        // test binary touches the environment.
        unsafe { std::env::set_var("KEYCARRIER_SOFTTOKEN_CONF", &conf) };
        let so = module_path();
        let module = Module::open(&so).unwrap();
        Env {
            dir,
            conf,
            so,
            module,
        }
    });
    (env, guard)
}

/// Re-initialises the token (C_InitToken + C_InitPIN) and logs in as the user.
fn fresh(env: &Env, retries_test: bool) -> Pkcs11Carrier {
    let slot = env
        .module
        .slots()
        .unwrap()
        .first()
        .expect("the soft-token module has slot 0")
        .slot;
    let mut c = env.module.carrier(slot).unwrap();
    c.wipe(&AdminPin::new(SO), Some("GOST via PKCS#11"))
        .unwrap();
    let pin = PinPolicy::default().approve(Pin::new(USER), None).unwrap();
    c.reset_pin(&AdminPin::new(SO), &pin, FinalTry::Refuse)
        .unwrap();
    if !retries_test {
        c.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    }
    c
}

fn openssl_verifies(spki: &[u8], digest: &[u8], sig: &[u8], dir: &Path) -> bool {
    use token_core::der::pem::{LineEnding, encode_string};
    std::fs::write(
        dir.join("pub.pem"),
        encode_string("PUBLIC KEY", LineEnding::LF, spki).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("dgst"), digest).unwrap();
    std::fs::write(dir.join("sig"), sig).unwrap();
    Command::new("openssl")
        .args(["pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "dgst", "-sigfile", "sig"])
        .current_dir(dir)
        .output()
        .expect("openssl with the gost engine is required (apt-get install openssl libengine-gost-openssl)")
        .status
        .success()
}

#[test]
fn u09_u14_gost_keys_generated_listed_and_signing_through_pkcs11() {
    let (env, _g) = env();
    let mut c = fresh(env, false);
    for set in [
        GostParamSet::Tc26_256A,
        GostParamSet::CryptoProA,
        GostParamSet::Tc26_512A,
        GostParamSet::Tc26_512C,
    ] {
        let alg = KeyAlgorithm::Gost(set);
        let info = c
            .generate(
                &NewContainer::new(format!("{set}"), alg),
                &mut NoProgress,
                &CancelToken::new(),
            )
            .unwrap();
        assert_eq!(info.algorithm, alg, "read back from CKA_GOSTR3410_PARAMS");
        assert!(info.has_private_key && !info.extractable && info.sensitive);
        let listed = c.container(&info.id).unwrap();
        assert!(listed.public_key.same_key(&info.public_key));

        let scheme = alg.signature_scheme();
        let order = b"payment order 118";
        let digest = gost::digest(set.key_size().hash(), order);
        // Host hash + CKM_GOSTR3410(_512), and a precomputed digest.
        let by_message = c
            .sign(&SignRequest::message(&info.id, scheme, order))
            .unwrap();
        let by_digest = c
            .sign(&SignRequest::digest(&info.id, scheme, &digest))
            .unwrap();
        let vk = gost::VerifyingKey::from_spki_der(&info.public_key.to_der().unwrap()).unwrap();
        for sig in [&by_message, &by_digest] {
            vk.verify(order, &gost::Signature::from_bytes(sig).unwrap())
                .unwrap();
        }
        let scratch = env.dir.join(format!("ossl-{set}"));
        std::fs::create_dir_all(&scratch).unwrap();
        assert!(
            openssl_verifies(
                &info.public_key.to_der().unwrap(),
                &digest,
                &by_message,
                &scratch
            ),
            "{set}"
        );
    }
    // Hash on the token: CKM_GOSTR3410_WITH_GOSTR3411_12_256.
    let id = c
        .containers()
        .unwrap()
        .into_iter()
        .find(|k| k.algorithm == KeyAlgorithm::Gost(GostParamSet::Tc26_256A))
        .unwrap();
    let on_token = fresh_options(c, true);
    let sig = on_token
        .sign(&SignRequest::message(
            &id.id,
            SignatureScheme::Gost256,
            b"hashed on the token",
        ))
        .unwrap();
    gost::VerifyingKey::from_spki_der(&id.public_key.to_der().unwrap())
        .unwrap()
        .verify(
            b"hashed on the token",
            &gost::Signature::from_bytes(&sig).unwrap(),
        )
        .unwrap();
}

fn fresh_options(c: Pkcs11Carrier, hash_on_token: bool) -> Pkcs11Carrier {
    c.with_options(CarrierOptions {
        hash_on_token,
        ..CarrierOptions::default()
    })
}

#[test]
fn pkcs11_tool_gost_key_is_our_container() {
    let (env, _g) = env();
    let mut c = fresh(env, false);
    let out = Command::new("pkcs11-tool")
        .env("KEYCARRIER_SOFTTOKEN_CONF", &env.conf)
        .arg("--module")
        .arg(&env.so)
        .args([
            "--login",
            "--pin",
            USER,
            "--keypairgen",
            "--key-type",
            "GOSTR3410-2012-256:B",
            "--id",
            "99",
            "--label",
            "made-by-pkcs11-tool",
        ])
        .output()
        .expect("pkcs11-tool is required (apt-get install opensc)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let id = ContainerId::new(vec![0x99]);
    let info = c.container(&id).unwrap();
    // pkcs11-tool writes the CryptoPro-A OID for "2012-256:B" (reference §6.4); we keep it.
    assert_eq!(info.algorithm, KeyAlgorithm::Gost(GostParamSet::CryptoProA));
    let sig = c
        .sign(&SignRequest::message(&id, SignatureScheme::Gost256, b"x"))
        .unwrap();
    gost::VerifyingKey::from_spki_der(&info.public_key.to_der().unwrap())
        .unwrap()
        .verify(b"x", &gost::Signature::from_bytes(&sig).unwrap())
        .unwrap();
    c.delete_container(&id).unwrap();
    assert!(c.container(&id).is_err());
}

#[test]
fn u08_final_try_is_not_spent_without_permission() {
    let (env, _g) = env();
    let mut c = fresh(env, true);
    let max = c.pin_status(PinRole::User).unwrap();
    assert!(!max.final_try && !max.locked, "{max:?}");
    // Spend attempts until the module reports the final try.
    let mut spent = 0;
    while !c.pin_status(PinRole::User).unwrap().final_try {
        let e = c
            .login(&Pin::new("Wrong123x"), FinalTry::Refuse)
            .unwrap_err();
        assert_eq!(e.code(), "KC-PIN-WRONG");
        spent += 1;
        assert!(
            spent < 20,
            "the module never reported CKF_USER_PIN_FINAL_TRY"
        );
    }
    // With one attempt left, even the right PIN is not sent without permission...
    let e = c.login(&Pin::new(USER), FinalTry::Refuse).unwrap_err();
    assert_eq!(e.code(), "KC-PIN-FINAL-TRY");
    // ...and the module's counter did not move (still final try, not locked).
    let s = c.pin_status(PinRole::User).unwrap();
    assert!(s.final_try && !s.locked, "{s:?}");
    // With permission, the right PIN logs in and the counter resets.
    c.login(&Pin::new(USER), FinalTry::Allow).unwrap();
    let s = c.pin_status(PinRole::User).unwrap();
    assert!(!s.final_try && !s.count_low, "{s:?}");
}

/// U06 with the vendor unblock (Rutoken-style `C_EX_UnblockUserPIN`, which the soft-token
/// module exports): a locked user PIN is unblocked with the SO PIN and the user logs in with
/// the PIN they had; their key still signs.
#[test]
fn u06_vendor_unblock_keeps_the_user_pin() {
    let (env, _g) = env();
    let mut c = fresh(env, false);
    assert!(
        c.can_unblock_pin(),
        "libsoft_token_pkcs11.so has no C_EX_GetFunctionListExtended / C_EX_UnblockUserPIN"
    );
    let key = c
        .generate(
            &NewContainer::new("kept", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    c.logout().unwrap();
    // Lock the user PIN with wrong tries.
    let mut spent = 0;
    while !c.pin_status(PinRole::User).unwrap().locked {
        let e = c
            .login(&Pin::new("Wrong123x"), FinalTry::Allow)
            .unwrap_err();
        assert!(
            matches!(e.code(), "KC-PIN-WRONG" | "KC-PIN-LOCKED"),
            "{e:?}"
        );
        spent += 1;
        assert!(spent < 20, "the module never locked the user PIN");
    }
    let e = c.login(&Pin::new(USER), FinalTry::Allow).unwrap_err();
    assert_eq!(e.code(), "KC-PIN-LOCKED");
    // A wrong SO PIN: typed, nothing unblocked.
    let e = c
        .unblock_pin(&AdminPin::new("Wrong0pin"), FinalTry::Refuse)
        .unwrap_err();
    assert!(
        matches!(
            e,
            token_core::Error::WrongPin {
                role: PinRole::Admin,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(c.pin_status(PinRole::User).unwrap().locked);
    // The right SO PIN unblocks; the counter is full again.
    c.unblock_pin(&AdminPin::new(SO), FinalTry::Refuse).unwrap();
    let s = c.pin_status(PinRole::User).unwrap();
    assert!(!s.locked && !s.final_try && !s.count_low, "{s:?}");
    // The OLD user PIN works, and the key made before signs.
    c.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    let sig = c
        .sign(&SignRequest::message(
            &key.id,
            SignatureScheme::Gost256,
            b"after unblock",
        ))
        .unwrap();
    gost::VerifyingKey::from_spki_der(&key.public_key.to_der().unwrap())
        .unwrap()
        .verify(
            b"after unblock",
            &gost::Signature::from_bytes(&sig).unwrap(),
        )
        .unwrap();
}

/// U03 for GOST: private keys made by the `gost` crate, imported as PKCS#8 (C_CreateObject of
/// a CKK_GOSTR3410 / CKK_GOSTR3410_512 private key, which the soft-token module accepts), sign
/// through PKCS#11 and verify with the original public key.
#[test]
fn u03_gost_pkcs8_import_then_sign() {
    let (env, _g) = env();
    let mut c = fresh(env, false);
    for set in [
        GostParamSet::Tc26_256A,
        GostParamSet::CryptoProA,
        GostParamSet::Tc26_512A,
    ] {
        let key = gost::SigningKey::generate(set).unwrap();
        let public =
            token_core::PublicKey::from_spki_der(&key.verifying_key().to_spki_der().unwrap())
                .unwrap();
        let info = c
            .import(token_core::KeyImport {
                label: format!("imported {set}"),
                id: None,
                private_key_pkcs8: token_core::SecretBytes::new(
                    key.to_pkcs8_der().unwrap().as_bytes(),
                ),
                certificates: vec![],
            })
            .unwrap();
        assert_eq!(info.algorithm, KeyAlgorithm::Gost(set));
        assert_eq!(info.id, ContainerId::derived_from(&public));
        assert!(info.public_key.same_key(&public));
        assert!(info.has_private_key && info.sensitive && !info.extractable);
        let scheme = info.algorithm.signature_scheme();
        let sig = c
            .sign(&SignRequest::message(
                &info.id,
                scheme,
                b"imported key signs",
            ))
            .unwrap();
        key.verifying_key()
            .verify(
                b"imported key signs",
                &gost::Signature::from_bytes(&sig).unwrap(),
            )
            .unwrap();
    }
}
