//! Finding installed PKCS#11 modules on disk (flow U01, first half): which vendor libraries
//! are worth loading, without loading any of them.
//!
//! A bank application usually does not know which token the customer bought; it asks here for
//! the candidate module files and then opens them with [`Module::open`](crate::Module::open).

use std::path::{Path, PathBuf};

use token_core::CarrierFamily;

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
