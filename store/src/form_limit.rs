//! Rate limits of the public forms (suggestions and reports), shared by every API process: one
//! row per accepted submission, keyed by the client's network, kept a day at most.

use crate::error::StoreResult;
use crate::statement::Statement;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use std::time::Duration;

/// How much the forms accept.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    /// Submissions from one client network per `window`.
    pub per_client: i64,
    pub window: Duration,
    /// Submissions from everyone per hour (a flood from many addresses).
    pub per_hour: i64,
}

/// The decision on one submission.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Admitted,
    /// This client has used its allowance; it frees up after the duration.
    ClientOver(Duration),
    /// Everyone together has used the hour's allowance.
    AllOver(Duration),
}

#[derive(QueryableByName)]
struct Usage {
    #[diesel(sql_type = BigInt)]
    mine: i64,
    /// Seconds until the client's oldest counted submission leaves the window.
    #[diesel(sql_type = Nullable<Double>)]
    mine_frees_in: Option<f64>,
    #[diesel(sql_type = BigInt)]
    everyone: i64,
    #[diesel(sql_type = Nullable<Double>)]
    everyone_frees_in: Option<f64>,
}

fn wait(seconds: Option<f64>) -> Duration {
    Duration::from_secs_f64(seconds.unwrap_or(60.0).clamp(1.0, 86_400.0))
}

/// Counts one submission of `client_key` if the allowance permits it.
pub fn admit(
    conn: &mut PgConnection,
    client_key: &str,
    allowance: Allowance,
) -> StoreResult<Verdict> {
    let window = allowance.window.as_secs_f64();
    conn.transaction(|conn| {
        // One decision at a time, whichever process takes it.
        Statement::new("SELECT pg_advisory_xact_lock(hashtext('archipel-forms')::bigint)")
            .execute(conn)?;
        Statement::new("DELETE FROM form_submissions WHERE at < now() - interval '1 day'")
            .execute(conn)?;
        let usage: Usage = Statement::new(
            "SELECT count(*) FILTER (WHERE client_key = ",
        )
        .bind::<Text, _>(client_key.to_string())
        .sql(" AND at > now() - make_interval(secs => ")
        .bind::<Double, _>(window)
        .sql(")) AS mine, extract(epoch FROM min(at) FILTER (WHERE client_key = ")
        .bind::<Text, _>(client_key.to_string())
        .sql(" AND at > now() - make_interval(secs => ")
        .bind::<Double, _>(window)
        .sql(")) + make_interval(secs => ")
        .bind::<Double, _>(window)
        .sql(") - now())::float8 AS mine_frees_in,
             count(*) FILTER (WHERE at > now() - interval '1 hour') AS everyone,
             extract(epoch FROM min(at) FILTER (WHERE at > now() - interval '1 hour') + interval '1 hour' - now())::float8 AS everyone_frees_in
             FROM form_submissions")
        .get_result(conn)?;
        if usage.mine >= allowance.per_client {
            return Ok(Verdict::ClientOver(wait(usage.mine_frees_in)));
        }
        if usage.everyone >= allowance.per_hour {
            return Ok(Verdict::AllOver(wait(usage.everyone_frees_in)));
        }
        Statement::new("INSERT INTO form_submissions (client_key) VALUES (")
            .bind::<Text, _>(client_key.to_string())
            .sql(")")
            .execute(conn)?;
        Ok(Verdict::Admitted)
    })
}
