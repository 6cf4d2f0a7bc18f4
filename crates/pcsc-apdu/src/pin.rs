//! ISO/IEC 7816-4 PIN operations with per-profile PIN references (flows U05, U06, U08).
//!
//! | operation | INS | function |
//! | --- | --- | --- |
//! | VERIFY | `20` | [`verify_user`], [`verify_admin`]; empty VERIFY: [`pin_counter`] |
//! | CHANGE REFERENCE DATA | `24` | [`change_user_pin`], [`change_admin_pin`] |
//! | RESET RETRY COUNTER | `2C` | [`unblock_with_puk`] (P1 `00`), [`reset_user_pin`] (P1 `02`, after admin auth) |
//! | GET CHALLENGE | `84` | [`get_challenge`] |
//! | EXTERNAL AUTHENTICATE | `82` | [`external_authenticate`] |
//!
//! Every PIN-spending function first reads the retry counter with an empty VERIFY (which
//! spends no try) and applies the final-try rule ([`PinStatus::guard`]): the last attempt is
//! spent only with [`FinalTry::Allow`].
//!
//! A new PIN reaches the card only as [`Approved`] (made by [`token_core::PinPolicy::approve`]),
//! so a PIN that never passed the bank's policy cannot be set.
//!
//! Commands that carry two PINs in one data field (CHANGE REFERENCE DATA, RESET RETRY COUNTER
//! P1 `00`) need a profile with fixed-length [`PinPadding`]: the card splits `old ‖ new` at the
//! padded length. Without padding they are refused with [`Error::Unsupported`] before anything
//! reaches the card.

use token_core::{AdminPin, Approved, Error, FinalTry, Pin, PinRole, PinStatus, SecretBytes};
use zeroize::Zeroizing;

use crate::{CardTransaction, Command, Outcome, StatusWord};

/// INS of VERIFY.
pub const INS_VERIFY: u8 = 0x20;
/// INS of CHANGE REFERENCE DATA.
pub const INS_CHANGE_REFERENCE_DATA: u8 = 0x24;
/// INS of RESET RETRY COUNTER.
pub const INS_RESET_RETRY_COUNTER: u8 = 0x2C;
/// INS of GET CHALLENGE.
pub const INS_GET_CHALLENGE: u8 = 0x84;
/// INS of EXTERNAL AUTHENTICATE.
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;
/// INS of SELECT.
pub const INS_SELECT: u8 = 0xA4;

/// How PINs are padded before they go to the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPadding {
    /// Padded length.
    pub len: u8,
    /// Pad byte.
    pub byte: u8,
}

/// Where a card application keeps its PINs and keys: the P2 references and conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinProfile {
    /// A name for logs.
    pub name: &'static str,
    /// CLA of the PIN commands.
    pub cla: u8,
    /// Application to SELECT first (by AID), if any.
    pub aid: Option<&'static [u8]>,
    /// P2 of the user PIN.
    pub user_pin_ref: u8,
    /// P2 of the admin PIN / PUK (the unblocking code).
    pub admin_pin_ref: u8,
    /// P2 of the card-admin key used with GET CHALLENGE / EXTERNAL AUTHENTICATE.
    pub admin_key_ref: u8,
    /// P1 of EXTERNAL AUTHENTICATE: the algorithm reference (`00` = implicit).
    pub admin_key_alg: u8,
    /// Padding applied to PINs, if the application wants fixed-length PIN blocks.
    pub padding: Option<PinPadding>,
    /// Shortest PIN accepted.
    pub min_len: u8,
    /// Longest PIN accepted (before padding).
    pub max_len: u8,
}

impl PinProfile {
    /// The layout of keycarrier's card fixture and of simple ISO 7816-4 PIN applets: user PIN
    /// `81`, PUK / admin PIN `82`, card-admin key `83`, no SELECT; PINs of 4 to 8 bytes padded
    /// to 8 bytes with `FF` (as PIV does), so `old ‖ new` splits at byte 8.
    pub const ISO: Self = Self {
        name: "ISO 7816-4",
        cla: 0x00,
        aid: None,
        user_pin_ref: 0x81,
        admin_pin_ref: 0x82,
        admin_key_ref: 0x83,
        admin_key_alg: 0x00,
        padding: Some(PinPadding { len: 8, byte: 0xFF }),
        min_len: 4,
        max_len: 8,
    };

