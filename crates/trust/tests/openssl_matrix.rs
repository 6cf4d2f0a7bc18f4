//! Verdict matrix: `keycarrier_trust::validate` against `openssl verify` on the same chains.
//!
//! The chains are built at run time with the `openssl` command line and the gost engine, in a
//! temporary directory, for GOST R 34.10-2012 256 (parameter sets A and B), GOST 2012-512
//! (parameter set A) and RSA-2048 (SHA-256): good paths, issuers that are not CAs, path lengths,
//! issuer key usage, validity at every position, signatures, names, CRLs, critical extensions,
//! end-entity purposes and a loop. Each case states the verdict it is built for (and, for a
//! refusal, the `TrustError` variant, the certificate it must name and OpenSSL's error codes),
//! so no case can pass for the wrong reason; any disagreement prints the chain and fails.
//!
//! Rule: a verdict "valid" from `trust` must never be more permissive than `openssl verify`.
//!
//! Needs `openssl` and the gost engine (`apt-get install -y openssl libengine-gost-openssl`);
//! without them the test FAILS, it never skips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test helpers: a panic is how a test fails"
)]

#[path = "matrix/openssl.rs"]
mod openssl;

use std::path::Path;
use std::time::{Duration, Instant, UNIX_EPOCH};

use keycarrier_trust::{
    KeyPurpose, NoRevocation, OfflineRevocation, RevocationPolicy, RevocationSource, TrustAnchors,
    TrustError, ValidationOptions,
};
use openssl::{Alg, At, Cert, Crl, CrlMode, Key, Openssl, Revoke, Spec, VerifyArgs};

/// The validation time of most cases.
const T: At = At::day(2045, 6, 1);
/// Validity of the certificates that are meant to be valid at `T` (and at `T_PAST`).
const FROM: At = At::day(2020, 1, 1);
const TO: At = At(2049, 12, 31, 23, 59, 59);
/// A current CRL at `T`.
const CRL_LAST: At = At::day(2045, 5, 1);
const CRL_NEXT: At = At::day(2045, 7, 1);
/// A validation time before the test runs: `openssl ca -revoke` dates revocations "now", so a
/// CRL current at this time lists a revocation dated after it.
const T_PAST: At = At::day(2025, 6, 1);

/// What the end entity is checked for: OpenSSL `-purpose` and ours.
#[derive(Clone, Copy, Debug)]
enum Purpose {
    /// No `-purpose`; `KeyPurpose::Any`.
    Any,
    /// `-purpose smimesign`; `KeyPurpose::DocumentSigning`.
    Sign,
    /// `-purpose sslclient`; `KeyPurpose::ClientAuthentication`.
    Client,
}

impl Purpose {
    fn openssl(self) -> Option<&'static str> {
        match self {
            Self::Any => None,
            Self::Sign => Some("smimesign"),
            Self::Client => Some("sslclient"),
        }
    }
    fn ours(self) -> KeyPurpose {
        match self {
            Self::Any => KeyPurpose::Any,
            Self::Sign => KeyPurpose::DocumentSigning,
            Self::Client => KeyPurpose::ClientAuthentication,
        }
    }
}

/// The verdict a case is built for.
#[derive(Debug)]
enum Expect {
    Valid,
    Refused {
        /// The `TrustError` variant.
        ours: &'static str,
        /// Text the refusal must contain (the certificate it names).
        who: String,
        /// `openssl verify` error codes that mean the same thing.
        openssl: &'static [i32],
    },
}

struct Case {
    name: String,
    ee: Cert,
    pool: Vec<Cert>,
    anchors: Vec<Cert>,
    crls: Vec<Crl>,
    crl_mode: CrlMode,
    purpose: Purpose,
    at: At,
    /// `-partial_chain`: the anchor is not self-signed.
    partial_chain: bool,
    expect: Expect,
}

// OpenSSL 3.0 `X509_V_ERR_*` codes (x509_vfy.h).
const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
const UNABLE_TO_GET_CRL: i32 = 3;
const CERT_SIGNATURE_FAILURE: i32 = 7;
const CRL_SIGNATURE_FAILURE: i32 = 8;
const CERT_NOT_YET_VALID: i32 = 9;
const CERT_HAS_EXPIRED: i32 = 10;
const CRL_NOT_YET_VALID: i32 = 11;
const CRL_HAS_EXPIRED: i32 = 12;
const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const INVALID_CA: i32 = 79;
const PATH_LENGTH_EXCEEDED: i32 = 25;
const INVALID_PURPOSE: i32 = 26;
const CERT_REVOKED: i32 = 23;
const KEYUSAGE_NO_CERTSIGN: i32 = 32;
const UNHANDLED_CRITICAL_EXTENSION: i32 = 34;
const KEYUSAGE_NO_CRL_SIGN: i32 = 35;
const UNHANDLED_CRITICAL_CRL_EXTENSION: i32 = 36;

fn refused(ours: &'static str, who: impl Into<String>, openssl: &'static [i32]) -> Expect {
    Expect::Refused {
        ours,
        who: who.into(),
        openssl,
    }
}

fn ca_exts(pathlen: Option<u8>) -> Vec<String> {
    let bc = match pathlen {
        Some(n) => format!("basicConstraints = critical,CA:TRUE,pathlen:{n}"),
        None => "basicConstraints = critical,CA:TRUE".into(),
    };
    vec![
        bc,
        "keyUsage = critical,keyCertSign,cRLSign".into(),
        "subjectKeyIdentifier = hash".into(),
        "authorityKeyIdentifier = keyid:always".into(),
    ]
}

fn ee_exts(ku: &str, eku: Option<&str>) -> Vec<String> {
    let mut v = vec![
        "basicConstraints = critical,CA:FALSE".into(),
        format!("keyUsage = critical,{ku}"),
        "subjectKeyIdentifier = hash".into(),
        "authorityKeyIdentifier = keyid:always".into(),
    ];
    if let Some(e) = eku {
        v.push(format!("extendedKeyUsage = {e}"));
    }
    v
}

fn sign_ee_exts() -> Vec<String> {
    ee_exts("digitalSignature,nonRepudiation", Some("emailProtection"))
}

