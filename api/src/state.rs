//! What every handler shares: the connection pool and the settings.

use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::tile_cache::TileCache;
use archipel_importer::Fetcher;
use archipel_store::error::StoreResult;
use archipel_store::{Pool, StoreError};
use diesel::PgConnection;
use std::path::PathBuf;
use std::sync::Arc;

/// Settings of a running server, loaded once by `main` (or a test) and passed down.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Absolute base URL for links in responses (e.g. `https://carte.example.fr`); when unset,
    /// links use the scheme and host of each request.
    pub public_url: Option<String>,
    /// Directory of the built front end (`frontend/dist`); not served when unset.
    pub frontend_dir: Option<PathBuf>,
    /// Suggestions and reports accepted from one address per window.
    pub form_limit: usize,
    pub form_window: std::time::Duration,
    /// Take the client's address from `Forwarded`/`X-Forwarded-For` (behind a trusted proxy).
    pub trust_forwarded: bool,
    /// MapLibre style URL of the basemap; `None` uses OpenStreetMap's raster tiles.
    pub basemap_style: Option<String>,
    /// Where the map opens: latitude, longitude, zoom.
    pub default_view: (f64, f64, f64),
    /// How imports fetch feeds.
    pub fetch: archipel_importer::FetchSettings,
    /// Memory for built tiles (bytes); 0 builds every tile afresh.
    pub tile_cache_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: None,
            frontend_dir: None,
            form_limit: 10,
            form_window: std::time::Duration::from_secs(600),
            trust_forwarded: false,
            basemap_style: None,
            // Metropolitan France.
            default_view: (46.6, 2.4, 5.0),
            fetch: archipel_importer::FetchSettings::default(),
            tile_cache_bytes: 64 << 20,
        }
    }
}

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub limiter: RateLimiter,
    /// The one HTTP client of imports.
    pub fetcher: Arc<Fetcher>,
    /// Built tiles; see [`TileCache::listen`].
    pub tiles: Arc<TileCache>,
}

impl AppState {
    pub fn new(pool: Pool, settings: Settings) -> Self {
        let limiter = RateLimiter::new(settings.form_limit, settings.form_window);
        let fetcher = Arc::new(
            Fetcher::new(settings.fetch.clone()).expect("the HTTP client of imports can be built"),
        );
        let tiles = TileCache::new(settings.tile_cache_bytes);
        Self {
            pool,
            settings,
            limiter,
            fetcher,
            tiles,
        }
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let result = actix_web::web::block(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            f(&mut conn)
        })
        .await?;
        result.map_err(ApiError::from)
    }
}
