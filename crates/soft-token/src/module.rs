//! The PKCS#11 module's logic in safe Rust: slots, sessions, login state, objects and
//! operations, with PKCS#11 return values as errors. `ffi` only converts C arguments.
//!
//! Token object handles are the store's object uids; session objects (CKA_TOKEN = false, in
//! memory only, gone with the session that made them) have handles from
//! `SESSION_OBJECT_BASE` up; session handles count up from 1. All state is behind one global
//! mutex ([`with`]), so the module is safe to call from many threads (`CKF_OS_LOCKING_OK`);
//! PIN checks and store writes are serialised by it. Signing and verification ([`sign`],
//! [`verify`]) only look up the session and key under it and compute after releasing it, so
//! sessions sign in parallel.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use cryptoki_sys::*;
use der::{Decode, Encode};
use token_core::{
    AdminPin, Approved, Carrier, Error, GostKeySize, GostParamSet, KeyAlgorithm, Pin, PinAlphabet,
    PinPolicy, PinRole, PinStatus,
};
use zeroize::Zeroizing;

use crate::attr;
use crate::config::Config;
use crate::consts::{CKK_GOSTR3410_512, CKM_GOSTR3410_512_KEY_PAIR_GEN, MAX_PIN_LEN, MIN_PIN_LEN};
use crate::create;
use crate::keys::Private;
use crate::mech::{self, DigestMech, PssParams, SignMech};
use crate::store::{StoredAttribute, StoredObject};
use crate::token::SoftToken;

/// A PKCS#11 result.
pub(crate) type R<T> = Result<T, CK_RV>;

/// An attribute as the caller gives or gets it: type and value bytes in the C layout. The
/// value is zeroized when dropped: templates carry private key material (C_CreateObject).
pub(crate) type Attr = (CK_ATTRIBUTE_TYPE, Zeroizing<Vec<u8>>);

static MODULE: Mutex<Option<Module>> = Mutex::new(None);

fn lock() -> std::sync::MutexGuard<'static, Option<Module>> {
    // A panic inside a call was caught at the FFI boundary; the durable state is on disk and
    // every change to it is atomic, so the in-memory state is still usable.
    MODULE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// C_Initialize.
pub(crate) fn initialize() -> R<()> {
    let mut guard = lock();
    if guard.is_some() {
        return Err(CKR_CRYPTOKI_ALREADY_INITIALIZED);
    }
    let config = Config::from_env().map_err(|e| {
        eprintln!("keycarrier soft token: {e}");
        CKR_GENERAL_ERROR
    })?;
    *guard = Some(Module::new(&config));
    Ok(())
}

/// C_Finalize.
pub(crate) fn finalize() -> R<()> {
    lock().take().map(drop).ok_or(CKR_CRYPTOKI_NOT_INITIALIZED)
}

/// Runs `f` on the initialised module.
pub(crate) fn with<T>(f: impl FnOnce(&mut Module) -> R<T>) -> R<T> {
    let mut guard = lock();
    let module = guard.as_mut().ok_or(CKR_CRYPTOKI_NOT_INITIALIZED)?;
    f(module)
}

/// What a sign call leaves to do once the module lock is released.
pub(crate) enum Prepared<Op> {
    /// Nothing: a length answer.
    Done(Out),
    /// The operation, taken out of its session.
    Run(Op),
}

/// C_Sign: the session and key are looked up under the module lock; the signature is computed
/// after the lock is released, so sessions sign in parallel. (PKCS#11 forbids concurrent calls
/// on one session, and the operation has left its session, so nothing else can see it.)
pub(crate) fn sign(h: CK_SESSION_HANDLE, data: &[u8], cap: Option<usize>) -> R<Out> {
    match with(|m| m.sign_prepare(h, data, cap))? {
        Prepared::Done(out) => Ok(out),
        Prepared::Run(op) => op.mech.sign(&op.key, data).map(Out::Data),
    }
}

/// C_SignFinal, signing outside the module lock like [`sign`].
pub(crate) fn sign_final(h: CK_SESSION_HANDLE, cap: Option<usize>) -> R<Out> {
    match with(|m| m.sign_final_prepare(h, cap))? {
        Prepared::Done(out) => Ok(out),
        Prepared::Run(op) => op.mech.sign(&op.key, &op.data).map(Out::Data),
    }
}

/// C_Verify (`data` = Some) and C_VerifyFinal (`data` = None), verifying outside the module
/// lock.
pub(crate) fn verify(h: CK_SESSION_HANDLE, data: Option<&[u8]>, signature: &[u8]) -> R<()> {
    let op = with(|m| m.verify_take(h, data))?;
    op.mech
        .verify(&op.spki, data.unwrap_or(&op.data), signature)
}

/// What an output-producing call returns: the ffi writes `Data` if it fits, else reports
/// `CKR_BUFFER_TOO_SMALL` with the length.
pub(crate) enum Out {
    /// Only the length was asked for (NULL buffer); the operation stays active.
    Len(usize),
    /// The buffer was too small; the operation stays active.
    TooSmall(usize),
    /// The result; the operation is finished.
    Data(Vec<u8>),
}

struct Slot {
    id: CK_SLOT_ID,
    token: SoftToken,
}

struct SignOp {
    mech: SignMech,
    key: Arc<Private>,
    sig_len: usize,
    data: Vec<u8>,
    updated: bool,
}

struct VerifyOp {
    mech: SignMech,
    spki: Vec<u8>,
    sig_len: usize,
    data: Vec<u8>,
    updated: bool,
}

struct DigestOp {
    mech: DigestMech,
    data: Vec<u8>,
    updated: bool,
}

struct Session {
    slot: CK_SLOT_ID,
    rw: bool,
    find: Option<Vec<u64>>,
    sign: Option<SignOp>,
    verify: Option<VerifyOp>,
    digest: Option<DigestOp>,
}

/// A session object (CKA_TOKEN = false): kept in memory only, visible to every session of the
/// application on its token (a private one only while the user is logged in), destroyed when
/// the session that made it closes.
struct SessionObject {
    slot: CK_SLOT_ID,
    owner: CK_SESSION_HANDLE,
    /// The attributes; `uid` is the object handle. Never holds key material.
    obj: StoredObject,
    /// A private key's material (never sealed: it never reaches the disk).
    secret: Option<create::Secret>,
}

/// Session object handles start here, far above the token's object uids (which count up from
/// 1), so the two never meet.
const SESSION_OBJECT_BASE: CK_OBJECT_HANDLE = 1 << 62;

/// The module state.
pub(crate) struct Module {
    slots: Vec<Slot>,
    sessions: BTreeMap<CK_SESSION_HANDLE, Session>,
    next_session: CK_SESSION_HANDLE,
    session_objects: BTreeMap<CK_OBJECT_HANDLE, SessionObject>,
    next_session_object: CK_OBJECT_HANDLE,
    kdf_iterations: u32,
}

