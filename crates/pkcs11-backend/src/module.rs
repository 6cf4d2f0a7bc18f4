//! A loaded PKCS#11 module: loading once per process, what it is (path, manufacturer), and the
//! slots and carriers it offers (flow U01).
//!
//! This module knows nothing of carriers' insides: opening a carrier lives in `carrier`, which
//! depends on this one, never the other way round.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::{Slot, TokenInfo};
use token_core::{BackendEvidence, CarrierFamily, CarrierInfo, Error, Result};

use crate::discovery::discover_modules;
use crate::error::ck;
use crate::raw::RawModule;
use crate::vendor;

struct ModuleInner {
    path: PathBuf,
    /// `CK_INFO.manufacturerID`, trimmed: who made the library (decides vendor extensions).
    manufacturer: String,
    ctx: Pkcs11,
    raw: RawModule,
}

impl core::fmt::Debug for ModuleInner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module")
            .field("path", &self.path)
            .field("manufacturer", &self.manufacturer)
            .finish()
    }
}

/// A loaded and initialised PKCS#11 module. Cheap to clone; one per module path per process.
///
/// Modules are never finalised (`C_Finalize` would end every other user's sessions in the
/// process); they stay loaded until the process exits.
#[derive(Clone, Debug)]
pub struct Module(Arc<ModuleInner>);

fn registry() -> &'static Mutex<HashMap<PathBuf, Module>> {
    static REGISTRY: OnceLock<Mutex<HashMap<PathBuf, Module>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// A slot and what is in it, as [`Module::slots`] lists it.
#[derive(Debug, Clone)]
pub struct SlotCarrier {
    /// The PKCS#11 slot id.
    pub slot: u64,
    /// The reader / slot description.
    pub reader: String,
    /// The carrier in the slot, `None` when the slot is empty.
    pub carrier: Option<CarrierInfo>,
}

/// A carrier present in a slot, as [`Module::carriers`] lists it: where it is (to open it
/// with [`Module::carrier`]) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierInSlot {
    /// The slot id, for [`Module::carrier`].
    pub slot: u64,
    /// The reader / slot description the module reports.
    pub reader: String,
    /// The carrier: family, manufacturer, model, serial, label, memory.
    pub info: CarrierInfo,
}

impl Module {
    /// Loads the module at `path` and initialises it for OS threads, or returns the module
    /// already loaded from that path. `CKR_CRYPTOKI_ALREADY_INITIALIZED` (someone else in the
    /// process initialised it) is fine.
    ///
    /// The library's manufacturer ID (`C_GetInfo`) is read once here; only the vendors
    /// listed in the crate docs (Aktiv Co., keycarrier) are asked for vendor extensions.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = reg.get(&key) {
            return Ok(m.clone());
        }
        let ctx = Pkcs11::new(&key).map_err(ck("C_GetFunctionList"))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck("C_Initialize")(e)),
        }
        // A module that cannot say who made it gets no vendor extensions, nothing worse.
        let manufacturer = ctx
            .get_library_info()
            .map(|info| info.manufacturer_id().trim().to_string())
            .unwrap_or_default();
        let vendor_extensions = vendor::has_rutoken_layout(&manufacturer);
        let raw = RawModule::open(&key, vendor_extensions).map_err(|e| {
            Error::Backend(BackendEvidence::Other(format!(
                "cannot open {} for raw calls: {e}",
                key.display()
            )))
        })?;
        let module = Self(Arc::new(ModuleInner {
            path: key.clone(),
            manufacturer,
            ctx,
            raw,
        }));
        let _ = reg.insert(key, module.clone());
        Ok(module)
    }

    /// Opens the first module [`discover_modules`] finds.
    pub fn open_default() -> Result<Self> {
        let path = discover_modules()
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                what: "PKCS#11 module".into(),
            })?;
        Self::open(path)
    }

    /// The path the module was loaded from.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Who made the library (its `C_GetInfo` manufacturer ID, e.g. `Aktiv Co.`, `SoftHSM`):
    /// for support messages, and what decides whether vendor extensions are used.
    pub fn manufacturer(&self) -> &str {
        &self.0.manufacturer
    }

    /// The `cryptoki` context (crate-internal; applications get it only through
    /// [`hazmat::context`](crate::hazmat::context)).
    pub(crate) fn ctx(&self) -> &Pkcs11 {
        &self.0.ctx
    }

    /// The raw function list, for the calls `cryptoki` cannot express.
    pub(crate) fn raw(&self) -> &RawModule {
        &self.0.raw
    }

    /// Every slot, with the carrier in it (flow U01).
    pub fn slots(&self) -> Result<Vec<SlotCarrier>> {
        let slots = self.ctx().get_all_slots().map_err(ck("C_GetSlotList"))?;
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            let info = self
                .ctx()
                .get_slot_info(slot)
                .map_err(ck("C_GetSlotInfo"))?;
            let carrier = if info.token_present() {
                // A token that cannot be read (pulled mid-call, deleted SoftHSM token: the
                // module answers CKR_GENERAL_ERROR) is listed as an empty slot.
                self.ctx()
                    .get_token_info(slot)
                    .ok()
                    .map(|t| carrier_info(&t))
            } else {
                None
            };
            out.push(SlotCarrier {
                slot: slot.id(),
                reader: info.slot_description().trim().to_string(),
                carrier,
            });
        }
        Ok(out)
    }

    /// The carriers present, each with its slot (to open it with [`Module::carrier`]) and what
    /// it is.
    pub fn carriers(&self) -> Result<Vec<CarrierInSlot>> {
        Ok(self
            .slots()?
            .into_iter()
            .filter_map(|s| {
                s.carrier.map(|info| CarrierInSlot {
                    slot: s.slot,
                    reader: s.reader,
                    info,
                })
            })
            .collect())
    }
}

pub(crate) fn slot_of(id: u64) -> Result<Slot> {
    Slot::try_from(id).map_err(|_| Error::NotFound {
        what: format!("slot {id}"),
    })
}

/// `CarrierInfo` from `C_GetTokenInfo`.
pub(crate) fn carrier_info(t: &TokenInfo) -> CarrierInfo {
    let label = t.label().trim();
    let mem = |a: Option<usize>, b: Option<usize>| match (a, b) {
        (None, None) => None,
        // The module's numbers, untrusted: never overflow.
        (a, b) => {
            Some(u64::try_from(a.unwrap_or(0).saturating_add(b.unwrap_or(0))).unwrap_or(u64::MAX))
        }
    };
    CarrierInfo {
        family: CarrierFamily::guess(t.manufacturer_id().trim(), t.model().trim()),
        manufacturer: t.manufacturer_id().trim().to_string(),
        model: t.model().trim().to_string(),
        serial: t.serial_number().trim().to_string(),
        label: (!label.is_empty()).then(|| label.to_string()),
        initialized: t.token_initialized(),
        free_memory: mem(t.free_public_memory(), t.free_private_memory()),
        total_memory: mem(t.total_public_memory(), t.total_private_memory()),
    }
}
