//! The token directory: one DER file with the whole token state, replaced atomically.
//!
//! ```text
//! TokenFile ::= SEQUENCE {
//!     version     INTEGER (1),
//!     label       UTF8String,
//!     serial      UTF8String,
//!     soPin       PinRecord,
//!     userPin [0] EXPLICIT PinRecord OPTIONAL,   -- absent until the SO sets it
//!     nextUid     INTEGER,
//!     objects     SEQUENCE OF StoredObject }
//! PinRecord ::= SEQUENCE {
//!     salt OCTET STRING, iterations INTEGER, wrappedTokenKey OCTET STRING,
//!     retriesLeft INTEGER, maxRetries INTEGER, mustChange BOOLEAN, isDefault BOOLEAN }
//! StoredObject ::= SEQUENCE { uid INTEGER, attributes SEQUENCE OF StoredAttribute }
//! StoredAttribute ::= SEQUENCE { type INTEGER, value OCTET STRING, sealed BOOLEAN }
//! ```
//!
//! Attribute types are PKCS#11 `CKA_*` numbers: the store is a PKCS#11 object store, and the
//! Rust API reads containers out of it. A `sealed` value is AES-GCM ciphertext under the token
//! key.
//!
//! Writes: temp file in the same directory → write → fsync → rename over `token.der` → fsync the
//! directory, all under an exclusive advisory lock on `token.lock`. A crash at any point leaves
//! either the old or the new file; never a torn one.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};
use token_core::{Error, Result};

use crate::attr;

/// Current file format version.
pub(crate) const VERSION: u8 = 1;
const STATE_FILE: &str = "token.der";
const LOCK_FILE: &str = "token.lock";
const TEMP_FILE: &str = "token.der.tmp";

/// One PIN's record.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct PinRecord {
    pub(crate) salt: OctetString,
    pub(crate) iterations: u32,
    pub(crate) wrapped_token_key: OctetString,
    pub(crate) retries_left: u8,
    pub(crate) max_retries: u8,
    pub(crate) must_change: bool,
    pub(crate) is_default: bool,
}

/// One attribute of an object: a `CKA_*` type and its value as stored (`CK_ULONG` values as 8
/// little-endian bytes, `CK_BBOOL` values as one byte). A sealed value is AES-GCM ciphertext
/// under the token key and never leaves the token in clear through this type.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct StoredAttribute {
    pub(crate) kind: u64,
    pub(crate) value: OctetString,
    pub(crate) sealed: bool,
}

impl StoredAttribute {
    /// A clear attribute with these value bytes.
    pub fn clear(kind: u64, value: Vec<u8>) -> Result<Self> {
        Ok(Self {
            kind,
            value: OctetString::new(value)
                .map_err(|e| Error::malformed_der("soft token value", e))?,
            sealed: false,
        })
    }

    /// A clear `CK_ULONG` attribute (stored as 8 little-endian bytes).
    pub fn ulong(kind: u64, value: u64) -> Result<Self> {
        Self::clear(kind, attr::ulong(value))
    }

    /// The attribute type (`CKA_*`).
    pub fn kind(&self) -> u64 {
        self.kind
    }

    /// Whether the value is sealed under the token key.
    pub fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// The value bytes if the value is clear; `None` for a sealed value.
    pub fn clear_value(&self) -> Option<&[u8]> {
        (!self.sealed).then(|| self.value.as_bytes())
    }

    /// A clear value read as a stored `CK_ULONG`; `None` if sealed or not 8 bytes.
    pub fn as_ulong(&self) -> Option<u64> {
        self.clear_value().and_then(attr::read_ulong)
    }
}

/// One object (key, certificate or data): its uid, which the PKCS#11 module uses as the object
/// handle, and its attributes.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct StoredObject {
    pub(crate) uid: u64,
    pub(crate) attributes: Vec<StoredAttribute>,
}

