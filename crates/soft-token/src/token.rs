//! [`SoftToken`]: the token directory with token-like PIN semantics, implementing
//! [`token_core::Carrier`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use der::asn1::OctetString;
use token_core::{
    AdminPin, Approved, BackendEvidence, CancelToken, Carrier, CarrierFamily, CarrierInfo,
    CertificateInfo, ContainerId, ContainerInfo, Error, FinalTry, KeyImport, NewContainer, Pin,
    PinPolicy, PinRole, PinStatus, Progress, ProgressSink, PublicKey, Result, SignInput,
    SignRequest, Stage,
};
use zeroize::Zeroizing;

use crate::attr;
use crate::crypto::{self, Key};
use crate::keys;
use crate::store::{
    FailPoint, FileStamp, Lock, PinRecord, Store, StoredAttribute, StoredObject, TokenFile,
};

/// Settings for a new soft token.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// Token label.
    pub label: String,
    /// Wrong-PIN attempts before the user PIN blocks (default 10).
    pub user_retries: u8,
    /// Wrong-PIN attempts before the admin PIN blocks (default 10).
    pub admin_retries: u8,
    /// PBKDF2-HMAC-Streebog-512 iterations for PIN-derived keys (default 100 000; tests use
    /// fewer, since every PIN check pays for them).
    pub kdf_iterations: u32,
}

impl TokenSettings {
    /// Defaults with a label.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            user_retries: 10,
            admin_retries: 10,
            kdf_iterations: 100_000,
        }
    }
}

/// Knobs for tests, all off by default. Never set them in production code.
#[derive(Debug, Clone, Default)]
pub struct TestKnobs {
    /// Make every state write fail at this point (crash-safety tests).
    pub fail_writes_at: Option<FailPoint>,
    /// Make key generation take this long, in steps that report progress and check cancel
    /// (flow U09 tests).
    pub slow_generation: Option<std::time::Duration>,
}

struct LoggedIn {
    role: PinRole,
    token_key: Key,
}

