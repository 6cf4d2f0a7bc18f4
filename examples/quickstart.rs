//! keycarrier quickstart: what a bank client application does with a key carrier, on the
//! built-in soft token. No hardware, no network; the token lives in a temporary directory.
//!
//! Run with `cargo run --example quickstart`.
//!
//! The story: a new token arrives with the vendor's default PINs; the client sets policy-checked
//! PINs, generates a GOST R 34.10-2012 key on the token, installs a certificate for it, signs a
//! payment order and the bank checks the signature; then the client mistypes the PIN until the
//! last attempt, and the bank's administrator PIN unblocks it with the key intact.
//!
//! Still to come in this example (their crates are not built yet): a PKCS#10 request to a CA, a
//! CMS-signed payment order, and the yearly key rotation.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::str::FromStr;
use std::time::Duration;

use keycarrier::soft_token::{SoftToken, TokenSettings};
use keycarrier::x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use keycarrier::x509_cert::der::{Decode, Encode};
use keycarrier::x509_cert::ext::Extension;
use keycarrier::x509_cert::name::Name;
use keycarrier::x509_cert::serial_number::SerialNumber;
use keycarrier::x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use keycarrier::x509_cert::time::Validity;
use keycarrier::{
    AdminPin, CancelToken, Carrier, CarrierSignature, CodeAlphabet, ContainerSigner, Error,
    ErrorCode, FinalTry, GostParamSet, KeyAlgorithm, NewContainer, Pin, PinPolicy, PinRole,
    Progress, SignRequest, Stage, gost, normalize_code,
};

