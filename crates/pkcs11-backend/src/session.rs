//! A pool of read-write sessions on one token, so many threads sign at once.
//!
//! A `cryptoki` [`Session`] is `Send` but not `Sync`: PKCS#11 forbids concurrent calls on one
//! session. The pool hands each caller a session of its own for the duration of one operation
//! and takes it back afterwards; idle sessions stay open, which also keeps the token's login
//! state alive (PKCS#11 logs the application out when its last session closes).
//!
//! A session the module declares dead (`CKR_SESSION_HANDLE_INVALID`, `CKR_SESSION_CLOSED`) or
//! stuck in an operation (`CKR_OPERATION_ACTIVE`) is dropped and the operation re-run once on
//! a fresh session.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cryptoki::session::Session;
use cryptoki::slot::Slot;
use token_core::{BackendEvidence, Error, Result};

use crate::error::{ck, ckr_u64, is_ckr};
use crate::module::Module;

/// How long a caller waits for a session when the pool is at its cap, before giving up with
/// `CKR_SESSION_COUNT` (so a caller that holds a session and asks for a second one cannot
/// wait forever).
const WAIT_FOR_SESSION: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Sessions {
    idle: Vec<Session>,
    /// Sessions open (idle or in use).
    open: usize,
}

#[derive(Debug)]
pub(crate) struct SessionPool {
    module: Module,
    slot: Slot,
    /// At most this many sessions are open at once (`None`: no cap).
    max: Option<usize>,
    state: Mutex<Sessions>,
    returned: Condvar,
}

/// Whether the session `e` came from is unusable: closed by the module, or left with an
/// operation active (a sign whose length query was refused as absurd; every other path ends
/// its operations), which would make every later `C_SignInit` on it fail.
fn session_gone(e: &Error) -> bool {
    is_ckr(e, cryptoki_sys::CKR_SESSION_HANDLE_INVALID)
        || is_ckr(e, cryptoki_sys::CKR_SESSION_CLOSED)
        || is_ckr(e, cryptoki_sys::CKR_OPERATION_ACTIVE)
}

impl SessionPool {
    /// A pool opening at most `max` sessions at once (`None`: as many as callers need).
    pub(crate) fn new(module: Module, slot: Slot, max: Option<usize>) -> Result<Self> {
        // Sessions are opened on first use: a blank token refuses C_OpenSession
        // (CKR_TOKEN_NOT_RECOGNIZED) but can still be inspected and initialised.
        Ok(Self {
            module,
            slot,
            max: max.map(|m| m.max(1)),
            state: Mutex::new(Sessions::default()),
            returned: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Sessions> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn module(&self) -> &Module {
        &self.module
    }

    pub(crate) fn slot(&self) -> Slot {
        self.slot
    }

    fn open(&self) -> Result<Session> {
        self.module
            .ctx()
            .open_rw_session(self.slot)
            .map_err(ck("C_OpenSession"))
    }

    /// An idle session, or a new one while under the cap; at the cap, waits for one to be
    /// returned (up to [`WAIT_FOR_SESSION`]).
    fn take(&self) -> Result<Session> {
        let deadline = Instant::now() + WAIT_FOR_SESSION;
        let mut state = self.lock();
        loop {
            if let Some(s) = state.idle.pop() {
                return Ok(s);
            }
            if self.max.is_none_or(|max| state.open < max) {
                state.open += 1;
                drop(state);
                return self.open().inspect_err(|_| self.forget_one());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Backend(BackendEvidence::Pkcs11 {
                    function: "C_OpenSession",
                    ckr: ckr_u64(cryptoki_sys::CKR_SESSION_COUNT),
                }));
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Caps the pool at `max` sessions (at least one); `None` lifts the cap.
    pub(crate) fn set_max(&mut self, max: Option<usize>) {
        self.max = max.map(|m| m.max(1));
    }

    fn put(&self, s: Session) {
        self.lock().idle.push(s);
        self.returned.notify_one();
    }

    /// One session fewer is open (it was closed, or never opened).
    fn forget_one(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }

    fn discard(&self, s: Session) {
        drop(s);
        self.forget_one();
    }

    /// Runs `op` on a session of its own; re-opens and retries once when the session died.
    pub(crate) fn run<T>(&self, mut op: impl FnMut(&Session) -> Result<T>) -> Result<T> {
        let s = self.take()?;
        match op(&s) {
            Err(e) if session_gone(&e) => {
                // The dead session's place goes to the fresh one.
                drop(s);
                let fresh = self.open().inspect_err(|_| self.forget_one())?;
                let r = op(&fresh);
                self.settle(fresh, &r);
                r
            }
            r => {
                self.settle(s, &r);
                r
            }
        }
    }

    fn settle<T>(&self, s: Session, r: &Result<T>) {
        match r {
            Err(Error::CarrierRemoved) => self.discard(s),
            Err(e) if session_gone(e) => self.discard(s),
            _ => self.put(s),
        }
    }

    /// Closes every idle session (before `C_InitToken`, which refuses to run with sessions open).
    pub(crate) fn close_all(&self) {
        let mut state = self.lock();
        let drained = core::mem::take(&mut state.idle);
        state.open = state.open.saturating_sub(drained.len());
        drop(state);
        drop(drained);
        self.returned.notify_all();
    }
}
