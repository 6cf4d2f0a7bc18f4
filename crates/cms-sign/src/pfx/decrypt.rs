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
        Ok(gost28147_cfb_decrypt(key, &iv, data))
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

/// GOST 28147-89 with the param-Z S-box in the 28147 byte order, on top of the `magma` crate
/// (GOST R 34.12-2015 order): the key words and the block bytes are reversed.
pub(super) struct Gost89(magma::Magma);

impl Gost89 {
    fn new(key: &[u8; 32]) -> Self {
        use magma::cipher::KeyInit as _;
        let mut k = Zeroizing::new([0u8; 32]);
        for (dst, src) in k.chunks_exact_mut(4).zip(key.chunks_exact(4)) {
            for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                *d = *s;
            }
        }
        Self(magma::Magma::new(&(*k).into()))
    }

    fn encrypt(&self, block: &mut [u8; 8]) {
        use magma::cipher::BlockEncrypt as _;
        block.reverse();
        self.0.encrypt_block(block.into());
        block.reverse();
    }

    fn decrypt(&self, block: &mut [u8; 8]) {
        use magma::cipher::BlockDecrypt as _;
        block.reverse();
        self.0.decrypt_block(block.into());
        block.reverse();
    }
}

/// The CryptoPro key meshing constant (RFC 4357 §2.3.2).
const KEY_MESHING: [u8; 32] = [
    0x69, 0x00, 0x72, 0x22, 0x64, 0xC9, 0x04, 0x23, 0x8D, 0x3A, 0xDB, 0x96, 0x46, 0xE9, 0x2A, 0xC4,
    0x18, 0xFE, 0xAC, 0x94, 0x00, 0xED, 0x07, 0x12, 0xC0, 0x86, 0xDC, 0xC2, 0xEF, 0x4C, 0xA9, 0x2B,
];

/// GOST 28147-89 CFB decryption with CryptoPro key meshing every 1024 bytes (as gost-engine's
/// `gost89` cipher does for param-Z).
pub(super) fn gost28147_cfb_decrypt(
    key: &[u8; 32],
    iv: &[u8; 8],
    data: &[u8],
) -> Zeroizing<Vec<u8>> {
    let mut cipher = Gost89::new(key);
    let mut register = *iv;
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    let mut count = 0usize;
    for chunk in data.chunks(8) {
        if count == 1024 {
            let mut new_key = Zeroizing::new(KEY_MESHING);
            for block in new_key.chunks_exact_mut(8) {
                let mut b = [0u8; 8];
                b.copy_from_slice(block);
                cipher.decrypt(&mut b);
                block.copy_from_slice(&b);
            }
            cipher = Gost89::new(&new_key);
            cipher.encrypt(&mut register);
            count = 0;
        }
        let mut gamma = register;
        cipher.encrypt(&mut gamma);
        out.extend(chunk.iter().zip(gamma.iter()).map(|(c, g)| c ^ g));
        for (r, c) in register.iter_mut().zip(chunk) {
            *r = *c;
        }
        count += 8;
    }
    out
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
