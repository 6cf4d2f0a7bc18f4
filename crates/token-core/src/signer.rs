//! Any container key as a RustCrypto signer, so the x509-cert and cms builders sign with keys
//! that never leave the carrier.
//!
//! [`ContainerSigner`] reads the container's public key once when it is made (no carrier round
//! trip for [`signature::Keypair`]), and forwards every `try_sign` to [`Carrier::sign`] with the
//! message, so the carrier's confirmation hook and final-try rules apply unchanged.

use der::Sequence;
use der::asn1::Any;
use signature::{Keypair, SignatureEncoding, Signer};
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding};

use crate::{
    Carrier, Confirm, ContainerId, Error, PublicKey, Result, SignInput, SignRequest,
    SignatureScheme, oid,
};

/// A signature made by a carrier, in the encoding X.509 and CMS carry (`s ‖ r` for GOST, the
/// PKCS#1 / PSS octets for RSA, the DER `Ecdsa-Sig-Value` for ECDSA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarrierSignature(Box<[u8]>);

impl CarrierSignature {
    /// The signature bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<&[u8]> for CarrierSignature {
    type Error = signature::Error;

    fn try_from(bytes: &[u8]) -> core::result::Result<Self, Self::Error> {
        Ok(Self(bytes.into()))
    }
}

impl From<CarrierSignature> for Box<[u8]> {
    fn from(sig: CarrierSignature) -> Self {
        sig.0
    }
}

impl SignatureEncoding for CarrierSignature {
    type Repr = Box<[u8]>;
}

impl SignatureBitStringEncoding for CarrierSignature {
    fn to_bitstring(&self) -> der::Result<der::asn1::BitString> {
        der::asn1::BitString::from_bytes(&self.0)
    }
}

/// `RSASSA-PSS-params` (RFC 4055) for SHA-256, MGF1-SHA-256, salt 32.
#[derive(Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    hash: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    mask_gen: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    salt_length: u8,
}

/// The X.509 `signatureAlgorithm` for a scheme: GOST and ECDSA with absent parameters
/// (RFC 9215, RFC 5758),
/// sha256WithRSAEncryption with NULL (RFC 4055), PSS with its SHA-256 parameters.
///
/// ```
/// use keycarrier_token_core::{signature_algorithm_identifier, SignatureScheme};
/// let alg = signature_algorithm_identifier(SignatureScheme::Gost256).unwrap();
/// assert_eq!(alg.oid.to_string(), "1.2.643.7.1.1.3.2");
/// assert!(alg.parameters.is_none());
/// ```
pub fn signature_algorithm_identifier(scheme: SignatureScheme) -> Result<AlgorithmIdentifierOwned> {
    let parameters = match scheme {
        SignatureScheme::Gost256 | SignatureScheme::Gost512 => None,
        // RFC 5758 §3.2: ecdsa-with-SHA* have absent parameters.
        SignatureScheme::EcdsaSha256 | SignatureScheme::EcdsaSha384 => None,
        SignatureScheme::RsaPkcs1Sha256 => Some(Any::null()),
        SignatureScheme::RsaPssSha256 => {
            let sha256 = AlgorithmIdentifierOwned {
                oid: oid::SHA256,
                parameters: Some(Any::null()),
            };
            let params = PssParams {
                hash: sha256.clone(),
                mask_gen: AlgorithmIdentifierOwned {
                    oid: oid::MGF1,
                    parameters: Some(
                        Any::encode_from(&sha256)
                            .map_err(|e| Error::malformed_der("PSS parameters", e))?,
                    ),
                },
                salt_length: 32,
            };
            Some(Any::encode_from(&params).map_err(|e| Error::malformed_der("PSS parameters", e))?)
        }
    };
    Ok(AlgorithmIdentifierOwned {
        oid: scheme.x509_oid(),
        parameters,
    })
}

/// A container's key as a [`signature::Signer`] + [`signature::Keypair`] +
/// [`DynSignatureAlgorithmIdentifier`].
///
/// The x509-cert request builder and the cms builder accept it unchanged:
/// `RequestBuilder::new(subject).build::<_, CarrierSignature>(&signer)`.
pub struct ContainerSigner<'c, C: Carrier + ?Sized> {
    carrier: &'c C,
    id: ContainerId,
    public_key: PublicKey,
    scheme: SignatureScheme,
    description: Option<String>,
    confirmation: Option<&'c dyn Confirm>,
}

