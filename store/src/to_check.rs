//! Initiatives to check: published ones nobody has confirmed as still active for a while (never
//! confirmed ones count from their creation), oldest first, for an editor to call or visit.

use crate::error::StoreResult;
use crate::statement::Statement;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

/// An initiative whose being still active was last confirmed before the cut-off.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct ToCheck {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub city: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub categories: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub source_id: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[schema(required = true)]
    pub last_confirmed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Published initiatives last confirmed (or, never confirmed, created) before `before`, the
/// longest unconfirmed first; one page.
pub fn list(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<ToCheck>> {
    Ok(Statement::new(
        "SELECT i.id, i.slug, i.name, i.city, i.category_slugs AS categories, i.source_id,
                i.last_confirmed_at, i.created_at, i.updated_at
         FROM initiatives i
         WHERE i.moderation = 'published' AND coalesce(i.last_confirmed_at, i.created_at) < ",
    )
    .bind::<Timestamptz, _>(before)
    .sql(" ORDER BY coalesce(i.last_confirmed_at, i.created_at), i.id LIMIT ")
    .bind::<BigInt, _>(limit)
    .sql(" OFFSET ")
    .bind::<BigInt, _>(offset)
    .load(conn)?)
}
