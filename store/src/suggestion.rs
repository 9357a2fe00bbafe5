//! Suggestions from visitors of the map, and the personal data that comes with them.
//!
//! A suggestion is a `pending` initiative created by a visitor plus a row of `suggestions`,
//! which alone holds the submitter's e-mail (if they gave one). That e-mail is never copied into
//! the initiative, its revisions or any public representation; editors see it in the list of
//! suggestions to moderate, and [`purge`] erases it once the suggestion is closed and old.

use crate::error::StoreResult;
use crate::initiative::{self, InitiativeDraft, Written};
use crate::revision::Author;
use crate::statement::Statement;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// Stores a visitor's suggestion in one transaction: `draft` (pending, as the caller made it) as a
/// new initiative, then its row of `suggestions`.
pub fn create(
    conn: &mut PgConnection,
    draft: &InitiativeDraft,
    submitter_email: Option<&str>,
) -> StoreResult<Written> {
    conn.transaction(|conn| {
        let written = initiative::create(
            conn,
            draft,
            &Author::person("visitor"),
            Some("suggested on the map"),
        )?;
        record(conn, written.id, submitter_email)?;
        Ok(written)
    })
}

/// Records that `initiative_id` was suggested by a visitor, with their e-mail if given.
fn record(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    submitter_email: Option<&str>,
) -> StoreResult<()> {
    Statement::new("INSERT INTO suggestions (initiative_id, submitter_email) VALUES (")
        .bind::<SqlUuid, _>(initiative_id)
        .sql(", ")
        .bind::<Nullable<Text>, _>(submitter_email.map(str::to_string))
        .sql(")")
        .execute(conn)?;
    Ok(())
}

/// A suggestion waiting for an editor.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct PendingSuggestion {
    #[diesel(sql_type = SqlUuid)]
    pub initiative_id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Who to answer, if they said; for editors only.
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub submitter_email: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Suggestions still pending, oldest first.
pub fn pending(conn: &mut PgConnection, limit: i64) -> StoreResult<Vec<PendingSuggestion>> {
    Ok(Statement::new(
        "SELECT s.initiative_id, i.slug, i.name, s.submitter_email, s.created_at
         FROM suggestions s JOIN initiatives i ON i.id = s.initiative_id
         WHERE i.moderation = 'pending' ORDER BY s.created_at, s.initiative_id LIMIT ",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// What [`purge`] erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// E-mails of suggestions moderated (no longer pending) before the cut-off.
    pub suggestion_emails: usize,
    /// E-mails of reports closed before the cut-off.
    pub report_emails: usize,
    /// Rate-limit records (client networks) older than the cut-off or than a day.
    pub form_submissions: usize,
}

/// Erases the personal data of suggestions and reports closed more than `older_than` ago, and
/// the rate limits' records of client networks older than that (or than a day, whichever is
/// shorter). What a suggestion or report said stays; who sent it does not.
pub fn purge(conn: &mut PgConnection, older_than: Duration) -> StoreResult<Purged> {
    let seconds = older_than.as_secs_f64();
    conn.transaction(|conn| {
        let suggestion_emails = Statement::new(
            "UPDATE suggestions s SET submitter_email = NULL FROM initiatives i
             WHERE i.id = s.initiative_id AND s.submitter_email IS NOT NULL
               AND i.moderation <> 'pending' AND i.updated_at < now() - make_interval(secs => ",
        )
        .bind::<Double, _>(seconds)
        .sql(")")
        .execute(conn)?;
        let report_emails = Statement::new(
            "UPDATE reports SET contact_email = NULL
             WHERE contact_email IS NOT NULL AND status <> 'pending'
               AND coalesce(resolved_at, created_at) < now() - make_interval(secs => ",
        )
        .bind::<Double, _>(seconds)
        .sql(")")
        .execute(conn)?;
        let form_submissions = Statement::new(
            "DELETE FROM form_submissions WHERE at < now() - least(interval '1 day', make_interval(secs => ",
        )
        .bind::<Double, _>(seconds)
        .sql("))")
        .execute(conn)?;
        Ok(Purged {
            suggestion_emails,
            report_emails,
            form_submissions,
        })
    })
}
