//! Unlocking: the PIN key, the decryption of the masked key, the mask removed, and the result
//! checked against the public key the container and its certificate name. [`UnlockedKey`]
//! holds what comes out.

use der::asn1::{BitString, OctetStringRef};
use der::{Any, Decode, Encode};
use gost::SigningKey;
use gost_cipher::gost89::ecb_decrypt;
use pkcs8::PrivateKeyInfoRef;
use pkcs8::spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef, SubjectPublicKeyInfoOwned};
use token_core::x509_cert::Certificate;
use token_core::{Error, Password, Result, SecretBytes};
use zeroize::Zeroizing;

use crate::container::{ContainerAlgorithm, CryptoProContainer, KeyCopy};
use crate::pin_key;

/// A container's private key, recovered and checked: the public key computed from it starts
/// with the container's fingerprint and equals the certificate's key.
///
/// The key is held as a [`gost::SigningKey`] and as PKCS#8, both zeroized on drop; `Debug`
/// shows neither.
pub struct UnlockedKey {
    algorithm: ContainerAlgorithm,
    key: SigningKey,
    pkcs8: SecretBytes,
    public_key: Vec<u8>,
    certificate: Option<Vec<u8>>,
}

impl core::fmt::Debug for UnlockedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnlockedKey")
            .field("algorithm", &self.algorithm)
            .field("param_set", &self.key.param_set())
            .field("has_certificate", &self.certificate.is_some())
            .finish_non_exhaustive()
    }
}

impl UnlockedKey {
    /// GOST R 34.10-2001 or 2012.
    pub fn algorithm(&self) -> ContainerAlgorithm {
        self.algorithm
    }

    /// The key for signing with the `gost` crate. `None` for a GOST R 34.10-2001 key: `gost`
    /// signs GOST R 34.10-2012 (Streebog digests, 2012 OIDs) only, and a 2001 key must not
    /// quietly become a 2012 one. Its PKCS#8 is still available.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        (self.algorithm != ContainerAlgorithm::Gost2001).then_some(&self.key)
    }

    /// The private key as PKCS#8 `PrivateKeyInfo` DER, as OpenSSL's gost engine writes it:
    /// the key OID of the algorithm (1.2.643.2.2.19 for 2001, 1.2.643.7.1.1.1.1/.2 for 2012),
    /// the container's curve and digest parameters, the scalar little-endian.
    pub fn private_key_pkcs8(&self) -> &SecretBytes {
        &self.pkcs8
    }

    /// The public key as SubjectPublicKeyInfo DER, with the same OIDs as the PKCS#8.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key
    }

    /// The container's certificate, DER, if it has one.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.certificate.as_deref()
    }
}

fn der_err(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |e| Error::malformed_der(what, e)
}

impl CryptoProContainer {
    /// Recovers the private key with the PIN (an empty [`Password`] for a container without
    /// one).
    ///
    /// The key is accepted only if its public key starts with the fingerprint in header.key
    /// (tried with the primary copy, then the reserve copy); otherwise the PIN is wrong or the
    /// key files are damaged, which CryptoPro's format cannot tell apart:
    /// [`Error::WrongPasswordOrContainer`]. A certificate in the container that belongs to
    /// another key is [`Error::CertificateMismatch`].
    pub fn unlock(&self, pin: &Password) -> Result<UnlockedKey> {
        let key = self
            .copies
            .iter()
            .find_map(|copy| self.try_copy(copy, pin).transpose())
            .transpose()?
            .ok_or(Error::WrongPasswordOrContainer)?;
        let public_key = self.public_key_der(&key)?;
        if let Some(cert) = &self.certificate {
            check_certificate(cert, &public_key)?;
        }
        Ok(UnlockedKey {
            algorithm: self.algorithm,
            pkcs8: self.pkcs8_der(&key)?,
            public_key,
            certificate: self.certificate.clone(),
            key,
        })
    }

