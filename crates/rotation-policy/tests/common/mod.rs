//! Shared test fixtures: soft tokens, a test CA, a client key with a certificate.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use csr::{RequestTemplate, RequestedExtensions, RussianSubject};
use keycarrier_rotation_policy::ca::TestCa;
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
    // The admin PIN is not the vendor default: the soft token makes no keys until that is changed.
    let mut t = SoftToken::create(dir, &settings, &AdminPin::new("Adm1nQw8")).unwrap();
    let pin = PinPolicy::default().approve(Pin::new(PIN), None).unwrap();
    t.reset_pin(&AdminPin::new("Adm1nQw8"), &pin, FinalTry::Refuse)
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
        employee(),
        RequestedExtensions::signing_and_encryption("keycarrier"),
    );
    let request = template
        .sign(&ContainerSigner::new(&*t, &id).unwrap())
        .unwrap();
    let not_after = now + DAY * u32::try_from(days_left).unwrap();
    let cert = ca
        .issue(request.as_der(), not_after - DAY * 365, not_after)
        .unwrap();
    let anchors = trust::TrustAnchors::from_der([ca.certificate()]).unwrap();
    csr::install_certificate(t, &id, &cert, &csr::InstallCheck::new(&anchors, now)).unwrap();
    (id, cert)
}

/// A carrier wrapper for fault injection: reports another family, or "pulls the token" (fails
/// with `CarrierRemoved`) once at a named operation.
pub struct Wrapped<C> {
    pub inner: C,
    pub family: Option<token_core::CarrierFamily>,
    pub pull_at: std::cell::Cell<Option<&'static str>>,
}

impl<C> Wrapped<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            family: None,
            pull_at: std::cell::Cell::new(None),
        }
    }

    fn trip(&self, op: &'static str) -> token_core::Result<()> {
        if self.pull_at.get() == Some(op) {
            self.pull_at.set(None);
            return Err(token_core::Error::CarrierRemoved);
        }
        Ok(())
    }
}

use token_core::{
    Approved, CarrierInfo, ContainerInfo, KeyImport, PinRole, PinStatus, ProgressSink, SignRequest,
};

impl<C: Carrier> Carrier for Wrapped<C> {
    fn info(&self) -> token_core::Result<CarrierInfo> {
        let mut i = self.inner.info()?;
        if let Some(f) = self.family {
            i.family = f;
        }
        Ok(i)
    }
    fn pin_status(&self, role: PinRole) -> token_core::Result<PinStatus> {
        self.inner.pin_status(role)
    }
    fn login(&mut self, pin: &Pin, f: FinalTry) -> token_core::Result<()> {
        self.inner.login(pin, f)
    }
    fn login_admin(&mut self, pin: &AdminPin, f: FinalTry) -> token_core::Result<()> {
        self.inner.login_admin(pin, f)
    }
    fn logout(&mut self) -> token_core::Result<()> {
        self.inner.logout()
    }
    fn change_pin(&mut self, o: &Pin, n: &Approved<Pin>, f: FinalTry) -> token_core::Result<()> {
        self.inner.change_pin(o, n, f)
    }
    fn change_admin_pin(
        &mut self,
        o: &AdminPin,
        n: &Approved<AdminPin>,
        f: FinalTry,
    ) -> token_core::Result<()> {
        self.inner.change_admin_pin(o, n, f)
    }
    fn reset_pin(
        &mut self,
        a: &AdminPin,
        n: &Approved<Pin>,
        f: FinalTry,
    ) -> token_core::Result<()> {
        self.inner.reset_pin(a, n, f)
    }
    fn containers(&self) -> token_core::Result<Vec<ContainerInfo>> {
        self.trip("containers")?;
        self.inner.containers()
    }
    fn delete_container(&mut self, id: &ContainerId) -> token_core::Result<()> {
        self.trip("delete_container")?;
        self.inner.delete_container(id)
    }
    fn wipe(&mut self, a: &AdminPin, l: Option<&str>) -> token_core::Result<()> {
        self.inner.wipe(a, l)
    }
    fn generate(
        &mut self,
        spec: &NewContainer,
        p: &mut dyn ProgressSink,
        c: &CancelToken,
    ) -> token_core::Result<ContainerInfo> {
        self.trip("generate")?;
        self.inner.generate(spec, p, c)
    }
    fn import(&mut self, key: KeyImport) -> token_core::Result<ContainerInfo> {
        self.inner.import(key)
    }
    fn write_certificate(&mut self, id: &ContainerId, der: &[u8]) -> token_core::Result<()> {
        self.trip("write_certificate")?;
        self.inner.write_certificate(id, der)
    }
    fn sign(&self, r: &SignRequest<'_>) -> token_core::Result<Vec<u8>> {
        self.trip("sign")?;
        self.inner.sign(r)
    }
}

/// A CA wrapper whose connection drops once at `submit` or `poll`.
pub struct Flaky<A> {
    pub inner: A,
    pub drop_at: Option<&'static str>,
}

impl<A: keycarrier_rotation_policy::ca::CertificateAuthority>
    keycarrier_rotation_policy::ca::CertificateAuthority for Flaky<A>
{
    fn submit(
        &mut self,
        der: &[u8],
    ) -> token_core::Result<keycarrier_rotation_policy::ca::RequestId> {
        self.lost("submit")?;
        self.inner.submit(der)
    }
    fn poll(
        &mut self,
        id: &keycarrier_rotation_policy::ca::RequestId,
    ) -> token_core::Result<keycarrier_rotation_policy::ca::Poll> {
        self.lost("poll")?;
        self.inner.poll(id)
    }
}

impl<A> Flaky<A> {
    fn lost(&mut self, op: &'static str) -> token_core::Result<()> {
        if self.drop_at == Some(op) {
            self.drop_at = None;
            return Err(token_core::Error::storage(
                "connection to the bank",
                std::io::Error::from(std::io::ErrorKind::ConnectionReset),
            ));
        }
        Ok(())
    }
}
