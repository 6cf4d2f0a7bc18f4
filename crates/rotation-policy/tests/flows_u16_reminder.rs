//! Flow U16: the reminder window, the expiry day and expiry, at every boundary, in Moscow and
//! Almaty time and around midnight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keycarrier_rotation_policy::{CivilDate, KeyFacts, OfficeReason, Policy, RotationAdvice, Zone};

/// A UTC instant (parsed by `jiff`, independent of the code under test).
fn utc(y: i32, mo: u8, d: u8, h: u64, mi: u64, s: u64) -> SystemTime {
    let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
    SystemTime::from(text.parse::<jiff::Timestamp>().unwrap())
}

fn facts(not_after: SystemTime) -> KeyFacts {
    KeyFacts {
        not_before: not_after - Policy::ONE_YEAR,
        not_after,
        pending_documents: 0,
        organisation_changed: false,
        compromised: false,
    }
}

fn date(y: i32, m: u8, d: u8) -> CivilDate {
    CivilDate::new(y, m, d).unwrap()
}

#[test]
fn u16_day_boundaries_moscow() {
    // notAfter 15.03.2027 23:59:59 Moscow time.
    let not_after = utc(2027, 3, 15, 20, 59, 59);
    let expiry = date(2027, 3, 15);
    let p = Policy::default();
    // (now, expected) — noon Moscow time on each day.
    let noon = |days_before: i64| {
        let d = expiry.add_days(-days_before);
        utc(d.year(), d.month(), d.day(), 9, 0, 0)
    };
    let table: Vec<(i64, RotationAdvice)> = vec![
        (
            61,
            RotationAdvice::NotDue {
                days_left: 61,
                expiry_day: expiry,
                remind_from: date(2027, 1, 14),
            },
        ),
        (
            60,
            RotationAdvice::Remind {
                days_left: 60,
                expiry_day: expiry,
            },
        ),
        (
            2,
            RotationAdvice::Remind {
                days_left: 2,
                expiry_day: expiry,
            },
        ),
        (1, RotationAdvice::RotateNow { expiry_day: expiry }),
        (
            0,
            RotationAdvice::OfficeOnly {
                reason: OfficeReason::ExpiryDay,
                expiry_day: expiry,
            },
        ),
        (
            -1,
            RotationAdvice::Expired {
                expiry_day: expiry,
                days_ago: 1,
            },
        ),
        (
            -30,
            RotationAdvice::Expired {
                expiry_day: expiry,
                days_ago: 30,
            },
        ),
    ];
    for (days_before, expected) in table {
        let got = p.decide(&facts(not_after), noon(days_before));
        assert_eq!(got, expected, "{days_before} days before the expiry day");
        assert_eq!(
            got.allows_remote_rotation(),
            days_before >= 1,
            "{days_before}: {got}"
        );
        assert_eq!(got.refusal().is_some(), days_before < 1);
    }
}

#[test]
fn u16_window_opens_at_moscow_midnight_not_utc_midnight() {
    let not_after = utc(2027, 3, 15, 20, 59, 59);
    let p = Policy::default();
    // 13.01 23:59:59 Moscow = 13.01 20:59:59 UTC: 61 days left.
    let before = utc(2027, 1, 13, 20, 59, 59);
    assert!(matches!(
        p.decide(&facts(not_after), before),
        RotationAdvice::NotDue { days_left: 61, .. }
    ));
    // One second later it is 14.01 in Moscow (still 13.01 in UTC): the window is open.
    let after = utc(2027, 1, 13, 21, 0, 0);
    assert!(matches!(
        p.decide(&facts(not_after), after),
        RotationAdvice::Remind { days_left: 60, .. }
    ));
    // In UTC the same instant is still 61 days out.
    let utc_policy = Policy::in_zone(Zone::utc());
    assert!(matches!(
        utc_policy.decide(&facts(not_after), after),
        RotationAdvice::NotDue { days_left: 61, .. }
    ));
}

#[test]
fn u16_expiry_day_depends_on_the_zone() {
    // notAfter 15.03 21:30 UTC = 16.03 00:30 Moscow = 16.03 02:30 Almaty.
    let not_after = utc(2027, 3, 15, 21, 30, 0);
    let now = utc(2027, 3, 15, 10, 0, 0); // 13:00 Moscow, 15:00 Almaty, same day
    let moscow = Policy::default();
    let almaty = Policy::in_zone(Zone::almaty());
    let utc_p = Policy::in_zone(Zone::utc());
    assert_eq!(
        moscow.decide(&facts(not_after), now),
        RotationAdvice::RotateNow {
            expiry_day: date(2027, 3, 16)
        }
    );
    assert_eq!(
        almaty.decide(&facts(not_after), now),
        RotationAdvice::RotateNow {
            expiry_day: date(2027, 3, 16)
        }
    );
    assert_eq!(
        utc_p.decide(&facts(not_after), now),
        RotationAdvice::OfficeOnly {
            reason: OfficeReason::ExpiryDay,
            expiry_day: date(2027, 3, 15)
        }
    );
    // 15.03 19:00 UTC is already 16.03 00:00 in Almaty but 22:00 on 15.03 in Moscow.
    let late = utc(2027, 3, 15, 19, 0, 0);
    assert!(matches!(
        almaty.decide(&facts(not_after), late),
        RotationAdvice::OfficeOnly {
            reason: OfficeReason::ExpiryDay,
            ..
        }
    ));
    assert!(matches!(
        moscow.decide(&facts(not_after), late),
        RotationAdvice::RotateNow { .. }
    ));
}

