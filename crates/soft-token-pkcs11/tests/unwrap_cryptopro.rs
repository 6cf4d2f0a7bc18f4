//! The CryptoPro key wrap (`CKM_GOST28147_KEY_WRAP`) through the built module on what
//! `openssl cms -encrypt -gost89` (gost engine) made for a GOST 2012 recipient: the
//! recipient's key on the token, the KEK from C_DeriveKey (VKO), the CEK from C_UnwrapKey, the
//! content from C_Decrypt with `CKM_GOST28147` — all on the module — must give OpenSSL's
//! plaintext, and C_WrapKey OpenSSL's wrapped key. Raw calls for the two mechanisms cryptoki
//! cannot name.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use std::ptr;

use common::secret::*;
use common::{env, gost_key_type, gost_params, pkcs11};
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;

macro_rules! call {
    ($f:ident ( $($arg:expr),* )) => {{
        let f = common::secret::so_functions().$f.expect(stringify!($f));
        // SAFETY: every pointer argument points to live, correctly sized local storage.
        unsafe { f($($arg),*) }
    }};
}

fn der_children(a: &der::Any) -> Vec<der::Any> {
    use der::{Decode, Reader};
    let mut r = der::SliceReader::new(a.value()).unwrap();
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(der::Any::decode(&mut r).unwrap());
    }
    out
}

/// What the module needs of an RFC 4490 KeyTrans envelope.
struct Envelope {
    ephemeral: Vec<u8>,
    ukm: Vec<u8>,
    encrypted_key: Vec<u8>,
    mac: Vec<u8>,
    iv: Vec<u8>,
    sbox_der: Vec<u8>,
    content: Vec<u8>,
}

fn parse_envelope(der_bytes: &[u8]) -> Envelope {
    use der::{Decode, Encode};
    let ci = der::Any::from_der(der_bytes).unwrap();
    let ed = der_children(&der_children(&der_children(&ci)[1])[0]);
    let ktri = der_children(&der_children(&ed[1])[0]);
    // GostR3410-KeyTransport ::= SEQUENCE { sessionEncryptedKey SEQUENCE { encryptedKey,
    //   [0] maskKey OPTIONAL, macKey }, [0] IMPLICIT transportParameters SEQUENCE {
    //   encryptionParamSet, [0] IMPLICIT ephemeralPublicKey, ukm } }
    let transport = der_children(&der::Any::from_der(ktri[3].value()).unwrap());
    let sek = der_children(&transport[0]);
    let params = der_children(&transport[1]);
    let mut spki = params[1].to_der().unwrap();
    spki[0] = 0x30;
    let eph = gost::VerifyingKey::from_spki_der(&spki).unwrap();
    let eci = der_children(&ed[2]);
    let alg_params = der_children(&der_children(&eci[1])[1]);
    Envelope {
        ephemeral: eph.as_raw_le().to_vec(),
        ukm: params[2].value().to_vec(),
        encrypted_key: sek[0].value().to_vec(),
        mac: sek.last().unwrap().value().to_vec(),
        iv: alg_params[0].value().to_vec(),
        sbox_der: alg_params[1].to_der().unwrap(),
        content: eci[2].value().to_vec(),
    }
}

