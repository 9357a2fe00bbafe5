//! Duplicate candidates: pairs of initiatives that may be the same place, for a person to judge.

use crate::error::StoreResult;
use crate::statement::Statement;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Float, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct DuplicateCandidate {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Float)]
    pub score: f32,
    /// Metres between the two points.
    #[diesel(sql_type = Nullable<Float>)]
    #[schema(required = true)]
    pub distance_m: Option<f32>,
    /// Trigram similarity of the names (0 to 1).
    #[diesel(sql_type = Nullable<Float>)]
    #[schema(required = true)]
    pub name_similarity: Option<f32>,
    /// Contact details both share: website, phone, email.
    #[diesel(sql_type = Array<Text>)]
    pub shared_contacts: Vec<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    #[schema(required = true)]
    pub run_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub a_id: Uuid,
    #[diesel(sql_type = Text)]
    pub a_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub a_source: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub b_id: Uuid,
    #[diesel(sql_type = Text)]
    pub b_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub b_source: Option<String>,
}

/// Candidates in `status` (open by default), best score first, one page after `after_id`.
pub fn list(
    conn: &mut PgConnection,
    status: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<DuplicateCandidate>> {
    Ok(Statement::new(
        "SELECT d.id, d.score, d.distance_m, d.name_similarity, d.shared_contacts, d.status, d.run_id, d.created_at,
                a.id AS a_id, a.name AS a_name, a.source_id AS a_source, b.id AS b_id, b.name AS b_name, b.source_id AS b_source
         FROM duplicate_candidates d JOIN initiatives a ON a.id = d.initiative_a JOIN initiatives b ON b.id = d.initiative_b
         WHERE d.status = ",
    )
    .bind::<Text, _>(status.to_string())
    .sql(" ORDER BY d.score DESC, d.id LIMIT ")
    .bind::<BigInt, _>(limit)
    .sql(" OFFSET ")
    .bind::<BigInt, _>(offset)
    .load(conn)?)
}

/// Records a person's judgement of a candidate: `dismissed` (two places) or `confirmed` (one).
pub fn judge(conn: &mut PgConnection, id: i64, status: &str) -> StoreResult<bool> {
    let n = Statement::new("UPDATE duplicate_candidates SET status = ")
        .bind::<Text, _>(status.to_string())
        .sql(" WHERE id = ")
        .bind::<BigInt, _>(id)
        .execute(conn)?;
    Ok(n > 0)
}
