//! Secret-key objects (CKO_SECRET_KEY): the key types the module knows, their lengths, and the
//! attributes of a new one from its template — for C_CreateObject with CKA_VALUE, C_DeriveKey
//! and C_UnwrapKey. Secret keys live in memory with their session only (CKA_TOKEN = false);
//! their CKA_VALUE is kept apart from these attributes, zeroized when dropped.

use cryptoki_sys::*;
use gost_cipher::gost89::Gost89Sbox;
use soft_token::objects::{StoredAttribute, StoredObject};

use crate::attributes::{Attr, native_ulong, read_native_ulong, to_stored};
use crate::consts::{CKK_KUZNYECHIK, CKK_KUZNYECHIK_TWIN_KEY, CKK_MAGMA, CKK_MAGMA_TWIN_KEY};
use crate::errors::R;

/// DER of id-Gost28147-89-CryptoPro-A-ParamSet (1.2.643.2.2.31.1), the default
/// CKA_GOST28147_PARAMS of a CKK_GOST28147 key.
const CRYPTOPRO_A_DER: [u8; 9] = [0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 0x1f, 0x01];
/// DER of id-tc26-gost-28147-param-Z (1.2.643.7.1.2.5.1.1), the S-box of Magma.
const TC26_Z_DER: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x05, 0x01, 0x01,
];

/// Whether a CKA_VALUE of `len` bytes fits a secret key of type `key_type`.
pub(crate) fn length_fits(key_type: CK_KEY_TYPE, len: usize) -> bool {
    match key_type {
        CKK_GENERIC_SECRET => (1..=64).contains(&len),
        CKK_GOST28147 | CKK_KUZNYECHIK | CKK_MAGMA => len == 32,
        CKK_KUZNYECHIK_TWIN_KEY | CKK_MAGMA_TWIN_KEY => len == 64,
        CKK_AES => matches!(len, 16 | 24 | 32),
        _ => false,
    }
}

/// The S-box a CKA_GOST28147_PARAMS value names (CryptoPro-A or TC26 Z).
pub(crate) fn sbox_from_der(der: &[u8]) -> R<Gost89Sbox> {
    if der == CRYPTOPRO_A_DER {
        Ok(Gost89Sbox::CryptoProA)
    } else if der == TC26_Z_DER {
        Ok(Gost89Sbox::Tc26Z)
    } else {
        Err(CKR_ATTRIBUTE_VALUE_INVALID)
    }
}

/// The S-box of a secret-key object: its CKA_GOST28147_PARAMS, CryptoPro-A without one.
pub(crate) fn sbox_of(obj: &StoredObject) -> R<Gost89Sbox> {
    obj.clear_value(CKA_GOST28147_PARAMS)
        .map_or(Ok(Gost89Sbox::CryptoProA), sbox_from_der)
}

fn bool_value(v: &[u8]) -> R<bool> {
    match v {
        [b] => Ok(*b != 0),
        _ => Err(CKR_ATTRIBUTE_VALUE_INVALID),
    }
}

/// What a new secret key's template may say about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueSource {
    /// C_CreateObject: the template carries CKA_VALUE (checked by the caller).
    Template,
    /// C_DeriveKey / C_UnwrapKey: the mechanism makes the value; CKA_VALUE is read-only.
    Mechanism,
}

