//! Encrypted documents for client-bank applications (flow U17): CMS EnvelopedData (RFC 5652
//! §6) and AuthEnvelopedData (RFC 5083), encrypted to recipients' certificates and opened with
//! the recipient's private key **on its carrier** — the key never comes to the host; the
//! carrier recovers the content key ([`token_core::Carrier::decrypt_key`] for RSA,
//! [`token_core::Carrier::agree_key`] for GOST) and the content is decrypted here.
//!
//! | recipients' keys | key protection | content |
//! | --- | --- | --- |
//! | RSA | RSAES-PKCS1-v1_5, RSAES-OAEP (SHA-1/256/384/512) | AES-128/192/256-CBC, AES-256-GCM |
//!
//! Envelopes of any size go through [`open_stream`] / [`open_to_file`] and
//! [`EnvelopeBuilder::seal_stream`] in constant memory; [`Mailbox`] keeps received envelopes
//! and counts the unread ones per certificate, which key rotation waits for (flow U17).
//!
//! GOST recipients (KExp15/KEG and the CryptoPro key transport) and the GOST content ciphers
//! are named in [`ContentCipher`] and [`KeyProtection`] and answer
//! [`token_core::Error::Unsupported`] until they are built.
//!
//! ```
//! # use soft_token::{SoftToken, TokenSettings};
//! # use token_core::{AdminPin, Carrier, FinalTry, KeyAlgorithm, NewContainer, Pin, PinPolicy};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let settings = TokenSettings { kdf_iterations: 1000, ..TokenSettings::new("Example") };
//! # let admin = AdminPin::new("Adm1nQw8");
//! # let mut token = SoftToken::create(dir.path(), &settings, &admin)?;
//! # let pin = PinPolicy::default().approve(Pin::new("Rx7mQ2wz"), None).map_err(token_core::Error::from)?;
//! # token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
//! # token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
//! # let id = token.generate_key(&NewContainer::new("Mail", KeyAlgorithm::RSA_2048))?.id;
//! # // A self-signed certificate for the key, made by the test CA fixture on a second handle.
//! # let mut second = SoftToken::open(dir.path());
//! # second.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
//! # let ca = rotation_policy::ca::TestCa::create(second, id.clone(), "Client", &dir.path().join("ca"), std::time::SystemTime::now())?;
//! # let certificate = ca.certificate().to_vec();
//! use cms_envelope::{ContentCipher, Envelope, EnvelopeBuilder, RecipientKey};
//!
//! // The bank encrypts a statement to the client's certificate …
//! let p7m = EnvelopeBuilder::new(ContentCipher::Aes256Gcm)
//!     .recipient(&certificate)?
//!     .seal(b"Statement for March")?;
//!
//! // … and the client opens it with the key on its carrier (`token`, logged in).
//! let envelope = Envelope::from_der(&p7m)?;
//! let key = RecipientKey { carrier: &token, container: &id, certificate: &certificate };
//! assert_eq!(envelope.open(&key)?.as_slice(), b"Statement for March");
//! # Ok(()) }
//! ```

// The GOST structures are used by the GOST recipients, being built (issue 13).
#[allow(dead_code)]
mod asn1;
mod content;
mod envelope;
mod mailbox;
mod random;
mod recipient;
mod rsa_transport;
mod seal;
mod stream;

pub use content::ContentCipher;
pub use envelope::{Envelope, RecipientKey};
pub use mailbox::{DocumentNumber, Letter, Mailbox};
pub use recipient::{KeyProtection, Recipient, RecipientId};
pub use seal::EnvelopeBuilder;
pub use stream::{open_stream, open_to_file};

/// A failure of this library's own machinery (random generator, an encoder refusing our own
/// output), not of the input.
pub(crate) fn internal(what: &str) -> token_core::Error {
    token_core::Error::Backend(token_core::BackendEvidence::Other(what.into()))
}
