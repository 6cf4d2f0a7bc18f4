//! [`Pkcs11Carrier`]: one token in one slot, as a token-core [`Carrier`].
//!
//! This file holds the type, its options and the [`Carrier`] implementation as a table of
//! contents; each verb lives in a file of its own next to it:
//!
//! | file | idea |
//! | --- | --- |
//! | `open` | opening a carrier from a [`Module`] (by slot or serial) |
//! | `presence` | reading the token's info; noticing it pulled or replaced |
//! | `login` | user / admin login and logout, PIN pad login, the "login required" check |
//! | `pin_status` | retry state from the token's `CKF_*_PIN_*` flags (flow U08) |
//! | `pin_admin` | changing, resetting and unblocking PINs (U05, U06) |
//! | `objects` | finding, reading and deleting token objects; certificate templates |
//! | `containers` | containers as objects sharing a `CKA_ID`: list, read, delete, add a certificate (U02) |
//! | `wipe` | formatting the carrier (`C_InitToken`) |
//! | `keygen` | key pair generation (U09) |
//! | `import` | PKCS#8 key import (U03) |
//! | `sign` | signing (U14, U15) |
//!
//! A new verb (decryption, key agreement) gets a file of its own here, an inherent method on
//! [`Pkcs11Carrier`] and, where token-core's [`Carrier`] has the verb, one delegating line
//! below.

mod containers;
mod decrypt;
mod import;
mod keygen;
mod login;
mod objects;
mod open;
mod pin_admin;
mod pin_status;
mod presence;
mod sign;
mod wipe;

#[cfg(test)]
mod raw_path_tests;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use cryptoki::object::ObjectHandle;
use cryptoki_sys::CK_MECHANISM_TYPE;
use token_core::{
    AdminPin, Approved, CancelToken, Carrier, CarrierInfo, ContainerId, ContainerInfo, FinalTry,
    KeyAgreement, KeyDecryption, KeyImport, NewContainer, Pin, PinRole, PinStatus, ProgressSink,
    Result, SecretBytes, SignRequest,
};

use crate::module::{Module, carrier_info};
use crate::session::SessionPool;
use objects::KeyKind;

/// Options of a [`Pkcs11Carrier`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CarrierOptions {
    /// Hash messages on the token (`CKM_SHA256_RSA_PKCS`, `CKM_SHA256_RSA_PKCS_PSS`, the GOST
    /// with-Streebog mechanisms) when it offers the mechanism, instead of hashing on the host.
    /// ECDSA always hashes on the host.
    pub hash_on_token: bool,
    /// At most this many sessions open on the token at once (signing threads beyond it wait
    /// for a free session, up to 30 s). The token's own `ulMaxRwSessionCount` caps the pool
    /// too, where it reports one; `None` leaves only that limit.
    pub max_sessions: Option<usize>,
}

/// One token in one slot of a PKCS#11 module. `Send + Sync`: share `&Pkcs11Carrier` between
/// signing threads; each call takes a session of its own from an internal pool.
#[derive(Debug)]
pub struct Pkcs11Carrier {
    pool: SessionPool,
    /// The serial read when the carrier was opened, to notice it being pulled or replaced.
    serial: Mutex<Option<String>>,
    mechanisms: HashSet<CK_MECHANISM_TYPE>,
    keys: Mutex<HashMap<ContainerId, (ObjectHandle, KeyKind)>>,
    options: CarrierOptions,
    /// The token's `ulMaxRwSessionCount`, where it reports one.
    token_max: Option<usize>,
}

