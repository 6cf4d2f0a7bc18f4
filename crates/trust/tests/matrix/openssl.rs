//! Drives the `openssl` command line (with the gost engine) for the verdict matrix: keys,
//! certificates and CRLs with explicit dates through `openssl ca`, and `openssl verify` verdicts.
//!
//! Everything is written into one temporary directory; every `openssl ca` call gets a fresh
//! database there, so calls are independent and serial numbers are unique across the run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

/// The key algorithms of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    /// GOST R 34.10-2012, 256-bit key.
    Gost256,
    /// GOST R 34.10-2012, 512-bit key.
    Gost512,
    /// RSA-2048 with SHA-256.
    Rsa,
}

impl Alg {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Gost256 => "GOST256",
            Self::Gost512 => "GOST512",
            Self::Rsa => "RSA",
        }
    }

    /// The digest `openssl ca -md` uses with a key of this algorithm.
    fn md(self) -> &'static str {
        match self {
            Self::Gost256 => "md_gost12_256",
            Self::Gost512 => "md_gost12_512",
            Self::Rsa => "sha256",
        }
    }
}

/// A UTC instant, written the ways `openssl` and the tests need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At(pub i64, pub u32, pub u32, pub u32, pub u32, pub u32);

impl At {
    /// A date at midnight.
    pub(crate) const fn day(y: i64, m: u32, d: u32) -> Self {
        Self(y, m, d, 0, 0, 0)
    }

    /// Seconds since the Unix epoch.
    pub(crate) fn unix(self) -> u64 {
        let Self(y, m, d, h, mi, s) = self;
        // Days from civil (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (i64::from(m) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        u64::try_from(days * 86_400 + i64::from(h * 3600 + mi * 60 + s)).unwrap()
    }

    /// `YYMMDDHHMMSSZ`, as `openssl ca -startdate/-enddate` takes it (years 2000..2049).
    pub(crate) fn asn1(self) -> String {
        let Self(y, m, d, h, mi, s) = self;
        assert!((2000..2050).contains(&y), "UTCTime years only");
        format!("{:02}{m:02}{d:02}{h:02}{mi:02}{s:02}Z", y - 2000)
    }
}

/// A private key and a request made with it (the subject comes from `openssl ca -subj`).
#[derive(Debug)]
pub(crate) struct Key {
    pub(crate) alg: Alg,
    pub(crate) path: PathBuf,
    csr: PathBuf,
}

/// A certificate: its PEM file and DER bytes.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    pub(crate) name: String,
    pub(crate) pem: PathBuf,
    pub(crate) der: Vec<u8>,
}

/// A CRL: its PEM file and bytes.
#[derive(Debug, Clone)]
pub(crate) struct Crl {
    pub(crate) name: String,
    pub(crate) pem: PathBuf,
    pub(crate) bytes: Vec<u8>,
}

/// What a certificate looks like.
pub(crate) struct Spec<'a> {
    /// The common name (the whole subject).
    pub(crate) cn: String,
    /// The subject's key.
    pub(crate) key: &'a Key,
    /// The issuing certificate and its key; `None` for a self-signed certificate.
    pub(crate) issuer: Option<(&'a Cert, &'a Key)>,
    pub(crate) not_before: At,
    pub(crate) not_after: At,
    /// Extension lines of an `openssl` v3 section; none gives a version 1 certificate.
    pub(crate) exts: Vec<String>,
    /// `openssl ca -sigopt` values, e.g. `rsa_padding_mode:pss`.
    pub(crate) sigopts: Vec<String>,
}

/// An entry of a CRL to make.
pub(crate) struct Revoke<'a> {
    pub(crate) cert: &'a Cert,
    /// `openssl ca -crl_reason` value, e.g. `keyCompromise`.
    pub(crate) reason: &'a str,
}

/// The revocation checking `openssl verify` is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrlMode {
    /// No `-crl_check`.
    Off,
    /// `-crl_check`: the end entity only.
    EndEntity,
    /// `-crl_check_all`: every certificate.
    All,
}

/// What `openssl verify` said.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub(crate) ok: bool,
    /// The first `error N at D depth lookup` code, when it refused.
    pub(crate) error: Option<i32>,
    pub(crate) output: String,
}