/// What C_GetTokenInfo reports.
pub(crate) struct TokenDesc {
    pub(crate) label: String,
    pub(crate) serial: String,
    pub(crate) flags: CK_FLAGS,
    pub(crate) sessions: usize,
    pub(crate) rw_sessions: usize,
}

/// What C_GetSessionInfo reports.
pub(crate) struct SessionDesc {
    pub(crate) slot: CK_SLOT_ID,
    pub(crate) state: CK_STATE,
    pub(crate) flags: CK_FLAGS,
}

/// An attribute lookup's outcome.
pub(crate) enum Lookup {
    /// The value in the C layout.
    Value(Vec<u8>),
    /// CKR_ATTRIBUTE_SENSITIVE.
    Sensitive,
    /// CKR_ATTRIBUTE_TYPE_INVALID.
    Invalid,
}

/// Maps the token's errors to PKCS#11 return values.
pub(crate) fn rv(e: &Error) -> CK_RV {
    match e {
        Error::WrongPin { .. } => CKR_PIN_INCORRECT,
        Error::PinLocked { .. } | Error::FinalTryRefused { .. } => CKR_PIN_LOCKED,
        Error::PinPolicy(v) => {
            if v.iter().any(|v| {
                matches!(
                    v,
                    token_core::PolicyViolation::TooShort { .. }
                        | token_core::PolicyViolation::TooLong { .. }
                )
            }) {
                CKR_PIN_LEN_RANGE
            } else {
                CKR_PIN_INVALID
            }
        }
        Error::LoginRequired { .. } => CKR_USER_NOT_LOGGED_IN,
        Error::PinLengthRange => CKR_PIN_LEN_RANGE,
        Error::CarrierNotInitialized => CKR_TOKEN_NOT_RECOGNIZED,
        Error::CarrierAbsent | Error::CarrierRemoved => CKR_TOKEN_NOT_PRESENT,
        Error::NotFound { .. } => CKR_OBJECT_HANDLE_INVALID,
        Error::Unsupported { .. } => CKR_FUNCTION_NOT_SUPPORTED,
        Error::Cancelled => CKR_FUNCTION_CANCELED,
        Error::VerificationFailed { .. } => CKR_SIGNATURE_INVALID,
        Error::Storage { .. } | Error::Malformed { .. } => CKR_DEVICE_ERROR,
        _ => CKR_GENERAL_ERROR,
    }
}

fn ck<T>(r: token_core::Result<T>) -> R<T> {
    r.map_err(|e| rv(&e))
}

/// The gate before a new private key (C_GenerateKeyPair, C_CreateObject of a private key, a
/// private key copied onto the token): refused while the SO PIN is a vendor default
/// ([`SoftToken::require_admin_pin_changed`]; the token info shows `CKF_SO_PIN_TO_BE_CHANGED`).
///
/// `CKR_PIN_EXPIRED`, because the PKCS#11 v2.40 base specification's list of return values
/// defines it as "the specified PIN has expired, and the requested operation cannot be carried
/// out unless C_SetPIN is called to change the PIN value", which is exactly the remedy here
/// (C_SetPIN as the SO; `CKF_SO_PIN_TO_BE_CHANGED` says which PIN). The alternatives mislead:
/// `CKR_USER_PIN_NOT_INITIALIZED` speaks of the user's PIN, `CKR_TOKEN_WRITE_PROTECTED` of a
/// permanent state, `CKR_ACTION_PROHIBITED` is for C_CopyObject / C_SetAttributeValue /
/// C_DestroyObject only, and `CKR_FUNCTION_REJECTED` means a user declined. keycarrier's own
/// PKCS#11 backend reads `CKR_PIN_EXPIRED` as `Error::NotAllowed`, the error the soft token's
/// Rust API gives for the same refusal.
fn new_keys_allowed(token: &SoftToken) -> R<()> {
    match token.require_admin_pin_changed() {
        Err(Error::NotAllowed { .. }) => Err(CKR_PIN_EXPIRED),
        other => ck(other),
    }
}

/// The PIN rules of the PKCS#11 interface: length 4..=64, printable ASCII. The bank PIN policy
/// belongs to the applications above PKCS#11.
fn pkcs11_policy() -> PinPolicy {
    PinPolicy {
        min_length: MIN_PIN_LEN,
        max_length: Some(MAX_PIN_LEN),
        alphabet: PinAlphabet::PrintableAscii,
        max_sequence: None,
        forbidden: Vec::new(),
        ..PinPolicy::default()
    }
}

fn pin_len_ok(pin: &[u8]) -> R<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(CKR_PIN_LEN_RANGE)
    }
}

fn approve(pin: &[u8]) -> R<Approved<Pin>> {
    pin_len_ok(pin)?;
    pkcs11_policy()
        .approve(Pin::from_bytes(pin), None)
        .map_err(|v| rv(&Error::PinPolicy(v)))
}

fn approve_admin(pin: &[u8]) -> R<Approved<AdminPin>> {
    pin_len_ok(pin)?;
    pkcs11_policy()
        .approve(AdminPin::from_bytes(pin), None)
        .map_err(|v| rv(&Error::PinPolicy(v)))
}

/// CK_ULONG-typed attributes: stored as 8 little-endian bytes, exchanged as native CK_ULONG.
fn is_ulong(kind: CK_ATTRIBUTE_TYPE) -> bool {
    matches!(
        kind,
        CKA_CLASS
            | CKA_KEY_TYPE
            | CKA_CERTIFICATE_TYPE
            | CKA_CERTIFICATE_CATEGORY
            | CKA_JAVA_MIDP_SECURITY_DOMAIN
            | CKA_MODULUS_BITS
            | CKA_VALUE_LEN
            | CKA_KEY_GEN_MECHANISM
            | CKA_NAME_HASH_ALGORITHM
    )
}

pub(crate) fn native_ulong(v: u64) -> Vec<u8> {
    CK_ULONG::try_from(v)
        .unwrap_or(CK_UNAVAILABLE_INFORMATION)
        .to_ne_bytes()
        .to_vec()
}

fn read_native_ulong(v: &[u8]) -> R<u64> {
    let bytes: [u8; size_of::<CK_ULONG>()] =
        v.try_into().map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    Ok(CK_ULONG::from_ne_bytes(bytes))
}

fn read_bool(v: &[u8]) -> R<bool> {
    match v {
        [b] => Ok(*b != 0),
        _ => Err(CKR_ATTRIBUTE_VALUE_INVALID),
    }
}

/// A template attribute in the store's layout.
pub(crate) fn to_stored(kind: CK_ATTRIBUTE_TYPE, value: &[u8]) -> R<StoredAttribute> {
    let value = if is_ulong(kind) {
        attr::ulong(read_native_ulong(value)?)
    } else {
        value.to_vec()
    };
    Ok(StoredAttribute {
        kind,
        value: der::asn1::OctetString::new(value).map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?,
        sealed: false,
    })
}