impl<C: Carrier + ?Sized> core::fmt::Debug for ContainerSigner<'_, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ContainerSigner")
            .field("id", &self.id)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl<'c, C: Carrier + ?Sized> ContainerSigner<'c, C> {
    /// Reads the container's public key once and picks the key's default scheme (GOST with the
    /// matching Streebog, RSA PKCS#1 v1.5 with SHA-256).
    pub fn new(carrier: &'c C, id: &ContainerId) -> Result<Self> {
        let info = carrier.container(id)?;
        if !info.has_private_key {
            return Err(Error::NotFound {
                what: format!("private key in container {id}"),
            });
        }
        Ok(Self {
            carrier,
            id: id.clone(),
            scheme: info.algorithm.signature_scheme(),
            public_key: info.public_key,
            description: None,
            confirmation: None,
        })
    }

    /// Uses another scheme the key supports (RSA: PSS instead of PKCS#1 v1.5; ECDSA: another
    /// SHA-2).
    pub fn with_scheme(mut self, scheme: SignatureScheme) -> Result<Self> {
        if !self.public_key.algorithm().fits(scheme) {
            return Err(Error::Unsupported {
                what: format!("{scheme:?} with a {} key", self.public_key.algorithm()),
            });
        }
        self.scheme = scheme;
        Ok(self)
    }

    /// Asks `hook` before every signature, showing it `description` (flow U15).
    pub fn with_confirmation(
        mut self,
        hook: &'c dyn Confirm,
        description: impl Into<String>,
    ) -> Self {
        self.confirmation = Some(hook);
        self.description = Some(description.into());
        self
    }

    /// The signature scheme in use.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The container's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Signs with keycarrier's own error type (the `Signer` impl wraps it into
    /// [`signature::Error`]).
    pub fn sign_message(&self, message: &[u8]) -> Result<CarrierSignature> {
        self.sign_input(SignInput::Message(message))
    }

    /// Signs a digest already computed with the scheme's digest algorithm (CMS signs the hash
    /// of its signed attributes this way), with the same confirmation hook.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<CarrierSignature> {
        self.sign_input(SignInput::Digest(digest))
    }

    fn sign_input(&self, input: SignInput<'_>) -> Result<CarrierSignature> {
        let request = SignRequest {
            container: &self.id,
            scheme: self.scheme,
            input,
            description: self.description.as_deref(),
            confirmation: self.confirmation,
        };
        self.carrier
            .sign(&request)
            .map(|bytes| CarrierSignature(bytes.into_boxed_slice()))
    }
}

impl<C: Carrier + ?Sized> Signer<CarrierSignature> for ContainerSigner<'_, C> {
    fn try_sign(&self, msg: &[u8]) -> core::result::Result<CarrierSignature, signature::Error> {
        self.sign_message(msg)
            .map_err(signature::Error::from_source)
    }
}

impl<C: Carrier + ?Sized> Keypair for ContainerSigner<'_, C> {
    type VerifyingKey = PublicKey;

    fn verifying_key(&self) -> PublicKey {
        self.public_key.clone()
    }
}

impl<C: Carrier + ?Sized> DynSignatureAlgorithmIdentifier for ContainerSigner<'_, C> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        signature_algorithm_identifier(self.scheme).map_err(|_| spki::Error::KeyMalformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn algorithm_identifiers_encode_as_expected() {
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let gost = signature_algorithm_identifier(SignatureScheme::Gost256).unwrap();
        // The reference's "absent params" form.
        assert_eq!(hex(gost.to_der().unwrap()), "300a06082a85030701010302");
        let rsa = signature_algorithm_identifier(SignatureScheme::RsaPkcs1Sha256).unwrap();
        assert_eq!(hex(rsa.to_der().unwrap()), "300d06092a864886f70d01010b0500");
        // OpenSSL's RSASSA-PSS SHA-256 / MGF1-SHA-256 / salt 32 encoding.
        let ecdsa = signature_algorithm_identifier(SignatureScheme::EcdsaSha256).unwrap();
        assert_eq!(hex(ecdsa.to_der().unwrap()), "300a06082a8648ce3d040302");
        let pss = signature_algorithm_identifier(SignatureScheme::RsaPssSha256).unwrap();
        assert_eq!(
            hex(pss.to_der().unwrap()),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"
        );
    }

    #[test]
    fn signature_bit_string_has_no_unused_bits() {
        let sig = CarrierSignature::try_from(&[1u8, 2, 3][..]).unwrap();
        let bits = sig.to_bitstring().unwrap();
        assert_eq!(bits.unused_bits(), 0);
        assert_eq!(bits.raw_bytes(), &[1, 2, 3]);
        assert_eq!(sig.to_vec(), vec![1, 2, 3]);
    }
}
