//! RSA encryption and decryption mechanisms (`CKM_RSA_PKCS`, `CKM_RSA_PKCS_OAEP`): which
//! parameters they accept and the operations behind them. Decryption is the soft token's own
//! ([`soft_token::objects::PrivateKey::decrypt_key`]), so the module and the Rust token open
//! an envelope the same way; the C structures are read in `ffi`.

use cryptoki_sys::{
    CK_MECHANISM_TYPE, CK_RV, CKG_MGF1_SHA1, CKG_MGF1_SHA256, CKG_MGF1_SHA384, CKG_MGF1_SHA512,
    CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP, CKM_SHA_1, CKM_SHA256, CKM_SHA384, CKM_SHA512,
    CKR_DATA_LEN_RANGE, CKR_DEVICE_ERROR, CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE,
    CKR_KEY_TYPE_INCONSISTENT, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
    CKZ_DATA_SPECIFIED,
};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use soft_token::objects::PrivateKey;
use token_core::{Error, OaepHash, RsaKeyTransport, SecretBytes};

/// What a CK_MECHANISM's parameter held, read by `ffi` without judging it: the module judges
/// it after the session and operation checks, as PKCS#11's order of return values wants.
#[derive(Debug, Clone, Default)]
pub(crate) enum RawParam {
    /// No parameter (NULL, length 0).
    #[default]
    None,
    /// A CK_RSA_PKCS_OAEP_PARAMS.
    Oaep {
        /// `hashAlg`.
        hash: CK_MECHANISM_TYPE,
        /// `mgf`.
        mgf: u64,
        /// `source`.
        source: u64,
        /// `ulSourceDataLen`.
        source_len: u64,
    },
    /// A CK_GOSTR3410_DERIVE_PARAMS or CK_ECDH1_DERIVE_PARAMS, its buffers copied.
    Derive {
        /// `kdf`.
        kdf: u64,
        /// `pPublicData`: the peer's key, `X_le ‖ Y_le`.
        public: Vec<u8>,
        /// `pUKM` / `pSharedData`.
        ukm: Vec<u8>,
    },
    /// The bytes of a parameter that is a plain byte string (an IV, a UKM, the CTR-ACPKM
    /// section length and IV); not secret.
    Bytes(Vec<u8>),
    /// A parameter of the wrong size or a NULL pointer where one was needed.
    Bad,
}

/// An RSA encryption mechanism with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CryptMech(pub(crate) RsaKeyTransport);

fn oaep_hash(hash: CK_MECHANISM_TYPE, mgf: u64) -> Result<OaepHash, CK_RV> {
    match (hash, mgf) {
        (CKM_SHA_1, CKG_MGF1_SHA1) => Ok(OaepHash::Sha1),
        (CKM_SHA256, CKG_MGF1_SHA256) => Ok(OaepHash::Sha256),
        (CKM_SHA384, CKG_MGF1_SHA384) => Ok(OaepHash::Sha384),
        (CKM_SHA512, CKG_MGF1_SHA512) => Ok(OaepHash::Sha512),
        _ => Err(CKR_MECHANISM_PARAM_INVALID),
    }
}

impl CryptMech {
    /// The mechanism for a CK_MECHANISM type and its parameter. OAEP: the label hash and MGF1
    /// use the same SHA (what `token_core::OaepHash` describes) and the label is empty
    /// (`source` = `CKZ_DATA_SPECIFIED` or 0 with no data).
    pub(crate) fn from_ck(mech: CK_MECHANISM_TYPE, param: &RawParam) -> Result<Self, CK_RV> {
        match (mech, param) {
            (CKM_RSA_PKCS, _) => Ok(Self(RsaKeyTransport::Pkcs1v15)),
            (
                CKM_RSA_PKCS_OAEP,
                RawParam::Oaep {
                    hash,
                    mgf,
                    source,
                    source_len,
                },
            ) => {
                if !(*source == CKZ_DATA_SPECIFIED || *source == 0) || *source_len != 0 {
                    return Err(CKR_MECHANISM_PARAM_INVALID);
                }
                Ok(Self(RsaKeyTransport::Oaep(oaep_hash(*hash, *mgf)?)))
            }
            (CKM_RSA_PKCS_OAEP, _) => Err(CKR_MECHANISM_PARAM_INVALID),
            _ => Err(CKR_MECHANISM_INVALID),
        }
    }

    /// The longest plaintext for a modulus of `k` bytes (RFC 8017 §7.1.1, §7.2.1).
    fn max_plaintext(self, k: usize) -> usize {
        let h = match self.0 {
            RsaKeyTransport::Oaep(OaepHash::Sha1) => 20,
            RsaKeyTransport::Oaep(OaepHash::Sha256) => 32,
            RsaKeyTransport::Oaep(OaepHash::Sha384) => 48,
            RsaKeyTransport::Oaep(OaepHash::Sha512) => 64,
            _ => return k.saturating_sub(11),
        };
        k.saturating_sub(2 * h + 2)
    }

    /// Encrypts `data` to the RSA public key `key`.
    pub(crate) fn encrypt(self, key: &RsaPublicKey, data: &[u8]) -> Result<Vec<u8>, CK_RV> {
        if data.len() > self.max_plaintext(key.size()) {
            return Err(CKR_DATA_LEN_RANGE);
        }
        let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
        let r = match self.0 {
            RsaKeyTransport::Oaep(OaepHash::Sha1) => {
                key.encrypt(&mut rng, rsa::Oaep::<sha1::Sha1>::new(), data)
            }
            RsaKeyTransport::Oaep(OaepHash::Sha256) => {
                key.encrypt(&mut rng, rsa::Oaep::<sha2::Sha256>::new(), data)
            }
            RsaKeyTransport::Oaep(OaepHash::Sha384) => {
                key.encrypt(&mut rng, rsa::Oaep::<sha2::Sha384>::new(), data)
            }
            RsaKeyTransport::Oaep(OaepHash::Sha512) => {
                key.encrypt(&mut rng, rsa::Oaep::<sha2::Sha512>::new(), data)
            }
            _ => key.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, data),
        };
        r.map_err(|_| CKR_DEVICE_ERROR)
    }

    /// Decrypts with the token's private key; the ciphertext must be the modulus' length
    /// (`k`). A failed decryption is `CKR_ENCRYPTED_DATA_INVALID` whatever failed (and PKCS#1
    /// v1.5 does not fail on a bad padding at all: implicit rejection, see `soft-token`).
    pub(crate) fn decrypt(
        self,
        key: &PrivateKey,
        k: usize,
        data: &[u8],
    ) -> Result<SecretBytes, CK_RV> {
        if data.len() != k {
            return Err(CKR_ENCRYPTED_DATA_LEN_RANGE);
        }
        key.decrypt_key(data, self.0).map_err(|e| match e {
            Error::VerificationFailed { .. } => CKR_ENCRYPTED_DATA_INVALID,
            _ => CKR_KEY_TYPE_INCONSISTENT,
        })
    }
}

/// The RSA public key of a SubjectPublicKeyInfo (a public key object's `KC_SPKI`).
pub(crate) fn rsa_public(spki: &[u8]) -> Result<RsaPublicKey, CK_RV> {
    RsaPublicKey::from_public_key_der(spki).map_err(|_| CKR_KEY_TYPE_INCONSISTENT)
}
