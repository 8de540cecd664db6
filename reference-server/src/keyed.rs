//! [`KeyedLocks`]: one async mutex per key, made on first use and dropped
//! when no one holds or waits for it, so the map never outgrows the keys in
//! use.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// A held key; dropping it lets the next waiter in.
pub type KeyGuard = tokio::sync::OwnedMutexGuard<()>;

/// Async mutexes by key (e.g. one per portfolio).
#[derive(Debug)]
pub struct KeyedLocks<K> {
    map: Mutex<Map<K>>,
}

#[derive(Debug)]
struct Map<K> {
    locks: HashMap<K, Weak<tokio::sync::Mutex<()>>>,
    sweep_at: usize,
}

/// The map size below which dead entries are not swept.
const MIN_SWEEP: usize = 64;

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self {
            map: Mutex::new(Map {
                locks: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }
}

impl<K: Hash + Eq + Clone> KeyedLocks<K> {
    /// Waits for `key` and holds it until the guard is dropped.
    pub async fn lock(&self, key: &K) -> KeyGuard {
        self.mutex(key).lock_owned().await
    }

    /// The mutex of `key`, made when no one else has it.
    fn mutex(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = map.locks.get(key).and_then(Weak::upgrade) {
            return live;
        }
        if map.locks.len() >= map.sweep_at {
            map.locks.retain(|_, w| w.strong_count() > 0);
            map.sweep_at = (map.locks.len() * 2).max(MIN_SWEEP);
        }
        let made = Arc::new(tokio::sync::Mutex::new(()));
        map.locks.insert(key.clone(), Arc::downgrade(&made));
        made
    }

    /// Keys with a mutex alive now (held or waited for), after a sweep.
    pub fn live(&self) -> usize {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.locks.retain(|_, w| w.strong_count() > 0);
        map.locks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_holder_per_key_and_no_entries_left_behind() {
        let locks: Arc<KeyedLocks<u32>> = Arc::default();
        let a = locks.lock(&1).await;
        let _b = locks.lock(&2).await;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let l = Arc::clone(&locks);
        let waiter = tokio::spawn(async move {
            tx.send(()).ok();
            let _held = l.lock(&1).await;
        });
        rx.await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "key 1 is held");
        drop(a);
        waiter.await.unwrap();
        drop(_b);
        assert_eq!(locks.live(), 0);
        for k in 0..1000 {
            drop(locks.lock(&k).await);
        }
        assert!(
            locks.map.lock().unwrap().locks.len() < 200,
            "dead entries are swept"
        );
    }
}
