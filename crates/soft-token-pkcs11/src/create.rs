//! C_CreateObject's templates turned into stored objects: data objects, certificates, GOST and
//! RSA public keys, and GOST and RSA private keys (PKCS#11 v2.40 §2.3 and §2.4 attributes), with
//! the key material validated. Private key material leaves this module as PKCS#8 DER in a
//! zeroizing buffer plus the parsed key; `module` has the soft token seal it (token objects) or
//! keeps it in memory (session objects). Template helpers come from `attributes`.

use std::sync::Arc;

use cryptoki_sys::*;
use der::Decode;
use der::asn1::UintRef;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use token_core::{ContainerId, GostKeySize, GostParamSet, PublicKey};
use zeroize::Zeroizing;

use soft_token::objects::{self, KC_PKCS8, KC_SPKI, PrivateKey, StoredAttribute};

use crate::attributes::{
    Attr, SENSITIVE_PRIVATE_PARTS, digest_oid_der, find_attr, gost_set_from, native_ulong,
    template_bool, template_ulong, to_stored,
};
use crate::consts::CKK_GOSTR3410_512;
use crate::errors::R;

/// Private key material of a new object.
pub(crate) struct Secret {
    /// PKCS#8 DER.
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
    /// The parsed key (for session objects, which are never sealed).
    pub(crate) key: Arc<PrivateKey>,
}

impl Secret {
    /// The key material of PKCS#8 DER, parsed the way the soft token parses its own keys.
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> R<Self> {
        Ok(Self {
            key: Arc::new(PrivateKey::from_pkcs8_der(pkcs8).map_err(|_| CKR_GENERAL_ERROR)?),
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
        })
    }
}

/// A new object: its clear attributes and, for a private key, its key material.
pub(crate) struct NewObject {
    /// Attributes to store (never the private key material).
    pub(crate) attrs: Vec<StoredAttribute>,
    /// CKA_ID (keys: defaults to one derived from the public key).
    pub(crate) id: Vec<u8>,
    /// The key's public half (key objects).
    pub(crate) public: Option<PublicKey>,
    /// The private key (private key objects).
    pub(crate) secret: Option<Secret>,
}

/// Attributes the token sets and nobody may specify (PKCS#11 v2.40 §4.7 / §4.9 table footnote 4).
const TOKEN_SET: [CK_ATTRIBUTE_TYPE; 4] = [
    CKA_LOCAL,
    CKA_ALWAYS_SENSITIVE,
    CKA_NEVER_EXTRACTABLE,
    CKA_KEY_GEN_MECHANISM,
];

/// Constant-time equality of two byte strings of public lengths.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A big-endian integer without its leading zero bytes.
fn strip(v: &[u8]) -> &[u8] {
    let zeros = v.iter().take_while(|b| **b == 0).count();
    v.get(zeros..).unwrap_or_default()
}

fn replace(attrs: &mut Vec<StoredAttribute>, new: StoredAttribute) {
    attrs.retain(|a| a.kind() != new.kind());
    attrs.push(new);
}

fn add_default(attrs: &mut Vec<StoredAttribute>, kind: CK_ATTRIBUTE_TYPE, value: &[u8]) -> R<()> {
    if !attrs.iter().any(|a| a.kind() == kind) {
        attrs.push(to_stored(kind, value)?);
    }
    Ok(())
}

/// The GOST parameter set of a GOST key template, checked against its CKA_KEY_TYPE.
fn gost_set(key_type: CK_KEY_TYPE, template: &[Attr]) -> R<GostParamSet> {
    let set = gost_set_from(find_attr(template, CKA_GOSTR3410_PARAMS))?;
    let want = if key_type == CKK_GOSTR3410 {
        GostKeySize::Bits256
    } else {
        GostKeySize::Bits512
    };
    if set.key_size() != want {
        return Err(CKR_TEMPLATE_INCONSISTENT);
    }
    Ok(set)
}

/// A GOST public key as token-core's [`PublicKey`] (through its SubjectPublicKeyInfo).
fn gost_public_key(key: &gost::VerifyingKey) -> token_core::Result<PublicKey> {
    PublicKey::from_spki_der(&key.to_spki_der()?)
}

/// A GOST private key from CKA_VALUE = d, L bytes little-endian (0 < d < q).
fn gost_private(key_type: CK_KEY_TYPE, template: &[Attr]) -> R<(PublicKey, Secret)> {
    let set = gost_set(key_type, template)?;
    if let Some(digest) = find_attr(template, CKA_GOSTR3411_PARAMS)
        && digest != digest_oid_der(set)
    {
        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
    }
    let d = find_attr(template, CKA_VALUE).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let key = gost::SigningKey::from_le_bytes(set, d).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    let public = gost_public_key(key.verifying_key()).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    let pkcs8 = key.to_pkcs8_der().map_err(|_| CKR_GENERAL_ERROR)?;
    Ok((public, Secret::from_pkcs8(pkcs8.as_bytes())?))
}

/// RSA modulus sizes the module accepts (as in its mechanism information).
const RSA_BITS: core::ops::RangeInclusive<usize> = 2048..=4096;

