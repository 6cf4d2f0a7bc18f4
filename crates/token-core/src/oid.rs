//! Object identifiers used across keycarrier, in one table.
//!
//! `const-oid`'s database has no `1.2.643.*` (Russian) or `1.2.398.*` (Kazakh) entries, so they
//! live here, named after their TC26 / CryptoPro / RFC names with the `id-` prefix dropped and
//! upper-cased. Every other crate of the workspace takes its OIDs from this module; do not write
//! an OID literal anywhere else. The OIDs of GOST R 34.10-2012 keys, parameter sets and
//! Streebog are the `gost` crate's (it stands alone), re-exported here.
//!
//! ```
//! use keycarrier_token_core::oid;
//! assert_eq!(oid::TC26_GOST_3410_12_256.to_string(), "1.2.643.7.1.1.1.1");
//! ```

use const_oid::ObjectIdentifier as Oid;

// --- GOST R 34.10/34.11-2012 (TC26 arc 1.2.643.7.1) -------------------------------------------

// Keys, parameter sets (TC26, CryptoPro, Kazakh), Streebog and the X.509 signature algorithms
// are defined by the `gost` crate, which must stand alone; one table, re-exported here.
pub use gost::oid::{
    GOST_R3410_2001_CRYPTO_PRO_A_PARAM_SET, GOST_R3410_2001_CRYPTO_PRO_B_PARAM_SET,
    GOST_R3410_2001_CRYPTO_PRO_C_PARAM_SET, GOST_R3410_2001_CRYPTO_PRO_XCH_A_PARAM_SET,
    GOST_R3410_2001_CRYPTO_PRO_XCH_B_PARAM_SET, GOST_R3410_2001_TEST_PARAM_SET,
    KZ_GOST_3410_2015_256, KZ_GOST_3410_2015_256_PARAM_SET_A, KZ_GOST_3410_2015_512,
    KZ_GOST_3410_2015_512_PARAM_SET_A, TC26_GOST_3410_12_256, TC26_GOST_3410_12_256_PARAM_SET_A,
    TC26_GOST_3410_12_256_PARAM_SET_B, TC26_GOST_3410_12_256_PARAM_SET_C,
    TC26_GOST_3410_12_256_PARAM_SET_D, TC26_GOST_3410_12_512, TC26_GOST_3410_12_512_PARAM_SET_A,
    TC26_GOST_3410_12_512_PARAM_SET_B, TC26_GOST_3410_12_512_PARAM_SET_C,
    TC26_GOST_3410_12_512_PARAM_SET_TEST, TC26_GOST_3411_12_256, TC26_GOST_3411_12_512,
    TC26_SIGNWITHDIGEST_GOST_3410_12_256, TC26_SIGNWITHDIGEST_GOST_3410_12_512,
};

/// id-tc26-hmac-gost-3411-12-256: HMAC-Streebog-256.
pub const TC26_HMAC_GOST_3411_12_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.4.1");
/// id-tc26-hmac-gost-3411-12-512: HMAC-Streebog-512 (PBKDF2 PRF in GOST PKCS#12).
pub const TC26_HMAC_GOST_3411_12_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.4.2");
/// id-tc26-cipher-gostr3412-2015-magma-ctracpkm.
pub const TC26_MAGMA_CTRACPKM: Oid = Oid::new_unwrap("1.2.643.7.1.1.5.1.1");
/// id-tc26-cipher-gostr3412-2015-magma-ctracpkm-omac.
pub const TC26_MAGMA_CTRACPKM_OMAC: Oid = Oid::new_unwrap("1.2.643.7.1.1.5.1.2");
/// id-tc26-cipher-gostr3412-2015-kuznyechik-ctracpkm.
pub const TC26_KUZNYECHIK_CTRACPKM: Oid = Oid::new_unwrap("1.2.643.7.1.1.5.2.1");
/// id-tc26-cipher-gostr3412-2015-kuznyechik-ctracpkm-omac.
pub const TC26_KUZNYECHIK_CTRACPKM_OMAC: Oid = Oid::new_unwrap("1.2.643.7.1.1.5.2.2");
/// id-tc26-agreement-gost-3410-12-256: VKO key agreement with 256-bit keys (the parameter of
/// the KExp15 key-encryption algorithms).
pub const TC26_AGREEMENT_GOST_3410_12_256: Oid = Oid::new_unwrap("1.2.643.7.1.1.6.1");
/// id-tc26-agreement-gost-3410-12-512: VKO key agreement with 512-bit keys.
pub const TC26_AGREEMENT_GOST_3410_12_512: Oid = Oid::new_unwrap("1.2.643.7.1.1.6.2");
/// id-gostr3412-2015-magma-wrap-kexp15: key export KExp15 with Magma (R 1323565.1.025).
pub const TC26_MAGMA_KEXP15: Oid = Oid::new_unwrap("1.2.643.7.1.1.7.1.1");
/// id-gostr3412-2015-kuznyechik-wrap-kexp15: key export KExp15 with Kuznyechik.
pub const TC26_KUZNYECHIK_KEXP15: Oid = Oid::new_unwrap("1.2.643.7.1.1.7.2.1");
/// id-cms-mac-attr: the unprotected attribute holding the OMAC of `*-ctracpkm-omac` content
/// (R 1323565.1.025-2019).
pub const TC26_CMS_MAC_ATTR: Oid = Oid::new_unwrap("1.2.643.7.1.0.6.1.1");
/// id-tc26-gost-28147-param-Z: the S-box for GOST 28147-89 / Magma used in GOST PKCS#12.
pub const TC26_GOST_28147_PARAM_Z: Oid = Oid::new_unwrap("1.2.643.7.1.2.5.1.1");

