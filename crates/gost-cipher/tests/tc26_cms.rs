//! The TC26 CMS examples (R 1323565.1.025-2019, files of gost-engine's `tcl_tests/tc26_cms`,
//! in `shared/vectors/tc26-cms`): EncryptedData A.4.1 (Magma-OMAC) and A.4.2 (Kuznyechik)
//! with the given key, and EnvelopedData A.2.1–A.2.4 (KeyAgree and KeyTrans, 256- and 512-bit
//! keys, Kuznyechik and Magma, with and without OMAC) opened with the recipients' keys: VKO
//! (`gost`), KEG, KImp15 and the content cipher, each checked by reaching the known plaintext
//! (the first 47 bytes of `plain/text_decrypted.plain`) and, for the `-omac` modes, the tag.
//!
//! Just enough DER is walked with the `der` crate to find the fields.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;
use common::{hex, tc26_cms_dir};

use std::path::Path;

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode, Reader, SliceReader};
use gost::{SigningKey, VerifyingKey, VkoDigest};
use keycarrier_gost_cipher::{
    BlockCipher, ContentCipher, ExportKeys, KegKeySize, SecretKey, decrypt, keg, kimp15,
};

/// The identifier octet of an element (0x30 SEQUENCE, 0xa0 [0] constructed, …).
fn tag(a: &Any) -> u8 {
    a.to_der().unwrap()[0]
}

fn children(a: &Any) -> Vec<Any> {
    let mut r = SliceReader::new(a.value()).unwrap();
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(Any::decode(&mut r).unwrap());
    }
    out
}

fn oid(a: &Any) -> String {
    assert_eq!(tag(a), 0x06);
    ObjectIdentifier::from_bytes(a.value()).unwrap().to_string()
}

/// The DER of the PEM block in `path` (some files end with an empty line, which
/// `pem-rfc7468` does not take).
fn pem_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("-----BEGIN").expect("a PEM block");
    let end_line = text.find("-----END").expect("the end of the PEM block");
    let end = end_line + 8 + text[end_line + 8..].find("-----").expect("END line") + 5;
    pem_rfc7468::decode_vec(&text.as_bytes()[start..end])
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .1
}

/// The enveloped text: the first 47 bytes of `plain/text_decrypted.plain` (CP1251, "… for
/// the structure EnvelopedData.").
fn expected_plain(dir: &Path) -> Vec<u8> {
    let mut p = std::fs::read(dir.join("plain/text_decrypted.plain")).unwrap();
    p.truncate(47);
    assert!(p.ends_with(b" EnvelopedData."));
    p
}

/// The EncryptedData examples carry the same sentence naming their own structure.
fn expected_encrypted_data_plain(dir: &Path) -> Vec<u8> {
    let mut p = expected_plain(dir);
    p.truncate(47 - b"EnvelopedData.".len());
    p.extend_from_slice(b"EncryptedData.");
    p
}

/// `(mode, ukm, ciphertext)` of an EncryptedContentInfo.
fn content_info(eci: &Any) -> (ContentCipher, Vec<u8>, Vec<u8>) {
    let f = children(eci);
    let alg = children(&f[1]);
    let mode = ContentCipher::from_oid(&oid(&alg[0])).expect("a GOST R 34.12-2015 content cipher");
    let params = children(&alg[1]);
    assert_eq!(tag(&params[0]), 0x04);
    assert_eq!(tag(&f[2]), 0x80, "[0] IMPLICIT encryptedContent");
    (mode, params[0].value().to_vec(), f[2].value().to_vec())
}

/// The value of the tag attribute 1.2.643.7.1.0.6.1.1 in `[1] unprotectedAttrs`, if any.
fn content_tag(fields: &[Any]) -> Option<Vec<u8>> {
    let attrs = fields.iter().find(|a| tag(a) == 0xa1)?;
    children(attrs).iter().find_map(|attr| {
        let a = children(attr);
        (oid(&a[0]) == "1.2.643.7.1.0.6.1.1").then(|| children(&a[1])[0].value().to_vec())
    })
}

fn open_encrypted_data(dir: &Path, file: &str) -> Vec<u8> {
    let ci = Any::from_der(&pem_der(&dir.join(file))).unwrap();
    let ci = children(&ci);
    assert_eq!(oid(&ci[0]), "1.2.840.113549.1.7.6", "EncryptedData");
    let ed = children(&children(&ci[1])[0]);
    let (mode, ukm, ct) = content_info(&ed[1]);
    // The file prints the key as a big-endian number: the key bytes are its reverse (checked
    // with `openssl cms -EncryptedData_decrypt -secretkey`, which decrypts A.4.2 to the text
    // with the reversed hex and to noise with the hex as written).
    let key_hex = std::fs::read_to_string(dir.join("encryption_key.hex")).unwrap();
    let mut key = hex(key_hex.trim());
    key.reverse();
    let cek = SecretKey::from_slice(&key).unwrap();
    let tag = content_tag(&ed);
    assert_eq!(
        tag.is_some(),
        mode.is_authenticated(),
        "{file}: tag presence"
    );
    decrypt(mode, &cek, &ukm, &ct, tag.as_deref())
        .unwrap()
        .to_vec()
}

#[test]
fn a411_magma_omac_and_a421_kuznyechik_encrypted_data() {
    let Some(dir) = tc26_cms_dir() else { return };
    let plain = expected_encrypted_data_plain(&dir);
    assert_eq!(open_encrypted_data(&dir, "encrypted_magma_a411.pem"), plain);
    assert_eq!(
        open_encrypted_data(&dir, "encrypted_kuznyechik_a421.pem"),
        plain
    );
}

