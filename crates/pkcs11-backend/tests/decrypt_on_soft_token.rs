//! Opening envelopes through `pkcs11-backend` on keycarrier's soft-token module (which has
//! GOST, unlike Debian's SoftHSM2): RSA key transport from `openssl pkeyutl -encrypt`, and
//! GOST VKO (`C_DeriveKey`) checked against `openssl pkeyutl -derive` with the gost engine
//! from the same private key (made by the engine, imported into the token) and peer key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)] // test code

mod envelope;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use envelope::openssl_in;
use keycarrier_pkcs11_backend::{Module, Pkcs11Carrier};
use token_core::{
    AdminPin, Carrier, ErrorCode, FinalTry, KeyAgreement, KeyImport, Pin, PinPolicy, PublicKey,
    SecretBytes, VkoHash,
};

const SO: &str = "Ad9mQ4kz";
const USER: &str = "Rx7mQ2wz";

static ENV: OnceLock<Module> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::new(());

/// `libsoft_token_pkcs11.so` next to the test executables or one level up.
fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("libsoft_token_pkcs11.so"),
        deps.parent().unwrap().join("libsoft_token_pkcs11.so"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .expect(
        "libsoft_token_pkcs11.so is missing: `cargo build -p keycarrier-soft-token-pkcs11` first",
    )
}

/// A freshly initialised token on the module, logged in as the user.
fn fresh() -> (Pkcs11Carrier, MutexGuard<'static, ()>) {
    let guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let module = ENV.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kc-p11-dec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("softtoken.conf");
        let line = format!(
            "slot.0 = {}\nkdf_iterations = 50\n",
            dir.join("token").display()
        );
        std::fs::write(&conf, line).unwrap();
        // SAFETY: set once, under LOCK, before the module is loaded; nothing else in this
        // binary touches the environment.
        unsafe { std::env::set_var("KEYCARRIER_SOFTTOKEN_CONF", &conf) };
        Module::open(module_path()).unwrap()
    });
    let slot = module.slots().unwrap().first().unwrap().slot;
    let mut c = module.carrier(slot).unwrap();
    c.wipe(&AdminPin::new(SO), Some("decrypt")).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(USER), None).unwrap();
    c.reset_pin(&AdminPin::new(SO), &pin, FinalTry::Refuse)
        .unwrap();
    c.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    (c, guard)
}

#[test]
fn u17_rsa_key_transport_opens_on_the_soft_token_module() {
    let (mut c, _g) = fresh();
    let dir = tempfile::tempdir().unwrap();
    envelope::rsa_round(&mut c, dir.path(), false);
}

/// A GOST key made by the engine: `{name}.pem`, `{name}.pub.pem`; returns its PKCS#8 DER.
fn engine_key(dir: &Path, alg: &str, set: &str, name: &str) -> Vec<u8> {
    let (pem, der) = (format!("{name}.pem"), format!("{name}.der"));
    let paramset = format!("paramset:{set}");
    openssl_in(
        &[
            "genpkey",
            "-engine",
            "gost",
            "-algorithm",
            alg,
            "-pkeyopt",
            &paramset,
            "-out",
            &pem,
        ],
        dir,
    );
    openssl_in(
        &[
            "pkcs8", "-engine", "gost", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER",
            "-out", &der,
        ],
        dir,
    );
    openssl_in(
        &[
            "pkey",
            "-engine",
            "gost",
            "-in",
            &pem,
            "-pubout",
            "-out",
            &format!("{name}.pub.pem"),
        ],
        dir,
    );
    std::fs::read(dir.join(der)).unwrap()
}

fn public_key(dir: &Path, name: &str) -> PublicKey {
    let pem = std::fs::read(dir.join(format!("{name}.pub.pem"))).unwrap();
    let (_, der) = token_core::der::pem::decode_vec(&pem).unwrap();
    PublicKey::from_spki_der(&der).unwrap()
}

#[test]
fn u17_gost_vko_on_the_token_equals_the_gost_engine() {
    let (mut c, _g) = fresh();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let cases = [
        ("gost2012_256", "B", VkoHash::Streebog256, "256"),
        ("gost2012_256", "A", VkoHash::Streebog512, "512"),
        ("gost2012_512", "A", VkoHash::Streebog256, "256"),
        ("gost2012_512", "C", VkoHash::Streebog512, "512"),
    ];
    for (i, (alg, set, hash, bits)) in cases.into_iter().enumerate() {
        let (ours, peer) = (format!("ours{i}"), format!("peer{i}"));
        let pkcs8 = engine_key(dir, alg, set, &ours);
        engine_key(dir, alg, set, &peer);
        let id = c
            .import(KeyImport {
                label: ours.clone(),
                id: None,
                private_key_pkcs8: SecretBytes::new(&pkcs8),
                certificates: vec![],
            })
            .unwrap()
            .id;
        let ukm = openssl_in(&["rand", "8"], dir);
        let hex: String = ukm.iter().map(|b| format!("{b:02x}")).collect();
        let expected = openssl_in(
            &[
                "pkeyutl",
                "-engine",
                "gost",
                "-derive",
                "-inkey",
                &format!("{ours}.pem"),
                "-peerkey",
                &format!("{peer}.pub.pem"),
                "-pkeyopt",
                &format!("ukmhex:{hex}"),
                "-pkeyopt",
                &format!("vko:{bits}"),
            ],
            dir,
        );
        let peer_key = public_key(dir, &peer);
        let got = c
            .agree_key(&KeyAgreement {
                container: &id,
                peer: &peer_key,
                ukm: &ukm,
                hash,
            })
            .unwrap();
        assert_eq!(got.expose(), expected, "{alg} {set} {hash:?}");
        if i == 0 {
            // A peer of the other size; an empty UKM; no login: typed errors, nothing sent.
            engine_key(dir, "gost2012_512", "A", "other");
            let wrong = public_key(dir, "other");
            let agree = |c: &Pkcs11Carrier, peer: &PublicKey, ukm: &[u8]| {
                c.agree_key(&KeyAgreement {
                    container: &id,
                    peer,
                    ukm,
                    hash,
                })
            };
            assert_eq!(agree(&c, &wrong, &ukm).unwrap_err().code(), "KC-MALFORMED");
            assert_eq!(
                agree(&c, &peer_key, &[]).unwrap_err().code(),
                "KC-MALFORMED"
            );
            c.logout().unwrap();
            assert_eq!(
                agree(&c, &peer_key, &ukm).unwrap_err().code(),
                "KC-LOGIN-REQUIRED"
            );
            c.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
        }
    }
}