// --- GOST 2001 / CryptoPro legacy (arc 1.2.643.2.2) -------------------------------------------

/// id-GostR3411-94-with-GostR3410-2001 (legacy signature algorithm).
pub const GOST_R3411_94_WITH_GOST_R3410_2001: Oid = Oid::new_unwrap("1.2.643.2.2.3");
/// id-GostR3411-94 (legacy hash).
pub const GOST_R3411_94: Oid = Oid::new_unwrap("1.2.643.2.2.9");
/// id-GostR3410-2001 (legacy public key).
pub const GOST_R3410_2001: Oid = Oid::new_unwrap("1.2.643.2.2.19");
/// id-Gost28147-89 (cipher; PBES2 encryption scheme in GOST PKCS#12).
pub const GOST_28147_89: Oid = Oid::new_unwrap("1.2.643.2.2.21");
/// id-Gost28147-89-CryptoPro-A-ParamSet: the S-box of GOST 2001 key transport.
pub const GOST_28147_89_CRYPTO_PRO_A_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.31.1");
/// id-GostR3410-2001DH / VKO GOST R 34.10-2001 (key agreement in CMS KeyAgreeRecipientInfo).
pub const GOST_R3410_2001_DH: Oid = Oid::new_unwrap("1.2.643.2.2.98");
/// id-GostR3411-94-CryptoProParamSet (the `digestParamSet` of 2001 keys).
pub const GOST_R3411_94_CRYPTO_PRO_PARAM_SET: Oid = Oid::new_unwrap("1.2.643.2.2.30.1");

// --- Russian certificate attributes and extensions (RFC 9215) ---------------------------------

/// INN of an individual (NumericString, 12 digits).
pub const INN: Oid = Oid::new_unwrap("1.2.643.3.131.1.1");
/// OGRN (NumericString, 13 digits).
pub const OGRN: Oid = Oid::new_unwrap("1.2.643.100.1");
/// SNILS (NumericString, 11 digits).
pub const SNILS: Oid = Oid::new_unwrap("1.2.643.100.3");
/// INNLE: INN of a legal entity (NumericString, 10 digits).
pub const INNLE: Oid = Oid::new_unwrap("1.2.643.100.4");
/// OGRNIP (NumericString, 15 digits).
pub const OGRNIP: Oid = Oid::new_unwrap("1.2.643.100.5");
/// subjectSignTool certificate extension (UTF8String).
pub const SUBJECT_SIGN_TOOL: Oid = Oid::new_unwrap("1.2.643.100.111");
/// issuerSignTool certificate extension.
pub const ISSUER_SIGN_TOOL: Oid = Oid::new_unwrap("1.2.643.100.112");
/// id-class-kc1: signature tool class KC1 (certificate policy).
pub const CLASS_KC1: Oid = Oid::new_unwrap("1.2.643.100.113.1");
/// id-class-kc2: signature tool class KC2 (certificate policy).
pub const CLASS_KC2: Oid = Oid::new_unwrap("1.2.643.100.113.2");
/// id-class-kc3: signature tool class KC3 (certificate policy).
pub const CLASS_KC3: Oid = Oid::new_unwrap("1.2.643.100.113.3");
/// identificationKind certificate extension.
pub const IDENTIFICATION_KIND: Oid = Oid::new_unwrap("1.2.643.100.114");

// --- X.520 / PKCS#9 name attributes (RFC 4519, RFC 2985) ---------------------------------------

