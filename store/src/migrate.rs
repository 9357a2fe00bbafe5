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

/// Reverts the `n` newest applied migrations (to test a migration against data of the schema
/// before it).
pub fn revert_last(conn: &mut PgConnection, n: usize) -> StoreResult<()> {
    for _ in 0..n {
        conn.revert_last_migration(MIGRATIONS)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
    }
    Ok(())
}

/// True when the database has every migration this binary knows.
pub fn is_current(conn: &mut PgConnection) -> StoreResult<bool> {
    let pending = conn
        .has_pending_migration(MIGRATIONS)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(!pending)
}

/// A digest of the migration files under `dir` (names and contents): databases built from
/// migrations (test templates, benchmark datasets) are named or tagged after it, so a changed
/// migration gets a fresh one.
pub fn digest(dir: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|d| {
            std::fs::read_dir(d.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(|f| f.path())
        })
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        if let Some(name) = file.strip_prefix(dir).ok().and_then(|p| p.to_str()) {
            hasher.update(name.as_bytes());
        }
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
