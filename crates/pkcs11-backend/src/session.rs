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

use std::sync::Mutex;

use cryptoki::session::Session;
use cryptoki::slot::Slot;
use token_core::{Error, Result};

use crate::error::{ck, is_ckr};
use crate::module::Module;

#[derive(Debug)]
pub(crate) struct SessionPool {
    module: Module,
    slot: Slot,
    idle: Mutex<Vec<Session>>,
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
    pub(crate) fn new(module: Module, slot: Slot) -> Result<Self> {
        // Sessions are opened on first use: a blank token refuses C_OpenSession
        // (CKR_TOKEN_NOT_RECOGNIZED) but can still be inspected and initialised.
        Ok(Self {
            module,
            slot,
            idle: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn module(&self) -> &Module {
        &self.module
    }

    pub(crate) fn slot(&self) -> Slot {
        self.slot
    }

    fn open(&self) -> Result<Session> {
        self.module
            .0
            .ctx
            .open_rw_session(self.slot)
            .map_err(ck("C_OpenSession"))
    }

    fn take(&self) -> Result<Session> {
        let popped = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match popped {
            Some(s) => Ok(s),
            None => self.open(),
        }
    }

    fn put(&self, s: Session) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(s);
    }

    /// Runs `op` on a session of its own; re-opens and retries once when the session died.
    pub(crate) fn run<T>(&self, mut op: impl FnMut(&Session) -> Result<T>) -> Result<T> {
        let s = self.take()?;
        match op(&s) {
            Err(e) if session_gone(&e) => {
                drop(s);
                let fresh = self.open()?;
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
            Err(Error::CarrierRemoved) => drop(s),
            Err(e) if session_gone(e) => drop(s),
            _ => self.put(s),
        }
    }

    /// Closes every idle session (before `C_InitToken`, which refuses to run with sessions open).
    pub(crate) fn close_all(&self) {
        let drained: Vec<Session> =
            core::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        drop(drained);
    }
}