#[test]
fn cryptopro_unwrap_on_the_module_opens_openssl_cms_gost89() {
    let env = env();
    let dir = env.dir.path();
    let p = pkcs11();
    let s = user_session(&p);
    let h = s.handle();
    openssl(
        dir,
        &[],
        &[
            "req",
            "-engine",
            "gost",
            "-x509",
            "-newkey",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCA",
            "-nodes",
            "-subj",
            "/CN=recipient",
            "-days",
            "1",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    );
    let plain: Vec<u8> = (0..2500u32).map(|i| (i * 7 + i / 256) as u8).collect();
    std::fs::write(dir.join("plain.bin"), &plain).unwrap();
    openssl(
        dir,
        &[],
        &[
            "cms",
            "-engine",
            "gost",
            "-encrypt",
            "-gost89",
            "-binary",
            "-in",
            "plain.bin",
            "-outform",
            "DER",
            "-out",
            "env.der",
            "cert.pem",
        ],
    );
    let env_der = parse_envelope(&std::fs::read(dir.join("env.der")).unwrap());
    assert_eq!(
        env_der.sbox_der, PARAM_Z,
        "OpenSSL's S-box for GOST 2012 keys"
    );

    // The recipient's private key goes onto the token.
    let pem = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    let (_, pkcs8) = token_core::der::pem::decode_vec(pem.as_bytes()).unwrap();
    let recipient = gost::SigningKey::from_pkcs8_der(&pkcs8).unwrap();
    let set = recipient.param_set();
    let private = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(gost_key_type(set)),
            Attribute::Token(false),
            Attribute::Derive(true),
            gost_params(set),
            Attribute::Value(recipient.to_le_bytes().to_vec()),
        ])
        .unwrap();
    // KEK = VKO(recipient, ephemeral key, UKM) on the module, as a GOST 28147-89 key (S-box Z).
    let derive = CK_GOSTR3410_DERIVE_PARAMS {
        kdf: CKD_KDF_GOSTR3411_2012_256,
        pPublicData: env_der.ephemeral.as_ptr().cast_mut(),
        ulPublicDataLen: env_der.ephemeral.len() as CK_ULONG,
        pUKM: env_der.ukm.as_ptr().cast_mut(),
        ulUKMLen: env_der.ukm.len() as CK_ULONG,
    };
    let kek = s
        .derive_key(
            &vendor(CKM_GOSTR3410_12_DERIVE, &derive),
            private,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GOST28147),
                Attribute::Token(false),
                gost28147_params(&PARAM_Z),
            ],
        )
        .unwrap()
        .handle();

    // C_UnwrapKey with CKM_GOST28147_KEY_WRAP: UKM ‖ encrypted CEK ‖ MAC.
    let mut wrapped = env_der.ukm.clone();
    wrapped.extend_from_slice(&env_der.encrypted_key);
    wrapped.extend_from_slice(&env_der.mac);
    assert_eq!(wrapped.len(), 44);
    let mut ukm = env_der.ukm.clone();
    let mut wrap_mech = CK_MECHANISM {
        mechanism: CKM_GOST28147_KEY_WRAP,
        pParameter: ukm.as_mut_ptr().cast(),
        ulParameterLen: 8,
    };
    let (mut class, mut kind, mut no, mut yes) = (CKO_SECRET_KEY, CKK_GOST28147, 0u8, 1u8);
    let mut z = PARAM_Z;
    let mut yes2 = 1u8;
    let mut template = [
        raw_attr(CKA_CLASS, &mut class),
        raw_attr(CKA_KEY_TYPE, &mut kind),
        raw_attr(CKA_TOKEN, &mut no),
        raw_attr(CKA_EXTRACTABLE, &mut yes),
        raw_attr(CKA_DECRYPT, &mut yes2),
        raw_attr(CKA_GOST28147_PARAMS, &mut z),
    ];
    let mut cek: CK_OBJECT_HANDLE = 0;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            wrapped.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut cek
        )),
        CKR_OK
    );

    // C_Decrypt with CKM_GOST28147 (CFB, key meshing, S-box Z from the key) and the CMS IV.
    let mut iv = env_der.iv.clone();
    let mut cfb = CK_MECHANISM {
        mechanism: CKM_GOST28147,
        pParameter: iv.as_mut_ptr().cast(),
        ulParameterLen: 8,
    };
    assert_eq!(call!(C_DecryptInit(h, &mut cfb, cek)), CKR_OK);
    let mut content = env_der.content.clone();
    let mut out = vec![0u8; content.len()];
    let mut out_len = out.len() as CK_ULONG;
    assert_eq!(
        call!(C_Decrypt(
            h,
            content.as_mut_ptr(),
            content.len() as CK_ULONG,
            out.as_mut_ptr(),
            &mut out_len
        )),
        CKR_OK
    );
    assert!(out == plain, "the module's plaintext is OpenSSL's");

    // C_WrapKey of the CEK with the same UKM is OpenSSL's wrapped key.
    let mut again = [0u8; 44];
    let mut again_len: CK_ULONG = 0;
    assert_eq!(
        call!(C_WrapKey(
            h,
            &mut wrap_mech,
            kek,
            cek,
            ptr::null_mut(),
            &mut again_len
        )),
        CKR_OK
    );
    assert_eq!(again_len, 44);
    assert_eq!(
        call!(C_WrapKey(
            h,
            &mut wrap_mech,
            kek,
            cek,
            again.as_mut_ptr(),
            &mut again_len
        )),
        CKR_OK
    );
    assert_eq!(again.to_vec(), wrapped);

    // A damaged MAC or another UKM makes no key.
    let mut bad = wrapped.clone();
    bad[43] ^= 1;
    let mut none: CK_OBJECT_HANDLE = 0;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            bad.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut none
        )),
        CKR_WRAPPED_KEY_INVALID
    );
    ukm[0] ^= 1;
    assert_eq!(
        call!(C_UnwrapKey(
            h,
            &mut wrap_mech,
            kek,
            wrapped.as_mut_ptr(),
            44,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut none
        )),
        CKR_WRAPPED_KEY_INVALID
    );
    assert_eq!(none, 0);
    drop(s);
    p.finalize().unwrap();
}
