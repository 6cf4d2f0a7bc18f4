//! [`Carrier`] for [`SoftToken`]: the token's Rust API.

use token_core::{
    AdminPin, Approved, CancelToken, Carrier, CarrierFamily, CarrierInfo, CertificateInfo,
    ContainerId, ContainerInfo, Error, FinalTry, KeyAgreement, KeyDecryption, KeyImport,
    NewContainer, Pin, PinRole, PinStatus, Progress, ProgressSink, Result, SecretBytes, SignInput,
    SignRequest, Stage,
};
use zeroize::Zeroizing;

use super::{LoggedIn, SoftToken, TokenSettings, status_of};
use crate::attr;
use crate::crypto;
use crate::keys;
use crate::layout::{aad, certificate_object, containers_of, get, key_pair_objects};

impl Carrier for SoftToken {
    fn info(&self) -> Result<CarrierInfo> {
        let state = match self.read() {
            Ok(state) => Some(state),
            Err(Error::CarrierNotInitialized) => None,
            Err(e) => return Err(e),
        };
        Ok(CarrierInfo {
            family: CarrierFamily::SoftToken,
            manufacturer: "keycarrier".into(),
            model: "keycarrier soft token".into(),
            serial: state.as_ref().map(|s| s.serial.clone()).unwrap_or_default(),
            label: state
                .as_ref()
                .map(|s| s.label.clone())
                .filter(|l| !l.is_empty()),
            initialized: state.is_some(),
            free_memory: None,
            total_memory: None,
        })
    }

    fn pin_status(&self, role: PinRole) -> Result<PinStatus> {
        let state = self.read()?;
        Ok(match role {
            PinRole::Admin => status_of(role, Some(&state.so_pin)),
            PinRole::User => status_of(role, state.user_pin.as_ref()),
        })
    }

    fn login(&mut self, pin: &Pin, final_try: FinalTry) -> Result<()> {
        let token_key = self.verify_pin(PinRole::User, pin.expose(), final_try)?;
        self.clear_key_cache();
        self.logged_in = Some(LoggedIn {
            role: PinRole::User,
            token_key,
        });
        Ok(())
    }

    fn login_admin(&mut self, pin: &AdminPin, final_try: FinalTry) -> Result<()> {
        let token_key = self.verify_pin(PinRole::Admin, pin.expose(), final_try)?;
        self.clear_key_cache();
        self.logged_in = Some(LoggedIn {
            role: PinRole::Admin,
            token_key,
        });
        Ok(())
    }

    fn logout(&mut self) -> Result<()> {
        self.clear_key_cache();
        self.logged_in = None;
        Ok(())
    }

    fn change_pin(&mut self, old: &Pin, new: &Approved<Pin>, final_try: FinalTry) -> Result<()> {
        let token_key = self.verify_pin(PinRole::User, old.expose(), final_try)?;
        self.set_pin_record(PinRole::User, new.expose(), &token_key)
    }

    fn change_admin_pin(
        &mut self,
        old: &AdminPin,
        new: &Approved<AdminPin>,
        final_try: FinalTry,
    ) -> Result<()> {
        let token_key = self.verify_pin(PinRole::Admin, old.expose(), final_try)?;
        self.set_pin_record(PinRole::Admin, new.expose(), &token_key)
    }

