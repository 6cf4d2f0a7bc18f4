//! The rotation policy (flows U16–U18): pure functions of the certificate's validity, the
//! clock, the time zone and what the application knows about the key.

use core::fmt;
use std::time::{Duration, SystemTime};

use token_core::{CertificateInfo, ContainerId, Result};

use crate::{CivilDate, Zone};

/// The policy's settings.
///
/// ```
/// use keycarrier_rotation_policy::{Policy, Zone};
/// let p = Policy::default();
/// assert_eq!(p.reminder_days, 60);
/// assert_eq!(p.zone, Zone::moscow());
/// let kz = Policy::in_zone(Zone::almaty());
/// assert_eq!(kz.validity, Policy::ONE_YEAR);
/// let samara = Policy::in_zone(Zone::named("Europe/Samara")?);
/// assert_eq!(samara.zone.name(), "Europe/Samara");
/// # Ok::<(), keycarrier_rotation_policy::UnknownZone>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// How long a new key's certificate is valid (one year in the banks' practice). Used to
    /// plan the next rotation and by the test CA.
    pub validity: Duration,
    /// From how many days before the expiry day the application is told to rotate (60 in the
    /// banks' practice).
    pub reminder_days: u32,
    /// The bank's zone, whose calendar (with its historical rules) decides the expiry day.
    pub zone: Zone,
}

impl Policy {
    /// 365 days.
    pub const ONE_YEAR: Duration = Duration::from_secs(365 * 86_400);

    /// The default policy (one year, 60 days' reminder) on the calendar of `zone`: a Kazakh
    /// bank writes `Policy::in_zone(Zone::almaty())`.
    pub fn in_zone(zone: Zone) -> Self {
        Self {
            zone,
            ..Self::default()
        }
    }

    /// The decision for one key (flows U16–U18).
    ///
    /// Precedence: a compromised key or changed organisation details send the client to the
    /// office whatever the dates; then an expired certificate; then the expiry day; then the
    /// reminder window, where documents still encrypted to the old key block the rotation.
    pub fn decide(&self, key: &KeyFacts, now: SystemTime) -> RotationAdvice {
        let expiry_day = self.zone.date_of(key.not_after);
        let today = self.zone.date_of(now);
        let days_left = expiry_day.days_since(today);
        if key.compromised {
            return RotationAdvice::OfficeOnly {
                reason: OfficeReason::Compromised,
                expiry_day,
            };
        }
        if key.organisation_changed {
            return RotationAdvice::OfficeOnly {
                reason: OfficeReason::OrganisationChanged,
                expiry_day,
            };
        }
        if now > key.not_after {
            return RotationAdvice::Expired {
                expiry_day,
                days_ago: (-days_left).max(0),
            };
        }
        if days_left <= 0 {
            return RotationAdvice::OfficeOnly {
                reason: OfficeReason::ExpiryDay,
                expiry_day,
            };
        }
        if days_left > i64::from(self.reminder_days) {
            return RotationAdvice::NotDue {
                days_left,
                expiry_day,
                remind_from: expiry_day.add_days(-i64::from(self.reminder_days)),
            };
        }
        if key.pending_documents > 0 {
            return RotationAdvice::Blocked {
                pending: key.pending_documents,
                days_left,
                expiry_day,
            };
        }
        if days_left == 1 {
            RotationAdvice::RotateNow { expiry_day }
        } else {
            RotationAdvice::Remind {
                days_left,
                expiry_day,
            }
        }
    }

    /// Decides for one certificate, asking `pending` about documents encrypted to its key.
    pub fn decide_certificate(
        &self,
        id: &ContainerId,
        certificate: &CertificateInfo,
        circumstances: Circumstances,
        pending: &dyn PendingDocuments,
        now: SystemTime,
    ) -> Result<RotationAdvice> {
        let facts = KeyFacts {
            not_before: certificate.not_before,
            not_after: certificate.not_after,
            pending_documents: pending.pending(id)?,
            organisation_changed: circumstances.organisation_changed,
            compromised: circumstances.compromised,
        };
        Ok(self.decide(&facts, now))
    }

    /// Decisions for several keys (an inventory), ordered for the user: keys that can be
    /// rotated remotely now first, earliest expiry first (they rotate one after another in
    /// this order, flow U19); then blocked and office-only keys; then expired ones; then keys
    /// not yet due.
    pub fn decide_inventory<K: Clone>(
        &self,
        keys: &[(K, KeyFacts)],
        now: SystemTime,
    ) -> Vec<(K, RotationAdvice)> {
        let mut out: Vec<(K, RotationAdvice)> = keys
            .iter()
            .map(|(k, facts)| (k.clone(), self.decide(facts, now)))
            .collect();
        out.sort_by_key(|(_, d)| (d.rank(), d.expiry_day()));
        out
    }

    /// When the certificate of a key issued at `issued` would expire under this policy.
    pub fn planned_expiry(&self, issued: SystemTime) -> SystemTime {
        issued + self.validity
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            validity: Self::ONE_YEAR,
            reminder_days: 60,
            zone: Zone::moscow(),
        }
    }
}

/// What the policy needs to know about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFacts {
    /// Certificate notBefore.
    pub not_before: SystemTime,
    /// Certificate notAfter.
    pub not_after: SystemTime,
    /// Documents encrypted to this key not yet received and decrypted (flow U17).
    pub pending_documents: u32,
    /// The organisation's details (name, INN, OGRN, head…) changed (flow U18).
    pub organisation_changed: bool,
    /// The key is compromised or suspected to be (flow U18).
    pub compromised: bool,
}