    /// NIST SP 800-73 PIV: PIV application PIN `80`, PUK `81`, card management key `9B`
    /// (3DES: algorithm `03`), PINs padded to 8 bytes with `FF`.
    pub const PIV: Self = Self {
        name: "PIV",
        cla: 0x00,
        aid: Some(&[0xA0, 0x00, 0x00, 0x03, 0x08]),
        user_pin_ref: 0x80,
        admin_pin_ref: 0x81,
        admin_key_ref: 0x9B,
        admin_key_alg: 0x03,
        padding: Some(PinPadding { len: 8, byte: 0xFF }),
        min_len: 6,
        max_len: 8,
    };

    /// P2 for a role.
    pub fn reference(&self, role: PinRole) -> u8 {
        match role {
            PinRole::User => self.user_pin_ref,
            PinRole::Admin => self.admin_pin_ref,
        }
    }

    /// The PIN block for a PIN: length-checked and padded. A PIN longer than the padded length
    /// is [`Error::PinLengthRange`] (a padded block has one length).
    pub(crate) fn block(&self, pin: &[u8]) -> Result<SecretBytes, Error> {
        let len = pin.len();
        if len < usize::from(self.min_len) || len > usize::from(self.max_len) {
            return Err(Error::PinLengthRange);
        }
        let final_len = match self.padding {
            Some(p) if len > usize::from(p.len) => return Err(Error::PinLengthRange),
            Some(p) => usize::from(p.len),
            None => len,
        };
        // Allocated once at the final length: no reallocation leaves a copy behind.
        let mut v = Zeroizing::new(Vec::with_capacity(final_len));
        v.extend_from_slice(pin);
        if let Some(p) = self.padding {
            v.resize(final_len, p.byte);
        }
        Ok(SecretBytes::new(&v))
    }

    /// The data field of a two-PIN command (`first ‖ second`, each padded). Refused with
    /// [`Error::Unsupported`] when the profile has no padding: the card could not tell where
    /// the first PIN ends.
    fn two_pin_block(&self, what: &str, first: &[u8], second: &[u8]) -> Result<SecretBytes, Error> {
        if self.padding.is_none() {
            return Err(Error::Unsupported {
                what: format!(
                    "{what} with profile {}: two PINs in one command need fixed-length padding",
                    self.name
                ),
            });
        }
        let a = self.block(first)?;
        let b = self.block(second)?;
        let mut v = Zeroizing::new(Vec::with_capacity(a.len() + b.len()));
        v.extend_from_slice(a.expose());
        v.extend_from_slice(b.expose());
        Ok(SecretBytes::new(&v))
    }
}

/// What an empty VERIFY said about a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinCounter {
    /// Retry counter and flags.
    pub status: PinStatus,
    /// The PIN is verified in the current card session (the card answered `90 00`).
    pub verified: bool,
}

/// SELECTs the profile's application, when it names one.
pub fn select(tx: &mut dyn CardTransaction, profile: &PinProfile) -> Result<(), Error> {
    if let Some(aid) = profile.aid {
        let r = tx.transmit(&Command::new(profile.cla, INS_SELECT, 0x04, 0x00).with_data(aid))?;
        r.sw().check(INS_SELECT, None)?;
    }
    Ok(())
}

/// Reads a PIN's retry counter with an empty VERIFY (case 1): spends no attempt.
/// `63Cx` → `x` tries left; `6983` → blocked; `90 00` → verified already.
pub fn pin_counter(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    role: PinRole,
) -> Result<PinCounter, Error> {
    let r = tx.transmit(&Command::new(
        profile.cla,
        INS_VERIFY,
        0x00,
        profile.reference(role),
    ))?;
    let mut status = PinStatus::unknown(role);
    let verified = match r.sw().outcome() {
        Outcome::Ok => true,
        Outcome::RetriesLeft(n) => {
            status.retries_left = Some(n);
            status.locked = n == 0;
            status.final_try = n == 1;
            false
        }
        Outcome::AuthenticationBlocked => {
            status.retries_left = Some(0);
            status.locked = true;
            false
        }
        other => return Err(other.into_error(INS_VERIFY, r.sw(), None)),
    };
    Ok(PinCounter { status, verified })
}

fn guard(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    role: PinRole,
    final_try: FinalTry,
) -> Result<(), Error> {
    pin_counter(tx, profile, role)?.status.guard(final_try)
}

fn send_pin_command(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    ins: u8,
    p1: u8,
    p2: u8,
    data: SecretBytes,
    role: Option<PinRole>,
) -> Result<(), Error> {
    let cmd = Command::new(profile.cla, ins, p1, p2).with_sensitive_data(data);
    let r = tx.transmit(&cmd)?;
    check_pin_sw(r.sw(), ins, role)
}

