//! Attribute templates and values as PKCS#11 exchanges them: the caller's (type, bytes) pairs,
//! `CK_ULONG` and `CK_BBOOL` values in the C layout, the stored layout of the soft token
//! ([`soft_token::objects`]), and the defaults an object shows for attributes it does not store.

use cryptoki_sys::*;
use der::{Decode, Encode};
use soft_token::objects::{KC_PKCS8, KC_SPKI, StoredAttribute, StoredObject};
use token_core::{GostParamSet, KeyAlgorithm};
use zeroize::Zeroizing;

use crate::errors::R;

/// An attribute as the caller gives or gets it: type and value bytes in the C layout. The
/// value is zeroized when dropped: templates carry private key material (C_CreateObject).
pub(crate) type Attr = (CK_ATTRIBUTE_TYPE, Zeroizing<Vec<u8>>);

/// An attribute lookup's outcome.
pub(crate) enum Lookup {
    /// The value in the C layout.
    Value(Vec<u8>),
    /// A secret value in the C layout (a derived key's readable CKA_VALUE), zeroized when
    /// dropped.
    Secret(Zeroizing<Vec<u8>>),
    /// CKR_ATTRIBUTE_SENSITIVE.
    Sensitive,
    /// CKR_ATTRIBUTE_TYPE_INVALID.
    Invalid,
}

/// CK_ULONG-typed attributes: stored as 8 little-endian bytes, exchanged as native CK_ULONG.
fn is_ulong(kind: CK_ATTRIBUTE_TYPE) -> bool {
    matches!(
        kind,
        CKA_CLASS
            | CKA_KEY_TYPE
            | CKA_CERTIFICATE_TYPE
            | CKA_CERTIFICATE_CATEGORY
            | CKA_JAVA_MIDP_SECURITY_DOMAIN
            | CKA_MODULUS_BITS
            | CKA_VALUE_LEN
            | CKA_KEY_GEN_MECHANISM
            | CKA_NAME_HASH_ALGORITHM
    )
}

/// A `CK_ULONG` in the C layout (native byte order and width).
pub(crate) fn native_ulong(v: u64) -> Vec<u8> {
    CK_ULONG::try_from(v)
        .unwrap_or(CK_UNAVAILABLE_INFORMATION)
        .to_ne_bytes()
        .to_vec()
}

/// Reads a `CK_ULONG` in the C layout.
pub(crate) fn read_native_ulong(v: &[u8]) -> R<u64> {
    let bytes: [u8; size_of::<CK_ULONG>()] =
        v.try_into().map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    Ok(CK_ULONG::from_ne_bytes(bytes))
}

/// Reads a `CK_BBOOL`.
fn read_bool(v: &[u8]) -> R<bool> {
    match v {
        [b] => Ok(*b != 0),
        _ => Err(CKR_ATTRIBUTE_VALUE_INVALID),
    }
}

/// A template attribute in the store's layout.
pub(crate) fn to_stored(kind: CK_ATTRIBUTE_TYPE, value: &[u8]) -> R<StoredAttribute> {
    let stored = if is_ulong(kind) {
        StoredAttribute::ulong(kind, read_native_ulong(value)?)
    } else {
        StoredAttribute::clear(kind, value.to_vec())
    };
    stored.map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)
}

/// The attributes of a private key's material: never stored as given, never shown.
pub(crate) const SENSITIVE_PRIVATE_PARTS: [CK_ATTRIBUTE_TYPE; 7] = [
    CKA_VALUE,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
];

