//! The PKCS#11 module (`libsoft_token_pkcs11.so`) driven by OpenSC's `pkcs11-tool`, with GOST
//! signatures checked by OpenSSL's gost engine. Missing tools fail the tests loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use token_core::GostParamSet;

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

struct Fixture {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Fixture {
    /// One slot (0) with an uninitialised token; fast PIN key derivation.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("softtoken.conf");
        std::fs::write(
            &conf,
            format!(
                "# test configuration\nslot.0 = {}\nkdf_iterations = 10\n",
                dir.path().join("token0").display()
            ),
        )
        .unwrap();
        Self { dir, conf }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs pkcs11-tool on the module.
    fn tool(&self, args: &[&str]) -> Output {
        Command::new("pkcs11-tool")
            .arg("--module")
            .arg(module_path())
            .args(args)
            .env("KEYCARRIER_SOFTTOKEN_CONF", &self.conf)
            .current_dir(self.dir.path())
            .output()
            .expect("pkcs11-tool is required for these tests (apt-get install opensc)")
    }

    /// Runs pkcs11-tool and requires success; returns stdout + stderr.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.tool(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "pkcs11-tool {args:?} failed:\n{text}");
        text
    }

    /// Runs pkcs11-tool and requires failure; returns stdout + stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.tool(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "pkcs11-tool {args:?} succeeded:\n{text}"
        );
        text
    }

    fn token_flags(&self) -> String {
        let list = self.ok(&["-L"]);
        list.lines()
            .find(|l| l.contains("token flags"))
            .unwrap_or_else(|| panic!("no token flags in\n{list}"))
            .to_owned()
    }

    /// init-token with the vendor default SO PIN + init-pin: a token as the bank hands it out.
    fn as_handed_out(user_pin: &str) -> Self {
        let f = Self::new();
        let list = f.ok(&["-L"]);
        assert!(list.contains("uninitialized"), "{list}");
        f.ok(&[
            "--init-token",
            "--label",
            "Accounting",
            "--so-pin",
            VENDOR_SO_PIN,
        ]);
        f.ok(&[
            "--login",
            "--login-type",
            "so",
            "--so-pin",
            VENDOR_SO_PIN,
            "--init-pin",
            "--pin",
            user_pin,
        ]);
        f
    }

    /// The SO changes the SO PIN from `old` to `new` (C_SetPIN in an SO session).
    fn change_so_pin(&self, old: &str, new: &str) {
        self.ok(&[
            "--login",
            "--login-type",
            "so",
            "--so-pin",
            old,
            "--change-pin",
            "--new-pin",
            new,
        ]);
    }

    /// A token as handed out, then the SO PIN changed to [`SO_PIN`] (no keys before that).
    fn initialised(user_pin: &str) -> Self {
        let f = Self::as_handed_out(user_pin);
        f.change_so_pin(VENDOR_SO_PIN, SO_PIN);
        f
    }
}

/// The vendor default SO PIN tokens are handed out with.
const VENDOR_SO_PIN: &str = "87654321";
/// The SO PIN the tests change it to.
const SO_PIN: &str = "Ad9mQ4kz";

/// Runs openssl with the gost engine; a missing openssl or engine fails loudly.
fn openssl(args: &[&str], dir: &Path) -> Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (apt-get install openssl libengine-gost-openssl)");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("invalid engine"),
        "the OpenSSL gost engine is missing (apt-get install libengine-gost-openssl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn openssl_ok(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = openssl(args, dir);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The hex of a `VALUE:` block in `pkcs11-tool -O` output for the public key with `label`.
