//! Connection pool.

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use std::time::Duration;

pub type Pool = diesel::r2d2::Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Session settings of every pooled connection.
#[derive(Debug)]
struct Session;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for Session {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // JIT compilation costs ~25 ms per execution once a plan's cost passes `jit_above_cost`
        // (26 ms on the z5 tile over 1M points, whose run time did not change: 1.14 s either
        // way) — more than most API statements take in all.
        conn.batch_execute("SET jit = off")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds a pool without connecting: the server starts even while the database is down, and
/// `/readyz` says so.
pub fn pool(database_url: &str, max_size: u32) -> Pool {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .connection_customizer(Box::new(Session))
        .build_unchecked(ConnectionManager::new(database_url))
}
