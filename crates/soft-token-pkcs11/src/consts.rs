//! PKCS#11 numbers that `cryptoki-sys` does not define: the TC26 vendor extension
//! (base `0xD4321000`, `../shared/reference/gost.md` §6.2), plus a few module-wide values.

use cryptoki_sys::{CK_KEY_TYPE, CK_MECHANISM_TYPE};

/// CKK_GOSTR3410_512 (TC26).
pub(crate) const CKK_GOSTR3410_512: CK_KEY_TYPE = 0xD432_1003;
/// CKM_GOSTR3410_512_KEY_PAIR_GEN (TC26).
pub(crate) const CKM_GOSTR3410_512_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD432_1005;
/// CKM_GOSTR3410_512: raw 64-byte digest in, 128-byte s‖r out (TC26).
pub(crate) const CKM_GOSTR3410_512: CK_MECHANISM_TYPE = 0xD432_1006;
/// CKM_GOSTR3410_WITH_GOSTR3411_12_256 (TC26).
pub(crate) const CKM_GOSTR3410_WITH_GOSTR3411_12_256: CK_MECHANISM_TYPE = 0xD432_1008;
/// CKM_GOSTR3410_WITH_GOSTR3411_12_512 (TC26).
pub(crate) const CKM_GOSTR3410_WITH_GOSTR3411_12_512: CK_MECHANISM_TYPE = 0xD432_1009;
/// CKM_GOSTR3411_12_256: Streebog-256 (TC26).
pub(crate) const CKM_GOSTR3411_12_256: CK_MECHANISM_TYPE = 0xD432_1012;
/// CKM_GOSTR3411_12_512: Streebog-512 (TC26).
pub(crate) const CKM_GOSTR3411_12_512: CK_MECHANISM_TYPE = 0xD432_1013;

/// Shortest PIN the module accepts (CK_TOKEN_INFO.ulMinPinLen).
pub(crate) const MIN_PIN_LEN: usize = 4;
/// Longest PIN the module accepts (CK_TOKEN_INFO.ulMaxPinLen).
pub(crate) const MAX_PIN_LEN: usize = 64;
/// Default PBKDF2 iterations for C_InitToken when the configuration does not set them.
pub(crate) const DEFAULT_KDF_ITERATIONS: u32 = 100_000;
