//! Logging in and out (user and admin), on a PIN pad too, and the one "login required" check
//! every private-key verb runs first, so PKCS#11 tokens answer like the soft token
//! ([`Error::LoginRequired`], `KC-LOGIN-REQUIRED`) instead of "not found".

use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::types::{AuthPin, RawAuthPin};
use token_core::{Carrier, Error, FinalTry, PinRole, Result};

use super::Pkcs11Carrier;
use crate::error::{ck, ck_as};

/// A PIN as `cryptoki`'s text PIN type, for the calls that take no raw bytes (`C_SetPIN`,
/// `C_InitPIN`, `C_InitToken`).
pub(super) fn auth_pin(bytes: &[u8]) -> Result<AuthPin> {
    let text = core::str::from_utf8(bytes).map_err(|_| Error::Unsupported {
        what: "a PIN that is not UTF-8 for this operation".into(),
    })?;
    Ok(AuthPin::from(text.to_string()))
}

/// A PIN as bytes for `C_Login` (zeroized on drop by `cryptoki`'s secret type).
fn raw_pin(bytes: &[u8]) -> RawAuthPin {
    RawAuthPin::new(Box::new(bytes.to_vec()))
}

/// The PKCS#11 user type of a PIN role (admin = security officer).
fn user_type(role: PinRole) -> UserType {
    match role {
        PinRole::User => UserType::User,
        PinRole::Admin => UserType::So,
    }
}

impl Pkcs11Carrier {
    /// Whether the carrier has a PIN pad (protected authentication path): the PIN is then
    /// typed on the device and [`Self::login_on_device`] is used instead of [`Carrier::login`].
    pub fn has_pin_pad(&self) -> Result<bool> {
        Ok(self.token_info()?.protected_authentication_path())
    }

    /// Logs in with the PIN typed on the carrier's own PIN pad (protected authentication path).
    /// The final-try guard applies as for a typed PIN.
    pub fn login_on_device(&mut self, role: PinRole, final_try: FinalTry) -> Result<()> {
        self.pin_status(role)?.guard(final_try)?;
        self.logout_before_login()?;
        let r = self.pool.run(|s| {
            s.login(user_type(role), None)
                .map_err(ck_as("C_Login", role))
        });
        self.finish_login(role, r)
    }

    /// After a PIN call: a wrong PIN is reported with what the token's flags say about the
    /// attempts left.
    ///
    /// `CKR_USER_ALREADY_LOGGED_IN` is *not* success: modules (SoftHSM among them) return it
    /// before they look at the PIN, so taking it as success would accept any PIN while logged
    /// in. [`Self::login_as`] logs out first, so the PIN is always checked.
    pub(super) fn finish_login(&self, role: PinRole, r: Result<()>) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            Err(Error::WrongPin { role: r2, .. }) => {
                let status = self.pin_status(r2)?;
                if status.is_locked() {
                    Err(Error::PinLocked { role: r2 })
                } else {
                    Err(Error::WrongPin {
                        role: r2,
                        retries_left: status.retries_left,
                    })
                }
            }
            Err(e) => Err(e.with_role(role)),
        }
    }

    /// Logs in as `role`; the final-try guard runs first, then any login of this application
    /// (as either role) is ended, so `C_Login` always checks the PIN.
    pub(super) fn login_as(&self, role: PinRole, pin: &[u8], final_try: FinalTry) -> Result<()> {
        self.pin_status(role)?.guard(final_try)?;
        self.logout_before_login()?;
        let r = self.pool.run(|s| {
            s.login_with_raw(user_type(role), &raw_pin(pin))
                .map_err(ck_as("C_Login", role))
        });
        self.finish_login(role, r)
    }

    /// Ends the application's login (if any) before a new `C_Login`: a module answers
    /// `CKR_USER_ALREADY_LOGGED_IN` without checking the PIN, and
    /// `CKR_USER_ANOTHER_ALREADY_LOGGED_IN` when the other role is logged in.
    pub(super) fn logout_before_login(&self) -> Result<()> {
        // Private key handles may not survive a change of login state.
        self.forget_keys();
        self.logout_quietly()
    }

    /// `C_Logout`, where "not logged in" (`CKR_USER_NOT_LOGGED_IN`, mapped to
    /// `LoginRequired`) counts as done.
    pub(super) fn logout_quietly(&self) -> Result<()> {
        match self.pool.run(|s| s.logout().map_err(ck("C_Logout"))) {
            Ok(()) | Err(Error::LoginRequired { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// [`Error::LoginRequired`] unless the user is logged in on session `s` (login state is
    /// per token, so any session of the pool tells). Run first by every verb that uses or
    /// changes a container's private key, so the answer is the soft token's: a PKCS#11 module
    /// would otherwise say "not found" (private objects are invisible) or, for public objects,
    /// change half a container.
    pub(super) fn require_user_login(&self, s: &Session) -> Result<()> {
        let state = s
            .get_session_info()
            .map_err(ck("C_GetSessionInfo"))?
            .session_state();
        match state {
            SessionState::RoUser | SessionState::RwUser => Ok(()),
            _ => Err(Error::LoginRequired {
                role: PinRole::User,
            }),
        }
    }
}

/// Names the PIN role a login or PIN error concerns, where the module's answer could not.
trait WithRole {
    /// The same error, about `role`.
    fn with_role(self, role: PinRole) -> Self;
}

impl WithRole for Error {
    fn with_role(self, role: PinRole) -> Self {
        match self {
            Error::PinLocked { .. } => Error::PinLocked { role },
            Error::LoginRequired { .. } => Error::LoginRequired { role },
            e => e,
        }
    }
}
