//! OCSP against an independent peer: OpenSSL (with the gost engine) issues the certificates and
//! answers as the responder (`openssl ocsp -index …`); every verdict of `keycarrier_trust::validate` is
//! compared with what `openssl ocsp -respin … -CAfile … -cert …` says about the same response.
//! RSA, GOST R 34.10-2012 256 and 512, each with CA-signed and delegated responses.
//!
//! Needs `openssl` and the `gost` engine (`apt-get install -y openssl libengine-gost-openssl`).
//! If either is missing the tests FAIL with a message saying so; they never skip.
//!
//! The Kazakh NCA responses (`/work/shared/vectors/kz/nca/ocsp`) are read here through the
//! public parser; their signatures are checked in the crate's unit tests (`src/ocsp/tests.rs`),
//! which can stand in for the certificates they are about.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "test helpers: a panic is how a test fails"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use keycarrier_trust::{
    KeyPurpose, OcspCertStatus, OcspResponder, OcspResponse, OfflineRevocation, RevocationReason,
    RevocationStatus, TrustAnchors, TrustError, ValidationOptions,
};

// ---- the OpenSSL peer -----------------------------------------------------------------------

/// A scratch directory with an `openssl.cnf` that loads the gost engine.
struct Peer {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Peer {
    /// Fails loudly when `openssl` or its gost engine is missing.
    fn new() -> Self {
        let version = Command::new("openssl")
            .args(["version", "-e"])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `openssl` ({e}); install it with \
                     `apt-get install -y openssl libengine-gost-openssl`"
                )
            });
        let text = String::from_utf8_lossy(&version.stdout).into_owned();
        let engines = text
            .split('"')
            .nth(1)
            .unwrap_or_else(|| panic!("`openssl version -e` printed no ENGINESDIR: {text}"));
        let gost_so = Path::new(engines).join("gost.so");
        assert!(
            gost_so.exists(),
            "OpenSSL's gost engine is missing ({} does not exist); install it with \
             `apt-get install -y libengine-gost-openssl`",
            gost_so.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("openssl.cnf");
        std::fs::write(
            &conf,
            format!(
                "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
                 [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
                 dynamic_path = {}\ndefault_algorithms = ALL\n",
                gost_so.display()
            ),
        )
        .unwrap();
        let peer = Self { dir, conf };
        let probe = peer.run(&[
            "genpkey",
            "-algorithm",
            "gost2012_256",
            "-pkeyopt",
            "paramset:A",
        ]);
        assert!(
            probe.status.success(),
            "OpenSSL cannot make GOST keys through the gost engine ({}); install it with \
             `apt-get install -y libengine-gost-openssl`",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        peer
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .env("OPENSSL_CONF", &self.conf)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run `openssl` ({e})"))
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "openssl {} failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// `<name>.key`.
    fn key(&self, name: &str, alg: Alg) {
        let out = format!("{name}.key");
        let mut args = vec!["genpkey"];
        args.extend(alg.genpkey());
        args.extend(["-out", &out]);
        self.ok(&args);
    }

    /// `<name>.key` and a self-signed CA certificate `<name>.pem`.
    fn ca(&self, name: &str, subject: &str, alg: Alg) {
        self.key(name, alg);
        self.ok(&[
            "req",
            "-new",
            "-x509",
            "-key",
            &format!("{name}.key"),
            alg.md(),
            "-subj",
            subject,
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// `<name>.key` and `<name>.pem` issued by `ca` with the extensions `ext` (lines).
    fn issue(&self, name: &str, subject: &str, alg: Alg, ca: &str, serial: u32, ext: &str) {
        self.key(name, alg);
        self.ok(&[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ]);
        self.write(&format!("{name}.ext"), ext.as_bytes());
        self.ok(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            &format!("{serial:#x}"),
            "-days",
            "30",
            alg.md(),
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// The DER of `<name>.pem`.
    fn der(&self, name: &str) -> Vec<u8> {
        keycarrier_trust::read_certificates(&self.read(&format!("{name}.pem")))
            .unwrap()
            .remove(0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alg {
    Rsa,
    Gost256,
    Gost512,
}

impl Alg {
    fn genpkey(self) -> [&'static str; 4] {
        match self {
            Self::Rsa => ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Self::Gost256 => ["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"],
            Self::Gost512 => ["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"],
        }
    }

    /// The digest flag for certificates.
    fn md(self) -> &'static str {
        match self {
            Self::Rsa => "-sha256",
            Self::Gost256 => "-md_gost12_256",
            Self::Gost512 => "-md_gost12_512",
        }
    }

    /// The digest the responder signs with (`-rmd`).
    fn rmd(self) -> &'static str {
        match self {
            Self::Rsa => "sha256",
            Self::Gost256 => "md_gost12_256",
            Self::Gost512 => "md_gost12_512",
        }
    }

    /// The CertID hash: SHA-1 (OpenSSL's default), SHA-256, Streebog-512.
    fn cert_id_md(self) -> &'static str {
        match self {
            Self::Rsa => "-sha1",
            Self::Gost256 => "-sha256",
            Self::Gost512 => "-md_gost12_512",
        }
    }
}

// ---- one PKI per algorithm ------------------------------------------------------------------

const CA_SUBJECT: &str = "/CN=OCSP Test CA";
const EE_SERIAL: u32 = 0x1001;
const OTHER_EE_SERIAL: u32 = 0x1002;

/// CA, two end entities, an authorised responder, a responder without id-kp-OCSPSigning,
/// and an impostor CA (same name as the CA, another key) with its own responder.
struct Pki {
    peer: Peer,
    alg: Alg,
    anchors: TrustAnchors,
}

impl Pki {
    fn new(alg: Alg) -> Self {
        let peer = Peer::new();
        peer.ca("ca", CA_SUBJECT, alg);
        let ee = "basicConstraints=CA:FALSE\n";
        peer.issue("ee", "/CN=EE one", alg, "ca", EE_SERIAL, ee);
        peer.issue("other_ee", "/CN=EE two", alg, "ca", OTHER_EE_SERIAL, ee);
        let responder = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                         extendedKeyUsage=OCSPSigning\n";
        peer.issue(
            "responder",
            "/CN=OCSP Responder",
            alg,
            "ca",
            0x2001,
            responder,
        );
        let no_eku = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                      extendedKeyUsage=clientAuth\n";
        peer.issue(
            "responder_no_eku",
            "/CN=OCSP Responder",
            alg,
            "ca",
            0x2002,
            no_eku,
        );
        peer.ca("impostor_ca", CA_SUBJECT, alg);
        peer.issue(
            "impostor_responder",
            "/CN=OCSP Responder",
            alg,
            "impostor_ca",
            0x2003,
            responder,
        );
        let anchors = TrustAnchors::from_der([peer.der("ca").as_slice()]).unwrap();
        Self { peer, alg, anchors }
    }

    /// An index.txt line for `serial`: valid, or revoked `revoked` ago for a reason.
    fn index_line(serial: u32, revoked: Option<&str>) -> String {
        let ago = SystemTime::now() - Duration::from_secs(3600);
        match revoked {
            None => format!("V\t351231235959Z\t\t{serial:X}\tunknown\t/CN=serial {serial:X}\n"),
            Some(reason) => format!(
                "R\t351231235959Z\t{},{reason}\t{serial:X}\tunknown\t/CN=serial {serial:X}\n",
                yymmdd(ago)
            ),
        }
    }

    /// `openssl ocsp` as the responder: a request for `about`, answered from `index` by
    /// `signer`; the response DER, also written to `<case>.resp`.
    fn respond(
        &self,
        case: &str,
        about: &str,
        index: &str,
        signer: &str,
        extra: &[&str],
    ) -> Vec<u8> {
        let p = &self.peer;
        let req = format!("{case}.req");
        p.ok(&[
            "ocsp",
            "-issuer",
            "ca.pem",
            self.alg.cert_id_md(),
            "-cert",
            &format!("{about}.pem"),
            "-no_nonce",
            "-reqout",
            &req,
        ]);
        let index_file = format!("{case}.index");
        p.write(&index_file, index.as_bytes());
        let resp = format!("{case}.resp");
        let mut args = vec![
            "ocsp",
            "-index",
            &index_file,
            "-CA",
            "ca.pem",
            "-reqin",
            &req,
            "-respout",
            &resp,
        ];
        let rsigner = format!("{signer}.pem");
        let rkey = format!("{signer}.key");
        args.extend(["-rsigner", &rsigner, "-rkey", &rkey, "-rmd", self.alg.rmd()]);
        args.extend(extra);
        p.ok(&args);
        p.read(&resp)
    }

    /// What `openssl ocsp` says about `<case>.resp` for `ee.pem`, trusting `ca.pem` only.
    fn openssl_view(&self, case: &str) -> OpensslView {
        let out = self.peer.run(&[
            "ocsp",
            "-respin",
            &format!("{case}.resp"),
            "-issuer",
            "ca.pem",
            "-CAfile",
            "ca.pem",
            self.alg.cert_id_md(),
            "-cert",
            "ee.pem",
        ]);
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        OpensslView::parse(&text)
    }

    /// What `keycarrier_trust::validate` says about `ee` with these responses, at `t`.
    fn ours(&self, responses: &[&[u8]], t: SystemTime) -> Verdict {
        let mut offline = OfflineRevocation::new();
        for r in responses {
            offline.add_ocsp_response(r).unwrap();
        }
        let options = ValidationOptions::new(t, KeyPurpose::Any);
        match keycarrier_trust::validate(
            &self.peer.der("ee"),
            &[],
            &self.anchors,
            &offline,
            &options,
        ) {
            Ok(path) => {
                assert_eq!(path.revocation, vec![RevocationStatus::GoodByOcsp]);
                assert!(path.warnings.is_empty(), "{:?}", path.warnings);
                Verdict::Good
            }
            Err(TrustError::Revoked { reason, .. }) => Verdict::Revoked(reason),
            Err(TrustError::RevocationUnavailable { why, .. }) if why.contains("does not know") => {
                Verdict::Unknown
            }
            Err(TrustError::RevocationUnavailable { why, .. })
                if why.contains("no OCSP response about it") =>
            {
                Verdict::NotAbout
            }
            Err(TrustError::Ocsp { why }) => Verdict::Refused(why),
            Err(e) => panic!("unexpected refusal: {e:?}"),
        }
    }
}

fn yymmdd(t: SystemTime) -> String {
    let d = der::DateTime::from_system_time(t).unwrap();
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        d.year() % 100,
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    )
}

/// Our verdict, through the public route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Good,
    Revoked(RevocationReason),
    Unknown,
    /// No response about the certificate (`RevocationUnavailable`).
    NotAbout,
    /// `TrustError::Ocsp`: the response was not believed.
    Refused(String),
}

/// What `openssl ocsp` printed.
#[derive(Debug)]
struct OpensslView {
    verified: bool,
    /// `good`, `revoked`, `unknown` or `none` (No Status found).
    status: String,
    reason: Option<String>,
    text: String,
}

impl OpensslView {
    fn parse(text: &str) -> Self {
        let status_line = text
            .lines()
            .find_map(|l| l.strip_prefix("ee.pem: "))
            .unwrap_or("none");
        let status = if status_line.contains("No Status found") {
            "none".to_owned()
        } else {
            status_line.trim().to_owned()
        };
        Self {
            verified: text.contains("Response verify OK"),
            status,
            reason: text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Reason: "))
                .map(str::to_owned),
            text: text.to_owned(),
        }
    }

    /// Whether OpenSSL's view is the same verdict as ours.
    fn agrees_with(&self, ours: &Verdict) -> bool {
        match ours {
            Verdict::Good => self.verified && self.status == "good",
            Verdict::Revoked(reason) => {
                let name = match reason {
                    RevocationReason::KeyCompromise => "keyCompromise",
                    RevocationReason::Superseded => "superseded",
                    _ => "unspecified",
                };
                self.verified
                    && self.status == "revoked"
                    && self.reason.as_deref().is_some_and(|r| r == name)
            }
            Verdict::Unknown => self.verified && self.status == "unknown",
            Verdict::NotAbout => self.verified && self.status == "none",
            Verdict::Refused(_) => !self.verified,
        }
    }
}

// ---- the matrix -----------------------------------------------------------------------------

/// Runs every case for one algorithm; returns the report lines.
fn matrix(alg: Alg) -> String {
    let pki = Pki::new(alg);
    let now = SystemTime::now();
    let mut report = String::new();
    let good_index = format!(
        "{}{}",
        Pki::index_line(EE_SERIAL, None),
        Pki::index_line(OTHER_EE_SERIAL, None)
    );

    // Signed by the CA itself, by name and by key hash.
    let good_ca = pki.respond("good_ca", "ee", &good_index, "ca", &[]);
    check(&mut report, &pki, now, "good_ca", &good_ca, Verdict::Good);
    let parsed = OcspResponse::from_der(&good_ca).unwrap();
    assert_eq!(
        parsed.responder(),
        OcspResponder::ByName("CN=OCSP Test CA".into())
    );
    assert_eq!(parsed.response_count(), 1);
    assert_eq!(parsed.certificate_count(), 1);
    assert_eq!(parsed.entries()[0].serial, vec![0x10, 0x01]);
    assert_eq!(parsed.entries()[0].status, OcspCertStatus::Good);
    assert!(parsed.entries()[0].next_update.is_none());
    let by_key = pki.respond("good_ca_by_key", "ee", &good_index, "ca", &["-resp_key_id"]);
    assert!(matches!(
        OcspResponse::from_der(&by_key).unwrap().responder(),
        OcspResponder::ByKeyHash(h) if h.len() == 20
    ));
    check(
        &mut report,
        &pki,
        now,
        "good_ca_by_key",
        &by_key,
        Verdict::Good,
    );

    // Revoked, with two reasons.
    for (case, reason, expected) in [
        (
            "revoked_key_compromise",
            "keyCompromise",
            RevocationReason::KeyCompromise,
        ),
        (
            "revoked_superseded",
            "superseded",
            RevocationReason::Superseded,
        ),
    ] {
        let index = Pki::index_line(EE_SERIAL, Some(reason));
        let resp = pki.respond(case, "ee", &index, "ca", &[]);
        check(
            &mut report,
            &pki,
            now,
            case,
            &resp,
            Verdict::Revoked(expected),
        );
    }

    // Not in the index: unknown.
    let unknown_index = Pki::index_line(OTHER_EE_SERIAL, None);
    let unknown = pki.respond("unknown", "ee", &unknown_index, "ca", &[]);
    check(
        &mut report,
        &pki,
        now,
        "unknown",
        &unknown,
        Verdict::Unknown,
    );

    // Delegated responders.
    let delegated = pki.respond("delegated", "ee", &good_index, "responder", &[]);
    check(
        &mut report,
        &pki,
        now,
        "delegated",
        &delegated,
        Verdict::Good,
    );
    let delegated_key = pki.respond(
        "delegated_by_key",
        "ee",
        &good_index,
        "responder",
        &["-resp_key_id"],
    );
    check(
        &mut report,
        &pki,
        now,
        "delegated_by_key",
        &delegated_key,
        Verdict::Good,
    );
    let no_eku = pki.respond(
        "delegated_no_eku",
        "ee",
        &good_index,
        "responder_no_eku",
        &[],
    );
    check(
        &mut report,
        &pki,
        now,
        "delegated_no_eku",
        &no_eku,
        refused("id-kp-OCSPSigning"),
    );
    let impostor = pki.respond(
        "impostor_responder",
        "ee",
        &good_index,
        "impostor_responder",
        &[],
    );
    check(
        &mut report,
        &pki,
        now,
        "impostor_responder",
        &impostor,
        refused("is not certified by"),
    );

    // OpenSSL refuses them for the same reasons.
    for (case, why) in [
        ("delegated_no_eku", "missing ocspsigning usage"),
        (
            "impostor_responder",
            "ocsp_verify_signer:certificate verify error",
        ),
    ] {
        let view = pki.openssl_view(case);
        assert!(view.text.contains(why), "{alg:?} {case}: {}", view.text);
    }

    // About another certificate: no information (and it does not spoil a good one).
    let other = pki.respond("other_certificate", "other_ee", &good_index, "ca", &[]);
    check(
        &mut report,
        &pki,
        now,
        "other_certificate",
        &other,
        Verdict::NotAbout,
    );
    assert_eq!(pki.ours(&[&other, &good_ca], now), Verdict::Good);

    // Stale: nextUpdate one day on; good now, refused three days later.
    let stale = pki.respond("stale", "ee", &good_index, "ca", &["-ndays", "1"]);
    check(&mut report, &pki, now, "stale", &stale, Verdict::Good);
    let later = now + Duration::from_secs(3 * 24 * 3600);
    let ours_later = pki.ours(&[&stale], later);
    assert!(
        matches_expected(&ours_later, &refused("stale")),
        "{alg:?} stale at +3 days: {ours_later:?}"
    );
    let _ = writeln!(
        report,
        "{alg:?} {:<24} ours {ours_later:?} (OpenSSL has no -attime for status times)",
        "stale (+3 days)"
    );
    // ... and within the five-minute skew past nextUpdate, still accepted.
    let one_day = now + Duration::from_secs(24 * 3600 + 120);
    assert_eq!(pki.ours(&[&stale], one_day), Verdict::Good);

    // One byte of the signature changed (no certificates attached, so it is the last byte).
    let mut tampered = pki.respond("tampered", "ee", &good_index, "ca", &["-resp_no_certs"]);
    let last = tampered.len() - 1;
    tampered[last] ^= 0x5a;
    pki.peer.write("tampered.resp", &tampered);
    check(
        &mut report,
        &pki,
        now,
        "tampered",
        &tampered,
        refused("does not verify"),
    );

    report
}

/// Our verdict through `keycarrier_trust::validate` at `now`, against `expected` and against OpenSSL.
fn check(
    report: &mut String,
    pki: &Pki,
    now: SystemTime,
    case: &str,
    resp: &[u8],
    expected: Verdict,
) {
    let alg = pki.alg;
    let ours = pki.ours(&[resp], now);
    let view = pki.openssl_view(case);
    let _ = writeln!(
        report,
        "{alg:?} {case:<24} ours {ours:?} / openssl verified={} status={} reason={:?}",
        view.verified, view.status, view.reason
    );
    assert!(
        matches_expected(&ours, &expected),
        "{alg:?} {case}: expected {expected:?}, got {ours:?}"
    );
    assert!(
        view.agrees_with(&ours),
        "{alg:?} {case}: OpenSSL disagrees with {ours:?}:\n{}",
        view.text
    );
}

fn refused(fragment: &str) -> Verdict {
    Verdict::Refused(fragment.to_owned())
}

/// `Refused(fragment)` matches a refusal whose text contains the fragment.
fn matches_expected(ours: &Verdict, expected: &Verdict) -> bool {
    match (ours, expected) {
        (Verdict::Refused(why), Verdict::Refused(fragment)) => why.contains(fragment.as_str()),
        _ => ours == expected,
    }
}

#[test]
fn rsa_responses_agree_with_openssl() {
    let report = matrix(Alg::Rsa);
    println!("{report}");
}

#[test]
fn gost_256_responses_agree_with_openssl() {
    let report = matrix(Alg::Gost256);
    println!("{report}");
}

#[test]
fn gost_512_responses_agree_with_openssl() {
    let report = matrix(Alg::Gost512);
    println!("{report}");
}

#[test]
fn unsuccessful_status_is_refused_like_openssl() {
    let pki = Pki::new(Alg::Rsa);
    let try_later = [0x30, 0x03, 0x0a, 0x01, 0x03];
    let e = OfflineRevocation::new()
        .add_ocsp_response(&try_later)
        .unwrap_err();
    assert!(
        matches!(&e, TrustError::Ocsp { why } if why.contains("tryLater")),
        "{e:?}"
    );
    let e = OcspResponse::from_der(&try_later).unwrap_err();
    assert!(e.to_string().contains("tryLater (3)"), "{e}");
    pki.peer.write("try_later.resp", &try_later);
    let view = pki.openssl_view("try_later");
    assert!(
        view.text
            .to_lowercase()
            .contains("responder error: trylater (3)"),
        "{}",
        view.text
    );
}

// ---- responses built by hand, signed by OpenSSL ---------------------------------------------
//
// Forms `openssl ocsp` never writes: the tbsResponseData is assembled here, byte by byte, and
// signed with the CA's key by `openssl dgst -sign`. The unchanged form is first checked to be
// what OpenSSL itself accepts, so that every refusal below is about the one change.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(u8::try_from(n).unwrap());
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap());
        out.extend(bytes);
    }
    out.extend(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn generalized(t: SystemTime) -> Vec<u8> {
    let d = der::DateTime::from_system_time(t).unwrap();
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    );
    tlv(0x18, text.as_bytes())
}

const OID_SHA1: &[u8] = &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const OID_SHA256_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
];
const OID_RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const OID_GOST_256_SIGN: &[u8] = &[0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02];
const OID_OCSP_BASIC: &[u8] = &[
    0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01,
];
const NULL: &[u8] = &[0x05, 0x00];
const GOOD: &[u8] = &[0x80, 0x00];

/// A response about `ee` (serial 0x1001) in the shape `openssl ocsp` writes, and the changes.
#[derive(Clone)]
struct Crafted {
    version: Option<u8>,
    statuses: Vec<Vec<u8>>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    response_extension: Option<Vec<u8>>,
    signature_algorithm: Vec<u8>,
}

impl Crafted {
    fn new(alg: Alg, now: SystemTime) -> Self {
        let signature_algorithm = match alg {
            Alg::Rsa => seq(&[OID_SHA256_RSA, NULL]),
            Alg::Gost256 => seq(&[OID_GOST_256_SIGN]),
            Alg::Gost512 => unimplemented!("crafted responses use RSA and GOST 256"),
        };
        Self {
            version: None,
            statuses: vec![GOOD.to_vec()],
            this_update: now,
            next_update: None,
            response_extension: None,
            signature_algorithm,
        }
    }

    /// The DER `OCSPResponse`, signed with `ca.key`.
    fn build(&self, pki: &Pki) -> Vec<u8> {
        use der::{Decode as _, Encode as _};
        use sha1::Digest as _;
        let ca = x509_cert::Certificate::from_der(&pki.peer.der("ca")).unwrap();
        let tbs_cert = ca.tbs_certificate();
        let name = tbs_cert.subject().to_der().unwrap();
        let key = tbs_cert
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        // The CertID hash `openssl_view` asks with: SHA-1 for RSA, SHA-256 for GOST.
        let rsa = pki.alg == Alg::Rsa;
        let hash_oid = if rsa { OID_SHA1 } else { OID_SHA256 };
        let hash = |d: &[u8]| -> Vec<u8> {
            if rsa {
                sha1::Sha1::digest(d).to_vec()
            } else {
                sha2::Sha256::digest(d).to_vec()
            }
        };
        let cert_id = seq(&[
            &seq(&[hash_oid, NULL]),
            &tlv(0x04, &hash(&name)),
            &tlv(0x04, &hash(key)),
            &tlv(0x02, &[0x10, 0x01]),
        ]);
        let singles: Vec<Vec<u8>> = self
            .statuses
            .iter()
            .map(|status| {
                let next = self
                    .next_update
                    .map(|n| tlv(0xa0, &generalized(n)))
                    .unwrap_or_default();
                seq(&[&cert_id, status, &generalized(self.this_update), &next])
            })
            .collect();
        let version = self
            .version
            .map(|v| tlv(0xa0, &tlv(0x02, &[v])))
            .unwrap_or_default();
        let extensions = self
            .response_extension
            .as_ref()
            .map(|e| tlv(0xa1, &seq(&[e])))
            .unwrap_or_default();
        let tbs = seq(&[
            &version,
            &tlv(0xa1, &name),
            &generalized(self.this_update),
            &seq(&singles.iter().map(Vec::as_slice).collect::<Vec<_>>()),
            &extensions,
        ]);
        pki.peer.write("crafted.tbs", &tbs);
        let md = match pki.alg {
            Alg::Rsa => "-sha256",
            _ => pki.alg.md(),
        };
        pki.peer.ok(&[
            "dgst",
            md,
            "-sign",
            "ca.key",
            "-out",
            "crafted.sig",
            "crafted.tbs",
        ]);
        let mut bits = vec![0u8];
        bits.extend(pki.peer.read("crafted.sig"));
        let basic = seq(&[&tbs, &self.signature_algorithm, &tlv(0x03, &bits)]);
        let bytes = seq(&[OID_OCSP_BASIC, &tlv(0x04, &basic)]);
        let response = seq(&[&[0x0a, 0x01, 0x00], &tlv(0xa0, &bytes)]);
        pki.peer.write("crafted.resp", &response);
        response
    }
}

fn crafted_cases(alg: Alg) {
    let pki = Pki::new(alg);
    let now = SystemTime::now();
    let base = Crafted::new(alg, now);
    // The unchanged form: good for both.
    let good = base.build(&pki);
    let view = pki.openssl_view("crafted");
    assert!(view.agrees_with(&Verdict::Good), "{}", view.text);
    assert_eq!(pki.ours(&[&good], now), Verdict::Good);
    // With v1 written out (DEFAULT encoded): still read.
    let v1 = Crafted {
        version: Some(0),
        ..base.clone()
    };
    assert_eq!(pki.ours(&[&v1.build(&pki)], now), Verdict::Good);

    let revoked = tlv(0xa1, &generalized(now - Duration::from_secs(60)));
    let refusals: Vec<(&str, Crafted, &str)> = vec![
        (
            "unknown critical response extension",
            Crafted {
                response_extension: Some(seq(&[
                    &[0x06, 0x03, 0x2a, 0x03, 0x04],
                    &[0x01, 0x01, 0xff],
                    &tlv(0x04, &[0x05, 0x00]),
                ])),
                ..base.clone()
            },
            "unknown critical response extension 1.2.3.4",
        ),
        (
            "thisUpdate an hour ahead",
            Crafted {
                this_update: now + Duration::from_secs(3600),
                ..base.clone()
            },
            "not yet valid",
        ),
        (
            "nextUpdate before thisUpdate",
            Crafted {
                next_update: Some(now - Duration::from_secs(60)),
                ..base.clone()
            },
            "nextUpdate is before thisUpdate",
        ),
    ];
    for (what, crafted, why) in refusals {
        let ours = pki.ours(&[&crafted.build(&pki)], now);
        assert!(
            matches!(&ours, Verdict::Refused(w) if w.contains(why)),
            "{alg:?} {what}: {ours:?}"
        );
    }
    // Two answers about the same certificate: the worse one wins.
    let both = Crafted {
        statuses: vec![GOOD.to_vec(), revoked],
        ..base.clone()
    };
    assert_eq!(
        pki.ours(&[&both.build(&pki)], now),
        Verdict::Revoked(RevocationReason::Unspecified)
    );
    // A version this crate does not know.
    let v2 = Crafted {
        version: Some(1),
        ..base.clone()
    };
    let e = OcspResponse::from_der(&v2.build(&pki)).unwrap_err();
    assert!(matches!(e, TrustError::Unsupported { .. }), "{e:?}");
    // Signature algorithm forms.
    if alg == Alg::Rsa {
        for (what, signature_algorithm, why) in [
            (
                "rsaEncryption",
                seq(&[OID_RSA_ENCRYPTION, NULL]),
                "is a key algorithm",
            ),
            (
                "parameters",
                seq(&[OID_SHA256_RSA, &[0x04, 0x00]]),
                "has parameters it does not take",
            ),
            (
                "GOST with an RSA key",
                seq(&[OID_GOST_256_SIGN]),
                "does not fit",
            ),
        ] {
            let crafted = Crafted {
                signature_algorithm,
                ..base.clone()
            };
            let ours = pki.ours(&[&crafted.build(&pki)], now);
            assert!(
                matches!(&ours, Verdict::Refused(w) if w.contains(why)),
                "{what}: {ours:?}"
            );
        }
    }
}

#[test]
fn crafted_rsa_responses() {
    crafted_cases(Alg::Rsa);
}

#[test]
fn crafted_gost_256_responses() {
    crafted_cases(Alg::Gost256);
}

// ---- the Kazakh NCA responses ---------------------------------------------------------------

const KZ_OCSP: &str = "/work/shared/vectors/kz/nca/ocsp";

#[test]
fn kazakh_nca_responses_parse() {
    let dir = Path::new(KZ_OCSP);
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Kazakh NCA vectors are missing at {KZ_OCSP} (required on CI)"
        );
        eprintln!(
            "!!!!!!!! {KZ_OCSP} is missing: the Kazakh NCA OCSP vectors were NOT read !!!!!!!!"
        );
        return;
    }
    let at = |s: &str| {
        let d = der::DateTime::new(
            s[0..4].parse().unwrap(),
            s[4..6].parse().unwrap(),
            s[6..8].parse().unwrap(),
            s[8..10].parse().unwrap(),
            s[10..12].parse().unwrap(),
            s[12..14].parse().unwrap(),
        );
        d.unwrap().to_system_time()
    };
    // (file, producedAt, status, attached certificates, signature algorithm)
    let cases = [
        (
            "ocsp_response_ceo_2015_revoked.bin",
            "20220902165928",
            OcspCertStatus::Revoked {
                since: at("20220727102530"),
                reason: RevocationReason::CertificateHold,
            },
            1,
            "1.2.398.3.10.1.1.2.3.2",
        ),
        (
            "ocsp_response_ceo_sign_2004_revoked.bin",
            "20220902165704",
            OcspCertStatus::Revoked {
                since: at("20220118063055"),
                reason: RevocationReason::Superseded,
            },
            1,
            "1.2.398.3.10.1.1.1.2",
        ),
        (
            // RFC 6960 §2.10 "non-issued": revoked, certificateHold, 1970-01-01.
            "ocsp_response_individual_2015.bin",
            "20220902165834",
            OcspCertStatus::Revoked {
                since: SystemTime::UNIX_EPOCH,
                reason: RevocationReason::CertificateHold,
            },
            1,
            "1.2.398.3.10.1.1.2.3.2",
        ),
        (
            "ocsp_response_individual_sign_2004.bin",
            "20220902165359",
            OcspCertStatus::Good,
            1,
            "1.2.840.113549.1.1.11",
        ),
    ];
    for (file, produced, status, certs, alg) in cases {
        let der = std::fs::read(dir.join(file)).unwrap();
        let resp = OcspResponse::from_der(&der).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(resp.produced_at(), at(produced), "{file}");
        assert_eq!(resp.response_count(), 1, "{file}");
        assert_eq!(resp.entries()[0].status, status, "{file}");
        assert_eq!(resp.certificate_count(), certs, "{file}");
        assert_eq!(resp.signature_algorithm().to_string(), alg, "{file}");
        assert!(
            matches!(resp.responder(), OcspResponder::ByName(_)),
            "{file}"
        );
        // Accepted for form by the offline source too; every truncation is a typed error.
        OfflineRevocation::new().add_ocsp_response(&der).unwrap();
        for n in 0..der.len() {
            assert!(
                OcspResponse::from_der(&der[..n]).is_err(),
                "{file} cut at {n}"
            );
        }
    }
}
