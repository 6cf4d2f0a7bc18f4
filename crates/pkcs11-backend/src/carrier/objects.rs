//! Token objects as this crate reads and writes them: attribute lookups in `cryptoki`'s
//! typed lists, which key types keycarrier knows, finding and deleting objects, and the
//! certificate object template. Shared by listing, generation, import and signing.

use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::Session;
use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_KEY_TYPE};
use token_core::{ContainerId, Error, Result};

use super::Pkcs11Carrier;
use crate::consts::{CKK_GOSTR3410, CKK_GOSTR3410_512};
use crate::error::ck;

/// Which kind of private key a container holds, as far as signing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Rsa,
    Gost256,
    Gost512,
    Ec,
}

/// `CKA_LABEL` bytes of an object template: the label's UTF-8.
pub(super) fn label_bytes(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The byte value of attribute `want` in a `cryptoki` attribute list.
pub(super) fn attr_bytes(attrs: &[Attribute], want: AttributeType) -> Option<Vec<u8>> {
    attrs.iter().find_map(|a| match (a, want) {
        (Attribute::Id(v), AttributeType::Id)
        | (Attribute::Label(v), AttributeType::Label)
        | (Attribute::Value(v), AttributeType::Value)
        | (Attribute::Modulus(v), AttributeType::Modulus)
        | (Attribute::EcParams(v), AttributeType::EcParams)
        | (Attribute::EcPoint(v), AttributeType::EcPoint)
        | (Attribute::PublicExponent(v), AttributeType::PublicExponent) => Some(v.clone()),
        _ => None,
    })
}

/// The boolean value of attribute `want` in a `cryptoki` attribute list.
pub(super) fn attr_bool(attrs: &[Attribute], want: AttributeType) -> Option<bool> {
    attrs.iter().find_map(|a| match (a, want) {
        (Attribute::Extractable(b), AttributeType::Extractable)
        | (Attribute::Sensitive(b), AttributeType::Sensitive) => Some(*b),
        _ => None,
    })
}

/// The `CKA_KEY_TYPE` in a `cryptoki` attribute list.
pub(super) fn key_type_of(attrs: &[Attribute]) -> Option<KeyType> {
    attrs.iter().find_map(|a| match a {
        Attribute::KeyType(k) => Some(*k),
        _ => None,
    })
}

/// The key kind keycarrier knows for a PKCS#11 key type; `None` for the others (DSA, EdDSA,
/// secret keys), which are not containers.
pub(super) fn kind_of(k: KeyType) -> Option<KeyKind> {
    let v: CK_KEY_TYPE = k.into();
    match v {
        _ if k == KeyType::RSA => Some(KeyKind::Rsa),
        _ if k == KeyType::EC => Some(KeyKind::Ec),
        CKK_GOSTR3410 => Some(KeyKind::Gost256),
        CKK_GOSTR3410_512 => Some(KeyKind::Gost512),
        _ => None,
    }
}

impl Pkcs11Carrier {
    /// `C_FindObjects` with `template`.
    pub(super) fn find(&self, s: &Session, template: &[Attribute]) -> Result<Vec<ObjectHandle>> {
        s.find_objects(template).map_err(ck("C_FindObjects"))
    }

    /// `C_GetAttributeValue` through `cryptoki`'s typed attributes.
    pub(super) fn get(
        &self,
        s: &Session,
        h: ObjectHandle,
        types: &[AttributeType],
    ) -> Result<Vec<Attribute>> {
        s.get_attributes(h, types)
            .map_err(ck("C_GetAttributeValue"))
    }

    /// One attribute `cryptoki` has no name for (the GOST parameter OIDs), read raw.
    pub(super) fn raw_attr(
        &self,
        s: &Session,
        h: ObjectHandle,
        kind: CK_ATTRIBUTE_TYPE,
    ) -> Result<Option<Vec<u8>>> {
        self.module().raw().get_attribute(s, h, kind)
    }

    /// Destroys every handle, going on past failures; returns the first failure.
    pub(super) fn delete_objects(&self, s: &Session, handles: &[ObjectHandle]) -> Result<()> {
        let mut first = None;
        for h in handles {
            if let Err(e) = s.destroy_object(*h).map_err(ck("C_DestroyObject")) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// The error of a failed generation or import whose cleanup failed too: objects may be left on the
/// carrier, which the caller must learn. The original error's text and code are kept in the
/// evidence, followed by the cleanup's. A removed carrier stays `CarrierRemoved` (its objects
/// went with it).
pub(super) fn with_cleanup_failure(original: Error, cleanup: &Error) -> Error {
    use token_core::{BackendEvidence, ErrorCode};
    if matches!(original, Error::CarrierRemoved) {
        return original;
    }
    let cleanup = match cleanup {
        Error::Backend(evidence) => evidence.to_string(),
        other => format!("{other} [{}]", other.code()),
    };
    Error::Backend(BackendEvidence::Other(format!(
        "{original} [{}]; deleting the objects made so far then failed, objects may be left \
         on the carrier: {cleanup}",
        original.code()
    )))
}

/// The template of an X.509 certificate object in container `id`.
pub(super) fn certificate_template(
    id: &ContainerId,
    label: &str,
    der: &[u8],
) -> Result<Vec<Attribute>> {
    use token_core::der::{Decode, Encode};
    let parsed = token_core::x509_cert::Certificate::from_der(der)
        .map_err(|e| Error::malformed_der("certificate", e))?;
    let tbs = parsed.tbs_certificate();
    let enc =
        |r: token_core::der::Result<Vec<u8>>| r.map_err(|e| Error::malformed_der("certificate", e));
    Ok(vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Id(id.as_bytes().to_vec()),
        Attribute::Label(label_bytes(label)),
        Attribute::Subject(enc(tbs.subject().to_der())?),
        Attribute::Issuer(enc(tbs.issuer().to_der())?),
        Attribute::SerialNumber(enc(tbs.serial_number().to_der())?),
        Attribute::Value(der.to_vec()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::{ErrorCode, PinRole};

    #[test]
    fn cleanup_failure_keeps_both_pieces_of_evidence() {
        let cleanup = crate::error::map_ckr(
            "C_DestroyObject",
            cryptoki_sys::CKR_DEVICE_ERROR,
            PinRole::User,
        );
        let e = with_cleanup_failure(Error::Cancelled, &cleanup);
        let text = e.to_string();
        assert_eq!(e.code(), "KC-BACKEND", "{e:?}");
        assert!(text.contains("cancelled [KC-CANCELLED]"), "{text}");
        assert!(
            text.contains("C_DestroyObject returned CKR 0x00000030"),
            "{text}"
        );
        assert!(matches!(
            with_cleanup_failure(Error::CarrierRemoved, &cleanup),
            Error::CarrierRemoved
        ));
    }
}
