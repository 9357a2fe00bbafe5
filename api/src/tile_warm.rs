//! Building ahead the tiles every visitor starts from.
//!
//! The map opens on a whole territory, at a low zoom where one tile aggregates hundreds of
//! thousands of initiatives (over a second each at 1M). The tile cache keeps a built tile, but
//! after a start or a change the first visitor would still pay for every tile of the view. So,
//! once the data has stopped changing for [`QUIET`], a background thread builds the unfiltered
//! tiles from zoom 0 to `max_zoom` that hold initiatives — the default view's zoom first — and
//! the category counts, and stores them in the cache under the generation it read before
//! starting: if the data changes meanwhile, what it built is refused by the cache and it starts
//! again once changes pause. Tiles that a visitor has already built are skipped.
//!
//! The work is one statement at a time on one pooled connection, so visitors keep the rest of
//! the database; the cost is about one pass over `map_points` per zoom.

use crate::tile_cache::{Background, CATEGORIES_KEY, Lookup, TileCache, pause, tile_key};
use archipel_store::db::Pool;
use archipel_store::error::StoreResult;
use archipel_store::tiles::{self, TileQuery};
use bytes::Bytes;
use diesel::PgConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long the data must stay unchanged before the tiles are built again (an import commits
/// a batch every few hundred milliseconds; building between its batches would be wasted).
pub const QUIET: Duration = Duration::from_secs(2);

/// Which tiles to build ahead.
#[derive(Debug, Clone, Copy)]
pub struct WarmPlan {
    /// Deepest zoom built ahead (each zoom costs about one pass over the initiatives).
    pub max_zoom: u32,
    /// The zoom the map opens at: its tiles are built first.
    pub first_zoom: u32,
}

/// The building thread; dropping it stops the thread.
pub type Warmer = Background;

/// Starts building ahead for `cache` (which must have its listener running to keep anything).
pub fn spawn(cache: Arc<TileCache>, pool: Pool, plan: WarmPlan) -> Warmer {
    Background::spawn("tile-warmer", move |stop| run(&cache, &pool, plan, stop))
}

fn run(cache: &TileCache, pool: &Pool, plan: WarmPlan, stop: &AtomicBool) {
    let mut done = None;
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(100));
        if !cache.is_live() {
            continue;
        }
        let (generation, age) = cache.generation();
        if done == Some(generation) || age < QUIET {
            continue;
        }
        let started = Instant::now();
        match warm(cache, pool, plan, generation, stop) {
            Ok(Some(built)) => {
                done = Some(generation);
                cache.set_prebuilt(generation);
                tracing::info!(
                    tiles = built,
                    ms = started.elapsed().as_millis() as u64,
                    "map tiles built ahead up to zoom {}",
                    plan.max_zoom
                );
            }
            // The data changed meanwhile: again once it pauses.
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "map tiles could not be built ahead; trying again in 10 s");
                pause(stop, Duration::from_secs(10));
            }
        }
    }
}

/// The tile addresses to build, in order: the first zoom's, then every other zoom's from 0 up,
/// each zoom's tiles being the parents of the occupied tiles at `max_zoom`.
pub fn addresses(plan: WarmPlan, occupied: &[(u32, u32)]) -> Vec<(u32, u32, u32)> {
    let zooms = std::iter::once(plan.first_zoom)
        .filter(|z| *z <= plan.max_zoom)
        .chain((0..=plan.max_zoom).filter(|z| *z != plan.first_zoom));
    let mut all = Vec::new();
    for z in zooms {
        let shift = plan.max_zoom - z;
        let mut level: Vec<(u32, u32, u32)> = occupied
            .iter()
            .map(|(x, y)| (z, x >> shift, y >> shift))
            .collect();
        level.sort_unstable();
        level.dedup();
        all.extend(level);
    }
    all
}

/// Builds what is missing for `generation`; `None` when the data changed (or the server is
/// stopping) before the end.
fn warm(
    cache: &TileCache,
    pool: &Pool,
    plan: WarmPlan,
    generation: u64,
    stop: &AtomicBool,
) -> StoreResult<Option<usize>> {
    let interrupted = || stop.load(Ordering::Acquire) || cache.generation().0 != generation;
    let mut conn = pool.get()?;
    let occupied = tiles::occupied(&mut conn, plan.max_zoom)?;
    let mut built = 0;
    let mut counts_done = false;
    for (z, x, y) in addresses(plan, &occupied) {
        // The category counts once the opening view is ready (the map draws without them).
        if !counts_done && z != plan.first_zoom {
            counts_done = true;
            build_counts(cache, &mut conn, generation)?;
        }
        if interrupted() {
            return Ok(None);
        }
        let key = tile_key(z, x, y, &[], &[], &[]);
        if let Lookup::Hit(_) = cache.get(&key) {
            continue;
        }
        let query = TileQuery {
            z,
            x,
            y,
            category_ids: None,
            words: Vec::new(),
            statuses: Vec::new(),
            territory: None,
        };
        let tile = tiles::tile(&mut conn, &query)?;
        cache.put(key, Bytes::from(tile), Some(generation));
        built += 1;
    }
    if !counts_done {
        build_counts(cache, &mut conn, generation)?;
    }
    Ok((!interrupted()).then_some(built))
}

fn build_counts(cache: &TileCache, conn: &mut PgConnection, generation: u64) -> StoreResult<()> {
    if let Lookup::Miss(_) = cache.get(CATEGORIES_KEY) {
        let body = archipel_store::category::tree_body(conn)?;
        cache.put(CATEGORIES_KEY.into(), Bytes::from(body), Some(generation));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_zoom_comes_first_then_every_zoom_from_the_top() {
        let plan = WarmPlan {
            max_zoom: 3,
            first_zoom: 2,
        };
        // Two occupied tiles at z3, under different z2 parents but the same z1 parent.
        let addresses = addresses(plan, &[(4, 2), (6, 3)]);
        assert_eq!(
            addresses,
            [
                (2, 2, 1),
                (2, 3, 1),
                (0, 0, 0),
                (1, 1, 0),
                (3, 4, 2),
                (3, 6, 3)
            ]
        );
    }

    #[test]
    fn an_opening_zoom_beyond_the_plan_is_not_built() {
        let plan = WarmPlan {
            max_zoom: 1,
            first_zoom: 5,
        };
        assert_eq!(addresses(plan, &[(1, 1)]), [(0, 0, 0), (1, 1, 1)]);
    }
}
