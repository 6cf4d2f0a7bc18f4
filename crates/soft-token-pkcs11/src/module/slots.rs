//! Slots and tokens (C_GetTokenInfo, C_InitToken), sessions, login and PINs.

use cryptoki_sys::*;
use token_core::{
    AdminPin, Approved, Carrier, Error, FinalTry, Pin, PinAlphabet, PinPolicy, PinRole, PinStatus,
};

use super::{Module, Session, SessionDesc, TokenDesc};
use crate::consts::{MAX_PIN_LEN, MIN_PIN_LEN};
use crate::errors::{R, ck, rv};

fn session_state(role: Option<PinRole>, rw: bool) -> CK_STATE {
    match (role, rw) {
        (Some(PinRole::Admin), _) => CKS_RW_SO_FUNCTIONS,
        (Some(PinRole::User), true) => CKS_RW_USER_FUNCTIONS,
        (Some(PinRole::User), false) => CKS_RO_USER_FUNCTIONS,
        (None, true) => CKS_RW_PUBLIC_SESSION,
        (None, false) => CKS_RO_PUBLIC_SESSION,
    }
}

fn pin_flags(status: &PinStatus, so: bool) -> CK_FLAGS {
    let mut f = 0;
    let (low, last, locked, change) = if so {
        (
            CKF_SO_PIN_COUNT_LOW,
            CKF_SO_PIN_FINAL_TRY,
            CKF_SO_PIN_LOCKED,
            CKF_SO_PIN_TO_BE_CHANGED,
        )
    } else {
        (
            CKF_USER_PIN_COUNT_LOW,
            CKF_USER_PIN_FINAL_TRY,
            CKF_USER_PIN_LOCKED,
            CKF_USER_PIN_TO_BE_CHANGED,
        )
    };
    if status.count_low && !status.is_locked() {
        f |= low;
    }
    if status.is_final_try() {
        f |= last;
    }
    if status.is_locked() {
        f |= locked;
    }
    if status.must_change {
        f |= change;
    }
    f
}

/// The PIN rules of the PKCS#11 interface: length 4..=64, printable ASCII. The bank PIN policy
/// belongs to the applications above PKCS#11.
fn pkcs11_policy() -> PinPolicy {
    PinPolicy {
        min_length: MIN_PIN_LEN,
        max_length: Some(MAX_PIN_LEN),
        alphabet: PinAlphabet::PrintableAscii,
        max_sequence: None,
        forbidden: Vec::new(),
        ..PinPolicy::default()
    }
}

fn pin_len_ok(pin: &[u8]) -> R<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(CKR_PIN_LEN_RANGE)
    }
}

fn approve(pin: &[u8]) -> R<Approved<Pin>> {
    pin_len_ok(pin)?;
    pkcs11_policy()
        .approve(Pin::from_bytes(pin), None)
        .map_err(|v| rv(&Error::PinPolicy(v)))
}

fn approve_admin(pin: &[u8]) -> R<Approved<AdminPin>> {
    pin_len_ok(pin)?;
    pkcs11_policy()
        .approve(AdminPin::from_bytes(pin), None)
        .map_err(|v| rv(&Error::PinPolicy(v)))
}

impl Module {
    /// The slot ids.
    pub(crate) fn slot_list(&self) -> Vec<CK_SLOT_ID> {
        self.slots.iter().map(|s| s.id).collect()
    }

    /// Checks a slot id (C_GetSlotInfo).
    pub(crate) fn check_slot(&self, id: CK_SLOT_ID) -> R<()> {
        self.slot(id).map(drop)
    }

    /// C_GetTokenInfo.
    pub(crate) fn token_info(&self, id: CK_SLOT_ID) -> R<TokenDesc> {
        let slot = self.slot(id)?;
        let info = ck(slot.token.info())?;
        let sessions = self.sessions.values().filter(|s| s.slot == id);
        let (count, rw) = sessions.fold((0, 0), |(n, rw), s| (n + 1, rw + usize::from(s.rw)));
        let mut flags = CKF_RNG;
        if info.initialized {
            flags |= CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED;
            if ck(slot.token.user_pin_is_set())? {
                flags |= CKF_USER_PIN_INITIALIZED;
                flags |= pin_flags(&ck(slot.token.pin_status(PinRole::User))?, false);
            }
            flags |= pin_flags(&ck(slot.token.pin_status(PinRole::Admin))?, true);
        }
        Ok(TokenDesc {
            label: info.label.unwrap_or_default(),
            serial: info.serial,
            flags,
            sessions: count,
            rw_sessions: rw,
        })
    }

    /// C_InitToken.
    pub(crate) fn init_token(&mut self, id: CK_SLOT_ID, so_pin: &[u8], label: &str) -> R<()> {
        if self.sessions.values().any(|s| s.slot == id) {
            return Err(CKR_SESSION_EXISTS);
        }
        let iterations = self.kdf_iterations;
        let slot = self.slot_mut(id)?;
        pin_len_ok(so_pin)?;
        ck(slot
            .token
            .init_token(&AdminPin::from_bytes(so_pin), label, iterations))
    }

