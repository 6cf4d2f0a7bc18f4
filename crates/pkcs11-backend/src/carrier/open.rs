//! Opening a carrier: [`Module::carrier`] and [`Module::carrier_by_serial`] (flow U01 → U02).
//!
//! These are methods of [`Module`] written here, on the carrier's side, so that `module`
//! never needs to know what a [`Pkcs11Carrier`] is made of: the dependency runs from carrier
//! to module only.

use std::collections::HashMap;
use std::sync::Mutex;

use cryptoki::slot::{Slot, TokenInfo};
use token_core::{Error, Result};

use super::{CarrierOptions, Pkcs11Carrier};
use crate::error::ck;
use crate::module::{Module, slot_of};
use crate::session::SessionPool;

impl Module {
    /// Opens the carrier in `slot` (a slot id from [`Module::carriers`] or [`Module::slots`]).
    pub fn carrier(&self, slot: u64) -> Result<Pkcs11Carrier> {
        Pkcs11Carrier::open(self.clone(), slot_of(slot)?)
    }

    /// Opens the carrier with this serial number (flow U09: pick one of several).
    pub fn carrier_by_serial(&self, serial: &str) -> Result<Pkcs11Carrier> {
        let slot = self
            .carriers()?
            .into_iter()
            .find(|c| c.info.serial == serial)
            .map(|c| c.slot)
            .ok_or_else(|| Error::NotFound {
                what: format!("carrier with serial {serial}"),
            })?;
        self.carrier(slot)
    }
}

/// The token's read-write session limit, where it reports a finite one.
fn token_session_limit(t: &TokenInfo) -> Option<usize> {
    match t.max_rw_session_count() {
        cryptoki::slot::Limit::Max(n) => usize::try_from(n).ok(),
        _ => None,
    }
}

impl Pkcs11Carrier {
    /// Reads what the carrier offers (mechanisms, serial, session limit); sessions are opened
    /// on first use.
    fn open(module: Module, slot: Slot) -> Result<Self> {
        let slot_info = module
            .ctx()
            .get_slot_info(slot)
            .map_err(ck("C_GetSlotInfo"))?;
        if !slot_info.token_present() {
            return Err(Error::CarrierAbsent);
        }
        let mechanisms = module
            .raw()
            .mechanism_list(slot.into())
            .map_err(Error::from)?
            .into_iter()
            .collect();
        let info = module.ctx().get_token_info(slot).ok();
        let serial = info
            .as_ref()
            .filter(|t| t.token_initialized())
            .map(|t| t.serial_number().trim().to_string());
        let token_max = info.as_ref().and_then(token_session_limit);
        Ok(Self {
            serial: Mutex::new(serial),
            token_max,
            pool: SessionPool::new(module, slot, token_max)?,
            mechanisms,
            keys: Mutex::new(HashMap::new()),
            options: CarrierOptions::default(),
        })
    }
}
