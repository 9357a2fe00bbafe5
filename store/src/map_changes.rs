//! Learning that the map changed: the migrations' triggers send `NOTIFY archipel_map` (delivered
//! at commit) whenever `map_points` or `categories` change; a [`ChangeListener`] receives them
//! on a connection of its own.

use crate::error::{StoreError, StoreResult};
use diesel::{Connection, PgConnection, RunQueryDsl};

/// The channel the triggers notify.
pub const CHANNEL: &str = "archipel_map";

/// A connection listening on [`CHANNEL`].
pub struct ChangeListener {
    conn: PgConnection,
}

impl ChangeListener {
    /// Connects and starts listening: changes committed from now on are received.
    pub fn connect(database_url: &str) -> StoreResult<Self> {
        let mut conn = PgConnection::establish(database_url).map_err(|e| {
            StoreError::Database(diesel::result::Error::QueryBuilderError(e.into()))
        })?;
        diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
        Ok(Self { conn })
    }

    /// Whether any change arrived since the last call (without waiting).
    pub fn changed(&mut self) -> StoreResult<bool> {
        let mut changed = false;
        for notification in self.conn.notifications_iter() {
            notification?;
            changed = true;
        }
        Ok(changed)
    }

    /// Fails when the server went away (reading notifications alone does not notice it).
    pub fn check(&mut self) -> StoreResult<()> {
        crate::db::ping(&mut self.conn)
    }
}
