//! Moving a container's key onto a token or another carrier in one call (flow U22: the bank
//! asks a customer with an old CryptoPro folder to put the key on a token).

use token_core::{Carrier, ContainerInfo, KeyImport, Password, Result};

use crate::CryptoProContainer;

/// Unlocks `container` with `pin` and imports its key, with its certificate when it has one,
/// into `carrier` under `label`. The carrier's import writes everything or nothing (flow
/// U03), so a failure leaves the carrier as it was; the container folder is never changed.
///
/// The carrier must be logged in as it requires for an import. A carrier that cannot hold the
/// key's algorithm refuses it with its own error (keycarrier's soft token refuses GOST R
/// 34.10-2001 keys with [`token_core::Error::Unsupported`]).
///
/// ```no_run
/// # fn f(token: &mut dyn token_core::Carrier) -> token_core::Result<()> {
/// use keycarrier_cryptopro_container::{migrate, CryptoProContainer};
/// use token_core::Password;
///
/// let container = CryptoProContainer::open("/media/flash/g2012256.000".as_ref())?;
/// let moved = migrate(&container, &Password::new("1"), token, "Signing key 2019")?;
/// println!("now on the token as container {}", moved.id);
/// # Ok(()) }
/// ```
pub fn migrate(
    container: &CryptoProContainer,
    pin: &Password,
    carrier: &mut dyn Carrier,
    label: &str,
) -> Result<ContainerInfo> {
    let key = container.unlock(pin)?;
    carrier.import(KeyImport {
        label: label.to_owned(),
        id: None,
        private_key_pkcs8: key.private_key_pkcs8().clone(),
        certificates: key
            .certificate_der()
            .map(<[u8]>::to_vec)
            .into_iter()
            .collect(),
    })
}
