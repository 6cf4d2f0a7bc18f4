//! Formatting the carrier (`C_InitToken`): every object goes, the admin PIN stays, the label
//! is kept unless a new one is given, and the user PIN must be set again.

use token_core::{AdminPin, Carrier, Error, FinalTry, PinRole, Result};

use super::Pkcs11Carrier;
use super::login::auth_pin;
use crate::error::from_cryptoki;

/// The longest token label PKCS#11 can hold (`CK_TOKEN_INFO.label` is 32 bytes, blank padded).
const TOKEN_LABEL_LEN: usize = 32;

impl Pkcs11Carrier {
    pub(super) fn format_carrier(
        &mut self,
        admin: &AdminPin,
        new_label: Option<&str>,
    ) -> Result<()> {
        let info = self.token_info()?;
        if info.token_initialized() {
            self.pin_status(PinRole::Admin)?.guard(FinalTry::Refuse)?;
        }
        let label = match new_label {
            // cryptoki would cut a longer label silently; refuse it instead.
            Some(l) if l.len() > TOKEN_LABEL_LEN => {
                return Err(Error::Malformed {
                    what: "carrier label",
                    at: Some(TOKEN_LABEL_LEN),
                    reason: format!(
                        "{} bytes of UTF-8; a PKCS#11 token label holds {TOKEN_LABEL_LEN}",
                        l.len()
                    ),
                });
            }
            Some(l) => l.to_string(),
            None => info.label().trim().to_string(),
        };
        let pin = auth_pin(admin.expose())?;
        self.forget_keys();
        // C_InitToken refuses to run while this application has sessions on the token.
        self.pool.close_all();
        let r = self
            .module()
            .ctx()
            .init_token(self.pool.slot(), &pin, &label)
            .map_err(|e| from_cryptoki("C_InitToken", e, PinRole::Admin));
        self.finish_login(PinRole::Admin, r)?;
        // A blank carrier gets its serial now.
        let serial = self
            .module()
            .ctx()
            .get_token_info(self.pool.slot())
            .ok()
            .map(|t| t.serial_number().trim().to_string());
        *self.serial.lock().unwrap_or_else(|p| p.into_inner()) = serial;
        Ok(())
    }
}
