//! The CMS content ciphers: round trips in pieces, the tag's position in the keystream, and
//! what a changed byte, a missing tag or a tag where none belongs does. The standard's own
//! messages (TC26 CMS examples) are decrypted in `tc26_cms.rs`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;
use common::pattern;

use keycarrier_gost_cipher::{
    BlockCipher, ContentCipher, ContentDecryptor, ContentEncryptor, CtrAcpkm, Error, SecretKey,
    decrypt, kdf_tree_256,
};

fn encrypt_in_pieces(
    mode: ContentCipher,
    cek: &SecretKey,
    ukm: &[u8],
    plain: &[u8],
    piece: usize,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut enc = ContentEncryptor::new(mode, cek, ukm).unwrap();
    let mut data = plain.to_vec();
    for chunk in data.chunks_mut(piece) {
        enc.encrypt(chunk);
    }
    (data, enc.finish())
}

#[test]
fn round_trips_across_sections_in_any_pieces() {
    let cek = SecretKey::from_array([0x5a; 32]);
    for mode in ContentCipher::ALL {
        let ukm = pattern(mode.ukm_len(), 9);
        // Two and a bit sections of the CMS section length.
        let plain = pattern(2 * mode.section_len() + 100, 1);
        let (whole, tag) = encrypt_in_pieces(mode, &cek, &ukm, &plain, plain.len());
        assert_eq!(tag.as_ref().map(Vec::len), mode.tag_len(), "{mode:?}");
        for piece in [1000usize, 4093] {
            let (pieces, tag2) = encrypt_in_pieces(mode, &cek, &ukm, &plain, piece);
            assert!(pieces == whole && tag2 == tag, "{mode:?} pieces of {piece}");
        }
        let back = decrypt(mode, &cek, &ukm, &whole, tag.as_deref()).unwrap();
        assert!(back.as_slice() == plain.as_slice(), "{mode:?}");
        // Streaming decryption in pieces, then the tag.
        let mut dec = ContentDecryptor::new(mode, &cek, &ukm).unwrap();
        let mut data = whole.clone();
        for chunk in data.chunks_mut(777) {
            dec.decrypt_unauthenticated(chunk);
        }
        dec.finish(tag.as_deref()).unwrap();
        assert!(data == plain);
    }
}

/// The `-omac` layout: K_enc ‖ K_mac from KDF_TREE(CEK, "kdf tree", seed), CTR-ACPKM under
/// K_enc, OMAC over the plaintext, the tag encrypted by the keystream right after the content.
#[test]
fn omac_mode_layout() {
    let cek = SecretKey::from_array([0x33; 32]);
    let mode = ContentCipher::KuznyechikCtrAcpkmOmac;
    let ukm = pattern(16, 2);
    let plain = pattern(100, 4);
    let (ct, tag) = encrypt_in_pieces(mode, &cek, &ukm, &plain, 100);
    let keys = kdf_tree_256(cek.as_bytes(), b"kdf tree", &ukm[8..], 1, 64).unwrap();
    let k_enc = SecretKey::from_slice(&keys[..32]).unwrap();
    let k_mac = SecretKey::from_slice(&keys[32..]).unwrap();
    let mut mac = keycarrier_gost_cipher::Omac::new(BlockCipher::Kuznyechik, &k_mac);
    mac.update(&plain);
    let mut expected = plain.clone();
    expected.extend(mac.finalize());
    CtrAcpkm::new(
        BlockCipher::Kuznyechik,
        &k_enc,
        &ukm[..8],
        mode.section_len(),
    )
    .unwrap()
    .apply_keystream(&mut expected);
    assert_eq!(&expected[..100], ct.as_slice());
    assert_eq!(&expected[100..], tag.unwrap().as_slice());
}

#[test]
fn altered_content_or_tag_is_rejected() {
    let cek = SecretKey::from_array([0x77; 32]);
    for mode in [
        ContentCipher::MagmaCtrAcpkmOmac,
        ContentCipher::KuznyechikCtrAcpkmOmac,
    ] {
        let ukm = pattern(mode.ukm_len(), 5);
        let plain = pattern(300, 6);
        let (ct, tag) = encrypt_in_pieces(mode, &cek, &ukm, &plain, 64);
        let tag = tag.unwrap();
        for i in [0, 150, 299] {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            let err = decrypt(mode, &cek, &ukm, &bad, Some(&tag)).unwrap_err();
            assert!(
                matches!(err, Error::Integrity { .. }),
                "{mode:?} {i}: {err}"
            );
        }
        let mut bad_tag = tag.clone();
        bad_tag[0] ^= 1;
        assert!(matches!(
            decrypt(mode, &cek, &ukm, &ct, Some(&bad_tag)),
            Err(Error::Integrity { .. })
        ));
        assert!(matches!(
            decrypt(mode, &cek, &ukm, &ct, None),
            Err(Error::Tag(_))
        ));
        assert!(matches!(
            decrypt(mode, &cek, &ukm, &ct, Some(&tag[1..])),
            Err(Error::Length { .. })
        ));
        let other = SecretKey::from_array([0x78; 32]);
        assert!(matches!(
            decrypt(mode, &other, &ukm, &ct, Some(&tag)),
            Err(Error::Integrity { .. })
        ));
    }
    let mode = ContentCipher::MagmaCtrAcpkm;
    let ukm = pattern(mode.ukm_len(), 5);
    assert!(matches!(
        decrypt(mode, &cek, &ukm, b"abc", Some(&[0; 8])),
        Err(Error::Tag(_))
    ));
    assert!(matches!(
        decrypt(mode, &cek, &ukm[..11], b"abc", None),
        Err(Error::Length { .. })
    ));
}

#[test]
fn oids_name_the_modes() {
    for mode in ContentCipher::ALL {
        assert_eq!(ContentCipher::from_oid(mode.oid()), Some(mode));
    }
    assert_eq!(ContentCipher::from_oid("1.2.643.2.2.21"), None);
    assert_eq!(ContentCipher::MagmaCtrAcpkmOmac.ukm_len(), 12);
    assert_eq!(ContentCipher::KuznyechikCtrAcpkm.ukm_len(), 16);
}
