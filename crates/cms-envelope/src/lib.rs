//! Encrypted documents for client-bank applications (flow U17): CMS EnvelopedData (RFC 5652
//! §6) and AuthEnvelopedData (RFC 5083), encrypted to recipients' certificates and opened with
//! the recipient's private key **on its carrier** — the key never comes to the host; the
//! carrier recovers the content key ([`token_core::Carrier::decrypt_key`] for RSA,
//! [`token_core::Carrier::agree_key`] for GOST) and the content is decrypted here.
//!
//! | recipients' keys | key protection | content |
//! | --- | --- | --- |
//! | GOST R 34.10-2012, 256 and 512 | KEG + KExp15 (`PSKeyTransport`, R 1323565.1.025-2019); key agreement (decryption; an ephemeral sender key, or a static one with [`Envelope::open_from_sender`]) | Kuznyechik or Magma CTR-ACPKM, with or without OMAC |
//! | GOST R 34.10-2012, 256 and 512 | the CryptoPro key transport of RFC 4490 (`openssl cms -encrypt -gost89`) | GOST 28147-89 CFB with CryptoPro key meshing |
//! | RSA | RSAES-PKCS1-v1_5, RSAES-OAEP (SHA-1/256/384/512) | AES-128/192/256-CBC, AES-256-GCM |
//!
//! Any content cipher goes with any recipient (a GOST recipient of AES content gets KExp15
//! with Kuznyechik). The symmetric GOST algorithms are the `gost-cipher` crate's, the VKO the
//! carrier's. GOST R 34.10-2001 recipients are not opened yet.
//!
//! Envelopes of any size go through [`open_stream`] / [`open_to_file`] and
//! [`EnvelopeBuilder::seal_stream`] in constant memory; [`Mailbox`] keeps received envelopes
//! and counts the unread ones per certificate, which key rotation waits for (flow U17).
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
//! # // A self-signed certificate for the key (what a bank's CA would issue).
//! # use std::str::FromStr;
//! # use token_core::der::{Decode, Encode};
//! # use token_core::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
//! # use token_core::x509_cert::{TbsCertificate, ext::Extension, name::Name};
//! # use token_core::x509_cert::serial_number::SerialNumber;
//! # use token_core::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
//! # use token_core::x509_cert::time::Validity;
//! # use token_core::{CarrierSignature, ContainerSigner};
//! # struct SelfSigned(Name);
//! # impl BuilderProfile for SelfSigned {
//! #     fn get_issuer(&self, subject: &Name) -> Name { subject.clone() }
//! #     fn get_subject(&self) -> Name { self.0.clone() }
//! #     fn build_extensions(&self, _: SubjectPublicKeyInfoRef<'_>, _: SubjectPublicKeyInfoRef<'_>,
//! #         _: &TbsCertificate) -> token_core::x509_cert::builder::Result<Vec<Extension>> {
//! #         Ok(vec![])
//! #     }
//! # }
//! # let signer = ContainerSigner::new(&token, &id)?;
//! # let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der()?)?;
//! # let profile = SelfSigned(Name::from_str("CN=Ivanov Ivan,O=Romashka,C=RU")?);
//! # let validity = Validity::from_now(std::time::Duration::from_secs(365 * 86_400))?;
//! # let certificate = CertificateBuilder::new(profile, SerialNumber::from(1u32), validity, spki)?
//! #     .build::<_, CarrierSignature>(&signer)?
//! #     .to_der()?;
//! use keycarrier_cms_envelope::{ContentCipher, Envelope, EnvelopeBuilder, RecipientKey};
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

mod asn1;
mod content;
mod envelope;
mod gost_content;
mod gost_recipient;
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
