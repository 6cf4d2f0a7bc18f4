#![no_main]
//! Envelopes over untrusted bytes must never panic: parsed in memory (and asked for their
//! recipients and cipher), taken into a mailbox, and opened both in memory and as a stream
//! with a real recipient key on a soft token (`fuzz/fixtures/envelope`, made by OpenSSL; the
//! seeds are OpenSSL envelopes to it), so mutations reach the content ciphers too.
use std::sync::OnceLock;

use cms_envelope::{Envelope, Mailbox, RecipientKey};
use libfuzzer_sys::fuzz_target;
use soft_token::{SoftToken, TokenSettings};
use token_core::{AdminPin, Carrier, ContainerId, FinalTry, KeyImport, Pin, PinPolicy, SecretBytes};

const CERT: &[u8] = include_bytes!("../fixtures/envelope/cert.der");
const KEY: &[u8] = include_bytes!("../fixtures/envelope/key.pk8");

struct Recipient {
    _dir: tempfile::TempDir,
    token: SoftToken,
    id: ContainerId,
}

fn recipient() -> Option<&'static Recipient> {
    static R: OnceLock<Option<Recipient>> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().ok()?;
        let settings = TokenSettings { kdf_iterations: 1000, ..TokenSettings::new("Fuzz") };
        let admin = AdminPin::new("Adm1nQw8");
        let mut token = SoftToken::create(dir.path(), &settings, &admin).ok()?;
        let pin = PinPolicy::default().approve(Pin::new("Rx7mQ2wz"), None).ok()?;
        token.reset_pin(&admin, &pin, FinalTry::Refuse).ok()?;
        token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).ok()?;
        let id = token
            .import(KeyImport {
                label: "fuzz".into(),
                id: None,
                private_key_pkcs8: SecretBytes::new(KEY),
                certificates: vec![CERT.to_vec()],
            })
            .ok()?
            .id;
        Some(Recipient { _dir: dir, token, id })
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::from_der(data) {
        let _ = envelope.content_cipher();
        let _ = envelope.recipients().len();
        let _ = envelope.recipient_for(CERT);
        let _ = Mailbox::new().receive(data);
    }
    let Some(r) = recipient() else { return };
    let key = RecipientKey { carrier: &r.token, container: &r.id, certificate: CERT };
    if let Ok(envelope) = Envelope::from_der(data) {
        let _ = envelope.open(&key);
    }
    let _ = cms_envelope::open_stream(data, &key, std::io::sink());
});
