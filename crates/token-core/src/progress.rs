//! Progress reports and cancellation for long operations (flow U09: key generation on a real
//! token can take minutes).
//!
//! ```
//! use keycarrier_token_core::{CancelToken, Error};
//! let cancel = CancelToken::new();
//! let for_gui = cancel.clone();          // the GUI's "Cancel" button holds a clone
//! assert!(cancel.check().is_ok());
//! for_gui.cancel();
//! assert!(matches!(cancel.check(), Err(Error::Cancelled)));
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, Result};

/// A cancel button: cloned freely, checked by the operation between its steps.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the operation to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// `Err(Error::Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The stage a key generation is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Checking the request and the carrier.
    Preparing,
    /// The carrier is generating the key (the long part).
    Generating,
    /// Writing the key objects.
    Storing,
    /// Finished.
    Done,
}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Percentage done, where the backend can estimate it.
    pub percent: Option<u8>,
}

/// Receives progress reports; any `FnMut(Progress)` closure is one.
pub trait ProgressSink {
    /// Called at each step.
    fn report(&mut self, progress: Progress);
}

impl<F: FnMut(Progress)> ProgressSink for F {
    fn report(&mut self, progress: Progress) {
        self(progress);
    }
}

/// A sink that ignores reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&mut self, _: Progress) {}
}
