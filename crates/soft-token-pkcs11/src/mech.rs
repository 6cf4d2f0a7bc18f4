//! The module's mechanisms: which ones exist, what they accept, and the signing, verification
//! and digest operations behind them (safe code; the C structures are read in `ffi`).

use cryptoki_sys::{
    CK_FLAGS, CK_KEY_TYPE, CK_MECHANISM_TYPE, CK_RV, CKF_DECRYPT, CKF_DERIVE, CKF_DIGEST,
    CKF_ENCRYPT, CKF_GENERATE_KEY_PAIR, CKF_SIGN, CKF_UNWRAP, CKF_VERIFY, CKF_WRAP,
    CKG_MGF1_SHA256, CKK_GOSTR3410, CKK_RSA, CKM_AES_CBC_PAD, CKM_GOST28147,
    CKM_GOST28147_KEY_WRAP, CKM_GOSTR3410, CKM_GOSTR3410_KEY_PAIR_GEN, CKM_RSA_PKCS,
    CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS_OAEP, CKM_RSA_PKCS_PSS, CKM_SHA256,
    CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKR_DATA_LEN_RANGE, CKR_DEVICE_ERROR,
    CKR_KEY_TYPE_INCONSISTENT, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
    CKR_SIGNATURE_INVALID, CKR_SIGNATURE_LEN_RANGE,
};
use gost::signature::hazmat::{PrehashSigner, PrehashVerifier};
use gost::signature::{Signer, Verifier};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::Digest;
use soft_token::objects::PrivateKey;
use token_core::GostKeySize;

use crate::consts::{
    CKK_GOSTR3410_512, CKM_GOSTR3410_12_DERIVE, CKM_GOSTR3410_512, CKM_GOSTR3410_512_KEY_PAIR_GEN,
    CKM_GOSTR3410_WITH_GOSTR3411_12_256, CKM_GOSTR3410_WITH_GOSTR3411_12_512, CKM_GOSTR3411_12_256,
    CKM_GOSTR3411_12_512, CKM_KUZNYECHIK_CTR_ACPKM, CKM_KUZNYECHIK_KEXP_15_WRAP,
    CKM_MAGMA_CTR_ACPKM, CKM_MAGMA_KEXP_15_WRAP, CKM_VKO_GOSTR3410_2012_512,
};

/// (mechanism, min key size, max key size, flags) — C_GetMechanismList / C_GetMechanismInfo.
/// GOST sizes are in bits of the key (256/512), RSA sizes in modulus bits, AES sizes in bytes
/// (PKCS#11 v2.40 §2.10); the GOST symmetric mechanisms have fixed-size keys and leave the
/// sizes unused (0), as PKCS#11 says of GOST 28147-89.
pub(crate) const MECHANISMS: [(CK_MECHANISM_TYPE, u64, u64, CK_FLAGS); 24] = [
    (CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, 4096, CKF_GENERATE_KEY_PAIR),
    (
        CKM_RSA_PKCS,
        2048,
        4096,
        CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT,
    ),
    (CKM_RSA_PKCS_OAEP, 2048, 4096, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_SHA256_RSA_PKCS, 2048, 4096, CKF_SIGN | CKF_VERIFY),
    (CKM_RSA_PKCS_PSS, 2048, 4096, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA256_RSA_PKCS_PSS, 2048, 4096, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA256, 0, 0, CKF_DIGEST),
    (CKM_GOSTR3410_KEY_PAIR_GEN, 256, 256, CKF_GENERATE_KEY_PAIR),
    (CKM_GOSTR3410, 256, 256, CKF_SIGN | CKF_VERIFY),
    (
        CKM_GOSTR3410_WITH_GOSTR3411_12_256,
        256,
        256,
        CKF_SIGN | CKF_VERIFY,
    ),
    (
        CKM_GOSTR3410_512_KEY_PAIR_GEN,
        512,
        512,
        CKF_GENERATE_KEY_PAIR,
    ),
    (CKM_GOSTR3410_512, 512, 512, CKF_SIGN | CKF_VERIFY),
    (
        CKM_GOSTR3410_WITH_GOSTR3411_12_512,
        512,
        512,
        CKF_SIGN | CKF_VERIFY,
    ),
    (CKM_GOSTR3411_12_256, 0, 0, CKF_DIGEST),
    (CKM_GOSTR3411_12_512, 0, 0, CKF_DIGEST),
    (CKM_GOSTR3410_12_DERIVE, 256, 512, CKF_DERIVE),
    (CKM_VKO_GOSTR3410_2012_512, 512, 512, CKF_DERIVE),
    (CKM_KUZNYECHIK_CTR_ACPKM, 0, 0, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_MAGMA_CTR_ACPKM, 0, 0, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_GOST28147, 0, 0, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_AES_CBC_PAD, 16, 32, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_KUZNYECHIK_KEXP_15_WRAP, 0, 0, CKF_WRAP | CKF_UNWRAP),
    (CKM_MAGMA_KEXP_15_WRAP, 0, 0, CKF_WRAP | CKF_UNWRAP),
    (CKM_GOST28147_KEY_WRAP, 0, 0, CKF_WRAP | CKF_UNWRAP),
];

