//! The PFX integrity check: HMAC under a key from the PKCS#12 KDF or, for GOST, the TC26 PBKDF2 rule.

use digest::Digest;
use hmac::{Hmac, KeyInit, Mac};
use token_core::{Error, Password, Result, oid};
use zeroize::Zeroizing;

use super::asn1::MacData;
use super::{check_iterations, unsupported};

pub(super) fn verify_mac(mac: &MacData, auth_safe: &[u8], password: &Password) -> Result<()> {
    let iterations = check_iterations(mac.iterations)?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    let alg = mac.mac.algorithm.oid;
    let pw = password.expose();
    let ok = if alg == oid::TC26_GOST_3411_12_512 {
        let key = tc26_mac_key::<gost::Streebog512>(pw, salt, iterations);
        hmac_verify::<gost::Streebog512>(&key, auth_safe, expected)
    } else if alg == oid::TC26_GOST_3411_12_256 {
        let key = tc26_mac_key::<gost::Streebog256>(pw, salt, iterations);
        hmac_verify::<gost::Streebog256>(&key, auth_safe, expected)
    } else if alg == oid::SHA256 {
        let key = pkcs12_kdf::<sha2::Sha256>(&bmp_password(pw), salt, iterations, 3, 32);
        hmac_verify::<sha2::Sha256>(&key, auth_safe, expected)
    } else if alg == oid::SHA1 {
        let key = pkcs12_kdf::<sha1::Sha1>(&bmp_password(pw), salt, iterations, 3, 20);
        hmac_verify::<sha1::Sha1>(&key, auth_safe, expected)
    } else {
        return Err(unsupported(format!("PFX MAC digest {alg}")));
    };
    if ok {
        Ok(())
    } else {
        Err(Error::WrongPasswordOrContainer)
    }
}

/// The TC26 MAC key: the last 32 bytes of PBKDF2-HMAC-H(password, salt, iterations, 96).
pub(super) fn tc26_mac_key<D>(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<Vec<u8>>
where
    D: hmac::EagerHash + Clone,
{
    let mut dk = Zeroizing::new([0u8; 96]);
    pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, dk.as_mut_slice());
    Zeroizing::new(dk.get(64..).map(<[u8]>::to_vec).unwrap_or_default())
}

pub(super) fn hmac_verify<D>(key: &[u8], data: &[u8], expected: &[u8]) -> bool
where
    D: hmac::EagerHash + Clone,
{
    let Ok(mut mac) = <Hmac<D> as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(expected).is_ok()
}

/// The password as PKCS#12 wants it for its own KDF: BMPString (UTF-16BE) with a trailing
/// NUL. Bytes that are not UTF-8 are widened one by one, as OpenSSL does.
pub(super) fn bmp_password(pw: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(pw.len() * 2 + 2));
    match core::str::from_utf8(pw) {
        Ok(s) => {
            for unit in s.encode_utf16() {
                out.extend(unit.to_be_bytes());
            }
        }
        Err(_) => {
            for &b in pw {
                out.extend([0, b]);
            }
        }
    }
    out.extend([0, 0]);
    out
}

/// The PKCS#12 key derivation (RFC 7292 appendix B.2) for hashes with a 64-byte block.
pub(super) fn pkcs12_kdf<D: Digest>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    id: u8,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    const V: usize = 64;
    // Every buffer holding the password or values derived from it is wiped, and sized up
    // front so that no reallocation leaves an unwiped copy behind.
    let fill = |src: &[u8]| -> Zeroizing<Vec<u8>> {
        let n = src.len().div_ceil(V) * V;
        Zeroizing::new(src.iter().copied().cycle().take(n).collect())
    };
    let (salt_block, password_block) = (fill(salt), fill(password));
    let mut i = Zeroizing::new(Vec::with_capacity(salt_block.len() + password_block.len()));
    i.extend_from_slice(&salt_block);
    i.extend_from_slice(&password_block);
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    while out.len() < len {
        let mut h = D::new();
        h.update([id; V]);
        h.update(i.as_slice());
        let mut a = Zeroizing::new(h.finalize().to_vec());
        for _ in 1..iterations {
            let next = D::digest(a.as_slice());
            a.copy_from_slice(&next);
        }
        let want = len - out.len();
        out.extend(a.iter().take(want));
        if out.len() >= len {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8V), B = A repeated to V bytes.
        let b: Zeroizing<Vec<u8>> = Zeroizing::new(a.iter().copied().cycle().take(V).collect());
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum.to_le_bytes()[0];
                carry = sum >> 8;
            }
        }
    }
    out
}
