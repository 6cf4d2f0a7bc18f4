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
//!
//! One file per concern, each an `impl Module` block: `slots` (slot and token information,
//! sessions, login and PINs), `objects` (finding, reading, creating, copying, changing and
//! destroying objects), `keygen` (C_GenerateKeyPair), `operations` (sign, verify, digest,
//! random), `crypt` (RSA encrypt and decrypt), `derive` (GOST VKO, C_DeriveKey), `secret`
//! (secret-key objects), `symcrypt` (symmetric encryption with them) and `wrapkey`
//! (C_WrapKey / C_UnwrapKey).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use cryptoki_sys::*;
use soft_token::SoftToken;
use soft_token::objects::{PrivateKey, StoredObject};
use token_core::PinRole;

use crate::config::Config;
use crate::create;
use crate::errors::R;
use crate::mech::{DigestMech, SignMech};

mod crypt;
mod derive;
mod keygen;
mod objects;
mod operations;
mod secret;
mod slots;
mod symcrypt;
mod wrapkey;

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
    /// A secret result (a decrypted key), zeroized when dropped; the operation is finished.
    Secret(zeroize::Zeroizing<Vec<u8>>),
}

struct Slot {
    id: CK_SLOT_ID,
    token: SoftToken,
}

struct SignOp {
    mech: SignMech,
    key: Arc<PrivateKey>,
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
    encrypt: Option<crypt::CryptOp>,
    decrypt: Option<crypt::CryptOp>,
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
    /// A secret key's CKA_VALUE (C_CreateObject, C_DeriveKey, C_UnwrapKey), zeroized when
    /// dropped.
    value: Option<zeroize::Zeroizing<Vec<u8>>>,
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
}