fn public_value(listing: &str, label: &str) -> Vec<u8> {
    // A block is the header line and its indented lines.
    let blocks: Vec<String> = listing
        .split("Public Key Object")
        .skip(1)
        .map(|b| {
            b.lines()
                .skip(1)
                .take_while(|l| l.starts_with(' '))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let block = blocks
        .iter()
        .find(|b| b.contains(&format!("label:      {label}")))
        .unwrap_or_else(|| panic!("no public key {label} in\n{listing}"));
    let mut hex = String::new();
    let mut in_value = false;
    for line in block.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("VALUE:") {
            in_value = true;
            hex.push_str(rest.trim());
        } else if in_value && !t.contains(':') && !t.is_empty() {
            hex.push_str(t);
        } else if in_value {
            break;
        }
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Writes the GOST public key (CKA_VALUE = X_le ‖ Y_le) as an SPKI PEM file for openssl.
fn gost_spki_pem(f: &Fixture, set: GostParamSet, value: &[u8], name: &str) -> PathBuf {
    use token_core::der::pem::{LineEnding, encode_string};
    let key = gost::VerifyingKey::from_raw_le(set, value).unwrap();
    let pem = encode_string("PUBLIC KEY", LineEnding::LF, &key.to_spki_der().unwrap()).unwrap();
    let path = f.path(name);
    std::fs::write(&path, pem).unwrap();
    path
}

#[test]
fn u01_init_token_pins_change_lock_and_unlock_through_the_so() {
    let f = Fixture::initialised("11223344");
    let flags = f.token_flags();
    assert!(
        flags.contains("token initialized") && flags.contains("PIN initialized"),
        "{flags}"
    );
    assert!(flags.contains("login required"), "{flags}");
    f.ok(&["--login", "--pin", "11223344", "-O"]);

    f.ok(&["--change-pin", "--pin", "11223344", "--new-pin", "55667788"]);
    f.fails(&["--login", "--pin", "11223344", "-O"]);
    assert!(f.token_flags().contains("user PIN count low"));
    f.ok(&["--login", "--pin", "55667788", "-O"]);
    assert!(
        !f.token_flags().contains("count low"),
        "a good PIN resets the counter"
    );

    // Ten wrong PINs block it (counters persist across processes); the right PIN is refused.
    for i in 1..=10 {
        let err = f.fails(&["--login", "--pin", "00000000", "-O"]);
        assert!(err.contains("CKR_PIN_INCORRECT"), "attempt {i}: {err}");
        if i == 9 {
            assert!(
                f.token_flags().contains("final user PIN try"),
                "{}",
                f.token_flags()
            );
        }
    }
    assert!(
        f.token_flags().contains("user PIN locked"),
        "{}",
        f.token_flags()
    );
    let err = f.fails(&["--login", "--pin", "55667788", "-O"]);
    assert!(err.contains("CKR_PIN_LOCKED"), "{err}");

    // The SO unblocks with C_InitPIN...
    f.ok(&[
        "--login",
        "--login-type",
        "so",
        "--so-pin",
        SO_PIN,
        "--init-pin",
        "--pin",
        "24681357",
    ]);
    assert!(!f.token_flags().contains("locked"));
    f.ok(&["--login", "--pin", "24681357", "-O"]);

    // ...or through pkcs11-tool --unlock-pin with the SO PIN as unblock code.
    for _ in 0..10 {
        f.fails(&["--login", "--pin", "00000000", "-O"]);
    }
    f.ok(&["--unlock-pin", "--puk", SO_PIN, "--new-pin", "13572468"]);
    f.ok(&["--login", "--pin", "13572468", "-O"]);

    // Re-initialising with a wrong SO PIN fails; with the right one it erases everything.
    let err = f.fails(&["--init-token", "--label", "Other", "--so-pin", "11111111"]);
    assert!(err.contains("CKR_PIN_INCORRECT"), "{err}");
    f.ok(&["--init-token", "--label", "Other", "--so-pin", SO_PIN]);
    let list = f.ok(&["-L"]);
    assert!(
        list.contains("Other") && !list.contains("PIN initialized"),
        "{list}"
    );
}

#[test]
fn keygen_waits_for_the_so_to_change_the_vendor_default_so_pin() {
    let f = Fixture::as_handed_out("11223344");
    let flags = f.token_flags();
    assert!(flags.contains("SO PIN to be changed"), "{flags}");
    let keygen = [
        "--login",
        "--pin",
        "11223344",
        "--keypairgen",
        "--key-type",
        "GOSTR3410-2012-256:B",
        "--id",
        "01",
    ];
    let err = f.fails(&keygen);
    assert!(err.contains("CKR_PIN_EXPIRED"), "{err}");
    f.change_so_pin(VENDOR_SO_PIN, SO_PIN);
    assert!(!f.token_flags().contains("SO PIN to be changed"));
    let out = f.ok(&keygen);
    assert!(out.contains("GOSTR3410-2012-256"), "{out}");
}

#[test]
fn u05_gost_keys_sign_with_pkcs11_tool_and_verify_with_openssl() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    let keygen = |key_type: &str, id: &str, label: &str| {
        let mut args = login.to_vec();
        args.extend([
            "--keypairgen",
            "--key-type",
            key_type,
            "--id",
            id,
            "--label",
            label,
        ]);
        f.ok(&args)
    };
    let out = keygen("GOSTR3410-2012-256:B", "01", "g256");
    assert!(out.contains("GOSTR3410-2012-256"), "{out}");
    let out = keygen("GOSTR3410-2012-512:A", "02", "g512");
    assert!(out.contains("GOSTR3410-2012-512"), "{out}");

    let mut args = login.to_vec();
    args.push("-O");
    let listing = f.ok(&args);
    assert!(
        listing.contains("Private Key Object; GOSTR3410-2012-256"),
        "{listing}"
    );
    assert!(
        listing.contains("Private Key Object; GOSTR3410-2012-512"),
        "{listing}"
    );
    let pub256 = gost_spki_pem(
        &f,
        GostParamSet::CryptoProA,
        &public_value(&listing, "g256"),
        "p256.pem",
    );
    let pub512 = gost_spki_pem(
        &f,
        GostParamSet::Tc26_512A,
        &public_value(&listing, "g512"),
        "p512.pem",
    );

    std::fs::write(f.path("msg"), "платёжное поручение № 42").unwrap();
    let d256 = openssl_ok(
        &[
            "dgst",
            "-engine",
            "gost",
            "-md_gost12_256",
            "-binary",
            "msg",
        ],
        dir,
    );
    let d512 = openssl_ok(
        &[
            "dgst",
            "-engine",
            "gost",
            "-md_gost12_512",
            "-binary",
            "msg",
        ],
        dir,
    );
    assert_eq!((d256.len(), d512.len()), (32, 64));
    std::fs::write(f.path("d256"), &d256).unwrap();
    std::fs::write(f.path("d512"), &d512).unwrap();

    let cases = [
        ("GOSTR3410", "01", "d256", &pub256, 64),
        ("GOSTR3410-WITH-GOSTR3411-12-256", "01", "msg", &pub256, 64),
        ("GOSTR3410_512", "02", "d512", &pub512, 128),
        ("GOSTR3410-WITH-GOSTR3411-12-512", "02", "msg", &pub512, 128),
    ];
    for (mech, id, input, spki, len) in cases {
        let sig = format!("sig-{mech}");
        let mut args = login.to_vec();
        args.extend(["--sign", "-m", mech, "--id", id, "-i", input, "-o", &sig]);
        f.ok(&args);
        assert_eq!(std::fs::read(f.path(&sig)).unwrap().len(), len, "{mech}");
        let out = f.ok(&[
            "--verify",
            "-m",
            mech,
            "--id",
            id,
            "-i",
            input,
            "--signature-file",
            &sig,
        ]);
        assert!(out.contains("Signature is valid"), "{mech}: {out}");
        // openssl verifies over the digest it computes itself.
        let digest = if len == 64 { "d256" } else { "d512" };
        let spki = spki.to_str().unwrap();
        let args = [
            "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", spki, "-in", digest,
            "-sigfile", &sig,
        ];
        assert!(
            openssl(&args, dir).status.success(),
            "openssl rejects {mech}"
        );
        // A damaged signature verifies neither with openssl nor with the module.
        let mut flipped = std::fs::read(f.path(&sig)).unwrap();
        flipped[0] ^= 1;
        std::fs::write(f.path("bad"), &flipped).unwrap();
        let args = [
            "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-inkey", spki, "-in", digest,
            "-sigfile", "bad",
        ];
        assert!(
            !openssl(&args, dir).status.success(),
            "{mech}: flipped signature verifies"
        );
        // (pkcs11-tool reports CKR_SIGNATURE_INVALID as "Invalid signature" and exits 0.)
        let out = f.ok(&[
            "--verify",
            "-m",
            mech,
            "--id",
            id,
            "-i",
            input,
            "--signature-file",
            "bad",
        ]);
        assert!(out.contains("Invalid signature"), "{out}");
    }

    // Streebog through C_Digest equals openssl's.
    let out = f.tool(&["--hash", "-m", "GOSTR3411-12-256", "-i", "msg"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, d256);
    let out = f.tool(&["--hash", "-m", "GOSTR3411-12-512", "-i", "msg"]);
    assert_eq!(out.stdout, d512);

    // A raw GOST mechanism refuses input that is not a digest of the key's size.
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "GOSTR3410",
        "--id",
        "01",
        "-i",
        "msg",
        "-o",
        "x",
    ]);
    let err = f.fails(&args);
    // pkcs11-tool feeds this file through C_SignUpdate, which a raw mechanism refuses.
    assert!(
        err.contains("CKR_DATA_LEN_RANGE")
            || err.contains("C_SignUpdate failed: rv = CKR_FUNCTION_NOT_SUPPORTED"),
        "{err}"
    );
    // A 256-bit mechanism with the 512-bit key.
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "GOSTR3410",
        "--id",
        "02",
        "-i",
        "d256",
        "-o",
        "x",
    ]);
    let err = f.fails(&args);
    assert!(err.contains("CKR_KEY_TYPE_INCONSISTENT"), "{err}");
}