/// What to ask `openssl verify`.
pub(crate) struct VerifyArgs<'a> {
    pub(crate) anchors: &'a [&'a Cert],
    pub(crate) untrusted: &'a [&'a Cert],
    pub(crate) ee: &'a Cert,
    pub(crate) crls: &'a [&'a Crl],
    pub(crate) crl_mode: CrlMode,
    pub(crate) purpose: Option<&'a str>,
    pub(crate) attime: u64,
    pub(crate) partial_chain: bool,
}

pub(crate) struct Openssl {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    conf: PathBuf,
    counter: AtomicU64,
}

const INSTALL: &str = "install them with `apt-get install -y openssl libengine-gost-openssl`";

impl Openssl {
    /// Sets up the temporary directory and the engine configuration; panics when `openssl` or
    /// the gost engine is missing (the matrix never skips).
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let version = Command::new("openssl")
            .arg("version")
            .arg("-e")
            .output()
            .unwrap_or_else(|e| panic!("cannot run `openssl` ({e}); {INSTALL}"));
        assert!(
            version.status.success(),
            "`openssl version` failed; {INSTALL}"
        );
        let engine = find_gost_engine(&String::from_utf8_lossy(&version.stdout));
        let conf = dir.join("openssl-gost.cnf");
        std::fs::write(
            &conf,
            format!(
                "openssl_conf = openssl_def\n\
                 [openssl_def]\nengines = engine_section\n\
                 [engine_section]\ngost = gost_section\n\
                 [gost_section]\nengine_id = gost\ndynamic_path = {}\ndefault_algorithms = ALL\n\
                 [req]\ndistinguished_name = req_dn\n[req_dn]\n",
                engine.display()
            ),
        )
        .unwrap();
        let out = Self {
            _tmp: tmp,
            dir,
            conf,
            counter: AtomicU64::new(0x1000),
        };
        let check = out.run(&["engine", "-t", "gost"]);
        assert!(
            check.status.success() && String::from_utf8_lossy(&check.stdout).contains("available"),
            "OpenSSL's gost engine ({}) does not load: {}{}; {INSTALL}",
            engine.display(),
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        out
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `openssl ARGS` in the temporary directory with the engine configuration.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .env("OPENSSL_CONF", &self.conf)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run `openssl` ({e}); {INSTALL}"))
    }

