//! Fleet evaluation on the bank side: stream many certificates (a PEM bundle or a directory of
//! DER files) into decisions, one certificate in memory at a time.
//!
//! Only what the policy needs is read from each certificate (serial, validity, the subject's
//! DER), without building the full X.509 structure, so a core evaluates hundreds of thousands
//! of certificates per second.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use der::asn1::AnyRef;
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use token_core::{Error, Result};
use x509_cert::time::Time;

use crate::{KeyFacts, Policy, RotationAdvice};

/// The largest certificate accepted from a stream (real ones are 1–4 KiB).
pub const MAX_CERTIFICATE: usize = 64 * 1024;

/// What the fleet evaluation reads from one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDates {
    /// Serial number bytes (big-endian, as encoded).
    pub serial: Vec<u8>,
    /// The subject Name, DER (render it with x509-cert only for the few shown to a person).
    pub subject_der: Vec<u8>,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

fn malformed(e: der::Error) -> Error {
    Error::malformed_der("certificate", e)
}

fn expect(any: &AnyRef<'_>, tag: Tag) -> Result<()> {
    if any.tag() == tag {
        Ok(())
    } else {
        Err(Error::Malformed {
            what: "certificate",
            at: None,
            reason: format!("expected {tag}, found {}", any.tag()),
        })
    }
}

impl CertificateDates {
    /// Reads serial, validity and subject from a DER certificate (untrusted input: never
    /// panics). The signature is not checked: this is for inventories of certificates the bank
    /// issued itself.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = AnyRef::from_der(der).map_err(malformed)?;
        expect(&cert, Tag::Sequence)?;
        let mut r = SliceReader::new(cert.value()).map_err(malformed)?;
        let tbs = AnyRef::decode(&mut r).map_err(malformed)?;
        expect(&tbs, Tag::Sequence)?;
        let mut t = SliceReader::new(tbs.value()).map_err(malformed)?;
        let mut serial = AnyRef::decode(&mut t).map_err(malformed)?;
        if serial.tag().is_context_specific() {
            serial = AnyRef::decode(&mut t).map_err(malformed)?;
        }
        expect(&serial, Tag::Integer)?;
        let sig = AnyRef::decode(&mut t).map_err(malformed)?;
        expect(&sig, Tag::Sequence)?;
        let issuer = AnyRef::decode(&mut t).map_err(malformed)?;
        expect(&issuer, Tag::Sequence)?;
        let validity = AnyRef::decode(&mut t).map_err(malformed)?;
        expect(&validity, Tag::Sequence)?;
        let mut v = SliceReader::new(validity.value()).map_err(malformed)?;
        let not_before = Time::decode(&mut v).map_err(malformed)?;
        let not_after = Time::decode(&mut v).map_err(malformed)?;
        v.finish().map_err(malformed)?;
        let subject_start = t.position();
        let subject = AnyRef::decode(&mut t).map_err(malformed)?;
        expect(&subject, Tag::Sequence)?;
        let subject_end = t.position();
        let subject_der = tbs
            .value()
            .get(
                usize::try_from(subject_start).unwrap_or(usize::MAX)
                    ..usize::try_from(subject_end).unwrap_or(0),
            )
            .unwrap_or_default()
            .to_vec();
        Ok(Self {
            serial: serial.value().to_vec(),
            subject_der,
            not_before: not_before.to_system_time(),
            not_after: not_after.to_system_time(),
        })
    }

    /// The policy's facts (nothing pending, nothing changed: the bank adds those itself).
    pub fn facts(&self) -> KeyFacts {
        KeyFacts {
            not_before: self.not_before,
            not_after: self.not_after,
            pending_documents: 0,
            organisation_changed: false,
            compromised: false,
        }
    }
}

/// The certificates of a PEM bundle, one at a time (other PEM blocks and text between blocks
/// are skipped; a block longer than [`MAX_CERTIFICATE`] is an error for that block only).
#[derive(Debug)]
pub struct PemCertificates<R> {
    input: R,
    line: String,
    block: String,
    done: bool,
}