fn check_pin_sw(sw: StatusWord, ins: u8, role: Option<PinRole>) -> Result<(), Error> {
    match (sw.outcome(), role) {
        (Outcome::SecurityNotSatisfied, _) if ins == INS_RESET_RETRY_COUNTER => {
            Err(Error::LoginRequired {
                role: PinRole::Admin,
            })
        }
        _ => sw.check(ins, role),
    }
}

fn verify_raw(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    role: PinRole,
    pin: &[u8],
    final_try: FinalTry,
) -> Result<(), Error> {
    let block = profile.block(pin)?;
    guard(tx, profile, role, final_try)?;
    send_pin_command(
        tx,
        profile,
        INS_VERIFY,
        0x00,
        profile.reference(role),
        block,
        Some(role),
    )
}

/// VERIFY the user PIN (after the final-try check).
pub fn verify_user(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    pin: &Pin,
    final_try: FinalTry,
) -> Result<(), Error> {
    verify_raw(tx, profile, PinRole::User, pin.expose(), final_try)
}

/// VERIFY the admin PIN / PUK (after the final-try check).
pub fn verify_admin(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    pin: &AdminPin,
    final_try: FinalTry,
) -> Result<(), Error> {
    verify_raw(tx, profile, PinRole::Admin, pin.expose(), final_try)
}

fn change_raw(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    role: PinRole,
    old: &[u8],
    new: &[u8],
    final_try: FinalTry,
) -> Result<(), Error> {
    let data = profile.two_pin_block("CHANGE REFERENCE DATA", old, new)?;
    guard(tx, profile, role, final_try)?;
    send_pin_command(
        tx,
        profile,
        INS_CHANGE_REFERENCE_DATA,
        0x00,
        profile.reference(role),
        data,
        Some(role),
    )
}

/// CHANGE REFERENCE DATA for the user PIN (old ‖ new, each padded), flow U05. The profile
/// must have [`PinPadding`] ([`Error::Unsupported`] otherwise).
pub fn change_user_pin(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    old: &Pin,
    new: &Approved<Pin>,
    final_try: FinalTry,
) -> Result<(), Error> {
    change_raw(
        tx,
        profile,
        PinRole::User,
        old.expose(),
        new.expose(),
        final_try,
    )
}

/// CHANGE REFERENCE DATA for the admin PIN / PUK (old ‖ new, each padded). The profile must
/// have [`PinPadding`] ([`Error::Unsupported`] otherwise).
pub fn change_admin_pin(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    old: &AdminPin,
    new: &Approved<AdminPin>,
    final_try: FinalTry,
) -> Result<(), Error> {
    change_raw(
        tx,
        profile,
        PinRole::Admin,
        old.expose(),
        new.expose(),
        final_try,
    )
}

/// RESET RETRY COUNTER with the PUK (P1 `00`, data PUK ‖ new PIN, each padded), flow U06. A
/// wrong PUK reports [`Error::WrongPin`] for [`PinRole::Admin`]; the final-try rule applies to
/// the PUK. The profile must have [`PinPadding`] ([`Error::Unsupported`] otherwise).
pub fn unblock_with_puk(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    puk: &AdminPin,
    new: &Approved<Pin>,
    final_try: FinalTry,
) -> Result<(), Error> {
    let data = profile.two_pin_block("RESET RETRY COUNTER", puk.expose(), new.expose())?;
    guard(tx, profile, PinRole::Admin, final_try)?;
    send_pin_command(
        tx,
        profile,
        INS_RESET_RETRY_COUNTER,
        0x00,
        profile.user_pin_ref,
        data,
        Some(PinRole::Admin),
    )
}

/// RESET RETRY COUNTER after admin authentication (VERIFY of the admin PIN, or EXTERNAL
/// AUTHENTICATE with the card-admin key): P1 `02`, data = new user PIN. Without prior admin
/// authentication the card answers `6982` → [`Error::LoginRequired`] for the admin.
pub fn reset_user_pin(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    new: &Approved<Pin>,
) -> Result<(), Error> {
    let data = profile.block(new.expose())?;
    reset_user_pin_block(tx, profile, data)
}

