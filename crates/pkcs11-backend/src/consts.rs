//! PKCS#11 numbers cryptoki 0.12 has no typed names for (reference gost.md §6): the GOST key
//! types, mechanisms and attributes, typed with `cryptoki-sys`'s `CK_*` aliases (`CK_ULONG` is
//! 32 bits where `c_ulong` is). Crate-internal: applications speak of GOST key sizes and
//! parameter sets (token-core), never of these numbers.

use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_KEY_TYPE, CK_MECHANISM_TYPE};

/// `CKK_GOSTR3410` (256-bit GOST R 34.10 keys, 2001 and 2012).
pub(crate) const CKK_GOSTR3410: CK_KEY_TYPE = 0x30;
/// `CKK_GOSTR3410_512` (TC26 vendor key type).
pub(crate) const CKK_GOSTR3410_512: CK_KEY_TYPE = 0xD432_1003;
/// `CKM_GOSTR3410_KEY_PAIR_GEN`.
pub(crate) const CKM_GOSTR3410_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0x1200;
/// `CKM_GOSTR3410`: sign a 32-byte digest, `s ‖ r` out.
pub(crate) const CKM_GOSTR3410: CK_MECHANISM_TYPE = 0x1201;
/// `CKM_GOSTR3410_512_KEY_PAIR_GEN` (TC26).
pub(crate) const CKM_GOSTR3410_512_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD432_1005;
/// `CKM_GOSTR3410_512`: sign a 64-byte digest (TC26).
pub(crate) const CKM_GOSTR3410_512: CK_MECHANISM_TYPE = 0xD432_1006;
/// `CKM_GOSTR3410_WITH_GOSTR3411_12_256`: hash with Streebog-256 on the token, then sign.
pub(crate) const CKM_GOSTR3410_WITH_GOSTR3411_12_256: CK_MECHANISM_TYPE = 0xD432_1008;
/// `CKM_GOSTR3410_WITH_GOSTR3411_12_512`.
pub(crate) const CKM_GOSTR3410_WITH_GOSTR3411_12_512: CK_MECHANISM_TYPE = 0xD432_1009;
/// `CKA_GOSTR3410_PARAMS`: DER OID of the curve.
pub(crate) const CKA_GOSTR3410_PARAMS: CK_ATTRIBUTE_TYPE = 0x250;
/// `CKA_GOSTR3411_PARAMS`: DER OID of the Streebog variant.
pub(crate) const CKA_GOSTR3411_PARAMS: CK_ATTRIBUTE_TYPE = 0x251;