/// A software key carrier in a directory.
///
/// ```
/// use soft_token::{SoftToken, TokenSettings};
/// use token_core::{
///     AdminPin, CancelToken, Carrier, Error, ErrorCode, FinalTry, GostParamSet, KeyAlgorithm,
///     NewContainer, NoProgress, Pin, PinPolicy, PinRole,
/// };
///
/// let dir = tempfile::tempdir().unwrap();
/// let settings = TokenSettings { kdf_iterations: 1_000, ..TokenSettings::new("Accounting") };
/// let mut token = SoftToken::create(dir.path(), &settings, &AdminPin::new("87654321")).unwrap();
/// // A token made with the vendor default admin PIN asks for a change.
/// assert!(token.pin_status(PinRole::Admin).unwrap().must_change);
///
/// let policy = PinPolicy::default();
/// let user_pin = policy.approve(Pin::new("Rx7mQ2wz"), None).unwrap();
/// token.reset_pin(&AdminPin::new("87654321"), &user_pin, FinalTry::Refuse).unwrap();
/// token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse).unwrap();
/// assert_eq!(token.info().unwrap().label.as_deref(), Some("Accounting"));
///
/// // No key goes onto the token while its admin PIN is the vendor default...
/// let spec = NewContainer::new("Signing key", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
/// let refused = token.generate(&spec, &mut NoProgress, &CancelToken::new()).unwrap_err();
/// assert!(matches!(refused, Error::NotAllowed { .. }));
/// assert_eq!(refused.code(), "KC-NOT-ALLOWED");
/// // ...until it is changed.
/// let admin = policy.approve(AdminPin::new("Adm1nQw8"), None).unwrap();
/// token.change_admin_pin(&AdminPin::new("87654321"), &admin, FinalTry::Refuse).unwrap();
/// token.generate(&spec, &mut NoProgress, &CancelToken::new()).unwrap();
/// ```
///
/// # The admin PIN
///
/// The token directory holds one state file. In it, a random 32-byte *token key* is stored
/// twice: AES-256-GCM-sealed under a key derived from the user PIN, and sealed again under a key
/// derived from the admin PIN (each PBKDF2-HMAC-Streebog-512 with its own 32-byte random salt
/// and [`TokenSettings::kdf_iterations`]). Private keys are stored sealed under the token key.
/// Labels, ids, public keys and certificates are stored in clear.
///
/// What the admin PIN is for:
///
/// * **administration**: setting a new user PIN ([`Carrier::reset_pin`], PKCS#11 `C_InitPIN`
///   after an SO login), restoring the user PIN's retry counter ([`Carrier::unblock_pin`],
///   `C_EX_UnblockUserPIN`), erasing the token ([`Carrier::wipe`], `C_InitToken` on an
///   initialised token) and changing itself ([`Carrier::change_admin_pin`], `C_SetPIN` as SO);
/// * **keeping the keys through an unblock (U06)**: the admin PIN opens the token key, so a
///   new user PIN is set by sealing the *same* token key under it, and every key stays usable.
///
/// The admin cannot sign or read keys through this API (both need the user logged in). But
/// whoever knows the admin PIN can set a new user PIN, and whoever also has a copy of the
/// files can open the token key with it offline: for the keys' confidentiality the admin PIN
/// counts as much as the user PIN. That is why, until the admin PIN has been changed from a
/// vendor default (one of [`token_core::VENDOR_DEFAULT_PINS`], such as the `87654321` banks
/// hand tokens out with), no private key goes onto the token: [`Carrier::generate`] and
/// [`Carrier::import`] fail with [`Error::NotAllowed`] (`KC-NOT-ALLOWED`), and the PKCS#11
/// module answers `C_GenerateKeyPair`, `C_CreateObject` of a private key and `C_CopyObject` of a
/// session private key onto the token with `CKR_PIN_EXPIRED` (its token info shows
/// `CKF_SO_PIN_TO_BE_CHANGED`). `C_UnwrapKey` is not supported at all. Whether a PIN is a vendor
/// default is decided when it is set; [`Carrier::pin_status`] reports it
/// ([`PinStatus::default_pin`](token_core::PinStatus::default_pin)). Keys already on a token are
/// not affected, and signing never needs the admin PIN.
///
/// What neither PIN protects against:
///
/// * **offline guessing**: whoever has a copy of the state file can try PINs against either
///   sealed copy of the token key at their own pace; the retry counters live in that same file
///   and count only tries made through this code. The PBKDF2 iterations only make each guess
///   slower, so a weak PIN (user *or* admin: the weaker one decides) falls;
/// * **the logged-in process**: while the user is logged in, the token key and the parsed
///   private keys are in this process's memory, and code running as the same user (malware)
///   can sign with the token, read that memory, or capture the PIN as it is typed;
/// * **old copies of the files**: changing a PIN seals the *same* token key under the new PIN;
///   the token key itself is only replaced by a wipe or re-initialisation. A copy of the state
///   file taken while the admin PIN was still the vendor default keeps opening the token key,
///   and with it every key generated later;
/// * **changes to the files**: only the sealed values are authenticated. Whoever can write the
///   directory can delete objects, change clear attributes, or put back an older copy of the
///   state file (and with it older PINs and fuller retry counters).
pub struct SoftToken {
    store: Store,
    logged_in: Option<LoggedIn>,
    cache: Mutex<KeyCache>,
    state_cache: Mutex<Option<(FileStamp, Arc<TokenFile>)>>,
    knobs: TestKnobs,
}

impl core::fmt::Debug for SoftToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftToken")
            .field("dir", &self.store.dir())
            .field("logged_in", &self.logged_in.as_ref().map(|l| l.role))
            .finish_non_exhaustive()
    }
}

/// The reason of the [`Error::NotAllowed`] that refuses new keys while the admin PIN is a
/// vendor default.
const DEFAULT_ADMIN_PIN: &str =
    "change the vendor default admin PIN before generating or importing keys";

fn octets(v: Vec<u8>) -> Result<OctetString> {
    OctetString::new(v).map_err(|e| Error::malformed_der("soft token value", e))
}

fn new_pin_record(pin: &[u8], token_key: &Key, retries: u8, iterations: u32) -> Result<PinRecord> {
    let mut salt = vec![0u8; 32];
    crypto::random(&mut salt)?;
    let kek = crypto::derive_kek(pin, &salt, iterations);
    let wrapped = crypto::seal(&kek, b"keycarrier soft token key", token_key.as_ref())?;
    Ok(PinRecord {
        salt: octets(salt)?,
        iterations,
        wrapped_token_key: octets(wrapped)?,
        retries_left: retries,
        max_retries: retries,
        must_change: false,
        is_default: PinPolicy::default().is_forbidden(pin),
    })
}

