//! Known-answer tests: GOST R 34.10-2012 Appendix A (RFC 7091 §7), Streebog (RFC 6986),
//! RFC 9215 Appendix A public keys, and bad-input handling.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is how a test fails"
)]

use keycarrier_gost::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use keycarrier_gost::signature::{Signer, Verifier};
use keycarrier_gost::{ParamSet, Signature, SigningKey, VerifyingKey};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rev(mut v: Vec<u8>) -> Vec<u8> {
    v.reverse();
    v
}

/// A generator that counts: reproducible "randomness" for the randomized signers.
struct CountingRng(u8);
impl rand_core::TryRng for CountingRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.0 = self.0.wrapping_add(1);
        Ok(u32::from(self.0))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(1);
        Ok(u64::from(self.0))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for CountingRng {}

struct Example {
    set: ParamSet,
    d: &'static str,
    qx: &'static str,
    qy: &'static str,
    e: &'static str,
    k: &'static str,
    r: &'static str,
    s: &'static str,
}

const EX1: Example = Example {
    set: ParamSet::Test256,
    d: "7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28",
    qx: "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
    qy: "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
    e: "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
    k: "77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3",
    r: "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
    s: "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
};

const EX2: Example = Example {
    set: ParamSet::Test512,
    d: "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B102072E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
    qx: "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
    qy: "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
    e: "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C5917184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
    k: "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F365886748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
    r: "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD35492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
    s: "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
};

fn check_example(ex: &Example) {
    let key = SigningKey::from_be_bytes(ex.set, &hex(ex.d)).unwrap();
    let (x, y) = key.verifying_key().to_affine_be();
    assert_eq!(x, hex(ex.qx), "Qx");
    assert_eq!(y, hex(ex.qy), "Qy");
    // The hash bytes are the reverse of e.
    let digest = rev(hex(ex.e));
    let sig = keycarrier_gost::hazmat::sign_prehash_with_nonce(&key, &digest, &hex(ex.k)).unwrap();
    assert_eq!(sig.r(), hex(ex.r).as_slice(), "r");
    assert_eq!(sig.s(), hex(ex.s).as_slice(), "s");
    let mut wire = hex(ex.s);
    wire.extend(hex(ex.r));
    assert_eq!(sig.as_bytes(), wire.as_slice());
    key.verifying_key().verify_prehash(&digest, &sig).unwrap();
    let public = VerifyingKey::from_affine_be(ex.set, &hex(ex.qx), &hex(ex.qy)).unwrap();
    public.verify_prehash(&digest, &sig).unwrap();
}

#[test]
fn gost_2012_example_1_256() {
    check_example(&EX1);
}

#[test]
fn gost_2012_example_2_512() {
    check_example(&EX2);
}

#[test]
fn streebog_vectors() {
    let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
    let m2 = hex(
        "d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb20c8e3eef0e5e2fb",
    );
    assert_eq!(
        keycarrier_gost::streebog256(m1).to_vec(),
        hex("9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500")
    );
    assert_eq!(
        keycarrier_gost::streebog512(m1).to_vec(),
        hex(
            "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
        )
    );
    assert_eq!(
        keycarrier_gost::streebog256(&m2).to_vec(),
        hex("9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50")
    );
    assert_eq!(
        keycarrier_gost::streebog512(&m2).to_vec(),
        hex(
            "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"
        )
    );
    assert_eq!(
        keycarrier_gost::streebog256(b"").to_vec(),
        hex("3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb")
    );
    assert_eq!(
        keycarrier_gost::streebog512(b"").to_vec(),
        hex(
            "8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a"
        )
    );
    let long = b"12345670".repeat(128);
    assert_eq!(
        keycarrier_gost::streebog256(&long).to_vec(),
        hex("1906512b86a1283c68cec8419e57113efc562a1d0e95d8f4809542900c416fe4")
    );
}

/// RFC 9215 Appendix A: the TC26-256-A key for d of example 1, and the inner SPKI bytes.
#[test]
fn rfc9215_public_keys() {
    // d exceeds this curve's q; the RFC's key is d mod q.
    let d = hex(EX1.d);
    assert!(SigningKey::from_be_bytes(ParamSet::Tc26_256A, &d).is_err());
    let d_mod_q = hex("3A929ADE789BB9BE10ED359DD39A72C10B87C83F80BE18B85C041F4325B62EC1");
    let key = SigningKey::from_be_bytes(ParamSet::Tc26_256A, &d_mod_q).unwrap();
    let (x, y) = key.verifying_key().to_affine_be();
    assert_eq!(
        x,
        hex("99C3DF265EA59350640BA69D1DE04418AF3FEA03EC0F85F2DD84E8BED4952774")
    );
    assert_eq!(
        y,
        hex("E218631A69C47C122E2D516DA1C09E6BD19344D94389D1F16C0C4D4DCF96F578")
    );
    let key = SigningKey::from_be_bytes(ParamSet::Test256, &hex(EX1.d)).unwrap();
    assert_eq!(
        key.verifying_key().as_raw_le(),
        hex("0bd86fe5d8db89668f789b4e1dba8585c5508b45ec5b59d8906ddb70e2492b7fda77ff871a10fbdf2766d293c5d164afbb3c7b973a41c885d11d70d689b4f126").as_slice()
    );
    // SPKI as in the RFC 9215 TestParamSet certificate (with digestParamSet).
    let spki = key.verifying_key().to_spki_der().unwrap();
    let expected = hex(
        "3066301f06082a85030701010101301306072a85030202230006082a85030701010202034300044 00bd86fe5d8db89668f789b4e1dba8585c5508b45ec5b59d8906ddb70e2492b7fda77ff871a10fbdf2766d293c5d164afbb3c7b973a41c885d11d70d689b4f126",
    );
    assert_eq!(spki, expected);
}