#[test]
fn u05_rsa_keys_sign_and_verify_with_openssl() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    let mut args = login.to_vec();
    args.extend([
        "--keypairgen",
        "--key-type",
        "rsa:2048",
        "--id",
        "03",
        "--label",
        "r2048",
    ]);
    let out = f.ok(&args);
    assert!(out.contains("RSA 2048 bits"), "{out}");
    f.ok(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "03",
        "-o",
        "rsa.der",
    ]);
    std::fs::write(f.path("msg"), "payment order 42").unwrap();
    let sha = openssl_ok(&["dgst", "-sha256", "-binary", "msg"], dir);
    std::fs::write(f.path("sha"), sha).unwrap();

    for (mech, input, extra, pss) in [
        ("SHA256-RSA-PKCS", "msg", &[][..], false),
        (
            "RSA-PKCS-PSS",
            "sha",
            &["--hash-algorithm", "SHA256", "--mgf", "MGF1-SHA256"][..],
            true,
        ),
        (
            "SHA256-RSA-PKCS-PSS",
            "msg",
            &["--mgf", "MGF1-SHA256"][..],
            true,
        ),
    ] {
        let sig = format!("sig-{mech}");
        let mut args = login.to_vec();
        args.extend(["--sign", "-m", mech, "--id", "03", "-i", input, "-o", &sig]);
        args.extend(extra);
        f.ok(&args);
        let mut args = vec![
            "--verify",
            "-m",
            mech,
            "--id",
            "03",
            "-i",
            input,
            "--signature-file",
            &sig,
        ];
        args.extend(extra);
        assert!(f.ok(&args).contains("Signature is valid"), "{mech}");
        let mut args = vec![
            "pkeyutl",
            "-verify",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "rsa.der",
            "-in",
            "sha",
            "-sigfile",
            &sig,
            "-pkeyopt",
            "digest:sha256",
        ];
        if pss {
            args.extend([
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:32",
            ]);
        }
        assert!(
            openssl(&args, dir).status.success(),
            "openssl rejects {mech}"
        );
    }
}