fn status_of(role: PinRole, rec: Option<&PinRecord>) -> PinStatus {
    match rec {
        None => PinStatus {
            must_change: true,
            ..PinStatus::unknown(role)
        },
        Some(r) => PinStatus {
            role,
            retries_left: Some(r.retries_left),
            max_retries: Some(r.max_retries),
            count_low: r.retries_left < r.max_retries,
            final_try: r.retries_left == 1,
            locked: r.retries_left == 0,
            must_change: r.must_change || r.is_default,
            default_pin: Some(r.is_default),
        },
    }
}

fn pin_record_mut(state: &mut TokenFile, role: PinRole) -> Result<&mut PinRecord> {
    match role {
        PinRole::Admin => Ok(&mut state.so_pin),
        PinRole::User => state.user_pin.as_mut().ok_or_else(|| Error::NotAllowed {
            reason: "the user PIN is not set; set it with the admin PIN first".into(),
        }),
    }
}

impl SoftToken {
    /// Opens the token in `dir`. A directory without a token opens as a blank carrier.
    pub fn open(dir: &Path) -> Self {
        Self {
            store: Store::new(dir),
            logged_in: None,
            cache: Mutex::new(KeyCache::default()),
            state_cache: Mutex::new(None),
            knobs: TestKnobs::default(),
        }
    }

    /// Initialises a token in `dir` (PKCS#11 `C_InitToken`): sets the label and the admin PIN,
    /// erasing whatever was there. The user PIN is set afterwards with [`Carrier::reset_pin`].
    ///
    /// The initial admin PIN is not policy-checked (banks hand out tokens with the vendor default
    /// `87654321`), but a default PIN marks the token "PIN must be changed".
    pub fn create(dir: &Path, settings: &TokenSettings, admin_pin: &AdminPin) -> Result<Self> {
        let token = Self::open(dir);
        let lock = token.store.lock()?;
        token.initialise(&lock, settings.label.clone(), settings, admin_pin)?;
        drop(lock);
        Ok(token)
    }

    fn initialise(
        &self,
        lock: &Lock,
        label: String,
        settings: &TokenSettings,
        admin_pin: &AdminPin,
    ) -> Result<()> {
        if admin_pin.is_empty() {
            return Err(Error::PinLengthRange);
        }
        let token_key = crypto::random_key()?;
        let mut serial = [0u8; 8];
        crypto::random(&mut serial)?;
        let state = TokenFile {
            version: crate::store::VERSION,
            label,
            serial: serial.iter().map(|b| format!("{b:02X}")).collect(),
            so_pin: new_pin_record(
                admin_pin.expose(),
                &token_key,
                settings.admin_retries,
                settings.kdf_iterations,
            )?,
            user_pin: None,
            next_uid: 1,
            objects: Vec::new(),
        };
        self.store.save(lock, &state)
    }

    /// Sets test knobs (see [`TestKnobs`]).
    pub fn set_test_knobs(&mut self, knobs: TestKnobs) {
        self.store.set_fail_point(knobs.fail_writes_at);
        self.knobs = knobs;
    }

    /// The token directory.
    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Runs `f` on the state under the lock and saves what it returns `Ok` for.
    fn update<T>(&self, f: impl FnOnce(&mut TokenFile) -> Result<T>) -> Result<T> {
        let lock = self.store.lock()?;
        let mut state = self.store.load(&lock)?;
        let out = f(&mut state)?;
        self.store.save(&lock, &state)?;
        Ok(out)
    }

    /// The current state, parsed once per version of the state file: a `stat` decides whether
    /// the cached parse is still the file's content (every write replaces the file).
    fn read(&self) -> Result<Arc<TokenFile>> {
        let stamp = self.store.stamp()?;
        if let Some((cached, state)) = self
            .state_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && *cached == stamp
        {
            return Ok(Arc::clone(state));
        }
        let lock = self.store.lock()?;
        // Under the lock the stamp names exactly the content `load` reads.
        let stamp = self.store.stamp()?;
        let state = Arc::new(self.store.load(&lock)?);
        drop(lock);
        *self
            .state_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((stamp, Arc::clone(&state)));
        Ok(state)
    }

