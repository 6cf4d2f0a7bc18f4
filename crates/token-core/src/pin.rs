//! PIN roles, retry counters and the final-try guard (flow U08).
//!
//! A carrier blocks a PIN after a few wrong tries. A GUI must show "2 attempts left", "last
//! attempt" and "blocked" *before* the user types, and must never spend the last attempt unless
//! the user said so. [`PinStatus::guard`] is that rule; every backend calls it before it sends a
//! PIN.
//!
//! ```
//! use keycarrier_token_core::{FinalTry, PinRole, PinStatus, ErrorCode};
//! let status = PinStatus { final_try: true, retries_left: Some(1), ..PinStatus::unknown(PinRole::User) };
//! let refused = status.guard(FinalTry::Refuse).unwrap_err();
//! assert_eq!(refused.code(), "KC-PIN-FINAL-TRY");
//! assert!(status.guard(FinalTry::Allow).is_ok());
//! ```

use core::fmt;

use crate::Error;

/// Who a PIN belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinRole {
    /// The key owner: unlocks signing (PKCS#11 CKU_USER).
    User,
    /// The administrator / security officer: unblocks the user PIN, wipes the carrier (CKU_SO).
    Admin,
}

impl fmt::Display for PinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user",
            Self::Admin => "admin",
        })
    }
}

/// Whether the caller allows the last remaining PIN attempt to be spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinalTry {
    /// Refuse with [`Error::FinalTryRefused`] when the carrier reports one attempt left.
    #[default]
    Refuse,
    /// The user was warned and confirmed: spend the last attempt.
    Allow,
}

/// What a carrier says about one PIN. Fields a carrier does not report are `None` / `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    /// Whose PIN this is.
    pub role: PinRole,
    /// Attempts left before the PIN blocks, where the carrier reports an exact number.
    pub retries_left: Option<u8>,
    /// Attempts a fresh PIN has, where known.
    pub max_retries: Option<u8>,
    /// At least one wrong PIN was entered since the last correct one (CKF_*_PIN_COUNT_LOW).
    pub count_low: bool,
    /// The next wrong PIN blocks it (CKF_*_PIN_FINAL_TRY).
    pub final_try: bool,
    /// Blocked (CKF_*_PIN_LOCKED).
    pub locked: bool,
    /// The PIN must be changed before use: initial or expired (CKF_*_PIN_TO_BE_CHANGED).
    pub must_change: bool,
    /// Whether the carrier still has a vendor default PIN, where that can be detected.
    pub default_pin: Option<bool>,
}

impl PinStatus {
    /// A status with nothing known.
    pub const fn unknown(role: PinRole) -> Self {
        Self {
            role,
            retries_left: None,
            max_retries: None,
            count_low: false,
            final_try: false,
            locked: false,
            must_change: false,
            default_pin: None,
        }
    }

    /// Whether the next attempt is the last one, from the flag or from the counter.
    pub fn is_final_try(&self) -> bool {
        self.final_try || self.retries_left == Some(1)
    }

    /// Whether the PIN is blocked, from the flag or from the counter.
    pub fn is_locked(&self) -> bool {
        self.locked || self.retries_left == Some(0)
    }

    /// The final-try rule: `Err(PinLocked)` when blocked, `Err(FinalTryRefused)` when one attempt
    /// is left and the caller did not allow spending it, `Ok` otherwise.
    pub fn guard(&self, final_try: FinalTry) -> Result<(), Error> {
        if self.is_locked() {
            return Err(Error::PinLocked { role: self.role });
        }
        if self.is_final_try() && final_try == FinalTry::Refuse {
            return Err(Error::FinalTryRefused { role: self.role });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn guard_passes_a_healthy_pin() {
        let s = PinStatus {
            retries_left: Some(10),
            ..PinStatus::unknown(PinRole::User)
        };
        assert!(s.guard(FinalTry::Refuse).is_ok());
    }

    #[test]
    fn guard_refuses_the_last_try_by_flag_or_counter() {
        let by_flag = PinStatus {
            final_try: true,
            ..PinStatus::unknown(PinRole::Admin)
        };
        let by_count = PinStatus {
            retries_left: Some(1),
            ..PinStatus::unknown(PinRole::User)
        };
        for s in [by_flag, by_count] {
            let err = s.guard(FinalTry::Refuse).unwrap_err();
            assert_eq!(err.code(), "KC-PIN-FINAL-TRY");
            assert!(s.guard(FinalTry::Allow).is_ok());
        }
    }

    #[test]
    fn guard_reports_locked_even_when_allowed() {
        let s = PinStatus {
            retries_left: Some(0),
            ..PinStatus::unknown(PinRole::User)
        };
        assert!(matches!(
            s.guard(FinalTry::Allow),
            Err(Error::PinLocked {
                role: PinRole::User
            })
        ));
    }
}