    /// C_OpenSession.
    pub(crate) fn open_session(&mut self, id: CK_SLOT_ID, flags: CK_FLAGS) -> R<CK_SESSION_HANDLE> {
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
        }
        let slot = self.slot(id)?;
        let rw = flags & CKF_RW_SESSION != 0;
        if !rw && slot.token.role() == Some(PinRole::Admin) {
            return Err(CKR_SESSION_READ_WRITE_SO_EXISTS);
        }
        let h = self.next_session;
        self.next_session = h.checked_add(1).ok_or(CKR_SESSION_COUNT)?;
        self.sessions.insert(
            h,
            Session {
                slot: id,
                rw,
                find: None,
                sign: None,
                verify: None,
                digest: None,
                encrypt: None,
                decrypt: None,
            },
        );
        Ok(h)
    }

    /// C_CloseSession; the last session closed on a token logs it out.
    pub(crate) fn close_session(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let s = self.sessions.remove(&h).ok_or(CKR_SESSION_HANDLE_INVALID)?;
        self.session_objects.retain(|_, o| o.owner != h);
        if !self.sessions.values().any(|o| o.slot == s.slot) {
            ck(self.slot_mut(s.slot)?.token.logout())?;
        }
        Ok(())
    }

    /// C_CloseAllSessions.
    pub(crate) fn close_all_sessions(&mut self, id: CK_SLOT_ID) -> R<()> {
        self.slot(id)?;
        self.sessions.retain(|_, s| s.slot != id);
        self.session_objects.retain(|_, o| o.slot != id);
        ck(self.slot_mut(id)?.token.logout())
    }

    /// C_GetSessionInfo.
    pub(crate) fn session_info(&self, h: CK_SESSION_HANDLE) -> R<SessionDesc> {
        let s = self.session(h)?;
        let role = self.token(h)?.role();
        Ok(SessionDesc {
            slot: s.slot,
            state: session_state(role, s.rw),
            flags: CKF_SERIAL_SESSION | if s.rw { CKF_RW_SESSION } else { 0 },
        })
    }

    /// C_Login.
    pub(crate) fn login(&mut self, h: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> R<()> {
        let slot = self.session(h)?.slot;
        let has_ro = self.sessions.values().any(|s| s.slot == slot && !s.rw);
        let token = self.token_mut(h)?;
        let role = match user {
            CKU_SO => PinRole::Admin,
            CKU_USER => PinRole::User,
            CKU_CONTEXT_SPECIFIC => {
                // Re-authentication for a key: only meaningful with CKA_ALWAYS_AUTHENTICATE
                // keys, which this token does not make; check the PIN all the same.
                if token.role() != Some(PinRole::User) {
                    return Err(CKR_USER_NOT_LOGGED_IN);
                }
                pin_len_ok(pin)?;
                return ck(token.login(&Pin::from_bytes(pin), FinalTry::Allow));
            }
            _ => return Err(CKR_USER_TYPE_INVALID),
        };
        match token.role() {
            Some(r) if r == role => return Err(CKR_USER_ALREADY_LOGGED_IN),
            Some(_) => return Err(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
            None => {}
        }
        let user_pin_set = ck(token.user_pin_is_set())?;
        if role == PinRole::Admin && has_ro {
            return Err(CKR_SESSION_READ_ONLY_EXISTS);
        }
        if role == PinRole::User && !user_pin_set {
            return Err(CKR_USER_PIN_NOT_INITIALIZED);
        }
        pin_len_ok(pin)?;
        let allow = FinalTry::Allow;
        ck(match role {
            PinRole::User => token.login(&Pin::from_bytes(pin), allow),
            PinRole::Admin => token.login_admin(&AdminPin::from_bytes(pin), allow),
        })
    }

    /// C_Logout.
    pub(crate) fn logout(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let slot = self.session(h)?.slot;
        let token = self.token_mut(h)?;
        if token.role().is_none() {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        ck(token.logout())?;
        for s in self.sessions.values_mut().filter(|s| s.slot == slot) {
            s.sign = None;
            s.find = None;
        }
        Ok(())
    }

    /// C_InitPIN.
    pub(crate) fn init_pin(&mut self, h: CK_SESSION_HANDLE, pin: &[u8]) -> R<()> {
        let rw = self.session(h)?.rw;
        let token = self.token(h)?;
        if token.role() != Some(PinRole::Admin) {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if !rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        ck(token.init_user_pin(&approve(pin)?))
    }

    /// C_SetPIN: the SO's PIN when the SO is logged in, else the user's.
    pub(crate) fn set_pin(&mut self, h: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> R<()> {
        if !self.session(h)?.rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        let token = self.token_mut(h)?;
        let allow = FinalTry::Allow;
        pin_len_ok(old)?;
        if token.role() == Some(PinRole::Admin) {
            let new = approve_admin(new)?;
            ck(token.change_admin_pin(&AdminPin::from_bytes(old), &new, allow))
        } else {
            if !ck(token.user_pin_is_set())? {
                return Err(CKR_USER_PIN_NOT_INITIALIZED);
            }
            let new = approve(new)?;
            if token.role().is_none() && ck(token.pin_status(PinRole::User))?.is_locked() {
                // OpenSC's unblock convention (`pkcs11-tool --unlock-pin --puk …`): C_SetPIN
                // in a public session on a blocked user PIN takes the unblock code — here the
                // SO PIN — as the old PIN and sets the new user PIN.
                return ck(token.reset_pin(&AdminPin::from_bytes(old), &new, allow));
            }
            ck(token.change_pin(&Pin::from_bytes(old), &new, allow))
        }
    }

    /// Rutoken's `C_EX_UnblockUserPIN`: needs the SO logged in on the session's token; resets
    /// the user PIN's retry counter and keeps the PIN.
    pub(crate) fn unblock_user_pin(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let token = self.token(h)?;
        if token.role() != Some(PinRole::Admin) {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if !ck(token.user_pin_is_set())? {
            return Err(CKR_USER_PIN_NOT_INITIALIZED);
        }
        ck(token.unblock_user_pin())
    }
}
