//! A small FIFO map from public keys to data derived from them, for servers that verify many
//! documents of the same signers: the per-key work (the subgroup check on the cofactor-4
//! curves, the verification tables) is paid once per key rather than once per document.
//!
//! Public data only (public keys and what is computed from them). The map is bounded: when
//! full, the oldest entry goes. Keys are compared exactly, limb by limb.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// How many keys one cache remembers.
pub(crate) const CAPACITY: usize = 64;

/// A bounded map `key limbs → V`.
#[derive(Debug)]
pub(crate) struct KeyCache<V> {
    entries: Mutex<VecDeque<(Vec<u64>, V)>>,
}

impl<V: Clone> KeyCache<V> {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The value stored for `key`, if any.
    pub(crate) fn get(&self, key: &[u64]) -> Option<V> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|(_, v)| v.clone())
    }

    /// Stores `value` for `key`, replacing what was there or, when the cache is full, the
    /// oldest entry.
    pub(crate) fn insert(&self, key: &[u64], value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = entries.iter_mut().find(|(k, _)| k.as_slice() == key) {
            slot.1 = value;
            return;
        }
        if entries.len() >= CAPACITY {
            let _ = entries.pop_front();
        }
        entries.push_back((key.to_vec(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_replaces_and_forgets_the_oldest() {
        let cache: KeyCache<u32> = KeyCache::new();
        assert_eq!(cache.get(&[1, 2]), None);
        cache.insert(&[1, 2], 7);
        assert_eq!(cache.get(&[1, 2]), Some(7));
        assert_eq!(cache.get(&[1]), None, "keys match exactly");
        cache.insert(&[1, 2], 8);
        assert_eq!(cache.get(&[1, 2]), Some(8));
        for i in 0..CAPACITY as u64 {
            cache.insert(&[100 + i], 0);
        }
        assert_eq!(cache.get(&[1, 2]), None, "the oldest entry is evicted");
        assert_eq!(cache.get(&[100]), Some(0));
        assert_eq!(cache.get(&[100 + CAPACITY as u64 - 1]), Some(0));
    }
}
