//! Key carriers as the user sees them (flow U01): which token is plugged in, is it blank, how
//! much room is left.

use core::fmt;

/// The family of a carrier, as far as the backend can tell. Decides which vendor module or
/// workarounds apply; `Other` is fine for any standard PKCS#11 token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CarrierFamily {
    /// Aktiv Rutoken ECP / ECP 2.0 / Lite.
    Rutoken,
    /// Aladdin JaCarta PKI / GOST.
    JaCarta,
    /// KAZTOKEN (Kazakhstan).
    Kaztoken,
    /// SafeNet / Thales eToken.
    EToken,
    /// Yubico YubiKey (PIV).
    YubiKey,
    /// SoftHSM2, a software PKCS#11 module.
    SoftHsm,
    /// keycarrier's own soft token.
    SoftToken,
    /// Anything else.
    Other,
}

impl CarrierFamily {
    /// Guesses the family from the manufacturer and model strings a module reports.
    ///
    /// ```
    /// use keycarrier_token_core::CarrierFamily;
    /// assert_eq!(CarrierFamily::guess("Aktiv Co.", "Rutoken ECP"), CarrierFamily::Rutoken);
    /// assert_eq!(CarrierFamily::guess("SoftHSM project", "SoftHSM v2"), CarrierFamily::SoftHsm);
    /// ```
    pub fn guess(manufacturer: &str, model: &str) -> Self {
        let text = format!("{manufacturer} {model}").to_ascii_lowercase();
        let rules: [(&str, Self); 9] = [
            ("rutoken", Self::Rutoken),
            ("aktiv", Self::Rutoken),
            ("jacarta", Self::JaCarta),
            ("aladdin", Self::JaCarta),
            ("kaztoken", Self::Kaztoken),
            ("etoken", Self::EToken),
            ("yubi", Self::YubiKey),
            ("softhsm", Self::SoftHsm),
            ("keycarrier", Self::SoftToken),
        ];
        rules
            .into_iter()
            .find(|(needle, _)| text.contains(needle))
            .map_or(Self::Other, |(_, family)| family)
    }
}

impl CarrierFamily {
    /// File names of the PKCS#11 modules that usually serve this family, most specific first.
    /// The one table every crate uses (module discovery, ATR identification).
    ///
    /// Names come from the vendors' Linux packages; the KAZTOKEN names are not verified against
    /// a vendor package here. `Other` maps to OpenSC, which serves many standard cards.
    ///
    /// ```
    /// use keycarrier_token_core::CarrierFamily;
    /// assert_eq!(CarrierFamily::Rutoken.pkcs11_modules(), ["librtpkcs11ecp.so"]);
    /// ```
    pub const fn pkcs11_modules(self) -> &'static [&'static str] {
        match self {
            Self::Rutoken => &["librtpkcs11ecp.so"],
            Self::JaCarta => &["libjcPKCS11-2.so"],
            Self::Kaztoken => &["libkztoken.so", "libkaztoken.so"],
            Self::EToken => &["libeTPkcs11.so"],
            Self::YubiKey => &["libykcs11.so"],
            Self::SoftHsm => &["libsofthsm2.so"],
            Self::SoftToken => &["libsoft_token_pkcs11.so"],
            Self::Other => &["opensc-pkcs11.so"],
        }
    }

    /// Every family, for iterating over [`CarrierFamily::pkcs11_modules`].
    pub const ALL: [Self; 8] = [
        Self::Rutoken,
        Self::JaCarta,
        Self::Kaztoken,
        Self::EToken,
        Self::YubiKey,
        Self::SoftHsm,
        Self::SoftToken,
        Self::Other,
    ];
}

/// What a carrier says about itself.
///
/// ```
/// use keycarrier_token_core::{CarrierInfo, CarrierFamily};
/// let blank = CarrierInfo {
///     family: CarrierFamily::Kaztoken,
///     manufacturer: "KAZTOKEN".into(),
///     model: "KAZTOKEN".into(),
///     serial: "0A1B2C3D".into(),
///     label: None,
///     initialized: false,
///     free_memory: Some(64 * 1024),
///     total_memory: Some(72 * 1024),
/// };
/// assert!(blank.is_blank());
/// assert_eq!(blank.to_string(), "KAZTOKEN <no label> (serial 0A1B2C3D, blank)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierInfo {
    /// Family guessed from the manufacturer and model.
    pub family: CarrierFamily,
    /// Manufacturer, as the carrier reports it.
    pub manufacturer: String,
    /// Model, as the carrier reports it.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Label; `None` when the carrier has none (shown as `<no label>`).
    pub label: Option<String>,
    /// Whether the carrier has been initialised (has an admin PIN and a file system).
    pub initialized: bool,
    /// Free memory in bytes, where the carrier reports it.
    pub free_memory: Option<u64>,
    /// Total memory in bytes, where the carrier reports it.
    pub total_memory: Option<u64>,
}

impl CarrierInfo {
    /// A blank carrier: not initialised, or without a label. Such a carrier can be registered
    /// from scratch (a KAZTOKEN listed as `KAZTOKEN <no label>` is empty).
    pub fn is_blank(&self) -> bool {
        !self.initialized || self.label.is_none()
    }
}

impl fmt::Display for CarrierInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (serial {}",
            self.model,
            self.label.as_deref().unwrap_or("<no label>"),
            self.serial
        )?;
        if self.is_blank() {
            f.write_str(", blank")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_guess() {
        assert_eq!(
            CarrierFamily::guess("Aladdin R.D.", "JaCarta GOST 2.0"),
            CarrierFamily::JaCarta
        );
        assert_eq!(
            CarrierFamily::guess("SafeNet", "eToken 5110"),
            CarrierFamily::EToken
        );
        assert_eq!(
            CarrierFamily::guess("keycarrier", "soft token"),
            CarrierFamily::SoftToken
        );
        assert_eq!(CarrierFamily::guess("ACME", "Widget"), CarrierFamily::Other);
    }

    #[test]
    fn labelled_initialised_carrier_is_not_blank() {
        let c = CarrierInfo {
            family: CarrierFamily::Rutoken,
            manufacturer: "Aktiv Co.".into(),
            model: "Rutoken ECP".into(),
            serial: "1".into(),
            label: Some("Buh".into()),
            initialized: true,
            free_memory: None,
            total_memory: None,
        };
        assert!(!c.is_blank());
        assert_eq!(c.to_string(), "Rutoken ECP Buh (serial 1)");
    }
}
