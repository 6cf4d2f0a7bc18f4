//! The escape hatch to raw PKCS#11, for what keycarrier does not wrap.
//!
//! Everything else in this crate speaks of carriers, containers and PINs and keeps PKCS#11
//! numbers, `cryptoki` contexts and sessions inside. Some callers still need the raw layer:
//! a benchmark comparing keycarrier's signing with a bare `C_Sign`, a test checking that two
//! opens of a module share one context, a diagnostic tool listing mechanisms, a vendor
//! function keycarrier does not know. Those go through here, by name, so that a reviewer sees
//! at once where an application steps outside the typed API.
//!
//! Nothing here checks PINs, final tries, login state or carrier identity: a session opened
//! through [`context`] is the caller's to manage, and it shares the module's login state with
//! every [`Pkcs11Carrier`] on the same token (PKCS#11 logs the application out when its last
//! session on the token closes).

use cryptoki::context::Pkcs11;
use cryptoki_sys::CK_MECHANISM_TYPE;

use crate::{Module, Pkcs11Carrier};

/// The module's `cryptoki` context, for PKCS#11 calls keycarrier does not wrap.
pub fn context(module: &Module) -> &Pkcs11 {
    module.ctx()
}

/// Whether the carrier's token offers mechanism `ckm` (a raw `CKM_*` number from
/// `cryptoki-sys` or a vendor header), as listed by `C_GetMechanismList` when the carrier was
/// opened. Unlike `cryptoki`'s typed list, numbers `cryptoki` has no name for (the standard
/// GOST mechanisms) are kept.
pub fn has_mechanism(carrier: &Pkcs11Carrier, ckm: CK_MECHANISM_TYPE) -> bool {
    carrier.has_mechanism(ckm)
}
