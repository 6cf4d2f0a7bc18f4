//! The CryptoPro profile (GOST 28147-89, CryptoPro-A S-box) against CryptoPro CSP's own
//! outputs, and against OpenSSL's gost engine.
//!
//! * CFB with key meshing and the MAC (IMIT): the test cases "calculated by libcapi10,
//!   CryptoPro CSP 3.6R2" in gost-engine's `test_gost2814789.c` (key, IV, input, output as
//!   printed there; the 5 MiB cases are zeros with the last 16 output bytes given). They cover
//!   key meshing (1035 bytes and 5 MiB) and the MAC of messages of 0, 6, 8, 10 and 16 bytes.
//! * `openssl enc -gost89` (CFB with key meshing; TC26 Z and, with `CRYPT_PARAMS`,
//!   CryptoPro-A) both ways on 3000 bytes.
//! * `openssl cms -encrypt -gost89` for a GOST R 34.10-2012 recipient (RFC 4490 KeyTrans: VKO
//!   with an 8-byte UKM, the CryptoPro key wrap with the TC26 Z S-box, CFB with meshing):
//!   opened here with `gost`'s VKO and this crate's unwrap and CFB.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;
use common::{hex, openssl, openssl_env, pattern, to_hex};

use keycarrier_gost_cipher::gost89::{
    Gost89CfbDecryptor, Gost89CfbEncryptor, Gost89Imit, Gost89Sbox, cryptopro_key_unwrap,
    cryptopro_key_wrap, diversify_cryptopro, gost28147_key_unwrap, gost28147_key_wrap,
};
use keycarrier_gost_cipher::{Error, SecretKey};

