//! KDF_GOSTR3411_2012_256 and KDF_TREE_GOSTR3411_2012_256 against RFC 7836's examples
//! (§4.4 / §4.5 examples, = R 50.1.113-2016 A.4, A.5; gost-engine's `test_tls12additional.c`
//! transcribes the KDF_TREE one).
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;
use common::hex;

use keycarrier_gost_cipher::{Error, kdf_256, kdf_tree_256};

const K_IN: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const LABEL: &str = "26bdb878";
const SEED: &str = "af21434145656378";

#[test]
fn rfc7836_kdf_256() {
    let key = kdf_256(&hex(K_IN), &hex(LABEL), &hex(SEED));
    assert_eq!(
        key.as_bytes().as_slice(),
        hex("a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9")
    );
}

#[test]
fn rfc7836_kdf_tree_256_r1_l512() {
    let out = kdf_tree_256(&hex(K_IN), &hex(LABEL), &hex(SEED), 1, 64).unwrap();
    assert_eq!(
        out.as_slice(),
        hex(
            "22b6837845c6bef65ea71672b265831086d3c76aebe6dae91cad51d83f79d16b
             074c9330599d7f8d712fca54392f4ddde93751206b3584c8f43f9e6dc51531f9"
        )
    );
}

#[test]
fn kdf_256_is_the_first_block_of_kdf_tree_with_l_256() {
    let tree = kdf_tree_256(&hex(K_IN), b"kdf tree", &hex(SEED), 1, 32).unwrap();
    let one = kdf_256(&hex(K_IN), b"kdf tree", &hex(SEED));
    assert_eq!(tree.as_slice(), one.as_bytes().as_slice());
    // A different L changes every block (L is hashed in).
    let longer = kdf_tree_256(&hex(K_IN), b"kdf tree", &hex(SEED), 1, 64).unwrap();
    assert_ne!(longer.get(..32), Some(tree.as_slice()));
}

#[test]
fn parameters_out_of_range_are_errors() {
    for (r, len) in [(0, 32), (5, 32), (1, 0), (1, 32 * 256)] {
        let err = kdf_tree_256(&hex(K_IN), b"x", b"y", r, len).unwrap_err();
        assert!(matches!(err, Error::Parameter { .. }), "{r} {len}: {err}");
    }
    // A wider counter allows longer output.
    assert_eq!(
        kdf_tree_256(&hex(K_IN), b"x", b"y", 2, 32 * 256)
            .unwrap()
            .len(),
        32 * 256
    );
}
