//! Built tiles kept in memory until the map's data changes.
//!
//! A low-zoom tile over a whole country aggregates every initiative under it (about a second for
//! 1M at z5); the next visitor should not pay that again. Every change to `map_points` or
//! `categories` sends a `NOTIFY archipel_map` (migration 9), delivered at commit; a listener
//! thread empties the cache when one arrives. A tile built from a snapshot older than the last
//! notification is not stored: its build began under an older generation. While the listener is
//! not connected nothing is cached, so a lost connection can never serve stale tiles for long.
//! Writes made through this process also empty the cache at once, without waiting for the
//! notification.

use bytes::Bytes;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The channel the migrations' triggers notify.
pub const CHANNEL: &str = "archipel_map";

#[derive(Debug)]
pub struct TileCache {
    budget: usize,
    generation: AtomicU64,
    live: AtomicBool,
    /// The generation whose starting tiles are all built, plus one (0: none); see
    /// [`crate::tile_warm`].
    prebuilt: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
    /// When the cache was last emptied.
    changed_at: Instant,
}

#[derive(Debug)]
struct Entry {
    tile: Bytes,
    used: u64,
}

/// What a lookup returns: the tile, or the generation to pass to [`TileCache::put`].
pub enum Lookup {
    Hit(Bytes),
    Miss(Option<u64>),
}

impl TileCache {
    /// A cache of at most `budget` bytes of tiles; 0 disables it.
    pub fn new(budget: usize) -> Arc<Self> {
        Arc::new(Self {
            budget,
            generation: AtomicU64::new(0),
            live: AtomicBool::new(false),
            prebuilt: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                bytes: 0,
                clock: 0,
                changed_at: Instant::now(),
            }),
        })
    }

    fn usable(&self) -> bool {
        self.budget > 0 && self.live.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str) -> Lookup {
        if !self.usable() {
            return Lookup::Miss(None);
        }
        // Read before the lookup: a tile built after this point may only be stored if nothing
        // changed meanwhile.
        let generation = self.generation.load(Ordering::Acquire);
        let mut inner = self.inner.lock().expect("tile cache lock");
        inner.clock += 1;
        let now = inner.clock;
        match inner.entries.get_mut(key) {
            Some(entry) => {
                entry.used = now;
                Lookup::Hit(entry.tile.clone())
            }
            None => Lookup::Miss(Some(generation)),
        }
    }

    /// Stores a tile built after [`TileCache::get`] returned `generation`, unless the data
    /// changed since.
    pub fn put(&self, key: String, tile: Bytes, generation: Option<u64>) {
        let Some(generation) = generation else { return };
        if tile.len() > self.budget / 8 || !self.usable() {
            return;
        }
        let mut inner = self.inner.lock().expect("tile cache lock");
        // Checked under the lock: `invalidate` empties the map under the same lock.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        inner.clock += 1;
        let used = inner.clock;
        let tile_len = tile.len();
        let size = tile_len + key.len();
        inner.bytes += size;
        if let Some(old) = inner.entries.insert(key, Entry { tile, used }) {
            inner.bytes -= old.tile.len() + (size - tile_len);
        }
        while inner.bytes > self.budget {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.bytes -= e.tile.len() + oldest.len();
            }
        }
    }

    /// The map's data changed: forget every tile.
    pub fn invalidate(&self) {
        let mut inner = self.inner.lock().expect("tile cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.entries.clear();
        inner.bytes = 0;
        inner.changed_at = Instant::now();
    }

    /// The current generation (bumped by every change) and how long ago it began.
    pub fn generation(&self) -> (u64, Duration) {
        let inner = self.inner.lock().expect("tile cache lock");
        (
            self.generation.load(Ordering::Acquire),
            inner.changed_at.elapsed(),
        )
    }

    /// Records that every starting tile of `generation` was built and stored.
    pub fn set_prebuilt(&self, generation: u64) {
        self.prebuilt.store(generation + 1, Ordering::Release);
    }

    /// Whether the starting tiles of the current data are all in the cache.
    pub fn is_prebuilt(&self) -> bool {
        self.usable()
            && self.prebuilt.load(Ordering::Acquire) == self.generation.load(Ordering::Acquire) + 1
    }

    /// Whether tiles are being kept (the listener is connected and the cache enabled).
    pub fn is_live(&self) -> bool {
        self.usable()
    }

    /// Number of tiles held (for tests and logs).
    pub fn len(&self) -> usize {
        self.inner.lock().expect("tile cache lock").entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_live(&self, live: bool) {
        self.invalidate();
        self.live.store(live, Ordering::Release);
    }

    /// Listens for changes on its own connection, in a background thread, until the returned
    /// guard is dropped. Does nothing when the cache is disabled.
    pub fn listen(self: &Arc<Self>, database_url: String) -> Listener {
        if self.budget == 0 {
            return Background::none();
        }
        let cache = Arc::clone(self);
        Background::spawn("tile-cache-listener", move |stop| {
            while !stop.load(Ordering::Acquire) {
                if let Err(e) = cache.follow(&database_url, stop) {
                    tracing::warn!("tile cache: change listener stopped: {e}");
                }
                cache.set_live(false);
                pause(stop, Duration::from_secs(2));
            }
        })
    }

    /// Returns when the connection fails or `stop` is set.
    fn follow(&self, database_url: &str, stop: &AtomicBool) -> diesel::QueryResult<()> {
        let mut conn = PgConnection::establish(database_url)
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
        // Tiles built before LISTEN took effect may predate a change that was never notified.
        self.set_live(true);
        let mut idle = 0u32;
        while !stop.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(100));
            let mut changed = false;
            for notification in conn.notifications_iter() {
                notification?;
                changed = true;
            }
            if changed {
                self.invalidate();
            }
            // Reading notifications does not notice a server that went away; a query does.
            idle += 1;
            if idle >= 50 {
                idle = 0;
                diesel::sql_query("SELECT 1").execute(&mut conn)?;
            }
        }
        Ok(())
    }
}