/// CK_RSA_PKCS_PSS_PARAMS as read from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PssParams {
    pub(crate) hash: CK_MECHANISM_TYPE,
    pub(crate) mgf: u64,
    pub(crate) salt_len: u64,
}

/// A signature mechanism with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignMech {
    /// CKM_GOSTR3410 / CKM_GOSTR3410_512: the digest is the input.
    GostRaw(GostKeySize),
    /// CKM_GOSTR3410_WITH_GOSTR3411_12_256 / _512: the token hashes.
    GostHash(GostKeySize),
    /// CKM_RSA_PKCS: the input is a DigestInfo (or any short message), PKCS#1 v1.5 padded.
    RsaPkcs,
    /// CKM_SHA256_RSA_PKCS.
    Sha256RsaPkcs,
    /// CKM_RSA_PKCS_PSS with SHA-256/MGF1-SHA-256: the input is a SHA-256 digest.
    RsaPss { salt_len: usize },
    /// CKM_SHA256_RSA_PKCS_PSS.
    Sha256RsaPss { salt_len: usize },
}

fn pss_salt(params: Option<PssParams>) -> Result<usize, CK_RV> {
    let p = params.ok_or(CKR_MECHANISM_PARAM_INVALID)?;
    if p.hash != CKM_SHA256 || p.mgf != CKG_MGF1_SHA256 {
        return Err(CKR_MECHANISM_PARAM_INVALID);
    }
    usize::try_from(p.salt_len)
        .ok()
        .filter(|s| *s <= 64)
        .ok_or(CKR_MECHANISM_PARAM_INVALID)
}

impl SignMech {
    /// The mechanism for a CK_MECHANISM type and its (PSS) parameters.
    pub(crate) fn from_ck(mech: CK_MECHANISM_TYPE, pss: Option<PssParams>) -> Result<Self, CK_RV> {
        Ok(match mech {
            CKM_GOSTR3410 => Self::GostRaw(GostKeySize::Bits256),
            CKM_GOSTR3410_512 => Self::GostRaw(GostKeySize::Bits512),
            CKM_GOSTR3410_WITH_GOSTR3411_12_256 => Self::GostHash(GostKeySize::Bits256),
            CKM_GOSTR3410_WITH_GOSTR3411_12_512 => Self::GostHash(GostKeySize::Bits512),
            CKM_RSA_PKCS => Self::RsaPkcs,
            CKM_SHA256_RSA_PKCS => Self::Sha256RsaPkcs,
            CKM_RSA_PKCS_PSS => Self::RsaPss {
                salt_len: pss_salt(pss)?,
            },
            CKM_SHA256_RSA_PKCS_PSS => Self::Sha256RsaPss {
                salt_len: pss_salt(pss)?,
            },
            _ => return Err(CKR_MECHANISM_INVALID),
        })
    }

    /// Whether C_SignUpdate / C_VerifyUpdate may be used.
    pub(crate) fn multipart(self) -> bool {
        matches!(
            self,
            Self::GostHash(_) | Self::Sha256RsaPkcs | Self::Sha256RsaPss { .. }
        )
    }

    /// Whether a key of this CKA_KEY_TYPE fits.
    pub(crate) fn fits(self, key_type: CK_KEY_TYPE) -> bool {
        match self {
            Self::GostRaw(GostKeySize::Bits256) | Self::GostHash(GostKeySize::Bits256) => {
                key_type == CKK_GOSTR3410
            }
            Self::GostRaw(GostKeySize::Bits512) | Self::GostHash(GostKeySize::Bits512) => {
                key_type == CKK_GOSTR3410_512
            }
            _ => key_type == CKK_RSA,
        }
    }

    /// Checks the input length of a single-part operation against the mechanism and the key's
    /// signature length (`sig_len` = modulus bytes for RSA).
    pub(crate) fn check_input(self, len: usize, sig_len: usize) -> Result<(), CK_RV> {
        let ok = match self {
            Self::GostRaw(GostKeySize::Bits256) => len == 32,
            Self::GostRaw(GostKeySize::Bits512) => len == 64,
            Self::RsaPkcs => len + 11 <= sig_len,
            Self::RsaPss { .. } => len == 32,
            _ => true,
        };
        if ok { Ok(()) } else { Err(CKR_DATA_LEN_RANGE) }
    }