    /// Checks a PIN like a token does: refuse a blocked PIN or an unpermitted final try,
    /// decrement and persist the counter *before* comparing, reset it on success. Returns the
    /// token key.
    fn verify_pin(&self, role: PinRole, pin: &[u8], final_try: FinalTry) -> Result<Key> {
        let lock = self.store.lock()?;
        let mut state = self.store.load(&lock)?;
        let rec = pin_record_mut(&mut state, role)?;
        status_of(role, Some(rec)).guard(final_try)?;
        rec.retries_left = rec.retries_left.saturating_sub(1);
        let rec_snapshot = rec.clone();
        self.store.save(&lock, &state)?;

        let kek = crypto::derive_kek(pin, rec_snapshot.salt.as_bytes(), rec_snapshot.iterations);
        let opened = crypto::open(
            &kek,
            b"keycarrier soft token key",
            rec_snapshot.wrapped_token_key.as_bytes(),
        );
        let Some(plain) = opened else {
            return Err(Error::WrongPin {
                role,
                retries_left: Some(rec_snapshot.retries_left),
            });
        };
        let key: [u8; crypto::KEY_LEN] =
            plain.as_slice().try_into().map_err(|_| Error::Malformed {
                what: "soft token state",
                at: None,
                reason: "token key has the wrong length".into(),
            })?;
        let rec = pin_record_mut(&mut state, role)?;
        rec.retries_left = rec.max_retries;
        self.store.save(&lock, &state)?;
        Ok(Zeroizing::new(key))
    }

    fn set_pin_record(&self, role: PinRole, pin: &[u8], token_key: &Key) -> Result<()> {
        self.update(|state| {
            let (retries, iterations) = match (role, state.user_pin.as_ref()) {
                (PinRole::User, Some(r)) => (r.max_retries, r.iterations),
                (PinRole::User, None) => (state.so_pin.max_retries, state.so_pin.iterations),
                (PinRole::Admin, _) => (state.so_pin.max_retries, state.so_pin.iterations),
            };
            let rec = new_pin_record(pin, token_key, retries, iterations)?;
            match role {
                PinRole::User => state.user_pin = Some(rec),
                PinRole::Admin => state.so_pin = rec,
            }
            Ok(())
        })
    }

    fn user_key(&self) -> Result<&Key> {
        match &self.logged_in {
            Some(LoggedIn {
                role: PinRole::User,
                token_key,
            }) => Ok(token_key),
            _ => Err(Error::LoginRequired {
                role: PinRole::User,
            }),
        }
    }

    /// Whether the admin PIN is still a vendor default (decided when it was set: one of
    /// [`PinPolicy::default`]'s forbidden PINs, i.e. [`token_core::VENDOR_DEFAULT_PINS`]).
    fn admin_pin_is_default(&self) -> Result<bool> {
        Ok(self.read()?.so_pin.is_default)
    }

    /// The gate before any new private key goes onto the token (generation, import): refused
    /// with [`Error::NotAllowed`] while the admin PIN is a vendor default, because the admin
    /// PIN unwraps the token key (see "The admin PIN" on [`SoftToken`]).
    pub(crate) fn require_admin_pin_changed(&self) -> Result<()> {
        if self.admin_pin_is_default()? {
            return Err(Error::NotAllowed {
                reason: DEFAULT_ADMIN_PIN.into(),
            });
        }
        Ok(())
    }

    /// Adds objects in one atomic write (nothing is written on error); returns their uids.
    fn add_objects(&self, objects: Vec<Vec<StoredAttribute>>) -> Result<Vec<u64>> {
        self.update(|state| {
            let mut uids = Vec::with_capacity(objects.len());
            for attributes in objects {
                let uid = state.next_uid;
                state.next_uid = uid.checked_add(1).ok_or_else(|| Error::NotAllowed {
                    reason: "object counter exhausted".into(),
                })?;
                state.objects.push(StoredObject { uid, attributes });
                uids.push(uid);
            }
            Ok(uids)
        })
    }
}

/// Reads an attribute's clear value.
fn get(obj: &StoredObject, kind: u64) -> Option<&[u8]> {
    obj.attributes
        .iter()
        .find(|a| a.kind == kind && !a.sealed)
        .map(|a| a.value.as_bytes())
}

fn class_of(obj: &StoredObject) -> Option<u64> {
    get(obj, attr::CLASS).and_then(attr::read_ulong)
}

fn clear(kind: u64, value: Vec<u8>) -> Result<StoredAttribute> {
    Ok(StoredAttribute {
        kind,
        value: octets(value)?,
        sealed: false,
    })
}