    /// One copy of the key: `Ok(None)` when the result does not fit the fingerprint.
    fn try_copy(&self, copy: &KeyCopy, pin: &Password) -> Result<Option<SigningKey>> {
        let too_long = || Error::NotAllowed {
            reason: format!(
                "a PIN longer than {} characters cannot be a CryptoPro PIN",
                pin_key::MAX_PIN_CHARS
            ),
        };
        let pin_key =
            pin_key::derive(self.algorithm.pin_hash(), &copy.salt, pin).ok_or_else(too_long)?;
        let mut masked = Zeroizing::new(copy.encrypted.expose().to_vec());
        ecb_decrypt(self.algorithm.sbox(), &pin_key, &mut masked).map_err(|e| {
            Error::Malformed {
                what: "CryptoPro primary.key",
                at: None,
                reason: e.to_string(),
            }
        })?;
        let key =
            match SigningKey::from_cryptopro_masked(self.param_set, &masked, copy.mask.expose()) {
                Ok(key) => key,
                // Noise from a wrong PIN can land on 0; that is a wrong PIN, not a bad file.
                Err(gost::Error::Malformed { .. }) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
        let fits = key
            .verifying_key()
            .as_raw_le()
            .starts_with(&self.fingerprint);
        Ok(fits.then_some(key))
    }

    /// The AlgorithmIdentifier of SPKI and PKCS#8: the key OID and the header's parameters.
    fn algorithm_identifier(&self) -> Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: self.algorithm.key_oid(),
            parameters: Some(
                Any::encode_from(&self.parameters).map_err(der_err("GOST key parameters"))?,
            ),
        })
    }

    fn public_key_der(&self, key: &SigningKey) -> Result<Vec<u8>> {
        let point = OctetStringRef::new(key.verifying_key().as_raw_le())
            .and_then(|o| o.to_der())
            .map_err(der_err("public key"))?;
        SubjectPublicKeyInfoOwned {
            algorithm: self.algorithm_identifier()?,
            subject_public_key: BitString::from_bytes(&point).map_err(der_err("public key"))?,
        }
        .to_der()
        .map_err(der_err("public key"))
    }

    fn pkcs8_der(&self, key: &SigningKey) -> Result<SecretBytes> {
        let alg_der = self
            .algorithm_identifier()?
            .to_der()
            .map_err(der_err("private key"))?;
        let alg = AlgorithmIdentifierRef::from_der(&alg_der).map_err(der_err("private key"))?;
        let scalar = key.to_le_bytes();
        let octets = OctetStringRef::new(&scalar).map_err(der_err("private key"))?;
        let der = Zeroizing::new(
            PrivateKeyInfoRef::new(alg, octets)
                .to_der()
                .map_err(der_err("private key"))?,
        );
        Ok(SecretBytes::new(&der))
    }
}

/// The certificate's subjectPublicKey must be the recovered key's, on the same curve. Read
/// from the X.509 structure directly, so that GOST R 34.10-2001 certificates are checked too.
fn check_certificate(cert: &[u8], public_key: &[u8]) -> Result<()> {
    let cert = Certificate::from_der(cert).map_err(der_err("certificate"))?;
    let theirs = cert.tbs_certificate().subject_public_key_info();
    let ours = SubjectPublicKeyInfoOwned::from_der(public_key).map_err(der_err("public key"))?;
    let curve = |spki: &SubjectPublicKeyInfoOwned| -> Option<gost::CurveId> {
        let params = spki
            .algorithm
            .parameters
            .as_ref()?
            .decode_as::<crate::asn1::KeyParameters>()
            .ok()?;
        Some(gost::ParamSet::from_oid(&params.public_key_param_set)?.curve())
    };
    let same = curve(theirs).is_some()
        && curve(theirs) == curve(&ours)
        && theirs.algorithm.oid == ours.algorithm.oid
        && theirs.subject_public_key.raw_bytes() == ours.subject_public_key.raw_bytes();
    if same {
        Ok(())
    } else {
        Err(Error::CertificateMismatch)
    }
}