#[test]
fn round_trip_every_param_set() {
    for set in ParamSet::ALL {
        let key = SigningKey::generate(set).unwrap();
        let msg = format!("message for {set}");
        let sig = key.try_sign(msg.as_bytes()).unwrap();
        assert_eq!(sig.as_bytes().len(), 2 * set.key_size().coordinate_len());
        key.verifying_key().verify(msg.as_bytes(), &sig).unwrap();
        assert!(key.verifying_key().verify(b"other", &sig).is_err());

        // The nonce is deterministic in (key, digest, extra randomness): the same generator
        // output gives the same signature, fresh OS randomness another one.
        let dg = keycarrier_gost::digest(key.verifying_key().hash_algorithm(), msg.as_bytes());
        let a = key.sign_prehash_with_rng(&mut CountingRng(7), &dg).unwrap();
        let b = key.sign_prehash_with_rng(&mut CountingRng(7), &dg).unwrap();
        assert_eq!(a, b);
        let c = key.sign_prehash(&dg).unwrap();
        assert_ne!(a, c);
        key.verifying_key().verify_prehash(&dg, &a).unwrap();

        // SPKI and PKCS#8 round trips keep the OID.
        let spki = key.verifying_key().to_spki_der().unwrap();
        let public = VerifyingKey::from_spki_der(&spki).unwrap();
        assert_eq!(public.param_set(), set);
        assert_eq!(public.to_spki_der().unwrap(), spki);
        let p8 = key.to_pkcs8_der().unwrap();
        let back = SigningKey::from_pkcs8_der(p8.as_bytes()).unwrap();
        assert_eq!(back.param_set(), set);
        assert_eq!(*back.to_le_bytes(), *key.to_le_bytes());
        assert_eq!(back.to_pkcs8_der().unwrap().as_bytes(), p8.as_bytes());

        // Wrong key.
        let other = SigningKey::generate(set).unwrap();
        assert!(other.verifying_key().verify(msg.as_bytes(), &sig).is_err());
        // Flipped bits anywhere in the signature.
        for i in [0, sig.as_bytes().len() / 2, sig.as_bytes().len() - 1] {
            let mut bytes = sig.to_vec();
            bytes[i] ^= 0x01;
            let bad = Signature::from_bytes(&bytes).unwrap();
            assert!(key.verifying_key().verify(msg.as_bytes(), &bad).is_err());
        }
    }
}

#[test]
fn rustcrypto_traits() {
    use keycarrier_gost::signature::{
        Keypair, MultipartSigner, MultipartVerifier, RandomizedSigner,
    };
    use spki::DynSignatureAlgorithmIdentifier;

    for set in [ParamSet::Tc26_256A, ParamSet::Tc26_512B] {
        let key = SigningKey::generate(set).unwrap();
        let vk: VerifyingKey = Keypair::verifying_key(&key);
        let sig: Signature = Signer::sign(&key, b"msg");
        Verifier::verify(&vk, b"msg", &sig).unwrap();
        assert!(Verifier::verify(&vk, b"msh", &sig).is_err());
        let sig = key.try_sign_with_rng(&mut CountingRng(0), b"msg").unwrap();
        vk.verify(b"msg", &sig).unwrap();
        // Multipart: the parts are hashed as one message.
        let sig = key
            .try_multipart_sign(&[b"m".as_slice(), b"", b"sg"])
            .unwrap();
        vk.verify(b"msg", &sig).unwrap();
        vk.multipart_verify(&[b"ms".as_slice(), b"g"], &sig)
            .unwrap();
        assert!(
            vk.multipart_verify(&[b"ms".as_slice(), b"h"], &sig)
                .is_err()
        );
        let digest = keycarrier_gost::digest(vk.hash_algorithm(), b"msg");
        let sig: Signature = PrehashSigner::sign_prehash(&key, &digest).unwrap();
        PrehashVerifier::verify_prehash(&vk, &digest, &sig).unwrap();
        let alg = key.signature_algorithm_identifier().unwrap();
        let expected = match set.key_size() {
            keycarrier_gost::KeySize::Bits256 => {
                keycarrier_gost::oid::TC26_SIGNWITHDIGEST_GOST_3410_12_256
            }
            keycarrier_gost::KeySize::Bits512 => {
                keycarrier_gost::oid::TC26_SIGNWITHDIGEST_GOST_3410_12_512
            }
        };
        assert_eq!(alg.oid, expected);
        assert!(alg.parameters.is_none());
    }
}
