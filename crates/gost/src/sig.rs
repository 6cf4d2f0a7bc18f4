//! [`Signature`]: the wire form `s ‖ r` of a GOST R 34.10-2012 signature.

use core::fmt;

use der::asn1::BitString;

use crate::error::{Error, Result};
use crate::params::KeySize;

// ---------------------------------------------------------------------------------------------
// Signature

/// A GOST R 34.10-2012 signature in its wire form `s ‖ r`: each half big-endian, 32 bytes for
/// 256-bit keys and 64 bytes for 512-bit keys. These are the bytes of an X.509
/// `signatureValue`, a CMS `SignerInfo.signature`, `openssl pkeyutl -sign` output and PKCS#11
/// `C_Sign` with the GOST mechanisms.
///
/// ```
/// let sig = keycarrier_gost::Signature::from_r_s(&[1u8; 32], &[2u8; 32]).unwrap();
/// assert_eq!(&sig.as_bytes()[..32], &[2u8; 32]); // s first
/// assert_eq!(sig.r(), &[1u8; 32]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    bytes: Box<[u8]>,
}

impl Signature {
    /// Parses `s ‖ r` (64 or 128 bytes). The halves are range-checked against the curve order
    /// when the signature is verified.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            64 | 128 => Ok(Self {
                bytes: bytes.into(),
            }),
            n => Err(Error::malformed(
                "GOST signature",
                format!("{n} bytes; expected 64 (256-bit key) or 128 (512-bit key)"),
            )),
        }
    }

    /// Builds a signature from big-endian `r` and `s` of equal width (32 or 64 bytes).
    pub fn from_r_s(r: &[u8], s: &[u8]) -> Result<Self> {
        if r.len() != s.len() {
            return Err(Error::malformed(
                "GOST signature",
                "r and s differ in width",
            ));
        }
        let mut bytes = Vec::with_capacity(2 * r.len());
        bytes.extend_from_slice(s);
        bytes.extend_from_slice(r);
        Self::from_bytes(&bytes)
    }

    /// The wire bytes `s ‖ r`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes `s ‖ r`, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// `r`, big-endian, fixed width.
    pub fn r(&self) -> &[u8] {
        self.bytes.get(self.half()..).unwrap_or_default()
    }

    /// `s`, big-endian, fixed width.
    pub fn s(&self) -> &[u8] {
        self.bytes.get(..self.half()).unwrap_or_default()
    }

    /// The key size this signature belongs to.
    pub fn key_size(&self) -> KeySize {
        if self.bytes.len() == 128 {
            KeySize::Bits512
        } else {
            KeySize::Bits256
        }
    }

    fn half(&self) -> usize {
        self.bytes.len() / 2
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        for b in self.bytes.iter() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl TryFrom<&[u8]> for Signature {
    type Error = signature::Error;

    fn try_from(bytes: &[u8]) -> core::result::Result<Self, Self::Error> {
        Self::from_bytes(bytes).map_err(Error::into_signature_error)
    }
}

impl From<Signature> for Box<[u8]> {
    fn from(sig: Signature) -> Self {
        sig.bytes
    }
}

impl signature::SignatureEncoding for Signature {
    type Repr = Box<[u8]>;
}

impl spki::SignatureBitStringEncoding for Signature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.bytes)
    }
}
