//! Our Streebog (`keycarrier_gost::Streebog256/512`) against the standard's vectors (RFC 6986 / GOST R
//! 34.11-2012 Appendix A), HMAC and PBKDF2 vectors (RFC 7836 §B / R 50.1.113-2016,
//! R 50.1.111-2016), and RustCrypto's `streebog` crate on pseudo-random inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use digest::{Digest, FixedOutputReset, Reset, Update};
use hmac::{Hmac, KeyInit, Mac};
use keycarrier_gost::{Streebog256, Streebog512};

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// xorshift64*: reproducible pseudo-random bytes and split points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n as u64 + 1)) as usize
    }
}

const M1: &[u8] = b"012345678901234567890123456789012345678901234567890123456789012";
const M2: &str = "d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb20c8e3eef0e5e2fb";

#[test]
fn rfc6986_vectors() {
    let m2 = hex(M2);
    let cases: [(&[u8], &str, &str); 3] = [
        (
            M1,
            "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500",
            "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48",
        ),
        (
            &m2,
            "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50",
            "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28",
        ),
        (
            b"",
            "3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb",
            "8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a",
        ),
    ];
    for (msg, h256, h512) in cases {
        assert_eq!(Streebog256::digest(msg).to_vec(), hex(h256));
        assert_eq!(Streebog512::digest(msg).to_vec(), hex(h512));
        // Byte by byte through the buffer gives the same.
        let mut d = Streebog512::new();
        for b in msg {
            Digest::update(&mut d, [*b]);
        }
        assert_eq!(d.finalize().to_vec(), hex(h512));
    }
    // Multi-block (1 KiB) vector from the gost-engine etalon set.
    let long = b"12345670".repeat(128);
    assert_eq!(
        keycarrier_gost::streebog256(&long).to_vec(),
        hex("1906512b86a1283c68cec8419e57113efc562a1d0e95d8f4809542900c416fe4")
    );
}

/// One message through ours (split at random points) and through the `streebog` crate.
fn cross_check(rng: &mut Rng, msg: &[u8]) {
    let mut ours256 = Streebog256::new();
    let mut ours512 = Streebog512::new();
    let mut rest = msg;
    while !rest.is_empty() {
        let cut = rng.below(rest.len().min(200));
        let (head, tail) = rest.split_at(cut);
        Digest::update(&mut ours256, head);
        Digest::update(&mut ours512, head);
        rest = tail;
    }
    assert_eq!(
        ours256.finalize().to_vec(),
        streebog::Streebog256::digest(msg).to_vec(),
        "Streebog-256, {} bytes",
        msg.len()
    );
    assert_eq!(
        ours512.finalize().to_vec(),
        streebog::Streebog512::digest(msg).to_vec(),
        "Streebog-512, {} bytes",
        msg.len()
    );
    assert_eq!(
        keycarrier_gost::streebog512(msg).to_vec(),
        streebog::Streebog512::digest(msg).to_vec()
    );
}

#[test]
fn matches_rustcrypto_for_every_length_up_to_300() {
    let mut rng = Rng(0x5eed_0001);
    for len in 0..=300 {
        let msg = rng.bytes(len);
        cross_check(&mut rng, &msg);
    }
}

#[test]
fn matches_rustcrypto_on_large_and_special_inputs() {
    let mut rng = Rng(0x5eed_0002);
    for len in [511, 512, 4095, 4096, 4097, 65_536, 65_599, (1 << 20) + 7] {
        let msg = rng.bytes(len);
        cross_check(&mut rng, &msg);
    }
    // Inputs that stress the 512-bit Σ carries: all 0xff and all zero blocks.
    for byte in [0x00u8, 0xff] {
        let msg = vec![byte; 64 * 9 + 13];
        cross_check(&mut rng, &msg);
    }
}

