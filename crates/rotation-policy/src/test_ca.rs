//! **A test fixture, not a CA for production**: an embedded certificate authority for tests,
//! examples and demonstrations, behind the `test-ca` feature so that no production build
//! carries it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use der::asn1::OctetString;
use der::{Decode, Encode};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use token_core::{
    Carrier, CarrierSignature, CertificateInfo, ContainerId, ContainerSigner, Error, Result,
};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder, CrlBuilder};
use x509_cert::crl::RevokedCert;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, CrlNumber, KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use crate::ca::{CertificateAuthority, Poll, RequestId};
use crate::fsutil::{read_optional, write_atomic};

fn builder_err(e: x509_cert::builder::Error) -> Error {
    Error::Malformed {
        what: "certificate",
        at: None,
        reason: e.to_string(),
    }
}

fn extension<T: Encode>(
    oid: der::oid::ObjectIdentifier,
    critical: bool,
    value: &T,
) -> Result<Extension> {
    let bytes = value
        .to_der()
        .map_err(|e| Error::malformed_der("extension", e))?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(bytes).map_err(|e| Error::malformed_der("extension", e))?,
    })
}

struct Profile {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Unsupported {
        what: format!("system randomness: {e}"),
    })?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x01;
    }
    SerialNumber::new(&bytes).map_err(|e| Error::malformed_der("serial number", e))
}

fn validity(not_before: SystemTime, not_after: SystemTime) -> Result<Validity> {
    let t = |at: SystemTime| Time::try_from(at).map_err(|e| Error::malformed_der("time", e));
    Ok(Validity::new(t(not_before)?, t(not_after)?))
}

/// **A test fixture, not a CA for production.** An embedded certificate authority whose key
/// lives in a container on any carrier (a soft token in the tests). It issues GOST R
/// 34.10-2012 (256/512) or RSA certificates, depending on its own key, from PKCS#10 requests
/// whose signature verifies, copying the subject and the requested extensions. It keeps its
/// bookkeeping in a directory (`ca.cer`, `<id>.p10`, `<id>.polls`, `<id>.cer`), so a rotation
/// in another process can poll it, and can be told to answer "pending" for the first N polls.
pub struct TestCa<C: Carrier> {
    carrier: C,
    key: ContainerId,
    certificate: Vec<u8>,
    dir: PathBuf,
    delay_polls: u32,
    validity: Duration,
    backdate: Duration,
    now: SystemTime,
}

impl<C: Carrier> core::fmt::Debug for TestCa<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TestCa")
            .field("key", &self.key)
            .field("dir", &self.dir)
            .field("delay_polls", &self.delay_polls)
            .finish_non_exhaustive()
    }
}

