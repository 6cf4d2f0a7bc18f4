//! OMAC (= CMAC, GOST R 34.13-2015 §5.6) with Kuznyechik or Magma, from the RustCrypto `cmac`
//! crate: the MAC of KExp15 and of the `*-ctracpkm-omac` content encryption.

use cmac::{Cmac, KeyInit, Mac};
use kuznyechik::Kuznyechik;
use magma::Magma;

use crate::block::BlockCipher;
use crate::error::{Error, Result};
use crate::key::SecretKey;

/// An OMAC computation. The tag is one full block (16 bytes for Kuznyechik, 8 for Magma);
/// [`Omac::verify`] compares in constant time.
///
/// ```
/// use keycarrier_gost_cipher::{BlockCipher, Omac, SecretKey};
///
/// let key = SecretKey::from_array([9; 32]);
/// let mut mac = Omac::new(BlockCipher::Kuznyechik, &key);
/// mac.update(b"payment ");
/// mac.update(b"order");
/// let tag = mac.finalize();
/// assert_eq!(tag.len(), 16);
/// let mut again = Omac::new(BlockCipher::Kuznyechik, &key);
/// again.update(b"payment order");
/// assert!(again.verify(&tag).is_ok());
/// ```
#[derive(Clone)]
pub struct Omac(Inner);

#[derive(Clone)]
enum Inner {
    Kuznyechik(Box<Cmac<Kuznyechik>>),
    Magma(Cmac<Magma>),
}

impl core::fmt::Debug for Omac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let cipher = match self.0 {
            Inner::Kuznyechik(_) => BlockCipher::Kuznyechik,
            Inner::Magma(_) => BlockCipher::Magma,
        };
        f.debug_struct("Omac")
            .field("cipher", &cipher)
            .finish_non_exhaustive()
    }
}

impl Omac {
    /// OMAC keyed with `key`.
    pub fn new(cipher: BlockCipher, key: &SecretKey) -> Self {
        let k = key.as_bytes().into();
        Self(match cipher {
            BlockCipher::Kuznyechik => {
                Inner::Kuznyechik(Box::new(<Cmac<Kuznyechik> as KeyInit>::new(k)))
            }
            BlockCipher::Magma => Inner::Magma(<Cmac<Magma> as KeyInit>::new(k)),
        })
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Kuznyechik(m) => Mac::update(m.as_mut(), data),
            Inner::Magma(m) => Mac::update(m, data),
        }
    }

    /// The tag (one block).
    pub fn finalize(self) -> Vec<u8> {
        match self.0 {
            Inner::Kuznyechik(m) => m.finalize().into_bytes().to_vec(),
            Inner::Magma(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Whether `tag` (one full block) is the tag, in constant time.
    pub fn verify(self, tag: &[u8]) -> Result<()> {
        let ok = match self.0 {
            Inner::Kuznyechik(m) => m.verify_slice(tag).is_ok(),
            Inner::Magma(m) => m.verify_slice(tag).is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Integrity { what: "OMAC tag" })
        }
    }
}