#[test]
fn reset_clone_and_finalize_reset() {
    let mut rng = Rng(0x5eed_0003);
    let a = rng.bytes(150);
    let b = rng.bytes(77);
    let mut d = Streebog512::new();
    Digest::update(&mut d, &a);
    let snapshot = d.clone();
    Digest::update(&mut d, &b);
    let ab = d.finalize_fixed_reset();
    assert_eq!(
        ab.to_vec(),
        streebog::Streebog512::digest([&a[..], &b[..]].concat()).to_vec()
    );
    // After finalize_reset the hasher starts over.
    Digest::update(&mut d, &b);
    assert_eq!(
        d.clone().finalize().to_vec(),
        streebog::Streebog512::digest(&b).to_vec()
    );
    Reset::reset(&mut d);
    assert_eq!(
        d.finalize().to_vec(),
        streebog::Streebog512::digest(b"").to_vec()
    );
    // The clone carried the state of `a` only.
    assert_eq!(
        snapshot.finalize().to_vec(),
        streebog::Streebog512::digest(&a).to_vec()
    );
    // Streebog-256 resets to its own IV, not to 512's.
    let mut d = Streebog256::new();
    Update::update(&mut d, &a);
    Reset::reset(&mut d);
    assert_eq!(
        d.finalize().to_vec(),
        streebog::Streebog256::digest(b"").to_vec()
    );
}

/// RFC 7836 §B / R 50.1.113-2016 §A.
#[test]
fn hmac_vectors() {
    let key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    let data = hex("0126bdb87800af214341456563780100");
    let mut mac = <Hmac<Streebog256> as KeyInit>::new_from_slice(&key).unwrap();
    Mac::update(&mut mac, &data);
    assert_eq!(
        mac.finalize().into_bytes().to_vec(),
        hex("a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9")
    );
    let mut mac = <Hmac<Streebog512> as KeyInit>::new_from_slice(&key).unwrap();
    Mac::update(&mut mac, &data);
    assert_eq!(
        mac.finalize().into_bytes().to_vec(),
        hex(
            "a59bab22ecae19c65fbde6e5f4e9f5d8549d31f037f9df9b905500e171923a773d5f1530f2ed7e964cb2eedc29e9ad2f3afe93b2814f79f5000ffc0366c251e6"
        )
    );
}

#[test]
fn hmac_matches_rustcrypto_for_long_keys() {
    let mut rng = Rng(0x5eed_0004);
    for key_len in [0, 1, 63, 64, 65, 200] {
        let key = rng.bytes(key_len);
        let data = rng.bytes(300);
        let mut ours = <Hmac<Streebog512> as KeyInit>::new_from_slice(&key).unwrap();
        Mac::update(&mut ours, &data);
        let mut theirs = <Hmac<streebog::Streebog512> as KeyInit>::new_from_slice(&key).unwrap();
        Mac::update(&mut theirs, &data);
        assert_eq!(
            ours.finalize().into_bytes().to_vec(),
            theirs.finalize().into_bytes().to_vec(),
            "key of {key_len} bytes"
        );
    }
}

/// R 50.1.111-2016 (RFC 9337) PBKDF2-HMAC-Streebog-512 vectors, c = 1 and 2; c = 4096 and a
/// 100-byte output against the `streebog` crate.
#[test]
fn pbkdf2_vectors() {
    let mut dk = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Streebog512>(b"password", b"salt", 1, &mut dk);
    assert_eq!(
        dk.to_vec(),
        hex(
            "64770af7f748c3b1c9ac831dbcfd85c26111b30a8a657ddc3056b80ca73e040d2854fd36811f6d825cc4ab66ec0a68a490a9e5cf5156b3a2b7eecddbf9a16b47"
        )
    );
    pbkdf2::pbkdf2_hmac::<Streebog512>(b"password", b"salt", 2, &mut dk);
    assert_eq!(
        dk.to_vec(),
        hex(
            "5a585bafdfbb6e8830d6d68aa3b43ac00d2e4aebce01c9b31c2caed56f0236d4d34b2b8fbd2c4e89d54d46f50e47d45bbac301571743119e8d3c42ba66d348de"
        )
    );
    let mut ours = [0u8; 100];
    let mut theirs = [0u8; 100];
    pbkdf2::pbkdf2_hmac::<Streebog512>(
        b"passwordPASSWORDpassword",
        b"saltSALTsalt",
        4096,
        &mut ours,
    );
    pbkdf2::pbkdf2_hmac::<streebog::Streebog512>(
        b"passwordPASSWORDpassword",
        b"saltSALTsalt",
        4096,
        &mut theirs,
    );
    assert_eq!(ours, theirs);
    let mut ours = [0u8; 96];
    let mut theirs = [0u8; 96];
    pbkdf2::pbkdf2_hmac::<Streebog256>(b"pass", b"salt", 2048, &mut ours);
    pbkdf2::pbkdf2_hmac::<streebog::Streebog256>(b"pass", b"salt", 2048, &mut theirs);
    assert_eq!(ours, theirs);
}