/// The listener thread of a [`TileCache`]; dropping it stops the thread and closes its
/// connection.
pub type Listener = Background;

/// A background thread that runs until its guard is dropped: dropping it raises the stop flag
/// the thread watches and waits for the thread to end.
#[derive(Debug)]
pub struct Background {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Runs `work` in a thread named `name`; `work` returns once the flag it is given is set.
    pub fn spawn(name: &str, work: impl FnOnce(&AtomicBool) + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(&stopped))
            .unwrap_or_else(|e| panic!("the {name} thread starts: {e}"));
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// A guard with no thread.
    pub fn none() -> Self {
        Self {
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sleeps about `time`, waking early when `stop` is set.
pub fn pause(stop: &AtomicBool, time: Duration) {
    let until = Instant::now() + time;
    while !stop.load(Ordering::Acquire) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100).min(until - Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(budget: usize) -> Arc<TileCache> {
        let cache = TileCache::new(budget);
        cache.set_live(true);
        cache
    }

    fn miss(cache: &TileCache, key: &str) -> Option<u64> {
        match cache.get(key) {
            Lookup::Hit(_) => panic!("{key} should not be cached"),
            Lookup::Miss(generation) => generation,
        }
    }

    #[test]
    fn a_tile_built_before_a_change_is_not_kept() {
        let cache = live(1 << 20);
        let generation = miss(&cache, "5/16/11");
        cache.invalidate();
        cache.put("5/16/11".into(), Bytes::from_static(b"old"), generation);
        assert!(cache.is_empty());
        let generation = miss(&cache, "5/16/11");
        cache.put("5/16/11".into(), Bytes::from_static(b"new"), generation);
        assert!(matches!(cache.get("5/16/11"), Lookup::Hit(t) if &t[..] == b"new"));
    }

    #[test]
    fn nothing_is_cached_without_a_listener() {
        let cache = TileCache::new(1 << 20);
        assert_eq!(miss(&cache, "a"), None);
        cache.put("a".into(), Bytes::from_static(b"tile"), Some(0));
        assert!(cache.is_empty());
    }

    #[test]
    fn the_least_recently_used_tiles_go_first() {
        let cache = live(8 * 110);
        for key in ["a", "b", "c"] {
            let generation = miss(&cache, key);
            cache.put(key.into(), Bytes::from(vec![0u8; 100]), generation);
        }
        assert!(matches!(cache.get("a"), Lookup::Hit(_)));
        for key in ["d", "e", "f", "g", "h", "i"] {
            let generation = miss(&cache, key);
            cache.put(key.into(), Bytes::from(vec![0u8; 100]), generation);
        }
        assert!(
            matches!(cache.get("a"), Lookup::Hit(_)),
            "a was used recently"
        );
        assert!(
            matches!(cache.get("b"), Lookup::Miss(_)),
            "b was the oldest"
        );
        assert!(cache.len() <= 8);
    }
}
