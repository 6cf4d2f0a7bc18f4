//! Decrypting the encrypted bags: PBES2 (PBKDF2 with GOST 28147-89, AES-CBC) and the legacy PKCS#12 PBEs.

use der::asn1::{Any, OctetStringRef};
use spki::AlgorithmIdentifierOwned;
use token_core::{Error, Password, Result, oid};
use zeroize::Zeroizing;

use super::asn1::{Gost28147Params, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams};
use super::mac::{bmp_password, pkcs12_kdf};
use super::{check_iterations, der_err, malformed, unsupported};

pub(super) fn decrypt(
    alg: &AlgorithmIdentifierOwned,
    data: &[u8],
    password: &Password,
) -> Result<Zeroizing<Vec<u8>>> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("encryption parameters missing"))?;
    if alg.oid == oid::PBES2 {
        let p: Pbes2Params = params.decode_as().map_err(der_err)?;
        decrypt_pbes2(&p, data, password)
    } else if alg.oid == oid::PBE_WITH_SHA_AND_3KEY_TRIPLE_DES_CBC {
        let p: Pkcs12PbeParams = params.decode_as().map_err(der_err)?;
        let iterations = check_iterations(p.iterations)?;
        let pw = bmp_password(password.expose());
        let key = pkcs12_kdf::<sha1::Sha1>(&pw, p.salt.as_bytes(), iterations, 1, 24);
        let iv = pkcs12_kdf::<sha1::Sha1>(&pw, p.salt.as_bytes(), iterations, 2, 8);
        tdes_cbc_decrypt(&key, &iv, data)
    } else {
        Err(unsupported(format!("PFX encryption {}", alg.oid)))
    }
}

pub(super) fn decrypt_pbes2(
    p: &Pbes2Params,
    data: &[u8],
    password: &Password,
) -> Result<Zeroizing<Vec<u8>>> {
    if p.kdf.oid != oid::PBKDF2 {
        return Err(unsupported(format!("PBES2 key derivation {}", p.kdf.oid)));
    }
    let kdf: Pbkdf2Params = p
        .kdf
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("PBKDF2 parameters missing"))?
        .decode_as()
        .map_err(der_err)?;
    let iterations = check_iterations(kdf.iteration_count)?;
    let prf = kdf.prf.as_ref().map_or(oid::HMAC_WITH_SHA1, |a| a.oid);
    let scheme_params = p
        .scheme
        .parameters
        .as_ref()
        .ok_or_else(|| malformed("encryption scheme parameters missing"))?;
    let (key_len, iv) = if p.scheme.oid == oid::GOST_28147_89 {
        let g: Gost28147Params = scheme_params.decode_as().map_err(der_err)?;
        if g.param_set != oid::TC26_GOST_28147_PARAM_Z {
            return Err(unsupported(format!(
                "GOST 28147-89 parameter set {}",
                g.param_set
            )));
        }
        (32, g.iv.into_bytes().into_vec())
    } else if p.scheme.oid == oid::AES128_CBC {
        (16, iv_of(scheme_params)?)
    } else if p.scheme.oid == oid::AES192_CBC {
        (24, iv_of(scheme_params)?)
    } else if p.scheme.oid == oid::AES256_CBC {
        (32, iv_of(scheme_params)?)
    } else {
        return Err(unsupported(format!("PBES2 encryption {}", p.scheme.oid)));
    };
    if let Some(l) = kdf.key_length
        && usize::try_from(l).ok() != Some(key_len)
    {
        return Err(malformed(format!("PBKDF2 key length {l}")));
    }
    let mut key = Zeroizing::new(vec![0u8; key_len]);
    let salt = kdf.salt.as_bytes();
    let pw = password.expose();
    if prf == oid::TC26_HMAC_GOST_3411_12_512 {
        pbkdf2::pbkdf2_hmac::<gost::Streebog512>(pw, salt, iterations, &mut key);
    } else if prf == oid::TC26_HMAC_GOST_3411_12_256 {
        pbkdf2::pbkdf2_hmac::<gost::Streebog256>(pw, salt, iterations, &mut key);
    } else if prf == oid::HMAC_WITH_SHA256 {
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, iterations, &mut key);
    } else if prf == oid::HMAC_WITH_SHA1 {
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, iterations, &mut key);
    } else {
        return Err(unsupported(format!("PBKDF2 PRF {prf}")));
    }
    if p.scheme.oid == oid::GOST_28147_89 {
        let key: &[u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| malformed("GOST key length"))?;
        let iv: [u8; 8] = iv
            .as_slice()
            .try_into()
            .map_err(|_| malformed("GOST 28147-89 IV is not 8 bytes"))?;
        // PBES2 with GOST 28147-89 (R 50.1.112-2016): CFB with CryptoPro key meshing and the
        // TC26 S-box, from gost-cipher (the one implementation in the workspace).
        let key = gost_cipher::SecretKey::from_array(*key);
        let mut dec = gost_cipher::gost89::Gost89CfbDecryptor::new(
            gost_cipher::gost89::Gost89Sbox::Tc26Z,
            &key,
            &iv,
        )
        .map_err(|e| malformed(format!("GOST 28147-89: {e}")))?;
        let mut plain = Zeroizing::new(data.to_vec());
        dec.decrypt(&mut plain);
        Ok(plain)
    } else {
        aes_cbc_decrypt(&key, &iv, data)
    }
}

