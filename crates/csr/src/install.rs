//! Installing an issued certificate into the container of its key (flow U12), verified first.
//!
//! A certificate that arrives from a CA (by e-mail, a folder, a bank portal) is untrusted until
//! checked: it must be issued by a CA the caller trusts (a valid RFC 5280 path to one of its
//! anchors), certify *this* container's public key, carry the subject that was requested, and
//! be valid now. Only then is it written; on any refusal nothing is written.

use std::time::SystemTime;

use der::Decode;
use token_core::{Carrier, CertificateInfo, ContainerId, Error, Result};
use trust::{
    KeyPurpose, NoRevocation, RevocationPolicy, RevocationSource, TrustAnchors, ValidatedPath,
    ValidationOptions,
};
use x509_cert::Certificate;
use x509_cert::name::Name;

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

impl InstalledCertificate {
    /// The summary of a certificate.
    pub fn from_info(info: CertificateInfo) -> Self {
        Self {
            subject: info.subject,
            issuer: info.issuer,
            serial: info.serial,
            not_before: info.not_before,
            not_after: info.not_after,
        }
    }
}

/// How an issued certificate is checked before it is installed.
///
/// ```
/// # fn main() -> token_core::Result<()> {
/// # let bank_ca = Vec::new();
/// use std::time::SystemTime;
/// let mut anchors = trust::TrustAnchors::new();
/// # if false {
/// anchors.add_der(&bank_ca)?;
/// # }
/// let check = keycarrier_csr::InstallCheck::new(&anchors, SystemTime::now());
/// # let _ = check;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy)]
pub struct InstallCheck<'a> {
    anchors: &'a TrustAnchors,
    intermediates: &'a [Vec<u8>],
    revocation: &'a dyn RevocationSource,
    revocation_policy: RevocationPolicy,
    subject: Option<&'a Name>,
    now: SystemTime,
}

impl core::fmt::Debug for InstallCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InstallCheck")
            .field("anchors", &self.anchors.len())
            .field("intermediates", &self.intermediates.len())
            .field("revocation_policy", &self.revocation_policy)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

static NO_REVOCATION: NoRevocation = NoRevocation;

impl<'a> InstallCheck<'a> {
    /// The certificate must chain to one of `anchors` and be valid at `now`.
    ///
    /// Revocation: a certificate the CA has just issued is rarely on a CRL yet, and offline
    /// exchanges bring no CRL, so missing revocation information is accepted here (with a
    /// warning in the path); a CRL or OCSP response given with [`Self::with_revocation`] is
    /// checked, and [`Self::with_revocation_policy`] can require one.
    pub fn new(anchors: &'a TrustAnchors, now: SystemTime) -> Self {
        Self {
            anchors,
            intermediates: &[],
            revocation: &NO_REVOCATION,
            revocation_policy: RevocationPolicy::WarnIfUnavailable,
            subject: None,
            now,
        }
    }

    /// CA certificates that may complete the path (the CA's intermediate certificates).
    pub fn with_intermediates(mut self, intermediates: &'a [Vec<u8>]) -> Self {
        self.intermediates = intermediates;
        self
    }

    /// Where CRLs and OCSP responses come from.
    pub fn with_revocation(mut self, source: &'a dyn RevocationSource) -> Self {
        self.revocation = source;
        self
    }

    /// What to do when no revocation information covers a certificate of the path.
    pub fn with_revocation_policy(mut self, policy: RevocationPolicy) -> Self {
        self.revocation_policy = policy;
        self
    }

    /// The subject that was requested: the certificate must carry exactly this name.
    pub fn with_subject(mut self, subject: &'a Name) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Checks `certificate_der` for the container whose public key is given.
    pub fn check(
        &self,
        container_key: &token_core::PublicKey,
        certificate_der: &[u8],
    ) -> Result<(InstalledCertificate, ValidatedPath)> {
        let info = CertificateInfo::from_der(certificate_der)?;
        if !info.public_key.same_key(container_key) {
            return Err(Error::CertificateMismatch);
        }
        if let Some(want) = self.subject {
            let cert = Certificate::from_der(certificate_der)
                .map_err(|e| Error::malformed_der("certificate", e))?;
            if cert.tbs_certificate().subject() != want {
                return Err(Error::Untrusted {
                    code: "KC-TRUST-SUBJECT",
                    reason: format!(
                        "the certificate's subject \"{}\" is not the requested \"{}\"",
                        info.subject,
                        token_core::x509_name_text(want)
                    ),
                });
            }
        }
        let options = ValidationOptions::new(self.now, KeyPurpose::Any)
            .with_revocation(self.revocation_policy);
        let path = trust::validate(
            certificate_der,
            self.intermediates,
            self.anchors,
            self.revocation,
            &options,
        )?;
        Ok((InstalledCertificate::from_info(info), path))
    }
}

/// Checks that `certificate_der` may be installed into container `id` (see [`InstallCheck`]),
/// without writing anything.
pub fn check_certificate<C: Carrier + ?Sized>(
    carrier: &C,
    id: &ContainerId,
    certificate_der: &[u8],
    check: &InstallCheck<'_>,
) -> Result<InstalledCertificate> {
    let container = carrier.container(id)?;
    Ok(check.check(&container.public_key, certificate_der)?.0)
}

/// Installs an issued certificate (flow U12): refuses one of another key
/// ([`Error::CertificateMismatch`]), one that does not chain to the caller's trust anchors, is
/// not valid now, or names another subject ([`Error::Untrusted`]), then writes it with
/// [`Carrier::write_certificate`]. On any refusal nothing is written. Returns the new validity
/// dates.
pub fn install_certificate<C: Carrier + ?Sized>(
    carrier: &mut C,
    id: &ContainerId,
    certificate_der: &[u8],
    check: &InstallCheck<'_>,
) -> Result<InstalledCertificate> {
    let installed = check_certificate(carrier, id, certificate_der, check)?;
    carrier.write_certificate(id, certificate_der)?;
    Ok(installed)
}