/// The attributes of a new secret key of `len` bytes (the value itself is not among them).
/// CKA_KEY_TYPE defaults to `default_type`; CKA_TOKEN must be false (absent means false
/// here: the module keeps no secret keys on the token); CKA_SENSITIVE and CKA_EXTRACTABLE
/// default to false (the value stays unreadable unless the template asks for both),
/// CKA_PRIVATE to true. Returns the attributes and the key type.
pub(crate) fn secret_key_attributes(
    template: &[Attr],
    default_type: CK_KEY_TYPE,
    len: usize,
    source: ValueSource,
) -> R<(Vec<StoredAttribute>, CK_KEY_TYPE)> {
    let mut attrs = Vec::new();
    let (mut sensitive, mut extractable, mut private) = (false, false, true);
    let mut key_type = default_type;
    for (kind, value) in template {
        match *kind {
            CKA_CLASS if read_native_ulong(value)? != CKO_SECRET_KEY => {
                return Err(CKR_TEMPLATE_INCONSISTENT);
            }
            CKA_KEY_TYPE => key_type = read_native_ulong(value)?,
            CKA_VALUE_LEN if usize::try_from(read_native_ulong(value)?) != Ok(len) => {
                return Err(CKR_TEMPLATE_INCONSISTENT);
            }
            // The key lives with the session only; nothing secret is written to the token.
            CKA_TOKEN if bool_value(value)? => return Err(CKR_TEMPLATE_INCONSISTENT),
            CKA_CLASS | CKA_VALUE_LEN | CKA_TOKEN => {}
            CKA_VALUE if source == ValueSource::Template => {}
            CKA_SENSITIVE => sensitive = bool_value(value)?,
            CKA_EXTRACTABLE => extractable = bool_value(value)?,
            CKA_PRIVATE => private = bool_value(value)?,
            CKA_LABEL | CKA_ID => attrs.push(to_stored(*kind, value)?),
            CKA_GOST28147_PARAMS => {
                sbox_from_der(value)?;
                attrs.push(to_stored(*kind, value)?);
            }
            CKA_ENCRYPT | CKA_DECRYPT | CKA_WRAP | CKA_UNWRAP | CKA_SIGN | CKA_VERIFY
            | CKA_DERIVE | CKA_MODIFIABLE | CKA_COPYABLE | CKA_DESTROYABLE => {
                bool_value(value)?;
                attrs.push(to_stored(*kind, value)?);
            }
            CKA_VALUE
            | CKA_LOCAL
            | CKA_ALWAYS_SENSITIVE
            | CKA_NEVER_EXTRACTABLE
            | CKA_KEY_GEN_MECHANISM => return Err(CKR_ATTRIBUTE_READ_ONLY),
            _ => return Err(CKR_ATTRIBUTE_TYPE_INVALID),
        }
    }
    if !length_fits(key_type, len) {
        return Err(CKR_TEMPLATE_INCONSISTENT);
    }
    if key_type != CKK_GOST28147 && attrs.iter().any(|a| a.kind() == CKA_GOST28147_PARAMS) {
        return Err(CKR_TEMPLATE_INCONSISTENT);
    }
    let ulong = |kind, v: u64| to_stored(kind, &native_ulong(v));
    let flag = |kind, v: bool| to_stored(kind, &[u8::from(v)]);
    attrs.extend([
        ulong(CKA_CLASS, CKO_SECRET_KEY)?,
        ulong(CKA_KEY_TYPE, key_type)?,
        ulong(
            CKA_VALUE_LEN,
            u64::try_from(len).map_err(|_| CKR_GENERAL_ERROR)?,
        )?,
        flag(CKA_SENSITIVE, sensitive)?,
        flag(CKA_EXTRACTABLE, extractable)?,
        flag(CKA_PRIVATE, private)?,
        flag(CKA_LOCAL, false)?,
        flag(CKA_ALWAYS_SENSITIVE, false)?,
        flag(CKA_NEVER_EXTRACTABLE, false)?,
    ]);
    Ok((attrs, key_type))
}

/// May a secret key be used for the function `usage` (CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP,
/// CKA_UNWRAP)? Only an explicit false forbids it (the default of these attributes is the
/// token's choice, and keys derived or unwrapped without them stay usable).
pub(crate) fn permits(obj: &StoredObject, usage: CK_ATTRIBUTE_TYPE) -> R<()> {
    if obj.flag(usage) == Some(false) {
        Err(CKR_KEY_FUNCTION_NOT_PERMITTED)
    } else {
        Ok(())
    }
}