fn containers_of(state: &TokenFile) -> Result<Vec<ContainerInfo>> {
    let mut out: Vec<ContainerInfo> = Vec::new();
    for obj in &state.objects {
        let (Some(class), Some(id)) = (class_of(obj), get(obj, attr::ID)) else {
            continue;
        };
        let id = ContainerId::new(id.to_vec());
        let label = get(obj, attr::LABEL).map(|l| String::from_utf8_lossy(l).into_owned());
        if class == attr::CKO_PRIVATE_KEY || class == attr::CKO_PUBLIC_KEY {
            let Some(spki) = get(obj, attr::KC_SPKI) else {
                continue;
            };
            let public_key = PublicKey::from_spki_der(spki)?;
            let flag = |kind| get(obj, kind).is_some_and(|v| v == [1]);
            let entry = match out.iter_mut().find(|c| c.id == id) {
                Some(entry) => entry,
                None => {
                    out.push(ContainerInfo {
                        id: id.clone(),
                        label: label.clone(),
                        algorithm: public_key.algorithm(),
                        public_key,
                        certificates: Vec::new(),
                        has_private_key: false,
                        extractable: false,
                        sensitive: false,
                    });
                    out.last_mut().ok_or_else(|| Error::NotFound {
                        what: "container".into(),
                    })?
                }
            };
            if class == attr::CKO_PRIVATE_KEY {
                entry.has_private_key = true;
                entry.extractable = flag(attr::EXTRACTABLE);
                entry.sensitive = flag(attr::SENSITIVE);
                if label.is_some() {
                    entry.label = label;
                }
            }
        }
    }
    for obj in &state.objects {
        if class_of(obj) != Some(attr::CKO_CERTIFICATE) {
            continue;
        }
        let (Some(id), Some(der)) = (get(obj, attr::ID), get(obj, attr::VALUE)) else {
            continue;
        };
        if let Some(entry) = out.iter_mut().find(|c| c.id.as_bytes() == id) {
            entry.certificates.push(der.to_vec());
        }
    }
    Ok(out)
}

/// The attributes of a new key pair's two objects.
fn key_pair_objects(
    id: &ContainerId,
    label: &str,
    spki: &PublicKey,
    sealed_pkcs8: Vec<u8>,
    extractable: bool,
    local: bool,
) -> Result<Vec<Vec<StoredAttribute>>> {
    let spki_der = spki.to_der()?;
    let (key_type, mut algorithm_attrs) = keys::pkcs11_key_attributes(spki)?;
    let mut common = vec![
        clear(attr::KEY_TYPE, attr::ulong(key_type))?,
        clear(attr::ID, id.as_bytes().to_vec())?,
        clear(attr::LABEL, label.as_bytes().to_vec())?,
        clear(attr::TOKEN, attr::bool(true))?,
        clear(attr::LOCAL, attr::bool(local))?,
        clear(attr::KC_SPKI, spki_der)?,
    ];
    common.append(&mut algorithm_attrs);
    let mut private = common.clone();
    private.extend([
        clear(attr::CLASS, attr::ulong(attr::CKO_PRIVATE_KEY))?,
        clear(attr::PRIVATE, attr::bool(true))?,
        clear(attr::SENSITIVE, attr::bool(!extractable))?,
        clear(attr::EXTRACTABLE, attr::bool(extractable))?,
        clear(attr::SIGN, attr::bool(true))?,
        StoredAttribute {
            kind: attr::KC_PKCS8,
            value: octets(sealed_pkcs8)?,
            sealed: true,
        },
    ]);
    let mut public = common;
    public.extend([
        clear(attr::CLASS, attr::ulong(attr::CKO_PUBLIC_KEY))?,
        clear(attr::PRIVATE, attr::bool(false))?,
        clear(attr::VERIFY, attr::bool(true))?,
    ]);
    if let Some(value) = keys::gost_public_value(spki) {
        public.push(clear(attr::VALUE, value)?);
    }
    Ok(vec![private, public])
}

