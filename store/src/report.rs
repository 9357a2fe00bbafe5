//! Corrections reported by visitors.

use crate::error::StoreResult;
use crate::statement::Statement;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct Report {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub initiative_id: Uuid,
    #[diesel(sql_type = Text)]
    pub initiative_name: String,
    #[diesel(sql_type = Text)]
    pub message: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub contact_email: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[schema(required = true)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Stores a report; returns its id.
pub fn create(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    message: &str,
    contact_email: Option<&str>,
) -> StoreResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id =
        Statement::new("INSERT INTO reports (initiative_id, message, contact_email) VALUES (")
            .bind::<SqlUuid, _>(initiative_id)
            .sql(", ")
            .bind::<Text, _>(message.to_string())
            .sql(", ")
            .bind::<Nullable<Text>, _>(contact_email.map(str::to_string))
            .sql(") RETURNING id")
            .get_result(conn)?;
    Ok(row.id)
}

/// Reports in `status`, oldest first.
pub fn list(conn: &mut PgConnection, status: &str, limit: i64) -> StoreResult<Vec<Report>> {
    Ok(Statement::new(
        "SELECT r.id, r.initiative_id, i.name AS initiative_name, r.message, r.contact_email, r.status, r.created_at, r.resolved_at
         FROM reports r JOIN initiatives i ON i.id = r.initiative_id WHERE r.status = ",
    )
    .bind::<Text, _>(status.to_string())
    .sql(" ORDER BY r.id LIMIT ")
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Marks a report `resolved` or `rejected`; false when there is no such report.
pub fn close(conn: &mut PgConnection, id: i64, status: &str) -> StoreResult<bool> {
    let n = Statement::new("UPDATE reports SET status = ")
        .bind::<Text, _>(status.to_string())
        .sql(", resolved_at = now() WHERE id = ")
        .bind::<BigInt, _>(id)
        .execute(conn)?;
    Ok(n > 0)
}
