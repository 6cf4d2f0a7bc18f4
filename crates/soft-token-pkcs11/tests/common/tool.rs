//! The fixture of the `pkcs11-tool` tests: a one-slot configuration in a temporary directory,
//! pkcs11-tool and OpenSSL (with the gost engine) as child processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use token_core::GostParamSet;

use super::{SO_PIN, VENDOR_SO_PIN, module_path};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
}

impl Fixture {
    /// One slot (0) with an uninitialised token; fast PIN key derivation.
    pub fn new() -> Self {
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

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs pkcs11-tool on the module.
    pub fn tool(&self, args: &[&str]) -> Output {
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
    pub fn ok(&self, args: &[&str]) -> String {
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
    pub fn fails(&self, args: &[&str]) -> String {
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

    pub fn token_flags(&self) -> String {
        let list = self.ok(&["-L"]);
        list.lines()
            .find(|l| l.contains("token flags"))
            .unwrap_or_else(|| panic!("no token flags in\n{list}"))
            .to_owned()
    }

    /// init-token with the vendor default SO PIN + init-pin: a token as the bank hands it out.
    pub fn as_handed_out(user_pin: &str) -> Self {
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
    pub fn change_so_pin(&self, old: &str, new: &str) {
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
    pub fn initialised(user_pin: &str) -> Self {
        let f = Self::as_handed_out(user_pin);
        f.change_so_pin(VENDOR_SO_PIN, SO_PIN);
        f
    }
}

/// Runs openssl with the gost engine; a missing openssl or engine fails loudly.
pub fn openssl(args: &[&str], dir: &Path) -> Output {
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

pub fn openssl_ok(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = openssl(args, dir);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The hex of a `VALUE:` block in `pkcs11-tool -O` output for the public key with `label`.
pub fn public_value(listing: &str, label: &str) -> Vec<u8> {
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
pub fn gost_spki_pem(f: &Fixture, set: GostParamSet, value: &[u8], name: &str) -> PathBuf {
    use token_core::der::pem::{LineEnding, encode_string};
    let key = gost::VerifyingKey::from_raw_le(set, value).unwrap();
    let pem = encode_string("PUBLIC KEY", LineEnding::LF, &key.to_spki_der().unwrap()).unwrap();
    let path = f.path(name);
    std::fs::write(&path, pem).unwrap();
    path
}