#[test]
fn u06_list_and_delete_objects_and_mechanisms() {
    let f = Fixture::initialised("11223344");
    let login = ["--login", "--pin", "11223344"];
    let mut args = login.to_vec();
    args.extend([
        "--keypairgen",
        "--key-type",
        "GOSTR3410-2012-256:B",
        "--id",
        "0a",
        "--label",
        "k1",
    ]);
    f.ok(&args);

    // Without login only the public key is visible.
    let public = f.ok(&["-O"]);
    assert!(
        public.contains("Public Key Object") && !public.contains("Private Key Object"),
        "{public}"
    );
    let mut args = login.to_vec();
    args.push("-O");
    let all = f.ok(&args);
    assert!(
        all.contains("Private Key Object") && all.contains("sensitive"),
        "{all}"
    );

    // A data object and a relabel.
    std::fs::write(f.path("note.txt"), "hello").unwrap();
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "note.txt",
        "--type",
        "data",
        "--label",
        "note",
    ]);
    f.ok(&args);
    let out = f.tool(&["--read-object", "--type", "data", "--label", "note"]);
    assert_eq!(out.stdout, b"hello");

    let mut args = login.to_vec();
    args.extend(["--delete-object", "--type", "privkey", "--id", "0a"]);
    f.ok(&args);
    let mut args = login.to_vec();
    args.extend(["--delete-object", "--type", "pubkey", "--id", "0a"]);
    f.ok(&args);
    let mut args = login.to_vec();
    args.push("-O");
    let left = f.ok(&args);
    assert!(
        !left.contains("Key Object") && left.contains("Data object"),
        "{left}"
    );

    let mechs = f.ok(&["--list-mechanisms"]);
    for m in [
        "GOSTR3410-KEY-PAIR-GEN",
        "GOSTR3410-512-KEY-PAIR-GEN",
        "GOSTR3410, keySize={256,256}, sign, verify",
        "GOSTR3410_512",
        "GOSTR3410-WITH-GOSTR3411-12-256",
        "GOSTR3410-WITH-GOSTR3411-12-512",
        "GOSTR3411-12-256, digest",
        "GOSTR3411-12-512, digest",
        "RSA-PKCS-KEY-PAIR-GEN",
        "SHA256-RSA-PKCS",
        "RSA-PKCS-PSS",
    ] {
        assert!(mechs.contains(m), "{m} missing from\n{mechs}");
    }
}

