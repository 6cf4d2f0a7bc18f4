//! Installing an issued certificate into the container of its key (flow U12).

use std::time::SystemTime;

use token_core::{Carrier, CertificateInfo, ContainerId, Error, Result};

/// What was installed, for the "your new certificate is valid from … to …" message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledCertificate {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN (RFC 4514).
    pub issuer: String,
    /// Serial number bytes (big-endian).
    pub serial: Vec<u8>,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
}

/// Checks that `certificate_der` certifies the key in container `id` and is valid at `now`,
/// without writing anything.
pub fn check_certificate<C: Carrier + ?Sized>(
    carrier: &C,
    id: &ContainerId,
    certificate_der: &[u8],
    now: SystemTime,
) -> Result<InstalledCertificate> {
    let info = CertificateInfo::from_der(certificate_der)?;
    let container = carrier.container(id)?;
    if !info.public_key.same_key(&container.public_key) {
        return Err(Error::CertificateMismatch);
    }
    if !info.is_valid_at(now) {
        return Err(Error::NotAllowed {
            reason: "the certificate is not valid now (expired or not yet valid)".into(),
        });
    }
    Ok(InstalledCertificate {
        subject: info.subject,
        issuer: info.issuer,
        serial: info.serial,
        not_before: info.not_before,
        not_after: info.not_after,
    })
}

/// Installs an issued certificate (flow U12): checks it matches the container's key
/// ([`Error::CertificateMismatch`] otherwise) and is within its validity at `now`
/// ([`Error::NotAllowed`] otherwise), then writes it with [`Carrier::write_certificate`]. On any
/// refusal nothing is written. Returns the new validity dates.
pub fn install_certificate<C: Carrier + ?Sized>(
    carrier: &mut C,
    id: &ContainerId,
    certificate_der: &[u8],
    now: SystemTime,
) -> Result<InstalledCertificate> {
    let installed = check_certificate(carrier, id, certificate_der, now)?;
    carrier.write_certificate(id, certificate_der)?;
    Ok(installed)
}
