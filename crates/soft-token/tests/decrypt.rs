//! Opening envelopes on the soft token (flow U17): RSA key transport decrypted with
//! `Carrier::decrypt_key`, the ciphertexts made by an independent peer (`openssl pkeyutl
//! -encrypt` with the container's public key); GOST VKO with `Carrier::agree_key` checked
//! against `openssl pkeyutl -derive` with the gost engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::process::Command;

use keycarrier_soft_token::{SoftToken, TokenSettings};
use token_core::{
    AdminPin, Carrier, ContainerId, Error, ErrorCode, FinalTry, KeyDecryption, KeyImport, OaepHash,
    Pin, PinPolicy, RsaKeyTransport, SecretBytes,
};

const ADMIN: &str = "Adm1nQw8";
const USER: &str = "Rx7mQ2wz";

fn token(dir: &Path) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new("Decrypt")
    };
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new(ADMIN)).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(USER), None).unwrap();
    t.reset_pin(&AdminPin::new(ADMIN), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new(USER), FinalTry::Refuse).unwrap();
    t
}

/// Runs openssl (with the gost engine where asked) in `dir`; a missing tool fails loudly.
fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An RSA-2048 key made by OpenSSL, imported into the token; returns its container.
fn import_rsa(t: &mut SoftToken, work: &Path) -> ContainerId {
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
        work,
    );
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa.der",
        ],
        work,
    );
    openssl(
        &["pkey", "-in", "rsa.pem", "-pubout", "-out", "pub.pem"],
        work,
    );
    let pkcs8 = std::fs::read(work.join("rsa.der")).unwrap();
    t.import(KeyImport {
        label: "rsa".into(),
        id: None,
        private_key_pkcs8: SecretBytes::new(&pkcs8),
        certificates: vec![],
    })
    .unwrap()
    .id
}

/// `secret` encrypted by openssl to `pub.pem` with the given `-pkeyopt`s.
fn openssl_encrypt(work: &Path, secret: &[u8], opts: &[&str]) -> Vec<u8> {
    std::fs::write(work.join("plain"), secret).unwrap();
    let mut args = vec![
        "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "plain", "-out", "ct",
    ];
    for o in opts {
        args.extend(["-pkeyopt", o]);
    }
    openssl(&args, work);
    std::fs::read(work.join("ct")).unwrap()
}

fn decrypt(
    t: &SoftToken,
    id: &ContainerId,
    ct: &[u8],
    padding: RsaKeyTransport,
) -> token_core::Result<SecretBytes> {
    t.decrypt_key(&KeyDecryption {
        container: id,
        encrypted_key: ct,
        padding,
    })
}

#[test]
fn rsa_key_transport_from_openssl_opens_on_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let id = import_rsa(&mut t, work.path());
    let cases: [(RsaKeyTransport, &[&str]); 5] = [
        (RsaKeyTransport::Pkcs1v15, &["rsa_padding_mode:pkcs1"]),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha1),
            &["rsa_padding_mode:oaep"],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha256),
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha256",
            ],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha384),
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha384",
                "rsa_mgf1_md:sha384",
            ],
        ),
        (
            RsaKeyTransport::Oaep(OaepHash::Sha512),
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha512",
                "rsa_mgf1_md:sha512",
            ],
        ),
    ];
    for (padding, opts) in cases {
        let cek = openssl(&["rand", "32"], work.path());
        let ct = openssl_encrypt(work.path(), &cek, opts);
        let got = decrypt(&t, &id, &ct, padding).unwrap();
        assert_eq!(got.expose(), cek, "{padding:?}");
    }
}