struct Case {
    name: &'static str,
    len: usize,
    input: &'static str,
    key: &'static str,
    iv: &'static str,
    out: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "testcfb1",
        len: 16,
        input: "d2fdf83ac1b439232eaacc980a02da33",
        key: "8d5a2c83a7c70a61d61b34b51fdf42686671a35d874cfd84993663b61ed60dad",
        iv: "46606f0d8834235a",
        out: "88b7751674a5ee2d14fe9167d05ccc40",
    },
    Case {
        name: "testimit1",
        len: 16,
        input: "b5a1f0e3ce2f021d676194345c41e36e",
        key: "9d05b79e90cad00a2cdad22ef4e86f5cf5dc37681985b3bfaa18c1c3050a91a2",
        iv: "",
        out: "f81f08a3",
    },
    Case {
        name: "testimit2",
        len: 1035,
        input: "d6cf31969ca1fbd68da3dd01d988c02fbc46c73ae42186968de2cab637a2e1a8
        7ea7792ea456757f3e558b43ae65dfaa42b600a661030dd34102272395799b34
        81a986b5a790e2aec42fc38e325613fa4d4e9f15757e74dc322dee4d67709f62
        b9c4db2484cc167bda22f7c5f3933573c6031c77a5f27656b495d47e0d20c66e
        ee8f2548ff7e013ab41faa35c033589cb5ba654bd35114ec61cee4ba49ba3932
        abce8172ceabedd4d219878592fa6434d886f48a083cdeee97929269ba9b5f7a
        03c15d43028cbed2467281407d6898450b54271caf8042e4d5d4e4a298078f03
        f52c8c88ca5adee49fb15f82ff20675285844fc8fea79eae1cfab875d3f79f0d
        da2de6cc866ba41465c3f915bc87f5ae8c10d4ce5b9ce2dd4203098747ed5dd0
        7a694cfa437dbf07856aee68e67a57b2208d80f2916f5c078ce46a4990858b77
        29561c5ea93fab8b79a36f6b34cb61f6e692d1489e11a282c04e23d2150d8dff
        fa179d81b8bcd75b08812040c03c068b1a880b4b7b31f5d44e09d14d0d7f45d1
        0935bace65ddf2b8fb7abcc44bc875da6bce3de894cc236fb03b4f7d07b90f62
        927eda7050ced328121100eb8d637078a87b76abc640c04e80ddf0fe8372564c
        094cf17272862631c3c2dc8ec7f435ec17066347498847afb3384f7e4495b5bb
        1dbd5a915bd01adf0d0b50d8e20ec5002d5b2919aa2b64c540314811bc04d1cf
        6df9a52f4ac982fa59e1fcab1c33260a5feff206d8d37e1658167873aebaebe5
        3db20ab3322d14a4fa3f1f43f97ba9439818940707e51934a8165f7167aa29e5
        faf083061d9dfcfefe8cb5b2a9e7a04060b6719eab5b83b90c2b582380099e5d
        947d4076a916969e83e00deca0ec762ab7a0ffb8504c5bc68b0a652efeb4409a
        01d8c6a3ab99a2c50c08c4b7ee4d1dc40815d0dbaa634f31eb149743bdc19408
        e6de439f950b967e7f3c68ba6fc4c9352bc40eda1f916864633473be5775b9ed
        f72d3b0521932848969597a0d27d78bb6a498f76557463b9c5361225bf03828f
        f0f680bb33b4f417271cf34c10a3e4d155d968214e5a8367bff83c7d4e62d328
        a7266fe9eec20b2d0384b1ffd6681fb6f2e40fda2dee5f6e21c8e1fcad6b0e04
        7dafc23ba5689b0cf356f3da8dc87d39dcd599c60110ce421bac48dc97780aec
        b38f4735a36a64b28e63692266ae2ee088f9403cc9a25761f6adf0dc90563f06
        9b7dbdc28102abb81509884aff2f31bf5efa6a7ef6c5a7f7d5ab55acae0d8c8d
        7f4b25bb32ff11332e373769961517b11749e09a9cd95b8d58a31d9287f880b9
        bd5aec40e1003360e486166d6181f2286aa7ce3f95ae43cae13f81747e1c4717
        95c660da7477d99ffa92b4bee1239818956303134c1a2d41cde484f7e638efff
        95b2e87c8f58b5b5ed277f3c18abbe7f4fe2351571b76f85389b88f69c8d43b5
        589ef2d196beb7ad1aa098",
        key: "80d9a0dc21f9304075fe491b9e7190917888216039e7c92bfb551df4dd2b0a01",
        iv: "",
        out: "90f2119a",
    },
    Case {
        name: "testimit3",
        len: 10,
        input: "1debe6790a5900e68e5c",
        key: "a9b637cc6d9b2f25b0df47045068b0274127586abd0a6e502fc6fcc03e2942a5",
        iv: "",
        out: "317c16e4",
    },
    Case {
        name: "testimit4",
        len: 6,
        input: "ef068f14c904",
        key: "b06c48230a6ef4ec27980123a7d8bf6089efade88f79148c185c9adaef0bdda0",
        iv: "",
        out: "e972aebf",
    },
    Case {
        name: "testimit6",
        len: 8,
        input: "f3b229d27a370312",
        key: "423581910ba999ffd943f8c619551f2f2d4540201e1d327ab1076b4f4590d980",
        iv: "",
        out: "6e15fae8",
    },
    Case {
        name: "testimit7",
        len: 0,
        input: "",
        key: "26cbb9f00c629faa4a1db6300901568966d4e40efef6106b6ce8043ae3614b19",
        iv: "",
        out: "00000000",
    },
    Case {
        name: "test5Mcfb",
        len: 5242888,
        input: "",
        key: "6158445a41f6c70f6bdb51916af681308ca798dd38358a6085b4f0f943a27d9a",
        iv: "0000000000000000",
        out: "1c16a0e96394fe3837a79b70252ed600",
    },
    Case {
        name: "test5Mimit",
        len: 5242880,
        input: "",
        key: "aa8584cd6528e1dbb8201943e036351019c3705b27c19d8475a3c649468f7c4e",
        iv: "",
        out: "2ae623c6",
    },
];

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).unwrap()
}

/// The case's input: the given bytes, or zeros for the long cases.
fn input(c: &Case) -> Vec<u8> {
    let given = hex(c.input);
    if given.is_empty() {
        vec![0; c.len]
    } else {
        given
    }
}

fn key(c: &Case) -> SecretKey {
    SecretKey::from_slice(&hex(c.key)).unwrap()
}

#[test]
fn cryptopro_csp_cfb() {
    for name in ["testcfb1", "test5Mcfb"] {
        let c = case(name);
        let plain = input(c);
        let mut data = plain.clone();
        let mut enc = Gost89CfbEncryptor::new(Gost89Sbox::CryptoProA, &key(c), &hex(c.iv)).unwrap();
        for chunk in data.chunks_mut(1000) {
            enc.encrypt(chunk);
        }
        let out = hex(c.out);
        assert_eq!(
            to_hex(&data[data.len() - out.len()..]),
            to_hex(&out),
            "{name}"
        );
        let mut dec = Gost89CfbDecryptor::new(Gost89Sbox::CryptoProA, &key(c), &hex(c.iv)).unwrap();
        dec.decrypt(&mut data);
        assert!(data == plain, "{name}: back");
    }
}

