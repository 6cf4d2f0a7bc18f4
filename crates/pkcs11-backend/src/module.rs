//! PKCS#11 modules: loading, the process-wide registry, discovery of installed vendor modules,
//! slots and carriers (flow U01).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::{Slot, TokenInfo};
use token_core::{BackendEvidence, CancelToken, CarrierFamily, CarrierInfo, Error, Result};

use crate::carrier::Pkcs11Carrier;
use crate::error::ck;
use crate::raw::RawModule;

/// Environment variable naming module paths to use instead of the built-in list
/// (separated by `:`), e.g. `KEYCARRIER_PKCS11_MODULES=/opt/aktivco/rutokenecp/lib/librtpkcs11ecp.so`.
pub const MODULES_ENV: &str = "KEYCARRIER_PKCS11_MODULES";

/// Vendor module file names, with the carrier family each usually serves: token-core's one
/// table ([`CarrierFamily::pkcs11_modules`] over [`CarrierFamily::ALL`]), in that order.
pub fn known_module_names() -> impl Iterator<Item = (&'static str, CarrierFamily)> {
    CarrierFamily::ALL.into_iter().flat_map(|family| {
        family
            .pkcs11_modules()
            .iter()
            .map(move |name| (*name, family))
    })
}

/// Directories searched for the [`known_module_names`].
pub const KNOWN_MODULE_DIRS: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib/softhsm",
    "/usr/lib/x86_64-linux-gnu/softhsm",
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib/pkcs11",
    "/opt/aktivco/rutokenecp/x86_64",
    "/opt/aktivco/rutokenecp/lib",
    "/opt/aladdin/jcPKCS11-2/lib",
    "/usr/lib/kaztoken",
    "/opt/kaztoken/lib",
    "/usr/lib/eToken",
    "/opt/safenet/lib",
];

/// Installed modules found on this machine: the paths in [`MODULES_ENV`] when it is set,
/// otherwise every [`known_module_names`] file in [`KNOWN_MODULE_DIRS`]. Nothing is loaded.
pub fn discover_modules() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os(MODULES_ENV) {
        return std::env::split_paths(&list)
            .filter(|p| p.is_file())
            .collect();
    }
    discover_in(KNOWN_MODULE_DIRS.iter().map(Path::new))
}

/// Like [`discover_modules`] over the given directories.
pub fn discover_in<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut seen = Vec::new();
    for dir in dirs {
        for (name, _) in known_module_names() {
            let p = dir.join(name);
            // The same library is often reachable through a symlink in a second directory.
            let real = p.canonicalize().unwrap_or_else(|_| p.clone());
            if p.is_file() && !seen.contains(&real) {
                seen.push(real);
                found.push(p);
            }
        }
    }
    found
}

pub(crate) struct ModuleInner {
    pub(crate) path: PathBuf,
    pub(crate) ctx: Pkcs11,
    pub(crate) raw: RawModule,
}

impl core::fmt::Debug for ModuleInner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

/// A loaded and initialised PKCS#11 module. Cheap to clone; one per module path per process.
///
/// Modules are never finalised (`C_Finalize` would end every other user's sessions in the
/// process); they stay loaded until the process exits.
#[derive(Clone, Debug)]
pub struct Module(pub(crate) Arc<ModuleInner>);

fn registry() -> &'static Mutex<HashMap<PathBuf, Module>> {
    static REGISTRY: OnceLock<Mutex<HashMap<PathBuf, Module>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// A slot and what is in it.
#[derive(Debug, Clone)]
pub struct SlotCarrier {
    /// The PKCS#11 slot id.
    pub slot: u64,
    /// The reader / slot description.
    pub reader: String,
    /// The carrier in the slot, `None` when the slot is empty.
    pub carrier: Option<CarrierInfo>,
}

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
    /// Loads the module at `path` and initialises it for OS threads, or returns the module
    /// already loaded from that path. `CKR_CRYPTOKI_ALREADY_INITIALIZED` (someone else in the
    /// process initialised it) is fine.
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
        let raw = RawModule::open(&key).map_err(|e| {
            Error::Backend(BackendEvidence::Other(format!(
                "cannot open {} for raw calls: {e}",
                key.display()
            )))
        })?;
        let module = Self(Arc::new(ModuleInner {
            path: key.clone(),
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

    /// The `cryptoki` context, for calls keycarrier does not wrap.
    pub fn context(&self) -> &Pkcs11 {
        &self.0.ctx
    }

    /// Every slot, with the carrier in it (flow U01).
    pub fn slots(&self) -> Result<Vec<SlotCarrier>> {
        let slots = self.0.ctx.get_all_slots().map_err(ck("C_GetSlotList"))?;
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            let info = self
                .0
                .ctx
                .get_slot_info(slot)
                .map_err(ck("C_GetSlotInfo"))?;
            let carrier = if info.token_present() {
                // A token that cannot be read (pulled mid-call, deleted SoftHSM token: the
                // module answers CKR_GENERAL_ERROR) is listed as an empty slot.
                self.0
                    .ctx
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

    /// The carriers present, as (slot id, info).
    pub fn carriers(&self) -> Result<Vec<(u64, CarrierInfo)>> {
        Ok(self
            .slots()?
            .into_iter()
            .filter_map(|s| s.carrier.map(|c| (s.slot, c)))
            .collect())
    }

    /// Opens the carrier in `slot`.
    pub fn carrier(&self, slot: u64) -> Result<Pkcs11Carrier> {
        Pkcs11Carrier::open(self.clone(), slot_of(slot)?)
    }

    /// Opens the carrier with this serial number (flow U09: pick one of several).
    pub fn carrier_by_serial(&self, serial: &str) -> Result<Pkcs11Carrier> {
        let slot = self
            .carriers()?
            .into_iter()
            .find(|(_, c)| c.serial == serial)
            .map(|(s, _)| s)
            .ok_or_else(|| Error::NotFound {
                what: format!("carrier with serial {serial}"),
            })?;
        self.carrier(slot)
    }

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
            Ok(m.carriers()?.into_iter().collect())
        };
        let before = snapshot(self)?;
        loop {
            cancel.check()?;
            // Drain module events; we decide by the snapshot either way.
            let _ = self.0.ctx.get_slot_event();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_come_from_token_core_table() {
        let names: Vec<_> = known_module_names().collect();
        for family in CarrierFamily::ALL {
            for name in family.pkcs11_modules() {
                assert!(names.contains(&(*name, family)), "{name}");
            }
        }
        assert!(names.contains(&("libsofthsm2.so", CarrierFamily::SoftHsm)));
    }

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

    #[test]
    fn discovery_finds_known_names_only() {
        let dir = std::env::temp_dir().join(format!("kc-p11-discover-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("librtpkcs11ecp.so"), b"").unwrap();
        std::fs::write(dir.join("libunrelated.so"), b"").unwrap();
        let found = discover_in([dir.as_path()]);
        assert_eq!(found, vec![dir.join("librtpkcs11ecp.so")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