pub(super) fn iv_of(params: &Any) -> Result<Vec<u8>> {
    let iv = params.decode_as::<&OctetStringRef>().map_err(der_err)?;
    if iv.as_bytes().len() != 16 {
        return Err(malformed("AES-CBC IV is not 16 bytes"));
    }
    Ok(iv.as_bytes().to_vec())
}

pub(super) fn unpad(mut plain: Zeroizing<Vec<u8>>, block: usize) -> Result<Zeroizing<Vec<u8>>> {
    let pad = usize::from(plain.last().copied().unwrap_or(0));
    let len = plain.len();
    if pad == 0
        || pad > block
        || pad > len
        || plain.iter().skip(len - pad).any(|&b| usize::from(b) != pad)
    {
        return Err(Error::WrongPasswordOrContainer);
    }
    plain.truncate(len - pad);
    Ok(plain)
}

pub(super) fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use aes::cipher::{BlockDecrypt, KeyInit as _};
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(malformed("AES-CBC data is not a whole number of blocks"));
    }
    enum AnyAes {
        A128(aes::Aes128),
        A192(aes::Aes192),
        A256(aes::Aes256),
    }
    let bad_key = |_| malformed("AES key length");
    let cipher = match key.len() {
        16 => AnyAes::A128(aes::Aes128::new_from_slice(key).map_err(bad_key)?),
        24 => AnyAes::A192(aes::Aes192::new_from_slice(key).map_err(bad_key)?),
        _ => AnyAes::A256(aes::Aes256::new_from_slice(key).map_err(bad_key)?),
    };
    let mut prev = [0u8; 16];
    prev.copy_from_slice(iv.get(..16).ok_or_else(|| malformed("AES-CBC IV"))?);
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    for chunk in data.chunks_exact(16) {
        let mut block = aes::Block::clone_from_slice(chunk);
        match &cipher {
            AnyAes::A128(c) => c.decrypt_block(&mut block),
            AnyAes::A192(c) => c.decrypt_block(&mut block),
            AnyAes::A256(c) => c.decrypt_block(&mut block),
        }
        out.extend(block.iter().zip(prev.iter()).map(|(b, p)| b ^ p));
        prev.copy_from_slice(chunk);
    }
    unpad(out, 16)
}

pub(super) fn tdes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use des::cipher::{BlockDecrypt, KeyInit as _};
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(malformed("3DES-CBC data is not a whole number of blocks"));
    }
    let cipher = des::TdesEde3::new_from_slice(key).map_err(|_| malformed("3DES key length"))?;
    let mut prev = [0u8; 8];
    prev.copy_from_slice(iv.get(..8).ok_or_else(|| malformed("3DES IV"))?);
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    for chunk in data.chunks_exact(8) {
        let mut block = des::cipher::Block::<des::TdesEde3>::clone_from_slice(chunk);
        cipher.decrypt_block(&mut block);
        out.extend(block.iter().zip(prev.iter()).map(|(b, p)| b ^ p));
        prev.copy_from_slice(chunk);
    }
    unpad(out, 8)
}
