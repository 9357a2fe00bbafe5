//! Import runs: what each import did, the records it refused and the conflicts it found.

use crate::error::StoreResult;
use crate::schema::{import_conflicts, import_rejects, import_runs};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text};
use serde::Serialize;
use uuid::Uuid;

/// How a run ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, diesel::deserialize::FromSqlRow,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportRunStatus)]
pub enum RunStatus {
    Running,
    Succeeded,
    NotModified,
    Failed,
    /// The process running it died before it ended (killed, crashed); its transaction was rolled
    /// back, so it changed nothing.
    Abandoned,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::NotModified => "not_modified",
            RunStatus::Failed => "failed",
            RunStatus::Abandoned => "abandoned",
        }
    }

    pub const ALL: [RunStatus; 5] = [
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::NotModified,
        RunStatus::Failed,
        RunStatus::Abandoned,
    ];
}

/// Read from its column: a stored state that is none of these is an error, never a default.
impl diesel::deserialize::FromSql<Text, diesel::pg::Pg> for RunStatus {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let stored =
            <String as diesel::deserialize::FromSql<Text, diesel::pg::Pg>>::from_sql(bytes)?;
        Ok(RunStatus::try_from(stored)?)
    }
}

impl TryFrom<String> for RunStatus {
    type Error = crate::StoreError;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        RunStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == stored)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("import run status {stored:?}")))
    }
}

/// What a run did to the directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ImportCounts)]
pub struct Counts {
    /// Records read from the feed.
    pub fetched: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub withdrawn: i32,
    pub restored: i32,
    pub rejected: i32,
    /// Records outside the directory's scope (e.g. OSM objects of no mapped category).
    pub skipped: i32,
    pub conflicts: i32,
    pub duplicates: i32,
    /// Records stored pending, with no category, because none of their values mapped to one.
    pub to_classify: i32,
}

/// A value of the feed (an option name, a tag…) that mapped to no category, and how many
/// records stored "to classify" carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct UnmappedValue {
    pub value: String,
    pub count: i64,
}

/// What a run could not classify, and the taxonomy it read (GoGoCarto).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    pub to_classify: i32,
    /// Most frequent first.
    pub unmapped: Vec<UnmappedValue>,
    pub taxonomy_url: Option<String>,
    pub taxonomy: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = import_runs)]
#[schema(as = ImportRun)]
pub struct Run {
    pub id: i64,
    pub source_id: String,
    pub started_at: DateTime<Utc>,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub trigger: String,
    pub fetched: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub withdrawn: i32,
    pub restored: i32,
    pub rejected: i32,
    pub skipped: i32,
    pub conflicts: i32,
    pub duplicates: i32,
    #[schema(required = true)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = import_rejects)]
#[schema(as = ImportReject)]
pub struct Reject {
    #[serde(skip)]
    pub id: i64,
    #[schema(required = true)]
    pub external_id: Option<String>,
    /// Where in the file (e.g. `line 12`, `element 4`).
    #[schema(required = true)]
    pub position: Option<String>,
    pub reason: String,
    pub raw: String,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = import_conflicts)]
#[schema(as = ImportConflict)]
pub struct Conflict {
    pub id: i64,
    pub run_id: i64,
    pub initiative_id: Uuid,
    #[serde(skip)]
    pub incoming_hash: String,
    /// The feed's values of the initiative's fields.
    #[schema(value_type = std::collections::BTreeMap<String, serde_json::Value>)]
    pub incoming: serde_json::Value,
    /// The initiative as it was when the conflict was recorded.
    #[schema(schema_with = crate::openapi::feature)]
    pub current: serde_json::Value,
    pub fields: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A run with the records it refused and the conflicts it recorded. Written as the run's members
/// and these, where `conflicts` is the list (the run's count of them is the list's length; both
/// under one key once made the object hold the key twice).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ImportRunReport)]
pub struct RunReport {
    #[serde(flatten, serialize_with = "run_without_conflict_count")]
    #[schema(schema_with = run_without_conflict_count_schema)]
    pub run: Run,
    pub rejects: Vec<Reject>,
    /// Rejects beyond those listed.
    pub more_rejects: i64,
    pub conflicts: Vec<Conflict>,
    /// Records stored pending "to classify" (tag `to-classify`, no category).
    pub to_classify: i32,
    /// Every value of those records that mapped to no category, with its count, most frequent
    /// first: what to add to the source's `[categories]`.
    pub unmapped: Vec<UnmappedValue>,
    /// Where the run read the taxonomy that named option ids (GoGoCarto), if it did.
    #[schema(required = true)]
    pub taxonomy_url: Option<String>,
}

fn run_without_conflict_count<S: serde::Serializer>(run: &Run, s: S) -> Result<S::Ok, S::Error> {
    let mut value = serde_json::to_value(run).map_err(serde::ser::Error::custom)?;
    if let Some(members) = value.as_object_mut() {
        members.remove("conflicts");
    }
    value.serialize(s)
}

fn run_without_conflict_count_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut value = serde_json::to_value(<Run as utoipa::PartialSchema>::schema())
        .expect("a schema serialises");
    if let Some(members) = value["properties"].as_object_mut() {
        members.remove("conflicts");
    }
    if let Some(required) = value["required"].as_array_mut() {
        required.retain(|r| r != "conflicts");
    }
    crate::openapi::from_json(value)
}