#[test]
fn u16_on_the_expiry_day_before_and_after_not_after() {
    // notAfter 15.03 12:00 Moscow.
    let not_after = utc(2027, 3, 15, 9, 0, 0);
    let p = Policy::default();
    let morning = utc(2027, 3, 14, 21, 0, 0); // 00:00 Moscow on 15.03
    assert!(matches!(
        p.decide(&facts(not_after), morning),
        RotationAdvice::OfficeOnly {
            reason: OfficeReason::ExpiryDay,
            ..
        }
    ));
    assert!(matches!(
        p.decide(&facts(not_after), not_after),
        RotationAdvice::OfficeOnly { .. }
    ));
    let just_after = not_after + Duration::from_secs(1);
    assert_eq!(
        p.decide(&facts(not_after), just_after),
        RotationAdvice::Expired {
            expiry_day: date(2027, 3, 15),
            days_ago: 0
        }
    );
    // The last second of the day before: still the last remote day.
    let eve = utc(2027, 3, 14, 20, 59, 59);
    assert!(matches!(
        p.decide(&facts(not_after), eve),
        RotationAdvice::RotateNow { .. }
    ));
}

#[test]
fn u16_custom_window_and_messages() {
    let not_after = utc(2027, 3, 15, 20, 59, 59);
    let p = Policy {
        reminder_days: 30,
        ..Policy::default()
    };
    let d = p.decide(&facts(not_after), utc(2027, 2, 1, 9, 0, 0));
    assert_eq!(
        d,
        RotationAdvice::NotDue {
            days_left: 42,
            expiry_day: date(2027, 3, 15),
            remind_from: date(2027, 2, 13)
        }
    );
    assert!(d.to_string().contains("13.02.2027"), "{d}");
    let d = p.decide(&facts(not_after), utc(2027, 2, 13, 9, 0, 0));
    assert!(d.to_string().contains("15.03.2027"), "{d}");
    assert!(d.needs_attention() && d.is_due());
    let office = p.decide(&facts(not_after), utc(2027, 3, 15, 9, 0, 0));
    let err = office.refusal().unwrap();
    assert!(matches!(err, token_core::Error::NotAllowed { .. }));
    assert!(err.to_string().contains("office"), "{err}");
}

#[test]
fn u16_civil_dates_and_leap_years() {
    assert!(CivilDate::new(2028, 2, 29).is_some());
    assert!(CivilDate::new(2100, 2, 29).is_none());
    assert!(CivilDate::new(2000, 2, 29).is_some());
    assert!(CivilDate::new(2027, 13, 1).is_none());
    assert!(CivilDate::new(2027, 4, 31).is_none());
    assert!(CivilDate::new(70_000, 1, 1).is_none());
    assert_eq!(date(2028, 3, 1).days_since(date(2028, 2, 28)), 2);
    assert_eq!(date(2027, 3, 1).days_since(date(2027, 2, 28)), 1);
    assert_eq!(date(2027, 2, 28).days_since(date(2027, 3, 1)), -1);
    assert_eq!(date(2027, 1, 14).add_days(60), date(2027, 3, 15));
    assert_eq!(date(2027, 3, 15).add_days(-60), date(2027, 1, 14));
    // Far beyond the range: saturates instead of failing.
    assert_eq!(date(2027, 3, 15).add_days(i64::MAX), date(9999, 12, 31));
    assert_eq!(date(2027, 3, 15).add_days(i64::MIN), date(-9999, 1, 1));
    // 25 Gregorian 400-year cycles of 146 097 days from -9999 to 0001, then Python's
    // `date(9999, 12, 31).toordinal() - 1` = 3 652 058 days to the end.
    assert_eq!(
        date(9999, 12, 31).days_since(date(-9999, 1, 1)),
        25 * 146_097 + 3_652_058
    );
    // Before the epoch, the zone still picks the right day.
    let t = UNIX_EPOCH - Duration::from_secs(1);
    assert_eq!(Zone::utc().date_of(t), date(1969, 12, 31));
    assert_eq!(Zone::moscow().date_of(t), date(1970, 1, 1));
}

#[test]
fn u16_inventory_orders_due_keys_first_by_expiry() {
    let p = Policy::default();
    let now = utc(2027, 3, 1, 9, 0, 0);
    let keys = vec![
        ("not-due", facts(utc(2027, 12, 1, 9, 0, 0))),
        ("due-late", facts(utc(2027, 4, 20, 9, 0, 0))),
        ("expired", facts(utc(2027, 2, 1, 9, 0, 0))),
        ("due-soon", facts(utc(2027, 3, 10, 9, 0, 0))),
        (
            "blocked",
            KeyFacts {
                pending_documents: 2,
                ..facts(utc(2027, 3, 20, 9, 0, 0))
            },
        ),
    ];
    let order: Vec<&str> = p
        .decide_inventory(&keys, now)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        order,
        ["due-soon", "due-late", "blocked", "expired", "not-due"]
    );
    assert_eq!(p.planned_expiry(now), now + Policy::ONE_YEAR);
}