fn with(mut exts: Vec<String>, extra: &str) -> Vec<String> {
    exts.push(extra.into());
    exts
}

/// One algorithm's keys and its shared hierarchy: Root → Int1 → Int2, an end entity under each,
/// and a current, empty CRL from each CA.
struct Pki<'o> {
    o: &'o Openssl,
    alg: Alg,
    root_key: Key,
    int1_key: Key,
    int2_key: Key,
    ee_key: Key,
    other_key: Key,
    root: Cert,
    int1: Cert,
    int2: Cert,
    ee_root: Cert,
    ee_int1: Cert,
    ee_int2: Cert,
    crl_root: Crl,
    crl_int1: Crl,
    crl_int2: Crl,
}

impl<'o> Pki<'o> {
    fn new(o: &'o Openssl, alg: Alg) -> Self {
        let (ca_set, ee_set) = match alg {
            Alg::Gost256 => ("A", "B"),
            Alg::Gost512 | Alg::Rsa => ("A", "A"),
        };
        let root_key = o.key(alg, ca_set);
        let int1_key = o.key(alg, ee_set);
        let int2_key = o.key(alg, ca_set);
        let ee_key = o.key(alg, ee_set);
        let other_key = o.key(alg, ca_set);
        let l = alg.label();
        let spec = |cn: &str, key, issuer, exts| Spec {
            cn: format!("{l} {cn}"),
            key,
            issuer,
            not_before: FROM,
            not_after: TO,
            exts,
            sigopts: Vec::new(),
        };
        let root = o.issue(&spec("Root", &root_key, None, ca_exts(None)));
        let int1 = o.issue(&spec(
            "Int1",
            &int1_key,
            Some((&root, &root_key)),
            ca_exts(None),
        ));
        let int2 = o.issue(&spec(
            "Int2",
            &int2_key,
            Some((&int1, &int1_key)),
            ca_exts(None),
        ));
        let ee_root = o.issue(&spec(
            "EE under Root",
            &ee_key,
            Some((&root, &root_key)),
            sign_ee_exts(),
        ));
        let ee_int1 = o.issue(&spec(
            "EE under Int1",
            &ee_key,
            Some((&int1, &int1_key)),
            sign_ee_exts(),
        ));
        let ee_int2 = o.issue(&spec(
            "EE under Int2",
            &ee_key,
            Some((&int2, &int2_key)),
            sign_ee_exts(),
        ));
        let crl_root = o.crl(&root, &root_key, &[], CRL_LAST, CRL_NEXT, true);
        let crl_int1 = o.crl(&int1, &int1_key, &[], CRL_LAST, CRL_NEXT, true);
        let crl_int2 = o.crl(&int2, &int2_key, &[], CRL_LAST, CRL_NEXT, true);
        Self {
            o,
            alg,
            root_key,
            int1_key,
            int2_key,
            ee_key,
            other_key,
            root,
            int1,
            int2,
            ee_root,
            ee_int1,
            ee_int2,
            crl_root,
            crl_int1,
            crl_int2,
        }
    }

    fn cn(&self, role: &str) -> String {
        format!("{} {role}", self.alg.label())
    }

    /// A certificate valid from `from` to `to`.
    fn cert_at(
        &self,
        role: &str,
        key: &Key,
        issuer: Option<(&Cert, &Key)>,
        from: At,
        to: At,
        exts: Vec<String>,
    ) -> Cert {
        self.o.issue(&Spec {
            cn: self.cn(role),
            key,
            issuer,
            not_before: from,
            not_after: to,
            exts,
            sigopts: Vec::new(),
        })
    }

    /// A certificate valid from 2020 to 2049.
    fn cert(
        &self,
        role: &str,
        key: &Key,
        issuer: Option<(&Cert, &Key)>,
        exts: Vec<String>,
    ) -> Cert {
        self.cert_at(role, key, issuer, FROM, TO, exts)
    }

    fn case(&self, name: &str, ee: Cert, pool: &[&Cert], expect: Expect) -> Case {
        Case {
            name: format!("{}/{name}", self.alg.label()),
            ee,
            pool: pool.iter().map(|c| (*c).clone()).collect(),
            anchors: vec![self.root.clone()],
            crls: Vec::new(),
            crl_mode: CrlMode::Off,
            purpose: Purpose::Any,
            at: T,
            partial_chain: false,
            expect,
        }
    }

    fn crl_case(
        &self,
        name: &str,
        ee: Cert,
        pool: &[&Cert],
        crls: &[&Crl],
        expect: Expect,
    ) -> Case {
        let mut c = self.case(name, ee, pool, expect);
        c.crls = crls.iter().map(|c| (*c).clone()).collect();
        c.crl_mode = if pool.is_empty() {
            CrlMode::EndEntity
        } else {
            CrlMode::All
        };
        c
    }

