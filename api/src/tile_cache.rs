//! Built tiles kept in memory until the map's data changes where they are.
//!
//! A low-zoom tile over a whole country aggregates every initiative under it (about a second for
//! 1M at z5); the next visitor should not pay that again. Every change to `map_points` or
//! `categories` sends a `NOTIFY archipel_map` (migrations 9 and 70), delivered at commit, that
//! says where: the changed points (old and new positions), the box around many, or everything. A
//! listener thread forgets the tiles whose area (with the margin a tile draws beyond its edges)
//! holds a changed point, and the category counts; every other tile stays. A tile built from a
//! snapshot older than the last notification is not stored: its build began under an older
//! generation. While the listener is not connected nothing is cached, so a lost connection can
//! never serve stale tiles for long. A write made through this process waits, before it answers,
//! until the listener has read the notifications committed so far ([`TileCache::sync`]), so its
//! author's next tile request already sees the change.
//!
//! Memory is counted as it is really used: the tile's bytes, the key's, and a fixed cost per
//! entry (the map's slot, the recency list's node, the handles), so a flood of empty tiles
//! cannot grow the cache past its budget. The least recently used entry goes first, in constant
//! time. Concurrent misses of one key are built once ([`TileCache::get_or_build`]).

use archipel_store::error::StoreResult;
use archipel_store::map_changes::{ChangeListener, MapChange};
use bytes::Bytes;
use lru::LruCache;
use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The key of the category counts' body (kept with the tiles: it changes when they do).
pub const CATEGORIES_KEY: &str = "categories";

/// The key of a tile: its address and validated filters (slugs and statuses sorted and without
/// repeats, so that equal filters share one entry).
pub fn tile_key(
    z: u32,
    x: u32,
    y: u32,
    slugs: &[String],
    words: &[String],
    statuses: &[archipel_store::domain::Status],
) -> String {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    format!(
        "{z}/{x}/{y}?c={}&q={}&s={}",
        slugs.join(","),
        words.join(" "),
        statuses.join(",")
    )
}

/// What an entry costs beyond its key's and tile's bytes: the hash map's slot and the recency
/// list's node (key and value headers, two links, hash), the `Bytes` handle and the allocator's
/// rounding. Measured order of magnitude, rounded up.
pub const ENTRY_OVERHEAD: usize = 128;

#[derive(Debug)]
pub struct TileCache {
    budget: usize,
    generation: AtomicU64,
    live: AtomicBool,
    /// The generation whose starting tiles are all built, plus one (0: none); see
    /// [`crate::tile_warm`].
    prebuilt: AtomicU64,
    /// Tiles (and counts) built on a miss through [`TileCache::get_or_build`].
    builds: AtomicU64,
    inner: Mutex<Inner>,
    /// Keys being built now, each with the lock its other askers wait on.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Asks the listener thread to read its notifications now; each asker is told when done.
    syncs: Mutex<Option<std::sync::mpsc::Sender<tokio::sync::oneshot::Sender<()>>>>,
}

/// A cached body with its entity tag, a hash of the bytes computed once when the body is stored:
/// a hit answers without reading the body again.
#[derive(Debug, Clone)]
pub struct Built {
    pub body: Bytes,
    tag: u64,
}

impl Built {
    pub fn new(body: Bytes) -> Self {
        // SipHash with fixed keys: equal bodies get equal tags in every process of a deployment.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut hasher);
        Self {
            tag: hasher.finish(),
            body,
        }
    }

    /// The body's strong entity tag, quoted (RFC 9110, section 8.8.3).
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", self.tag)
    }
}

#[derive(Debug)]
struct Inner {
    entries: LruCache<String, Built>,
    bytes: usize,
    /// When the cache was last emptied.
    changed_at: Instant,
}

fn cost(key: &str, tile: &Built) -> usize {
    key.len() + tile.body.len() + ENTRY_OVERHEAD
}

