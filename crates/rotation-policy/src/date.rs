//! Calendar dates as bank clients read them (`dd.mm.yyyy`), backed by `jiff`'s civil dates so
//! that no calendar arithmetic is written by hand here.

use core::fmt;

use jiff::civil::Date;
use jiff::{Span, Unit};

/// A calendar date (proleptic Gregorian, years −9999…9999), shown the Russian way:
/// `dd.mm.yyyy`.
///
/// Expiry days, reminder days and the dates on the act of key recognition are calendar days
/// in the bank's [`Zone`](crate::Zone), not instants; this type keeps the two apart.
///
/// ```
/// use keycarrier_rotation_policy::CivilDate;
/// let d = CivilDate::new(2027, 3, 1).unwrap();
/// assert_eq!(d.to_string(), "01.03.2027");
/// assert_eq!(d.days_since(CivilDate::new(2027, 2, 28).unwrap()), 1);
/// assert!(CivilDate::new(2027, 2, 29).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(Date);

impl CivilDate {
    /// A valid date, or `None` (no 29 February in a common year, no month 13, years beyond
    /// ±9999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let year = i16::try_from(year).ok()?;
        let month = i8::try_from(month).ok()?;
        let day = i8::try_from(day).ok()?;
        Date::new(year, month, day).ok().map(Self)
    }

    /// The year.
    pub fn year(self) -> i32 {
        i32::from(self.0.year())
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        // jiff keeps months in 1..=12.
        u8::try_from(self.0.month()).unwrap_or(1)
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        // jiff keeps days in 1..=31.
        u8::try_from(self.0.day()).unwrap_or(1)
    }

    /// Whole calendar days from `earlier` to `self` (negative when `earlier` is later): the
    /// "days left" a reminder shows.
    pub fn days_since(self, earlier: CivilDate) -> i64 {
        // Every pair of dates in jiff's range is less than 7.4 million days apart, which a
        // day span always holds.
        self.0
            .since((Unit::Day, earlier.0))
            .map_or(0, |span| i64::from(span.get_days()))
    }

    /// The date `days` later (or earlier for negative `days`), saturating at the ends of the
    /// supported range.
    pub fn add_days(self, days: i64) -> Self {
        // Further than the whole range is the same as the whole range.
        let days = days.clamp(-7_300_000, 7_300_000);
        match Span::new().try_days(days) {
            Ok(span) => Self(self.0.saturating_add(span)),
            Err(_) => self,
        }
    }

    pub(crate) fn from_jiff(date: Date) -> Self {
        Self(date)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}.{:02}.{:04}",
            self.day(),
            self.month(),
            self.year()
        )
    }
}