impl StoredObject {
    /// An object with these attributes, for objects held outside the token (the PKCS#11
    /// module's session objects). Token objects get their uid from the token.
    pub fn new(uid: u64, attributes: Vec<StoredAttribute>) -> Self {
        Self { uid, attributes }
    }

    /// The uid: counts up from 1 on a token and is never reused there.
    pub fn uid(&self) -> u64 {
        self.uid
    }

    /// The attributes, in no particular order; each type at most once.
    pub fn attributes(&self) -> &[StoredAttribute] {
        &self.attributes
    }

    /// The attributes, to change an object held outside the token.
    pub fn attributes_mut(&mut self) -> &mut Vec<StoredAttribute> {
        &mut self.attributes
    }

    /// The attributes, taking the object apart.
    pub fn into_attributes(self) -> Vec<StoredAttribute> {
        self.attributes
    }

    /// The attribute of type `kind`, if the object has it.
    pub fn attribute(&self, kind: u64) -> Option<&StoredAttribute> {
        self.attributes.iter().find(|a| a.kind == kind)
    }

    /// The clear value of attribute `kind`; `None` if absent or sealed.
    pub fn clear_value(&self, kind: u64) -> Option<&[u8]> {
        self.attribute(kind).and_then(StoredAttribute::clear_value)
    }

    /// The `CK_ULONG` value of attribute `kind` (clear, 8 bytes), if any.
    pub fn ulong(&self, kind: u64) -> Option<u64> {
        self.attribute(kind).and_then(StoredAttribute::as_ulong)
    }

    /// The `CK_BBOOL` value of attribute `kind`: `Some(true)` only for the stored byte 1.
    pub fn flag(&self, kind: u64) -> Option<bool> {
        self.clear_value(kind).map(|v| v == [1])
    }
}

/// The whole token state.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct TokenFile {
    pub(crate) version: u8,
    pub(crate) label: String,
    pub(crate) serial: String,
    pub(crate) so_pin: PinRecord,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) user_pin: Option<PinRecord>,
    pub(crate) next_uid: u64,
    pub(crate) objects: Vec<StoredObject>,
}

impl TokenFile {
    /// Parses the file's bytes. Untrusted input: a damaged file is a typed error.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let file =
            Self::from_der(bytes).map_err(|e| Error::malformed_der("soft token state", e))?;
        if file.version != VERSION {
            return Err(Error::Unsupported {
                what: format!("soft token state version {}", file.version),
            });
        }
        Ok(file)
    }
}

/// Where a test wants a write to fail (the crash-safety knob, off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailPoint {
    /// After writing half the temp file, before fsync: as a crash mid-write.
    MidWrite,
    /// After the temp file is complete and synced, before the rename.
    BeforeRename,
}

/// A version stamp of the state file (see [`Store::stamp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i64,
}

/// The token directory.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    fail_at: Option<FailPoint>,
}

