//! AES content: CBC with PKCS#7 padding in EnvelopedData (RFC 3565), GCM in AuthEnvelopedData
//! (RFC 5083/5084). Keys and plaintext live in zeroizing buffers; a GCM tag that does not
//! verify releases nothing.

use aes_gcm::aead::AeadInOut;
use aes_gcm::aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AesGcm, KeyInit, Nonce, Tag};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use token_core::{Error, Result};
use zeroize::Zeroizing;

/// An AES key size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AesBits {
    B128,
    B192,
    B256,
}

fn bad_key() -> Error {
    Error::VerificationFailed {
        what: "the content key does not fit the content cipher".into(),
    }
}

/// The error for every CBC decryption failure: padding and length failures look alike, so
/// that the answer is no padding oracle beyond what CBC itself is.
fn cbc_failed() -> Error {
    Error::VerificationFailed {
        what: "the encrypted content does not decrypt with this key".into(),
    }
}

/// AES-CBC decryption of `ciphertext` with PKCS#7 padding removed.
pub(crate) fn cbc_decrypt(
    bits: AesBits,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = match bits {
        AesBits::B128 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| cbc_failed())?
            .len(),
        AesBits::B192 => cbc::Decryptor::<Aes192>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| cbc_failed())?
            .len(),
        AesBits::B256 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| cbc_failed())?
            .len(),
    };
    buf.truncate(len);
    Ok(buf)
}

/// AES-CBC encryption with PKCS#7 padding.
pub(crate) fn cbc_encrypt(
    bits: AesBits,
    key: &[u8],
    iv: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let padded_len = (plaintext.len() / 16 + 1) * 16;
    let mut buf = Zeroizing::new(vec![0u8; padded_len]);
    buf.get_mut(..plaintext.len())
        .ok_or_else(bad_key)?
        .copy_from_slice(plaintext);
    let pad = |_| crate::internal("AES-CBC padding");
    let len = match bits {
        AesBits::B128 => cbc::Encryptor::<Aes128>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .encrypt_padded::<Pkcs7>(&mut buf, plaintext.len())
            .map_err(pad)?
            .len(),
        AesBits::B192 => cbc::Encryptor::<Aes192>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .encrypt_padded::<Pkcs7>(&mut buf, plaintext.len())
            .map_err(pad)?
            .len(),
        AesBits::B256 => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
            .map_err(|_| bad_key())?
            .encrypt_padded::<Pkcs7>(&mut buf, plaintext.len())
            .map_err(pad)?
            .len(),
    };
    Ok(buf.get(..len).unwrap_or_default().to_vec())
}

/// The one nonce and tag size keycarrier writes and reads: 12 and 16 bytes (RFC 5084's
/// recommendation, what OpenSSL writes).
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// See [`GCM_NONCE_LEN`].
pub(crate) const GCM_TAG_LEN: usize = 16;

fn gcm_failed() -> Error {
    Error::VerificationFailed {
        what: "the AES-GCM tag of the encrypted content".into(),
    }
}

/// AES-GCM decryption; nothing is returned unless the tag verifies.
pub(crate) fn gcm_decrypt(
    bits: AesBits,
    key: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let nonce: &Nonce<aes_gcm::aead::consts::U12> =
        nonce.try_into().map_err(|_| gcm_unsupported())?;
    let tag: &Tag = tag.try_into().map_err(|_| gcm_failed())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let result = match bits {
        AesBits::B128 => AesGcm::<Aes128, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag),
        AesBits::B192 => AesGcm::<Aes192, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag),
        AesBits::B256 => AesGcm::<Aes256, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag),
    };
    result.map_err(|_| gcm_failed())?;
    Ok(buf)
}

fn gcm_unsupported() -> Error {
    Error::Unsupported {
        what: "AES-GCM with a nonce other than 12 bytes".into(),
    }
}

/// AES-GCM encryption; returns the ciphertext and the 16-byte tag.
pub(crate) fn gcm_encrypt(
    bits: AesBits,
    key: &[u8],
    nonce: &[u8; GCM_NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let nonce = Nonce::<aes_gcm::aead::consts::U12>::from(*nonce);
    let mut buf = plaintext.to_vec();
    let tag = match bits {
        AesBits::B128 => AesGcm::<Aes128, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into()),
        AesBits::B192 => AesGcm::<Aes192, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into()),
        AesBits::B256 => AesGcm::<Aes256, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .map_err(|_| bad_key())?
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into()),
    }
    .map_err(|_| crate::internal("AES-GCM encryption"))?;
    Ok((buf, tag.to_vec()))
}
