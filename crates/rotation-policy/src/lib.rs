//! Expiry-driven key rotation (flows U13, U16–U20): when a key must be rotated, the
//! certificate authority interface, a resumable journaled rotation, the act of public key
//! recognition, and the bank side's fleet evaluation.
//!
//! Flow ids (U01–U24) refer to the bank flows described in `docs/flows.md` in the keycarrier
//! repository.
//!
//! | flow | here |
//! | --- | --- |
//! | U13 act of public key recognition | [`act::RecognitionAct`] (text and printable A4 HTML) |
//! | U16 reminder, expiry day, expired | [`Policy::decide`], [`RotationAdvice`] |
//! | U17 pending documents | [`PendingDocuments`], [`RotationAdvice::Blocked`] |
//! | U18 office-only cases | [`Circumstances`], [`RotationAdvice::OfficeOnly`] |
//! | U19 resumable rotation | [`Rotator`], [`journal::Journal`], [`RotationEvent`] |
//! | U19 submit and wait | [`ca::CertificateAuthority`], [`ca::FolderExchange`] (offline), [`ca::TestCa`] (test fixture) |
//! | U20 backup reminder | [`RotationEvent::BackupReminder`], [`BackupAdvice`] |
//! | bank side: many certificates | [`fleet::evaluate`], [`fleet::PemCertificates`], [`fleet::directory`] |
//!
//! Time is always passed in (`now: SystemTime`); the "expiry day" is the calendar day of the
//! certificate's notAfter in the bank's IANA time zone at that instant ([`Zone::moscow`] by
//! default, [`Zone::almaty`] for Kazakhstan, any other by [`Zone::named`]), with the zone's
//! historical rules from a bundled time-zone database (Almaty was UTC+6 until 2024-03-01).
//!
//! # Rotation in short
//!
//! 1. [`Policy::decide`] (or [`Policy::decide_inventory`] for every key) says whether remote
//!    rotation is allowed; [`Rotator::start`] refuses otherwise ([`token_core::Error::NotAllowed`]).
//! 2. [`Rotator::start`] chooses the new container id, journals it, then runs generate → request
//!    (pre-filled from the old certificate) → submit → wait → install → verify → retire, with a
//!    journal write before and after each step.
//! 3. [`RotationOutcome::Waiting`]: call [`Rotator::resume`] later (the certificate may take hours).
//!    After a crash, a pulled token or a lost connection, `start` or `resume` continues from the
//!    journal; the old key is never touched before the new one is installed and verified, and
//!    is kept (marked retired in the journal) unless [`RotationOptions::retire_old`] is set.
//!    A rotation already in progress is not re-checked against the policy on resume: the
//!    bank has the request.
//! 4. [`RotationOutcome::Completed`]; for a soft (flash) container a [`RotationEvent::BackupReminder`].
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use keycarrier_rotation_policy::{RotationAdvice, KeyFacts, Policy};
//!
//! let not_after = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let facts = KeyFacts {
//!     not_before: not_after - Policy::ONE_YEAR,
//!     not_after,
//!     pending_documents: 0,
//!     organisation_changed: false,
//!     compromised: false,
//! };
//! let now = not_after - Duration::from_secs(30 * 86_400);
//! let d = Policy::default().decide(&facts, now);
//! assert!(matches!(d, RotationAdvice::Remind { days_left: 30, .. }));
//! assert!(d.allows_remote_rotation());
//! ```

pub mod act;
pub mod ca;
mod date;
pub mod fleet;
mod fsutil;
pub mod journal;
mod mail;
mod policy;
mod rotate;
#[cfg(feature = "test-ca")]
mod test_ca;
mod zone;

pub use date::CivilDate;
pub use mail::UnreadMail;
pub use policy::{
    Circumstances, KeyFacts, NothingPending, OfficeReason, PendingDocuments, Policy, RotationAdvice,
};
pub use rotate::{
    BackupAdvice, RotationEvent, RotationOptions, RotationOutcome, Rotator, forget_finished,
};
pub use zone::{UnknownZone, Zone};
