//! Opening envelopes through the PKCS#11 module (flow U17): C_Decrypt / C_Encrypt with
//! CKM_RSA_PKCS and CKM_RSA_PKCS_OAEP through `cryptoki` (the built `.so`), checked against
//! OpenSSL both ways; the return codes of misuse through the in-process function list.
#![allow(unsafe_code)] // raw CK_FUNCTION_LIST calls; each block says why it is sound
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use std::path::Path;
use std::ptr;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismInfo, MechanismType};
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki_sys::*;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs1::der::Decode;
use rsa::pkcs8::DecodePrivateKey;

mod common;

use common::tool::openssl_ok as openssl;
use common::{SO_PIN, USER_PIN, env, module_path, pin, rv};

/// An initialised token with a user PIN, a logged-in R/W session, and an RSA-2048 key made
/// by OpenSSL (`rsa.pem`, `pub.pem` in `dir`) imported as a private and a public key object.
fn session_with_openssl_key(p: &Pkcs11, dir: &Path) -> (Session, ObjectHandle, ObjectHandle) {
    let slot = p.get_slots_with_token().unwrap()[0];
    p.init_token(slot, &pin(SO_PIN), "decrypt").unwrap();
    let s = p.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
        dir,
    );
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa.der",
        ],
        dir,
    );
    openssl(
        &["pkey", "-in", "rsa.pem", "-pubout", "-out", "pub.pem"],
        dir,
    );
    let key =
        rsa::RsaPrivateKey::from_pkcs8_der(&std::fs::read(dir.join("rsa.der")).unwrap()).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    let k = rsa::pkcs1::RsaPrivateKeyRef::from_der(der.as_bytes()).unwrap();
    let b = |u: rsa::pkcs1::UintRef<'_>| u.as_bytes().to_vec();
    let private = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(true),
            Attribute::Decrypt(true),
            Attribute::Id(vec![7]),
            Attribute::Modulus(b(k.modulus)),
            Attribute::PublicExponent(b(k.public_exponent)),
            Attribute::PrivateExponent(b(k.private_exponent)),
            Attribute::Prime1(b(k.prime1)),
            Attribute::Prime2(b(k.prime2)),
            Attribute::Exponent1(b(k.exponent1)),
            Attribute::Exponent2(b(k.exponent2)),
            Attribute::Coefficient(b(k.coefficient)),
        ])
        .unwrap();
    let public = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(true),
            Attribute::Encrypt(true),
            Attribute::Id(vec![7]),
            Attribute::Modulus(b(k.modulus)),
            Attribute::PublicExponent(b(k.public_exponent)),
        ])
        .unwrap();
    (s, private, public)
}

fn oaep(hash: MechanismType, mgf: PkcsMgfType) -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()))
}

