//! "Login required" is one typed error on every backend: the same verbs, run without a user
//! login on a SoftHSM2 token (through this crate) and on keycarrier's soft token (directly),
//! give the same [`token_core::Error::LoginRequired`] (`KC-LOGIN-REQUIRED`), and nothing on the
//! carrier changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;

use token_core::{
    CancelToken, Carrier, ContainerId, ContainerInfo, Error, ErrorCode, FinalTry, KeyAlgorithm,
    KeyImport, NewContainer, NoProgress, PinRole, SecretBytes, SignRequest, SignatureScheme,
};

fn import_of(label: &str, pkcs8: &[u8], certificates: Vec<Vec<u8>>) -> KeyImport {
    KeyImport {
        id: None,
        label: label.into(),
        private_key_pkcs8: SecretBytes::new(pkcs8),
        certificates,
    }
}

/// What a carrier answered to each verb tried without login, by verb.
fn verbs_without_login(
    c: &mut dyn Carrier,
    container: &ContainerId,
    certificate: &[u8],
    other_pkcs8: &[u8],
) -> Vec<(&'static str, Error)> {
    let mut out = Vec::new();
    let sign = c.sign(&SignRequest::message(
        container,
        SignatureScheme::RsaPkcs1Sha256,
        b"payment order 7",
    ));
    out.push(("sign", sign.unwrap_err()));
    let digest = [7u8; 32];
    let sign_digest = c.sign(&SignRequest::digest(
        container,
        SignatureScheme::RsaPkcs1Sha256,
        &digest,
    ));
    out.push(("sign digest", sign_digest.unwrap_err()));
    out.push((
        "write_certificate",
        c.write_certificate(container, certificate).unwrap_err(),
    ));
    out.push((
        "delete_container",
        c.delete_container(container).unwrap_err(),
    ));
    let spec = NewContainer::new("no login", KeyAlgorithm::Rsa { bits: 2048 });
    out.push((
        "generate",
        c.generate(&spec, &mut NoProgress, &CancelToken::new())
            .unwrap_err(),
    ));
    out.push((
        "import",
        c.import(import_of("no login", other_pkcs8, vec![]))
            .unwrap_err(),
    ));
    out
}

/// Imports `pkcs8` (without its certificate) while logged in, then logs out; returns the
/// container as listed while logged in.
fn prepared(c: &mut dyn Carrier, pkcs8: &[u8]) -> ContainerInfo {
    c.login(&common::user_pin(), FinalTry::Refuse).unwrap();
    let info = c.import(import_of("Accountant", pkcs8, vec![])).unwrap();
    c.logout().unwrap();
    info
}

#[test]
fn pkcs11_and_soft_token_refuse_the_same_verbs_with_the_same_error() {
    let _g = common::serial();
    // One key and certificate (made by OpenSSL) on both carriers, a second key to import.
    let (pkcs8, cert) = common::openssl_rsa_key_and_cert(&common::scratch("login-a"), "A");
    let (other, _) = common::openssl_rsa_key_and_cert(&common::scratch("login-b"), "B");

    let (mut hsm, _) = common::fresh_token("login required");
    let on_hsm = prepared(&mut hsm, &pkcs8);

    let dir = tempfile::tempdir().unwrap();
    let settings = soft_token::TokenSettings {
        kdf_iterations: 1_000,
        ..soft_token::TokenSettings::new("login required")
    };
    let mut soft = soft_token::SoftToken::create(dir.path(), &settings, &common::so_pin()).unwrap();
    soft.reset_pin(
        &common::so_pin(),
        &common::approved_user(common::USER_PIN),
        FinalTry::Refuse,
    )
    .unwrap();
    let on_soft = prepared(&mut soft, &pkcs8);
    assert_eq!(
        on_hsm.id, on_soft.id,
        "the same key gets the same derived id"
    );

    let hsm_answers = verbs_without_login(&mut hsm, &on_hsm.id, &cert, &other);
    let soft_answers = verbs_without_login(&mut soft, &on_soft.id, &cert, &other);
    for ((verb, e_hsm), (_, e_soft)) in hsm_answers.iter().zip(&soft_answers) {
        assert!(
            matches!(
                e_soft,
                Error::LoginRequired {
                    role: PinRole::User
                }
            ),
            "soft token, {verb}: {e_soft:?}"
        );
        assert!(
            matches!(
                e_hsm,
                Error::LoginRequired {
                    role: PinRole::User
                }
            ),
            "PKCS#11, {verb}: {e_hsm:?}"
        );
        assert_eq!(e_hsm.code(), "KC-LOGIN-REQUIRED");
        assert_eq!(e_hsm.code(), e_soft.code(), "{verb}");
    }

    // Nothing changed on the SoftHSM token: the container is whole (the refused delete left
    // its public key; the refused certificate was not written), and no second key appeared.
    hsm.login(&common::user_pin(), FinalTry::Refuse).unwrap();
    let after = hsm.containers().unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].id, on_hsm.id);
    assert!(after[0].has_private_key);
    assert!(after[0].certificates.is_empty());
    // Logged in, the same verbs work: the refusals were about the login only.
    hsm.write_certificate(&on_hsm.id, &cert).unwrap();
    assert_eq!(hsm.container(&on_hsm.id).unwrap().certificates, vec![cert]);
    hsm.sign(&SignRequest::message(
        &on_hsm.id,
        SignatureScheme::RsaPkcs1Sha256,
        b"payment order 7",
    ))
    .unwrap();
    hsm.delete_container(&on_hsm.id).unwrap();
    assert!(hsm.containers().unwrap().is_empty());
}