    /// The same, panicking with the output when it fails.
    pub(crate) fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "openssl {} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A new key (and a request with it). `paramset` is ignored for RSA.
    pub(crate) fn key(&self, alg: Alg, paramset: &str) -> Key {
        let n = self.next();
        let path = self.dir.join(format!("key-{n}.pem"));
        let p = path.to_str().unwrap();
        let paramset = format!("paramset:{paramset}");
        match alg {
            Alg::Gost256 => self.run_ok(&[
                "genpkey",
                "-algorithm",
                "gost2012_256",
                "-pkeyopt",
                &paramset,
                "-out",
                p,
            ]),
            Alg::Gost512 => self.run_ok(&[
                "genpkey",
                "-algorithm",
                "gost2012_512",
                "-pkeyopt",
                &paramset,
                "-out",
                p,
            ]),
            Alg::Rsa => self.run_ok(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                p,
            ]),
        };
        let csr = self.dir.join(format!("key-{n}.csr"));
        let md = format!("-{}", alg.md());
        self.run_ok(&[
            "req",
            "-new",
            "-key",
            p,
            "-subj",
            "/CN=request",
            &md,
            "-out",
            csr.to_str().unwrap(),
        ]);
        Key { alg, path, csr }
    }

    /// A fresh `openssl ca` directory and configuration; returns the configuration path.
    fn ca_dir(&self) -> (PathBuf, PathBuf) {
        let n = self.next();
        let db = self.dir.join(format!("ca-{n}"));
        std::fs::create_dir(&db).unwrap();
        std::fs::write(db.join("index.txt"), "").unwrap();
        std::fs::write(db.join("serial"), format!("{n:08X}\n")).unwrap();
        std::fs::write(db.join("crlnumber"), "01\n").unwrap();
        let conf = db.join("ca.cnf");
        std::fs::write(
            &conf,
            format!(
                "[ca]\ndefault_ca = ca_default\n\
                 [ca_default]\ndir = {}\ndatabase = $dir/index.txt\nserial = $dir/serial\n\
                 crlnumber = $dir/crlnumber\nnew_certs_dir = $dir\npolicy = policy_any\n\
                 unique_subject = no\ncopy_extensions = none\nemail_in_dn = no\n\
                 [policy_any]\ncommonName = supplied\n",
                db.display()
            ),
        )
        .unwrap();
        (db, conf)
    }

    /// Issues a certificate with `openssl ca` (`-selfsign` when it has no issuer).
    pub(crate) fn issue(&self, spec: &Spec<'_>) -> Cert {
        let (db, conf) = self.ca_dir();
        let out = db.join("cert.pem");
        let subj = format!("/CN={}", spec.cn);
        let (start, end) = (spec.not_before.asn1(), spec.not_after.asn1());
        let signer = spec.issuer.map_or(spec.key, |(_, k)| k);
        let mut args: Vec<String> = [
            "ca",
            "-batch",
            "-notext",
            "-config",
            conf.to_str().unwrap(),
            "-in",
            spec.key.csr.to_str().unwrap(),
            "-subj",
            &subj,
            "-md",
            signer.alg.md(),
            "-startdate",
            &start,
            "-enddate",
            &end,
            "-keyfile",
            signer.path.to_str().unwrap(),
            "-out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        match spec.issuer {
            None => args.push("-selfsign".into()),
            Some((cert, _)) => {
                args.push("-cert".into());
                args.push(cert.pem.to_str().unwrap().into());
            }
        }
        for opt in &spec.sigopts {
            args.push("-sigopt".into());
            args.push(opt.clone());
        }
        if !spec.exts.is_empty() {
            let ext = db.join("ext.cnf");
            let mut text = String::from("[v3]\n");
            for line in &spec.exts {
                writeln!(text, "{line}").unwrap();
            }
            std::fs::write(&ext, text).unwrap();
            args.extend([
                "-extfile".into(),
                ext.to_str().unwrap().into(),
                "-extensions".into(),
                "v3".into(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_ok(&args);
        let pem = std::fs::read(&out).unwrap();
        let der = keycarrier_trust::read_certificates(&pem).unwrap().remove(0);
        Cert {
            name: spec.cn.clone(),
            pem: out,
            der,
        }
    }

    /// The same certificate with one byte of its signature value changed (still parseable).
    pub(crate) fn corrupt_signature(&self, cert: &Cert) -> Cert {
        let mut der = cert.der.clone();
        // The signature BIT STRING is the last element of the certificate.
        let last = der.last_mut().unwrap();
        *last ^= 0x01;
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
        let path = self.dir.join(format!("corrupt-{}.pem", self.next()));
        std::fs::write(&path, pem).unwrap();
        Cert {
            name: format!("{} (signature corrupted)", cert.name),
            pem: path,
            der,
        }
    }

    /// A CRL signed by `issuer_key` in the name of `issuer`, listing `revoked`, valid from
    /// `last` to `next`; with an authorityKeyIdentifier when `aki`.
    pub(crate) fn crl(
        &self,
        issuer: &Cert,
        issuer_key: &Key,
        revoked: &[Revoke<'_>],
        last: At,
        next: At,
        aki: bool,
    ) -> Crl {
        let exts: &[&str] = if aki {
            &["authorityKeyIdentifier = keyid:always"]
        } else {
            &[]
        };
        self.crl_with(issuer, issuer_key, revoked, last, next, exts)
    }

    /// The same with the given CRL extension lines (besides the CRL number).
    pub(crate) fn crl_with(
        &self,
        issuer: &Cert,
        issuer_key: &Key,
        revoked: &[Revoke<'_>],
        last: At,
        next: At,
        exts: &[&str],
    ) -> Crl {
        let (db, conf) = self.ca_dir();
        if !exts.is_empty() {
            let mut text = std::fs::read_to_string(&conf).unwrap();
            text.push_str("[crl_exts]\n");
            for line in exts {
                writeln!(text, "{line}").unwrap();
            }
            std::fs::write(&conf, text).unwrap();
        }
        let common = [
            "-config",
            conf.to_str().unwrap(),
            "-cert",
            issuer.pem.to_str().unwrap(),
            "-keyfile",
            issuer_key.path.to_str().unwrap(),
            "-md",
            issuer_key.alg.md(),
        ];
        for r in revoked {
            let mut args = vec!["ca", "-batch"];
            args.extend(common);
            args.extend([
                "-revoke",
                r.cert.pem.to_str().unwrap(),
                "-crl_reason",
                r.reason,
            ]);
            self.run_ok(&args);
        }
        let out = db.join("crl.pem");
        let (l, n) = (format!("20{}", last.asn1()), format!("20{}", next.asn1()));
        let mut args = vec!["ca", "-batch", "-gencrl"];
        args.extend(common);
        args.extend([
            "-crl_lastupdate",
            &l,
            "-crl_nextupdate",
            &n,
            "-out",
            out.to_str().unwrap(),
        ]);
        if !exts.is_empty() {
            args.extend(["-crlexts", "crl_exts"]);
        }
        self.run_ok(&args);
        let bytes = std::fs::read(&out).unwrap();
        Crl {
            name: format!("CRL of {}", issuer.name),
            pem: out,
            bytes,
        }
    }

    /// Writes certificates into one PEM file.
    fn bundle(&self, what: &str, certs: &[&Cert]) -> PathBuf {
        let path = self.dir.join(format!("{what}-{}.pem", self.next()));
        let mut all = Vec::new();
        for c in certs {
            all.extend(std::fs::read(&c.pem).unwrap());
        }
        std::fs::write(&path, all).unwrap();
        path
    }

    /// `openssl verify`'s verdict.
    pub(crate) fn verify(&self, a: &VerifyArgs<'_>) -> Verdict {
        let anchors = self.bundle("anchors", a.anchors);
        let attime = a.attime.to_string();
        let mut args: Vec<String> = vec![
            "verify".into(),
            "-no-CApath".into(),
            "-no-CAstore".into(),
            "-CAfile".into(),
            anchors.to_str().unwrap().into(),
            "-attime".into(),
            attime,
        ];
        if a.partial_chain {
            args.push("-partial_chain".into());
        }
        if !a.untrusted.is_empty() {
            let pool = self.bundle("untrusted", a.untrusted);
            args.push("-untrusted".into());
            args.push(pool.to_str().unwrap().into());
        }
        if !a.crls.is_empty() {
            let path = self.dir.join(format!("crls-{}.pem", self.next()));
            let mut all = Vec::new();
            for c in a.crls {
                all.extend(std::fs::read(&c.pem).unwrap());
            }
            std::fs::write(&path, all).unwrap();
            args.push("-CRLfile".into());
            args.push(path.to_str().unwrap().into());
        }
        match a.crl_mode {
            CrlMode::Off => {}
            CrlMode::EndEntity => args.push("-crl_check".into()),
            CrlMode::All => args.push("-crl_check_all".into()),
        }
        if let Some(p) = a.purpose {
            args.push("-purpose".into());
            args.push(p.into());
        }
        args.push(a.ee.pem.to_str().unwrap().into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let error = stderr.lines().chain(stdout.lines()).find_map(|l| {
            l.trim()
                .strip_prefix("error ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        });
        let ok = out.status.success() && stdout.trim_end().ends_with(": OK") && error.is_none();
        Verdict {
            ok,
            error,
            output: format!("$ openssl {}\n{stdout}{stderr}", args.join(" ")),
        }
    }

    /// `openssl x509 -text` of a certificate.
    pub(crate) fn cert_text(&self, cert: &Cert) -> String {
        let out = self.run(&["x509", "-noout", "-text", "-in", cert.pem.to_str().unwrap()]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `openssl crl -text` of a CRL.
    pub(crate) fn crl_text(&self, crl: &Crl) -> String {
        let out = self.run(&["crl", "-noout", "-text", "-in", crl.pem.to_str().unwrap()]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `gost.so` in OpenSSL's engines directory (from `openssl version -e`), or where the Debian
/// package put it (`dpkg -L libengine-gost-openssl`).
fn find_gost_engine(version_e: &str) -> PathBuf {
    let from_version = version_e
        .lines()
        .find_map(|l| l.strip_prefix("ENGINESDIR: "))
        .map(|d| PathBuf::from(d.trim().trim_matches('"')).join("gost.so"));
    if let Some(p) = from_version.filter(|p| p.is_file()) {
        return p;
    }
    let dpkg = Command::new("dpkg")
        .args(["-L", "libengine-gost-openssl"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    dpkg.lines()
        .map(PathBuf::from)
        .find(|p| p.file_name().is_some_and(|n| n == "gost.so") && p.is_file())
        .unwrap_or_else(|| panic!("OpenSSL's gost engine (gost.so) was not found; {INSTALL}"))
}
