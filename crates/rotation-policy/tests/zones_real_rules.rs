//! The expiry day follows the bank's real time zone, including past changes of its rules: a
//! fixed offset would get these days wrong.
//!
//! Every expected local time below was taken from the system's tz database (tzdata 2025b,
//! Debian 12) with `TZ=Asia/Almaty date -d @SECONDS '+%F %T %z'` (and `TZ=Europe/Moscow`),
//! independently of `jiff`'s bundled copy used by the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keycarrier_rotation_policy::{CivilDate, KeyFacts, OfficeReason, Policy, RotationAdvice, Zone};

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn date(y: i32, m: u8, d: u8) -> CivilDate {
    CivilDate::new(y, m, d).unwrap()
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

#[test]
fn almaty_before_1_march_2024_was_utc_plus_6() {
    // 1707589800 = 2024-02-10T18:30:00Z; `TZ=Asia/Almaty date`: 2024-02-11 00:30:00 +0600.
    // At today's +5 it would be 23:30 on 10.02.
    let t = at(1_707_589_800);
    assert_eq!(Zone::almaty().date_of(t), date(2024, 2, 11));
    assert_eq!(Zone::almaty().offset_seconds_at(t), 6 * 3600);
}

#[test]
fn almaty_after_1_march_2024_is_utc_plus_5() {
    // 1710095400 = 2024-03-10T18:30:00Z; `TZ=Asia/Almaty date`: 2024-03-10 23:30:00 +0500.
    // At the old +6 it would be 00:30 on 11.03.
    let t = at(1_710_095_400);
    assert_eq!(Zone::almaty().date_of(t), date(2024, 3, 10));
    assert_eq!(Zone::almaty().offset_seconds_at(t), 5 * 3600);
}

#[test]
fn almaty_around_the_change_itself() {
    // 1709229599 = 2024-02-29T17:59:59Z: 2024-02-29 23:59:59 +0600 (the last +6 second).
    // 1709229600 = 2024-02-29T18:00:00Z: 2024-02-29 23:00:00 +0500 (the clocks went back).
    // 1709233200 = 2024-02-29T19:00:00Z: 2024-03-01 00:00:00 +0500.
    let zone = Zone::almaty();
    assert_eq!(zone.date_of(at(1_709_229_599)), date(2024, 2, 29));
    assert_eq!(zone.date_of(at(1_709_229_600)), date(2024, 2, 29));
    assert_eq!(zone.date_of(at(1_709_233_199)), date(2024, 2, 29));
    assert_eq!(zone.date_of(at(1_709_233_200)), date(2024, 3, 1));
}

#[test]
fn moscow_was_utc_plus_4_from_2011_to_2014() {
    // 1338582600 = 2012-06-01T20:30:00Z; `TZ=Europe/Moscow date`: 2012-06-02 00:30:00 +0400.
    // At today's +3 it would be 23:30 on 01.06.
    let t = at(1_338_582_600);
    assert_eq!(Zone::moscow().date_of(t), date(2012, 6, 2));
    assert_eq!(Zone::moscow().offset_seconds_at(t), 4 * 3600);
}

#[test]
fn almaty_policy_uses_the_rules_in_force_at_not_after() {
    // notAfter 2024-02-10T18:30:00Z = 00:30 on 11.02.2024 in Almaty (+6 then): the expiry
    // day is 11.02. "Now" is 2024-02-10T12:00:00Z (1707566400) = 18:00 on 10.02 in Almaty:
    // the last day of remote rotation. With a fixed +5 both would fall on 10.02 and the
    // client would be sent to the office a day early.
    let not_after = at(1_707_589_800);
    let now = at(1_707_566_400);
    let almaty = Policy::in_zone(Zone::almaty());
    assert_eq!(
        almaty.decide(&facts(not_after), now),
        RotationAdvice::RotateNow {
            expiry_day: date(2024, 2, 11)
        }
    );
    // Moscow (+3) at the same instants: 21:30 and 15:00 on 10.02, the expiry day itself.
    assert_eq!(
        Policy::default().decide(&facts(not_after), now),
        RotationAdvice::OfficeOnly {
            reason: OfficeReason::ExpiryDay,
            expiry_day: date(2024, 2, 10)
        }
    );
}

#[test]
fn zones_by_name() {
    assert_eq!(Zone::moscow().name(), "Europe/Moscow");
    assert_eq!(Zone::almaty().name(), "Asia/Almaty");
    assert_eq!(Zone::named("Europe/Moscow").unwrap(), Zone::moscow());
    // IANA lookups ignore letter case; the zone keeps the database's spelling.
    assert_eq!(Zone::named("asia/ALMATY").unwrap().name(), "Asia/Almaty");
    let samara = Zone::named("Europe/Samara").unwrap();
    // 1707589800 = 2024-02-10T18:30:00Z; `TZ=Europe/Samara date`: 2024-02-10 22:30:00 +0400.
    assert_eq!(samara.date_of(at(1_707_589_800)), date(2024, 2, 10));
    assert_eq!(samara.offset_seconds_at(at(1_707_589_800)), 4 * 3600);
    assert_eq!(samara.to_string(), "Europe/Samara");
    for bad in [
        "",
        "Moscow",
        "+05:00",
        "Europe/Atlantis",
        "../../etc/passwd",
    ] {
        let err = Zone::named(bad).unwrap_err();
        assert_eq!(err.name, bad);
        assert!(err.to_string().contains("unknown time zone"), "{err}");
        let err: token_core::Error = err.into();
        assert!(matches!(err, token_core::Error::NotFound { .. }), "{err}");
    }
    assert_eq!(Policy::default().zone, Zone::moscow());
}

#[test]
fn instants_beyond_the_calendar_range_do_not_fail() {
    // RFC 5280's "no well-defined expiration": 99991231235959Z.
    let no_expiry = at(253_402_300_799);
    let day = Zone::moscow().date_of(no_expiry);
    assert_eq!(day.year(), 9999);
    let d = Policy::default().decide(&facts(no_expiry), at(1_707_566_400));
    assert!(matches!(d, RotationAdvice::NotDue { .. }), "{d}");
    let far_past = UNIX_EPOCH - Duration::from_secs(400_000_000_000);
    assert_eq!(Zone::utc().date_of(far_past).year(), -9999);
}
