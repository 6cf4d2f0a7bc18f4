//! PIN retry state (flow U08) from the `CKF_*_PIN_*` bits of `CK_TOKEN_INFO.flags`.
//!
//! Standard PKCS#11 reports flags, not counts; the flags pin down two exact values: final try
//! = 1 attempt left, locked = 0.

use cryptoki::slot::TokenInfo;
use cryptoki_sys::CK_FLAGS;
use token_core::{PinRole, PinStatus};

/// The [`PinStatus`] of `role` from the token's current info.
pub(super) fn from_token(t: &TokenInfo, role: PinRole) -> PinStatus {
    use cryptoki_sys as c;
    // cryptoki exposes the flags one by one; put them back into a CK_FLAGS word.
    let bits = [
        (t.user_pin_count_low(), c::CKF_USER_PIN_COUNT_LOW),
        (t.user_pin_final_try(), c::CKF_USER_PIN_FINAL_TRY),
        (t.user_pin_locked(), c::CKF_USER_PIN_LOCKED),
        (t.user_pin_to_be_changed(), c::CKF_USER_PIN_TO_BE_CHANGED),
        (t.so_pin_count_low(), c::CKF_SO_PIN_COUNT_LOW),
        (t.so_pin_final_try(), c::CKF_SO_PIN_FINAL_TRY),
        (t.so_pin_locked(), c::CKF_SO_PIN_LOCKED),
        (t.so_pin_to_be_changed(), c::CKF_SO_PIN_TO_BE_CHANGED),
    ];
    let flags = bits
        .into_iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, f)| acc | f);
    from_flags(flags, role)
}

/// A [`PinStatus`] from the `CKF_*_PIN_*` bits of `CK_TOKEN_INFO.flags`.
///
/// Standard PKCS#11 reports flags, not counts; the flags pin down two exact values: final try
/// = 1 attempt left, locked = 0.
pub(super) fn from_flags(flags: CK_FLAGS, role: PinRole) -> PinStatus {
    use cryptoki_sys as c;
    let (count_low, final_try, locked, to_be_changed) = match role {
        PinRole::User => (
            c::CKF_USER_PIN_COUNT_LOW,
            c::CKF_USER_PIN_FINAL_TRY,
            c::CKF_USER_PIN_LOCKED,
            c::CKF_USER_PIN_TO_BE_CHANGED,
        ),
        PinRole::Admin => (
            c::CKF_SO_PIN_COUNT_LOW,
            c::CKF_SO_PIN_FINAL_TRY,
            c::CKF_SO_PIN_LOCKED,
            c::CKF_SO_PIN_TO_BE_CHANGED,
        ),
    };
    let on = |f: CK_FLAGS| flags & f != 0;
    PinStatus {
        role,
        retries_left: if on(locked) {
            Some(0)
        } else if on(final_try) {
            Some(1)
        } else {
            None
        },
        max_retries: None,
        count_low: on(count_low),
        final_try: on(final_try),
        locked: on(locked),
        must_change: on(to_be_changed),
        default_pin: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::{ErrorCode, FinalTry};

    #[test]
    fn flags_to_pin_status_and_guard() {
        use cryptoki_sys as c;
        let s = from_flags(
            c::CKF_USER_PIN_FINAL_TRY | c::CKF_USER_PIN_COUNT_LOW,
            PinRole::User,
        );
        assert!(s.final_try && s.count_low && !s.locked);
        assert_eq!(s.retries_left, Some(1));
        assert_eq!(
            s.guard(FinalTry::Refuse).unwrap_err().code(),
            "KC-PIN-FINAL-TRY"
        );
        assert!(s.guard(FinalTry::Allow).is_ok());
        // The SO bits do not leak into the user status and vice versa.
        let so = from_flags(c::CKF_USER_PIN_FINAL_TRY, PinRole::Admin);
        assert!(so.guard(FinalTry::Refuse).is_ok());
        let locked = from_flags(c::CKF_SO_PIN_LOCKED, PinRole::Admin);
        assert_eq!(
            locked.guard(FinalTry::Allow).unwrap_err().code(),
            "KC-PIN-LOCKED"
        );
        let change = from_flags(c::CKF_USER_PIN_TO_BE_CHANGED, PinRole::User);
        assert!(change.must_change);
        // SoftHSM's count-low flag alone does not stop a login.
        let low = from_flags(c::CKF_USER_PIN_COUNT_LOW, PinRole::User);
        assert_eq!(low.retries_left, None);
        assert!(low.guard(FinalTry::Refuse).is_ok());
    }
}
