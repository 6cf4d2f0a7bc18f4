//! The certificate authority interface (flow U19's submit and wait steps), the offline
//! folder exchange, and (feature `test-ca`) an embedded test CA.

use std::path::PathBuf;
use std::time::Duration;

use token_core::{CertificateInfo, Error, Result};

use crate::fsutil::{hex, read_optional, write_atomic};

/// The CA's name for a submitted request. Only `[0-9A-Za-z_.-]`, 1–64 characters, not
/// starting with a dot, so it is safe as a file name and in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// Checks and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 64
            && !id.starts_with('.')
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(Self(id))
        } else {
            Err(Error::Malformed {
                what: "request id",
                at: None,
                reason: "expected 1-64 characters of [0-9A-Za-z_.-]".into(),
            })
        }
    }

    /// The id a request gets from its bytes: the first 10 bytes of SHA-1 in hex. Submitting
    /// the same request twice yields the same id (submission is idempotent).
    pub fn for_request(request_der: &[u8]) -> Self {
        use sha1::Digest as _;
        let d = sha1::Sha1::digest(request_der);
        Self(hex(d.get(..10).unwrap_or(&d)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Display for RequestId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the CA says about a submitted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Issued: the certificate, DER.
    Issued(Vec<u8>),
    /// Not yet; ask again after this long (issuing may take hours).
    Pending {
        /// Suggested wait.
        retry_after: Duration,
    },
    /// Refused by the bank.
    Rejected {
        /// The bank's reason.
        reason: String,
    },
}

/// A certificate authority as the rotation sees it: submit a PKCS#10 request, then poll.
///
/// `submit` must be idempotent for the same request bytes (a rotation resumed after a crash
/// between submitting and journaling submits again).
pub trait CertificateAuthority {
    /// Submits a DER PKCS#10 request.
    fn submit(&mut self, request_der: &[u8]) -> Result<RequestId>;
    /// Asks about a submitted request.
    fn poll(&mut self, id: &RequestId) -> Result<Poll>;
}

/// Parses a certificate file as DER or PEM, checking it parses as a certificate.
pub fn read_certificate(bytes: &[u8]) -> Result<Vec<u8>> {
    let der = if bytes.starts_with(b"-----BEGIN") {
        let (label, der) = pem_rfc7468::decode_vec(bytes).map_err(|e| Error::Malformed {
            what: "certificate PEM",
            at: None,
            reason: e.to_string(),
        })?;
        if label != "CERTIFICATE" {
            return Err(Error::Malformed {
                what: "certificate PEM",
                at: None,
                reason: format!("unexpected label {label}"),
            });
        }
        der
    } else {
        bytes.to_vec()
    };
    CertificateInfo::from_der(&der)?;
    Ok(der)
}

/// The offline path: requests are written to an outbox folder (`<id>.p10`, DER) for the user
/// to carry to the bank; the issued certificate is later dropped into an inbox folder as
/// `<id>.cer` (DER or PEM), or a refusal as `<id>.rejected` (text).
#[derive(Debug, Clone)]
pub struct FolderExchange {
    outbox: PathBuf,
    inbox: PathBuf,
    retry_after: Duration,
}

impl FolderExchange {
    /// Requests go to `outbox`, answers come from `inbox` (may be the same folder). Polls say
    /// "ask again in an hour" while nothing has arrived.
    pub fn new(outbox: impl Into<PathBuf>, inbox: impl Into<PathBuf>) -> Self {
        Self {
            outbox: outbox.into(),
            inbox: inbox.into(),
            retry_after: Duration::from_secs(3600),
        }
    }

    /// Where the request with `id` is written.
    pub fn request_path(&self, id: &RequestId) -> PathBuf {
        self.outbox.join(format!("{id}.p10"))
    }

    /// Where the certificate for `id` is expected.
    pub fn certificate_path(&self, id: &RequestId) -> PathBuf {
        self.inbox.join(format!("{id}.cer"))
    }

    /// Where a refusal for `id` is expected.
    pub fn rejection_path(&self, id: &RequestId) -> PathBuf {
        self.inbox.join(format!("{id}.rejected"))
    }
}

impl CertificateAuthority for FolderExchange {
    fn submit(&mut self, request_der: &[u8]) -> Result<RequestId> {
        csr::CertificateRequest::from_der(request_der)?;
        let id = RequestId::for_request(request_der);
        write_atomic(&self.request_path(&id), request_der)?;
        Ok(id)
    }

    fn poll(&mut self, id: &RequestId) -> Result<Poll> {
        if let Some(bytes) = read_optional(&self.certificate_path(id))? {
            return Ok(Poll::Issued(read_certificate(&bytes)?));
        }
        if let Some(bytes) = read_optional(&self.rejection_path(id))? {
            let text = String::from_utf8_lossy(bytes.get(..1024).unwrap_or(&bytes));
            return Ok(Poll::Rejected {
                reason: text.trim().to_owned(),
            });
        }
        Ok(Poll::Pending {
            retry_after: self.retry_after,
        })
    }
}

#[cfg(feature = "test-ca")]
pub use crate::test_ca::TestCa;
