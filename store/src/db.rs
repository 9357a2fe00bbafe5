//! Connection pools.

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, ManageConnection, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::time::{Duration, Instant};

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type Conn = PooledConnection<Manager>;

/// How long after its last successful statement a pooled connection is handed out without
/// being checked first.
pub const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// What a connection's last statement told about the connection itself, kept up to date by
/// diesel's instrumentation events.
#[derive(Debug, Default)]
struct Health {
    /// When a statement last completed without error.
    last_ok: Option<Instant>,
    /// The last statement failed because the connection is gone.
    lost: bool,
}

impl Instrumentation for Health {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error, .. } = event {
            match error {
                None => {
                    self.last_ok = Some(Instant::now());
                    self.lost = false;
                }
                Some(e) => {
                    self.last_ok = None;
                    self.lost = matches!(
                        e,
                        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
                            | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
                    );
                }
            }
        }
    }
}

fn health(conn: &mut PgConnection) -> Option<&Health> {
    conn.instrumentation().downcast_ref::<Health>()
}

/// The pools' connection manager: diesel's, except that a connection is checked (`SELECT 1`)
/// at check-out only when it has not completed a statement within [`TRUSTED_FOR`] (or the
/// pool's own window, see [`pool_trusting`]). A busy
/// pool thus skips a round trip per request (0.067 ms over TCP, 4 % of a z14 tile at 100k
/// initiatives), while a connection left idle across a database restart is still checked and
/// replaced. One that dies while in use fails its statement; it is then discarded when it comes
/// back (connection lost) or checked at its next check-out (any other error).
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    trusted_for: Duration,
}

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        let mut conn = self.inner.connect()?;
        conn.set_instrumentation(Health::default());
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        let trusted = health(conn)
            .and_then(|h| h.last_ok)
            .is_some_and(|t| t.elapsed() < self.trusted_for);
        if trusted {
            return Ok(());
        }
        self.inner.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        self.inner.has_broken(conn) || health(conn).is_some_and(|h| h.lost)
    }
}

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

/// A pool whose connections run under `limits`. A connection is checked when it is taken unless
/// it has just been used (see [`Manager`]), so that after the database restarted the dead ones
/// are replaced instead of failing a request each; when none can be had within 3 s, the caller
/// gets [`crate::StoreError::Pool`] (answered 503).
pub fn pool_with(database_url: &str, max_size: u32, limits: Limits) -> Pool {
    pool_trusting(database_url, max_size, limits, TRUSTED_FOR)
}

/// [`pool_with`], with connections handed out unchecked for `trusted_for` after their last
/// successful statement.
pub fn pool_trusting(
    database_url: &str,
    max_size: u32,
    limits: Limits,
    trusted_for: Duration,
) -> Pool {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(true)
        .connection_customizer(Box::new(Session::new(limits)))
        .build_unchecked(Manager {
            inner: ConnectionManager::new(database_url),
            trusted_for,
        })
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
