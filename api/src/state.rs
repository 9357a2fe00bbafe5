//! What every handler shares: the connection pool and the settings.

use crate::error::ApiError;
use archipel_store::error::StoreResult;
use archipel_store::{Pool, StoreError};
use diesel::PgConnection;
use std::path::PathBuf;

/// Settings of a running server, loaded once by `main` (or a test) and passed down.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Absolute base URL for links in responses (e.g. `https://carte.example.fr`); when unset,
    /// links use the scheme and host of each request.
    pub public_url: Option<String>,
    /// Directory of the built front end (`frontend/dist`); not served when unset.
    pub frontend_dir: Option<PathBuf>,
}

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
}

impl AppState {
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