/// A refused record, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = NewImportReject)]
pub struct NewReject {
    #[schema(required = true)]
    pub external_id: Option<String>,
    /// Where in the file (e.g. `line 12`, `element 4`).
    #[schema(required = true)]
    pub position: Option<String>,
    pub reason: String,
    pub raw: String,
}

/// Opens a run (committed at once, so that a failed run is still on record).
pub fn start(conn: &mut PgConnection, source_id: &str, trigger: &str) -> StoreResult<i64> {
    Ok(diesel::insert_into(import_runs::table)
        .values((
            import_runs::source_id.eq(source_id),
            import_runs::trigger.eq(trigger),
        ))
        .returning(import_runs::id)
        .get_result(conn)?)
}

pub fn finish(
    conn: &mut PgConnection,
    run_id: i64,
    status: RunStatus,
    counts: &Counts,
) -> StoreResult<()> {
    diesel::update(import_runs::table.find(run_id))
        .set((
            import_runs::status.eq(status.as_str()),
            import_runs::finished_at.eq(diesel::dsl::now),
            import_runs::fetched.eq(counts.fetched),
            import_runs::created.eq(counts.created),
            import_runs::updated.eq(counts.updated),
            import_runs::unchanged.eq(counts.unchanged),
            import_runs::withdrawn.eq(counts.withdrawn),
            import_runs::restored.eq(counts.restored),
            import_runs::rejected.eq(counts.rejected),
            import_runs::skipped.eq(counts.skipped),
            import_runs::conflicts.eq(counts.conflicts),
            import_runs::duplicates.eq(counts.duplicates),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn fail(conn: &mut PgConnection, run_id: i64, error: &str) -> StoreResult<()> {
    diesel::update(import_runs::table.find(run_id))
        .set((
            import_runs::status.eq(RunStatus::Failed.as_str()),
            import_runs::finished_at.eq(diesel::dsl::now),
            import_runs::error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes the session lock that says "an import of `source_id` runs here": false when another
/// session holds it. PostgreSQL frees it when the session ends, however it ends.
pub fn try_lock_source(conn: &mut PgConnection, source_id: &str) -> StoreResult<bool> {
    advisory(conn, "pg_try_advisory_lock", source_id)
}

/// Frees the lock of [`try_lock_source`].
pub fn unlock_source(conn: &mut PgConnection, source_id: &str) -> StoreResult<bool> {
    advisory(conn, "pg_advisory_unlock", source_id)
}

fn advisory(conn: &mut PgConnection, function: &str, source_id: &str) -> StoreResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    Ok(
        diesel::sql_query(format!("SELECT {function}(hashtext($1)::bigint) AS locked"))
            .bind::<diesel::sql_types::Text, _>(format!("archipel-import:{source_id}"))
            .get_result::<Locked>(conn)?
            .locked,
    )
}

/// Why an abandoned run ended, as stored with it.
pub const ABANDONED: &str = "the process running this import stopped (killed or crashed) before the run ended; PostgreSQL rolled back everything it had done";

/// Marks runs left `running` by a process that died as abandoned. Call it holding the source's
/// import lock: then no live process runs them.
pub fn fail_abandoned(conn: &mut PgConnection, source_id: &str) -> StoreResult<()> {
    diesel::update(
        import_runs::table
            .filter(import_runs::source_id.eq(source_id))
            .filter(import_runs::status.eq(RunStatus::Running.as_str())),
    )
    .set((
        import_runs::status.eq(RunStatus::Abandoned.as_str()),
        import_runs::finished_at.eq(diesel::dsl::now),
        import_runs::error.eq(ABANDONED),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn save_rejects(
    conn: &mut PgConnection,
    run_id: i64,
    rejects: &[NewReject],
) -> StoreResult<()> {
    for chunk in rejects.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    import_rejects::run_id.eq(run_id),
                    import_rejects::external_id.eq(r.external_id.as_deref()),
                    import_rejects::position.eq(r.position.as_deref()),
                    import_rejects::reason.eq(&r.reason),
                    import_rejects::raw.eq(&r.raw),
                )
            })
            .collect();
        diesel::insert_into(import_rejects::table)
            .values(rows)
            .execute(conn)?;
    }
    Ok(())
}

/// Stores what the run could not classify, and the taxonomy it used, with the run.
pub fn save_classification(
    conn: &mut PgConnection,
    run_id: i64,
    classification: &Classification,
) -> StoreResult<()> {
    let unmapped = serde_json::to_value(&classification.unmapped)
        .unwrap_or_else(|_| serde_json::Value::Array(Vec::new()));
    diesel::sql_query(
        "UPDATE import_runs SET to_classify = $2, unmapped = $3, taxonomy_url = $4, taxonomy = $5 WHERE id = $1",
    )
    .bind::<BigInt, _>(run_id)
    .bind::<Integer, _>(classification.to_classify)
    .bind::<Jsonb, _>(unmapped)
    .bind::<Nullable<Text>, _>(classification.taxonomy_url.clone())
    .bind::<Nullable<Jsonb>, _>(classification.taxonomy.clone())
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct StoredClassification {
    #[diesel(sql_type = Integer)]
    to_classify: i32,
    #[diesel(sql_type = Jsonb)]
    unmapped: serde_json::Value,
    #[diesel(sql_type = Nullable<Text>)]
    taxonomy_url: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    taxonomy: Option<serde_json::Value>,
}

/// What run `run_id` could not classify, and the taxonomy it used.
pub fn classification(conn: &mut PgConnection, run_id: i64) -> StoreResult<Classification> {
    let stored: Option<StoredClassification> = diesel::sql_query(
        "SELECT to_classify, unmapped, taxonomy_url, taxonomy FROM import_runs WHERE id = $1",
    )
    .bind::<BigInt, _>(run_id)
    .get_result(conn)
    .optional()?;
    Ok(stored
        .map(|s| Classification {
            to_classify: s.to_classify,
            unmapped: serde_json::from_value(s.unmapped).unwrap_or_default(),
            taxonomy_url: s.taxonomy_url,
            taxonomy: s.taxonomy,
        })
        .unwrap_or_default())
}

/// Most rejects listed in a report.
pub const REPORT_REJECTS: i64 = 1000;

pub fn report(conn: &mut PgConnection, run_id: i64) -> StoreResult<Option<RunReport>> {
    let Some(run) = import_runs::table
        .find(run_id)
        .select(Run::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let rejects = import_rejects::table
        .filter(import_rejects::run_id.eq(run_id))
        .order(import_rejects::id)
        .limit(REPORT_REJECTS)
        .select(Reject::as_select())
        .load(conn)?;
    let total: i64 = import_rejects::table
        .filter(import_rejects::run_id.eq(run_id))
        .count()
        .get_result(conn)?;
    let conflicts = import_conflicts::table
        .filter(import_conflicts::run_id.eq(run_id))
        .order(import_conflicts::id)
        .select(Conflict::as_select())
        .load(conn)?;
    let classification = classification(conn, run_id)?;
    Ok(Some(RunReport {
        to_classify: classification.to_classify,
        unmapped: classification.unmapped,
        taxonomy_url: classification.taxonomy_url,
        more_rejects: (total - rejects.len() as i64).max(0),
        run,
        rejects,
        conflicts,
    }))
}

/// Recent runs of a source, newest first.
pub fn list(conn: &mut PgConnection, source_id: &str, limit: i64) -> StoreResult<Vec<Run>> {
    Ok(import_runs::table
        .filter(import_runs::source_id.eq(source_id))
        .order(import_runs::id.desc())
        .limit(limit)
        .select(Run::as_select())
        .load(conn)?)
}

/// Open conflicts, oldest first.
pub fn open_conflicts(conn: &mut PgConnection, limit: i64) -> StoreResult<Vec<Conflict>> {
    Ok(import_conflicts::table
        .filter(import_conflicts::status.eq("open"))
        .order(import_conflicts::id)
        .limit(limit)
        .select(Conflict::as_select())
        .load(conn)?)
}

/// Closes a conflict once a person has looked at it.
pub fn resolve_conflict(conn: &mut PgConnection, id: i64) -> StoreResult<bool> {
    Ok(diesel::update(import_conflicts::table.find(id))
        .set(import_conflicts::status.eq("resolved"))
        .execute(conn)?
        > 0)
}

/// One conflict, open or resolved.
pub fn conflict(conn: &mut PgConnection, id: i64) -> StoreResult<Option<Conflict>> {
    Ok(import_conflicts::table
        .find(id)
        .select(Conflict::as_select())
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_run_status_is_one_of_the_known_states_or_an_error() {
        for status in RunStatus::ALL {
            assert_eq!(
                RunStatus::try_from(status.as_str().to_string()).unwrap(),
                status
            );
        }
        assert!(RunStatus::try_from("paused".to_string()).is_err());
    }
}
