//! The full export of published initiatives as GeoJSON features, streamed row by row from
//! PostgreSQL (libpq single-row mode): memory stays flat whatever the size of the directory.

use crate::error::StoreResult;
use crate::representation::Representation;
use crate::statement::Statement;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::Text;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    feature: String,
}

/// The statement of the export (also what the benchmark compares with `COPY … TO`).
pub fn statement() -> Statement<'static> {
    Statement::new("SELECT ")
        .sql(Representation::Feature.sql())
        .sql(" AS feature FROM initiatives i WHERE i.moderation = 'published'")
}

/// Hands each published initiative's Feature to `emit`, which returns false to stop early.
/// Returns how many were emitted.
pub fn features(conn: &mut PgConnection, mut emit: impl FnMut(&str) -> bool) -> StoreResult<u64> {
    let mut count = 0;
    for row in statement().load_iter::<Row, PgRowByRowLoadingMode>(conn)? {
        count += 1;
        if !emit(&row?.feature) {
            break;
        }
    }
    Ok(count)
}
