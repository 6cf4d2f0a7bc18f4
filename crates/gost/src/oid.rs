//! The object identifiers of GOST R 34.10-2012 keys, parameter sets, Streebog and the X.509
//! signature algorithms, named after their TC26 / CryptoPro / RFC 9215 names with the `id-`
//! prefix dropped and upper-cased (`const-oid`'s database has no `1.2.643.*` or `1.2.398.*`
//! entries).
//!
//! ```
//! assert_eq!(keycarrier_gost::oid::TC26_GOST_3410_12_256.to_string(), "1.2.643.7.1.1.1.1");
//! ```

use der::asn1::ObjectIdentifier as Oid;

// --- GOST R 34.10/34.11-2012 (TC26 arc 1.2.643.7.1) -------------------------------------------

/// id-tc26-gost3410-12-256: GOST R 34.10-2012 256-bit public key (SPKI, PKCS#8, CMS signatureAlgorithm).
pub const TC26_GOST_3410_12_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.1.1");
/// id-tc26-gost3410-12-512: GOST R 34.10-2012 512-bit public key.
pub const TC26_GOST_3410_12_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.1.2");
/// id-tc26-gost3411-12-256: Streebog-256 digest (also the 256-bit `digestParamSet`).
pub const TC26_GOST_3411_12_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.2.2");
/// id-tc26-gost3411-12-512: Streebog-512 digest.
pub const TC26_GOST_3411_12_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.2.3");
/// id-tc26-signwithdigest-gost3410-12-256: X.509 / PKCS#10 / CRL signature algorithm, 256-bit.
pub const TC26_SIGNWITHDIGEST_GOST_3410_12_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.3.2");
/// id-tc26-signwithdigest-gost3410-12-512: X.509 / PKCS#10 / CRL signature algorithm, 512-bit.
pub const TC26_SIGNWITHDIGEST_GOST_3410_12_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.3.3");

/// id-tc26-gost-3410-12-256-paramSetA (twisted Edwards curve, cofactor 4).
pub const TC26_GOST_3410_12_256_PARAM_SET_A: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.1.1");
/// id-tc26-gost-3410-12-256-paramSetB (= CryptoPro-A curve).
pub const TC26_GOST_3410_12_256_PARAM_SET_B: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.1.2");
/// id-tc26-gost-3410-12-256-paramSetC (= CryptoPro-B curve).
pub const TC26_GOST_3410_12_256_PARAM_SET_C: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.1.3");
/// id-tc26-gost-3410-12-256-paramSetD (= CryptoPro-C curve).
pub const TC26_GOST_3410_12_256_PARAM_SET_D: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.1.4");
/// id-tc26-gost-3410-12-512-paramSetTest (GOST R 34.10-2012 example 2; tests only).
pub const TC26_GOST_3410_12_512_PARAM_SET_TEST: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.2.0");
/// id-tc26-gost-3410-12-512-paramSetA.
pub const TC26_GOST_3410_12_512_PARAM_SET_A: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.2.1");
/// id-tc26-gost-3410-12-512-paramSetB.
pub const TC26_GOST_3410_12_512_PARAM_SET_B: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.2.2");
/// id-tc26-gost-3410-12-512-paramSetC (twisted Edwards curve, cofactor 4).
pub const TC26_GOST_3410_12_512_PARAM_SET_C: Oid = Oid::new_unwrap("1.2.643.7.1.2.1.2.3");

// --- GOST 2001 / CryptoPro parameter sets (arc 1.2.643.2.2) -----------------------------------

/// id-GostR3410-2001-TestParamSet (GOST R 34.10-2012 example 1; tests only).
pub const GOST_R3410_2001_TEST_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.35.0");
/// id-GostR3410-2001-CryptoPro-A-ParamSet.
pub const GOST_R3410_2001_CRYPTO_PRO_A_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.35.1");
/// id-GostR3410-2001-CryptoPro-B-ParamSet.
pub const GOST_R3410_2001_CRYPTO_PRO_B_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.35.2");
/// id-GostR3410-2001-CryptoPro-C-ParamSet.
pub const GOST_R3410_2001_CRYPTO_PRO_C_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.35.3");
/// id-GostR3410-2001-CryptoPro-XchA-ParamSet (= CryptoPro-A curve).
pub const GOST_R3410_2001_CRYPTO_PRO_XCH_A_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.36.0");
/// id-GostR3410-2001-CryptoPro-XchB-ParamSet (= CryptoPro-C curve).
pub const GOST_R3410_2001_CRYPTO_PRO_XCH_B_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.36.1");

// --- Kazakhstan (NCA RK arc 1.2.398); taken from vendor code, not from a standard text --------

/// GOST R 34.10-2015 256-bit public key, Kazakh OID.
pub const KZ_GOST_3410_2015_256: Oid = Oid::new_unwrap("1.2.398.3.10.1.1.2.1");
/// Kazakh 256-bit parameter set A (the id-tc26-gost-3410-12-256-paramSetA curve).
pub const KZ_GOST_3410_2015_256_PARAM_SET_A: Oid = Oid::new_unwrap("1.2.398.3.10.1.1.2.1.1");
/// GOST R 34.10-2015 512-bit public key, Kazakh OID.
pub const KZ_GOST_3410_2015_512: Oid = Oid::new_unwrap("1.2.398.3.10.1.1.2.2");
/// Kazakh 512-bit parameter set A (the id-tc26-gost-3410-12-512-paramSetA curve).
pub const KZ_GOST_3410_2015_512_PARAM_SET_A: Oid = Oid::new_unwrap("1.2.398.3.10.1.1.2.2.1");
