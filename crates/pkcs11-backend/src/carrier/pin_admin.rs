//! PIN administration (flows U05, U06): change the user or admin PIN (`C_SetPIN`), reset the
//! user PIN with the admin PIN (`C_InitPIN` as SO), unblock it keeping it (Rutoken's vendor
//! `C_EX_UnblockUserPIN`, only for the vendors the crate docs list).

use token_core::{AdminPin, Approved, Carrier, Error, FinalTry, Pin, PinRole, Result};

use super::Pkcs11Carrier;
use super::login::auth_pin;
use crate::error::{ck, ck_as, map_ckr};

impl Pkcs11Carrier {
    pub(super) fn set_user_pin(
        &mut self,
        old: &Pin,
        new: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()> {
        self.pin_status(PinRole::User)?.guard(final_try)?;
        let (old, new) = (auth_pin(old.expose())?, auth_pin(new.expose())?);
        // C_SetPIN changes the PIN of whoever is logged in, the user PIN in a public session.
        let logged_in_as_so = self.pool.run(|s| {
            Ok(s.get_session_info()
                .map_err(ck("C_GetSessionInfo"))?
                .session_state()
                == cryptoki::session::SessionState::RwSecurityOfficer)
        })?;
        if logged_in_as_so {
            self.logout_quietly()?;
        }
        let r = self.pool.run(|s| {
            s.set_pin(&old, &new)
                .map_err(ck_as("C_SetPIN", PinRole::User))
        });
        self.finish_login(PinRole::User, r)
    }

    pub(super) fn set_admin_pin(
        &mut self,
        old: &AdminPin,
        new: &Approved<AdminPin>,
        final_try: FinalTry,
    ) -> Result<()> {
        // The guard runs before anything changes, so a refused final try leaves the current
        // login in place; `login_as` then ends it before C_Login.
        self.pin_status(PinRole::Admin)?.guard(final_try)?;
        let new = auth_pin(new.expose())?;
        let old_auth = auth_pin(old.expose())?;
        self.login_as(PinRole::Admin, old.expose(), final_try)?;
        let r = self.pool.run(|s| {
            s.set_pin(&old_auth, &new)
                .map_err(ck_as("C_SetPIN", PinRole::Admin))
        });
        let r = self.finish_login(PinRole::Admin, r);
        let out = self.logout_quietly();
        r.and(out)
    }

    pub(super) fn reset_user_pin(
        &mut self,
        admin: &AdminPin,
        new_user_pin: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()> {
        // As in `change_admin_pin`: guard first, before the current login is ended.
        self.pin_status(PinRole::Admin)?.guard(final_try)?;
        let new = auth_pin(new_user_pin.expose())?;
        self.login_as(PinRole::Admin, admin.expose(), final_try)?;
        let r = self
            .pool
            // C_InitPIN runs in the SO's login: a login error there concerns the admin.
            .run(|s| s.init_pin(&new).map_err(ck_as("C_InitPIN", PinRole::Admin)));
        let out = self.logout_quietly();
        r.and(out)
    }

    /// SO login, then the vendor `C_EX_UnblockUserPIN` on the SO's read-write session, then
    /// logout. Without the vendor function: [`Error::Unsupported`] before any PIN is sent.
    pub(super) fn unblock_user_pin(&mut self, admin: &AdminPin, final_try: FinalTry) -> Result<()> {
        if !self.can_unblock_pin() {
            return Err(Error::Unsupported {
                what: format!(
                    "unblocking the user PIN while keeping it: {} has no C_EX_UnblockUserPIN \
                     (reset_pin sets a new user PIN instead)",
                    self.module().path().display()
                ),
            });
        }
        self.login_as(PinRole::Admin, admin.expose(), final_try)?;
        let raw = &self.module().raw();
        let r = self.pool.run(|s| match raw.unblock_user_pin(s) {
            Some(r) => r.map_err(|e| map_ckr(e.function, e.ckr, PinRole::Admin)),
            None => Err(Error::Unsupported {
                what: "C_EX_UnblockUserPIN".into(),
            }),
        });
        let out = self.logout_quietly();
        r.and(out)
    }
}
