//! Shared test fixtures: soft tokens, a test CA, a client key with a certificate.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use csr::{RequestTemplate, RequestedExtensions, RussianSubject, Subject};
use rotation_policy::ca::TestCa;
use soft_token::{SoftToken, TokenSettings};
use token_core::{
    AdminPin, CancelToken, Carrier, ContainerId, ContainerSigner, FinalTry, KeyAlgorithm,
    NewContainer, NoProgress, Pin, PinPolicy,
};

pub const PIN: &str = "Rx7mQ2wz";
pub const DAY: Duration = Duration::from_secs(86_400);

/// A fresh soft token in `dir`, user PIN set, logged in.
pub fn token(dir: &Path, label: &str) -> SoftToken {
    let settings = TokenSettings {
        kdf_iterations: 100,
        ..TokenSettings::new(label)
    };
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new("87654321")).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(PIN), None).unwrap();
    t.reset_pin(&AdminPin::new("87654321"), &pin, FinalTry::Refuse)
        .unwrap();
    t.login(&Pin::new(PIN), FinalTry::Refuse).unwrap();
    t
}

/// An existing soft token, logged in.
pub fn open(dir: &Path) -> SoftToken {
    let mut t = SoftToken::open(dir);
    t.login(&Pin::new(PIN), FinalTry::Refuse).unwrap();
    t
}

pub fn employee() -> RussianSubject {
    RussianSubject {
        common_name: Some("Иванов Иван Иванович".into()),
        surname: Some("Иванов".into()),
        given_name: Some("Иван Иванович".into()),
        title: Some("Главный бухгалтер".into()),
        organization: Some("ООО \"Ромашка\"".into()),
        country: Some("RU".into()),
        locality: Some("Москва".into()),
        inn: Some("500100732259".into()),
        inn_le: Some("7707083893".into()),
        ogrn: Some("1027700132195".into()),
        ..Default::default()
    }
}

pub fn generate(t: &mut SoftToken, label: &str, alg: KeyAlgorithm) -> ContainerId {
    t.generate(
        &NewContainer::new(label, alg),
        &mut NoProgress,
        &CancelToken::new(),
    )
    .unwrap()
    .id
}

/// A test CA with a key of `alg` on its own soft token in `dir/token`, state in `dir/ca`.
pub fn test_ca(dir: &Path, alg: KeyAlgorithm, now: SystemTime) -> TestCa<SoftToken> {
    let mut t = token(&dir.join("token"), "Test CA");
    let key = generate(&mut t, "CA key", alg);
    std::fs::write(dir.join("key.id"), key.to_string()).unwrap();
    TestCa::create(t, key, "Test Bank CA", &dir.join("ca"), now).unwrap()
}

/// Reopens the test CA made by [`test_ca`] (another process, after a crash).
pub fn reopen_ca(dir: &Path, now: SystemTime) -> TestCa<SoftToken> {
    let t = open(&dir.join("token"));
    let key: ContainerId = std::fs::read_to_string(dir.join("key.id"))
        .unwrap()
        .parse()
        .unwrap();
    TestCa::open(t, key, &dir.join("ca"), now).unwrap()
}

/// A client key of `alg` on `t` with a certificate from `ca` that expires `days_left` days
/// after `now` (issued a year before).
pub fn client_key(
    t: &mut SoftToken,
    ca: &TestCa<SoftToken>,
    label: &str,
    alg: KeyAlgorithm,
    now: SystemTime,
    days_left: u64,
) -> (ContainerId, Vec<u8>) {
    let id = generate(t, label, alg);
    let template = RequestTemplate::new(
        Subject::Russian(employee()),
        RequestedExtensions::signing_and_encryption("keycarrier"),
    );
    let request = template
        .sign(&ContainerSigner::new(&*t, &id).unwrap())
        .unwrap();
    let not_after = now + DAY * u32::try_from(days_left).unwrap();
    let cert = ca
        .issue(request.as_der(), not_after - DAY * 365, not_after)
        .unwrap();
    csr::install_certificate(t, &id, &cert, now).unwrap();
    (id, cert)
}