/// An exclusive lock on the token directory; released on drop.
pub(crate) struct Lock(File);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Store {
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            fail_at: None,
        }
    }

    pub(crate) fn set_fail_point(&mut self, at: Option<FailPoint>) {
        self.fail_at = at;
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Identifies the current state version without reading it: every write replaces the file
    /// (new inode), so inode, size and modification time change together.
    pub(crate) fn stamp(&self) -> Result<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let path = self.dir.join(STATE_FILE);
        let m = fs::metadata(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::CarrierNotInitialized
            } else {
                Error::storage(format!("stat {}", path.display()), e)
            }
        })?;
        Ok(FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: m
                .mtime()
                .wrapping_mul(1_000_000_000)
                .wrapping_add(m.mtime_nsec()),
        })
    }

    /// Takes the exclusive lock (blocking until other processes release it).
    pub(crate) fn lock(&self) -> Result<Lock> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::storage(format!("create {}", self.dir.display()), e))?;
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::storage(format!("open {}", path.display()), e))?;
        file.lock()
            .map_err(|e| Error::storage(format!("lock {}", path.display()), e))?;
        Ok(Lock(file))
    }

    /// Reads the state; the caller holds the lock.
    pub(crate) fn load(&self, _lock: &Lock) -> Result<TokenFile> {
        let path = self.dir.join(STATE_FILE);
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::CarrierNotInitialized
                } else {
                    Error::storage(format!("read {}", path.display()), e)
                }
            })?;
        TokenFile::from_bytes(&bytes)
    }

    /// Replaces the state atomically and durably; the caller holds the lock.
    pub(crate) fn save(&self, _lock: &Lock, state: &TokenFile) -> Result<()> {
        let bytes = state
            .to_der()
            .map_err(|e| Error::malformed_der("soft token state", e))?;
        let tmp = self.dir.join(TEMP_FILE);
        let io = |what: &str, e| Error::storage(format!("{what} {}", tmp.display()), e);
        let mut file = File::create(&tmp).map_err(|e| io("create", e))?;
        if self.fail_at == Some(FailPoint::MidWrite) {
            let half = bytes.get(..bytes.len() / 2).unwrap_or_default();
            file.write_all(half).map_err(|e| io("write", e))?;
            return Err(injected());
        }
        file.write_all(&bytes).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("fsync", e))?;
        drop(file);
        if self.fail_at == Some(FailPoint::BeforeRename) {
            return Err(injected());
        }
        let target = self.dir.join(STATE_FILE);
        fs::rename(&tmp, &target).map_err(|e| io("rename", e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::storage(format!("fsync {}", self.dir.display()), e))
    }
}

fn injected() -> Error {
    Error::storage(
        "soft token test knob: injected write failure",
        std::io::Error::other("injected"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenFile {
        TokenFile {
            version: VERSION,
            label: "Бухгалтерия".into(),
            serial: "KC0001".into(),
            so_pin: PinRecord {
                salt: OctetString::new(vec![1; 32]).unwrap(),
                iterations: 1000,
                wrapped_token_key: OctetString::new(vec![2; 60]).unwrap(),
                retries_left: 10,
                max_retries: 10,
                must_change: true,
                is_default: true,
            },
            user_pin: None,
            next_uid: 3,
            objects: vec![StoredObject {
                uid: 1,
                attributes: vec![StoredAttribute {
                    kind: 3,
                    value: OctetString::new(b"label".to_vec()).unwrap(),
                    sealed: false,
                }],
            }],
        }
    }

    #[test]
    fn der_round_trip_with_and_without_user_pin() {
        let mut state = sample();
        let bytes = state.to_der().unwrap();
        assert_eq!(TokenFile::from_bytes(&bytes).unwrap(), state);
        state.user_pin = Some(state.so_pin.clone());
        let bytes = state.to_der().unwrap();
        assert_eq!(TokenFile::from_bytes(&bytes).unwrap(), state);
    }

    #[test]
    fn damaged_files_are_typed_errors() {
        let bytes = sample().to_der().unwrap();
        for cut in [0, 1, 10, bytes.len() - 1] {
            assert!(matches!(
                TokenFile::from_bytes(&bytes[..cut]),
                Err(Error::Malformed { .. })
            ));
        }
        let mut future = sample();
        future.version = 9;
        assert!(matches!(
            TokenFile::from_bytes(&future.to_der().unwrap()),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn failed_writes_leave_the_previous_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::new(dir.path());
        let lock = store.lock().unwrap();
        let first = sample();
        store.save(&lock, &first).unwrap();
        let mut second = sample();
        second.label = "changed".into();
        for at in [FailPoint::MidWrite, FailPoint::BeforeRename] {
            store.set_fail_point(Some(at));
            assert!(store.save(&lock, &second).is_err());
            assert_eq!(store.load(&lock).unwrap(), first, "{at:?}");
        }
        store.set_fail_point(None);
        store.save(&lock, &second).unwrap();
        assert_eq!(store.load(&lock).unwrap(), second);
    }
}
