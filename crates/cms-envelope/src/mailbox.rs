//! The received-documents box of flow U17: envelopes the bank sent, opened one by one with the
//! key they were encrypted to, and a count of what is still unread for each certificate — the
//! number key rotation waits on, because a new key cannot read documents encrypted to the old
//! one.

use std::sync::{Mutex, MutexGuard};

use token_core::{Error, Result};
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::envelope::{Envelope, RecipientKey};

/// The number the mailbox gave a received envelope (0, 1, 2, … in order of arrival).
pub type DocumentNumber = usize;

/// One opened document.
#[derive(Debug)]
pub struct Letter {
    /// Which received envelope it was.
    pub number: DocumentNumber,
    /// The decrypted content.
    pub content: Zeroizing<Vec<u8>>,
}

#[derive(Debug)]
struct Slot {
    envelope: Envelope,
    read: bool,
}

/// Received envelopes and which of them are read. Shared by reference: the methods take
/// `&self` (a mutex inside), so the rotation can ask for the unread count while the
/// application opens letters.
///
/// ```no_run
/// # fn f(carrier: &dyn token_core::Carrier, id: &token_core::ContainerId, cert: &[u8],
/// #      incoming: Vec<Vec<u8>>) -> token_core::Result<()> {
/// use keycarrier_cms_envelope::{Mailbox, RecipientKey};
/// let mailbox = Mailbox::new();
/// for p7m in &incoming {
///     mailbox.receive(p7m)?;
/// }
/// let key = RecipientKey { carrier, container: id, certificate: cert };
/// while let Some(letter) = mailbox.open_next(&key)? {
///     // hand letter.content to the application
/// #   let _ = letter;
/// }
/// assert_eq!(mailbox.unread_for(cert)?, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Mailbox {
    slots: Mutex<Vec<Slot>>,
}

impl Mailbox {
    /// An empty mailbox.
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panic while the lock was held cannot leave a slot half-written (each change is
        // one push or one flag), so a poisoned lock is still consistent.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in a received envelope (DER or BER); malformed input is refused and not kept.
    pub fn receive(&self, p7m: &[u8]) -> Result<DocumentNumber> {
        let envelope = Envelope::from_der(p7m)?;
        let mut slots = self.slots();
        slots.push(Slot {
            envelope,
            read: false,
        });
        Ok(slots.len() - 1)
    }

    /// Envelopes received and not yet opened, for every recipient.
    pub fn unread(&self) -> usize {
        self.slots().iter().filter(|s| !s.read).count()
    }

    /// Unread envelopes that name `certificate_der` as a recipient: what a key rotation of
    /// that certificate's key has to wait for.
    pub fn unread_for(&self, certificate_der: &[u8]) -> Result<u32> {
        let certificate = certificate(certificate_der)?;
        let count = self
            .slots()
            .iter()
            .filter(|s| !s.read && s.envelope.names(&certificate))
            .count();
        u32::try_from(count).map_err(|_| Error::NotAllowed {
            reason: "more unread documents than can be counted".into(),
        })
    }

    /// Opens the oldest unread envelope addressed to `key`'s certificate and marks it read;
    /// `None` when none is left. An envelope that fails to open (tampered, damaged) stays
    /// unread and the error is returned, so rotation keeps waiting for it.
    pub fn open_next(&self, key: &RecipientKey<'_>) -> Result<Option<Letter>> {
        let certificate = certificate(key.certificate)?;
        let mut slots = self.slots();
        let Some((number, slot)) = slots
            .iter_mut()
            .enumerate()
            .find(|(_, s)| !s.read && s.envelope.names(&certificate))
        else {
            return Ok(None);
        };
        let content = slot.envelope.open(key)?;
        slot.read = true;
        Ok(Some(Letter { number, content }))
    }
}

/// A certificate parsed with the workspace's error.
fn certificate(der: &[u8]) -> Result<Certificate> {
    use der::Decode;
    Certificate::from_der(der).map_err(|e| Error::malformed_der("certificate", e))
}