/// What a lookup returns: the tile, or the generation to pass to [`TileCache::put`].
pub enum Lookup {
    Hit(Built),
    Miss(Option<u64>),
}

impl TileCache {
    /// A cache of at most `budget` bytes; 0 disables it.
    pub fn new(budget: usize) -> Arc<Self> {
        Arc::new(Self {
            budget,
            generation: AtomicU64::new(0),
            live: AtomicBool::new(false),
            prebuilt: AtomicU64::new(0),
            builds: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
                changed_at: Instant::now(),
            }),
            flights: Mutex::new(HashMap::new()),
            syncs: Mutex::new(None),
        })
    }

    fn usable(&self) -> bool {
        self.budget > 0 && self.live.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &str) -> Lookup {
        if !self.usable() {
            return Lookup::Miss(None);
        }
        // Read before the lookup: a tile built after this point may only be stored if nothing
        // changed meanwhile.
        let generation = self.generation.load(Ordering::Acquire);
        match self.lock().entries.get(key) {
            Some(tile) => Lookup::Hit(tile.clone()),
            None => Lookup::Miss(Some(generation)),
        }
    }

    /// Stores a tile built after [`TileCache::get`] returned `generation`, unless the data
    /// changed since.
    pub fn put(&self, key: String, tile: Bytes, generation: Option<u64>) {
        self.put_built(key, Built::new(tile), generation);
    }

    fn put_built(&self, key: String, tile: Built, generation: Option<u64>) {
        let Some(generation) = generation else { return };
        let size = cost(&key, &tile);
        if size > self.budget / 8 || !self.usable() {
            return;
        }
        let mut inner = self.lock();
        // Checked under the lock: `invalidate` empties the map under the same lock.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if let Some((old_key, old)) = inner.entries.push(key, tile) {
            inner.bytes -= cost(&old_key, &old);
        }
        inner.bytes += size;
        while inner.bytes > self.budget {
            let Some((old_key, old)) = inner.entries.pop_lru() else {
                break;
            };
            inner.bytes -= cost(&old_key, &old);
        }
    }

    /// The cached tile of `key`, or the one `build` makes — once, however many ask for it at the
    /// same time: the others wait for it and take it from the cache. Without a usable cache,
    /// every caller builds its own.
    pub async fn get_or_build<F, Fut, E>(&self, key: &str, build: F) -> Result<Built, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        if let Lookup::Hit(tile) = self.get(key) {
            return Ok(tile);
        }
        if !self.usable() {
            self.builds.fetch_add(1, Ordering::Relaxed);
            return build().await.map(Built::new);
        }
        let flight = Arc::clone(
            self.flights
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(key.to_string())
                .or_default(),
        );
        let turn = flight.lock().await;
        let result = match self.get(key) {
            Lookup::Hit(tile) => Ok(tile),
            Lookup::Miss(generation) => {
                self.builds.fetch_add(1, Ordering::Relaxed);
                let built = build().await.map(Built::new);
                if let Ok(tile) = &built {
                    self.put_built(key.to_string(), tile.clone(), generation);
                }
                built
            }
        };
        drop(turn);
        let mut flights = self
            .flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map's handle and ours left: nobody else waits on this key.
        if flights
            .get(key)
            .is_some_and(|f| Arc::ptr_eq(f, &flight) && Arc::strong_count(f) <= 2)
        {
            flights.remove(key);
        }
        result
    }

    /// The map's data changed: forget every tile.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.entries.clear();
        inner.bytes = 0;
        inner.changed_at = Instant::now();
    }

    /// The map changed in these places: forget the tiles there (and the category counts).
    pub fn forget(&self, changes: &[MapChange]) {
        if changes.is_empty() {
            return;
        }
        if changes.contains(&MapChange::All) {
            return self.invalidate();
        }
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let stale: Vec<String> = inner
            .entries
            .iter()
            .filter(|(key, _)| match tile_bounds(key) {
                Some(bounds) => changes.iter().any(|c| c.touches(bounds)),
                None => true,
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            if let Some(tile) = inner.entries.pop(&key) {
                inner.bytes -= cost(&key, &tile);
            }
        }
        inner.changed_at = Instant::now();
    }

    /// Returns once the listener has read every notification committed before the call (at
    /// most a second; at once when nothing is listening).
    pub async fn sync(&self) {
        let sender = self
            .syncs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let Some(sender) = sender else { return };
        let (done, wait) = tokio::sync::oneshot::channel();
        if sender.send(done).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(1), wait).await;
        }
    }

    /// The current generation (bumped by every change) and how long ago it began.
    pub fn generation(&self) -> (u64, Duration) {
        let inner = self.lock();
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
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes counted against the budget, entries' overhead included.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// How many tiles were built on a miss through [`TileCache::get_or_build`].
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    fn set_live(&self, live: bool) {
        self.invalidate();
        self.live.store(live, Ordering::Release);
    }

    /// Listens for changes on its own connection, in a background thread, until the returned
    /// guard is dropped. Does nothing when the cache is disabled.
    ///
    /// With a replica (`replica_url`, where tiles are read from), a change is forgotten once the
    /// replica shows it, so that the tile built next is built from the changed data.
    pub fn listen(
        self: &Arc<Self>,
        database_url: String,
        replica: Option<(String, Duration)>,
    ) -> Listener {
        if self.budget == 0 {
            return Background::none();
        }
        let cache = Arc::clone(self);
        Background::spawn("tile-cache-listener", move |stop| {
            while !stop.load(Ordering::Acquire) {
                if let Err(e) = cache.follow(&database_url, replica.as_ref(), stop) {
                    tracing::warn!("tile cache: change listener stopped: {e}");
                }
                cache.set_live(false);
                pause(stop, Duration::from_secs(2));
            }
        })
    }

    /// Returns when the connection fails or `stop` is set.
    fn follow(
        &self,
        database_url: &str,
        replica: Option<&(String, Duration)>,
        stop: &AtomicBool,
    ) -> StoreResult<()> {
        let mut listener = ChangeListener::connect(database_url)?;
        let wait = replica.map_or(Duration::ZERO, |r| r.1);
        let mut replica = replica
            .map(|(url, _)| archipel_store::db::connect(url))
            .transpose()?;
        let (sender, asks) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<()>>();
        *self
            .syncs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sender);
        // Tiles built before LISTEN took effect may predate a change that was never notified.
        self.set_live(true);
        let result = self.read_changes(
            &mut listener,
            replica.as_mut().map(|r| (r, wait)),
            &asks,
            stop,
        );
        *self
            .syncs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        result
    }

    fn read_changes(
        &self,
        listener: &mut ChangeListener,
        mut replica: Option<(&mut diesel::PgConnection, Duration)>,
        asks: &std::sync::mpsc::Receiver<tokio::sync::oneshot::Sender<()>>,
        stop: &AtomicBool,
    ) -> StoreResult<()> {
        let mut last_check = Instant::now();
        while !stop.load(Ordering::Acquire) {
            let mut waiting: Vec<_> = asks
                .recv_timeout(Duration::from_millis(100))
                .into_iter()
                .collect();
            waiting.extend(asks.try_iter());
            // A round trip makes the server hand over every notification committed before it.
            if !waiting.is_empty() || last_check.elapsed() >= Duration::from_secs(5) {
                listener.check()?;
                last_check = Instant::now();
            }
            let changes = listener.changes()?;
            if !changes.is_empty()
                && let Some((replica, wait)) = replica.as_mut()
            {
                let lsn = listener.current_lsn()?;
                archipel_store::db::await_replay(replica, &lsn, *wait)?;
            }
            self.forget(&changes);
            for done in waiting {
                let _ = done.send(());
            }
        }
        Ok(())
    }
}

