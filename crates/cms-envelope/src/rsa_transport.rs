//! RSA key transport (RFC 5652 §6.2.1 with RFC 8017): encrypting the content key to a
//! recipient's RSA public key. Decryption is the carrier's (`Carrier::decrypt_key`): the
//! private key never comes to the host.

use der::{Any, Decode, Encode};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use spki::AlgorithmIdentifierOwned;
use token_core::{Error, OaepHash, Result, RsaKeyTransport, oid};

use crate::asn1::RsaesOaepParams;

fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// Encrypts `key` to the RSA public key in `spki_der`; returns the key-encryption algorithm
/// identifier to put in the recipient info and the encrypted key.
pub(crate) fn encrypt_key(
    spki_der: &[u8],
    key: &[u8],
    padding: RsaKeyTransport,
) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    let public = RsaPublicKey::from_public_key_der(spki_der).map_err(|e| Error::Malformed {
        what: "recipient RSA public key",
        at: None,
        reason: e.to_string(),
    })?;
    let failed = |e: rsa::Error| crate::internal(&format!("RSA key transport: {e}"));
    let (alg, encrypted) = match padding {
        RsaKeyTransport::Pkcs1v15 => (
            AlgorithmIdentifierOwned {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            public
                .encrypt(&mut rng(), Pkcs1v15Encrypt, key)
                .map_err(failed)?,
        ),
        RsaKeyTransport::Oaep(hash) => {
            let encrypted = match hash {
                OaepHash::Sha1 => public.encrypt(&mut rng(), Oaep::<sha1::Sha1>::new(), key),
                OaepHash::Sha256 => public.encrypt(&mut rng(), Oaep::<sha2::Sha256>::new(), key),
                OaepHash::Sha384 => public.encrypt(&mut rng(), Oaep::<sha2::Sha384>::new(), key),
                OaepHash::Sha512 => public.encrypt(&mut rng(), Oaep::<sha2::Sha512>::new(), key),
                _ => {
                    return Err(Error::Unsupported {
                        what: format!("OAEP with {hash:?}"),
                    });
                }
            }
            .map_err(failed)?;
            (oaep_identifier(hash)?, encrypted)
        }
        _ => {
            return Err(Error::Unsupported {
                what: format!("RSA key transport {padding:?}"),
            });
        }
    };
    Ok((alg, encrypted))
}

/// `id-RSAES-OAEP` with explicit hash and MGF1 parameters (SHA-1 is the default and written
/// as absent, RFC 4055 §4.1).
fn oaep_identifier(hash: OaepHash) -> Result<AlgorithmIdentifierOwned> {
    let der_err = |e| Error::malformed_der("RSAES-OAEP parameters", e);
    let params = if hash == OaepHash::Sha1 {
        RsaesOaepParams::default()
    } else {
        let hash_oid = match hash {
            OaepHash::Sha256 => oid::SHA256,
            OaepHash::Sha384 => oid::SHA384,
            _ => oid::SHA512,
        };
        let hash_alg = AlgorithmIdentifierOwned {
            oid: hash_oid,
            parameters: Some(Any::null()),
        };
        let mgf = AlgorithmIdentifierOwned {
            oid: oid::MGF1,
            parameters: Some(Any::from_der(&hash_alg.to_der().map_err(der_err)?).map_err(der_err)?),
        };
        RsaesOaepParams {
            hash: Some(hash_alg),
            mask_gen: Some(mgf),
            p_source: None,
        }
    };
    Ok(AlgorithmIdentifierOwned {
        oid: oid::RSAES_OAEP,
        parameters: Some(Any::from_der(&params.to_der().map_err(der_err)?).map_err(der_err)?),
    })
}
