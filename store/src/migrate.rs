//! The SQL migrations of `migrations/`, embedded in the binary.

use crate::error::{StoreError, StoreResult};
use diesel::PgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Applies every pending migration; returns the names of those applied.
pub fn run_pending(conn: &mut PgConnection) -> StoreResult<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration, newest first.
pub fn revert_all(conn: &mut PgConnection) -> StoreResult<()> {
    conn.revert_all_migrations(MIGRATIONS)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(())
}

/// True when the database has every migration this binary knows.
pub fn is_current(conn: &mut PgConnection) -> StoreResult<bool> {
    let pending = conn
        .has_pending_migration(MIGRATIONS)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(!pending)
}
