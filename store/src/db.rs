//! Connection pool.

use diesel::PgConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use std::time::Duration;

pub type Pool = diesel::r2d2::Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Builds a pool without connecting: the server starts even while the database is down, and
/// `/readyz` says so.
pub fn pool(database_url: &str, max_size: u32) -> Pool {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::new(database_url))
}
