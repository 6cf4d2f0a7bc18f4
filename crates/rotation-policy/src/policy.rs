//! The rotation policy (flows U16–U18): pure functions of the certificate's validity, the
//! clock, the time zone and what the application knows about the key.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use token_core::{CertificateInfo, ContainerId, Result};

const DAY: i64 = 86_400;

/// A fixed offset from UTC, in seconds east of Greenwich. Banks' "expiry day" is the calendar
/// day in the client's zone; Russia and Kazakhstan have no daylight saving, so a fixed offset
/// is enough and no time-zone database is needed.
///
/// ```
/// use rotation_policy::UtcOffset;
/// assert_eq!(UtcOffset::MOSCOW.to_string(), "UTC+03:00");
/// assert_eq!(UtcOffset::ALMATY.seconds(), 5 * 3600);
/// assert_eq!(UtcOffset::from_hours(-2).unwrap().to_string(), "UTC-02:00");
/// assert!(UtcOffset::from_hours(25).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UtcOffset(i32);

impl UtcOffset {
    /// UTC.
    pub const UTC: Self = Self(0);
    /// Moscow time, UTC+3 (the default).
    pub const MOSCOW: Self = Self(3 * 3600);
    /// Almaty and Astana, UTC+5 (Kazakhstan's single zone since March 2024).
    pub const ALMATY: Self = Self(5 * 3600);

    /// An offset in seconds east of UTC; `None` beyond ±18 hours.
    pub const fn from_seconds(seconds: i32) -> Option<Self> {
        if seconds.abs() <= 18 * 3600 {
            Some(Self(seconds))
        } else {
            None
        }
    }

    /// An offset in whole hours east of UTC; `None` beyond ±18 hours.
    pub const fn from_hours(hours: i32) -> Option<Self> {
        if hours.abs() <= 18 {
            Some(Self(hours * 3600))
        } else {
            None
        }
    }

    /// Seconds east of UTC.
    pub const fn seconds(self) -> i32 {
        self.0
    }

    /// The calendar date of `at` in this zone.
    pub fn date_of(self, at: SystemTime) -> CivilDate {
        CivilDate::from_days(self.local_seconds(at).div_euclid(DAY))
    }

    /// Local seconds since the epoch (UTC seconds plus the offset), saturating far outside
    /// any certificate's range.
    fn local_seconds(self, at: SystemTime) -> i64 {
        let utc = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
            Err(e) => {
                let back = e.duration();
                // Round towards minus infinity for instants before the epoch.
                let whole = i64::try_from(back.as_secs()).unwrap_or(i64::MAX / 2);
                -(whole + i64::from(back.subsec_nanos() > 0))
            }
        };
        utc.saturating_add(i64::from(self.0))
    }
}

impl Default for UtcOffset {
    fn default() -> Self {
        Self::MOSCOW
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let abs = self.0.unsigned_abs();
        write!(f, "UTC{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

/// A calendar date (proleptic Gregorian), shown the Russian way: `dd.mm.yyyy`.
///
/// ```
/// use rotation_policy::CivilDate;
/// let d = CivilDate::new(2027, 3, 1).unwrap();
/// assert_eq!(d.to_string(), "01.03.2027");
/// assert_eq!(d.days_since(CivilDate::new(2027, 2, 28).unwrap()), 1);
/// assert!(CivilDate::new(2027, 2, 29).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl CivilDate {
    /// A valid date, or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let d = Self { year, month, day };
        (Self::from_days(d.to_days()) == d).then_some(d)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Self {
        // Howard Hinnant's civil_from_days.
        let z = days.clamp(-(1 << 40), 1 << 40) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: CivilDate) -> i64 {
        self.to_days() - earlier.to_days()
    }

    /// The date `days` later (or earlier for negative `days`).
    pub fn add_days(self, days: i64) -> Self {
        Self::from_days(self.to_days().saturating_add(days))
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}.{:02}.{:04}", self.day, self.month, self.year)
    }
}

/// The policy's settings.
///
/// ```
/// use rotation_policy::{Policy, UtcOffset};
/// let p = Policy::default();
/// assert_eq!(p.reminder_days, 60);
/// assert_eq!(p.zone, UtcOffset::MOSCOW);
/// let kz = Policy { zone: UtcOffset::ALMATY, ..Policy::default() };
/// assert_eq!(kz.validity, Policy::ONE_YEAR);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long a new key's certificate is valid (one year in the banks' practice). Used to
    /// plan the next rotation and by the test CA.
    pub validity: Duration,
    /// From how many days before the expiry day the application is told to rotate (60 in the
    /// banks' practice).
    pub reminder_days: u32,
    /// The zone whose calendar decides the expiry day.
    pub zone: UtcOffset,
}

impl Policy {
    /// 365 days.
    pub const ONE_YEAR: Duration = Duration::from_secs(365 * 86_400);

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
            zone: UtcOffset::MOSCOW,
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