/// commonName (CN).
pub const AT_COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
/// surname (SN).
pub const AT_SURNAME: Oid = Oid::new_unwrap("2.5.4.4");
/// serialNumber (SERIALNUMBER; the Kazakh IIN is written here as `IIN…`).
pub const AT_SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
/// countryName (C, PrintableString of two letters).
pub const AT_COUNTRY_NAME: Oid = Oid::new_unwrap("2.5.4.6");
/// localityName (L).
pub const AT_LOCALITY_NAME: Oid = Oid::new_unwrap("2.5.4.7");
/// stateOrProvinceName (ST).
pub const AT_STATE_OR_PROVINCE_NAME: Oid = Oid::new_unwrap("2.5.4.8");
/// streetAddress (street).
pub const AT_STREET_ADDRESS: Oid = Oid::new_unwrap("2.5.4.9");
/// organizationName (O).
pub const AT_ORGANIZATION_NAME: Oid = Oid::new_unwrap("2.5.4.10");
/// organizationalUnitName (OU; the Kazakh BIN is written here as `BIN…`).
pub const AT_ORGANIZATIONAL_UNIT_NAME: Oid = Oid::new_unwrap("2.5.4.11");
/// title (T).
pub const AT_TITLE: Oid = Oid::new_unwrap("2.5.4.12");
/// givenName (GN; Russian certificates carry the given name and the patronymic here).
pub const AT_GIVEN_NAME: Oid = Oid::new_unwrap("2.5.4.42");
/// emailAddress (E, IA5String; PKCS#9).
pub const AT_EMAIL_ADDRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.1");
/// extensionRequest (PKCS#9): the extensions a PKCS#10 request asks for.
pub const EXTENSION_REQUEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.14");

// --- X.509 extensions and extended key usages (RFC 5280) --------------------------------------

/// subjectKeyIdentifier extension.
pub const CE_SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
/// keyUsage extension.
pub const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// basicConstraints extension.
pub const CE_BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// certificatePolicies extension.
pub const CE_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
/// extKeyUsage extension.
pub const CE_EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
/// id-kp-clientAuth.
pub const KP_CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
/// id-kp-emailProtection.
pub const KP_EMAIL_PROTECTION: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.4");

// --- CRLs, OCSP and more certificate extensions (RFC 5280, RFC 6960), for the `trust` crate --

/// privateKeyUsagePeriod.
pub const CE_PRIVATE_KEY_USAGE_PERIOD: Oid = Oid::new_unwrap("2.5.29.16");
/// subjectAltName.
pub const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// issuerAltName.
pub const CE_ISSUER_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.18");
/// cRLNumber.
pub const CE_CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
/// reasonCode (CRL entry).
pub const CE_CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");
/// invalidityDate (CRL entry).
pub const CE_INVALIDITY_DATE: Oid = Oid::new_unwrap("2.5.29.24");
/// deltaCRLIndicator.
pub const CE_DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
/// issuingDistributionPoint.
pub const CE_ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
/// cRLDistributionPoints.
pub const CE_CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
/// authorityKeyIdentifier.
pub const CE_AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
/// freshestCRL.
pub const CE_FRESHEST_CRL: Oid = Oid::new_unwrap("2.5.29.46");
/// authorityInfoAccess.
pub const PE_AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
/// subjectInfoAccess.
pub const PE_SUBJECT_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.11");
/// id-kp-OCSPSigning.
pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-pkix-ocsp-basic.
pub const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
pub const OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-nocheck.
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// id-pkix-ocsp-crl (CrlID).
pub const OCSP_CRL_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.3");
/// id-pkix-ocsp-archive-cutoff.
pub const OCSP_ARCHIVE_CUTOFF: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.6");
/// id-pkix-ocsp-extended-revoke (RFC 6960 §4.4.8).
pub const OCSP_EXTENDED_REVOKE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.9");

// --- RSA and SHA-2 (PKCS#1, NIST) ------------------------------------------------------------

/// rsaEncryption (SPKI of RSA keys; CMS signatureAlgorithm as OpenSSL writes it).
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// id-RSASSA-PSS.
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// sha256WithRSAEncryption.
pub const SHA256_WITH_RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// id-mgf1 (mask generation for PSS).
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
/// id-sha256.
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-sha384.
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");

// --- Elliptic curves and ECDSA (RFC 5480, RFC 5758) -------------------------------------------

/// id-ecPublicKey (SPKI algorithm of EC keys; the parameters name the curve).
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / prime256v1 / NIST P-256.
pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 / NIST P-384.
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// ecdsa-with-SHA256 (X.509 and CMS signature algorithm, absent parameters).
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384.
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");

