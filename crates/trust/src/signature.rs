//! Signature checks with a public key alone: GOST R 34.10-2012 through the `gost` crate, RSA
//! (PKCS#1 v1.5 and PSS with SHA-256) through the `rsa` crate. Used for PKCS#10 requests,
//! certificates, CRLs, OCSP responses and CMS signer infos: the one signature verifier of the
//! workspace.

use der::asn1::{Any, ObjectIdentifier};
use der::{Decode, Sequence};
use spki::AlgorithmIdentifierOwned;
use token_core::{DigestAlgorithm, Error, KeyAlgorithm, PublicKey, Result, SignatureScheme, oid};

/// Hashes `data` with a digest algorithm (Streebog-256/512, SHA-256 or SHA-384).
pub fn digest(alg: DigestAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        DigestAlgorithm::Sha256 => {
            use sha2::Digest;
            sha2::Sha256::digest(data).to_vec()
        }
        DigestAlgorithm::Sha384 => {
            use sha2::Digest;
            sha2::Sha384::digest(data).to_vec()
        }
        DigestAlgorithm::Streebog256 => gost::streebog256(data).to_vec(),
        DigestAlgorithm::Streebog512 => gost::streebog512(data).to_vec(),
        // `DigestAlgorithm` is non-exhaustive; every variant it has today is handled above.
        _ => Vec::new(),
    }
}

/// `RSASSA-PSS-params` with every field optional, as read from a peer.
#[derive(Sequence)]
struct PssParamsIn {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<Any>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
}

/// PSS salt length from the parameters; only SHA-256 is accepted.
fn pss_salt(parameters: Option<&Any>) -> Result<usize> {
    let Some(any) = parameters else {
        return Ok(32);
    };
    let der = der::Encode::to_der(any).map_err(|e| Error::malformed_der("PSS parameters", e))?;
    let p = PssParamsIn::from_der(&der).map_err(|e| Error::malformed_der("PSS parameters", e))?;
    let hash: Option<ObjectIdentifier> = p.hash.map(|h| h.oid);
    if hash != Some(oid::SHA256) {
        return Err(Error::Unsupported {
            what: "RSASSA-PSS with a digest other than SHA-256".into(),
        });
    }
    Ok(usize::try_from(p.salt_length.unwrap_or(20)).unwrap_or(usize::MAX))
}

/// The scheme an AlgorithmIdentifier names (X.509 or CMS form), or `Unsupported`.
pub fn scheme_of(alg: &AlgorithmIdentifierOwned) -> Result<SignatureScheme> {
    SignatureScheme::from_oid(&alg.oid).ok_or_else(|| Error::Unsupported {
        what: format!("signature algorithm {}", alg.oid),
    })
}

/// The scheme of a certificate's or CRL's `signatureAlgorithm`: the X.509 sign-with-digest OID
/// only. The bare key OIDs CMS uses (rsaEncryption, the GOST key OIDs) do not name a digest
/// and are refused here, as OpenSSL refuses them in certificates.
pub fn x509_scheme_of(alg: &AlgorithmIdentifierOwned) -> Result<SignatureScheme> {
    let scheme = scheme_of(alg)?;
    if scheme.x509_oid() != alg.oid {
        return Err(Error::VerificationFailed {
            what: format!("{} is not an X.509 signature algorithm", alg.oid),
        });
    }
    Ok(scheme)
}

