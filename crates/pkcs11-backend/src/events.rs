//! Noticing carriers being plugged in and pulled out (flow U01, second half).
//!
//! PKCS#11 has `C_WaitForSlotEvent`, but many modules (SoftHSM among them) never report an
//! event, and its blocking form cannot be cancelled; so the module is polled and slot
//! snapshots compared, which works the same on every module.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use token_core::{CancelToken, CarrierInfo, Result};

use crate::module::Module;

/// A change seen by [`Module::wait_for_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierEvent {
    /// A carrier appeared in a slot (or a carrier there changed: initialised, relabelled).
    Inserted {
        /// The slot id.
        slot: u64,
        /// The carrier now there.
        carrier: CarrierInfo,
    },
    /// A slot became empty.
    Removed {
        /// The slot id.
        slot: u64,
    },
}

impl Module {
    /// Waits until a carrier is inserted into or removed from a slot, up to `timeout`, checking
    /// `cancel` every `poll` interval. Returns `Ok(None)` on timeout.
    ///
    /// Uses the non-blocking form of `C_WaitForSlotEvent` where the module has it and falls back
    /// to comparing slot snapshots (SoftHSM and many vendor modules do not report events). The
    /// blocking form is never used: it cannot be cancelled.
    pub fn wait_for_change(
        &self,
        timeout: Duration,
        poll: Duration,
        cancel: &CancelToken,
    ) -> Result<Option<CarrierEvent>> {
        let start = Instant::now();
        let snapshot = |m: &Self| -> Result<BTreeMap<u64, CarrierInfo>> {
            Ok(m.carriers()?
                .into_iter()
                .map(|c| (c.slot, c.info))
                .collect())
        };
        let before = snapshot(self)?;
        loop {
            cancel.check()?;
            // Drain module events; we decide by the snapshot either way.
            let _ = self.ctx().get_slot_event();
            let now = snapshot(self)?;
            for (slot, info) in &now {
                // Only what identifies the carrier counts: free memory changes with every
                // object written, which is not an insertion.
                if before.get(slot).map(identity) != Some(identity(info)) {
                    return Ok(Some(CarrierEvent::Inserted {
                        slot: *slot,
                        carrier: info.clone(),
                    }));
                }
            }
            if let Some(slot) = before.keys().find(|s| !now.contains_key(s)) {
                return Ok(Some(CarrierEvent::Removed { slot: *slot }));
            }
            if start.elapsed() >= timeout {
                return Ok(None);
            }
            std::thread::sleep(poll.min(timeout.saturating_sub(start.elapsed())));
        }
    }
}

/// What tells one carrier (state) from another in [`Module::wait_for_change`]: serial,
/// initialised, label.
fn identity(c: &CarrierInfo) -> (&str, bool, Option<&str>) {
    (&c.serial, c.initialized, c.label.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::CarrierFamily;

    #[test]
    fn wait_identity_ignores_memory() {
        let a = CarrierInfo {
            family: CarrierFamily::SoftHsm,
            manufacturer: "SoftHSM project".into(),
            model: "SoftHSM v2".into(),
            serial: "1".into(),
            label: Some("a".into()),
            initialized: true,
            free_memory: Some(10),
            total_memory: Some(20),
        };
        let fuller = CarrierInfo {
            free_memory: Some(5),
            ..a.clone()
        };
        assert_eq!(identity(&a), identity(&fuller));
        let relabelled = CarrierInfo {
            label: Some("b".into()),
            ..a.clone()
        };
        assert_ne!(identity(&a), identity(&relabelled));
    }
}