    /// Signs `data` with the token's private key.
    pub(crate) fn sign(self, key: &PrivateKey, data: &[u8]) -> Result<Vec<u8>, CK_RV> {
        if let Some(k) = key.as_gost() {
            return match self {
                Self::GostRaw(_) => k
                    .sign_prehash(data)
                    .map(|s| s.to_vec())
                    .map_err(|_| CKR_DATA_LEN_RANGE),
                Self::GostHash(_) => k
                    .try_sign(data)
                    .map(|s| s.to_vec())
                    .map_err(|_| CKR_DEVICE_ERROR),
                _ => Err(CKR_KEY_TYPE_INCONSISTENT),
            };
        }
        let k = key.as_rsa().ok_or(CKR_KEY_TYPE_INCONSISTENT)?;
        match self {
            Self::RsaPkcs => k
                .sign_with_rng(&mut rng(), rsa::Pkcs1v15Sign::new_unprefixed(), data)
                .map_err(|_| CKR_DATA_LEN_RANGE),
            Self::Sha256RsaPkcs => k
                .sign_with_rng(
                    &mut rng(),
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &sha2::Sha256::digest(data),
                )
                .map_err(|_| CKR_DEVICE_ERROR),
            Self::RsaPss { salt_len } => k
                .sign_with_rng(
                    &mut rng(),
                    rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                    data,
                )
                .map_err(|_| CKR_DATA_LEN_RANGE),
            Self::Sha256RsaPss { salt_len } => k
                .sign_with_rng(
                    &mut rng(),
                    rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                    &sha2::Sha256::digest(data),
                )
                .map_err(|_| CKR_DEVICE_ERROR),
            _ => Err(CKR_KEY_TYPE_INCONSISTENT),
        }
    }

    /// Verifies `signature` over `data` with the SubjectPublicKeyInfo `spki`.
    pub(crate) fn verify(self, spki: &[u8], data: &[u8], signature: &[u8]) -> Result<(), CK_RV> {
        match self {
            Self::GostRaw(_) | Self::GostHash(_) => {
                let key = gost::VerifyingKey::from_spki_der(spki)
                    .map_err(|_| CKR_KEY_TYPE_INCONSISTENT)?;
                if signature.len() != 2 * key.param_set().key_size().coordinate_len() {
                    return Err(CKR_SIGNATURE_LEN_RANGE);
                }
                let sig =
                    gost::Signature::from_bytes(signature).map_err(|_| CKR_SIGNATURE_LEN_RANGE)?;
                let ok = if let Self::GostRaw(_) = self {
                    key.verify_prehash(data, &sig)
                } else {
                    key.verify(data, &sig)
                };
                ok.map_err(|_| CKR_SIGNATURE_INVALID)
            }
            _ => {
                let key = rsa::RsaPublicKey::from_public_key_der(spki)
                    .map_err(|_| CKR_KEY_TYPE_INCONSISTENT)?;
                if signature.len() != key.size() {
                    return Err(CKR_SIGNATURE_LEN_RANGE);
                }
                let digest = sha2::Sha256::digest(data);
                let ok = match self {
                    Self::RsaPkcs => {
                        key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), data, signature)
                    }
                    Self::Sha256RsaPkcs => {
                        key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
                    }
                    Self::RsaPss { salt_len } => key.verify(
                        rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                        data,
                        signature,
                    ),
                    Self::Sha256RsaPss { salt_len } => key.verify(
                        rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                        &digest,
                        signature,
                    ),
                    _ => return Err(CKR_KEY_TYPE_INCONSISTENT),
                };
                ok.map_err(|_| CKR_SIGNATURE_INVALID)
            }
        }
    }
}

/// A fresh random source for RSA blinding and PSS salts.
fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// The signature length for a key, from its SubjectPublicKeyInfo.
pub(crate) fn signature_len(spki: &[u8]) -> Result<usize, CK_RV> {
    // The stored SPKI was validated when the key was made; parsing it with token-core is cheap,
    // whereas `gost::VerifyingKey::from_spki_der` re-validates the point (a full scalar
    // multiplication on the cofactor-4 curves) and this runs on every C_SignInit.
    let key = token_core::PublicKey::from_spki_der(spki).map_err(|_| CKR_DEVICE_ERROR)?;
    match key.algorithm() {
        token_core::KeyAlgorithm::Gost(set) => Ok(2 * set.key_size().coordinate_len()),
        token_core::KeyAlgorithm::Rsa { bits } => {
            usize::try_from(bits.div_ceil(8)).map_err(|_| CKR_DEVICE_ERROR)
        }
        _ => Err(CKR_DEVICE_ERROR),
    }
}

/// A digest mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestMech {
    /// Streebog-256 (CKM_GOSTR3411_12_256).
    Streebog256,
    /// Streebog-512 (CKM_GOSTR3411_12_512).
    Streebog512,
    /// SHA-256 (CKM_SHA256).
    Sha256,
}

impl DigestMech {
    /// The mechanism for a CK_MECHANISM type.
    pub(crate) fn from_ck(mech: CK_MECHANISM_TYPE) -> Result<Self, CK_RV> {
        match mech {
            CKM_GOSTR3411_12_256 => Ok(Self::Streebog256),
            CKM_GOSTR3411_12_512 => Ok(Self::Streebog512),
            CKM_SHA256 => Ok(Self::Sha256),
            _ => Err(CKR_MECHANISM_INVALID),
        }
    }

    /// Output length.
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Streebog512 => 64,
            Self::Streebog256 | Self::Sha256 => 32,
        }
    }

    /// Hashes `data`.
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Streebog256 => gost::streebog256(data).to_vec(),
            Self::Streebog512 => gost::streebog512(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }
}