#[test]
fn cryptopro_csp_imit() {
    for name in [
        "testimit1",
        "testimit2",
        "testimit3",
        "testimit4",
        "testimit6",
        "testimit7",
        "test5Mimit",
    ] {
        let c = case(name);
        let data = input(c);
        let mut mac = Gost89Imit::new(Gost89Sbox::CryptoProA, &key(c));
        for chunk in data.chunks(333) {
            mac.update(chunk);
        }
        assert_eq!(to_hex(&mac.clone().finalize()), c.out, "{name}");
        assert!(mac.clone().verify(&hex(c.out)).is_ok());
        let mut wrong = hex(c.out);
        wrong[3] ^= 1;
        assert!(matches!(mac.verify(&wrong), Err(Error::Integrity { .. })));
    }
}

/// `openssl enc -gost89` is CFB with key meshing under the engine's `CRYPT_PARAMS` S-box:
/// TC26 Z when unset (gost-engine 3.x), CryptoPro-A when asked for.
#[test]
fn openssl_enc_gost89_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = "0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let iv = "1122334455667788";
    let plain = pattern(3000, 7);
    std::fs::write(d.join("plain.bin"), &plain).unwrap();
    let key = SecretKey::from_slice(&hex(k)).unwrap();
    for (env, sbox) in [
        (None, Gost89Sbox::Tc26Z),
        (
            Some("id-Gost28147-89-CryptoPro-A-ParamSet"),
            Gost89Sbox::CryptoProA,
        ),
    ] {
        let env: Vec<(&str, &str)> = env.map(|v| ("CRYPT_PARAMS", v)).into_iter().collect();
        openssl_env(
            d,
            &env,
            &[
                "enc",
                "-engine",
                "gost",
                "-gost89",
                "-K",
                k,
                "-iv",
                iv,
                "-in",
                "plain.bin",
                "-out",
                "enc.bin",
            ],
        );
        let theirs = std::fs::read(d.join("enc.bin")).unwrap();
        let mut ours = plain.clone();
        Gost89CfbEncryptor::new(sbox, &key, &hex(iv))
            .unwrap()
            .encrypt(&mut ours);
        assert_eq!(
            to_hex(&ours),
            to_hex(&theirs),
            "{sbox:?}: our CFB = openssl enc -gost89"
        );
        // OpenSSL decrypts ours.
        std::fs::write(d.join("ours.bin"), &ours).unwrap();
        openssl_env(
            d,
            &env,
            &[
                "enc", "-d", "-engine", "gost", "-gost89", "-K", k, "-iv", iv, "-in", "ours.bin",
                "-out", "back.bin",
            ],
        );
        assert!(
            std::fs::read(d.join("back.bin")).unwrap() == plain,
            "{sbox:?}"
        );
    }
}