impl<R: BufRead> PemCertificates<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: String::with_capacity(80),
            block: String::with_capacity(4096),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for PemCertificates<R> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut inside = false;
        let mut too_long = false;
        self.block.clear();
        while !self.done {
            self.line.clear();
            match self.input.read_line(&mut self.line) {
                Ok(0) => self.done = true,
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::storage("read PEM bundle", e)));
                }
            }
            let l = self.line.trim();
            if !inside {
                if l == "-----BEGIN CERTIFICATE-----" {
                    inside = true;
                    self.block.push_str(l);
                    self.block.push('\n');
                }
                continue;
            }
            if self.block.len() + l.len() > MAX_CERTIFICATE * 2 {
                too_long = true;
            } else {
                self.block.push_str(l);
                self.block.push('\n');
            }
            if l == "-----END CERTIFICATE-----" {
                if too_long {
                    return Some(Err(Error::Malformed {
                        what: "certificate PEM",
                        at: None,
                        reason: "block too long".into(),
                    }));
                }
                return Some(
                    pem_rfc7468::decode_vec(self.block.as_bytes())
                        .map(|(_, der)| der)
                        .map_err(|e| Error::Malformed {
                            what: "certificate PEM",
                            at: None,
                            reason: e.to_string(),
                        }),
                );
            }
        }
        inside.then(|| {
            Err(Error::Malformed {
                what: "certificate PEM",
                at: None,
                reason: "unterminated block".into(),
            })
        })
    }
}

/// The certificate files of a directory (`.cer`, `.crt`, `.der`, `.pem`; DER or PEM), one at a
/// time, in name order; each item is the path and the certificate DER.
pub fn directory(dir: &Path) -> Result<impl Iterator<Item = (PathBuf, Result<Vec<u8>>)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::storage(format!("list {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "cer" | "crt" | "der" | "pem"
                )
            })
        })
        .collect();
    paths.sort();
    Ok(paths.into_iter().map(|p| {
        let r = read_file(&p);
        (p, r)
    }))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::storage(format!("open {}", path.display()), e))?;
    let mut bytes = Vec::new();
    file.take(u64::try_from(MAX_CERTIFICATE).unwrap_or(u64::MAX) * 2 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::storage(format!("read {}", path.display()), e))?;
    if bytes.len() > MAX_CERTIFICATE * 2 {
        return Err(Error::Malformed {
            what: "certificate",
            at: None,
            reason: "file too large".into(),
        });
    }
    crate::ca::read_certificate(&bytes)
}

/// Counts by decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetSummary {
    /// Certificates evaluated.
    pub total: u64,
    /// Not due.
    pub not_due: u64,
    /// In the reminder window (including the last remote day).
    pub due: u64,
    /// Blocked by pending documents.
    pub blocked: u64,
    /// Office only (expiry day, changed details, compromise).
    pub office_only: u64,
    /// Expired.
    pub expired: u64,
    /// Unreadable entries.
    pub malformed: u64,
}

impl FleetSummary {
    fn count(&mut self, d: &RotationAdvice) {
        self.total += 1;
        match d {
            RotationAdvice::NotDue { .. } => self.not_due += 1,
            RotationAdvice::Remind { .. } | RotationAdvice::RotateNow { .. } => self.due += 1,
            RotationAdvice::Blocked { .. } => self.blocked += 1,
            RotationAdvice::OfficeOnly { .. } => self.office_only += 1,
            RotationAdvice::Expired { .. } => self.expired += 1,
        }
    }
}

/// Evaluates a stream of DER certificates, handing each result to `sink` and keeping only the
/// counts: memory does not grow with the number of certificates.
pub fn evaluate<I>(
    policy: &Policy,
    certificates: I,
    now: SystemTime,
    mut sink: impl FnMut(Result<(CertificateDates, RotationAdvice)>),
) -> FleetSummary
where
    I: IntoIterator<Item = Result<Vec<u8>>>,
{
    let mut summary = FleetSummary::default();
    for item in certificates {
        let result = item.and_then(|der| {
            let dates = CertificateDates::from_der(&der)?;
            let d = policy.decide(&dates.facts(), now);
            Ok((dates, d))
        });
        match &result {
            Ok((_, d)) => summary.count(d),
            Err(_) => {
                summary.total += 1;
                summary.malformed += 1;
            }
        }
        sink(result);
    }
    summary
}