fn stored(obj: &StoredObject, kind: u64) -> Option<&StoredAttribute> {
    obj.attributes.iter().find(|a| a.kind == kind)
}

fn clear_value(obj: &StoredObject, kind: u64) -> Option<&[u8]> {
    stored(obj, kind)
        .filter(|a| !a.sealed)
        .map(|a| a.value.as_bytes())
}

fn ulong_of(obj: &StoredObject, kind: u64) -> Option<u64> {
    clear_value(obj, kind).and_then(attr::read_ulong)
}

fn bool_of(obj: &StoredObject, kind: u64) -> Option<bool> {
    clear_value(obj, kind).map(|v| v == [1])
}

fn is_private(obj: &StoredObject) -> bool {
    bool_of(obj, attr::PRIVATE).unwrap_or(false)
}

pub(crate) const SENSITIVE_PRIVATE_PARTS: [CK_ATTRIBUTE_TYPE; 7] = [
    CKA_VALUE,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
];

/// An object's attribute as PKCS#11 shows it, with the defaults the store does not keep.
pub(crate) fn lookup(obj: &StoredObject, kind: CK_ATTRIBUTE_TYPE) -> Lookup {
    let class = ulong_of(obj, attr::CLASS);
    let is_key = matches!(class, Some(CKO_PUBLIC_KEY | CKO_PRIVATE_KEY));
    let private_key = class == Some(CKO_PRIVATE_KEY);
    if kind == attr::KC_PKCS8 || (private_key && SENSITIVE_PRIVATE_PARTS.contains(&kind)) {
        return Lookup::Sensitive;
    }
    if kind == CKA_PUBLIC_KEY_INFO && is_key {
        return clear_value(obj, attr::KC_SPKI)
            .map_or(Lookup::Invalid, |v| Lookup::Value(v.to_vec()));
    }
    if let Some(a) = stored(obj, kind) {
        if a.sealed {
            return Lookup::Sensitive;
        }
        let v = a.value.as_bytes();
        return Lookup::Value(if is_ulong(kind) {
            attr::read_ulong(v).map_or_else(|| v.to_vec(), native_ulong)
        } else {
            v.to_vec()
        });
    }
    let b = |v: bool| Lookup::Value(vec![u8::from(v)]);
    match kind {
        CKA_TOKEN | CKA_MODIFIABLE | CKA_DESTROYABLE => b(true),
        CKA_PRIVATE | CKA_COPYABLE => b(false),
        CKA_LABEL => Lookup::Value(Vec::new()),
        CKA_ID | CKA_SUBJECT | CKA_START_DATE | CKA_END_DATE if is_key => Lookup::Value(Vec::new()),
        CKA_ENCRYPT | CKA_DECRYPT | CKA_WRAP | CKA_UNWRAP | CKA_SIGN_RECOVER
        | CKA_VERIFY_RECOVER | CKA_DERIVE | CKA_SIGN | CKA_VERIFY
            if is_key =>
        {
            b(false)
        }
        CKA_LOCAL if is_key => b(false),
        CKA_KEY_GEN_MECHANISM if is_key => Lookup::Value(native_ulong(u64::MAX)),
        CKA_ALWAYS_AUTHENTICATE | CKA_WRAP_WITH_TRUSTED if private_key => b(false),
        CKA_ALWAYS_SENSITIVE if private_key => b(bool_of(obj, attr::SENSITIVE).unwrap_or(true)),
        CKA_NEVER_EXTRACTABLE if private_key => {
            b(!bool_of(obj, attr::EXTRACTABLE).unwrap_or(false))
        }
        CKA_TRUSTED if class == Some(CKO_PUBLIC_KEY) || class == Some(CKO_CERTIFICATE) => b(false),
        CKA_CERTIFICATE_CATEGORY if class == Some(CKO_CERTIFICATE) => {
            Lookup::Value(native_ulong(0))
        }
        _ => Lookup::Invalid,
    }
}

pub(crate) fn find_attr(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> Option<&[u8]> {
    template
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, v)| v.as_slice())
}

