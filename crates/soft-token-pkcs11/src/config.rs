//! The PKCS#11 module's configuration file (format in the crate documentation).

use std::path::PathBuf;
use std::time::Duration;

use soft_token::{FailPoint, TestKnobs};

use crate::consts::DEFAULT_KDF_ITERATIONS;

/// The environment variable naming the configuration file.
pub(crate) const ENV: &str = "KEYCARRIER_SOFTTOKEN_CONF";

/// The parsed configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// (slot id, token directory), sorted by slot id.
    pub(crate) slots: Vec<(u64, PathBuf)>,
    /// PBKDF2 iterations for C_InitToken.
    pub(crate) kdf_iterations: u32,
    /// Test knobs for every slot.
    pub(crate) knobs: TestKnobs,
}

impl Config {
    /// Reads the file named by [`ENV`]; no variable means no slots.
    pub(crate) fn from_env() -> Result<Self, String> {
        match std::env::var_os(ENV) {
            None => Ok(Self::parse("")?),
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{ENV}: cannot read {}: {e}", path.display()))?;
                Self::parse(&text)
            }
        }
    }

    /// Parses the file's text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut explicit: Vec<(u64, PathBuf)> = Vec::new();
        let mut bare: Vec<PathBuf> = Vec::new();
        let mut kdf_iterations = DEFAULT_KDF_ITERATIONS;
        let mut knobs = TestKnobs::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| format!("{ENV} line {}: {what}: {line}", n + 1);
            let Some((key, value)) = line.split_once('=') else {
                bare.push(PathBuf::from(line));
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if let Some(slot) = key.strip_prefix("slot.") {
                let id = slot.parse().map_err(|_| bad("bad slot number"))?;
                if explicit.iter().any(|(s, _)| *s == id) {
                    return Err(bad("slot given twice"));
                }
                explicit.push((id, PathBuf::from(value)));
            } else if key == "kdf_iterations" {
                kdf_iterations = value
                    .parse()
                    .ok()
                    .filter(|i| *i > 0)
                    .ok_or_else(|| bad("bad kdf_iterations"))?;
            } else if key == "test.slow_keygen_ms" {
                let ms = value.parse().map_err(|_| bad("bad milliseconds"))?;
                knobs.slow_generation = Some(Duration::from_millis(ms));
            } else if key == "test.fail_writes" {
                knobs.fail_writes_at = Some(match value {
                    "mid-write" => FailPoint::MidWrite,
                    "before-rename" => FailPoint::BeforeRename,
                    _ => return Err(bad("expected mid-write or before-rename")),
                });
            } else {
                return Err(bad("unknown setting"));
            }
        }
        let mut slots = explicit;
        let mut next = 0u64;
        for dir in bare {
            while slots.iter().any(|(s, _)| *s == next) {
                next += 1;
            }
            slots.push((next, dir));
        }
        slots.sort_by_key(|(s, _)| *s);
        Ok(Self {
            slots,
            kdf_iterations,
            knobs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_and_bare_slots() {
        let c = Config::parse(
            "# c\nslot.1 = /a\n/b\n\n/c\nkdf_iterations = 7\ntest.slow_keygen_ms=5\n",
        )
        .unwrap();
        assert_eq!(
            c.slots,
            vec![
                (0, PathBuf::from("/b")),
                (1, PathBuf::from("/a")),
                (2, PathBuf::from("/c"))
            ]
        );
        assert_eq!(c.kdf_iterations, 7);
        assert_eq!(c.knobs.slow_generation, Some(Duration::from_millis(5)));
        assert!(c.knobs.fail_writes_at.is_none());
        assert!(Config::parse("frobnicate = 1").is_err());
        assert!(Config::parse("slot.x = /a").is_err());
        assert!(Config::parse("slot.1 = /a\nslot.1 = /b").is_err());
    }
}