impl KeyFacts {
    /// Facts from a certificate's validity, with nothing pending and nothing changed.
    pub fn from_certificate(certificate: &CertificateInfo) -> Self {
        Self {
            not_before: certificate.not_before,
            not_after: certificate.not_after,
            pending_documents: 0,
            organisation_changed: false,
            compromised: false,
        }
    }
}

/// The circumstances only the user or the bank know (flow U18).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Circumstances {
    /// The organisation's details changed since the certificate was issued.
    pub organisation_changed: bool,
    /// The key is compromised or suspected to be.
    pub compromised: bool,
}

/// How many documents encrypted to a key have not yet been received and decrypted (flow U17:
/// the new key cannot read them, so rotation waits).
pub trait PendingDocuments {
    /// Documents still encrypted to the key in container `old`.
    fn pending(&self, old: &ContainerId) -> Result<u32>;
}

/// No pending documents (the bank sends nothing encrypted, or all was read).
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingPending;

impl PendingDocuments for NothingPending {
    fn pending(&self, _: &ContainerId) -> Result<u32> {
        Ok(0)
    }
}

impl<F: Fn(&ContainerId) -> Result<u32>> PendingDocuments for F {
    fn pending(&self, old: &ContainerId) -> Result<u32> {
        self(old)
    }
}

/// Why a key must be replaced at the bank's office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OfficeReason {
    /// Today is the expiry day: remote rotation is refused.
    ExpiryDay,
    /// The organisation's details changed.
    OrganisationChanged,
    /// The key is compromised.
    Compromised,
}

impl fmt::Display for OfficeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ExpiryDay => "the certificate expires today; remote rotation is refused",
            Self::OrganisationChanged => "the organisation's details changed",
            Self::Compromised => "the key is compromised",
        })
    }
}

/// What the application should do about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationAdvice {
    /// More than the reminder window is left. Nothing to show.
    NotDue {
        /// Calendar days until the expiry day.
        days_left: i64,
        /// The expiry day (calendar day of notAfter in the policy's zone).
        expiry_day: CivilDate,
        /// The first day of the reminder window.
        remind_from: CivilDate,
    },
    /// Within the reminder window: tell the user to rotate; remote rotation is allowed.
    Remind {
        /// Calendar days until the expiry day (2..=window).
        days_left: i64,
        /// The expiry day.
        expiry_day: CivilDate,
    },
    /// The last day remote rotation is possible (tomorrow is the expiry day).
    RotateNow {
        /// The expiry day.
        expiry_day: CivilDate,
    },
    /// Within the window, but documents encrypted to the old key are still pending (U17).
    Blocked {
        /// How many.
        pending: u32,
        /// Calendar days until the expiry day.
        days_left: i64,
        /// The expiry day.
        expiry_day: CivilDate,
    },
    /// Only the bank's office can replace this key (U16 expiry day, U18).
    OfficeOnly {
        /// Why.
        reason: OfficeReason,
        /// The expiry day of the current certificate.
        expiry_day: CivilDate,
    },
    /// The certificate has expired: only the office path (a request prepared by the bank).
    Expired {
        /// The expiry day.
        expiry_day: CivilDate,
        /// Calendar days since the expiry day (0 on the expiry day itself after notAfter).
        days_ago: i64,
    },
}

impl RotationAdvice {
    /// Whether the remote rotation workflow may start: not due (early rotation at the user's
    /// request), in the window, or on the last day; never when blocked, office-only or
    /// expired.
    pub fn allows_remote_rotation(&self) -> bool {
        matches!(
            self,
            Self::NotDue { .. } | Self::Remind { .. } | Self::RotateNow { .. }
        )
    }

    /// Whether the application should tell the user about this key now.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Self::NotDue { .. })
    }

    /// Whether this key is due for remote rotation now (in the window, not blocked).
    pub fn is_due(&self) -> bool {
        matches!(self, Self::Remind { .. } | Self::RotateNow { .. })
    }

    /// The expiry day.
    pub fn expiry_day(&self) -> CivilDate {
        match *self {
            Self::NotDue { expiry_day, .. }
            | Self::Remind { expiry_day, .. }
            | Self::RotateNow { expiry_day }
            | Self::Blocked { expiry_day, .. }
            | Self::OfficeOnly { expiry_day, .. }
            | Self::Expired { expiry_day, .. } => expiry_day,
        }
    }

    /// The refusal as a typed error, `None` when remote rotation is allowed.
    pub fn refusal(&self) -> Option<token_core::Error> {
        (!self.allows_remote_rotation()).then(|| token_core::Error::NotAllowed {
            reason: format!("remote key rotation: {self}"),
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Self::RotateNow { .. } | Self::Remind { .. } => 0,
            Self::Blocked { .. } => 1,
            Self::OfficeOnly { .. } => 2,
            Self::Expired { .. } => 3,
            Self::NotDue { .. } => 4,
        }
    }
}

impl fmt::Display for RotationAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDue {
                days_left,
                expiry_day,
                remind_from,
            } => write!(
                f,
                "valid until {expiry_day} ({days_left} days left); rotation from {remind_from}"
            ),
            Self::Remind {
                days_left,
                expiry_day,
            } => write!(
                f,
                "the key expires on {expiry_day} ({days_left} days left): rotate it"
            ),
            Self::RotateNow { expiry_day } => write!(
                f,
                "the key expires on {expiry_day}: today is the last day to rotate it remotely"
            ),
            Self::Blocked {
                pending,
                expiry_day,
                ..
            } => write!(
                f,
                "{pending} document(s) encrypted to the current key must be received and decrypted before rotation (expires {expiry_day})"
            ),
            Self::OfficeOnly { reason, .. } => {
                write!(f, "{reason}: replace the key at the bank's office")
            }
            Self::Expired { expiry_day, .. } => write!(
                f,
                "the certificate expired on {expiry_day}: only the office path remains"
            ),
        }
    }
}