fn aad(id: &ContainerId) -> Vec<u8> {
    let mut aad = b"keycarrier private key ".to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// Private keys of the logged-in user, parsed once and reused while the state file is the
/// one they were read from. Signing is the hot path: without this, every signature would read
/// and parse the state, decrypt the key and re-derive its public key. Cleared on every change
/// of the login state, so no key outlives a logout.
#[derive(Default)]
struct KeyCache {
    stamp: Option<FileStamp>,
    by_id: HashMap<ContainerId, u64>,
    keys: HashMap<u64, Arc<keys::Private>>,
}

impl SoftToken {
    fn clear_key_cache(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        *cache = KeyCache::default();
    }

    /// The cache, emptied first when the state file changed since it was filled.
    fn fresh_cache(&self) -> Result<MutexGuard<'_, KeyCache>> {
        let stamp = self.store.stamp()?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.stamp != Some(stamp) {
            *cache = KeyCache {
                stamp: Some(stamp),
                ..KeyCache::default()
            };
        }
        Ok(cache)
    }

    /// The uid of the private key object in container `id`.
    fn private_key_uid(&self, id: &ContainerId) -> Result<u64> {
        if let Some(uid) = self.fresh_cache()?.by_id.get(id) {
            return Ok(*uid);
        }
        let state = self.read()?;
        let uid = state
            .objects
            .iter()
            .find(|o| {
                class_of(o) == Some(attr::CKO_PRIVATE_KEY)
                    && get(o, attr::ID) == Some(id.as_bytes())
            })
            .map(|o| o.uid)
            .ok_or_else(|| Error::NotFound {
                what: format!("private key in container {id}"),
            })?;
        self.fresh_cache()?.by_id.insert(id.clone(), uid);
        Ok(uid)
    }

    /// The parsed private key of object `uid` (user login required).
    pub(crate) fn private_key(&self, uid: u64) -> Result<Arc<keys::Private>> {
        self.user_key()?;
        if let Some(key) = self.fresh_cache()?.keys.get(&uid) {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(keys::private_key(&self.private_key_der(uid)?)?);
        self.fresh_cache()?.keys.insert(uid, Arc::clone(&key));
        Ok(key)
    }
}

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
}

/// Applies clear attribute values to an object; a new `CKA_ID` re-seals its key material
/// under the new id (needs the token key, i.e. the user logged in).
fn apply_values(
    obj: &mut StoredObject,
    values: Vec<(u64, Vec<u8>)>,
    token_key: Option<&crypto::Key>,
) -> Result<()> {
    for (kind, value) in values {
        if kind == attr::ID {
            let old_id = ContainerId::new(get(obj, attr::ID).unwrap_or_default().to_vec());
            let new_id = ContainerId::new(value.clone());
            if let Some(sealed) = obj
                .attributes
                .iter_mut()
                .find(|a| a.kind == attr::KC_PKCS8 && a.sealed)
            {
                let key = token_key.ok_or(Error::LoginRequired {
                    role: PinRole::User,
                })?;
                let plain = crypto::open(key, &aad(&old_id), sealed.value.as_bytes())
                    .ok_or_else(damaged_key)?;
                sealed.value = octets(crypto::seal(key, &aad(&new_id), &plain)?)?;
            }
        }
        obj.attributes.retain(|a| a.kind != kind);
        obj.attributes.push(clear(kind, value)?);
    }
    Ok(())
}

fn certificate_object(id: &ContainerId, label: &str, der: &[u8]) -> Result<Vec<StoredAttribute>> {
    Ok(vec![
        clear(attr::CLASS, attr::ulong(attr::CKO_CERTIFICATE))?,
        clear(attr::CERTIFICATE_TYPE, attr::ulong(attr::CKC_X_509))?,
        clear(attr::ID, id.as_bytes().to_vec())?,
        clear(attr::LABEL, label.as_bytes().to_vec())?,
        clear(attr::TOKEN, attr::bool(true))?,
        clear(attr::PRIVATE, attr::bool(false))?,
        clear(attr::VALUE, der.to_vec())?,
    ])
}

/// What the PKCS#11 module (`crate::module`) needs beyond the [`Carrier`] API. PIN checks and
/// key sealing stay in this file: the module never compares a PIN or touches a token key.
impl SoftToken {
    /// The whole state, read under the lock.
    pub(crate) fn state(&self) -> Result<Arc<TokenFile>> {
        self.read()
    }

    /// Who is logged in on this token, if anyone.
    pub(crate) fn role(&self) -> Option<PinRole> {
        self.logged_in.as_ref().map(|l| l.role)
    }

    /// `C_InitToken`: a blank token is created; an initialised one is re-initialised (all objects
    /// erased, user PIN unset) after its SO PIN is checked like any other PIN check.
    pub(crate) fn init_token(
        &mut self,
        admin_pin: &AdminPin,
        label: &str,
        kdf_iterations: u32,
    ) -> Result<()> {
        let existing = match self.read() {
            Ok(state) => Some(state),
            Err(Error::CarrierNotInitialized) => None,
            Err(e) => return Err(e),
        };
        let mut settings = TokenSettings {
            kdf_iterations,
            ..TokenSettings::new(label)
        };
        if let Some(state) = existing {
            self.verify_pin(PinRole::Admin, admin_pin.expose(), FinalTry::Allow)?;
            settings.admin_retries = state.so_pin.max_retries;
            settings.user_retries = state.user_pin.as_ref().map_or(10, |r| r.max_retries);
        }
        self.clear_key_cache();
        self.logged_in = None;
        let lock = self.store.lock()?;
        self.initialise(&lock, label.to_owned(), &settings, admin_pin)
    }

