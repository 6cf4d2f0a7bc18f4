//! The resumable rotation (flows U19 and U20).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use csr::{InstalledCertificate, RequestTemplate};
use token_core::{
    CancelToken, Carrier, CarrierFamily, CertificateInfo, ContainerId, ContainerSigner, Error,
    KeyAlgorithm, NewContainer, Progress, Result, signature_algorithm_identifier,
};

use crate::ca::{CertificateAuthority, Poll, RequestId};
use crate::fsutil::{hex, read_optional, write_atomic};
use crate::journal::{Journal, Step, StepState};
use crate::{NothingPending, PendingDocuments, RotationAdvice};

/// When to tell the user to back up the new container (flow U20).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackupAdvice {
    /// For the soft token (a container on a flash drive or disk), not for hardware tokens.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Rotation settings.
#[derive(Debug, Clone, Default)]
pub struct RotationOptions {
    /// Delete the old container once the new certificate is installed and verified. Default
    /// `false`: the old key stays and is only marked retired in the journal.
    pub retire_old: bool,
    /// Label of the new container; default: the old label with " (new)".
    pub label: Option<String>,
    /// Algorithm of the new key; default: the old key's.
    pub algorithm: Option<KeyAlgorithm>,
    /// Backup reminder policy.
    pub backup: BackupAdvice,
    /// The CAs whose certificates may be installed: the issued certificate must chain to one
    /// of them before it is installed, and again before the old key may be retired. Empty (the
    /// default) refuses every certificate.
    pub trust_anchors: trust::TrustAnchors,
}

/// Something the GUI may show while a rotation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationEvent {
    /// A step was journaled as begun or done (emitted right after the journal write).
    Step {
        /// The container being replaced.
        old: ContainerId,
        /// The step.
        step: Step,
        /// Begun or done.
        state: StepState,
    },
    /// Key generation progress (flow U09).
    Generation(Progress),
    /// The new key exists on the carrier (emitted before the generate step is journaled done).
    KeyGenerated {
        /// The container being replaced.
        old: ContainerId,
        /// The new container.
        new: ContainerId,
    },
    /// The CA has not issued yet; call [`Rotator::resume`] again later.
    Waiting {
        /// The container being replaced.
        old: ContainerId,
        /// The CA's request id.
        request_id: RequestId,
        /// Suggested wait.
        retry_after: Duration,
    },
    /// The rotation finished.
    Completed {
        /// The replaced container.
        old: ContainerId,
        /// The new container.
        new: ContainerId,
        /// The new certificate's end of validity.
        not_after: SystemTime,
    },
    /// Back up the new container now (flow U20).
    BackupReminder {
        /// The new container.
        container: ContainerId,
        /// The carrier's label, to name it to the user.
        carrier_label: Option<String>,
    },
}

/// How a call to [`Rotator::start`] or [`Rotator::resume`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationOutcome {
    /// Rotated: the new key is certified and verified.
    Completed {
        /// The new container.
        new: ContainerId,
        /// Its certificate's details.
        certificate: InstalledCertificate,
        /// Whether a backup reminder was given.
        backup_reminder: bool,
    },
    /// Waiting for the CA; resume later.
    Waiting {
        /// The CA's request id.
        request_id: RequestId,
        /// Suggested wait.
        retry_after: Duration,
    },
    /// The CA refused the request; the old key is untouched, the uncertified new key removed.
    Rejected {
        /// The CA's reason.
        reason: String,
    },
}

/// Runs rotations, journaling each step in `journal_dir` (one file per old container,
/// `<old id>.rotation`). Resuming after a crash, a pulled token or a lost connection continues
/// from the journal: the new key's container id is chosen and journaled before the key is
/// generated, so a resumed rotation never generates a second key; the old container is never
/// touched before the new certificate is installed and verified, and by default never deleted.
///
/// One rotation per old container at a time: the caller must not run two processes on the
/// same journal directory at once.
pub struct Rotator<'e> {
    dir: PathBuf,
    options: RotationOptions,
    events: Box<dyn FnMut(&RotationEvent) + 'e>,
    pending: Box<dyn PendingDocuments + 'e>,
}