impl Pkcs11Carrier {
    /// Sets options (hash on the token or on the host, session cap).
    pub fn with_options(mut self, options: CarrierOptions) -> Self {
        let max = match (options.max_sessions, self.token_max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.pool.set_max(max);
        self.options = options;
        self
    }

    /// The slot id (as in [`Module::carrier`]), to open this carrier again later.
    pub fn slot(&self) -> u64 {
        self.pool.slot().id()
    }

    /// The module this carrier lives in.
    pub fn module(&self) -> &Module {
        self.pool.module()
    }

    /// Whether the token offers mechanism `ckm` (raw `CKM_*` number); applications ask through
    /// [`hazmat::has_mechanism`](crate::hazmat::has_mechanism).
    pub(crate) fn has_mechanism(&self, ckm: CK_MECHANISM_TYPE) -> bool {
        self.mechanisms.contains(&ckm)
    }
}

/// The token-core verbs, each delegating to the file that carries its idea.
impl Carrier for Pkcs11Carrier {
    fn info(&self) -> Result<CarrierInfo> {
        Ok(carrier_info(&self.token_info()?))
    }

    fn pin_status(&self, role: PinRole) -> Result<PinStatus> {
        Ok(pin_status::from_token(&self.token_info()?, role))
    }

    fn login(&mut self, pin: &Pin, final_try: FinalTry) -> Result<()> {
        self.login_as(PinRole::User, pin.expose(), final_try)
    }

    fn login_admin(&mut self, pin: &AdminPin, final_try: FinalTry) -> Result<()> {
        self.login_as(PinRole::Admin, pin.expose(), final_try)
    }

    fn logout(&mut self) -> Result<()> {
        self.forget_keys();
        self.logout_quietly()
    }

    fn change_pin(&mut self, old: &Pin, new: &Approved<Pin>, final_try: FinalTry) -> Result<()> {
        self.set_user_pin(old, new, final_try)
    }

    fn change_admin_pin(
        &mut self,
        old: &AdminPin,
        new: &Approved<AdminPin>,
        final_try: FinalTry,
    ) -> Result<()> {
        self.set_admin_pin(old, new, final_try)
    }

    fn reset_pin(
        &mut self,
        admin: &AdminPin,
        new_user_pin: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()> {
        self.reset_user_pin(admin, new_user_pin, final_try)
    }

    /// `true` when the module's maker is known to use Rutoken's extended function list (see
    /// the crate docs) and the module exports it with a `C_EX_UnblockUserPIN` entry (resolved
    /// once, when the module is loaded).
    fn can_unblock_pin(&self) -> bool {
        self.module().raw().has_vendor_unblock()
    }

    fn unblock_pin(&mut self, admin: &AdminPin, final_try: FinalTry) -> Result<()> {
        self.unblock_user_pin(admin, final_try)
    }

    fn containers(&self) -> Result<Vec<ContainerInfo>> {
        self.list_containers()
    }

    fn container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        self.find_container(id)
    }

    fn delete_container(&mut self, id: &ContainerId) -> Result<()> {
        self.destroy_container(id)
    }

    fn wipe(&mut self, admin: &AdminPin, new_label: Option<&str>) -> Result<()> {
        self.format_carrier(admin, new_label)
    }

    fn generate(
        &mut self,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        self.generate_container(spec, progress, cancel)
    }

    fn import(&mut self, key: KeyImport) -> Result<ContainerInfo> {
        self.import_container(key)
    }

    fn write_certificate(&mut self, id: &ContainerId, certificate_der: &[u8]) -> Result<()> {
        self.store_certificate(id, certificate_der)
    }

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>> {
        self.sign_request(request)
    }

    fn decrypt_key(&self, request: &KeyDecryption<'_>) -> Result<SecretBytes> {
        self.pool
            .run(|s| {
                self.require_user_login(s)?;
                let (key, kind) = self.key(s, request.container)?;
                decrypt::decrypt_key(s, key, kind, request)
            })
            .map_err(|e| self.explain(e))
    }

    fn agree_key(&self, request: &KeyAgreement<'_>) -> Result<SecretBytes> {
        self.pool
            .run(|s| {
                self.require_user_login(s)?;
                let (key, kind) = self.key(s, request.container)?;
                decrypt::agree_key(s, key, kind, request)
            })
            .map_err(|e| self.explain(e))
    }
}