    /// `C_InitPIN`: the logged-in SO sets the user PIN (also unblocking it).
    pub(crate) fn init_user_pin(&self, new: &Approved<Pin>) -> Result<()> {
        match &self.logged_in {
            Some(LoggedIn {
                role: PinRole::Admin,
                token_key,
            }) => self.set_pin_record(PinRole::User, new.expose(), token_key),
            _ => Err(Error::LoginRequired {
                role: PinRole::Admin,
            }),
        }
    }

    /// Rutoken's `C_EX_UnblockUserPIN`: the logged-in SO restores the user PIN's retry counter
    /// (clearing locked / count-low / final-try) and **keeps** the user PIN, so keys stay
    /// usable with it. One atomic write, like every counter change.
    pub(crate) fn unblock_user_pin(&self) -> Result<()> {
        if self.role() != Some(PinRole::Admin) {
            return Err(Error::LoginRequired {
                role: PinRole::Admin,
            });
        }
        self.restore_user_retries()
    }

    /// The vendor unblock's effect: the user PIN's retry counter back to its maximum (which
    /// clears locked / count-low / final-try), the PIN itself kept. One atomic write.
    fn restore_user_retries(&self) -> Result<()> {
        self.update(|state| {
            let rec = pin_record_mut(state, PinRole::User)?;
            rec.retries_left = rec.max_retries;
            Ok(())
        })
    }

    /// Adds one object; returns its uid.
    pub(crate) fn add_object(&self, attributes: Vec<StoredAttribute>) -> Result<u64> {
        self.add_objects(vec![attributes])?
            .first()
            .copied()
            .ok_or_else(|| Error::NotFound {
                what: "new object".into(),
            })
    }

    /// Seals PKCS#8 private key material for a private key object with CKA_ID `id`, the way
    /// generated keys are sealed (the id is bound in). Needs the user logged in and the admin
    /// PIN changed from a vendor default ([`Self::require_admin_pin_changed`]).
    pub(crate) fn seal_private_key(&self, id: &[u8], pkcs8: &[u8]) -> Result<StoredAttribute> {
        let token_key = self.user_key()?;
        self.require_admin_pin_changed()?;
        let sealed = crypto::seal(token_key, &aad(&ContainerId::new(id.to_vec())), pkcs8)?;
        Ok(StoredAttribute {
            kind: attr::KC_PKCS8,
            value: octets(sealed)?,
            sealed: true,
        })
    }

    /// Removes one object.
    pub(crate) fn destroy_object(&self, uid: u64) -> Result<()> {
        self.update(|state| {
            let before = state.objects.len();
            state.objects.retain(|o| o.uid != uid);
            if state.objects.len() == before {
                return Err(Error::NotFound {
                    what: format!("object {uid}"),
                });
            }
            Ok(())
        })
    }

    /// Sets clear attributes of one object. A new `CKA_ID` on a private key re-seals its key
    /// material (the sealing binds the id), which needs the user logged in.
    pub(crate) fn set_attributes(&self, uid: u64, values: Vec<(u64, Vec<u8>)>) -> Result<()> {
        let token_key = self.user_key().ok().map(|k| Zeroizing::new(**k));
        self.update(|state| {
            let obj = state
                .objects
                .iter_mut()
                .find(|o| o.uid == uid)
                .ok_or_else(|| Error::NotFound {
                    what: format!("object {uid}"),
                })?;
            apply_values(obj, values, token_key.as_ref())
        })
    }

    /// Copies object `uid` with `values` applied (as [`Self::set_attributes`] would), in one
    /// write; returns the copy's uid. Key material is copied sealed, re-sealed on a new id.
    pub(crate) fn copy_object(&self, uid: u64, values: Vec<(u64, Vec<u8>)>) -> Result<u64> {
        let token_key = self.user_key().ok().map(|k| Zeroizing::new(**k));
        self.update(|state| {
            let mut copy = state
                .objects
                .iter()
                .find(|o| o.uid == uid)
                .cloned()
                .ok_or_else(|| Error::NotFound {
                    what: format!("object {uid}"),
                })?;
            apply_values(&mut copy, values, token_key.as_ref())?;
            copy.uid = state.next_uid;
            state.next_uid = copy.uid.checked_add(1).ok_or_else(|| Error::NotAllowed {
                reason: "object counter exhausted".into(),
            })?;
            let new_uid = copy.uid;
            state.objects.push(copy);
            Ok(new_uid)
        })
    }