#[test]
fn module_without_configuration_has_no_slots_and_a_bad_file_fails_initialisation() {
    let out = Command::new("pkcs11-tool")
        .arg("--module")
        .arg(module_path())
        .arg("-L")
        .env_remove("KEYCARRIER_SOFTTOKEN_CONF")
        .output()
        .expect("pkcs11-tool is required (apt-get install opensc)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Available slots") && !text.contains("Slot 0"),
        "{text}"
    );
    let f = Fixture::new();
    std::fs::write(&f.conf, "slot.zero = /tmp/x\n").unwrap();
    let err = f.fails(&["-L"]);
    assert!(
        err.contains("C_Initialize") || err.contains("CKR_GENERAL_ERROR"),
        "{err}"
    );
}

/// Issue 4 / C_CreateObject: an RSA key made by `openssl genpkey` written with
/// `pkcs11-tool --write-object --type privkey`, its public key with `--type pubkey`; pkcs11-tool
/// signs, OpenSSL verifies. (This pkcs11-tool cannot write GOST private keys: OpenSC 0.23
/// rejects GOST 2012 keys as "Unsupported key type" and fails to parse engine GOST 2001 keys;
/// GOST import is tested through cryptoki in `pkcs11_api.rs`.)
#[test]
fn u03_rsa_key_from_openssl_written_with_pkcs11_tool_signs() {
    let f = Fixture::initialised("11223344");
    let dir = f.dir.path();
    let login = ["--login", "--pin", "11223344"];
    openssl_ok(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "DER",
            "-out",
            "key.der",
        ],
        dir,
    );
    openssl_ok(
        &[
            "pkey", "-inform", "DER", "-in", "key.der", "-pubout", "-outform", "DER", "-out",
            "pub.der",
        ],
        dir,
    );
    // Without the user logged in the private key is refused.
    f.fails(&[
        "--write-object",
        "key.der",
        "--type",
        "privkey",
        "--id",
        "05",
    ]);
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "key.der",
        "--type",
        "privkey",
        "--id",
        "05",
        "--label",
        "imported",
    ]);
    let out = f.ok(&args);
    assert!(out.contains("Private Key Object; RSA"), "{out}");
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "pub.der",
        "--type",
        "pubkey",
        "--id",
        "05",
    ]);
    f.ok(&args);

    // Another key's public half under the same id is refused.
    openssl_ok(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "other.pem",
        ],
        dir,
    );
    openssl_ok(
        &[
            "pkey",
            "-in",
            "other.pem",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "other.der",
        ],
        dir,
    );
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "other.der",
        "--type",
        "pubkey",
        "--id",
        "05",
    ]);
    f.fails(&args);

    std::fs::write(f.path("msg"), "payment order 43").unwrap();
    let mut args = login.to_vec();
    args.extend([
        "--sign",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "05",
        "-i",
        "msg",
        "-o",
        "sig",
    ]);
    f.ok(&args);
    let verified = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.der",
            "-keyform",
            "DER",
            "-signature",
            "sig",
            "msg",
        ],
        dir,
    );
    assert!(
        verified.status.success(),
        "openssl rejects the signature: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // The module verifies with the imported public key too.
    let out = f.ok(&[
        "--verify",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "05",
        "-i",
        "msg",
        "--signature-file",
        "sig",
    ]);
    assert!(out.contains("Signature is valid"), "{out}");
    // The private exponent and the primes never show in the token file.
    use rsa::pkcs1::der::Decode;
    let key = std::fs::read(f.path("key.der")).unwrap();
    // `openssl genpkey -outform DER` writes the traditional PKCS#1 form.
    let parts = rsa::pkcs1::RsaPrivateKeyRef::from_der(&key).unwrap();
    let state = std::fs::read(f.path("token0/token.der")).unwrap();
    assert!(state.windows(256).any(|w| w == parts.modulus.as_bytes()));
    for secret in [parts.private_exponent, parts.prime1, parts.prime2] {
        let head = &secret.as_bytes()[..32];
        assert!(
            !state.windows(32).any(|w| w == head),
            "private key bytes in the clear on disk"
        );
    }
}