/// [`reset_user_pin`] with a PIN block already built by [`PinProfile::block`] (so a caller can
/// check the length before spending anything on the card).
pub(crate) fn reset_user_pin_block(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    data: SecretBytes,
) -> Result<(), Error> {
    send_pin_command(
        tx,
        profile,
        INS_RESET_RETRY_COUNTER,
        0x02,
        profile.user_pin_ref,
        data,
        None,
    )
}

/// GET CHALLENGE: `len` random bytes from the card. The card remembers the last challenge for
/// EXTERNAL AUTHENTICATE; a new GET CHALLENGE replaces it.
pub fn get_challenge(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    len: usize,
) -> Result<Vec<u8>, Error> {
    let r = tx.transmit(&Command::new(profile.cla, INS_GET_CHALLENGE, 0, 0).with_le(len))?;
    let data = r.ok_data(INS_GET_CHALLENGE)?;
    if data.len() != len {
        return Err(Error::Malformed {
            what: "GET CHALLENGE response",
            at: Some(data.len()),
            reason: format!("expected {len} bytes"),
        });
    }
    Ok(data)
}

/// EXTERNAL AUTHENTICATE with the profile's card-admin key: `response` is the challenge
/// enciphered with that key. `6300`/`63Cx` → [`Error::VerificationFailed`]; `6983` → the key
/// is blocked ([`Error::PinLocked`] for the admin); `6985` → no challenge outstanding
/// ([`Error::NotAllowed`]: request a new code).
pub fn external_authenticate(
    tx: &mut dyn CardTransaction,
    profile: &PinProfile,
    response: &SecretBytes,
) -> Result<(), Error> {
    let cmd = Command::new(
        profile.cla,
        INS_EXTERNAL_AUTHENTICATE,
        profile.admin_key_alg,
        profile.admin_key_ref,
    )
    .with_sensitive_data(response.clone());
    let r = tx.transmit(&cmd)?;
    let sw = r.sw();
    match sw.outcome() {
        Outcome::Ok => Ok(()),
        outcome @ (Outcome::VerificationFailed
        | Outcome::RetriesLeft(1..)
        | Outcome::SecurityNotSatisfied) => {
            let tries = match outcome {
                Outcome::RetriesLeft(n) => format!(", {n} tries of the key left"),
                _ => String::new(),
            };
            Err(Error::VerificationFailed {
                what: format!("unblock response (card-admin key): SW {:04X}{tries}", sw.0),
            })
        }
        Outcome::AuthenticationBlocked | Outcome::RetriesLeft(0) => Err(Error::PinLocked {
            role: PinRole::Admin,
        }),
        Outcome::ConditionsNotSatisfied => Err(Error::NotAllowed {
            reason: format!(
                "the card has no outstanding challenge (SW {:04X}): request a new code",
                sw.0
            ),
        }),
        other => Err(other.into_error(INS_EXTERNAL_AUTHENTICATE, sw, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CardCaps;
    use std::collections::VecDeque;

    struct Script(VecDeque<(Vec<u8>, Vec<u8>)>);
    impl CardTransaction for Script {
        fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
            let (e, a) = self.0.pop_front().expect("unexpected APDU");
            assert_eq!(apdu, e.as_slice());
            Ok(a)
        }
        fn caps(&self) -> CardCaps {
            CardCaps::default()
        }
    }
    fn script(steps: &[(&[u8], &[u8])]) -> Script {
        Script(
            steps
                .iter()
                .map(|(a, b)| (a.to_vec(), b.to_vec()))
                .collect(),
        )
    }

    #[test]
    fn final_try_is_not_spent_without_permission() {
        let mut tx = script(&[(&[0, 0x20, 0, 0x81], &[0x63, 0xC1])]);
        let err = verify_user(
            &mut tx,
            &PinProfile::ISO,
            &Pin::new("1234"),
            FinalTry::Refuse,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::FinalTryRefused {
                role: PinRole::User
            }
        ));
        assert!(tx.0.is_empty());
    }

    #[test]
    fn piv_pads_pins() {
        let mut tx = script(&[
            (&[0, 0x20, 0, 0x80], &[0x63, 0xC3]),
            (
                &[
                    0, 0x20, 0, 0x80, 8, b'1', b'2', b'3', b'4', b'5', b'6', 0xFF, 0xFF,
                ],
                &[0x63, 0xC2],
            ),
        ]);
        let err = verify_user(
            &mut tx,
            &PinProfile::PIV,
            &Pin::new("123456"),
            FinalTry::Refuse,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::WrongPin {
                role: PinRole::User,
                retries_left: Some(2)
            }
        ));
    }

    #[test]
    fn length_is_checked_before_the_card() {
        let mut tx = script(&[]);
        assert!(matches!(
            verify_user(&mut tx, &PinProfile::ISO, &Pin::new("12"), FinalTry::Allow),
            Err(Error::PinLengthRange)
        ));
    }

    fn digits() -> token_core::PinPolicy {
        token_core::PinPolicy {
            alphabet: token_core::PinAlphabet::Digits,
            min_length: 4,
            max_sequence: None,
            forbidden: vec![],
            ..token_core::PinPolicy::default()
        }
    }

    fn approved(pin: &str) -> Approved<Pin> {
        digits().approve(Pin::new(pin), None).unwrap()
    }

    #[test]
    fn reset_without_admin_auth_asks_for_login() {
        let mut tx = script(&[(
            &[
                0, 0x2C, 2, 0x81, 8, b'4', b'3', b'2', b'1', 0xFF, 0xFF, 0xFF, 0xFF,
            ],
            &[0x69, 0x82],
        )]);
        assert!(matches!(
            reset_user_pin(&mut tx, &PinProfile::ISO, &approved("4321")),
            Err(Error::LoginRequired {
                role: PinRole::Admin
            })
        ));
        assert!(tx.0.is_empty());
    }

    #[test]
    fn two_pin_commands_are_padded_to_a_fixed_split() {
        // Old PIN of 4 digits, new of 6: each block is 8 bytes, so the card splits at byte 8.
        let mut data = b"1234".to_vec();
        data.resize(8, 0xFF);
        data.extend_from_slice(b"975310");
        data.resize(16, 0xFF);
        let mut apdu = vec![0, 0x24, 0, 0x81, 16];
        apdu.extend_from_slice(&data);
        let mut tx = script(&[(&[0, 0x20, 0, 0x81], &[0x63, 0xC3]), (&apdu, &[0x90, 0])]);
        change_user_pin(
            &mut tx,
            &PinProfile::ISO,
            &Pin::new("1234"),
            &approved("975310"),
            FinalTry::Refuse,
        )
        .unwrap();
        assert!(tx.0.is_empty());
    }

    #[test]
    fn two_pin_commands_need_padding() {
        let unpadded = PinProfile {
            padding: None,
            ..PinProfile::ISO
        };
        let mut tx = script(&[]);
        let e = change_user_pin(
            &mut tx,
            &unpadded,
            &Pin::new("1234"),
            &approved("975310"),
            FinalTry::Allow,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
        let e = unblock_with_puk(
            &mut tx,
            &unpadded,
            &AdminPin::new("87654321"),
            &approved("975310"),
            FinalTry::Allow,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
        // A single PIN needs no split: VERIFY still works unpadded.
        let mut tx = script(&[
            (&[0, 0x20, 0, 0x81], &[0x63, 0xC3]),
            (&[0, 0x20, 0, 0x81, 4, b'1', b'2', b'3', b'4'], &[0x90, 0]),
        ]);
        verify_user(&mut tx, &unpadded, &Pin::new("1234"), FinalTry::Refuse).unwrap();
    }

    #[test]
    fn a_pin_longer_than_the_padding_is_refused() {
        let wide = PinProfile {
            max_len: 16,
            ..PinProfile::ISO
        };
        let mut tx = script(&[]);
        assert!(matches!(
            reset_user_pin(&mut tx, &wide, &approved("975310864")),
            Err(Error::PinLengthRange)
        ));
    }

    #[test]
    fn external_authenticate_keeps_the_counter_and_sw() {
        let response = SecretBytes::new(&[7; 8]);
        let mut apdu = vec![0, 0x82, 0, 0x83, 8];
        apdu.extend_from_slice(&[7; 8]);
        let mut tx = script(&[(&apdu, &[0x63, 0xC2])]);
        let e = external_authenticate(&mut tx, &PinProfile::ISO, &response).unwrap_err();
        let Error::VerificationFailed { what } = e else {
            panic!("{e:?}");
        };
        assert!(what.contains("63C2") && what.contains("2 tries"), "{what}");
        assert!(!what.contains("0707"), "{what}");
    }

    #[test]
    fn blocked_counter() {
        let mut tx = script(&[(&[0, 0x20, 0, 0x81], &[0x69, 0x83])]);
        let c = pin_counter(&mut tx, &PinProfile::ISO, PinRole::User).unwrap();
        assert!(c.status.is_locked());
        assert!(!c.verified);
    }
}
