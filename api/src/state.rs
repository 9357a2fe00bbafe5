//! What every handler shares: the connection pools and the settings.

use crate::error::ApiError;
use crate::export_gate::ExportGate;
use crate::tile_cache::TileCache;
use archipel_importer::Fetcher;
use archipel_store::db::{self, Limits};
use archipel_store::error::StoreResult;
use archipel_store::{Pool, StoreError};
use diesel::PgConnection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Settings of a running server, loaded once by `main` (or a test) and passed down.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Absolute base URL for links in responses (e.g. `https://carte.example.fr`); when unset,
    /// links use the scheme and host of each request (a host of an unexpected shape is not used).
    pub public_url: Option<String>,
    /// Directory of the built front end (`frontend/dist`); not served when unset.
    pub frontend_dir: Option<PathBuf>,
    /// Suggestions and reports accepted from one client network per window.
    pub form_limit: usize,
    pub form_window: Duration,
    /// Suggestions and reports accepted from everyone per hour.
    pub form_limit_per_hour: usize,
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
    /// Database connections for requests (reads and writes each get a pool of this size).
    pub pool_size: u32,
    /// The longest a public read's statement may run; it then answers 503.
    pub read_statement_timeout: Option<Duration>,
    /// The longest a request waits for a row lock (held by an import, another editor); it then
    /// answers 503.
    pub lock_timeout: Option<Duration>,
    /// Streamed exports at once, in all and per client network.
    pub export_max: usize,
    pub export_max_per_client: usize,
    /// An export whose client reads nothing for this long is dropped.
    pub export_stall_timeout: Duration,
    /// Who publishes the data (the DCAT catalogue's publisher), and their site.
    pub publisher_name: String,
    pub publisher_url: Option<String>,
    /// A streaming replica for public reads and exports (`ARCHIPEL_DATABASE_READ_URL`); writes,
    /// editors' work and imports stay on the primary.
    pub read_database_url: Option<String>,
    /// The longest a write waits for the replica to show it (`ARCHIPEL_REPLICA_WAIT`).
    pub replica_wait: Duration,
    /// The SMTP server that e-mails invitation and reset links (printed only, without one).
    pub smtp: Option<crate::mail::SmtpSettings>,
    /// The licence of the directory's own entries (SPDX identifier, e.g. `etalab-2.0` for the
    /// Licence Ouverte, `ODbL-1.0`); imported ones keep their source's.
    pub default_licence: String,
    /// Whether the individual assessments of initiatives are public (their means per territory
    /// always are); by default only editors read them.
    pub assessments_public: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: None,
            frontend_dir: None,
            form_limit: 10,
            form_window: Duration::from_secs(600),
            form_limit_per_hour: 300,
            trust_forwarded: false,
            basemap_style: None,
            // Metropolitan France.
            default_view: (46.6, 2.4, 5.0),
            fetch: archipel_importer::FetchSettings::default(),
            tile_cache_bytes: 64 << 20,
            pool_size: 10,
            read_statement_timeout: Some(Duration::from_secs(5)),
            lock_timeout: Some(Duration::from_secs(3)),
            export_max: 4,
            export_max_per_client: 2,
            export_stall_timeout: Duration::from_secs(30),
            publisher_name: "Archipel".into(),
            publisher_url: None,
            default_licence: "etalab-2.0".into(),
            read_database_url: None,
            replica_wait: REPLICA_WAIT,
            smtp: None,
            assessments_public: false,
        }
    }
}

pub struct AppState {
    /// Writes, editors' work, imports and the tile warmer: no statement time limit.
    pub pool: Pool,
    /// Public reads: statements are cut off after `read_statement_timeout`.
    pub read_pool: Pool,
    /// Streamed exports, each holding one connection while it runs; apart, so that slow
    /// downloads can never take the connections other requests need.
    pub export_pool: Pool,
    pub settings: Settings,
    /// The one HTTP client of imports.
    pub fetcher: Arc<Fetcher>,
    /// Built tiles; see [`TileCache::listen`].
    pub tiles: Arc<TileCache>,
    pub exports: Arc<ExportGate>,
    /// Whether `read_pool` and `export_pool` are on a replica.
    pub replicated: bool,
    /// Sends invitation and reset links, when SMTP is configured.
    pub mailer: Option<crate::mail::Mailer>,
}

/// The longest a write waits, by default, for the replica to show it before answering.
pub const REPLICA_WAIT: Duration = Duration::from_secs(2);

impl AppState {
    /// The state of a server over the database at `database_url`.
    pub fn new(database_url: &str, settings: Settings) -> Self {
        let write_limits = Limits {
            statement_timeout: None,
            lock_timeout: settings.lock_timeout,
        };
        let read_limits = Limits {
            statement_timeout: settings.read_statement_timeout,
            lock_timeout: settings.lock_timeout,
        };
        let size = settings.pool_size.max(2);
        let reads = settings
            .read_database_url
            .as_deref()
            .unwrap_or(database_url);
        let pool = db::pool_with(database_url, size, write_limits);
        let read_pool = db::pool_with(reads, size, read_limits);
        let export_pool =
            db::pool_with(reads, settings.export_max.max(1) as u32, Limits::default());
        let fetcher = Arc::new(
            Fetcher::new(settings.fetch.clone()).expect("the HTTP client of imports can be built"),
        );
        let tiles = TileCache::new(settings.tile_cache_bytes);
        let exports = ExportGate::new(settings.export_max, settings.export_max_per_client);
        let mailer = settings.smtp.as_ref().and_then(|smtp| {
            crate::mail::Mailer::new(smtp)
                .map_err(|e| tracing::error!("links will not be e-mailed: {e}"))
                .ok()
        });
        Self {
            mailer,
            replicated: settings.read_database_url.is_some(),
            pool,
            read_pool,
            export_pool,
            settings,
            fetcher,
            tiles,
            exports,
        }
    }

    /// With a replica, returns once it shows everything committed so far (at most
    /// `replica_wait`): a write answers only when what it wrote can be read back, by its author
    /// and by everyone. Without one, at once.
    pub async fn await_replica(&self) {
        if !self.replicated {
            return;
        }
        let (primary, replica) = (self.pool.clone(), self.read_pool.clone());
        let wait = self.settings.replica_wait;
        let waited = actix_web::web::block(move || -> StoreResult<bool> {
            let mut primary = primary.get().map_err(StoreError::from)?;
            let lsn = db::current_lsn(&mut primary)?;
            let mut replica = replica.get().map_err(StoreError::from)?;
            db::await_replay(&mut replica, &lsn, wait)
        })
        .await;
        match waited {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => tracing::warn!("the replica lags more than {wait:?} behind"),
            Ok(Err(e)) => tracing::warn!(error = %e, "the replica's position could not be read"),
            Err(e) => tracing::warn!(error = %e, "waiting for the replica failed"),
        }
    }

    /// Runs `f` with a pooled connection for writes (or reads that must see them) on the
    /// blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> StoreResult<T> + Send + 'static,
    {
        run(self.pool.clone(), f).await
    }

    /// Runs `f`, a public read, with a connection whose statements are cut off after the
    /// configured time (a 503 with `Retry-After` then).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> StoreResult<T> + Send + 'static,
    {
        run(self.read_pool.clone(), f).await
    }
}

async fn run<T, F>(pool: Pool, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> StoreResult<T> + Send + 'static,
{
    let result = actix_web::web::block(move || {
        let mut conn = pool.get().map_err(StoreError::from)?;
        f(&mut conn)
    })
    .await?;
    result.map_err(ApiError::from)
}
