//! The rotation journal (flow U19): one small text file per rotation, rewritten atomically
//! (temp file → fsync → rename → fsync the directory) before and after every step.
//!
//! ```text
//! keycarrier-rotation 1
//! old <hex container id>
//! new <hex container id>            chosen and written before the key is generated
//! label <hex of UTF-8>
//! algorithm gost <parameter set OID> | rsa <bits>
//! retire-old 0|1
//! step <generate|request|submit|wait|install|verify|retire|rejected|done> <begun|done>
//! request <hex DER>                 optional
//! request-id <id>                   optional
//! certificate <hex DER>             optional
//! ```
//!
//! The file is untrusted input when read back: [`Journal::parse`] never panics and refuses
//! anything unexpected (unknown or repeated keys, bad hex, oversize files).

use core::fmt;

use token_core::{ContainerId, EcCurve, Error, GostParamSet, KeyAlgorithm, Result};

use crate::ca::RequestId;
use crate::fsutil::{hex, unhex};

/// The first line of every journal.
pub const MAGIC: &str = "keycarrier-rotation 1";
/// The largest journal accepted (requests and certificates are a few kilobytes).
pub const MAX_LEN: usize = 1 << 20;

/// A step of the rotation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Generate the new key in a container whose id was chosen beforehand.
    Generate,
    /// Make the PKCS#10 request, pre-filled from the old certificate, signed by the new key.
    Request,
    /// Submit it to the CA.
    Submit,
    /// Wait for the certificate (may take hours).
    Wait,
    /// Install the certificate into the new container.
    Install,
    /// Sign and verify with the new key; check the certificate matches.
    Verify,
    /// Retire the old key: delete it if configured, otherwise only mark it retired.
    Retire,
    /// The CA refused: the uncertified new key is removed, the old one stays.
    Rejected,
    /// Finished.
    Done,
}

impl Step {
    const NAMES: [(Self, &'static str); 9] = [
        (Self::Generate, "generate"),
        (Self::Request, "request"),
        (Self::Submit, "submit"),
        (Self::Wait, "wait"),
        (Self::Install, "install"),
        (Self::Verify, "verify"),
        (Self::Retire, "retire"),
        (Self::Rejected, "rejected"),
        (Self::Done, "done"),
    ];

    /// The name used in the journal.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("?", |(_, n)| n)
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| *s)
    }

    /// Whether the rotation is over (completed or refused).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Rejected)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a step has begun or is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepState {
    /// Journaled before acting.
    Begun,
    /// Journaled after acting.
    Done,
}

/// The state of one rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The container being replaced.
    pub old: ContainerId,
    /// The container of the new key (chosen before generation).
    pub new: ContainerId,
    /// Label of the new container.
    pub label: String,
    /// Algorithm of the new key.
    pub algorithm: KeyAlgorithm,
    /// Delete the old container at the end (default: keep it, marked retired here).
    pub retire_old: bool,
    /// The current step.
    pub step: Step,
    /// Begun or done.
    pub state: StepState,
    /// The signed request, DER, once made.
    pub request: Option<Vec<u8>>,
    /// The CA's id for it, once submitted.
    pub request_id: Option<RequestId>,
    /// The issued certificate, DER, once received.
    pub certificate: Option<Vec<u8>>,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "rotation journal",
        at: None,
        reason: reason.into(),
    }
}

fn bad_line(line: usize, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "rotation journal",
        at: Some(line),
        reason: reason.into(),
    }
}