    #[allow(clippy::too_many_lines, reason = "the matrix, one case after another")]
    fn cases(&self) -> Vec<Case> {
        let o = self.o;
        let root = (&self.root, &self.root_key);
        let int1 = (&self.int1, &self.int1_key);
        let cn = |r: &str| self.cn(r);
        // Good paths.
        let mut v = vec![self.case("good/root-ee", self.ee_root.clone(), &[], Expect::Valid)];
        v.push(self.case(
            "good/root-int-ee",
            self.ee_int1.clone(),
            &[&self.int1],
            Expect::Valid,
        ));
        v.push(self.case(
            "good/root-int1-int2-ee",
            self.ee_int2.clone(),
            &[&self.int1, &self.int2],
            Expect::Valid,
        ));
        v.push(self.case(
            "good/pool-unordered-with-extras",
            self.ee_int2.clone(),
            &[&self.ee_root, &self.int2, &self.ee_int1, &self.int1],
            Expect::Valid,
        ));

        if self.alg == Alg::Rsa {
            // RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) on the intermediate and the EE.
            let pss = || {
                vec![
                    "rsa_padding_mode:pss".to_string(),
                    "rsa_pss_saltlen:32".into(),
                    "rsa_mgf1_md:sha256".into(),
                ]
            };
            let int = o.issue(&Spec {
                cn: cn("Int PSS"),
                key: &self.int1_key,
                issuer: Some(root),
                not_before: FROM,
                not_after: TO,
                exts: ca_exts(None),
                sigopts: pss(),
            });
            let ee = o.issue(&Spec {
                cn: cn("EE PSS"),
                key: &self.ee_key,
                issuer: Some((&int, &self.int1_key)),
                not_before: FROM,
                not_after: TO,
                exts: sign_ee_exts(),
                sigopts: pss(),
            });
            v.push(self.case(
                "good/rsa-pss-root-int-ee",
                ee.clone(),
                &[&int],
                Expect::Valid,
            ));
            v.push(self.case(
                "signature/rsa-pss-ee-corrupted",
                o.corrupt_signature(&ee),
                &[&int],
                refused("BadSignature", cn("EE PSS"), &[CERT_SIGNATURE_FAILURE]),
            ));
        }

        // Issuers that are not CAs.
        {
            let customer = self.cert(
                "Customer",
                &self.other_key,
                Some(root),
                ee_exts("digitalSignature,nonRepudiation", Some("emailProtection")),
            );
            let head = self.cert(
                "Head of Bank",
                &self.ee_key,
                Some((&customer, &self.other_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "not-ca/customer-cert-issues-head-of-bank",
                head,
                &[&customer],
                refused("NotCa", cn("Customer"), &[INVALID_CA]),
            ));
        }
        {
            let int = self.cert(
                "Int CA:FALSE",
                &self.int1_key,
                Some(root),
                vec![
                    "basicConstraints = critical,CA:FALSE".into(),
                    "keyUsage = critical,keyCertSign,cRLSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                    "authorityKeyIdentifier = keyid:always".into(),
                ],
            );
            let ee = self.cert(
                "EE under CA:FALSE",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "not-ca/int-ca-false-with-keycertsign",
                ee,
                &[&int],
                refused("NotCa", cn("Int CA:FALSE"), &[INVALID_CA]),
            ));
        }
        {
            let int = self.cert(
                "Int no basicConstraints",
                &self.int1_key,
                Some(root),
                vec![
                    "keyUsage = critical,keyCertSign,cRLSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                    "authorityKeyIdentifier = keyid:always".into(),
                ],
            );
            let ee = self.cert(
                "EE under no basicConstraints",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "not-ca/int-without-basic-constraints",
                ee,
                &[&int],
                refused("NotCa", cn("Int no basicConstraints"), &[INVALID_CA]),
            ));
        }
        {
            let int = self.cert("Int v1", &self.int1_key, Some(root), Vec::new());
            // The issuer has no subjectKeyIdentifier to refer to.
            let mut exts = sign_ee_exts();
            exts.retain(|e| !e.starts_with("authorityKeyIdentifier"));
            let ee = self.cert(
                "EE under v1",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                exts,
            );
            v.push(self.case(
                "not-ca/int-version-1",
                ee,
                &[&int],
                refused("NotCa", cn("Int v1"), &[INVALID_CA]),
            ));
        }

