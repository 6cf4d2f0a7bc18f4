//! Opening what was encrypted to a container's key (flow U17): the two private-key operations
//! a CMS envelope needs, done on the carrier so the private key never leaves it.
//!
//! An encrypted document carries its content-encryption key once per recipient, protected
//! with the recipient's public key. Getting that key back needs the recipient's private key
//! exactly once, in one of two ways:
//!
//! * **RSA key transport**: the key was encrypted with RSAES-PKCS1-v1_5 or RSAES-OAEP; the
//!   carrier decrypts it ([`Carrier::decrypt_key`], PKCS#11 `C_Decrypt`).
//! * **GOST key agreement**: the sender used an ephemeral GOST key; the carrier computes the
//!   VKO shared key from its private key, the sender's public key and the user keying material
//!   ([`Carrier::agree_key`], PKCS#11 `C_DeriveKey` with the TC26 VKO mechanism). The rest —
//!   KEG, KImp15, the CryptoPro key unwrap — works on that shared key and runs on the host.
//!
//! Both return [`SecretBytes`], zeroized when dropped.
//!
//! [`Carrier::decrypt_key`]: crate::Carrier::decrypt_key
//! [`Carrier::agree_key`]: crate::Carrier::agree_key
//! [`SecretBytes`]: crate::SecretBytes

use crate::{ContainerId, PublicKey};

/// The hash of RSAES-OAEP (RFC 8017 §7.1): used for the label and for MGF1 alike, the label
/// empty, as CMS (RFC 8018 / RFC 4055) and OpenSSL's `-keyopt rsa_padding_mode:oaep` use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OaepHash {
    /// SHA-1: RFC 4055's default, what `openssl cms -encrypt -keyopt rsa_padding_mode:oaep`
    /// writes unless told otherwise.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// How a content-encryption key was encrypted to an RSA key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaKeyTransport {
    /// RSAES-PKCS1-v1_5 (`rsaEncryption` in the recipient info). Still the most common in
    /// bank mail; a padding failure must not tell an attacker more than "failed".
    Pkcs1v15,
    /// RSAES-OAEP with the given hash for label and MGF1.
    Oaep(OaepHash),
}

/// Which Streebog turns the VKO point into a key (RFC 7836 §4.3, R 50.1.113-2016):
/// `VKO_GOSTR3410_2012_256` or `VKO_GOSTR3410_2012_512`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VkoHash {
    /// Streebog-256: a 32-byte key (the CryptoPro-style key transport, KEG for 256-bit keys).
    Streebog256,
    /// Streebog-512: a 64-byte key (KEG for 512-bit keys).
    Streebog512,
}

impl VkoHash {
    /// The length of the agreed key in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Streebog256 => 32,
            Self::Streebog512 => 64,
        }
    }
}

/// One GOST key agreement with a container's private key d: the carrier computes
/// `K = (cofactor · UKM · d mod q) · Q_peer` and returns Streebog(`x_le ‖ y_le`) of K.
#[derive(Debug, Clone, Copy)]
pub struct KeyAgreement<'a> {
    /// The container whose private key takes part.
    pub container: &'a ContainerId,
    /// The other party's public key (in an envelope, the sender's ephemeral key). It must be
    /// on the container key's curve.
    pub peer: &'a PublicKey,
    /// The user keying material as the integer's little-endian bytes (1 to 64 bytes; an
    /// all-zero UKM counts as 1), the convention of RFC 7836's examples and of OpenSSL.
    pub ukm: &'a [u8],
    /// The hash applied to the shared point.
    pub hash: VkoHash,
}

/// One RSA key-transport decryption with a container's private key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDecryption<'a> {
    /// The container whose private key decrypts.
    pub container: &'a ContainerId,
    /// The encrypted key, as the recipient info carries it (the modulus' length).
    pub encrypted_key: &'a [u8],
    /// The padding it was encrypted with.
    pub padding: RsaKeyTransport,
}