/// Verifies `signature` over a precomputed `digest` (the scheme's digest of the message).
///
/// `algorithm` is the signature AlgorithmIdentifier as it appears in the signed object (needed
/// for the PSS salt length); GOST parameters may be NULL or absent.
pub fn verify_digest(
    key: &PublicKey,
    algorithm: &AlgorithmIdentifierOwned,
    digest: &[u8],
    signature: &[u8],
) -> Result<()> {
    let scheme = scheme_of(algorithm)?;
    let failed = || Error::VerificationFailed {
        what: "signature".into(),
    };
    match (key.algorithm(), scheme) {
        (KeyAlgorithm::Gost(_), SignatureScheme::Gost256 | SignatureScheme::Gost512) => {
            if key.algorithm().signature_scheme() != scheme {
                return Err(Error::VerificationFailed {
                    what: "signature algorithm does not fit the key size".into(),
                });
            }
            use gost::signature::hazmat::PrehashVerifier;
            let vk = gost::VerifyingKey::from_spki_der(&key.to_der()?)?;
            let sig = gost::Signature::from_bytes(signature).map_err(|_| failed())?;
            vk.verify_prehash(digest, &sig).map_err(|_| failed())
        }
        (
            KeyAlgorithm::Rsa { .. },
            SignatureScheme::RsaPkcs1Sha256 | SignatureScheme::RsaPssSha256,
        ) => {
            use rsa::pkcs8::DecodePublicKey;
            let spki = key.to_der()?;
            let rsa_key =
                rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|e| Error::Malformed {
                    what: "RSA public key",
                    at: None,
                    reason: e.to_string(),
                })?;
            let result = if scheme == SignatureScheme::RsaPssSha256 {
                let salt = pss_salt(algorithm.parameters.as_ref())?;
                rsa_key.verify(
                    rsa::Pss::<sha2::Sha256>::new_with_salt(salt),
                    digest,
                    signature,
                )
            } else {
                rsa_key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), digest, signature)
            };
            result.map_err(|_| failed())
        }
        (KeyAlgorithm::Ec(_), scheme) if scheme.is_ecdsa() => Err(Error::Unsupported {
            what: format!("verifying {scheme:?} signatures (only GOST and RSA)"),
        }),
        (alg, scheme) => Err(Error::VerificationFailed {
            what: format!("{scheme:?} signature cannot come from a {alg} key"),
        }),
    }
}

/// Verifies `signature` over `message`, hashing it with the scheme's digest.
pub fn verify_message(
    key: &PublicKey,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let scheme = scheme_of(algorithm)?;
    verify_digest(key, algorithm, &digest(scheme.digest(), message), signature)
}

/// The DER of the to-be-signed part of a signed structure (certificate, CRL, request): the
/// first element inside the outer SEQUENCE, byte for byte as received.
pub fn signed_part(der: &[u8]) -> Result<&[u8]> {
    use der::{Reader, SliceReader};
    let bad = |e: der::Error| Error::malformed_der("signed structure", e);
    let mut r = SliceReader::new(der).map_err(bad)?;
    let _outer = der::Header::decode(&mut r).map_err(bad)?;
    let start = usize::try_from(u32::from(r.position())).unwrap_or(usize::MAX);
    let _tbs = der::asn1::AnyRef::decode(&mut r).map_err(bad)?;
    let end = usize::try_from(u32::from(r.position())).unwrap_or(usize::MAX);
    der.get(start..end).ok_or_else(|| Error::Malformed {
        what: "signed structure",
        at: Some(start),
        reason: "truncated".into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A P-256 SPKI (id-ecPublicKey, prime256v1) with a dummy uncompressed point.
    fn p256_key() -> PublicKey {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
        ];
        der.extend([
            0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ]);
        der.extend([0x03, 0x42, 0x00, 0x04]);
        der.extend([0x5a; 64]);
        PublicKey::from_spki_der(&der).unwrap()
    }

    #[test]
    fn ecdsa_is_unsupported_not_a_failed_check() {
        let key = p256_key();
        let alg = AlgorithmIdentifierOwned {
            oid: oid::ECDSA_WITH_SHA256,
            parameters: None,
        };
        let e = verify_digest(&key, &alg, &[0u8; 32], &[0x30, 0x00]).unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    }

    #[test]
    fn sha384_digest() {
        // FIPS 180-2 example "abc".
        let d = digest(DigestAlgorithm::Sha384, b"abc");
        assert_eq!(d.len(), 48);
        assert_eq!(&d[..8], &[0xcb, 0x00, 0x75, 0x3f, 0x45, 0xa3, 0x5e, 0x8b]);
    }
}