        // Path length constraints.
        {
            let root0 = self.cert("Root pathlen0", &self.root_key, None, ca_exts(Some(0)));
            let int = self.cert(
                "Int under pathlen0",
                &self.int1_key,
                Some((&root0, &self.root_key)),
                ca_exts(None),
            );
            let ee = self.cert(
                "EE under Int under pathlen0",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            let mut c = self.case(
                "pathlen/root-0-with-an-intermediate",
                ee,
                &[&int],
                refused(
                    "PathLengthExceeded",
                    cn("Root pathlen0"),
                    &[PATH_LENGTH_EXCEEDED],
                ),
            );
            c.anchors = vec![root0.clone()];
            v.push(c);
            let ee = self.cert(
                "EE under pathlen0",
                &self.ee_key,
                Some((&root0, &self.root_key)),
                sign_ee_exts(),
            );
            let mut c = self.case("pathlen/root-0-issues-ee", ee, &[], Expect::Valid);
            c.anchors = vec![root0];
            v.push(c);
        }
        {
            let root1 = self.cert("Root pathlen1", &self.root_key, None, ca_exts(Some(1)));
            let a = self.cert(
                "Int A under pathlen1",
                &self.int1_key,
                Some((&root1, &self.root_key)),
                ca_exts(None),
            );
            let b = self.cert(
                "Int B under pathlen1",
                &self.int2_key,
                Some((&a, &self.int1_key)),
                ca_exts(None),
            );
            let ee = self.cert(
                "EE under pathlen1",
                &self.ee_key,
                Some((&b, &self.int2_key)),
                sign_ee_exts(),
            );
            let mut c = self.case(
                "pathlen/root-1-with-two-intermediates",
                ee,
                &[&a, &b],
                refused(
                    "PathLengthExceeded",
                    cn("Root pathlen1"),
                    &[PATH_LENGTH_EXCEEDED],
                ),
            );
            c.anchors = vec![root1];
            v.push(c);
        }
        {
            let int0 = self.cert(
                "Int1 pathlen0",
                &self.int1_key,
                Some(root),
                ca_exts(Some(0)),
            );
            let int2 = self.cert(
                "Int2 under pathlen0",
                &self.int2_key,
                Some((&int0, &self.int1_key)),
                ca_exts(None),
            );
            let ee = self.cert(
                "EE under Int2 under pathlen0",
                &self.ee_key,
                Some((&int2, &self.int2_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "pathlen/int-0-with-another-intermediate",
                ee,
                &[&int0, &int2],
                refused(
                    "PathLengthExceeded",
                    cn("Int1 pathlen0"),
                    &[PATH_LENGTH_EXCEEDED],
                ),
            ));
            let ee = self.cert(
                "EE under Int1 pathlen0",
                &self.ee_key,
                Some((&int0, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case("pathlen/int-0-issues-ee", ee, &[&int0], Expect::Valid));
        }

        // Issuer key usage.
        {
            let int = self.cert(
                "Int without keyCertSign",
                &self.int1_key,
                Some(root),
                vec![
                    "basicConstraints = critical,CA:TRUE".into(),
                    "keyUsage = critical,digitalSignature,cRLSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                    "authorityKeyIdentifier = keyid:always".into(),
                ],
            );
            let ee = self.cert(
                "EE under no keyCertSign",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "issuer-key-usage/int-without-keycertsign",
                ee,
                &[&int],
                refused(
                    "IssuerKeyUsage",
                    cn("Int without keyCertSign"),
                    &[INVALID_CA, KEYUSAGE_NO_CERTSIGN],
                ),
            ));
        }

        // Trust anchors of other shapes.
        for (what, exts, expect) in [
            (
                "root-without-basic-constraints",
                vec![
                    "keyUsage = critical,keyCertSign,cRLSign".to_string(),
                    "subjectKeyIdentifier = hash".into(),
                ],
                None,
            ),
            ("root-version-1", Vec::new(), None),
            (
                "root-ca-false",
                vec![
                    "basicConstraints = critical,CA:FALSE".to_string(),
                    "keyUsage = critical,keyCertSign,cRLSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                ],
                Some(("NotCa", &[INVALID_CA] as &'static [i32])),
            ),
            (
                "root-without-keycertsign",
                vec![
                    "basicConstraints = critical,CA:TRUE".to_string(),
                    "keyUsage = critical,digitalSignature,cRLSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                ],
                Some((
                    "IssuerKeyUsage",
                    &[INVALID_CA, KEYUSAGE_NO_CERTSIGN] as &'static [i32],
                )),
            ),
        ] {
            let role = format!("Anchor {what}");
            let r = self.cert(&role, &self.root_key, None, exts);
            let mut ee_exts = sign_ee_exts();
            ee_exts.retain(|e| !e.starts_with("authorityKeyIdentifier"));
            let ee = self.cert(
                &format!("EE under {role}"),
                &self.ee_key,
                Some((&r, &self.root_key)),
                ee_exts,
            );
            let expect = match expect {
                None => Expect::Valid,
                Some((variant, codes)) => refused(variant, cn(&role), codes),
            };
            let mut c = self.case(&format!("anchor/{what}"), ee, &[], expect);
            c.anchors = vec![r];
            v.push(c);
        }

        // Validity at every position.
        let expired_to = At::day(2045, 1, 1);
        let future_from = At::day(2046, 1, 1);
        for (what, from, to, variant, code) in [
            ("expired", FROM, expired_to, "Expired", CERT_HAS_EXPIRED),
            (
                "not-yet-valid",
                future_from,
                TO,
                "NotYetValid",
                CERT_NOT_YET_VALID,
            ),
        ] {
            let codes: &'static [i32] = if code == CERT_HAS_EXPIRED {
                &[CERT_HAS_EXPIRED]
            } else {
                &[CERT_NOT_YET_VALID]
            };
            let r = self.cert_at(
                &format!("Root {what}"),
                &self.root_key,
                None,
                from,
                to,
                ca_exts(None),
            );
            let ee = self.cert(
                &format!("EE under Root {what}"),
                &self.ee_key,
                Some((&r, &self.root_key)),
                sign_ee_exts(),
            );
            let mut c = self.case(
                &format!("time/root-{what}"),
                ee,
                &[],
                refused(variant, cn(&format!("Root {what}")), codes),
            );
            c.anchors = vec![r];
            v.push(c);

            let int = self.cert_at(
                &format!("Int {what}"),
                &self.int1_key,
                Some(root),
                from,
                to,
                ca_exts(None),
            );
            let ee = self.cert(
                &format!("EE under Int {what}"),
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                &format!("time/int-{what}"),
                ee,
                &[&int],
                refused(variant, cn(&format!("Int {what}")), codes),
            ));

            let ee = self.cert_at(
                &format!("EE {what}"),
                &self.ee_key,
                Some(int1),
                from,
                to,
                sign_ee_exts(),
            );
            v.push(self.case(
                &format!("time/ee-{what}"),
                ee,
                &[&self.int1],
                refused(variant, cn(&format!("EE {what}")), codes),
            ));
        }
        {
            let ee = self.cert_at(
                "EE notAfter at T",
                &self.ee_key,
                Some(int1),
                FROM,
                T,
                sign_ee_exts(),
            );
            v.push(self.case(
                "time/ee-not-after-equals-validation-time",
                ee,
                &[&self.int1],
                refused("Expired", cn("EE notAfter at T"), &[CERT_HAS_EXPIRED]),
            ));
            let ee = self.cert_at(
                "EE notBefore at T",
                &self.ee_key,
                Some(int1),
                T,
                TO,
                sign_ee_exts(),
            );
            v.push(self.case(
                "time/ee-not-before-equals-validation-time",
                ee,
                &[&self.int1],
                Expect::Valid,
            ));
        }

        // Signatures.
        v.push(self.case(
            "signature/ee-corrupted",
            o.corrupt_signature(&self.ee_int1),
            &[&self.int1],
            refused(
                "BadSignature",
                cn("EE under Int1"),
                &[CERT_SIGNATURE_FAILURE],
            ),
        ));
        v.push(self.case(
            "signature/int-corrupted",
            self.ee_int1.clone(),
            &[&o.corrupt_signature(&self.int1)],
            refused("BadSignature", cn("Int1"), &[CERT_SIGNATURE_FAILURE]),
        ));

        // Names: signed with Int1's key, but in the name of another CA certificate that has
        // the same key.
        {
            let alias = self.cert("Int1 alias", &self.int1_key, Some(root), ca_exts(None));
            let ee = self.cert(
                "EE under alias",
                &self.ee_key,
                Some((&alias, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "names/issuer-name-differs-from-int-subject",
                ee,
                &[&self.int1],
                refused(
                    "IssuerNotFound",
                    cn("Int1 alias"),
                    &[UNABLE_TO_GET_ISSUER_CERT_LOCALLY],
                ),
            ));
        }

        // The issuer name matches Int1, the authorityKeyIdentifier does not.
        {
            let twin = self.cert(
                "Int1",
                &self.int1_key,
                Some(root),
                vec![
                    "basicConstraints = critical,CA:TRUE".into(),
                    "keyUsage = critical,keyCertSign,cRLSign".into(),
                    "subjectKeyIdentifier = 01:02:03:04:05:06:07:08".into(),
                ],
            );
            let ee = self.cert(
                "EE with a foreign authorityKeyIdentifier",
                &self.ee_key,
                Some((&twin, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "names/authority-key-identifier-mismatch",
                ee,
                &[&self.int1],
                refused(
                    "IssuerNotFound",
                    cn("EE with a foreign authorityKeyIdentifier"),
                    &[UNABLE_TO_GET_ISSUER_CERT_LOCALLY],
                ),
            ));
        }

        // A loop in the pool: A certifies B, B certifies A, neither reaches the anchor.
        {
            let b0 = self.cert("Loop B", &self.int2_key, None, ca_exts(None));
            let a = self.cert(
                "Loop A",
                &self.int1_key,
                Some((&b0, &self.int2_key)),
                ca_exts(None),
            );
            let b = self.cert(
                "Loop B",
                &self.int2_key,
                Some((&a, &self.int1_key)),
                ca_exts(None),
            );
            let ee = self.cert(
                "EE under loop",
                &self.ee_key,
                Some((&a, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "loop/two-intermediates-certify-each-other",
                ee,
                &[&a, &b],
                refused(
                    "IssuerNotFound",
                    cn("Loop"),
                    &[UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_GET_ISSUER_CERT],
                ),
            ));
        }

        // Unknown critical extensions.
        let unknown_critical = "1.2.3.4 = critical,DER:05:00";
        {
            let ee = self.cert(
                "EE critical",
                &self.ee_key,
                Some(int1),
                with(sign_ee_exts(), unknown_critical),
            );
            v.push(self.case(
                "critical/ee-unknown-critical-extension",
                ee,
                &[&self.int1],
                refused(
                    "UnknownCriticalExtension",
                    cn("EE critical"),
                    &[UNHANDLED_CRITICAL_EXTENSION],
                ),
            ));
            let int = self.cert(
                "Int critical",
                &self.int1_key,
                Some(root),
                with(ca_exts(None), unknown_critical),
            );
            let ee = self.cert(
                "EE under Int critical",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            v.push(self.case(
                "critical/int-unknown-critical-extension",
                ee,
                &[&int],
                refused(
                    "UnknownCriticalExtension",
                    cn("Int critical"),
                    &[UNHANDLED_CRITICAL_EXTENSION],
                ),
            ));
            let r = self.cert(
                "Root critical",
                &self.root_key,
                None,
                with(ca_exts(None), unknown_critical),
            );
            let ee = self.cert(
                "EE under Root critical",
                &self.ee_key,
                Some((&r, &self.root_key)),
                sign_ee_exts(),
            );
            let mut c = self.case(
                "critical/root-unknown-critical-extension",
                ee,
                &[],
                refused(
                    "UnknownCriticalExtension",
                    cn("Root critical"),
                    &[UNHANDLED_CRITICAL_EXTENSION],
                ),
            );
            c.anchors = vec![r];
            v.push(c);
            let ee = self.cert(
                "EE non-critical",
                &self.ee_key,
                Some(int1),
                with(sign_ee_exts(), "1.2.3.4 = DER:05:00"),
            );
            v.push(self.case(
                "critical/ee-unknown-non-critical-extension",
                ee,
                &[&self.int1],
                Expect::Valid,
            ));
        }

        // End-entity purposes: -purpose smimesign / sslclient against ours.
        {
            let mut c = self.case(
                "purpose/sign-digitalsignature-emailprotection",
                self.ee_int1.clone(),
                &[&self.int1],
                Expect::Valid,
            );
            c.purpose = Purpose::Sign;
            v.push(c);
            let ee = self.cert(
                "EE keyEncipherment",
                &self.ee_key,
                Some(int1),
                ee_exts("keyEncipherment", Some("emailProtection")),
            );
            let mut c = self.case(
                "purpose/sign-ee-keyencipherment-only",
                ee,
                &[&self.int1],
                refused("KeyUsage", cn("EE keyEncipherment"), &[INVALID_PURPOSE]),
            );
            c.purpose = Purpose::Sign;
            v.push(c);
            let client = self.cert(
                "EE clientAuth",
                &self.ee_key,
                Some(int1),
                ee_exts("digitalSignature", Some("clientAuth")),
            );
            let mut c = self.case(
                "purpose/sign-ee-eku-clientauth-only",
                client.clone(),
                &[&self.int1],
                refused("ExtendedKeyUsage", cn("EE clientAuth"), &[INVALID_PURPOSE]),
            );
            c.purpose = Purpose::Sign;
            v.push(c);
            let mut c = self.case(
                "purpose/client-ee-eku-clientauth",
                client,
                &[&self.int1],
                Expect::Valid,
            );
            c.purpose = Purpose::Client;
            v.push(c);
            let mut c = self.case(
                "purpose/client-ee-eku-emailprotection-only",
                self.ee_int1.clone(),
                &[&self.int1],
                refused("ExtendedKeyUsage", cn("EE under Int1"), &[INVALID_PURPOSE]),
            );
            c.purpose = Purpose::Client;
            v.push(c);
            let int = self.cert(
                "Int eku clientAuth",
                &self.int1_key,
                Some(root),
                with(ca_exts(None), "extendedKeyUsage = clientAuth"),
            );
            let ee = self.cert(
                "EE under Int eku",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            let mut c = self.case(
                "purpose/sign-int-eku-clientauth-only",
                ee,
                &[&int],
                refused(
                    "ExtendedKeyUsage",
                    cn("Int eku clientAuth"),
                    &[INVALID_PURPOSE],
                ),
            );
            c.purpose = Purpose::Sign;
            v.push(c);
        }

        // CRLs: -crl_check (root → EE) or -crl_check_all with a CRL for every level, against
        // RevocationPolicy::Require with the same CRLs.
        v.push(self.crl_case(
            "crl/good-root-ee",
            self.ee_root.clone(),
            &[],
            &[&self.crl_root],
            Expect::Valid,
        ));
        v.push(self.crl_case(
            "crl/good-every-level",
            self.ee_int2.clone(),
            &[&self.int1, &self.int2],
            &[&self.crl_root, &self.crl_int1, &self.crl_int2],
            Expect::Valid,
        ));
        {
            let crl = o.crl(
                &self.root,
                &self.root_key,
                &[Revoke {
                    cert: &self.ee_root,
                    reason: "keyCompromise",
                }],
                CRL_LAST,
                CRL_NEXT,
                true,
            );
            v.push(self.crl_case(
                "crl/ee-under-root-revoked",
                self.ee_root.clone(),
                &[],
                &[&crl],
                refused("Revoked", cn("EE under Root"), &[CERT_REVOKED]),
            ));
        }
        {
            let crl = o.crl(
                &self.int1,
                &self.int1_key,
                &[Revoke {
                    cert: &self.ee_int1,
                    reason: "keyCompromise",
                }],
                CRL_LAST,
                CRL_NEXT,
                true,
            );
            v.push(self.crl_case(
                "crl/ee-revoked",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&self.crl_root, &crl],
                refused("Revoked", cn("EE under Int1"), &[CERT_REVOKED]),
            ));
            let hold = o.crl(
                &self.int1,
                &self.int1_key,
                &[Revoke {
                    cert: &self.ee_int1,
                    reason: "certificateHold",
                }],
                CRL_LAST,
                CRL_NEXT,
                true,
            );
            v.push(self.crl_case(
                "crl/ee-on-hold",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&self.crl_root, &hold],
                refused("Revoked", cn("EE under Int1"), &[CERT_REVOKED]),
            ));
        }
        {
            let crl = o.crl(
                &self.root,
                &self.root_key,
                &[Revoke {
                    cert: &self.int1,
                    reason: "cACompromise",
                }],
                CRL_LAST,
                CRL_NEXT,
                true,
            );
            v.push(self.crl_case(
                "crl/int-revoked",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&crl, &self.crl_int1],
                refused("Revoked", cn("Int1"), &[CERT_REVOKED]),
            ));
        }
        {
            let stale = o.crl(
                &self.int1,
                &self.int1_key,
                &[],
                At::day(2045, 4, 1),
                At::day(2045, 5, 15),
                true,
            );
            v.push(self.crl_case(
                "crl/stale",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&self.crl_root, &stale],
                refused("CrlNotCurrent", cn("Int1"), &[CRL_HAS_EXPIRED]),
            ));
            let future = o.crl(
                &self.int1,
                &self.int1_key,
                &[],
                At::day(2045, 6, 15),
                At::day(2045, 8, 1),
                true,
            );
            v.push(self.crl_case(
                "crl/not-yet-valid",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&self.crl_root, &future],
                refused("CrlNotCurrent", cn("Int1"), &[CRL_NOT_YET_VALID]),
            ));
        }
        {
            // Another key, the same issuer name.
            let impostor = self.cert("Int1", &self.other_key, Some(root), ca_exts(None));
            for (what, aki, codes) in [
                (
                    "without-aki",
                    false,
                    &[CRL_SIGNATURE_FAILURE] as &'static [i32],
                ),
                (
                    "with-aki",
                    true,
                    &[CRL_SIGNATURE_FAILURE, UNABLE_TO_GET_CRL] as &'static [i32],
                ),
            ] {
                let forged = o.crl(&impostor, &self.other_key, &[], CRL_LAST, CRL_NEXT, aki);
                v.push(self.crl_case(
                    &format!("crl/signed-by-another-key-{what}"),
                    self.ee_int1.clone(),
                    &[&self.int1],
                    &[&self.crl_root, &forged],
                    refused("CrlBadSignature", cn("Int1"), codes),
                ));
            }
        }
        {
            let crl = o.crl_with(
                &self.int1,
                &self.int1_key,
                &[],
                CRL_LAST,
                CRL_NEXT,
                &[
                    "authorityKeyIdentifier = keyid:always",
                    "1.2.3.4 = critical,DER:05:00",
                ],
            );
            v.push(self.crl_case(
                "crl/unknown-critical-crl-extension",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&self.crl_root, &crl],
                refused(
                    "UnknownCriticalExtension",
                    cn("Int1"),
                    &[UNHANDLED_CRITICAL_CRL_EXTENSION],
                ),
            ));
        }
        v.push(self.crl_case(
            "crl/none-for-the-intermediate",
            self.ee_int1.clone(),
            &[&self.int1],
            &[&self.crl_int1],
            refused("RevocationUnavailable", cn("Int1"), &[UNABLE_TO_GET_CRL]),
        ));
        {
            let int = self.cert(
                "Int without cRLSign",
                &self.int1_key,
                Some(root),
                vec![
                    "basicConstraints = critical,CA:TRUE".into(),
                    "keyUsage = critical,keyCertSign".into(),
                    "subjectKeyIdentifier = hash".into(),
                    "authorityKeyIdentifier = keyid:always".into(),
                ],
            );
            let ee = self.cert(
                "EE under no cRLSign",
                &self.ee_key,
                Some((&int, &self.int1_key)),
                sign_ee_exts(),
            );
            let crl = o.crl(&int, &self.int1_key, &[], CRL_LAST, CRL_NEXT, true);
            v.push(self.crl_case(
                "crl/issuer-without-crlsign",
                ee,
                &[&int],
                &[&self.crl_root, &crl],
                refused(
                    "IssuerKeyUsage",
                    cn("Int without cRLSign"),
                    &[KEYUSAGE_NO_CRL_SIGN],
                ),
            ));
        }
        {
            // Listed as superseded, with a revocation date after the validation time.
            let last = At::day(2025, 5, 1);
            let next = At::day(2025, 7, 1);
            let crl_root = o.crl(&self.root, &self.root_key, &[], last, next, true);
            let crl = o.crl(
                &self.int1,
                &self.int1_key,
                &[Revoke {
                    cert: &self.ee_int1,
                    reason: "superseded",
                }],
                last,
                next,
                true,
            );
            let mut c = self.crl_case(
                "crl/ee-revoked-superseded-dated-after-validation-time",
                self.ee_int1.clone(),
                &[&self.int1],
                &[&crl_root, &crl],
                refused("Revoked", cn("EE under Int1"), &[CERT_REVOKED]),
            );
            c.at = T_PAST;
            v.push(c);
        }
        v
    }
}

/// Ours, with the same inputs.
fn ours(case: &Case) -> Result<keycarrier_trust::ValidatedPath, TrustError> {
    let anchors = TrustAnchors::from_der(case.anchors.iter().map(|c| c.der.as_slice())).unwrap();
    let pool: Vec<Vec<u8>> = case.pool.iter().map(|c| c.der.clone()).collect();
    let mut offline = OfflineRevocation::new();
    for crl in &case.crls {
        offline.add_crl(&crl.bytes).unwrap();
    }
    let (source, policy): (&dyn RevocationSource, _) = match case.crl_mode {
        CrlMode::Off => (&NoRevocation, RevocationPolicy::WarnIfUnavailable),
        CrlMode::EndEntity | CrlMode::All => (&offline, RevocationPolicy::Require),
    };
    let options = ValidationOptions::new(
        UNIX_EPOCH + Duration::from_secs(case.at.unix()),
        case.purpose.ours(),
    )
    .with_revocation(policy);
    keycarrier_trust::validate(&case.ee.der, &pool, &anchors, source, &options)
}

/// The variant name of an error (`NotCa` for `NotCa { .. }`).
fn variant(e: &TrustError) -> String {
    format!("{e:?}")
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs one case; a report when something is wrong.
fn check(o: &Openssl, case: &Case) -> Option<String> {
    let anchors: Vec<&Cert> = case.anchors.iter().collect();
    let pool: Vec<&Cert> = case.pool.iter().collect();
    let crls: Vec<&Crl> = case.crls.iter().collect();
    let theirs = o.verify(&VerifyArgs {
        anchors: &anchors,
        untrusted: &pool,
        ee: &case.ee,
        crls: &crls,
        crl_mode: case.crl_mode,
        purpose: case.purpose.openssl(),
        attime: case.at.unix(),
        partial_chain: case.partial_chain,
    });
    let mine = ours(case);
    let mut problems = Vec::new();
    if theirs.ok != mine.is_ok() {
        problems.push(format!(
            "DISAGREEMENT: openssl says {}, trust says {}",
            if theirs.ok { "valid" } else { "invalid" },
            if mine.is_ok() { "valid" } else { "invalid" },
        ));
    }
    match (&case.expect, &mine) {
        (Expect::Valid, Ok(_)) => {}
        (Expect::Valid, Err(_)) => problems.push("expected valid".into()),
        (Expect::Refused { .. }, Ok(_)) => problems.push("expected a refusal".into()),
        (
            Expect::Refused {
                ours: want, who, ..
            },
            Err(e),
        ) => {
            if variant(e) != *want {
                problems.push(format!("expected TrustError::{want}, got {}", variant(e)));
            }
            if !e.to_string().contains(who.as_str()) {
                problems.push(format!("expected the refusal to name {who:?}"));
            }
        }
    }
    match (&case.expect, theirs.ok, theirs.error) {
        (Expect::Valid, true, _) => {}
        (Expect::Valid, false, _) => problems.push("openssl was expected to accept".into()),
        (Expect::Refused { openssl, .. }, false, Some(code)) if openssl.contains(&code) => {}
        (Expect::Refused { openssl, .. }, _, code) => problems.push(format!(
            "openssl was expected to refuse with one of {openssl:?}, got {code:?}"
        )),
    }
    if problems.is_empty() {
        return None;
    }
    let mut report = format!(
        "=== case {} (at {} = unix {}, crl mode {:?}, purpose {:?})\n{}\n--- openssl:\n{}\n--- trust: {}\n",
        case.name,
        case.at.asn1(),
        case.at.unix(),
        case.crl_mode,
        case.purpose,
        problems.join("\n"),
        theirs.output.trim_end(),
        match &mine {
            Ok(p) => format!(
                "valid, warnings {:?}, revocation {:?}",
                p.warnings, p.revocation
            ),
            Err(e) => format!("{} ({e:?})", e),
        },
    );
    for (role, cert) in std::iter::once(("end entity", &case.ee))
        .chain(case.pool.iter().map(|c| ("pool", c)))
        .chain(case.anchors.iter().map(|c| ("anchor", c)))
    {
        report.push_str(&format!("--- {role}: {}\n{}", cert.name, o.cert_text(cert)));
    }
    for crl in &case.crls {
        report.push_str(&format!("--- {}\n{}", crl.name, o.crl_text(crl)));
    }
    Some(report)
}

/// Chains mixing algorithms: a GOST-512 root over a GOST-256 intermediate, and an RSA end
/// entity under a GOST intermediate.
fn mixed_cases(o: &Openssl) -> Vec<Case> {
    let root_key = o.key(Alg::Gost512, "A");
    let int_key = o.key(Alg::Gost256, "A");
    let ee_key = o.key(Alg::Gost256, "B");
    let rsa_key = o.key(Alg::Rsa, "");
    let spec = |cn: &str, key, issuer, exts| Spec {
        cn: format!("Mixed {cn}"),
        key,
        issuer,
        not_before: FROM,
        not_after: TO,
        exts,
        sigopts: Vec::new(),
    };
    let root = o.issue(&spec("Root 512", &root_key, None, ca_exts(None)));
    let int = o.issue(&spec(
        "Int 256",
        &int_key,
        Some((&root, &root_key)),
        ca_exts(None),
    ));
    let ee_gost = o.issue(&spec(
        "EE 256",
        &ee_key,
        Some((&int, &int_key)),
        sign_ee_exts(),
    ));
    let ee_rsa = o.issue(&spec(
        "EE RSA",
        &rsa_key,
        Some((&int, &int_key)),
        sign_ee_exts(),
    ));
    let crl_root = o.crl(&root, &root_key, &[], CRL_LAST, CRL_NEXT, true);
    let crl_int = o.crl(
        &int,
        &int_key,
        &[Revoke {
            cert: &ee_rsa,
            reason: "keyCompromise",
        }],
        CRL_LAST,
        CRL_NEXT,
        true,
    );
    let base = |name: &str, ee: &Cert, expect| Case {
        name: format!("mixed/{name}"),
        ee: ee.clone(),
        pool: vec![int.clone()],
        anchors: vec![root.clone()],
        crls: vec![crl_root.clone(), crl_int.clone()],
        crl_mode: CrlMode::All,
        purpose: Purpose::Sign,
        at: T,
        partial_chain: false,
        expect,
    };
    vec![
        base("gost512-root-gost256-int-ee", &ee_gost, Expect::Valid),
        base(
            "gost512-root-gost256-int-rsa-ee-revoked",
            &ee_rsa,
            refused("Revoked", "Mixed EE RSA", &[CERT_REVOKED]),
        ),
    ]
}

#[test]
fn trust_agrees_with_openssl_verify() {
    let started = Instant::now();
    let o = Openssl::new();
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = [Alg::Gost256, Alg::Gost512, Alg::Rsa]
            .into_iter()
            .map(|alg| {
                let o = &o;
                s.spawn(move || {
                    let cases = Pki::new(o, alg).cases();
                    let failures: Vec<String> = cases.iter().filter_map(|c| check(o, c)).collect();
                    (cases.len(), failures)
                })
            })
            .collect();
        let mut out: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let mixed = mixed_cases(&o);
        out.push((
            mixed.len(),
            mixed.iter().filter_map(|c| check(&o, c)).collect(),
        ));
        out
    });
    let total: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    println!(
        "{total} chains compared with openssl verify in {:.1?}",
        started.elapsed()
    );
    assert!(total >= 50, "only {total} chains");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A certificate file of the vectors (PEM or DER).
fn vector_cert(path: &Path) -> Cert {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let der = keycarrier_trust::read_certificates(&bytes)
        .unwrap()
        .remove(0);
    assert!(
        bytes.starts_with(b"-----BEGIN"),
        "{}: expected PEM",
        path.display()
    );
    Cert {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        pem: path.to_path_buf(),
        der,
    }
}

/// The serial numbers a DER CRL lists.
fn crl_serials(der: &[u8]) -> Vec<Vec<u8>> {
    use der::Decode;
    let crl: x509_cert::crl::CertificateList = Decode::from_der(der).unwrap();
    crl.tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|r| r.serial_number.as_bytes().to_vec())
        .collect()
}

fn serial(cert: &Cert) -> Vec<u8> {
    use der::Decode;
    let c = x509_cert::Certificate::from_der(&cert.der).unwrap();
    c.tbs_certificate().serial_number().as_bytes().to_vec()
}

/// The Kazakh NCA RSA test vectors (`shared/vectors/kz/nca`, next to the repository): the
/// intermediate "ҰКО 3.0 (RSA TEST)" as an explicit anchor (its root is not in the vectors), a
/// signing and an authentication certificate of an individual, and the CA's CRL; checked with
/// ours and with `openssl verify -partial_chain`.
#[test]
fn kazakh_nca_rsa_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/kz/nca");
    if !dir.is_dir() {
        let msg = format!(
            "the Kazakh NCA vectors are missing: {} does not exist",
            dir.display()
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{msg} (CI=true: they must be there)"
        );
        eprintln!("!!!!!!!! {msg}; kazakh_nca_rsa_vectors checked NOTHING !!!!!!!!");
        return;
    }
    let o = Openssl::new();
    let anchor = vector_cert(&dir.join("ca/nca_rsa_test.crt"));
    let sign = vector_cert(&dir.join("certs/individual_valid_sign_2004_rsa.cer"));
    let auth = vector_cert(&dir.join("certs/individual_valid_sign_2004_rsa_auth.cer"));
    let crl_path = dir.join("crl/nca_rsa_test.crl");
    let crl_der = std::fs::read(&crl_path).unwrap();
    let crl_pem = o.dir().join("nca_rsa_test.crl.pem");
    o.run_ok(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        crl_path.to_str().unwrap(),
        "-out",
        crl_pem.to_str().unwrap(),
    ]);
    let crl = Crl {
        name: "nca_rsa_test.crl".into(),
        pem: crl_pem,
        bytes: crl_der.clone(),
    };
    let listed = crl_serials(&crl_der);
    let june = At::day(2022, 6, 1);
    let october = At::day(2022, 10, 1);
    let who = "IIN123456789011";
    // A positive verdict with the CRL: unless the CRL lists the certificate.
    let good_unless_listed = |cert: &Cert| {
        if listed.contains(&serial(cert)) {
            refused("Revoked", who, &[CERT_REVOKED])
        } else {
            Expect::Valid
        }
    };
    let case = |name: &str, ee: &Cert, purpose, crl_mode, at, expect| Case {
        name: format!("NCA/{name}"),
        ee: ee.clone(),
        pool: Vec::new(),
        anchors: vec![anchor.clone()],
        crls: if crl_mode == CrlMode::Off {
            Vec::new()
        } else {
            vec![crl.clone()]
        },
        crl_mode,
        purpose,
        at,
        partial_chain: true,
        expect,
    };
    let cases = [
        case(
            "sign-cert-for-document-signing-with-crl",
            &sign,
            Purpose::Sign,
            CrlMode::EndEntity,
            june,
            good_unless_listed(&sign),
        ),
        case(
            "auth-cert-for-client-authentication-with-crl",
            &auth,
            Purpose::Client,
            CrlMode::EndEntity,
            june,
            good_unless_listed(&auth),
        ),
        case(
            "auth-cert-for-document-signing",
            &auth,
            Purpose::Sign,
            CrlMode::Off,
            june,
            refused("ExtendedKeyUsage", who, &[INVALID_PURPOSE]),
        ),
        case(
            "sign-cert-for-client-authentication",
            &sign,
            Purpose::Client,
            CrlMode::Off,
            june,
            refused("ExtendedKeyUsage", who, &[INVALID_PURPOSE]),
        ),
        case(
            "sign-cert-any-purpose-no-crl",
            &sign,
            Purpose::Any,
            CrlMode::Off,
            june,
            Expect::Valid,
        ),
        case(
            "sign-cert-with-stale-crl",
            &sign,
            Purpose::Sign,
            CrlMode::EndEntity,
            october,
            refused("CrlNotCurrent", "RSA TEST", &[CRL_HAS_EXPIRED]),
        ),
        case(
            "auth-cert-with-stale-crl",
            &auth,
            Purpose::Client,
            CrlMode::EndEntity,
            october,
            refused("CrlNotCurrent", "RSA TEST", &[CRL_HAS_EXPIRED]),
        ),
        case(
            "sign-cert-expired",
            &sign,
            Purpose::Sign,
            CrlMode::Off,
            At::day(2023, 2, 1),
            refused("Expired", who, &[CERT_HAS_EXPIRED]),
        ),
    ];
    let failures: Vec<String> = cases.iter().filter_map(|c| check(&o, c)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} NCA cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