/// An object's attribute as PKCS#11 shows it, with the defaults the store does not keep.
pub(crate) fn lookup(obj: &StoredObject, kind: CK_ATTRIBUTE_TYPE) -> Lookup {
    let class = obj.ulong(CKA_CLASS);
    let is_key = matches!(class, Some(CKO_PUBLIC_KEY | CKO_PRIVATE_KEY));
    let private_key = class == Some(CKO_PRIVATE_KEY);
    if kind == KC_PKCS8 || (private_key && SENSITIVE_PRIVATE_PARTS.contains(&kind)) {
        return Lookup::Sensitive;
    }
    if kind == CKA_PUBLIC_KEY_INFO && is_key {
        return obj
            .clear_value(KC_SPKI)
            .map_or(Lookup::Invalid, |v| Lookup::Value(v.to_vec()));
    }
    if let Some(a) = obj.attribute(kind) {
        let Some(v) = a.clear_value() else {
            return Lookup::Sensitive;
        };
        return Lookup::Value(if is_ulong(kind) {
            a.as_ulong().map_or_else(|| v.to_vec(), native_ulong)
        } else {
            v.to_vec()
        });
    }
    let b = |v: bool| Lookup::Value(vec![u8::from(v)]);
    match kind {
        CKA_TOKEN | CKA_MODIFIABLE | CKA_DESTROYABLE => b(true),
        CKA_PRIVATE | CKA_COPYABLE => b(false),
        CKA_LABEL => Lookup::Value(Vec::new()),
        CKA_ID | CKA_SUBJECT | CKA_START_DATE | CKA_END_DATE if is_key => Lookup::Value(Vec::new()),
        CKA_ENCRYPT | CKA_DECRYPT | CKA_WRAP | CKA_UNWRAP | CKA_SIGN_RECOVER
        | CKA_VERIFY_RECOVER | CKA_DERIVE | CKA_SIGN | CKA_VERIFY
            if is_key =>
        {
            b(false)
        }
        CKA_LOCAL if is_key => b(false),
        CKA_KEY_GEN_MECHANISM if is_key => Lookup::Value(native_ulong(u64::MAX)),
        CKA_ALWAYS_AUTHENTICATE | CKA_WRAP_WITH_TRUSTED if private_key => b(false),
        CKA_ALWAYS_SENSITIVE if private_key => b(obj.flag(CKA_SENSITIVE).unwrap_or(true)),
        CKA_NEVER_EXTRACTABLE if private_key => b(!obj.flag(CKA_EXTRACTABLE).unwrap_or(false)),
        CKA_TRUSTED if class == Some(CKO_PUBLIC_KEY) || class == Some(CKO_CERTIFICATE) => b(false),
        CKA_CERTIFICATE_CATEGORY if class == Some(CKO_CERTIFICATE) => {
            Lookup::Value(native_ulong(0))
        }
        _ => Lookup::Invalid,
    }
}

/// The value of attribute `kind` in a template.
pub(crate) fn find_attr(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> Option<&[u8]> {
    template
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, v)| v.as_slice())
}

/// A template's `CK_ULONG` attribute `kind`.
pub(crate) fn template_ulong(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> R<Option<u64>> {
    find_attr(template, kind).map(read_native_ulong).transpose()
}

/// A template's `CK_BBOOL` attribute `kind`.
pub(crate) fn template_bool(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> R<Option<bool>> {
    find_attr(template, kind).map(read_bool).transpose()
}

/// The GOST parameter set named by a CKA_GOSTR3410_PARAMS value (a DER OID).
pub(crate) fn gost_set_from(template_value: Option<&[u8]>) -> R<GostParamSet> {
    let der = template_value.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let oid = token_core::const_oid::ObjectIdentifier::from_der(der)
        .map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    GostParamSet::from_oid(&oid).ok_or(CKR_ATTRIBUTE_VALUE_INVALID)
}

/// The template of C_SetAttributeValue / C_CopyObject as (type, value) changes: CKA_LABEL,
/// CKA_ID and CKA_SUBJECT; CKA_TOKEN is passed over where `token_ok` (C_CopyObject reads it
/// itself); what never changes is CKR_ATTRIBUTE_READ_ONLY.
pub(crate) fn changeable(template: &[Attr], token_ok: bool) -> R<Vec<(u64, Vec<u8>)>> {
    let mut values = Vec::new();
    for (kind, value) in template {
        match *kind {
            CKA_LABEL | CKA_ID | CKA_SUBJECT => values.push((*kind, value.to_vec())),
            CKA_TOKEN if token_ok => {}
            CKA_CLASS | CKA_KEY_TYPE | CKA_TOKEN | CKA_PRIVATE | CKA_VALUE | CKA_MODULUS
            | CKA_PUBLIC_EXPONENT | CKA_MODULUS_BITS | CKA_GOSTR3410_PARAMS
            | CKA_GOSTR3411_PARAMS | CKA_LOCAL | CKA_SENSITIVE | CKA_EXTRACTABLE
            | CKA_CERTIFICATE_TYPE => return Err(CKR_ATTRIBUTE_READ_ONLY),
            _ => return Err(CKR_ATTRIBUTE_TYPE_INVALID),
        }
    }
    Ok(values)
}

/// Applies changes to the attributes of an object held in memory.
pub(crate) fn apply_clear(attrs: &mut Vec<StoredAttribute>, values: Vec<(u64, Vec<u8>)>) -> R<()> {
    for (kind, value) in values {
        attrs.retain(|a| a.kind() != kind);
        attrs.push(to_stored(kind, &value)?);
    }
    Ok(())
}

/// The DER OID of the Streebog a parameter set's keys sign with (CKA_GOSTR3411_PARAMS).
pub(crate) fn digest_oid_der(set: GostParamSet) -> Vec<u8> {
    KeyAlgorithm::Gost(set)
        .signature_scheme()
        .digest()
        .oid()
        .to_der()
        .unwrap_or_default()
}
