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
/// CKM_GOSTR3410_12_DERIVE: VKO GOST R 34.10-2012 (TC26; OpenSC, Rutoken and JaCarta agree).
pub(crate) const CKM_GOSTR3410_12_DERIVE: CK_MECHANISM_TYPE = 0xD432_1007;
/// CKD_KDF_GOSTR3411_2012_256 = CKM_KDF_GOSTR3411_2012_256: the `kdf` of
/// CK_GOSTR3410_DERIVE_PARAMS for VKO with Streebog-256 (OpenSC `pkcs11.h`, Rutoken headers).
/// No TC26 header defines a Streebog-512 `kdf`; that is [`CKM_VKO_GOSTR3410_2012_512`].
pub(crate) const CKD_KDF_GOSTR3411_2012_256: u64 = 0xD432_1026;
/// CKM_VKO_GOSTR3410_2012_512: VKO with Streebog-512, parameter CK_ECDH1_DERIVE_PARAMS with
/// `kdf` = CKD_NULL and the UKM as `pSharedData` (TC26 via Rutoken's headers and samples; one
/// source, reference gost.md §6.2).
pub(crate) const CKM_VKO_GOSTR3410_2012_512: CK_MECHANISM_TYPE = 0xD432_1038;

/// Shortest PIN the module accepts (CK_TOKEN_INFO.ulMinPinLen).
pub(crate) const MIN_PIN_LEN: usize = 4;
/// Longest PIN the module accepts (CK_TOKEN_INFO.ulMaxPinLen).
pub(crate) const MAX_PIN_LEN: usize = 64;
/// Default PBKDF2 iterations for C_InitToken when the configuration does not set them.
pub(crate) const DEFAULT_KDF_ITERATIONS: u32 = 100_000;

/// CKK_KUZNYECHIK (CKK_KUZNECHIK): a 32-byte Kuznyechik key (TC26).
pub(crate) const CKK_KUZNYECHIK: CK_KEY_TYPE = 0xD432_1004;
/// CKK_MAGMA: a 32-byte Magma key (TC26).
pub(crate) const CKK_MAGMA: CK_KEY_TYPE = 0xD432_1005;
/// CKK_KUZNYECHIK_TWIN_KEY: a 64-byte KExp15 export key `K_mac ‖ K_enc` for Kuznyechik
/// (TC26, as Rutoken's headers and samples use it).
pub(crate) const CKK_KUZNYECHIK_TWIN_KEY: CK_KEY_TYPE = 0xD432_1006;
/// CKK_MAGMA_TWIN_KEY: a 64-byte KExp15 export key `K_mac ‖ K_enc` for Magma (TC26).
pub(crate) const CKK_MAGMA_TWIN_KEY: CK_KEY_TYPE = 0xD432_1007;
/// CKM_KUZNYECHIK_KEXP_15_WRAP: KExp15/KImp15 with Kuznyechik, parameter the 8-byte IV (TC26).
pub(crate) const CKM_KUZNYECHIK_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102B;
/// CKM_MAGMA_KEXP_15_WRAP: KExp15/KImp15 with Magma, parameter the 4-byte IV (TC26).
pub(crate) const CKM_MAGMA_KEXP_15_WRAP: CK_MECHANISM_TYPE = 0xD432_102C;
/// CKM_KUZNYECHIK_CTR_ACPKM: Kuznyechik in CTR-ACPKM (TC26).
pub(crate) const CKM_KUZNYECHIK_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1032;
/// CKM_MAGMA_CTR_ACPKM: Magma in CTR-ACPKM (TC26).
pub(crate) const CKM_MAGMA_CTR_ACPKM: CK_MECHANISM_TYPE = 0xD432_1036;
