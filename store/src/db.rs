//! Connection pools.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use diesel::{PgConnection, RunQueryDsl};
use std::time::Duration;

pub type Pool = diesel::r2d2::Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Limits a pool's connections run under; `None` leaves PostgreSQL's default (no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// `statement_timeout`: a statement running longer is cancelled.
    pub statement_timeout: Option<Duration>,
    /// `lock_timeout`: a statement waiting longer for a lock is cancelled.
    pub lock_timeout: Option<Duration>,
}

/// Session settings of every pooled connection.
#[derive(Debug)]
struct Session {
    sql: String,
}

impl Session {
    fn new(limits: Limits) -> Self {
        // JIT compilation costs ~25 ms per execution once a plan's cost passes `jit_above_cost`
        // (26 ms on the z5 tile over 1M points, whose run time did not change: 1.14 s either
        // way) — more than most API statements take in all.
        let mut sql = String::from("SET jit = off");
        let millis = |d: Duration| d.as_millis().max(1);
        if let Some(t) = limits.statement_timeout {
            sql.push_str(&format!("; SET statement_timeout = {}", millis(t)));
        }
        if let Some(t) = limits.lock_timeout {
            sql.push_str(&format!("; SET lock_timeout = {}", millis(t)));
        }
        Self { sql }
    }
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for Session {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&self.sql)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Fails unless the server answers (`SELECT 1`).
pub fn ping(conn: &mut PgConnection) -> crate::error::StoreResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// Lifts the request limits of a pooled connection for the rest of the current transaction, for
/// work that is long by nature (an import): no statement time-out, and row locks waited for up
/// to five minutes.
pub fn lift_limits_for_transaction(conn: &mut PgConnection) -> crate::error::StoreResult<()> {
    conn.batch_execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '5min'")?;
    Ok(())
}

/// Builds a pool without connecting: the server starts even while the database is down, and
/// `/readyz` says so.
pub fn pool(database_url: &str, max_size: u32) -> Pool {
    pool_with(database_url, max_size, Limits::default())
}

/// A pool whose connections run under `limits`. Each connection is checked (`SELECT 1`, a few
/// tens of microseconds) when it is taken, so that after the database restarted the dead ones
/// are replaced instead of failing a request each; when none can be had within 3 s, the caller
/// gets [`crate::StoreError::Pool`] (answered 503).
pub fn pool_with(database_url: &str, max_size: u32, limits: Limits) -> Pool {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(true)
        .connection_customizer(Box::new(Session::new(limits)))
        .build_unchecked(ConnectionManager::new(database_url))
}

#[derive(diesel::QueryableByName)]
struct Lsn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    lsn: String,
}

#[derive(diesel::QueryableByName)]
struct Replayed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    done: bool,
}

/// The primary's current write-ahead log position (`pg_current_wal_lsn`), as text.
pub fn current_lsn(primary: &mut PgConnection) -> crate::error::StoreResult<String> {
    Ok(
        diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
            .get_result::<Lsn>(primary)?
            .lsn,
    )
}

/// Waits, at most `timeout`, until `replica` has replayed the primary's log up to `lsn`: what
/// was committed before is then visible there. `Ok(false)` when the time ran out.
pub fn await_replay(
    replica: &mut PgConnection,
    lsn: &str,
    timeout: std::time::Duration,
) -> crate::error::StoreResult<bool> {
    let until = std::time::Instant::now() + timeout;
    loop {
        let replayed: Replayed = diesel::sql_query(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) AS done",
        )
        .bind::<diesel::sql_types::Text, _>(lsn)
        .get_result(replica)?;
        if replayed.done {
            return Ok(true);
        }
        if std::time::Instant::now() >= until {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// One connection of its own (outside the pools), its failure as a store error.
pub fn connect(database_url: &str) -> crate::error::StoreResult<PgConnection> {
    use diesel::Connection;
    PgConnection::establish(database_url).map_err(|e| {
        crate::error::StoreError::Database(diesel::result::Error::QueryBuilderError(e.into()))
    })
}
