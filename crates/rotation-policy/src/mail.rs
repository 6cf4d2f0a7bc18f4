//! Flow U17 wired to rotation: the unread envelopes in a [`Mailbox`] are the documents a key
//! rotation waits for.

use cms_envelope::Mailbox;
use token_core::{ContainerId, Result};

use crate::PendingDocuments;

/// The unread envelopes of a mailbox, counted per container by the certificate each
/// container's key was issued: hand it to [`Policy::decide_certificate`] and to
/// [`Rotator::waiting_for`] so that neither advice nor rotation go ahead, and the old key is
/// not retired, while a document for the old key is unread.
///
/// [`Policy::decide_certificate`]: crate::Policy::decide_certificate
/// [`Rotator::waiting_for`]: crate::Rotator::waiting_for
#[derive(Debug)]
pub struct UnreadMail<'a> {
    mailbox: &'a Mailbox,
    certificates: Vec<(ContainerId, Vec<u8>)>,
}

impl<'a> UnreadMail<'a> {
    /// Counts nothing until containers are named with [`UnreadMail::container`].
    pub fn new(mailbox: &'a Mailbox) -> Self {
        Self {
            mailbox,
            certificates: Vec::new(),
        }
    }

    /// Counts the unread envelopes addressed to `certificate_der` as pending for `container`.
    pub fn container(mut self, container: &ContainerId, certificate_der: &[u8]) -> Self {
        self.certificates
            .push((container.clone(), certificate_der.to_vec()));
        self
    }
}

impl PendingDocuments for UnreadMail<'_> {
    fn pending(&self, old: &ContainerId) -> Result<u32> {
        let mut total = 0u32;
        for (_, certificate) in self.certificates.iter().filter(|(id, _)| id == old) {
            total = total.saturating_add(self.mailbox.unread_for(certificate)?);
        }
        Ok(total)
    }
}