    /// The PKCS#8 DER of the private key object `uid`; needs the user logged in.
    pub(crate) fn private_key_der(&self, uid: u64) -> Result<Zeroizing<Vec<u8>>> {
        let token_key = self.user_key()?;
        let state = self.read()?;
        let obj = state
            .objects
            .iter()
            .find(|o| o.uid == uid)
            .ok_or_else(|| Error::NotFound {
                what: format!("object {uid}"),
            })?;
        let sealed = obj
            .attributes
            .iter()
            .find(|a| a.kind == attr::KC_PKCS8 && a.sealed)
            .ok_or_else(|| Error::NotFound {
                what: "private key material".into(),
            })?;
        let id = ContainerId::new(get(obj, attr::ID).unwrap_or_default().to_vec());
        crypto::open(token_key, &aad(&id), sealed.value.as_bytes()).ok_or_else(damaged_key)
    }

    /// `C_GenerateKeyPair`: generates and stores a key pair (honouring the slow-generation
    /// knob); returns the (private, public) uids. `id` defaults to one derived from the key.
    /// Needs the user logged in and the admin PIN changed from a vendor default.
    pub(crate) fn generate_key_pair(
        &self,
        algorithm: token_core::KeyAlgorithm,
        id: Option<Vec<u8>>,
        private_label: &str,
        public_label: &str,
        extractable: bool,
    ) -> Result<(u64, u64)> {
        let token_key = Zeroizing::new(**self.user_key()?);
        self.require_admin_pin_changed()?;
        if let Some(delay) = self.knobs.slow_generation {
            std::thread::sleep(delay);
        }
        let generated = keys::generate(algorithm)?;
        let id = id.map_or_else(
            || ContainerId::derived_from(&generated.public_key),
            ContainerId::new,
        );
        let sealed = crypto::seal(&token_key, &aad(&id), generated.pkcs8.expose())?;
        let mut objects = key_pair_objects(
            &id,
            private_label,
            &generated.public_key,
            sealed,
            extractable,
            true,
        )?;
        if let Some(public) = objects.get_mut(1) {
            public.retain(|a| a.kind != attr::LABEL);
            public.push(clear(attr::LABEL, public_label.as_bytes().to_vec())?);
        }
        let uids = self.add_objects(objects)?;
        match uids.as_slice() {
            [private, public] => Ok((*private, *public)),
            _ => Err(damaged_key()),
        }
    }
}

/// A generated key pair not yet stored: both objects' attributes (the private one without key
/// material) and the private key's PKCS#8 DER.
pub(crate) struct NewKeyPair {
    /// CKA_ID of both objects.
    pub(crate) id: Vec<u8>,
    /// The private key object's clear attributes.
    pub(crate) private: Vec<StoredAttribute>,
    /// The public key object's attributes.
    pub(crate) public: Vec<StoredAttribute>,
    /// The private key, PKCS#8 DER.
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
}

/// Generates a key pair for `C_GenerateKeyPair` with session halves: the same attributes as
/// [`SoftToken::generate_key_pair`] gives its objects, nothing stored, nothing sealed.
pub(crate) fn new_key_pair(
    algorithm: token_core::KeyAlgorithm,
    id: Option<Vec<u8>>,
    private_label: &str,
    public_label: &str,
    extractable: bool,
) -> Result<NewKeyPair> {
    let generated = keys::generate(algorithm)?;
    let id = id.map_or_else(
        || ContainerId::derived_from(&generated.public_key),
        ContainerId::new,
    );
    let objects = key_pair_objects(
        &id,
        private_label,
        &generated.public_key,
        Vec::new(),
        extractable,
        true,
    )?;
    let [mut private, mut public]: [Vec<StoredAttribute>; 2] =
        objects.try_into().map_err(|_| damaged_key())?;
    private.retain(|a| a.kind != attr::KC_PKCS8);
    public.retain(|a| a.kind != attr::LABEL);
    public.push(clear(attr::LABEL, public_label.as_bytes().to_vec())?);
    Ok(NewKeyPair {
        id: id.as_bytes().to_vec(),
        private,
        public,
        pkcs8: Zeroizing::new(generated.pkcs8.expose().to_vec()),
    })
}

fn damaged_key() -> Error {
    Error::Backend(BackendEvidence::Other(
        "soft token: stored private key does not decrypt (damaged store)".into(),
    ))
}