fn main() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::storage("temporary directory", e))?;
    let policy = PinPolicy::default();

    println!("1. A new soft token, as a bank hands out tokens: vendor default admin PIN 87654321");
    let settings = TokenSettings {
        // Fewer PIN-hashing rounds than the default 100 000 so the demo runs in a blink.
        kdf_iterations: 10_000,
        ..TokenSettings::new("Accounting")
    };
    let mut token = SoftToken::create(dir.path(), &settings, &AdminPin::new("87654321"))?;
    println!("   {}", token.info()?);
    let admin = token.pin_status(PinRole::Admin)?;
    println!(
        "   admin PIN is the vendor default: {:?}, must be changed: {}",
        admin.default_pin, admin.must_change
    );

    println!(
        "\n2. Choosing PINs (U04): at least 8 Latin letters/digits, no runs like 123/abc, no defaults"
    );
    for candidate in ["12345678", "abc1", "Rx7mQ2wz"] {
        match policy.check(&Pin::new(candidate), None) {
            Ok(()) => println!("   {candidate:<10} accepted"),
            Err(violations) => println!("   {candidate:<10} refused: {violations}"),
        }
    }
    let new_admin = policy.approve(AdminPin::new("Adm1nQw8"), None)?;
    token.change_admin_pin(&AdminPin::new("87654321"), &new_admin, FinalTry::Refuse)?;
    let user_pin = policy.approve(Pin::new("Rx7mQ2wz"), None)?;
    token.reset_pin(&AdminPin::new("Adm1nQw8"), &user_pin, FinalTry::Refuse)?;
    println!("   admin PIN changed (U05), user PIN set by the admin");

    println!("\n3. Generating a GOST R 34.10-2012 256 key on the token (U09)");
    token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
    let spec = NewContainer::new(
        "Signing key 2026",
        KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
    );
    let mut report = |p: Progress| {
        if p.stage == Stage::Done {
            println!("   generation finished");
        }
    };
    let container = token.generate(&spec, &mut report, &CancelToken::new())?;
    println!(
        "   container {} \"{}\": {}",
        container.id, spec.label, container.algorithm
    );
    println!(
        "   private key extractable: {}, sensitive: {}",
        container.extractable, container.sensitive
    );

    println!(
        "\n4. A certificate for the key, signed on the token, installed into the container (U12)"
    );
    let certificate = self_signed_certificate(&token, &container.id)?;
    token.write_certificate(&container.id, &certificate)?;
    if let Some(info) = token.container(&container.id)?.certificate() {
        let info = info?;
        println!("   subject {}", info.subject);
        println!("   (self-signed for now; the embedded test CA arrives with the rotation crate)");
    }

    println!("\n5. Signing a payment order (U14), checked the way a bank checks it");
    let order =
        "Payment order No. 118, 22.11.2026: 15 000.00 RUB to LLC Argos, INN 7701234567".as_bytes();
    let signature = token.sign(&SignRequest::message(
        &container.id,
        container.algorithm.signature_scheme(),
        order,
    ))?;
    let bank_side = gost::VerifyingKey::from_public_key(&container.public_key)?;
    bank_side.verify_message(order, &gost::Signature::from_bytes(&signature)?)?;
    println!(
        "   signature s||r ({} bytes) verifies with the certificate's public key",
        signature.len()
    );
    let forged = String::from_utf8_lossy(order).replace("15 000.00", "95 000.00");
    let forged_ok = bank_side
        .verify_message(forged.as_bytes(), &gost::Signature::from_bytes(&signature)?)
        .is_ok();
    println!("   the same signature on an altered order verifies: {forged_ok}");

    println!("\n6. Mistyped PINs (U08): the last attempt is never spent without consent");
    token.logout()?;
    for _ in 0..9 {
        let _ = token.login(&Pin::new("Wrong123x"), FinalTry::Refuse);
    }
    let status = token.pin_status(PinRole::User)?;
    println!(
        "   attempts left: {:?}, final try: {}",
        status.retries_left, status.final_try
    );
    match token.login(&Pin::new("Wrong123x"), FinalTry::Refuse) {
        Err(e) => println!("   refused without consent: {e} [{}]", e.code()),
        Ok(()) => println!("   unexpectedly logged in"),
    }
    let _ = token.login(&Pin::new("Wrong123x"), FinalTry::Allow);
    println!(
        "   after the user insisted: locked = {}",
        token.pin_status(PinRole::User)?.locked
    );

    println!("\n7. Unblocking with the admin PIN (U06); the key and certificate stay");
    println!(
        "   the support desk dictates a code, typed as \"q7k2-o9c1\": {:?}",
        normalize_code("q7k2-o9c1", &CodeAlphabet::WITHOUT_O)?.as_str()
    );
    let fresh_pin = policy.approve(Pin::new("N3wPinQz"), None)?;
    token.reset_pin(&AdminPin::new("Adm1nQw8"), &fresh_pin, FinalTry::Refuse)?;
    token.login(&Pin::new("N3wPinQz"), FinalTry::Refuse)?;
    let again = token.sign(&SignRequest::message(
        &container.id,
        container.algorithm.signature_scheme(),
        order,
    ))?;
    bank_side.verify_message(order, &gost::Signature::from_bytes(&again)?)?;
    println!(
        "   new PIN works, the same key signs again: {} container(s), certificate kept: {}",
        token.containers()?.len(),
        !token.container(&container.id)?.certificates.is_empty()
    );

    println!("\nDone.");
    Ok(())
}

/// A self-signed profile: subject = issuer, no extensions.
struct SelfSigned(Name);

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }
    fn get_subject(&self) -> Name {
        self.0.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &keycarrier::x509_cert::TbsCertificate,
    ) -> keycarrier::x509_cert::builder::Result<Vec<Extension>> {
        Ok(vec![])
    }
}

/// Builds a certificate with x509-cert's builder, signed by the key on the token through
/// [`ContainerSigner`].
fn self_signed_certificate(
    token: &SoftToken,
    id: &keycarrier::ContainerId,
) -> Result<Vec<u8>, Error> {
    let der = |e| Error::malformed_der("certificate", e);
    let signer = ContainerSigner::new(token, id)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(&signer.public_key().to_der()?).map_err(der)?;
    let subject = Name::from_str("CN=Ivanov Ivan Ivanovich,O=LLC Argos,C=RU").map_err(der)?;
    let validity = Validity::from_now(Duration::from_secs(365 * 86_400)).map_err(der)?;
    let builder = CertificateBuilder::new(
        SelfSigned(subject),
        SerialNumber::from(1u32),
        validity,
        spki,
    )
    .map_err(|e| Error::Malformed {
        what: "certificate",
        at: None,
        reason: e.to_string(),
    })?;
    let cert = builder
        .build::<_, CarrierSignature>(&signer)
        .map_err(|e| Error::Malformed {
            what: "certificate",
            at: None,
            reason: e.to_string(),
        })?;
    cert.to_der().map_err(der)
}