/// The mechanisms and OpenSSL's matching `-pkeyopt`s.
fn cases() -> Vec<(Mechanism<'static>, Vec<&'static str>)> {
    vec![
        (Mechanism::RsaPkcs, vec!["rsa_padding_mode:pkcs1"]),
        (
            oaep(MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
            vec!["rsa_padding_mode:oaep"],
        ),
        (
            oaep(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha256",
            ],
        ),
        (
            oaep(MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha384",
                "rsa_mgf1_md:sha384",
            ],
        ),
        (
            oaep(MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
            vec![
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha512",
                "rsa_mgf1_md:sha512",
            ],
        ),
    ]
}

fn with_opts<'a>(mut args: Vec<&'a str>, opts: &[&'a str]) -> Vec<&'a str> {
    for o in opts {
        args.extend(["-pkeyopt", o]);
    }
    args
}

#[test]
fn rsa_decrypt_and_encrypt_agree_with_openssl_both_ways() {
    let env = env();
    let dir = env.dir.path();
    let p = Pkcs11::new(module_path()).unwrap();
    p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let (s, private, public) = session_with_openssl_key(&p, dir);
    for (mech, opts) in cases() {
        // OpenSSL encrypts to the public key, the token decrypts.
        let secret = openssl(&["rand", "32"], dir);
        std::fs::write(dir.join("plain"), &secret).unwrap();
        let args = vec![
            "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "plain", "-out", "ct",
        ];
        openssl(&with_opts(args, &opts), dir);
        let ct = std::fs::read(dir.join("ct")).unwrap();
        assert_eq!(s.decrypt(&mech, private, &ct).unwrap(), secret, "{mech:?}");
        // The token encrypts with the public key object, OpenSSL decrypts.
        let ct = s.encrypt(&mech, public, &secret).unwrap();
        assert_eq!(ct.len(), 256);
        std::fs::write(dir.join("ct2"), &ct).unwrap();
        let args = vec!["pkeyutl", "-decrypt", "-inkey", "rsa.pem", "-in", "ct2"];
        assert_eq!(openssl(&with_opts(args, &opts), dir), secret, "{mech:?}");
    }
    // The mechanisms are listed with their new flags.
    let slot = p.get_slots_with_token().unwrap()[0];
    let info: MechanismInfo = p
        .get_mechanism_info(slot, MechanismType::RSA_PKCS_OAEP)
        .unwrap();
    assert!(info.encrypt() && info.decrypt() && !info.sign());
    let info = p.get_mechanism_info(slot, MechanismType::RSA_PKCS).unwrap();
    assert!(info.encrypt() && info.decrypt() && info.sign());

    // Misuse through cryptoki: wrong key class, parameters, a damaged ciphertext.
    let mech = oaep(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256);
    let ct = s.encrypt(&mech, public, b"key").unwrap();
    assert_eq!(
        rv(s.decrypt(&mech, public, &ct).unwrap_err()),
        RvError::KeyTypeInconsistent
    );
    assert_eq!(
        rv(s.encrypt(&mech, private, b"key").unwrap_err()),
        RvError::KeyTypeInconsistent
    );
    let mixed = oaep(MechanismType::SHA256, PkcsMgfType::MGF1_SHA1);
    assert_eq!(
        rv(s.decrypt(&mixed, private, &ct).unwrap_err()),
        RvError::MechanismParamInvalid
    );
    let mut bad = ct.clone();
    bad[5] ^= 0x40;
    assert_eq!(
        rv(s.decrypt(&mech, private, &bad).unwrap_err()),
        RvError::EncryptedDataInvalid
    );
    assert_eq!(
        rv(s.decrypt(&mech, private, &ct[1..]).unwrap_err()),
        RvError::EncryptedDataLenRange
    );
    assert_eq!(
        rv(s.decrypt(&Mechanism::Sha256, private, &ct).unwrap_err()),
        RvError::MechanismInvalid
    );
    let too_long = [0u8; 256 - 2 * 32 - 1];
    assert_eq!(
        rv(s.encrypt(&mech, public, &too_long).unwrap_err()),
        RvError::DataLenRange
    );
    // Private key use needs the user.
    s.logout().unwrap();
    assert_eq!(
        rv(s.decrypt(&mech, private, &ct).unwrap_err()),
        RvError::UserNotLoggedIn
    );
    assert_eq!(s.encrypt(&mech, public, b"key").unwrap().len(), 256);
}

/// Calls through the in-process function list.
struct Raw(&'static CK_FUNCTION_LIST);

macro_rules! call {
    ($raw:expr, $f:ident ( $($arg:expr),* )) => {{
        let f = $raw.0.$f.expect(stringify!($f));
        // SAFETY: the function comes from the module's own table; every pointer argument
        // points to live, correctly sized local storage (or is NULL where allowed).
        unsafe { f($($arg),*) }
    }};
}

fn raw() -> Raw {
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: `list` is a valid place for one pointer.
    assert_eq!(
        unsafe { soft_token_pkcs11::ffi::C_GetFunctionList(&mut list) },
        CKR_OK
    );
    // SAFETY: the module returns a pointer to its static table.
    Raw(unsafe { &*list })
}

fn attr<T>(kind: CK_ATTRIBUTE_TYPE, value: &mut T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: kind,
        pValue: std::ptr::from_mut(value).cast(),
        ulValueLen: size_of::<T>() as CK_ULONG,
    }
}

#[test]
fn return_codes_follow_pkcs11_precedence() {
    let _env = env();
    let r = raw();
    let mut mech = CK_MECHANISM {
        mechanism: CKM_RSA_PKCS,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut out = [0u8; 512];
    let mut out_len: CK_ULONG = 512;
    // Not initialised: before anything else, even a NULL length pointer.
    assert_eq!(
        call!(r, C_DecryptInit(1, &mut mech, 1)),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    assert_eq!(
        call!(
            r,
            C_Decrypt(1, out.as_mut_ptr(), 256, ptr::null_mut(), ptr::null_mut())
        ),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_Initialize(ptr::null_mut())), CKR_OK);
    assert_eq!(
        call!(r, C_DecryptInit(99, &mut mech, 1)),
        CKR_SESSION_HANDLE_INVALID
    );

    // A token with a user and an RSA key pair.
    let mut so = *b"Ad9mQ4kz";
    let mut user = *b"11223344";
    let mut label = [b' '; 32];
    assert_eq!(
        call!(r, C_InitToken(0, so.as_mut_ptr(), 8, label.as_mut_ptr())),
        CKR_OK
    );
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
    assert_eq!(
        call!(r, C_OpenSession(0, flags, ptr::null_mut(), None, &mut h)),
        CKR_OK
    );
    assert_eq!(call!(r, C_Login(h, CKU_SO, so.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_InitPIN(h, user.as_mut_ptr(), 8)), CKR_OK);
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);
    assert_eq!(call!(r, C_Login(h, CKU_USER, user.as_mut_ptr(), 8)), CKR_OK);
    let mut gen_mech = CK_MECHANISM {
        mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut bits: CK_ULONG = 2048;
    let mut yes: CK_BBOOL = 1;
    let mut pub_t = [
        attr(CKA_MODULUS_BITS, &mut bits),
        attr(CKA_ENCRYPT, &mut yes),
    ];
    let mut yes2: CK_BBOOL = 1;
    let mut priv_t = [attr(CKA_DECRYPT, &mut yes2)];
    let (mut public, mut private) = (0, 0);
    assert_eq!(
        call!(
            r,
            C_GenerateKeyPair(
                h,
                &mut gen_mech,
                pub_t.as_mut_ptr(),
                2,
                priv_t.as_mut_ptr(),
                1,
                &mut public,
                &mut private
            )
        ),
        CKR_OK
    );

    // A ciphertext of a 16-byte secret, made by the module with the public key.
    let mut secret = [0x42u8; 16];
    assert_eq!(call!(r, C_EncryptInit(h, &mut mech, public)), CKR_OK);
    let mut ct = [0u8; 256];
    let mut ct_len: CK_ULONG = 0;
    // NULL buffer: the length, and the operation stays.
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, secret.as_mut_ptr(), 16, ptr::null_mut(), &mut ct_len)
        ),
        CKR_OK
    );
    assert_eq!(ct_len, 256);
    ct_len = 10;
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, secret.as_mut_ptr(), 16, ct.as_mut_ptr(), &mut ct_len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(ct_len, 256);
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, secret.as_mut_ptr(), 16, ct.as_mut_ptr(), &mut ct_len)
        ),
        CKR_OK
    );
    assert_eq!(
        call!(
            r,
            C_Encrypt(h, secret.as_mut_ptr(), 16, ct.as_mut_ptr(), &mut ct_len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // Decrypt: the length query gives the modulus' length, a small buffer the real length.
    assert_eq!(call!(r, C_DecryptInit(h, &mut mech, private)), CKR_OK);
    assert_eq!(
        call!(r, C_DecryptInit(h, &mut mech, private)),
        CKR_OPERATION_ACTIVE
    );
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, ptr::null_mut(), &mut out_len)
        ),
        CKR_OK
    );
    assert_eq!(out_len, 256);
    out_len = 8;
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(out_len, 16);
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_OK
    );
    assert_eq!(&out[..16], &secret);
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // A failed C_Decrypt ends the operation (OAEP: a damaged ciphertext).
    let mut params = CK_RSA_PKCS_OAEP_PARAMS {
        hashAlg: CKM_SHA256,
        mgf: CKG_MGF1_SHA256,
        source: CKZ_DATA_SPECIFIED,
        pSourceData: ptr::null_mut(),
        ulSourceDataLen: 0,
    };
    let mut oaep = CK_MECHANISM {
        mechanism: CKM_RSA_PKCS_OAEP,
        pParameter: std::ptr::from_mut(&mut params).cast(),
        ulParameterLen: size_of::<CK_RSA_PKCS_OAEP_PARAMS>() as CK_ULONG,
    };
    assert_eq!(call!(r, C_DecryptInit(h, &mut oaep, private)), CKR_OK);
    out_len = 512;
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_ENCRYPTED_DATA_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_Decrypt(h, ct.as_mut_ptr(), 256, out.as_mut_ptr(), &mut out_len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    // A mis-sized OAEP parameter; an unknown mechanism; both after the session check.
    oaep.ulParameterLen -= 1;
    assert_eq!(
        call!(r, C_DecryptInit(h, &mut oaep, private)),
        CKR_MECHANISM_PARAM_INVALID
    );
    assert_eq!(
        call!(r, C_DecryptInit(99, &mut oaep, private)),
        CKR_SESSION_HANDLE_INVALID
    );
    let mut sha = CK_MECHANISM {
        mechanism: CKM_SHA256,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    };
    assert_eq!(
        call!(r, C_DecryptInit(h, &mut sha, private)),
        CKR_MECHANISM_INVALID
    );
    // Logged out: private key use is refused as such, not as an unknown handle.
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);
    assert_eq!(
        call!(r, C_DecryptInit(h, &mut mech, private)),
        CKR_USER_NOT_LOGGED_IN
    );
    assert_eq!(call!(r, C_Finalize(ptr::null_mut())), CKR_OK);
}