impl<C: Carrier> TestCa<C> {
    /// Makes a self-signed CA certificate (`CN=<common_name>`) for the key in container `key`
    /// of `carrier` (logged in), valid ten years from `now`, and stores it as `dir/ca.cer`.
    pub fn create(
        carrier: C,
        key: ContainerId,
        common_name: &str,
        dir: &Path,
        now: SystemTime,
    ) -> Result<Self> {
        let name: Name = format!("CN={common_name},O=keycarrier test CA")
            .parse()
            .map_err(|e| Error::malformed_der("CA name", e))?;
        let signer = ContainerSigner::new(&carrier, &key)?;
        let spki = signer.public_key().spki().clone();
        let mut usage = KeyUsage(KeyUsages::KeyCertSign.into());
        usage.0 |= KeyUsages::CRLSign;
        let extensions = vec![
            extension(
                token_core::oid::CE_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                },
            )?,
            extension(token_core::oid::CE_KEY_USAGE, true, &usage)?,
        ];
        let profile = Profile {
            issuer: name.clone(),
            subject: name,
            extensions,
        };
        let cert = CertificateBuilder::new(
            profile,
            random_serial()?,
            validity(
                now - Duration::from_secs(3600),
                now + Duration::from_secs(10 * 365 * 86_400),
            )?,
            spki,
        )
        .map_err(builder_err)?
        .build::<_, CarrierSignature>(&signer)
        .map_err(builder_err)?
        .to_der()
        .map_err(|e| Error::malformed_der("certificate", e))?;
        drop(signer);
        write_atomic(&dir.join("ca.cer"), &cert)?;
        Ok(Self {
            carrier,
            key,
            certificate: cert,
            dir: dir.to_path_buf(),
            delay_polls: 0,
            validity: crate::Policy::ONE_YEAR,
            backdate: Duration::from_secs(60),
            now,
        })
    }

    /// Opens a test CA made by [`TestCa::create`] in `dir`, with its key in `key`.
    pub fn open(carrier: C, key: ContainerId, dir: &Path, now: SystemTime) -> Result<Self> {
        let certificate = read_optional(&dir.join("ca.cer"))?.ok_or_else(|| Error::NotFound {
            what: format!("test CA certificate in {}", dir.display()),
        })?;
        CertificateInfo::from_der(&certificate)?;
        Ok(Self {
            carrier,
            key,
            certificate,
            dir: dir.to_path_buf(),
            delay_polls: 0,
            validity: crate::Policy::ONE_YEAR,
            backdate: Duration::from_secs(60),
            now,
        })
    }

    /// Answers "pending" for the first `polls` polls of each request.
    pub fn with_delay(mut self, polls: u32) -> Self {
        self.delay_polls = polls;
        self
    }

    /// Issued certificates are valid for `validity` (default one year).
    pub fn with_validity(mut self, validity: Duration) -> Self {
        self.validity = validity;
        self
    }

    /// Moves the CA's clock.
    pub fn set_now(&mut self, now: SystemTime) {
        self.now = now;
    }

    /// The CA certificate, DER.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The carrier holding the CA key.
    pub fn carrier(&self) -> &C {
        &self.carrier
    }

    /// Issues a certificate for a request at once, valid from `not_before` to `not_after`.
    /// The request's signature must verify. Subject and requested extensions are copied.
    pub fn issue(
        &self,
        request_der: &[u8],
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<Vec<u8>> {
        let request = csr::CertificateRequest::from_der(request_der)?;
        request.verify()?;
        let issuer = Certificate::from_der(&self.certificate)
            .map_err(|e| Error::malformed_der("certificate", e))?
            .tbs_certificate()
            .subject()
            .clone();
        let mut extensions = request.extensions()?;
        let ku = token_core::oid::CE_KEY_USAGE;
        if !extensions.iter().any(|e| e.extn_id == ku) {
            let mut usage = KeyUsage(KeyUsages::DigitalSignature.into());
            usage.0 |= KeyUsages::NonRepudiation;
            usage.0 |= KeyUsages::KeyEncipherment;
            extensions.push(extension(ku, true, &usage)?);
        }
        let profile = Profile {
            issuer,
            subject: request.subject().clone(),
            extensions,
        };
        let spki: SubjectPublicKeyInfoOwned = request.public_key()?.spki().clone();
        let signer = ContainerSigner::new(&self.carrier, &self.key)?;
        CertificateBuilder::new(
            profile,
            random_serial()?,
            validity(not_before, not_after)?,
            spki,
        )
        .map_err(builder_err)?
        .build::<_, CarrierSignature>(&signer)
        .map_err(builder_err)?
        .to_der()
        .map_err(|e| Error::malformed_der("certificate", e))
    }

    /// Issues a CRL at the CA's clock ([`TestCa::set_now`]), valid for `valid_for`, listing
    /// `revoked` (DER certificates with their revocation dates). `number` is the cRLNumber.
    pub fn crl(
        &self,
        number: u32,
        revoked: &[(&[u8], SystemTime)],
        valid_for: Duration,
    ) -> Result<Vec<u8>> {
        let ca = Certificate::from_der(&self.certificate)
            .map_err(|e| Error::malformed_der("certificate", e))?;
        let t = |at: SystemTime| Time::try_from(at).map_err(|e| Error::malformed_der("time", e));
        let mut entries = Vec::with_capacity(revoked.len());
        for (der, at) in revoked {
            let cert =
                Certificate::from_der(der).map_err(|e| Error::malformed_der("certificate", e))?;
            entries.push(RevokedCert {
                serial_number: cert.tbs_certificate().serial_number().clone(),
                revocation_date: t(*at)?,
                crl_entry_extensions: None,
            });
        }
        let number = der::asn1::Uint::new(&number.to_be_bytes())
            .map_err(|e| Error::malformed_der("CRL number", e))?;
        let signer = ContainerSigner::new(&self.carrier, &self.key)?;
        let mut builder = CrlBuilder::new_with_this_update(&ca, CrlNumber(number), t(self.now)?)
            .map_err(|e| Error::malformed_der("CRL", e))?
            .with_next_update(Some(t(self.now + valid_for)?));
        if !entries.is_empty() {
            builder = builder.with_certificates(entries.into_iter());
        }
        builder
            .build::<_, CarrierSignature>(&signer)
            .map_err(builder_err)?
            .to_der()
            .map_err(|e| Error::malformed_der("CRL", e))
    }

    fn polls_path(&self, id: &RequestId) -> PathBuf {
        self.dir.join(format!("{id}.polls"))
    }
}

impl<C: Carrier> CertificateAuthority for TestCa<C> {
    fn submit(&mut self, request_der: &[u8]) -> Result<RequestId> {
        csr::CertificateRequest::from_der(request_der)?;
        let id = RequestId::for_request(request_der);
        let path = self.dir.join(format!("{id}.p10"));
        if read_optional(&path)?.is_none() {
            write_atomic(&path, request_der)?;
        }
        Ok(id)
    }

    fn poll(&mut self, id: &RequestId) -> Result<Poll> {
        let issued = self.dir.join(format!("{id}.cer"));
        if let Some(cert) = read_optional(&issued)? {
            return Ok(Poll::Issued(cert));
        }
        let rejected = self.dir.join(format!("{id}.rejected"));
        if let Some(reason) = read_optional(&rejected)? {
            return Ok(Poll::Rejected {
                reason: String::from_utf8_lossy(&reason).into_owned(),
            });
        }
        let request =
            read_optional(&self.dir.join(format!("{id}.p10")))?.ok_or_else(|| Error::NotFound {
                what: format!("request {id} at the test CA"),
            })?;
        let polls = read_optional(&self.polls_path(id))?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(0);
        if polls < self.delay_polls {
            write_atomic(&self.polls_path(id), (polls + 1).to_string().as_bytes())?;
            return Ok(Poll::Pending {
                retry_after: Duration::from_secs(3600),
            });
        }
        match self.issue(&request, self.now - self.backdate, self.now + self.validity) {
            Ok(cert) => {
                write_atomic(&issued, &cert)?;
                Ok(Poll::Issued(cert))
            }
            Err(e @ (Error::VerificationFailed { .. } | Error::Malformed { .. })) => {
                let reason = format!("request refused: {e}");
                write_atomic(&rejected, reason.as_bytes())?;
                Ok(Poll::Rejected { reason })
            }
            Err(e) => Err(e),
        }
    }
}