pub(crate) fn template_ulong(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> R<Option<u64>> {
    find_attr(template, kind).map(read_native_ulong).transpose()
}

pub(crate) fn template_bool(template: &[Attr], kind: CK_ATTRIBUTE_TYPE) -> R<Option<bool>> {
    find_attr(template, kind).map(read_bool).transpose()
}

fn session_state(role: Option<PinRole>, rw: bool) -> CK_STATE {
    match (role, rw) {
        (Some(PinRole::Admin), _) => CKS_RW_SO_FUNCTIONS,
        (Some(PinRole::User), true) => CKS_RW_USER_FUNCTIONS,
        (Some(PinRole::User), false) => CKS_RO_USER_FUNCTIONS,
        (None, true) => CKS_RW_PUBLIC_SESSION,
        (None, false) => CKS_RO_PUBLIC_SESSION,
    }
}

fn pin_flags(status: &PinStatus, so: bool) -> CK_FLAGS {
    let mut f = 0;
    let (low, last, locked, change) = if so {
        (
            CKF_SO_PIN_COUNT_LOW,
            CKF_SO_PIN_FINAL_TRY,
            CKF_SO_PIN_LOCKED,
            CKF_SO_PIN_TO_BE_CHANGED,
        )
    } else {
        (
            CKF_USER_PIN_COUNT_LOW,
            CKF_USER_PIN_FINAL_TRY,
            CKF_USER_PIN_LOCKED,
            CKF_USER_PIN_TO_BE_CHANGED,
        )
    };
    if status.count_low && !status.is_locked() {
        f |= low;
    }
    if status.is_final_try() {
        f |= last;
    }
    if status.is_locked() {
        f |= locked;
    }
    if status.must_change {
        f |= change;
    }
    f
}

pub(crate) fn gost_set_from(template_value: Option<&[u8]>) -> R<GostParamSet> {
    let der = template_value.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
    let oid = token_core::const_oid::ObjectIdentifier::from_der(der)
        .map_err(|_| CKR_ATTRIBUTE_VALUE_INVALID)?;
    GostParamSet::from_oid(&oid).ok_or(CKR_ATTRIBUTE_VALUE_INVALID)
}

impl Module {
    fn new(config: &Config) -> Self {
        let slots = config
            .slots
            .iter()
            .map(|(id, dir)| {
                let mut token = SoftToken::open(dir);
                token.set_test_knobs(config.knobs.clone());
                Slot { id: *id, token }
            })
            .collect();
        Self {
            slots,
            sessions: BTreeMap::new(),
            next_session: 1,
            session_objects: BTreeMap::new(),
            next_session_object: SESSION_OBJECT_BASE,
            kdf_iterations: config.kdf_iterations,
        }
    }

    fn slot(&self, id: CK_SLOT_ID) -> R<&Slot> {
        self.slots
            .iter()
            .find(|s| s.id == id)
            .ok_or(CKR_SLOT_ID_INVALID)
    }

    fn slot_mut(&mut self, id: CK_SLOT_ID) -> R<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(CKR_SLOT_ID_INVALID)
    }

    fn session(&self, h: CK_SESSION_HANDLE) -> R<&Session> {
        self.sessions.get(&h).ok_or(CKR_SESSION_HANDLE_INVALID)
    }

    fn session_mut(&mut self, h: CK_SESSION_HANDLE) -> R<&mut Session> {
        self.sessions.get_mut(&h).ok_or(CKR_SESSION_HANDLE_INVALID)
    }

    /// The session's token.
    fn token(&self, h: CK_SESSION_HANDLE) -> R<&SoftToken> {
        let slot = self.session(h)?.slot;
        Ok(&self.slot(slot)?.token)
    }

    fn token_mut(&mut self, h: CK_SESSION_HANDLE) -> R<&mut SoftToken> {
        let slot = self.session(h)?.slot;
        Ok(&mut self.slot_mut(slot)?.token)
    }

    fn user_logged_in(&self, h: CK_SESSION_HANDLE) -> R<bool> {
        Ok(self.token(h)?.role() == Some(PinRole::User))
    }

    /// The slot ids.
    pub(crate) fn slot_list(&self) -> Vec<CK_SLOT_ID> {
        self.slots.iter().map(|s| s.id).collect()
    }

    /// Checks a slot id (C_GetSlotInfo).
    pub(crate) fn check_slot(&self, id: CK_SLOT_ID) -> R<()> {
        self.slot(id).map(drop)
    }

    /// C_GetTokenInfo.
    pub(crate) fn token_info(&self, id: CK_SLOT_ID) -> R<TokenDesc> {
        let slot = self.slot(id)?;
        let info = ck(slot.token.info())?;
        let sessions = self.sessions.values().filter(|s| s.slot == id);
        let (count, rw) = sessions.fold((0, 0), |(n, rw), s| (n + 1, rw + usize::from(s.rw)));
        let mut flags = CKF_RNG;
        if info.initialized {
            flags |= CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED;
            let state = ck(slot.token.state())?;
            if state.user_pin.is_some() {
                flags |= CKF_USER_PIN_INITIALIZED;
                flags |= pin_flags(&ck(slot.token.pin_status(PinRole::User))?, false);
            }
            flags |= pin_flags(&ck(slot.token.pin_status(PinRole::Admin))?, true);
        }
        Ok(TokenDesc {
            label: info.label.unwrap_or_default(),
            serial: info.serial,
            flags,
            sessions: count,
            rw_sessions: rw,
        })
    }

    /// C_InitToken.
    pub(crate) fn init_token(&mut self, id: CK_SLOT_ID, so_pin: &[u8], label: &str) -> R<()> {
        if self.sessions.values().any(|s| s.slot == id) {
            return Err(CKR_SESSION_EXISTS);
        }
        let iterations = self.kdf_iterations;
        let slot = self.slot_mut(id)?;
        pin_len_ok(so_pin)?;
        ck(slot
            .token
            .init_token(&AdminPin::from_bytes(so_pin), label, iterations))
    }

    /// C_OpenSession.
    pub(crate) fn open_session(&mut self, id: CK_SLOT_ID, flags: CK_FLAGS) -> R<CK_SESSION_HANDLE> {
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
        }
        let slot = self.slot(id)?;
        let rw = flags & CKF_RW_SESSION != 0;
        if !rw && slot.token.role() == Some(PinRole::Admin) {
            return Err(CKR_SESSION_READ_WRITE_SO_EXISTS);
        }
        let h = self.next_session;
        self.next_session = h.checked_add(1).ok_or(CKR_SESSION_COUNT)?;
        self.sessions.insert(
            h,
            Session {
                slot: id,
                rw,
                find: None,
                sign: None,
                verify: None,
                digest: None,
            },
        );
        Ok(h)
    }

    /// C_CloseSession; the last session closed on a token logs it out.
    pub(crate) fn close_session(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let s = self.sessions.remove(&h).ok_or(CKR_SESSION_HANDLE_INVALID)?;
        self.session_objects.retain(|_, o| o.owner != h);
        if !self.sessions.values().any(|o| o.slot == s.slot) {
            ck(self.slot_mut(s.slot)?.token.logout())?;
        }
        Ok(())
    }

    /// C_CloseAllSessions.
    pub(crate) fn close_all_sessions(&mut self, id: CK_SLOT_ID) -> R<()> {
        self.slot(id)?;
        self.sessions.retain(|_, s| s.slot != id);
        self.session_objects.retain(|_, o| o.slot != id);
        ck(self.slot_mut(id)?.token.logout())
    }

    /// C_GetSessionInfo.
    pub(crate) fn session_info(&self, h: CK_SESSION_HANDLE) -> R<SessionDesc> {
        let s = self.session(h)?;
        let role = self.token(h)?.role();
        Ok(SessionDesc {
            slot: s.slot,
            state: session_state(role, s.rw),
            flags: CKF_SERIAL_SESSION | if s.rw { CKF_RW_SESSION } else { 0 },
        })
    }

    /// C_Login.
    pub(crate) fn login(&mut self, h: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> R<()> {
        let slot = self.session(h)?.slot;
        let has_ro = self.sessions.values().any(|s| s.slot == slot && !s.rw);
        let token = self.token_mut(h)?;
        let role = match user {
            CKU_SO => PinRole::Admin,
            CKU_USER => PinRole::User,
            CKU_CONTEXT_SPECIFIC => {
                // Re-authentication for a key: only meaningful with CKA_ALWAYS_AUTHENTICATE
                // keys, which this token does not make; check the PIN all the same.
                if token.role() != Some(PinRole::User) {
                    return Err(CKR_USER_NOT_LOGGED_IN);
                }
                pin_len_ok(pin)?;
                return ck(token.login(&Pin::from_bytes(pin), token_core::FinalTry::Allow));
            }
            _ => return Err(CKR_USER_TYPE_INVALID),
        };
        match token.role() {
            Some(r) if r == role => return Err(CKR_USER_ALREADY_LOGGED_IN),
            Some(_) => return Err(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
            None => {}
        }
        let state = ck(token.state())?;
        if role == PinRole::Admin && has_ro {
            return Err(CKR_SESSION_READ_ONLY_EXISTS);
        }
        if role == PinRole::User && state.user_pin.is_none() {
            return Err(CKR_USER_PIN_NOT_INITIALIZED);
        }
        pin_len_ok(pin)?;
        let allow = token_core::FinalTry::Allow;
        ck(match role {
            PinRole::User => token.login(&Pin::from_bytes(pin), allow),
            PinRole::Admin => token.login_admin(&AdminPin::from_bytes(pin), allow),
        })
    }

    /// C_Logout.
    pub(crate) fn logout(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let slot = self.session(h)?.slot;
        let token = self.token_mut(h)?;
        if token.role().is_none() {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        ck(token.logout())?;
        for s in self.sessions.values_mut().filter(|s| s.slot == slot) {
            s.sign = None;
            s.find = None;
        }
        Ok(())
    }

    /// C_InitPIN.
    pub(crate) fn init_pin(&mut self, h: CK_SESSION_HANDLE, pin: &[u8]) -> R<()> {
        let rw = self.session(h)?.rw;
        let token = self.token(h)?;
        if token.role() != Some(PinRole::Admin) {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if !rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        ck(token.init_user_pin(&approve(pin)?))
    }

    /// C_SetPIN: the SO's PIN when the SO is logged in, else the user's.
    pub(crate) fn set_pin(&mut self, h: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> R<()> {
        if !self.session(h)?.rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        let token = self.token_mut(h)?;
        let allow = token_core::FinalTry::Allow;
        pin_len_ok(old)?;
        if token.role() == Some(PinRole::Admin) {
            let new = approve_admin(new)?;
            ck(token.change_admin_pin(&AdminPin::from_bytes(old), &new, allow))
        } else {
            if ck(token.state())?.user_pin.is_none() {
                return Err(CKR_USER_PIN_NOT_INITIALIZED);
            }
            let new = approve(new)?;
            if token.role().is_none() && ck(token.pin_status(PinRole::User))?.is_locked() {
                // OpenSC's unblock convention (`pkcs11-tool --unlock-pin --puk …`): C_SetPIN
                // in a public session on a blocked user PIN takes the unblock code — here the
                // SO PIN — as the old PIN and sets the new user PIN.
                return ck(token.reset_pin(&AdminPin::from_bytes(old), &new, allow));
            }
            ck(token.change_pin(&Pin::from_bytes(old), &new, allow))
        }
    }

    /// Rutoken's `C_EX_UnblockUserPIN`: needs the SO logged in on the session's token; resets
    /// the user PIN's retry counter and keeps the PIN.
    pub(crate) fn unblock_user_pin(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let token = self.token(h)?;
        if token.role() != Some(PinRole::Admin) {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if ck(token.state())?.user_pin.is_none() {
            return Err(CKR_USER_PIN_NOT_INITIALIZED);
        }
        ck(token.unblock_user_pin())
    }

    /// The objects the session may see: the token's, then the session objects on its token.
    fn visible_objects(&self, h: CK_SESSION_HANDLE) -> R<Vec<StoredObject>> {
        let slot = self.session(h)?.slot;
        let user = self.user_logged_in(h)?;
        let state = ck(self.token(h)?.state())?;
        let session_objects = self
            .session_objects
            .values()
            .filter(|o| o.slot == slot)
            .map(|o| &o.obj);
        Ok(state
            .objects
            .iter()
            .chain(session_objects)
            .filter(|o| user || !is_private(o))
            .cloned()
            .collect())
    }

    /// The session object `uid` if the session may see it.
    fn session_object(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
    ) -> R<Option<&SessionObject>> {
        let slot = self.session(h)?.slot;
        let user = self.user_logged_in(h)?;
        Ok(self
            .session_objects
            .get(&uid)
            .filter(|o| o.slot == slot && (user || !is_private(&o.obj))))
    }

    fn object(&self, h: CK_SESSION_HANDLE, uid: CK_OBJECT_HANDLE) -> R<StoredObject> {
        self.with_object(h, uid, StoredObject::clone)
    }

    /// Runs `f` on object `uid` in place, if the session may see it.
    fn with_object<T>(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        f: impl FnOnce(&StoredObject) -> T,
    ) -> R<T> {
        if let Some(o) = self.session_object(h, uid)? {
            return Ok(f(&o.obj));
        }
        if uid >= SESSION_OBJECT_BASE {
            return Err(CKR_OBJECT_HANDLE_INVALID);
        }
        let user = self.user_logged_in(h)?;
        let state = ck(self.token(h)?.state())?;
        state
            .objects
            .iter()
            .find(|o| o.uid == uid && (user || !is_private(o)))
            .map(f)
            .ok_or(CKR_OBJECT_HANDLE_INVALID)
    }

    /// Stores a new session object; returns its handle.
    fn add_session_object(
        &mut self,
        h: CK_SESSION_HANDLE,
        mut attrs: Vec<StoredAttribute>,
        secret: Option<create::Secret>,
    ) -> R<CK_OBJECT_HANDLE> {
        let slot = self.session(h)?.slot;
        attrs.retain(|a| a.kind != attr::KC_PKCS8 && a.kind != CKA_TOKEN);
        attrs.push(to_stored(CKA_TOKEN, &[0])?);
        let uid = self.next_session_object;
        self.next_session_object = uid.checked_add(1).ok_or(CKR_DEVICE_MEMORY)?;
        self.session_objects.insert(
            uid,
            SessionObject {
                slot,
                owner: h,
                obj: StoredObject {
                    uid,
                    attributes: attrs,
                },
                secret,
            },
        );
        Ok(uid)
    }

    /// C_FindObjectsInit.
    pub(crate) fn find_init(&mut self, h: CK_SESSION_HANDLE, template: &[Attr]) -> R<()> {
        if self.session(h)?.find.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let found: Vec<u64> = self
            .visible_objects(h)?
            .iter()
            .filter(|o| {
                template
                    .iter()
                    .all(|(k, v)| matches!(lookup(o, *k), Lookup::Value(x) if x == **v))
            })
            .map(|o| o.uid)
            .collect();
        self.session_mut(h)?.find = Some(found);
        Ok(())
    }

    /// C_FindObjects.
    pub(crate) fn find(&mut self, h: CK_SESSION_HANDLE, max: usize) -> R<Vec<u64>> {
        let list = self
            .session_mut(h)?
            .find
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        let n = max.min(list.len());
        Ok(list.drain(..n).collect())
    }

    /// C_FindObjectsFinal.
    pub(crate) fn find_final(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        self.session_mut(h)?
            .find
            .take()
            .map(drop)
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// C_GetAttributeValue: one lookup per requested type.
    pub(crate) fn attributes(
        &self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        kinds: &[CK_ATTRIBUTE_TYPE],
    ) -> R<Vec<Lookup>> {
        let obj = self.object(h, uid)?;
        Ok(kinds.iter().map(|k| lookup(&obj, *k)).collect())
    }

    /// May the session change (create, modify, destroy) an object? A token object needs a
    /// read-write session, a private one the user logged in; a read-only session may change
    /// public session objects (PKCS#11 v2.40 §5.6).
    fn check_writable(&self, h: CK_SESSION_HANDLE, is_token: bool, private: bool) -> R<()> {
        if is_token && !self.session(h)?.rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        if private && !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        Ok(())
    }

    /// C_SetAttributeValue: CKA_LABEL, CKA_ID, CKA_SUBJECT.
    pub(crate) fn set_attributes(
        &mut self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        template: &[Attr],
    ) -> R<()> {
        let obj = self.object(h, uid)?;
        let is_token = uid < SESSION_OBJECT_BASE;
        self.check_writable(h, is_token, is_private(&obj))?;
        let values = changeable(template, false)?;
        if is_token {
            return ck(self.token(h)?.set_attributes(obj.uid, values));
        }
        let o = self
            .session_objects
            .get_mut(&uid)
            .ok_or(CKR_OBJECT_HANDLE_INVALID)?;
        apply_clear(&mut o.obj.attributes, values)
    }

    /// C_CopyObject: a copy of an object with the template's CKA_LABEL / CKA_ID / CKA_SUBJECT
    /// applied (what C_SetAttributeValue may change) and CKA_TOKEN as the template says (by
    /// default as the original's): token and session objects copy either way. Key material is
    /// re-sealed for a token copy and kept in memory for a session copy.
    pub(crate) fn copy_object(
        &mut self,
        h: CK_SESSION_HANDLE,
        uid: CK_OBJECT_HANDLE,
        template: &[Attr],
    ) -> R<u64> {
        let obj = self.object(h, uid)?;
        let from_token = uid < SESSION_OBJECT_BASE;
        let to_token = template_bool(template, CKA_TOKEN)?.unwrap_or(from_token);
        let private = is_private(&obj);
        self.check_writable(h, to_token, private)?;
        let values = changeable(template, true)?;
        let private_key = ulong_of(&obj, attr::CLASS) == Some(CKO_PRIVATE_KEY);
        match (from_token, to_token) {
            (true, true) => ck(self.token(h)?.copy_object(obj.uid, values)),
            (true, false) => {
                let mut attrs = obj.attributes;
                apply_clear(&mut attrs, values)?;
                let secret = if private_key {
                    let token = self.token(h)?;
                    Some(create::Secret {
                        pkcs8: ck(token.private_key_der(obj.uid))?,
                        key: ck(token.private_key(obj.uid))?,
                    })
                } else {
                    None
                };
                self.add_session_object(h, attrs, secret)
            }
            (false, to_token) => {
                let source = self
                    .session_objects
                    .get(&uid)
                    .ok_or(CKR_OBJECT_HANDLE_INVALID)?;
                let secret = source.secret.as_ref().map(|s| create::Secret {
                    pkcs8: s.pkcs8.clone(),
                    key: Arc::clone(&s.key),
                });
                let mut attrs = obj.attributes;
                apply_clear(&mut attrs, values)?;
                if !to_token {
                    return self.add_session_object(h, attrs, secret);
                }
                if private_key && !self.user_logged_in(h)? {
                    return Err(CKR_USER_NOT_LOGGED_IN);
                }
                if secret.is_some() {
                    new_keys_allowed(self.token(h)?)?;
                }
                attrs.retain(|a| a.kind != CKA_TOKEN);
                attrs.push(to_stored(CKA_TOKEN, &[1])?);
                let token = self.token(h)?;
                if let Some(secret) = secret {
                    let id = attrs
                        .iter()
                        .find(|a| a.kind == CKA_ID)
                        .map(|a| a.value.as_bytes().to_vec())
                        .unwrap_or_default();
                    attrs.push(ck(token.seal_private_key(&id, &secret.pkcs8))?);
                }
                ck(token.add_object(attrs))
            }
        }
    }

    /// C_CreateObject: data objects, certificates, GOST and RSA public and private keys, as
    /// token objects (private key material sealed under the token key like that of generated
    /// keys) or session objects (CKA_TOKEN = false: in memory only).
    pub(crate) fn create_object(&mut self, h: CK_SESSION_HANDLE, template: &[Attr]) -> R<u64> {
        let class = template_ulong(template, CKA_CLASS)?.ok_or(CKR_TEMPLATE_INCOMPLETE)?;
        // Deviation from the PKCS#11 default (CK_FALSE), kept from the first versions of the
        // module: without CKA_TOKEN an object goes to the token.
        let is_token = template_bool(template, CKA_TOKEN)?.unwrap_or(true);
        let private = template_bool(template, CKA_PRIVATE)?.unwrap_or(class == CKO_PRIVATE_KEY);
        self.check_writable(h, is_token, private)?;
        if class == CKO_PRIVATE_KEY && !self.user_logged_in(h)? {
            // Private keys belong to the user (and token ones are sealed under the token key,
            // which only the user's login opens).
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        if class == CKO_PRIVATE_KEY {
            // Session objects too: the rule does not hang on CKA_TOKEN.
            new_keys_allowed(self.token(h)?)?;
        }
        let new = create::build(template, is_token, private)?;
        if let Some(public) = &new.public {
            self.check_same_key(h, &new.id, public)?;
        }
        if !is_token {
            return self.add_session_object(h, new.attrs, new.secret);
        }
        let token = self.token(h)?;
        let mut attrs = new.attrs;
        if let Some(secret) = &new.secret {
            attrs.push(ck(token.seal_private_key(&new.id, &secret.pkcs8))?);
        }
        ck(token.add_object(attrs))
    }

    /// A new key object's public key must be the one of any key object already under its
    /// CKA_ID on the token or among its session objects (a private key and the public key of
    /// another pair make no container).
    fn check_same_key(
        &self,
        h: CK_SESSION_HANDLE,
        id: &[u8],
        public: &token_core::PublicKey,
    ) -> R<()> {
        let slot = self.session(h)?.slot;
        let state = ck(self.token(h)?.state())?;
        let session_objects = self
            .session_objects
            .values()
            .filter(|o| o.slot == slot)
            .map(|o| &o.obj);
        for o in state.objects.iter().chain(session_objects) {
            let is_key = matches!(
                ulong_of(o, attr::CLASS),
                Some(CKO_PUBLIC_KEY | CKO_PRIVATE_KEY)
            );
            if !is_key || clear_value(o, attr::ID) != Some(id) {
                continue;
            }
            if let Some(spki) = clear_value(o, attr::KC_SPKI) {
                let other =
                    token_core::PublicKey::from_spki_der(spki).map_err(|_| CKR_DEVICE_ERROR)?;
                if !other.same_key(public) {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
            }
        }
        Ok(())
    }

    /// C_DestroyObject.
    pub(crate) fn destroy_object(&mut self, h: CK_SESSION_HANDLE, uid: CK_OBJECT_HANDLE) -> R<()> {
        let obj = self.object(h, uid)?;
        let is_token = uid < SESSION_OBJECT_BASE;
        self.check_writable(h, is_token, is_private(&obj))?;
        if is_token {
            ck(self.token(h)?.destroy_object(obj.uid))
        } else {
            self.session_objects
                .remove(&uid)
                .map(drop)
                .ok_or(CKR_OBJECT_HANDLE_INVALID)
        }
    }

    /// C_GenerateKeyPair; returns (public, private) handles.
    pub(crate) fn generate_key_pair(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        public: &[Attr],
        private: &[Attr],
    ) -> R<(u64, u64)> {
        let both = || public.iter().chain(private.iter());
        let one = |kind| -> Option<&[u8]> {
            find_attr(private, kind).or_else(|| find_attr(public, kind))
        };
        // Each half is a token object unless its template says CKA_TOKEN = false (the module's
        // default is the token, as in C_CreateObject).
        let public_on_token = template_bool(public, CKA_TOKEN)?.unwrap_or(true);
        let private_on_token = template_bool(private, CKA_TOKEN)?.unwrap_or(true);
        let (algorithm, key_type) = match mechanism {
            CKM_GOSTR3410_KEY_PAIR_GEN | CKM_GOSTR3410_512_KEY_PAIR_GEN => {
                let set = gost_set_from(one(CKA_GOSTR3410_PARAMS))?;
                let (size, key_type) = if mechanism == CKM_GOSTR3410_KEY_PAIR_GEN {
                    (GostKeySize::Bits256, CKK_GOSTR3410)
                } else {
                    (GostKeySize::Bits512, CKK_GOSTR3410_512)
                };
                if set.key_size() != size {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
                let digest = digest_oid_der(set);
                for (kind, value) in both() {
                    if *kind == CKA_GOSTR3411_PARAMS && **value != digest {
                        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
                    }
                    if *kind == CKA_GOSTR3410_PARAMS {
                        gost_set_from(Some(value))
                            .ok()
                            .filter(|s| *s == set)
                            .ok_or(CKR_TEMPLATE_INCONSISTENT)?;
                    }
                }
                (KeyAlgorithm::Gost(set), key_type)
            }
            CKM_RSA_PKCS_KEY_PAIR_GEN => {
                let bits = template_ulong(public, CKA_MODULUS_BITS)?
                    .or(template_ulong(private, CKA_MODULUS_BITS)?)
                    .ok_or(CKR_TEMPLATE_INCOMPLETE)?;
                if ![2048, 3072, 4096].contains(&bits) {
                    return Err(CKR_KEY_SIZE_RANGE);
                }
                if let Some(e) = find_attr(public, CKA_PUBLIC_EXPONENT) {
                    let trimmed: Vec<u8> = e.iter().copied().skip_while(|b| *b == 0).collect();
                    if trimmed != [1, 0, 1] {
                        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
                    }
                }
                let bits = u32::try_from(bits).map_err(|_| CKR_KEY_SIZE_RANGE)?;
                (KeyAlgorithm::Rsa { bits }, CKK_RSA)
            }
            _ => return Err(CKR_MECHANISM_INVALID),
        };
        for (kind, value) in both() {
            if *kind == CKA_KEY_TYPE && read_native_ulong(value)? != key_type {
                return Err(CKR_TEMPLATE_INCONSISTENT);
            }
            if *kind == CKA_CLASS {
                let c = read_native_ulong(value)?;
                if c != CKO_PUBLIC_KEY && c != CKO_PRIVATE_KEY {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
            }
        }
        self.check_writable(h, public_on_token || private_on_token, true)?;
        // Session-only pairs too: the rule does not hang on CKA_TOKEN.
        new_keys_allowed(self.token(h)?)?;
        let id = one(CKA_ID).map(<[u8]>::to_vec);
        let label = |t: &[Attr]| {
            find_attr(t, CKA_LABEL)
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default()
        };
        let extractable = template_bool(private, CKA_EXTRACTABLE)?.unwrap_or(false);
        if public_on_token && private_on_token {
            let (private_uid, public_uid) = ck(self.token(h)?.generate_key_pair(
                algorithm,
                id,
                &label(private),
                &label(public),
                extractable,
            ))?;
            return Ok((public_uid, private_uid));
        }
        // At least one session half: generate here, write the token half (if any) first.
        let pair = ck(crate::token::new_key_pair(
            algorithm,
            id,
            &label(private),
            &label(public),
            extractable,
        ))?;
        let secret = create::Secret {
            key: Arc::new(ck(crate::keys::private_key(&pair.pkcs8))?),
            pkcs8: pair.pkcs8,
        };
        let token = self.token(h)?;
        let (private_uid, public_uid) = match (private_on_token, public_on_token) {
            (true, _) => {
                let mut attrs = pair.private;
                attrs.push(ck(token.seal_private_key(&pair.id, &secret.pkcs8))?);
                let private_uid = ck(token.add_object(attrs))?;
                (private_uid, self.add_session_object(h, pair.public, None)?)
            }
            (false, true) => {
                let public_uid = ck(token.add_object(pair.public))?;
                (
                    self.add_session_object(h, pair.private, Some(secret))?,
                    public_uid,
                )
            }
            (false, false) => (
                self.add_session_object(h, pair.private, Some(secret))?,
                self.add_session_object(h, pair.public, None)?,
            ),
        };
        Ok((public_uid, private_uid))
    }

    /// C_SignInit.
    pub(crate) fn sign_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        pss: Option<PssParams>,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.sign.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let mech = SignMech::from_ck(mechanism, pss)?;
        if !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        // The hot path of signing: read the few attributes in place (no copy of the object),
        // take the signature length from the parsed key (cached by the token), not its SPKI.
        let (class, key_type, can_sign) = self
            .with_object(h, key, |o| {
                (
                    ulong_of(o, attr::CLASS),
                    ulong_of(o, attr::KEY_TYPE),
                    bool_of(o, attr::SIGN),
                )
            })
            .map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        if class != Some(CKO_PRIVATE_KEY) || !mech.fits(key_type.unwrap_or(u64::MAX)) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        if can_sign != Some(true) {
            return Err(CKR_KEY_FUNCTION_NOT_PERMITTED);
        }
        let key = match self.session_object(h, key)? {
            Some(o) => o
                .secret
                .as_ref()
                .map(|s| Arc::clone(&s.key))
                .ok_or(CKR_KEY_HANDLE_INVALID)?,
            None => ck(self.token(h)?.private_key(key))?,
        };
        let sig_len = mech::signature_len_of(&key);
        self.session_mut(h)?.sign = Some(SignOp {
            mech,
            key,
            sig_len,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    fn sign_op(&mut self, h: CK_SESSION_HANDLE) -> R<&mut SignOp> {
        self.session_mut(h)?
            .sign
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// Finishes a sign operation under the module lock: size query and buffer check, or the
    /// operation taken out of the session, ready to sign outside the lock ([`sign`]).
    fn sign_finish(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        let op = self.sign_op(h)?;
        let (mech, sig_len) = (op.mech, op.sig_len);
        if let Some(data) = data {
            if op.updated {
                return Err(CKR_OPERATION_ACTIVE);
            }
            if let Err(e) = mech.check_input(data.len(), sig_len) {
                self.session_mut(h)?.sign = None;
                return Err(e);
            }
        }
        match cap {
            None => return Ok(Prepared::Done(Out::Len(sig_len))),
            Some(c) if c < sig_len => return Ok(Prepared::Done(Out::TooSmall(sig_len))),
            Some(_) => {}
        }
        self.session_mut(h)?
            .sign
            .take()
            .map(Prepared::Run)
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)
    }

    /// C_Sign, under the lock (see [`sign`]).
    fn sign_prepare(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: &[u8],
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        self.sign_finish(h, Some(data), cap)
    }

    /// C_SignUpdate.
    pub(crate) fn sign_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let op = self.sign_op(h)?;
        if !op.mech.multipart() {
            self.session_mut(h)?.sign = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_SignFinal, under the lock (see [`sign_final`]).
    fn sign_final_prepare(
        &mut self,
        h: CK_SESSION_HANDLE,
        cap: Option<usize>,
    ) -> R<Prepared<SignOp>> {
        let op = self.sign_op(h)?;
        if !op.mech.multipart() {
            self.session_mut(h)?.sign = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        self.sign_finish(h, None, cap)
    }

    /// C_VerifyInit: with a public key object (or a private key object's public half).
    pub(crate) fn verify_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        pss: Option<PssParams>,
        key: CK_OBJECT_HANDLE,
    ) -> R<()> {
        if self.session(h)?.verify.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let mech = SignMech::from_ck(mechanism, pss)?;
        let obj = self.object(h, key).map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        let class = ulong_of(&obj, attr::CLASS);
        if class != Some(CKO_PUBLIC_KEY) && class != Some(CKO_PRIVATE_KEY) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        if !mech.fits(ulong_of(&obj, attr::KEY_TYPE).unwrap_or(u64::MAX)) {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        let spki = clear_value(&obj, attr::KC_SPKI)
            .ok_or(CKR_KEY_HANDLE_INVALID)?
            .to_vec();
        let sig_len = mech::signature_len(&spki)?;
        self.session_mut(h)?.verify = Some(VerifyOp {
            mech,
            spki,
            sig_len,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    /// C_Verify / C_VerifyFinal under the lock: the operation taken out of the session, to be
    /// checked outside the lock ([`verify`]).
    fn verify_take(&mut self, h: CK_SESSION_HANDLE, data: Option<&[u8]>) -> R<VerifyOp> {
        let op = self
            .session_mut(h)?
            .verify
            .take()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        match data {
            Some(d) => {
                if op.updated {
                    return Err(CKR_OPERATION_ACTIVE);
                }
                op.mech.check_input(d.len(), op.sig_len)?;
            }
            None => {
                if !op.mech.multipart() {
                    return Err(CKR_FUNCTION_NOT_SUPPORTED);
                }
            }
        }
        Ok(op)
    }

    /// C_VerifyUpdate.
    pub(crate) fn verify_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let s = self.session_mut(h)?;
        let op = s.verify.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        if !op.mech.multipart() {
            s.verify = None;
            return Err(CKR_FUNCTION_NOT_SUPPORTED);
        }
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_DigestInit.
    pub(crate) fn digest_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
    ) -> R<()> {
        let s = self.session_mut(h)?;
        if s.digest.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        s.digest = Some(DigestOp {
            mech: DigestMech::from_ck(mechanism)?,
            data: Vec::new(),
            updated: false,
        });
        Ok(())
    }

    /// C_Digest (`data` = Some) and C_DigestFinal (`data` = None).
    pub(crate) fn digest(
        &mut self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        cap: Option<usize>,
    ) -> R<Out> {
        let s = self.session_mut(h)?;
        let op = s.digest.as_ref().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        if data.is_some() && op.updated {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let len = op.mech.len();
        match cap {
            None => return Ok(Out::Len(len)),
            Some(c) if c < len => return Ok(Out::TooSmall(len)),
            Some(_) => {}
        }
        let op = s.digest.take().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        Ok(Out::Data(op.mech.digest(data.unwrap_or(&op.data))))
    }

    /// C_DigestUpdate.
    pub(crate) fn digest_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let op = self
            .session_mut(h)?
            .digest
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        op.updated = true;
        op.data.extend_from_slice(part);
        Ok(())
    }

    /// C_GenerateRandom.
    pub(crate) fn random(&self, h: CK_SESSION_HANDLE, out: &mut [u8]) -> R<()> {
        self.session(h)?;
        getrandom::fill(out).map_err(|_| CKR_DEVICE_ERROR)
    }
}

/// The template of C_SetAttributeValue / C_CopyObject as (type, value) changes: CKA_LABEL,
/// CKA_ID and CKA_SUBJECT; CKA_TOKEN is passed over where `token_ok` (C_CopyObject reads it
/// itself); what never changes is CKR_ATTRIBUTE_READ_ONLY.
fn changeable(template: &[Attr], token_ok: bool) -> R<Vec<(u64, Vec<u8>)>> {
    let mut values = Vec::new();
    for (kind, value) in template {
        match *kind {
            CKA_LABEL | CKA_ID | CKA_SUBJECT => values.push((*kind, value.to_vec())),
            CKA_TOKEN if token_ok => {}
            CKA_CLASS | CKA_KEY_TYPE | CKA_TOKEN | CKA_PRIVATE | CKA_VALUE | CKA_MODULUS
            | CKA_PUBLIC_EXPONENT | CKA_MODULUS_BITS | CKA_GOSTR3410_PARAMS
            | CKA_GOSTR3411_PARAMS | CKA_LOCAL | CKA_SENSITIVE | CKA_EXTRACTABLE
            | CKA_CERTIFICATE_TYPE => return Err(CKR_ATTRIBUTE_READ_ONLY),
            _ => return Err(CKR_ATTRIBUTE_TYPE_INVALID),
        }
    }
    Ok(values)
}

/// Applies changes to the attributes of an object held in memory.
fn apply_clear(attrs: &mut Vec<StoredAttribute>, values: Vec<(u64, Vec<u8>)>) -> R<()> {
    for (kind, value) in values {
        attrs.retain(|a| a.kind != kind);
        attrs.push(to_stored(kind, &value)?);
    }
    Ok(())
}

/// The DER OID of the Streebog a parameter set's keys sign with (CKA_GOSTR3411_PARAMS).
pub(crate) fn digest_oid_der(set: GostParamSet) -> Vec<u8> {
    KeyAlgorithm::Gost(set)
        .signature_scheme()
        .digest()
        .oid()
        .to_der()
        .unwrap_or_default()
}
