//! keycarrier quickstart: what a bank client application does with a key carrier, on the
//! built-in soft token. No hardware, no network; everything lives in a temporary directory.
//!
//! Run with `cargo run --example quickstart`.
//!
//! The story: a new token arrives with the vendor's default PINs and makes no key until the
//! admin PIN is changed; the client sets policy-checked PINs and generates a GOST R 34.10-2012
//! key on the token; sends a certificate request with the act of public key recognition to the
//! bank (an embedded *test* CA stands in for it); installs the certificate; signs a payment
//! order as CMS, which the bank verifies; receives a statement the bank encrypted to its
//! certificate and opens it on the token; 50 days before expiry the key is rotated; then the
//! client mistypes the PIN until the last attempt, and the administrator PIN unblocks it with
//! the keys intact.
#![allow(clippy::print_stdout)] // an example program talks to its user

use std::path::Path;
use std::time::{Duration, SystemTime};

use keycarrier::cms::{CmsSigner, Content, VerifyOptions};
use keycarrier::envelope::{ContentCipher, EnvelopeBuilder, Mailbox, RecipientKey};
use keycarrier::request::{
    InstallCheck, RequestTemplate, RequestedExtensions, RussianSubject, install_certificate,
};
use keycarrier::rotation::act::RecognitionAct;
use keycarrier::rotation::ca::TestCa;
use keycarrier::rotation::{
    KeyFacts, Policy, RotationEvent, RotationOptions, RotationOutcome, Rotator, UnreadMail, Zone,
};
use keycarrier::soft::{SoftToken, TokenSettings};
use keycarrier::trust::{OfflineRevocation, TrustAnchors};
use keycarrier::{
    AdminPin, CancelToken, Carrier, CodeAlphabet, ContainerSigner, Error, ErrorCode, FinalTry,
    GostParamSet, KeyAlgorithm, NewContainer, NoProgress, Pin, PinPolicy, PinRole, Progress,
    SignRequest, Stage, cms, gost, normalize_code,
};

/// Fewer PIN-hashing rounds than the default 100 000, so the demo runs in a blink.
fn settings(label: &str) -> TokenSettings {
    TokenSettings {
        kdf_iterations: 10_000,
        ..TokenSettings::new(label)
    }
}

