//! [`SoftToken`]: the token directory with token-like PIN semantics, implementing
//! [`token_core::Carrier`].

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

#[cfg(doc)]
use token_core::Carrier;
use token_core::{AdminPin, Approved, Error, FinalTry, Pin, PinPolicy, PinRole, PinStatus, Result};
use zeroize::Zeroizing;

use crate::crypto::{self, Key};
use crate::layout::octets;
use crate::store::{
    FailPoint, FileStamp, Lock, PinRecord, Store, StoredAttribute, StoredObject, TokenFile,
};

mod cache;
mod carrier;
mod objects;

use cache::KeyCache;

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
/// use keycarrier_soft_token::{SoftToken, TokenSettings};
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

    /// The gate before any new private key goes onto the token (generation, import, the PKCS#11
    /// module's key creation): refused with [`Error::NotAllowed`] while the admin PIN is a
    /// vendor default, because the admin PIN unwraps the token key (see "The admin PIN" on
    /// [`SoftToken`]).
    pub fn require_admin_pin_changed(&self) -> Result<()> {
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

/// PIN administration with PKCS#11 semantics (`C_InitToken`, `C_InitPIN`, the vendor unblock),
/// beyond the [`Carrier`] API.
impl SoftToken {
    /// Who is logged in through this handle, if anyone (a login belongs to the [`SoftToken`]
    /// value, not to the directory).
    pub fn role(&self) -> Option<PinRole> {
        self.logged_in.as_ref().map(|l| l.role)
    }

    /// PKCS#11 `C_InitToken`: a blank directory gets a new token with this admin PIN and label;
    /// an initialised token is re-initialised (all objects erased, user PIN unset, retry
    /// maximums kept) after `admin_pin` is checked like any other PIN check. Logs out.
    ///
    /// Unlike [`SoftToken::create`], the admin PIN of an existing token must be given; unlike
    /// [`Carrier::wipe`], the PBKDF2 iterations of the new PINs are chosen here.
    pub fn init_token(
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

    /// PKCS#11 `C_InitPIN`: with the admin logged in through this handle, sets the user PIN
    /// (also unblocking it); keys stay usable. [`Error::LoginRequired`] otherwise.
    pub fn init_user_pin(&self, new: &Approved<Pin>) -> Result<()> {
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
    /// usable with it. One atomic write, like every counter change. Needs the admin logged in
    /// through this handle ([`Error::LoginRequired`] otherwise); [`Carrier::unblock_pin`] is
    /// the same with the admin PIN given.
    pub fn unblock_user_pin(&self) -> Result<()> {
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
}