/// Web Mercator half-width of the world, in metres.
const HALF_WORLD: f64 = 20_037_508.342_789_244;

/// The area a cached tile draws (its own, with a margin of an eighth of a tile: clusters read one
/// cell of sixteen beyond the edges, points 64 of 4096 units), from its key `z/x/y?…`; `None`
/// for keys that are not tiles (the category counts), which every change forgets.
pub fn tile_bounds(key: &str) -> Option<[f64; 4]> {
    let address = key.split('?').next()?;
    let mut parts = address.split('/').map(|p| p.parse::<u32>().ok());
    let (z, x, y) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || z > 30 {
        return None;
    }
    let size = 2.0 * HALF_WORLD / f64::from(1u32 << z);
    let margin = size / 8.0;
    let xmin = -HALF_WORLD + f64::from(x) * size;
    let ymax = HALF_WORLD - f64::from(y) * size;
    Some([
        xmin - margin,
        ymax - size - margin,
        xmin + size + margin,
        ymax + margin,
    ])
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
        assert!(matches!(cache.get("5/16/11"), Lookup::Hit(t) if &t.body[..] == b"new"));
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
        // Eight entries of 100 bytes with one-letter keys fit, not nine.
        let cache = live(8 * (101 + ENTRY_OVERHEAD) + 100);
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

    #[test]
    fn empty_tiles_and_keys_count_against_the_budget() {
        let budget = 64 * 1024;
        let cache = live(budget);
        for i in 0..10_000 {
            let key = format!("14/{i}/{i}?c=&q=&s=");
            let generation = miss(&cache, &key);
            cache.put(key, Bytes::new(), generation);
        }
        assert!(cache.bytes() <= budget, "{} > {budget}", cache.bytes());
        assert!(cache.len() < budget / ENTRY_OVERHEAD);
    }

    #[test]
    fn a_change_forgets_only_the_tiles_where_it_is() {
        let cache = live(1 << 20);
        // Nantes is in z5 tile 15/11 and z10 tile 507/359; z5 tile 17/11 is over Italy.
        let nantes = [-172_879.0, 5_977_730.0];
        for key in [
            "5/15/11?c=&q=&s=",
            "10/507/359?c=&q=&s=",
            "5/17/11?c=&q=&s=",
            CATEGORIES_KEY,
        ] {
            let generation = miss(&cache, key);
            cache.put(key.into(), Bytes::from_static(b"tile"), generation);
        }
        cache.forget(&[MapChange::Points(vec![nantes])]);
        assert!(matches!(cache.get("5/17/11?c=&q=&s="), Lookup::Hit(_)));
        for key in ["5/15/11?c=&q=&s=", "10/507/359?c=&q=&s=", CATEGORIES_KEY] {
            assert!(matches!(cache.get(key), Lookup::Miss(_)), "{key}");
        }
        assert_eq!(
            cache.bytes(),
            cost("5/17/11?c=&q=&s=", &Built::new(Bytes::from_static(b"tile")))
        );
        cache.forget(&[MapChange::All]);
        assert!(cache.is_empty());
    }

    #[test]
    fn tile_bounds_cover_the_tile_and_its_margin() {
        let [xmin, _, xmax, _] = tile_bounds("0/0/0?c=").unwrap();
        assert!(xmin < -HALF_WORLD && xmax > HALF_WORLD);
        assert_eq!(tile_bounds(CATEGORIES_KEY), None);
        assert_eq!(tile_bounds("5/1"), None);
    }

    #[actix_web::test]
    async fn concurrent_misses_of_one_tile_build_it_once() {
        let cache = live(1 << 20);
        let asks = (0..8).map(|_| {
            cache.get_or_build("5/16/11", || async {
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, ()>(Bytes::from_static(b"tile"))
            })
        });
        let tiles = futures_util::future::join_all(asks).await;
        assert!(
            tiles
                .iter()
                .all(|t| t.as_ref().map(|t| &t.body[..]) == Ok(&b"tile"[..]))
        );
        assert_eq!(cache.builds(), 1);
    }
}