// --- CMS / PKCS#9 attributes ------------------------------------------------------------------

/// id-data (CMS content type).
pub const CMS_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// id-signedData (CMS content type).
pub const CMS_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// id-contentType signed attribute.
pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest signed attribute.
pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime signed attribute.
pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificateV2 signed attribute (ESSCertIDv2).
pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");

// --- PKCS#5 / PKCS#12 (RFC 8018, RFC 7292, RFC 3565) ------------------------------------------

/// id-envelopedData (RFC 5652 §6).
pub const CMS_ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
/// id-ct-authEnvelopedData (RFC 5083): what OpenSSL writes for AES-GCM content.
pub const CMS_AUTH_ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.23");
/// id-RSAES-OAEP (RFC 8017, RFC 4055).
pub const RSAES_OAEP: Oid = Oid::new_unwrap("1.2.840.113549.1.1.7");
/// id-pSpecified: the OAEP label source (RFC 4055).
pub const P_SPECIFIED: Oid = Oid::new_unwrap("1.2.840.113549.1.1.9");
/// id-sha512.
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
/// id-aes128-GCM (RFC 5084).
pub const AES128_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.6");
/// id-aes192-GCM.
pub const AES192_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.26");
/// id-aes256-GCM.
pub const AES256_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.46");
/// id-encryptedData (CMS content type; the encrypted parts of a PFX).
pub const CMS_ENCRYPTED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.6");
/// id-PBKDF2 (PKCS#5).
pub const PBKDF2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.12");
/// id-PBES2 (PKCS#5).
pub const PBES2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.13");
/// id-hmacWithSHA1 (the default PBKDF2 PRF).
pub const HMAC_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.113549.2.7");
/// id-hmacWithSHA256 (OpenSSL 3's PBKDF2 PRF).
pub const HMAC_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.2.9");
/// id-aes128-CBC.
pub const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
/// id-aes192-CBC.
pub const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
/// id-aes256-CBC (OpenSSL 3's default PFX encryption).
pub const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");
/// id-sha1 (legacy PFX MAC digest).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// pbeWithSHAAnd3-KeyTripleDES-CBC (legacy PFX encryption, PKCS#12 KDF).
pub const PBE_WITH_SHA_AND_3KEY_TRIPLE_DES_CBC: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.3");
/// pbeWithSHAAnd40BitRC2-CBC (legacy PFX certificate encryption; not supported here).
pub const PBE_WITH_SHA_AND_40BIT_RC2_CBC: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.6");
/// keyBag (PKCS#12 SafeBag type: a plain PrivateKeyInfo).
pub const PKCS12_KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.1");
/// pkcs8ShroudedKeyBag (PKCS#12 SafeBag type: an EncryptedPrivateKeyInfo).
pub const PKCS12_PKCS8_SHROUDED_KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.2");
/// certBag (PKCS#12 SafeBag type).
pub const PKCS12_CERT_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.3");
/// x509Certificate (PKCS#9 certificate type inside a certBag).
pub const PKCS9_X509_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.22.1");
/// friendlyName (PKCS#9 bag attribute, BMPString).
pub const PKCS9_FRIENDLY_NAME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.20");
/// localKeyID (PKCS#9 bag attribute linking a key bag to its certificate bag).
pub const PKCS9_LOCAL_KEY_ID: Oid = Oid::new_unwrap("1.2.840.113549.1.9.21");

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    /// The DER bytes of a few OIDs, as `../shared/reference/gost.md` lists them (checked there
    /// against OpenSSL's object table).
    #[test]
    fn der_matches_reference() {
        let cases: [(Oid, &str); 7] = [
            // RFC 5480 / RFC 5758 encodings.
            (SECP256R1, "06082a8648ce3d030107"),
            (ECDSA_WITH_SHA256, "06082a8648ce3d040302"),
            (TC26_GOST_3410_12_256, "06082a85030701010101"),
            (TC26_SIGNWITHDIGEST_GOST_3410_12_512, "06082a85030701010303"),
            (GOST_R3410_2001_CRYPTO_PRO_A_PARAM_SET, "06072a850302022301"),
            (TC26_GOST_3410_12_512_PARAM_SET_C, "06092a8503070102010203"),
            (SUBJECT_SIGN_TOOL, "06052a8503646f"),
        ];
        for (oid, hex) in cases {
            let der = oid.to_der().expect("encodes");
            let got: String = der.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, hex, "{oid}");
        }
    }
}
