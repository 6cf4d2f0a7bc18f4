//! PKCS#11 numbers used as attribute types and values in the store (PKCS#11 v2.40, and the
//! TC26 vendor extension values, base `0xD4321000`, as in OpenSC's `pkcs11.h` and the
//! Rutoken and JaCarta SDK headers).

/// CKA_CLASS.
pub(crate) const CLASS: u64 = 0x000;
/// CKA_TOKEN.
pub(crate) const TOKEN: u64 = 0x001;
/// CKA_PRIVATE.
pub(crate) const PRIVATE: u64 = 0x002;
/// CKA_LABEL.
pub(crate) const LABEL: u64 = 0x003;
/// CKA_VALUE.
pub(crate) const VALUE: u64 = 0x011;
/// CKA_CERTIFICATE_TYPE.
pub(crate) const CERTIFICATE_TYPE: u64 = 0x080;
/// CKA_KEY_TYPE.
pub(crate) const KEY_TYPE: u64 = 0x100;
/// CKA_ID.
pub(crate) const ID: u64 = 0x102;
/// CKA_SENSITIVE.
pub(crate) const SENSITIVE: u64 = 0x103;
/// CKA_SIGN.
pub(crate) const SIGN: u64 = 0x108;
/// CKA_VERIFY.
pub(crate) const VERIFY: u64 = 0x10A;
/// CKA_MODULUS.
pub(crate) const MODULUS: u64 = 0x120;
/// CKA_MODULUS_BITS.
pub(crate) const MODULUS_BITS: u64 = 0x121;
/// CKA_PUBLIC_EXPONENT.
pub(crate) const PUBLIC_EXPONENT: u64 = 0x122;
/// CKA_EXTRACTABLE.
pub(crate) const EXTRACTABLE: u64 = 0x162;
/// CKA_LOCAL.
pub(crate) const LOCAL: u64 = 0x163;
/// CKA_GOSTR3410_PARAMS.
pub(crate) const GOSTR3410_PARAMS: u64 = 0x250;
/// CKA_GOSTR3411_PARAMS.
pub(crate) const GOSTR3411_PARAMS: u64 = 0x251;
/// Vendor attribute: the key's SubjectPublicKeyInfo DER (on public and private key objects).
pub const KC_SPKI: u64 = 0x8000_0000 | 0x4B43_0001;
/// Vendor attribute: the private key as PKCS#8 DER, always sealed.
pub const KC_PKCS8: u64 = 0x8000_0000 | 0x4B43_0002;

/// CKO_CERTIFICATE.
pub(crate) const CKO_CERTIFICATE: u64 = 1;
/// CKO_PUBLIC_KEY.
pub(crate) const CKO_PUBLIC_KEY: u64 = 2;
/// CKO_PRIVATE_KEY.
pub(crate) const CKO_PRIVATE_KEY: u64 = 3;
/// CKC_X_509.
pub(crate) const CKC_X_509: u64 = 0;
/// CKK_RSA.
pub(crate) const CKK_RSA: u64 = 0x00;
/// CKK_GOSTR3410 (256-bit GOST keys, 2001 and 2012 curves).
pub(crate) const CKK_GOSTR3410: u64 = 0x30;
/// CKK_GOSTR3410_512 (TC26 vendor value).
pub(crate) const CKK_GOSTR3410_512: u64 = 0xD432_1003;

/// A CK_ULONG attribute value as stored (8 bytes, little-endian).
pub(crate) fn ulong(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A CK_BBOOL attribute value as stored.
pub(crate) fn bool(v: bool) -> Vec<u8> {
    vec![u8::from(v)]
}

/// Reads a stored CK_ULONG.
pub(crate) fn read_ulong(bytes: &[u8]) -> Option<u64> {
    bytes.try_into().ok().map(u64::from_le_bytes)
}
