//! Status words (SW1 SW2) and what they mean for the caller.

use core::fmt;

use token_core::{BackendEvidence, Error, PinRole};

/// A status word: SW1 in the high byte, SW2 in the low byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `90 00`: success.
    pub const OK: Self = Self(0x9000);

    /// Builds a status word from SW1 and SW2.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        Self(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// Whether this is `90 00`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0x9000
    }

    /// What the status word means.
    pub const fn outcome(self) -> Outcome {
        let sw2 = self.sw2();
        match self.sw1() {
            0x90 if sw2 == 0 => Outcome::Ok,
            0x61 => Outcome::MoreData(sw2),
            0x6C => Outcome::WrongLe(sw2),
            0x63 if sw2 & 0xF0 == 0xC0 => Outcome::RetriesLeft(sw2 & 0x0F),
            0x63 if sw2 == 0x00 => Outcome::VerificationFailed,
            0x67 if sw2 == 0x00 => Outcome::WrongLength,
            0x68 if sw2 == 0x82 => Outcome::SecureMessagingNotSupported,
            0x68 if sw2 == 0x84 => Outcome::ChainingNotSupported,
            0x69 => match sw2 {
                0x82 => Outcome::SecurityNotSatisfied,
                0x83 => Outcome::AuthenticationBlocked,
                0x84 => Outcome::ReferenceDataNotUsable,
                0x85 => Outcome::ConditionsNotSatisfied,
                0x86 => Outcome::CommandNotAllowed,
                _ => Outcome::Other(self.0),
            },
            0x6A => match sw2 {
                0x80 => Outcome::WrongData,
                0x81 => Outcome::FunctionNotSupported,
                0x82 => Outcome::FileNotFound,
                0x84 => Outcome::NotEnoughMemory,
                0x86 => Outcome::IncorrectP1P2,
                0x88 => Outcome::ReferenceNotFound,
                _ => Outcome::Other(self.0),
            },
            0x6B if sw2 == 0x00 => Outcome::IncorrectP1P2,
            0x6D if sw2 == 0x00 => Outcome::InsNotSupported,
            0x6E if sw2 == 0x00 => Outcome::ClaNotSupported,
            0x6F if sw2 == 0x00 => Outcome::NoPreciseDiagnosis,
            _ => Outcome::Other(self.0),
        }
    }

    /// `Ok(())` on `90 00`, otherwise the typed error for a command with instruction `ins`
    /// that authenticated `role` (if any). See [`Outcome::into_error`].
    pub fn check(self, ins: u8, role: Option<PinRole>) -> Result<(), Error> {
        match self.outcome() {
            Outcome::Ok => Ok(()),
            other => Err(other.into_error(ins, self, role)),
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// The meaning of a [`StatusWord`] (ISO/IEC 7816-4 §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// `90 00`.
    Ok,
    /// `61 xx`: `xx` more bytes wait for GET RESPONSE (`00` = 256 or more).
    MoreData(u8),
    /// `6C xx`: wrong Le; re-send with Le = `xx`.
    WrongLe(u8),
    /// `63 Cx`: verification failed (or counter read), `x` tries left.
    RetriesLeft(u8),
    /// `63 00`: verification failed, no counter given.
    VerificationFailed,
    /// `67 00`: wrong length.
    WrongLength,
    /// `68 82`: secure messaging not supported.
    SecureMessagingNotSupported,
    /// `68 84`: command chaining not supported.
    ChainingNotSupported,
    /// `69 82`: security status not satisfied.
    SecurityNotSatisfied,
    /// `69 83`: authentication method blocked.
    AuthenticationBlocked,
    /// `69 84`: reference data not usable.
    ReferenceDataNotUsable,
    /// `69 85`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `69 86`: command not allowed (no current EF).
    CommandNotAllowed,
    /// `6A 80`: incorrect parameters in the data field.
    WrongData,
    /// `6A 81`: function not supported.
    FunctionNotSupported,
    /// `6A 82`: file or application not found.
    FileNotFound,
    /// `6A 84`: not enough memory.
    NotEnoughMemory,
    /// `6A 86` / `6B 00`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A 88`: referenced data (key, PIN) not found.
    ReferenceNotFound,
    /// `6D 00`: instruction not supported.
    InsNotSupported,
    /// `6E 00`: class not supported.
    ClaNotSupported,
    /// `6F 00`: no precise diagnosis.
    NoPreciseDiagnosis,
    /// Anything else (the raw status word).
    Other(u16),
}

impl Outcome {
    /// The typed error for this outcome. PIN outcomes (`63Cx`, `6300`, `6983`) become
    /// [`Error::WrongPin`] / [`Error::PinLocked`] when `role` says a PIN was presented;
    /// `6982` becomes [`Error::LoginRequired`] for the user; `6A88`/`6A82` become
    /// [`Error::NotFound`]; everything else keeps the raw status word as
    /// [`BackendEvidence::StatusWord`].
    pub fn into_error(self, ins: u8, sw: StatusWord, role: Option<PinRole>) -> Error {
        match (self, role) {
            (Self::RetriesLeft(0) | Self::AuthenticationBlocked, Some(role)) => {
                Error::PinLocked { role }
            }
            (Self::RetriesLeft(n), Some(role)) => Error::WrongPin {
                role,
                retries_left: Some(n),
            },
            (Self::VerificationFailed, Some(role)) => Error::WrongPin {
                role,
                retries_left: None,
            },
            (Self::SecurityNotSatisfied, None) => Error::LoginRequired {
                role: PinRole::User,
            },
            (Self::FileNotFound, _) => Error::NotFound {
                what: format!("file or application (INS {ins:02X})"),
            },
            (Self::ReferenceNotFound, _) => Error::NotFound {
                what: format!("referenced data (INS {ins:02X})"),
            },
            _ => Error::Backend(BackendEvidence::StatusWord { ins, sw: sw.0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        assert_eq!(StatusWord(0x9000).outcome(), Outcome::Ok);
        assert_eq!(StatusWord(0x63C2).outcome(), Outcome::RetriesLeft(2));
        assert_eq!(StatusWord(0x6300).outcome(), Outcome::VerificationFailed);
        assert_eq!(StatusWord(0x6983).outcome(), Outcome::AuthenticationBlocked);
        assert_eq!(StatusWord(0x6982).outcome(), Outcome::SecurityNotSatisfied);
        assert_eq!(
            StatusWord(0x6985).outcome(),
            Outcome::ConditionsNotSatisfied
        );
        assert_eq!(StatusWord(0x6A82).outcome(), Outcome::FileNotFound);
        assert_eq!(StatusWord(0x6A86).outcome(), Outcome::IncorrectP1P2);
        assert_eq!(StatusWord(0x6D00).outcome(), Outcome::InsNotSupported);
        assert_eq!(StatusWord(0x6E00).outcome(), Outcome::ClaNotSupported);
        assert_eq!(StatusWord(0x6110).outcome(), Outcome::MoreData(0x10));
        assert_eq!(StatusWord(0x6C08).outcome(), Outcome::WrongLe(8));
        assert_eq!(StatusWord(0x6F12).outcome(), Outcome::Other(0x6F12));
        assert_eq!(StatusWord::new(0x90, 0x00), StatusWord::OK);
    }

    #[test]
    fn errors() {
        let sw = StatusWord(0x63C1);
        assert!(matches!(
            sw.check(0x20, Some(PinRole::User)),
            Err(Error::WrongPin {
                role: PinRole::User,
                retries_left: Some(1)
            })
        ));
        assert!(matches!(
            StatusWord(0x6983).check(0x20, Some(PinRole::Admin)),
            Err(Error::PinLocked {
                role: PinRole::Admin
            })
        ));
        assert!(matches!(
            StatusWord(0x6985).check(0x2C, None),
            Err(Error::Backend(BackendEvidence::StatusWord {
                ins: 0x2C,
                sw: 0x6985
            }))
        ));
        assert!(StatusWord::OK.check(0x20, None).is_ok());
    }
}