fn kexp15_cipher(oid: &str) -> BlockCipher {
    match oid {
        "1.2.643.7.1.1.7.1.1" => BlockCipher::Magma,
        "1.2.643.7.1.1.7.2.1" => BlockCipher::Kuznyechik,
        other => panic!("not a KExp15 algorithm: {other}"),
    }
}

/// KEG with our VKO, then KImp15 with the IV `ukm[24..24 + n/2]`.
fn unwrap_cek(
    recipient: &SigningKey,
    peer: &VerifyingKey,
    ukm: &[u8],
    cipher: BlockCipher,
    wrapped: &[u8],
) -> SecretKey {
    let size = match recipient.verifying_key().key_size() {
        gost::KeySize::Bits256 => KegKeySize::Bits256,
        gost::KeySize::Bits512 => KegKeySize::Bits512,
    };
    let keys: ExportKeys = keg(size, ukm, |ukm_le, size| {
        let digest = match size {
            KegKeySize::Bits256 => VkoDigest::Streebog256,
            KegKeySize::Bits512 => VkoDigest::Streebog512,
        };
        recipient.vko(peer, ukm_le, digest)
    })
    .unwrap();
    let iv = &ukm[24..24 + cipher.iv_len()];
    kimp15(cipher, wrapped, &keys, iv).unwrap()
}

/// `SEQUENCE { body }` in DER.
fn sequence(body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut out = vec![0x30];
    match len {
        0..=127 => out.push(len as u8),
        128..=255 => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(body);
    out
}

/// The SubjectPublicKeyInfo of a certificate (tbsCertificate's seventh field).
fn cert_public_key(path: &Path) -> VerifyingKey {
    let cert = Any::from_der(&pem_der(path)).unwrap();
    let tbs = children(&children(&cert)[0]);
    VerifyingKey::from_spki_der(&tbs[6].to_der().unwrap()).unwrap()
}

fn open_enveloped_data(dir: &Path, file: &str, bits: u32) -> Vec<u8> {
    let recipient =
        SigningKey::from_pkcs8_der(&pem_der(&dir.join(format!("recipient{bits}_key.pem"))))
            .unwrap();
    let ci = Any::from_der(&pem_der(&dir.join(file))).unwrap();
    let ci = children(&ci);
    assert_eq!(oid(&ci[0]), "1.2.840.113549.1.7.3", "EnvelopedData");
    let ed = children(&children(&ci[1])[0]);
    let ris = ed.iter().find(|a| tag(a) == 0x31).expect("recipientInfos");
    let ri = &children(ris)[0];
    let f = children(ri);
    let cek = match tag(ri) {
        // KeyTransRecipientInfo: encryptedKey = GostR3410-KeyTransport
        // { psexp OCTET STRING, ephemeralPublicKey SubjectPublicKeyInfo, ukm OCTET STRING }.
        0x30 => {
            let cipher = kexp15_cipher(&oid(&children(&f[2])[0]));
            let transport = Any::from_der(f[3].value()).unwrap();
            let t = children(&transport);
            let eph = VerifyingKey::from_spki_der(&t[1].to_der().unwrap()).unwrap();
            unwrap_cek(&recipient, &eph, t[2].value(), cipher, t[0].value())
        }
        // KeyAgreeRecipientInfo: [0] originator, [1] ukm, keyEncryptionAlgorithm,
        // recipientEncryptedKeys. The originator is the sender's certificate (A.2.2:
        // static-static VKO) or an ephemeral OriginatorPublicKey (A.2.1).
        0xa1 => {
            assert_eq!(tag(&f[1]), 0xa0, "originator");
            let originator = &children(&f[1])[0];
            let sender = match tag(originator) {
                0x30 => cert_public_key(&dir.join(format!("sender{bits}_cert.pem"))),
                0xa1 => {
                    let mut body = Vec::new();
                    for part in children(originator) {
                        body.extend(part.to_der().unwrap());
                    }
                    VerifyingKey::from_spki_der(&sequence(&body)).unwrap()
                }
                other => panic!("{file}: originator with tag {other:#x}"),
            };
            let ukm = children(&f[2])[0].value().to_vec();
            let cipher = kexp15_cipher(&oid(&children(&f[3])[0]));
            let rek = children(&children(&f[4])[0]);
            unwrap_cek(&recipient, &sender, &ukm, cipher, rek[1].value())
        }
        other => panic!("{file}: recipient info with tag {other:#x}"),
    };
    let eci = ed
        .iter()
        .rev()
        .find(|a| tag(a) == 0x30)
        .expect("encryptedContentInfo");
    let (mode, ukm, ct) = content_info(eci);
    let tag = content_tag(&ed);
    assert_eq!(
        tag.is_some(),
        mode.is_authenticated(),
        "{file}: tag presence"
    );
    decrypt(mode, &cek, &ukm, &ct, tag.as_deref())
        .unwrap()
        .to_vec()
}

#[test]
fn a211_a221_key_agreement_enveloped_data() {
    let Some(dir) = tc26_cms_dir() else { return };
    let plain = expected_plain(&dir);
    assert_eq!(
        open_enveloped_data(&dir, "encrypted_keyagree_a211.pem", 512),
        plain
    );
    assert_eq!(
        open_enveloped_data(&dir, "encrypted_keyagree_a221.pem", 256),
        plain
    );
}

#[test]
fn a231_a241_key_transport_enveloped_data() {
    let Some(dir) = tc26_cms_dir() else { return };
    let plain = expected_plain(&dir);
    assert_eq!(
        open_enveloped_data(&dir, "encrypted_keytrans_a231.pem", 256),
        plain
    );
    assert_eq!(
        open_enveloped_data(&dir, "encrypted_keytrans_a241.pem", 512),
        plain
    );
}