    fn reset_pin(
        &mut self,
        admin: &AdminPin,
        new_user_pin: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()> {
        let token_key = self.verify_pin(PinRole::Admin, admin.expose(), final_try)?;
        self.set_pin_record(PinRole::User, new_user_pin.expose(), &token_key)
    }

    /// The soft token offers the vendor unblock (it exports Rutoken's `C_EX_UnblockUserPIN`
    /// from its PKCS#11 module too).
    fn can_unblock_pin(&self) -> bool {
        true
    }

    /// Verifies the administrator PIN, then restores the user PIN's retry counter and keeps
    /// the user PIN (what `C_EX_UnblockUserPIN` does after an SO login).
    fn unblock_pin(&mut self, admin: &AdminPin, final_try: FinalTry) -> Result<()> {
        self.verify_pin(PinRole::Admin, admin.expose(), final_try)?;
        self.restore_user_retries()
    }

    fn containers(&self) -> Result<Vec<ContainerInfo>> {
        containers_of(&*self.read()?)
    }

    fn delete_container(&mut self, id: &ContainerId) -> Result<()> {
        self.user_key()?;
        self.update(|state| {
            let before = state.objects.len();
            state
                .objects
                .retain(|o| get(o, attr::ID) != Some(id.as_bytes()));
            if state.objects.len() == before {
                return Err(Error::NotFound {
                    what: format!("container {id}"),
                });
            }
            Ok(())
        })
    }

    fn wipe(&mut self, admin: &AdminPin, new_label: Option<&str>) -> Result<()> {
        self.verify_pin(PinRole::Admin, admin.expose(), FinalTry::Refuse)?;
        let lock = self.store.lock()?;
        let state = self.store.load(&lock)?;
        let settings = TokenSettings {
            label: new_label.map_or(state.label.clone(), str::to_owned),
            user_retries: state.user_pin.as_ref().map_or(10, |r| r.max_retries),
            admin_retries: state.so_pin.max_retries,
            kdf_iterations: state.so_pin.iterations,
        };
        self.initialise(&lock, settings.label.clone(), &settings, admin)?;
        self.clear_key_cache();
        self.logged_in = None;
        Ok(())
    }

    fn generate(
        &mut self,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        progress.report(Progress {
            stage: Stage::Preparing,
            percent: Some(0),
        });
        let token_key = Zeroizing::new(**self.user_key()?);
        self.require_admin_pin_changed()?;
        cancel.check()?;
        progress.report(Progress {
            stage: Stage::Generating,
            percent: Some(5),
        });
        if let Some(delay) = self.knobs.slow_generation {
            let steps = 20u32;
            for step in 1..=steps {
                std::thread::sleep(delay / steps);
                cancel.check()?;
                progress.report(Progress {
                    stage: Stage::Generating,
                    percent: u8::try_from(5 + step * 85 / steps).ok(),
                });
            }
        }
        let generated = keys::generate(spec.algorithm)?;
        cancel.check()?;
        progress.report(Progress {
            stage: Stage::Storing,
            percent: Some(95),
        });
        let id = spec
            .id
            .clone()
            .unwrap_or_else(|| ContainerId::derived_from(&generated.public_key));
        if self.containers()?.iter().any(|c| c.id == id) {
            return Err(Error::AlreadyExists {
                what: format!("container {id}"),
            });
        }
        let sealed = crypto::seal(&token_key, &aad(&id), generated.pkcs8.expose())?;
        self.add_objects(key_pair_objects(
            &id,
            &spec.label,
            &generated.public_key,
            sealed,
            spec.extractable,
            true,
        )?)?;
        progress.report(Progress {
            stage: Stage::Done,
            percent: Some(100),
        });
        self.container(&id)
    }

    fn import(&mut self, key: KeyImport) -> Result<ContainerInfo> {
        let token_key = Zeroizing::new(**self.user_key()?);
        self.require_admin_pin_changed()?;
        let public_key = keys::public_key_of(key.private_key_pkcs8.expose())?;
        for cert in key.certificates.iter().take(1) {
            let info = CertificateInfo::from_der(cert)?;
            if !info.public_key.same_key(&public_key) {
                return Err(Error::CertificateMismatch);
            }
        }
        let id = key
            .id
            .clone()
            .unwrap_or_else(|| ContainerId::derived_from(&public_key));
        if self.containers()?.iter().any(|c| c.id == id) {
            return Err(Error::AlreadyExists {
                what: format!("container {id}"),
            });
        }
        let sealed = crypto::seal(&token_key, &aad(&id), key.private_key_pkcs8.expose())?;
        let mut objects = key_pair_objects(&id, &key.label, &public_key, sealed, false, false)?;
        for cert in &key.certificates {
            objects.push(certificate_object(&id, &key.label, cert)?);
        }
        self.add_objects(objects)?;
        self.container(&id)
    }

    fn write_certificate(&mut self, id: &ContainerId, certificate_der: &[u8]) -> Result<()> {
        self.user_key()?;
        let container = self.container(id)?;
        let info = CertificateInfo::from_der(certificate_der)?;
        if !info.public_key.same_key(&container.public_key) {
            return Err(Error::CertificateMismatch);
        }
        let label = container.label.unwrap_or_default();
        self.add_objects(vec![certificate_object(id, &label, certificate_der)?])
            .map(drop)
    }

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>> {
        request.check_digest_len()?;
        self.user_key()?;
        let uid = self.private_key_uid(request.container)?;
        // U15: ask before the key is touched.
        request.confirm()?;
        let key = self.private_key(uid)?;
        match request.input {
            SignInput::Message(m) => keys::sign_message(&key, request.scheme, m),
            SignInput::Digest(d) => keys::sign_digest(&key, request.scheme, d),
        }
    }

    /// Decrypts with the container's RSA key, after the same login check as signing; see
    /// `decrypt.rs` for how PKCS#1 v1.5 padding failures stay invisible.
    fn decrypt_key(&self, request: &KeyDecryption<'_>) -> Result<SecretBytes> {
        self.user_key()?;
        let key = self.private_key(self.private_key_uid(request.container)?)?;
        key.decrypt_key(request.encrypted_key, request.padding)
    }

    /// GOST VKO with the container's key, after the same login check as signing.
    fn agree_key(&self, request: &KeyAgreement<'_>) -> Result<SecretBytes> {
        self.user_key()?;
        let key = self.private_key(self.private_key_uid(request.container)?)?;
        key.agree_key(request.peer, request.ukm, request.hash)
    }
}