#[test]
fn key_wraps_round_trip_and_detect_changes() {
    let kek = SecretKey::from_array([0x11; 32]);
    let cek = SecretKey::from_array([0x22; 32]);
    let ukm = hex("0102030405060708");
    for sbox in [Gost89Sbox::CryptoProA, Gost89Sbox::Tc26Z] {
        let cp = cryptopro_key_wrap(sbox, &kek, &ukm, &cek).unwrap();
        let plain = gost28147_key_wrap(sbox, &kek, &ukm, &cek).unwrap();
        assert_eq!(&cp[..8], ukm.as_slice());
        assert_ne!(cp, plain, "the CryptoPro wrap diversifies the KEK");
        assert_eq!(cryptopro_key_unwrap(sbox, &kek, &cp).unwrap(), cek);
        assert_eq!(gost28147_key_unwrap(sbox, &kek, &plain).unwrap(), cek);
        // The §6.1 wrap under the diversified KEK is the §6.3 wrap.
        let diversified = diversify_cryptopro(sbox, &kek, &ukm).unwrap();
        assert_eq!(
            gost28147_key_wrap(sbox, &diversified, &ukm, &cek).unwrap(),
            cp
        );
        for i in [0, 8, 39, 43] {
            let mut bad = cp.clone();
            bad[i] ^= 4;
            assert!(
                matches!(
                    cryptopro_key_unwrap(sbox, &kek, &bad),
                    Err(Error::Integrity { .. })
                ),
                "{sbox:?} byte {i}"
            );
        }
        assert!(matches!(
            cryptopro_key_unwrap(sbox, &kek, &cp[..43]),
            Err(Error::Length { .. })
        ));
    }
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

fn der_tag(a: &der::Any) -> u8 {
    use der::Encode;
    a.to_der().unwrap()[0]
}

/// RFC 4490 KeyTrans made by `openssl cms -encrypt -gost89` for a GOST R 34.10-2012 recipient,
/// opened here: KEK = VKO_GOSTR3410_2012_256 with the 8-byte UKM, CryptoPro key unwrap and CFB
/// with the TC26 Z S-box.
#[test]
fn openssl_cms_encrypt_gost89_opens_here() {
    use der::{Decode, Encode};
    use gost::{SigningKey, VerifyingKey, VkoDigest};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (alg, paramset) in [
        ("gost2012_256", "A"),
        ("gost2012_256", "TCA"),
        ("gost2012_512", "A"),
    ] {
        openssl(
            d,
            &[
                "req",
                "-engine",
                "gost",
                "-x509",
                "-newkey",
                alg,
                "-pkeyopt",
                &format!("paramset:{paramset}"),
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
        let plain = pattern(2500, 9);
        std::fs::write(d.join("plain.bin"), &plain).unwrap();
        openssl(
            d,
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
        let pem = std::fs::read_to_string(d.join("key.pem")).unwrap();
        let recipient =
            SigningKey::from_pkcs8_der(&pem_rfc7468::decode_vec(pem.as_bytes()).unwrap().1)
                .unwrap();
        let ci = der::Any::from_der(&std::fs::read(d.join("env.der")).unwrap()).unwrap();
        let ed = der_children(&der_children(&der_children(&ci)[1])[0]);
        let ktri = der_children(&der_children(&ed[1])[0]);
        // GostR3410-KeyTransport ::= SEQUENCE { sessionEncryptedKey
        //   SEQUENCE { encryptedKey OCTET STRING (32), [0] maskKey OPTIONAL, macKey OCTET STRING (4) },
        //   [0] IMPLICIT transportParameters SEQUENCE { encryptionParamSet OID,
        //     [0] IMPLICIT ephemeralPublicKey SubjectPublicKeyInfo, ukm OCTET STRING (8) } }
        let transport = der_children(&der::Any::from_der(ktri[3].value()).unwrap());
        let sek = der_children(&transport[0]);
        let params = der_children(&transport[1]);
        assert_eq!(der_tag(&params[1]), 0xa0);
        let mut spki = params[1].to_der().unwrap();
        spki[0] = 0x30; // [0] IMPLICIT SEQUENCE → SEQUENCE
        let eph = VerifyingKey::from_spki_der(&spki).unwrap();
        let ukm = params[2].value().to_vec();
        let kek = recipient.vko(&eph, &ukm, VkoDigest::Streebog256).unwrap();
        let kek = SecretKey::from_slice(&kek).unwrap();
        let mut wrapped = ukm.clone();
        wrapped.extend_from_slice(sek[0].value());
        wrapped.extend_from_slice(sek.last().unwrap().value());
        let cek = cryptopro_key_unwrap(Gost89Sbox::Tc26Z, &kek, &wrapped).unwrap();
        // EncryptedContentInfo: id-Gost28147-89 { iv, encryptionParamSet }, [0] content.
        let eci = der_children(&ed[2]);
        let alg_params = der_children(&der_children(&eci[1])[1]);
        let sbox = Gost89Sbox::from_oid(
            &der::asn1::ObjectIdentifier::from_bytes(alg_params[1].value())
                .unwrap()
                .to_string(),
        )
        .unwrap();
        assert_eq!(sbox, Gost89Sbox::Tc26Z, "{alg} {paramset}");
        let mut data = eci[2].value().to_vec();
        Gost89CfbDecryptor::new(sbox, &cek, alg_params[0].value())
            .unwrap()
            .decrypt(&mut data);
        assert!(data == plain, "{alg} {paramset}: content");
    }
}