fn rsa_bits(modulus: &[u8]) -> R<u32> {
    let n = strip(modulus);
    let lead = n.first().map_or(0, |b| b.leading_zeros() as usize);
    let bits = (n.len() * 8).saturating_sub(lead);
    if !RSA_BITS.contains(&bits) {
        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
    }
    u32::try_from(n.len() * 8).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)
}

fn boxed(v: &[u8], bits: u32) -> R<rsa::BoxedUint> {
    rsa::BoxedUint::from_be_slice(strip(v), bits).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)
}

/// An RSA private key from its components. n, e and d are required; p and q are optional
/// together (recovered from n, e, d when absent); every component given must agree with the
/// key (CKR_TEMPLATE_INCONSISTENT otherwise).
fn rsa_private(template: &[Attr]) -> R<(PublicKey, Secret)> {
    let need = |kind| find_attr(template, kind).ok_or(CKR_TEMPLATE_INCOMPLETE);
    let (n, e, d) = (
        need(CKA_MODULUS)?,
        need(CKA_PUBLIC_EXPONENT)?,
        need(CKA_PRIVATE_EXPONENT)?,
    );
    let bits = rsa_bits(n)?;
    let e_bits =
        u32::try_from(strip(e).len().max(1) * 8).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    let primes = match (
        find_attr(template, CKA_PRIME_1),
        find_attr(template, CKA_PRIME_2),
    ) {
        (Some(p), Some(q)) => vec![boxed(p, bits)?, boxed(q, bits)?],
        (None, None) => Vec::new(),
        _ => return Err(CKR_TEMPLATE_INCONSISTENT),
    };
    let key = rsa::RsaPrivateKey::from_components(
        boxed(n, bits)?,
        boxed(e, e_bits)?,
        boxed(d, bits)?,
        primes,
    )
    .map_err(|_| CKR_TEMPLATE_INCONSISTENT)?;
    // The key's own PKCS#1 form holds every component as the key computes it (CRT values
    // included); each one the template gives must be the same number.
    let pkcs1 = key.to_pkcs1_der().map_err(|_| CKR_TEMPLATE_INCONSISTENT)?;
    let parts =
        rsa::pkcs1::RsaPrivateKeyRef::from_der(pkcs1.as_bytes()).map_err(|_| CKR_GENERAL_ERROR)?;
    let computed: [(CK_ATTRIBUTE_TYPE, UintRef<'_>); 8] = [
        (CKA_MODULUS, parts.modulus),
        (CKA_PUBLIC_EXPONENT, parts.public_exponent),
        (CKA_PRIVATE_EXPONENT, parts.private_exponent),
        (CKA_PRIME_1, parts.prime1),
        (CKA_PRIME_2, parts.prime2),
        (CKA_EXPONENT_1, parts.exponent1),
        (CKA_EXPONENT_2, parts.exponent2),
        (CKA_COEFFICIENT, parts.coefficient),
    ];
    let mut same = true;
    for (kind, value) in computed {
        if let Some(given) = find_attr(template, kind) {
            same &= ct_eq(strip(given), strip(value.as_bytes()));
        }
    }
    if !same {
        return Err(CKR_TEMPLATE_INCONSISTENT);
    }
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| CKR_GENERAL_ERROR)?;
    let public = PublicKey::from_spki_der(spki.as_bytes()).map_err(|_| CKR_GENERAL_ERROR)?;
    let pkcs8 = key.to_pkcs8_der().map_err(|_| CKR_GENERAL_ERROR)?;
    Ok((public, Secret::from_pkcs8(pkcs8.as_bytes())?))
}

/// An RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT.
fn rsa_public(template: &[Attr]) -> R<PublicKey> {
    let n = find_attr(template, CKA_MODULUS).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let e = find_attr(template, CKA_PUBLIC_EXPONENT).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let bits = rsa_bits(n)?;
    let e_bits =
        u32::try_from(strip(e).len().max(1) * 8).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    let key = rsa::RsaPublicKey::new(boxed(n, bits)?, boxed(e, e_bits)?)
        .map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    let spki = key.to_public_key_der().map_err(|_| CKR_GENERAL_ERROR)?;
    PublicKey::from_spki_der(spki.as_bytes()).map_err(|_| CKR_GENERAL_ERROR)
}

/// A GOST public key from CKA_VALUE = X_le ‖ Y_le (what the module returns for its own keys).
fn gost_public(key_type: CK_KEY_TYPE, template: &[Attr]) -> R<PublicKey> {
    let set = gost_set(key_type, template)?;
    let raw = find_attr(template, CKA_VALUE).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let key = gost::VerifyingKey::from_raw_le(set, raw).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    gost_public_key(&key).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)
}

