//! Import sources: the feeds an authority pulls from, with their mapping and schedule.

use crate::domain::Moderation;
use crate::error::{StoreError, StoreResult};
use crate::schema::sources;
use crate::statement::Statement;
use crate::text;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Jsonb, Nullable, Text, Timestamptz};
use serde::Serialize;

/// The feed formats Archipel reads.
pub const FORMATS: &[&str] = &[
    "overpass",
    "geojson",
    "csv",
    "gogocarto",
    "openfairdb",
    "fablabs",
    "mednum",
];

/// A source as declared (CLI, `sources.toml`, API).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub id: String,
    pub name: String,
    pub format: String,
    /// http(s) URL, file:// URL or path.
    pub location: String,
    pub mapping: serde_json::Value,
    pub licence: Option<String>,
    pub attribution: Option<String>,
    /// Seconds between scheduled imports; `None` imports on demand only.
    pub refresh_seconds: Option<i64>,
    pub complete: bool,
    pub moderation: Moderation,
}

/// A stored source with when it last ran.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct Source {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = Text)]
    pub location: String,
    #[diesel(sql_type = Jsonb)]
    pub mapping: serde_json::Value,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub licence: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub attribution: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    #[schema(required = true)]
    pub refresh_seconds: Option<i64>,
    #[diesel(sql_type = Bool)]
    pub complete: bool,
    #[diesel(sql_type = Text)]
    pub moderation: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(skip)]
    pub etag: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(skip)]
    pub last_modified: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    #[schema(required = true)]
    pub last_run_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required = true)]
    pub last_run_status: Option<crate::import_run::RunStatus>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[schema(required = true)]
    pub last_run_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[schema(required = true)]
    pub next_run_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "\
SELECT s.id, s.name, s.format, s.location, s.mapping, s.licence, s.attribution,
       extract(epoch FROM s.refresh_interval)::bigint AS refresh_seconds, s.complete, s.moderation,
       s.etag, s.last_modified, r.id AS last_run_id, r.status AS last_run_status, r.started_at AS last_run_at,
       CASE WHEN s.refresh_interval IS NULL THEN NULL
            ELSE coalesce(r.started_at + s.refresh_interval, now()) END AS next_run_at
FROM sources s
LEFT JOIN LATERAL (SELECT id, status, started_at FROM import_runs WHERE source_id = s.id ORDER BY id DESC LIMIT 1) r ON true";

/// Creates or replaces a source's declaration (its runs and initiatives stay).
pub fn upsert(conn: &mut PgConnection, config: &SourceConfig) -> StoreResult<()> {
    if !FORMATS.contains(&config.format.as_str()) {
        return Err(StoreError::invalid(
            "format",
            "invalid_format",
            text!("unknown format '{}'; use one of: {}", config.format, FORMATS.join(", ");
                  "format « {} » inconnu ; utilisez : {}", config.format, FORMATS.join(", ")),
        ));
    }
    let valid_id = !config.id.is_empty()
        && config.id.len() <= 60
        && config.id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid_id {
        return Err(StoreError::invalid(
            "id",
            "invalid_source_id",
            text!("a source id is lower-case letters, digits and single hyphens, e.g. osm-toulouse; got '{}'", config.id;
                  "un identifiant de source est fait de minuscules, chiffres et tirets simples, par ex. osm-toulouse ; reçu « {} »", config.id),
        ));
    }
    if config.refresh_seconds.is_some_and(|s| s < 60) {
        return Err(StoreError::invalid(
            "refresh",
            "invalid_refresh",
            text!("the refresh interval must be at least one minute"; "l'intervalle de rafraîchissement doit être d'au moins une minute"),
        ));
    }
    Statement::new(
        "INSERT INTO sources (id, name, format, location, mapping, licence, attribution, refresh_interval, complete, moderation) VALUES (",
    )
    .bind::<Text, _>(config.id.clone())
    .sql(", ")
    .bind::<Text, _>(config.name.clone())
    .sql(", ")
    .bind::<Text, _>(config.format.clone())
    .sql(", ")
    .bind::<Text, _>(config.location.clone())
    .sql(", ")
    .bind::<Jsonb, _>(config.mapping.clone())
    .sql(", ")
    .bind::<Nullable<Text>, _>(config.licence.clone())
    .sql(", ")
    .bind::<Nullable<Text>, _>(config.attribution.clone())
    .sql(", make_interval(secs => ")
    .bind::<Nullable<BigInt>, _>(config.refresh_seconds)
    .sql("), ")
    .bind::<Bool, _>(config.complete)
    .sql(", ")
    .bind::<Text, _>(config.moderation.as_str())
    .sql(
        ") ON CONFLICT (id) DO UPDATE SET name = excluded.name, format = excluded.format, location = excluded.location,
           mapping = excluded.mapping, licence = excluded.licence, attribution = excluded.attribution,
           refresh_interval = excluded.refresh_interval, complete = excluded.complete, moderation = excluded.moderation,
           updated_at = now(),
           -- another location, format or mapping invalidates the validators of the old one: the
           -- same feed read through another mapping gives other records
           etag = CASE WHEN sources.location = excluded.location AND sources.format = excluded.format
                        AND sources.mapping = excluded.mapping THEN sources.etag END,
           last_modified = CASE WHEN sources.location = excluded.location AND sources.format = excluded.format
                                AND sources.mapping = excluded.mapping THEN sources.last_modified END",
    )
    .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut PgConnection, id: &str) -> StoreResult<Option<Source>> {
    Ok(Statement::new(SELECT)
        .sql(" WHERE s.id = ")
        .bind::<Text, _>(id.to_string())
        .get_result(conn)
        .optional()?)
}

pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<Source>> {
    Ok(Statement::new(SELECT).sql(" ORDER BY s.id").load(conn)?)
}

/// Sources with a refresh interval whose next run is due.
pub fn due(conn: &mut PgConnection) -> StoreResult<Vec<Source>> {
    Ok(Statement::new("SELECT * FROM (")
        .sql(SELECT)
        .sql(") AS d WHERE d.next_run_at <= now() AND coalesce(d.last_run_status, '') <> 'running' ORDER BY d.next_run_at, d.id")
        .load(conn)?)
}

/// Remembers the validators of a fetch, for the next conditional GET.
pub fn set_validators(
    conn: &mut PgConnection,
    id: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> StoreResult<()> {
    diesel::update(sources::table.find(id))
        .set((
            sources::etag.eq(etag),
            sources::last_modified.eq(last_modified),
        ))
        .execute(conn)?;
    Ok(())
}