#[test]
fn failures_say_the_same_thing_and_need_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    let id = import_rsa(&mut t, work.path());
    let cek = [0x5a; 32];
    let oaep = openssl_encrypt(work.path(), &cek, &["rsa_padding_mode:oaep"]);
    let pkcs1 = openssl_encrypt(work.path(), &cek, &["rsa_padding_mode:pkcs1"]);

    // OAEP: a damaged ciphertext, the wrong hash, the wrong length: one error, one text.
    let mut damaged = oaep.clone();
    damaged[100] ^= 1;
    let errors = [
        decrypt(&t, &id, &damaged, RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err(),
        decrypt(&t, &id, &oaep, RsaKeyTransport::Oaep(OaepHash::Sha256)).unwrap_err(),
        decrypt(&t, &id, &oaep[1..], RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err(),
        decrypt(&t, &id, &pkcs1[1..], RsaKeyTransport::Pkcs1v15).unwrap_err(),
        // OAEP ciphertext read as PKCS#1 v1.5 does not fail (implicit rejection) — see below;
        // a PKCS#1 v1.5 ciphertext read as OAEP does.
        decrypt(&t, &id, &pkcs1, RsaKeyTransport::Oaep(OaepHash::Sha1)).unwrap_err(),
    ];
    let first = errors[0].to_string();
    for e in &errors {
        assert!(matches!(e, Error::VerificationFailed { .. }), "{e:?}");
        assert_eq!(e.to_string(), first);
    }

    // PKCS#1 v1.5: a bad padding is not reported at all (no oracle); the token returns a
    // pseudo-random message instead, the same one each time, and not the key.
    let mut damaged = pkcs1.clone();
    damaged[100] ^= 1;
    let a = decrypt(&t, &id, &damaged, RsaKeyTransport::Pkcs1v15).unwrap();
    let b = decrypt(&t, &id, &damaged, RsaKeyTransport::Pkcs1v15).unwrap();
    assert_eq!(a.expose(), b.expose());
    assert_ne!(a.expose(), cek);
    let c = decrypt(&t, &id, &oaep, RsaKeyTransport::Pkcs1v15).unwrap();
    assert_ne!(c.expose(), cek);

    // Without a login: the signing error.
    t.logout().unwrap();
    let e = decrypt(&t, &id, &pkcs1, RsaKeyTransport::Pkcs1v15).unwrap_err();
    assert_eq!(e.code(), "KC-LOGIN-REQUIRED", "{e:?}");
}

/// A GOST key pair made by OpenSSL's gost engine: (PKCS#8 DER, public key PEM file name).
fn openssl_gost_key(work: &Path, alg: &str, set: &str, name: &str) -> Vec<u8> {
    let pem = format!("{name}.pem");
    let der = format!("{name}.der");
    let public = format!("{name}.pub.pem");
    let paramset = format!("paramset:{set}");
    openssl(
        &[
            "genpkey",
            "-engine",
            "gost",
            "-algorithm",
            alg,
            "-pkeyopt",
            &paramset,
            "-out",
            &pem,
        ],
        work,
    );
    openssl(
        &[
            "pkcs8", "-engine", "gost", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER",
            "-out", &der,
        ],
        work,
    );
    openssl(
        &[
            "pkey", "-engine", "gost", "-in", &pem, "-pubout", "-out", &public,
        ],
        work,
    );
    std::fs::read(work.join(der)).unwrap()
}

fn public_key_of(work: &Path, name: &str) -> token_core::PublicKey {
    let pem = std::fs::read_to_string(work.join(format!("{name}.pub.pem"))).unwrap();
    let (_, der) = token_core::der::pem::decode_vec(pem.as_bytes()).unwrap();
    token_core::PublicKey::from_spki_der(&der).unwrap()
}

/// The token's VKO with the imported key equals the engine's `pkeyutl -derive` with the same
/// private key, peer key and UKM: the engine reads `ukmhex` as the little-endian bytes of the
/// UKM integer (BN_lebin2bn in gost_ec_keyx.c), our API takes the same bytes.
#[test]
fn gost_vko_matches_the_openssl_gost_engine() {
    use token_core::{KeyAgreement, VkoHash};
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut t = token(dir.path());
    // (algorithm, engine paramset, our hash, engine's vko option)
    let cases = [
        ("gost2012_256", "B", VkoHash::Streebog256, "256"),
        ("gost2012_256", "B", VkoHash::Streebog512, "512"),
        ("gost2012_512", "A", VkoHash::Streebog256, "256"),
        ("gost2012_512", "B", VkoHash::Streebog512, "512"),
        ("gost2012_256", "A", VkoHash::Streebog256, "256"),
        ("gost2012_512", "C", VkoHash::Streebog512, "512"),
    ];
    for (i, (alg, set, hash, vko)) in cases.iter().enumerate() {
        let ours = format!("ours{i}");
        let peer = format!("peer{i}");
        let pkcs8 = openssl_gost_key(work.path(), alg, set, &ours);
        openssl_gost_key(work.path(), alg, set, &peer);
        let id = t
            .import(KeyImport {
                label: ours.clone(),
                id: None,
                private_key_pkcs8: SecretBytes::new(&pkcs8),
                certificates: vec![],
            })
            .unwrap()
            .id;
        // A UKM with a high byte set, so a byte-order mistake cannot go unnoticed.
        let ukm = openssl(&["rand", "8"], work.path());
        let ukm_hex: String = ukm.iter().map(|b| format!("{b:02x}")).collect();
        let expected = openssl(
            &[
                "pkeyutl",
                "-engine",
                "gost",
                "-derive",
                "-inkey",
                &format!("{ours}.pem"),
                "-peerkey",
                &format!("{peer}.pub.pem"),
                "-pkeyopt",
                &format!("ukmhex:{ukm_hex}"),
                "-pkeyopt",
                &format!("vko:{vko}"),
            ],
            work.path(),
        );
        let peer_key = public_key_of(work.path(), &peer);
        let got = t
            .agree_key(&KeyAgreement {
                container: &id,
                peer: &peer_key,
                ukm: &ukm,
                hash: *hash,
            })
            .unwrap();
        assert_eq!(got.len(), hash.output_len());
        assert_eq!(got.expose(), expected, "{alg} {set} {hash:?} ukm {ukm_hex}");
        // The UKM's bytes reversed give another key: the order matters and is the engine's.
        let mut reversed = ukm.clone();
        reversed.reverse();
        let other = t
            .agree_key(&KeyAgreement {
                container: &id,
                peer: &peer_key,
                ukm: &reversed,
                hash: *hash,
            })
            .unwrap();
        assert_ne!(other.expose(), expected);
    }
    // A peer on another curve, an RSA container, no login: typed errors.
    let id0 = ContainerId::derived_from(&public_key_of(work.path(), "ours0"));
    let on_512 = public_key_of(work.path(), "peer2");
    let agree = |t: &SoftToken, id: &ContainerId, peer: &token_core::PublicKey| {
        t.agree_key(&KeyAgreement {
            container: id,
            peer,
            ukm: &[1, 2, 3],
            hash: VkoHash::Streebog256,
        })
    };
    assert_eq!(agree(&t, &id0, &on_512).unwrap_err().code(), "KC-MALFORMED");
    let rsa = import_rsa(&mut t, work.path());
    let peer0 = public_key_of(work.path(), "peer0");
    assert_eq!(
        agree(&t, &rsa, &peer0).unwrap_err().code(),
        "KC-UNSUPPORTED"
    );
    t.logout().unwrap();
    assert_eq!(
        agree(&t, &id0, &peer0).unwrap_err().code(),
        "KC-LOGIN-REQUIRED"
    );
}