/// Turns a C_CreateObject template into a new object. `is_token` is the object's CKA_TOKEN and
/// `private` its CKA_PRIVATE (both already decided by the caller).
pub(crate) fn build(template: &[Attr], is_token: bool, private: bool) -> R<NewObject> {
    let class = template_ulong(template, CKA_CLASS)?.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let is_key = class == CKO_PUBLIC_KEY || class == CKO_PRIVATE_KEY;
    let mut attrs: Vec<StoredAttribute> = Vec::new();
    let mut seen: Vec<CK_ATTRIBUTE_TYPE> = Vec::new();
    for (kind, value) in template {
        if *kind == KC_PKCS8 || *kind == KC_SPKI {
            return Err(CKR_ATTRIBUTE_TYPE_INVALID);
        }
        if seen.contains(kind) {
            return Err(CKR_TEMPLATE_INCONSISTENT);
        }
        seen.push(*kind);
        if is_key && TOKEN_SET.contains(kind) {
            return Err(CKR_ATTRIBUTE_READ_ONLY);
        }
        // Private key material and the public key info are never stored as given.
        if (class == CKO_PRIVATE_KEY && SENSITIVE_PRIVATE_PARTS.contains(kind))
            || (is_key && *kind == CKA_PUBLIC_KEY_INFO)
        {
            continue;
        }
        attrs.push(to_stored(*kind, value)?);
    }
    replace(&mut attrs, to_stored(CKA_TOKEN, &[u8::from(is_token)])?);
    replace(&mut attrs, to_stored(CKA_PRIVATE, &[u8::from(private)])?);

    let (public, secret) = match class {
        CKO_DATA => (None, None),
        CKO_CERTIFICATE => {
            let ctype = template_ulong(template, CKA_CERTIFICATE_TYPE)?.unwrap_or(CKC_X_509);
            if ctype != CKC_X_509 {
                return Err(CKR_ATTRIBUTE_VALUE_INVALID);
            }
            find_attr(template, CKA_VALUE).ok_or(CKR_TEMPLATE_INCOMPLETE)?;
            add_default(&mut attrs, CKA_CERTIFICATE_TYPE, &native_ulong(CKC_X_509))?;
            (None, None)
        }
        CKO_PUBLIC_KEY | CKO_PRIVATE_KEY => {
            let key_type =
                template_ulong(template, CKA_KEY_TYPE)?.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
            let gost = key_type == CKK_GOSTR3410 || key_type == CKK_GOSTR3410_512;
            if !gost && key_type != CKK_RSA {
                return Err(CKR_ATTRIBUTE_VALUE_INVALID);
            }
            let (public, secret) = match (class == CKO_PRIVATE_KEY, gost) {
                (true, true) => {
                    let (p, s) = gost_private(key_type, template)?;
                    (p, Some(s))
                }
                (true, false) => {
                    let (p, s) = rsa_private(template)?;
                    (p, Some(s))
                }
                (false, true) => (gost_public(key_type, template)?, None),
                (false, false) => (rsa_public(template)?, None),
            };
            // An explicit CKA_PUBLIC_KEY_INFO must describe this key.
            if let Some(info) = find_attr(template, CKA_PUBLIC_KEY_INFO).filter(|i| !i.is_empty()) {
                let given =
                    PublicKey::from_spki_der(info).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
                if !given.same_key(&public) {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
            }
            key_attributes(&mut attrs, class, &public, template)?;
            (Some(public), secret)
        }
        _ => return Err(CKR_TEMPLATE_INCONSISTENT),
    };
    let id = match (find_attr(template, CKA_ID), &public) {
        (Some(id), _) => id.to_vec(),
        (None, Some(p)) => {
            let id = ContainerId::derived_from(p).as_bytes().to_vec();
            attrs.push(to_stored(CKA_ID, &id)?);
            id
        }
        (None, None) => Vec::new(),
    };
    Ok(NewObject {
        attrs,
        id,
        public,
        secret,
    })
}

/// The attributes a key object gets from its key, and the defaults of an imported key.
fn key_attributes(
    attrs: &mut Vec<StoredAttribute>,
    class: CK_OBJECT_CLASS,
    public: &PublicKey,
    template: &[Attr],
) -> R<()> {
    let (_, computed) = objects::key_attributes(public).map_err(|_| CKR_GENERAL_ERROR)?;
    for a in computed {
        // A GOST public key keeps the digest OID it was given (as before).
        if class == CKO_PUBLIC_KEY
            && a.kind() == CKA_GOSTR3411_PARAMS
            && find_attr(template, CKA_GOSTR3411_PARAMS).is_some()
        {
            continue;
        }
        replace(attrs, a);
    }
    let spki = public.to_der().map_err(|_| CKR_GENERAL_ERROR)?;
    replace(attrs, to_stored(KC_SPKI, &spki)?);
    add_default(attrs, CKA_LOCAL, &[0])?;
    if class == CKO_PRIVATE_KEY {
        let sensitive = template_bool(template, CKA_SENSITIVE)?.unwrap_or(true);
        add_default(attrs, CKA_SENSITIVE, &[u8::from(sensitive)])?;
        add_default(attrs, CKA_EXTRACTABLE, &[0])?;
        add_default(attrs, CKA_SIGN, &[1])?;
        add_default(attrs, CKA_ALWAYS_SENSITIVE, &[0])?;
        add_default(attrs, CKA_NEVER_EXTRACTABLE, &[0])?;
    } else {
        add_default(attrs, CKA_VERIFY, &[1])?;
    }
    Ok(())
}