fn main() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::storage("temporary directory", e))?;
    let policy = PinPolicy::default();
    let moscow = Zone::moscow();

    println!("1. A new soft token, as a bank hands out tokens: vendor default admin PIN 87654321");
    let mut token = SoftToken::create(
        &dir.path().join("token"),
        &settings("Accounting"),
        &AdminPin::new("87654321"),
    )?;
    println!("   {}", token.info()?);
    let admin = token.pin_status(PinRole::Admin)?;
    println!(
        "   admin PIN is the vendor default: {:?}, must be changed: {}",
        admin.default_pin, admin.must_change
    );

    println!(
        "\n2. Choosing PINs (U04): 8+ Latin letters/digits, no runs like 123/abc, no defaults"
    );
    for candidate in ["12345678", "abc1", "Rx7mQ2wz"] {
        match policy.check(&Pin::new(candidate), None) {
            Ok(()) => println!("   {candidate:<10} accepted"),
            Err(violations) => println!("   {candidate:<10} refused: {violations}"),
        }
    }
    let user_pin = policy.approve(Pin::new("Rx7mQ2wz"), None)?;
    token.reset_pin(&AdminPin::new("87654321"), &user_pin, FinalTry::Refuse)?;
    token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
    println!("   user PIN set by the admin; the user logs in");
    // The admin PIN opens the token's keys too (that is how an unblock keeps them), so the
    // token makes no key while the admin PIN is a vendor default everybody knows.
    let spec = NewContainer::new("Signing key", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    if let Err(e) = token.generate(&spec, &mut NoProgress, &CancelToken::new()) {
        println!("   a key now? refused: {e} [{}]", e.code());
    }
    let new_admin = policy.approve(AdminPin::new("Adm1nQw8"), None)?;
    token.change_admin_pin(&AdminPin::new("87654321"), &new_admin, FinalTry::Refuse)?;
    println!(
        "   admin PIN changed (U05); must be changed: {}",
        token.pin_status(PinRole::Admin)?.must_change
    );

    println!("\n3. Generating a GOST R 34.10-2012 256 key on the token (U09)");
    let mut report = |p: Progress| {
        if p.stage == Stage::Done {
            println!("   generation finished");
        }
    };
    let container = token.generate(&spec, &mut report, &CancelToken::new())?;
    println!("   container {}: {}", container.id, container.algorithm);
    println!(
        "   private key extractable: {}, sensitive: {}",
        container.extractable, container.sensitive
    );

    println!(
        "\n4. A certificate request (U10) signed on the token, and the act of recognition (U13)"
    );
    let subject = RussianSubject {
        common_name: Some("Иванов Иван Иванович".into()),
        surname: Some("Иванов".into()),
        given_name: Some("Иван Иванович".into()),
        title: Some("Главный бухгалтер".into()),
        organization: Some("ООО «Аргос»".into()),
        country: Some("RU".into()),
        locality: Some("Москва".into()),
        inn_le: Some("7707083893".into()),
        ogrn: Some("1027700132195".into()),
        ..RussianSubject::default()
    };
    let owner = subject.common_name.clone().unwrap_or_default();
    let request = RequestTemplate::new(
        subject,
        RequestedExtensions::signing_and_encryption("keycarrier"),
    )
    .sign(&ContainerSigner::new(&token, &container.id)?)?;
    let now = SystemTime::now();
    let act = RecognitionAct::from_request(
        "АО «Тестбанк»",
        &request,
        Some("REQ-0001"),
        moscow.date_of(now),
    )?;
    for line in act
        .to_text()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(7)
    {
        println!("   | {line}");
    }
    println!("   | ... (and a printable A4 page with two copies: RecognitionAct::to_html)");

    println!("\n5. The bank's CA issues the certificate; it is installed into the container (U12)");
    println!("   (an embedded test CA on its own soft token stands in for the bank)");
    let mut ca = test_ca(&dir.path().join("ca"), now)?;
    let issued = ca.issue(request.as_der(), now, now + Policy::ONE_YEAR)?;
    // Checked before it is written: issued by the CA we trust, for this key, with the subject
    // we asked for, valid now.
    let bank_ca = TrustAnchors::from_der([ca.certificate()])?;
    let check = InstallCheck::new(&bank_ca, now).with_subject(request.subject());
    let installed = install_certificate(&mut token, &container.id, &issued, &check)?;
    println!(
        "   certificate for {owner}: valid {} to {}",
        moscow.date_of(installed.not_before),
        moscow.date_of(installed.not_after)
    );

    println!("\n6. A payment order signed as CMS (U14); the bank verifies it against its CA");
    let order = "Payment order No. 118: 15 000.00 RUB to LLC Argos, INN 7707083893".as_bytes();
    let signer = CmsSigner::new(&token, &container.id, &issued)?;
    let signed = cms::sign(order, &signer, Content::Attached)?;
    // The bank's verification is strict: signature, content, the path to its CA, and the
    // CA's current CRL (no revocation information would be a refusal).
    let mut crls = OfflineRevocation::new();
    crls.add_crl(&ca.crl(1, &[], Duration::from_secs(7 * 86_400))?)?;
    let options = VerifyOptions::trusting(&bank_ca).with_revocation(&crls);
    let valid = |der: &[u8]| cms::verify(der, None, &options).is_ok();
    println!(
        "   {} bytes of CMS, signature valid, chained to the CA, not revoked: {}",
        signed.len(),
        valid(&signed)
    );
    let mut altered = signed.clone();
    if let Some(digit) = altered
        .windows(9)
        .position(|w| w == b"15 000.00")
        .and_then(|at| altered.get_mut(at))
    {
        *digit = b'9';
    }
    println!(
        "   the same CMS with the amount changed to 95 000.00 verifies: {}",
        valid(&altered)
    );

    println!("\n7. The bank sends a statement encrypted to the client's certificate (U21, U17)");
    // Kuznyechik with OMAC, the key transported with KEG + KExp15 (R 1323565.1.025-2019).
    let statement = EnvelopeBuilder::new(ContentCipher::KuznyechikCtrAcpkmOmac)
        .recipient(&issued)?
        .seal(b"Statement for March: closing balance 1 250 000.00 RUB")?;
    let mailbox = Mailbox::new();
    mailbox.receive(&statement)?;
    println!(
        "   {} bytes received; unread for the current key: {} (a rotation would wait)",
        statement.len(),
        mailbox.unread_for(&issued)?
    );
    let key = RecipientKey {
        carrier: &token,
        container: &container.id,
        certificate: &issued,
    };
    while let Some(letter) = mailbox.open_next(&key)? {
        // The key agreement (VKO) ran on the token; the content was decrypted here.
        println!(
            "   opened with the key on the token: {:?}",
            String::from_utf8_lossy(&letter.content)
        );
    }
    println!("   unread now: {}", mailbox.unread_for(&issued)?);

    println!("\n8. 50 days before expiry (U16) the key is rotated (U19); the old key is kept");
    let later = installed.not_after - Duration::from_secs(50 * 86_400);
    let certificate = token
        .container(&container.id)?
        .certificate()?
        .ok_or_else(|| Error::NotFound {
            what: "certificate".into(),
        })?;
    let decision = Policy::default().decide(&KeyFacts::from_certificate(&certificate), later);
    println!("   on {}: {decision:?}", moscow.date_of(later));
    ca.set_now(later);
    let mut backup_reminders = 0;
    let rotation = RotationOptions {
        trust_anchors: bank_ca.clone(),
        ..RotationOptions::default()
    };
    let outcome = Rotator::new(dir.path().join("journal"), rotation)
        .waiting_for(UnreadMail::new(&mailbox).container(&container.id, &issued))
        .on_event(|e| {
            if let RotationEvent::BackupReminder { .. } = e {
                backup_reminders += 1;
            }
        })
        .start(&mut token, &mut ca, &container.id, &decision, later)?;
    if let RotationOutcome::Completed {
        new, certificate, ..
    } = &outcome
    {
        println!(
            "   new container {new}, certificate valid to {}",
            moscow.date_of(certificate.not_after)
        );
    }
    println!("   backup reminders for this flash container (U20): {backup_reminders}");
    println!("   containers on the token: {}", token.containers()?.len());

    println!("\n9. Mistyped PINs (U08): the last attempt is never spent without consent");
    token.logout()?;
    for _ in 0..9 {
        let _ = token.login(&Pin::new("Wrong123x"), FinalTry::Refuse);
    }
    let status = token.pin_status(PinRole::User)?;
    println!(
        "   attempts left: {:?}, final try: {}",
        status.retries_left, status.final_try
    );
    if let Err(e) = token.login(&Pin::new("Wrong123x"), FinalTry::Refuse) {
        println!("   refused without consent: {e} [{}]", e.code());
    }
    let _ = token.login(&Pin::new("Wrong123x"), FinalTry::Allow);
    println!(
        "   after the user insisted: locked = {}",
        token.pin_status(PinRole::User)?.locked
    );

    println!("\n10. Unblocking with the admin PIN (U06); keys and certificates stay");
    println!(
        "   the support desk dictates a code, typed as \"q7k2-o9c1\": {:?}",
        normalize_code("q7k2-o9c1", &CodeAlphabet::WITHOUT_O)?.as_str()
    );
    let fresh_pin = policy.approve(Pin::new("N3wPinQz"), None)?;
    token.reset_pin(&AdminPin::new("Adm1nQw8"), &fresh_pin, FinalTry::Refuse)?;
    token.login(&Pin::new("N3wPinQz"), FinalTry::Refuse)?;
    let scheme = container.algorithm.signature_scheme();
    let signature = token.sign(&SignRequest::message(&container.id, scheme, order))?;
    use gost::signature::Verifier;
    gost::VerifyingKey::from_spki_der(&container.public_key.to_der()?)?
        .verify(order, &gost::Signature::from_bytes(&signature)?)
        .map_err(|_| Error::VerificationFailed {
            what: "GOST signature".into(),
        })?;
    println!(
        "   new PIN works and the old key still signs: {} containers",
        token.containers()?.len()
    );

    println!("\nDone.");
    Ok(())
}

/// The embedded test CA: a GOST key on its own soft token, a self-signed CA certificate.
fn test_ca(dir: &Path, now: SystemTime) -> Result<TestCa<SoftToken>, Error> {
    let mut ca_token = SoftToken::create(
        &dir.join("token"),
        &settings("Test CA"),
        &AdminPin::new("Ca0dmin9"),
    )?;
    let pin = PinPolicy::default().approve(Pin::new("Ca7pinQz"), None)?;
    ca_token.reset_pin(&AdminPin::new("Ca0dmin9"), &pin, FinalTry::Refuse)?;
    ca_token.login(&Pin::new("Ca7pinQz"), FinalTry::Refuse)?;
    let key = ca_token.generate(
        &NewContainer::new("CA key", KeyAlgorithm::Gost(GostParamSet::Tc26_256A)),
        &mut NoProgress,
        &CancelToken::new(),
    )?;
    TestCa::create(ca_token, key.id, "Test Bank CA", &dir.join("state"), now)
}