impl core::fmt::Debug for Rotator<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rotator")
            .field("dir", &self.dir)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'e> Rotator<'e> {
    /// A rotator keeping its journals in `journal_dir`.
    pub fn new(journal_dir: impl Into<PathBuf>, options: RotationOptions) -> Self {
        Self {
            dir: journal_dir.into(),
            options,
            events: Box::new(|_| {}),
            pending: Box::new(NothingPending),
        }
    }

    /// Asks `pending` before starting a rotation and again before retiring the old key: while
    /// documents encrypted to the old key are unread (flow U17, e.g. [`crate::UnreadMail`]),
    /// no rotation starts and the old key is not deleted. The default counts nothing.
    pub fn waiting_for(mut self, pending: impl PendingDocuments + 'e) -> Self {
        self.pending = Box::new(pending);
        self
    }

    fn refuse_if_pending(&self, old: &ContainerId, what: &str) -> Result<()> {
        match self.pending.pending(old)? {
            0 => Ok(()),
            n => Err(Error::NotAllowed {
                reason: format!(
                    "{n} document(s) encrypted to the current key are unread: open them before {what}"
                ),
            }),
        }
    }

    /// Sends every [`RotationEvent`] to `sink`.
    pub fn on_event(mut self, sink: impl FnMut(&RotationEvent) + 'e) -> Self {
        self.events = Box::new(sink);
        self
    }

    /// The journal file of the rotation of `old`.
    pub fn journal_path(&self, old: &ContainerId) -> PathBuf {
        self.dir.join(format!("{}.rotation", hex(old.as_bytes())))
    }

    /// The journal of the rotation of `old`, if there is one.
    pub fn journal(&self, old: &ContainerId) -> Result<Option<Journal>> {
        read_optional(&self.journal_path(old))?
            .map(|b| Journal::parse(&b))
            .transpose()
    }

    /// Rotations begun and not finished, in the journal directory.
    pub fn unfinished(&self) -> Result<Vec<Journal>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::storage(format!("list {}", self.dir.display()), e)),
        };
        let mut out = vec![];
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::storage(format!("list {}", self.dir.display()), e))?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("rotation") {
                continue;
            }
            if let Some(bytes) = read_optional(&path)? {
                let j = Journal::parse(&bytes)?;
                if !j.step.is_final() {
                    out.push(j);
                }
            }
        }
        out.sort_by(|a, b| a.old.cmp(&b.old));
        Ok(out)
    }

    /// Starts rotating the key in container `old`, or resumes (or reports) the rotation its
    /// journal records; a rotation refused by the CA is started afresh.
    /// Refuses with [`Error::NotAllowed`] unless `decision` allows remote rotation (flows
    /// U16–U18).
    pub fn start<C: Carrier + ?Sized, A: CertificateAuthority + ?Sized>(
        &mut self,
        carrier: &mut C,
        ca: &mut A,
        old: &ContainerId,
        decision: &RotationAdvice,
        now: SystemTime,
    ) -> Result<RotationOutcome> {
        if let Some(j) = self.journal(old)?
            && j.step != Step::Rejected
        {
            return self.resume(carrier, ca, old, now);
        }
        if let Some(refusal) = decision.refusal() {
            return Err(refusal);
        }
        self.refuse_if_pending(old, "rotating the key")?;
        let info = carrier.container(old)?;
        if info.certificates.is_empty() {
            return Err(Error::NotFound {
                what: format!("certificate in container {old}"),
            });
        }
        let mut id = [0u8; 20];
        getrandom::fill(&mut id).map_err(|e| Error::Unsupported {
            what: format!("system randomness: {e}"),
        })?;
        let mut journal = Journal {
            old: old.clone(),
            new: ContainerId::new(id.to_vec()),
            label: self
                .options
                .label
                .clone()
                .unwrap_or_else(|| format!("{} (new)", info.label.as_deref().unwrap_or("key"))),
            algorithm: self.options.algorithm.unwrap_or(info.algorithm),
            retire_old: self.options.retire_old,
            step: Step::Generate,
            state: StepState::Begun,
            request: None,
            request_id: None,
            certificate: None,
        };
        // The new container's id is on disk before the key exists.
        self.save(&mut journal, Step::Generate, StepState::Begun)?;
        self.run(carrier, ca, journal, now)
    }

    /// Continues the rotation of `old` from its journal. A rotation journaled as done reports
    /// its outcome again (with the backup reminder), so nothing is lost to a crash right after
    /// the last journal write; remove the journal with [`forget_finished`] once shown.
    pub fn resume<C: Carrier + ?Sized, A: CertificateAuthority + ?Sized>(
        &mut self,
        carrier: &mut C,
        ca: &mut A,
        old: &ContainerId,
        now: SystemTime,
    ) -> Result<RotationOutcome> {
        let journal = self.journal(old)?.ok_or_else(|| Error::NotFound {
            what: format!("rotation journal for container {old}"),
        })?;
        if journal.step == Step::Rejected {
            return Err(Error::NotAllowed {
                reason: format!("the rotation of container {old} was refused by the CA"),
            });
        }
        self.run(carrier, ca, journal, now)
    }

    /// Rotates several keys one after another (flow U19): first every
    /// unfinished rotation in the journal directory, then each key of `keys` whose decision
    /// says it is due ([`RotationAdvice::is_due`]), in the given order (use
    /// [`crate::Policy::decide_inventory`]). Stops at the first rotation that must wait for
    /// the CA, or at the first error.
    pub fn rotate_all<C: Carrier + ?Sized, A: CertificateAuthority + ?Sized>(
        &mut self,
        carrier: &mut C,
        ca: &mut A,
        keys: &[(ContainerId, RotationAdvice)],
        now: SystemTime,
    ) -> Result<Vec<(ContainerId, RotationOutcome)>> {
        let mut out = vec![];
        let mut run = |this: &mut Self,
                       id: &ContainerId,
                       start: Option<&RotationAdvice>,
                       out: &mut Vec<_>| {
            let outcome = match start {
                Some(d) => this.start(carrier, ca, id, d, now)?,
                None => this.resume(carrier, ca, id, now)?,
            };
            let waiting = matches!(outcome, RotationOutcome::Waiting { .. });
            out.push((id.clone(), outcome));
            Ok::<bool, Error>(waiting)
        };
        for j in self.unfinished()? {
            if run(self, &j.old, None, &mut out)? {
                return Ok(out);
            }
        }
        for (id, decision) in keys.iter().filter(|(_, d)| d.is_due()) {
            if out.iter().any(|(done, _)| done == id) {
                continue;
            }
            if run(self, id, Some(decision), &mut out)? {
                return Ok(out);
            }
        }
        Ok(out)
    }

    fn emit(&mut self, e: RotationEvent) {
        (self.events)(&e);
    }

    fn save(&mut self, j: &mut Journal, step: Step, state: StepState) -> Result<()> {
        j.step = step;
        j.state = state;
        write_atomic(&self.journal_path(&j.old), j.to_text().as_bytes())?;
        self.emit(RotationEvent::Step {
            old: j.old.clone(),
            step,
            state,
        });
        Ok(())
    }

    fn run<C: Carrier + ?Sized, A: CertificateAuthority + ?Sized>(
        &mut self,
        carrier: &mut C,
        ca: &mut A,
        mut j: Journal,
        now: SystemTime,
    ) -> Result<RotationOutcome> {
        loop {
            // Each arm: journal "begun" (if not yet), act idempotently, journal "done".
            if j.state == StepState::Done {
                let next = match j.step {
                    Step::Generate => Step::Request,
                    Step::Request => Step::Submit,
                    Step::Submit => Step::Wait,
                    Step::Wait => Step::Install,
                    Step::Install => Step::Verify,
                    Step::Verify => Step::Retire,
                    Step::Retire => Step::Done,
                    Step::Rejected | Step::Done => return self.finished(carrier, &j),
                };
                if next == Step::Done {
                    self.save(&mut j, Step::Done, StepState::Done)?;
                    return self.finished(carrier, &j);
                }
                self.save(&mut j, next, StepState::Begun)?;
            }
            match j.step {
                Step::Generate => self.generate(carrier, &j)?,
                Step::Request => {
                    let old = carrier.container(&j.old)?;
                    let cert = old.certificates.first().ok_or_else(|| Error::NotFound {
                        what: format!("certificate in container {}", j.old),
                    })?;
                    let template = RequestTemplate::from_certificate(cert)?;
                    let request = template.sign(&ContainerSigner::new(&*carrier, &j.new)?)?;
                    j.request = Some(request.as_der().to_vec());
                }
                Step::Submit => {
                    let request = j.request.as_deref().unwrap_or_default();
                    j.request_id = Some(ca.submit(request)?);
                }
                Step::Wait => {
                    let id = j.request_id.clone().ok_or_else(|| Error::NotFound {
                        what: "request id in the rotation journal".into(),
                    })?;
                    match ca.poll(&id)? {
                        Poll::Issued(cert) => j.certificate = Some(cert),
                        Poll::Pending { retry_after } => {
                            self.emit(RotationEvent::Waiting {
                                old: j.old.clone(),
                                request_id: id.clone(),
                                retry_after,
                            });
                            return Ok(RotationOutcome::Waiting {
                                request_id: id,
                                retry_after,
                            });
                        }
                        Poll::Rejected { reason } => {
                            self.save(&mut j, Step::Rejected, StepState::Begun)?;
                            if carrier.container(&j.new).is_ok() {
                                carrier.delete_container(&j.new)?;
                            }
                            self.save(&mut j, Step::Rejected, StepState::Done)?;
                            return Ok(RotationOutcome::Rejected { reason });
                        }
                    }
                }
                Step::Install => {
                    let cert = j.certificate.as_deref().unwrap_or_default();
                    let present = carrier.container(&j.new)?;
                    if present.certificates.first().map(Vec::as_slice) != Some(cert) {
                        let request = csr::CertificateRequest::from_der(
                            j.request.as_deref().unwrap_or_default(),
                        )?;
                        let check = csr::InstallCheck::new(&self.options.trust_anchors, now)
                            .with_subject(request.subject());
                        csr::install_certificate(carrier, &j.new, cert, &check)?;
                    }
                }
                Step::Verify => self.verify(carrier, &j, now)?,
                Step::Retire => {
                    if j.retire_old && carrier.container(&j.old).is_ok() {
                        self.refuse_if_pending(&j.old, "the old key is deleted")?;
                        carrier.delete_container(&j.old)?;
                    }
                }
                Step::Rejected => {
                    if carrier.container(&j.new).is_ok() {
                        carrier.delete_container(&j.new)?;
                    }
                }
                Step::Done => {}
            }
            let step = j.step;
            self.save(&mut j, step, StepState::Done)?;
            if step == Step::Rejected {
                return Err(Error::NotAllowed {
                    reason: "the CA refused the request".into(),
                });
            }
        }
    }

    fn generate<C: Carrier + ?Sized>(&mut self, carrier: &mut C, j: &Journal) -> Result<()> {
        match carrier.container(&j.new) {
            Ok(existing) => {
                if !existing.has_private_key {
                    return Err(Error::NotAllowed {
                        reason: format!("container {} exists without a private key", j.new),
                    });
                }
            }
            Err(Error::NotFound { .. }) => {
                let spec = NewContainer {
                    id: Some(j.new.clone()),
                    ..NewContainer::new(j.label.clone(), j.algorithm)
                };
                let events = &mut self.events;
                let mut progress = |p: Progress| events(&RotationEvent::Generation(p));
                match carrier.generate(&spec, &mut progress, &CancelToken::new()) {
                    Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
        self.emit(RotationEvent::KeyGenerated {
            old: j.old.clone(),
            new: j.new.clone(),
        });
        Ok(())
    }

    /// Before the old key may be retired: the new container holds the issued certificate, the
    /// certificate still validates against the trust anchors, and the new key signs.
    fn verify<C: Carrier + ?Sized>(
        &mut self,
        carrier: &mut C,
        j: &Journal,
        now: SystemTime,
    ) -> Result<()> {
        let cert = j.certificate.as_deref().unwrap_or_default();
        let container = carrier.container(&j.new)?;
        if container.certificates.first().map(Vec::as_slice) != Some(cert) {
            return Err(Error::VerificationFailed {
                what: "the new container does not hold the issued certificate".into(),
            });
        }
        csr::InstallCheck::new(&self.options.trust_anchors, now)
            .check(&container.public_key, cert)?;
        let info = CertificateInfo::from_der(cert)?;
        let signer = ContainerSigner::new(&*carrier, &j.new)?;
        let mut message = b"keycarrier rotation check ".to_vec();
        message.extend_from_slice(j.new.as_bytes());
        let signature = signer.sign_message(&message)?;
        trust::signature::verify_message(
            &info.public_key,
            &signature_algorithm_identifier(signer.scheme())?,
            &message,
            signature.as_bytes(),
        )
    }

    fn finished<C: Carrier + ?Sized>(
        &mut self,
        carrier: &mut C,
        j: &Journal,
    ) -> Result<RotationOutcome> {
        if j.step == Step::Rejected {
            return Err(Error::NotAllowed {
                reason: format!("the rotation of container {} was refused by the CA", j.old),
            });
        }
        let cert = j.certificate.as_deref().unwrap_or_default();
        let certificate = InstalledCertificate::from_info(CertificateInfo::from_der(cert)?);
        self.emit(RotationEvent::Completed {
            old: j.old.clone(),
            new: j.new.clone(),
            not_after: certificate.not_after,
        });
        let carrier_info = carrier.info()?;
        let remind = match self.options.backup {
            BackupAdvice::Always => true,
            BackupAdvice::Never => false,
            BackupAdvice::Auto => carrier_info.family == CarrierFamily::SoftToken,
        };
        if remind {
            self.emit(RotationEvent::BackupReminder {
                container: j.new.clone(),
                carrier_label: carrier_info.label,
            });
        }
        Ok(RotationOutcome::Completed {
            new: j.new.clone(),
            certificate,
            backup_reminder: remind,
        })
    }
}

/// Removes the journal of a finished rotation (after the GUI has shown the result).
pub fn forget_finished(journal_dir: &Path, old: &ContainerId) -> Result<()> {
    let path = journal_dir.join(format!("{}.rotation", hex(old.as_bytes())));
    if let Some(bytes) = read_optional(&path)?
        && Journal::parse(&bytes)?.step.is_final()
    {
        std::fs::remove_file(&path)
            .map_err(|e| Error::storage(format!("remove {}", path.display()), e))?;
    }
    Ok(())
}