impl Journal {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(256);
        let mut line = |k: &str, v: &str| {
            s.push_str(k);
            s.push(' ');
            s.push_str(v);
            s.push('\n');
        };
        line("keycarrier-rotation", "1");
        line("old", &hex(self.old.as_bytes()));
        line("new", &hex(self.new.as_bytes()));
        line("label", &hex(self.label.as_bytes()));
        let alg = match self.algorithm {
            KeyAlgorithm::Gost(set) => format!("gost {}", set.oid()),
            KeyAlgorithm::Rsa { bits } => format!("rsa {bits}"),
            KeyAlgorithm::Ec(curve) => format!("ec {}", curve.oid()),
            other => format!("unsupported {other:?}"),
        };
        line("algorithm", &alg);
        line("retire-old", if self.retire_old { "1" } else { "0" });
        let state = match self.state {
            StepState::Begun => "begun",
            StepState::Done => "done",
        };
        line("step", &format!("{} {state}", self.step.name()));
        if let Some(r) = &self.request {
            line("request", &hex(r));
        }
        if let Some(id) = &self.request_id {
            line("request-id", id.as_str());
        }
        if let Some(c) = &self.certificate {
            line("certificate", &hex(c));
        }
        s
    }

    /// Parses a journal (untrusted input: never panics).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_LEN {
            return Err(bad("larger than 1 MiB"));
        }
        let text = core::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, first)) if first == MAGIC => {}
            Some((_, first)) if first.starts_with("keycarrier-rotation ") => {
                return Err(bad("unsupported journal version"));
            }
            _ => return Err(bad("not a keycarrier rotation journal")),
        }
        let mut old = None;
        let mut new = None;
        let mut label = None;
        let mut algorithm = None;
        let mut retire_old = None;
        let mut step = None;
        let mut request = None;
        let mut request_id = None;
        let mut certificate = None;
        for (n, line) in lines {
            let n = n + 1;
            if line.is_empty() {
                continue;
            }
            let (key, value) = line
                .split_once(' ')
                .ok_or_else(|| bad_line(n, "expected `key value`"))?;
            let hexv = || unhex(value).ok_or_else(|| bad_line(n, format!("bad hex in {key}")));
            fn once<T>(slot: &mut Option<T>, v: T, n: usize, key: &str) -> Result<()> {
                if slot.replace(v).is_some() {
                    return Err(bad_line(n, format!("{key} repeated")));
                }
                Ok(())
            }
            match key {
                "old" => once(&mut old, ContainerId::new(hexv()?), n, key)?,
                "new" => once(&mut new, ContainerId::new(hexv()?), n, key)?,
                "label" => {
                    let l = String::from_utf8(hexv()?)
                        .map_err(|_| bad_line(n, "label is not UTF-8"))?;
                    once(&mut label, l, n, key)?;
                }
                "algorithm" => {
                    let alg = match value.split_once(' ') {
                        Some(("gost", oid)) => {
                            let oid = oid
                                .parse()
                                .map_err(|_| bad_line(n, "bad parameter set OID"))?;
                            KeyAlgorithm::Gost(
                                GostParamSet::from_oid(&oid)
                                    .ok_or_else(|| bad_line(n, "unknown GOST parameter set"))?,
                            )
                        }
                        Some(("rsa", bits)) => KeyAlgorithm::Rsa {
                            bits: bits
                                .parse()
                                .ok()
                                .filter(|b| (1024..=16384).contains(b))
                                .ok_or_else(|| bad_line(n, "bad RSA size"))?,
                        },
                        Some(("ec", oid)) => {
                            let oid = oid.parse().map_err(|_| bad_line(n, "bad curve OID"))?;
                            KeyAlgorithm::Ec(
                                EcCurve::from_oid(&oid)
                                    .ok_or_else(|| bad_line(n, "unknown elliptic curve"))?,
                            )
                        }
                        _ => return Err(bad_line(n, "unknown algorithm")),
                    };
                    once(&mut algorithm, alg, n, key)?;
                }
                "retire-old" => {
                    let v = match value {
                        "0" => false,
                        "1" => true,
                        _ => return Err(bad_line(n, "retire-old must be 0 or 1")),
                    };
                    once(&mut retire_old, v, n, key)?;
                }
                "step" => {
                    let (name, state) = value
                        .split_once(' ')
                        .ok_or_else(|| bad_line(n, "expected `step <name> <state>`"))?;
                    let s = Step::from_name(name).ok_or_else(|| bad_line(n, "unknown step"))?;
                    let st = match state {
                        "begun" => StepState::Begun,
                        "done" => StepState::Done,
                        _ => return Err(bad_line(n, "unknown step state")),
                    };
                    once(&mut step, (s, st), n, key)?;
                }
                "request" => once(&mut request, hexv()?, n, key)?,
                "request-id" => once(&mut request_id, RequestId::new(value)?, n, key)?,
                "certificate" => once(&mut certificate, hexv()?, n, key)?,
                _ => return Err(bad_line(n, format!("unknown key {key}"))),
            }
        }
        let missing = |what: &str| bad(format!("{what} missing"));
        let (step, state) = step.ok_or_else(|| missing("step"))?;
        let j = Self {
            old: old.ok_or_else(|| missing("old"))?,
            new: new.ok_or_else(|| missing("new"))?,
            label: label.ok_or_else(|| missing("label"))?,
            algorithm: algorithm.ok_or_else(|| missing("algorithm"))?,
            retire_old: retire_old.ok_or_else(|| missing("retire-old"))?,
            step,
            state,
            request,
            request_id,
            certificate,
        };
        j.check()?;
        Ok(j)
    }

    /// Checks that the recorded data fits the step (a journal past a step has its output).
    fn check(&self) -> Result<()> {
        let past = |s: Step| {
            self.step > s && !self.step.is_final()
                || (self.step == s && self.state == StepState::Done)
        };
        if self.old.as_bytes().is_empty() || self.new.as_bytes().is_empty() || self.old == self.new
        {
            return Err(bad("bad container ids"));
        }
        if past(Step::Request) && self.request.is_none() {
            return Err(bad("request missing after the request step"));
        }
        if past(Step::Submit) && self.request_id.is_none() {
            return Err(bad("request id missing after the submit step"));
        }
        if past(Step::Wait) && self.certificate.is_none() {
            return Err(bad("certificate missing after the wait step"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "keycarrier-rotation 1\nold 0102\nnew 0a0b\nlabel 6b6579\nalgorithm gost 1.2.643.7.1.2.1.1.1\nretire-old 0\nstep wait begun\nrequest 3000\nrequest-id abc\n";

    #[test]
    fn sample_parses_and_round_trips() {
        let j = Journal::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(j.step, Step::Wait);
        assert_eq!(j.state, StepState::Begun);
        assert_eq!(j.label, "key");
        assert_eq!(j.to_text(), SAMPLE);
        let rsa = Journal {
            algorithm: KeyAlgorithm::Rsa { bits: 2048 },
            certificate: Some(vec![1, 2]),
            step: Step::Done,
            state: StepState::Done,
            ..j
        };
        assert_eq!(Journal::parse(rsa.to_text().as_bytes()).unwrap(), rsa);
        let ec = Journal {
            algorithm: KeyAlgorithm::Ec(token_core::EcCurve::P384),
            ..rsa
        };
        let text = ec.to_text();
        assert!(text.contains("\nalgorithm ec 1.3.132.0.34\n"), "{text}");
        assert_eq!(Journal::parse(text.as_bytes()).unwrap(), ec);
    }

    #[test]
    fn malformed_journals_are_refused() {
        let cases = [
            "",
            "keycarrier-rotation 2\n",
            "garbage",
            &SAMPLE.replace("old 0102", "old 010"),
            &SAMPLE.replace("old 0102", "old zz"),
            &SAMPLE.replace("new 0a0b", "new 0102"),
            &SAMPLE.replace("step wait begun", "step wait maybe"),
            &SAMPLE.replace("step wait begun", "step nap begun"),
            &SAMPLE.replace("step wait begun", "step wait"),
            &SAMPLE.replace("retire-old 0", "retire-old 2"),
            &SAMPLE.replace("request-id abc", "request-id ../x"),
            &SAMPLE.replace("request-id abc\n", ""),
            &SAMPLE.replace("1.2.643.7.1.2.1.1.1", "1.2.3"),
            &SAMPLE.replace("gost 1.2.643.7.1.2.1.1.1", "rsa 12"),
            &SAMPLE.replace("label 6b6579", "label ff"),
            &format!("{SAMPLE}old 0102\n"),
            &format!("{SAMPLE}colour blue\n"),
            &format!("{SAMPLE}novalue\n"),
        ];
        for case in cases {
            assert!(Journal::parse(case.as_bytes()).is_err(), "{case:?}");
        }
        assert!(Journal::parse(&[0xff, 0xfe]).is_err());
        assert!(Journal::parse(&vec![b'a'; MAX_LEN + 1]).is_err());
    }

    /// A small deterministic fuzz run: every truncation and many byte flips of the sample
    /// never panic, and whatever parses round-trips.
    #[test]
    fn mutations_never_panic() {
        let base = SAMPLE.as_bytes();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let check = |bytes: &[u8]| {
            if let Ok(j) = Journal::parse(bytes) {
                assert_eq!(Journal::parse(j.to_text().as_bytes()).unwrap(), j);
            }
        };
        for n in 0..=base.len() {
            check(base.get(..n).unwrap_or_default());
        }
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = base.to_vec();
            let len = m.len();
            let at = usize::try_from(seed % len as u64).unwrap_or(0);
            if let Some(b) = m.get_mut(at) {
                *b = (seed >> 32) as u8;
            }
            check(&m);
        }
    }
}
