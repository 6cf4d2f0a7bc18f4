//! The older CryptoPro profile (RFC 4357, RFC 4490; what `openssl cms -encrypt -gost89` and
//! GOST R 34.10-2001 era software produce): GOST 28147-89 in CFB mode with CryptoPro key
//! meshing, the GOST 28147-89 MAC (IMIT), CryptoPro key diversification and the two key wraps;
//! and plain ECB, in which CryptoPro CSP file containers keep their private key.
//!
//! GOST 28147-89 is used in its own byte order (RFC 5830: key words and block halves
//! little-endian), with the S-box named by the parameters: CryptoPro-A
//! (id-Gost28147-89-CryptoPro-A-ParamSet, 1.2.643.2.2.31.1; GOST R 34.10-2001 keys, `openssl
//! enc -gost89`) or TC26 Z (id-tc26-gost-28147-param-Z, 1.2.643.7.1.2.5.1.1; the Magma S-box,
//! GOST R 34.10-2012 keys).

mod cfb;
mod cipher;
mod ecb;
mod imit;

pub use imit::IMIT_LEN;
mod keywrap;

pub use cfb::{Gost89CfbDecryptor, Gost89CfbEncryptor};
pub use ecb::{ecb_decrypt, ecb_encrypt};
pub use imit::Gost89Imit;
pub use keywrap::{
    WRAPPED_KEY_LEN, cryptopro_key_unwrap, cryptopro_key_wrap, diversify_cryptopro,
    gost28147_key_unwrap, gost28147_key_wrap,
};

/// The S-box (substitution table) of GOST 28147-89, named by its parameter-set OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gost89Sbox {
    /// id-Gost28147-89-CryptoPro-A-ParamSet (1.2.643.2.2.31.1).
    CryptoProA,
    /// id-tc26-gost-28147-param-Z (1.2.643.7.1.2.5.1.1), the S-box of Magma.
    Tc26Z,
}

impl Gost89Sbox {
    /// The parameter-set OID, dotted.
    pub const fn oid(self) -> &'static str {
        match self {
            Self::CryptoProA => "1.2.643.2.2.31.1",
            Self::Tc26Z => "1.2.643.7.1.2.5.1.1",
        }
    }

    /// The S-box with this dotted OID, if it is one of these.
    pub fn from_oid(oid: &str) -> Option<Self> {
        [Self::CryptoProA, Self::Tc26Z]
            .into_iter()
            .find(|s| s.oid() == oid)
    }
}

/// CryptoPro key meshing happens after every 1024 bytes (RFC 4357 §2.3.2).
pub(crate) const MESHING_BLOCKS: usize = 1024 / 8;
