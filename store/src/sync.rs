//! The sync engine: brings one feed's records into the directory, again and again, safely.
//!
//! Records are streamed with `COPY` into a temporary staging table, then a few set-based
//! statements compare them with what the source brought before, keyed by (source, external id)
//! and a content hash. The staging table holds the geometry and the JSON values as text: only
//! the records to create, update, restore or hold in conflict are parsed (into `import_staging`),
//! so that an unchanged record costs its id and hash only:
//!
//! * new records are created; changed ones updated, with one revision each by the import run;
//! * unchanged records are not touched at all (no write, no revision);
//! * a record a person corrected since the last import keeps the person's values and the import
//!   records a conflict for someone to review;
//! * with a complete feed, what is missing is withdrawn (never deleted) and restored when it
//!   comes back;
//! * touched initiatives are checked for likely duplicates, within and across sources;
//! * a record whose initiative was merged into another one updates the kept one (never
//!   recreates itself).
//!
//! Everything happens in the caller's transaction: a failed run leaves the data as it was.

use crate::domain::Moderation;
use crate::error::{StoreError, StoreResult};
use crate::fields::{Attributes, FIELDS, Field};
use crate::geometry::Location;
use crate::schema::import_raw;
use crate::statement::Statement;
use crate::text;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use std::io::{self, Write};
use std::sync::LazyLock;
use uuid::Uuid;

/// The tag of imported records that no category of the directory matched: they are stored
/// pending, with no category, for an editor to classify.
pub const TO_CLASSIFY: &str = "to-classify";

/// One valid, normalised record of a feed, ready to stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRecord {
    pub external_id: String,
    /// Hash of everything below: equal hashes mean nothing changed.
    pub content_hash: String,
    pub name: String,
    pub description: String,
    pub location: Location,
    /// Address, contact details, opening hours… (see `fields`).
    pub attributes: Attributes,
    pub links: Vec<String>,
    pub tags: Vec<String>,
    /// Category slugs, main first.
    pub categories: Vec<String>,
    pub status: &'static str,
    /// The record's own page at the source, when it has one.
    pub source_url: Option<String>,
    /// The digest of the feed element it was read from (hex), when it may be recognised next
    /// time (see [`known_records`]).
    pub digest: Option<String>,
}

/// Writes staged records in COPY's text format.
pub struct CopyWriter<'w> {
    out: io::BufWriter<&'w mut dyn Write>,
    /// The line being written, kept from one record to the next.
    line: String,
}

/// Appends a value in COPY's text format (`\N` for NULL; backslash, tab and line breaks escaped).
pub fn copy_field(line: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        line.push_str("\\N");
        return;
    };
    // Runs of plain text are copied whole; the four bytes escaped are ASCII, so every cut falls
    // on a character boundary.
    let mut plain = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escaped = match byte {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        line.push_str(&value[plain..i]);
        line.push_str(escaped);
        plain = i + 1;
    }
    line.push_str(&value[plain..]);
}

/// A fresh id for the record, should it be created (written without allocating).
fn new_id_text(buffer: &mut [u8; 45]) -> &str {
    Uuid::now_v7().hyphenated().encode_lower(buffer)
}

impl CopyWriter<'_> {
    pub fn write(&mut self, r: &StagedRecord) -> io::Result<()> {
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let attributes =
            serde_json::to_string(r.attributes.values()).unwrap_or_else(|_| "[]".into());
        let mut new_id = Uuid::encode_buffer();
        let new_id = new_id_text(&mut new_id);
        let fields: [Option<&str>; 14] = [
            Some(&r.external_id),
            Some(&r.content_hash),
            Some(new_id),
            Some(&r.name),
            Some(&r.description),
            Some(&r.location.to_ewkt()),
            Some(&attributes),
            Some(&json(&r.links)),
            Some(&json(&r.tags)),
            Some(&json(&r.categories)),
            Some(r.status),
            r.source_url.as_deref(),
            r.digest.as_deref(),
            Some("f"),
        ];
        self.write_line(fields)
    }

    /// A record recognised by its feed element's digest: its id and hash only; the plan finds it
    /// unchanged, so nothing else of it is read.
    pub fn write_known(&mut self, external_id: &str, content_hash: &str) -> io::Result<()> {
        let mut new_id = Uuid::encode_buffer();
        let new_id = new_id_text(&mut new_id);
        self.write_line([
            Some(external_id),
            Some(content_hash),
            Some(new_id),
            Some(""),
            Some(""),
            Some(""),
            Some("[]"),
            Some("[]"),
            Some("[]"),
            Some("[]"),
            Some(""),
            None,
            None,
            Some("t"),
        ])
    }

    fn write_line(&mut self, fields: [Option<&str>; 14]) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            copy_field(line, field);
        }
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }
}

/// Creates the run's staging table (dropped at commit or rollback). Geometries (EWKT) and JSON
/// values stay text until [`apply`] knows which records changed.
pub fn create_staging(conn: &mut PgConnection) -> StoreResult<()> {
    diesel::sql_query(
        "CREATE TEMP TABLE import_raw (
            external_id text NOT NULL, content_hash text NOT NULL, new_id uuid NOT NULL,
            name text NOT NULL, description text NOT NULL, geom text NOT NULL,
            attributes text NOT NULL, links text NOT NULL, tags text NOT NULL, categories text NOT NULL, status text NOT NULL, source_url text,
            digest text, known boolean NOT NULL
        ) ON COMMIT DROP",
    )
    .execute(conn)?;
    Ok(())
}

/// Streams records into the staging table: `feed` is called once with a writer and writes every
/// record; an error from it aborts the COPY.
pub fn copy_into_staging<E, F>(conn: &mut PgConnection, feed: F) -> Result<usize, E>
where
    E: From<diesel::result::Error> + std::error::Error,
    F: Fn(&mut CopyWriter<'_>) -> Result<(), E>,
{
    diesel::copy_from(import_raw::table)
        .from_raw_data(import_raw::table, |out: &mut dyn Write| {
            let mut writer = CopyWriter {
                out: io::BufWriter::with_capacity(1 << 16, out),
                line: String::with_capacity(1024),
            };
            feed(&mut writer)?;
            writer
                .out
                .flush()
                .map_err(|e| E::from(diesel::result::Error::SerializationError(Box::new(e))))
        })
        .execute(conn)
}

/// Where the records go and on whose behalf.
#[derive(Debug, Clone)]
pub struct Target {
    pub source_id: String,
    pub run_id: i64,
    /// Author recorded in revisions, e.g. `import:osm-toulouse`.
    pub author: String,
    pub moderation: Moderation,
    pub licence: Option<String>,
    pub attribution: Option<String>,
    pub fetched_at: DateTime<Utc>,
    /// A complete feed withdraws what it no longer lists.
    pub complete: bool,
}

/// What applying the staged records did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub withdrawn: i32,
    pub restored: i32,
    pub conflicts: i32,
    pub duplicates: i32,
    /// External ids listed more than once in the feed (the last one was kept), with their count.
    pub repeated_ids: Vec<(String, i64)>,
}

fn json_of(alias_query: &str) -> String {
    format!("SELECT i.id, i.feature::jsonb AS doc FROM initiatives i WHERE i.id IN ({alias_query})")
}

/// The staged value of each attribute (see `fields`): `(s.attributes->>0)`, …
fn staged_attributes() -> impl Iterator<Item = (&'static Field, String)> {
    FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| (f, format!("(s.attributes->>{i})")))
}

/// The columns an import sets from staging row `s`, and their values (the record's provenance
/// aside: see `update_and_restore`).
static FROM_STAGING: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
    let mut columns = vec![
        ("name", "s.name".to_string()),
        ("description", "s.description".to_string()),
        ("geom", "s.geom".to_string()),
        (
            "links",
            "ARRAY(SELECT jsonb_array_elements_text(s.links))".to_string(),
        ),
        (
            "tags",
            "ARRAY(SELECT jsonb_array_elements_text(s.tags))".to_string(),
        ),
        ("status", "s.status".to_string()),
        (
            "category_slugs",
            "ARRAY(SELECT jsonb_array_elements_text(s.categories))".to_string(),
        ),
    ];
    columns.extend(staged_attributes().map(|(f, value)| (f.name, value)));
    columns
});

/// `name = s.name, …`: what an update sets from staging row `s`.
static SET_FROM_STAGING: LazyLock<String> = LazyLock::new(|| {
    FROM_STAGING
        .iter()
        .map(|(column, value)| format!("{column} = {value}"))
        .collect::<Vec<_>>()
        .join(", ")
});

/// Revisions of the initiatives picked by `ids` (SQL): the values that changed since the
/// `import_before` snapshot (see `revision`).
fn record_revisions(
    conn: &mut PgConnection,
    target: &Target,
    action_sql: &str,
    ids: &str,
) -> StoreResult<()> {
    Statement::new(format!(
        "INSERT INTO revisions (initiative_id, action, author, import_run_id, old_values, new_values)
         SELECT a.id, {action_sql}, ",
    ))
    .bind::<Text, _>(target.author.clone())
    .sql(", ")
    .bind::<BigInt, _>(target.run_id)
    .sql(format!(
        ", archipel_changed_values(b.doc, a.doc), archipel_changed_values(a.doc, b.doc)
         FROM ({after}) AS a JOIN import_before b ON b.id = a.id LEFT JOIN import_plan p ON p.initiative_id = a.id",
        after = json_of(ids)
    ))
    .execute(conn)?;
    Ok(())
}

fn snapshot_before(conn: &mut PgConnection, ids: &str) -> StoreResult<()> {
    diesel::sql_query("DROP TABLE IF EXISTS import_before").execute(conn)?;
    diesel::sql_query(format!(
        "CREATE TEMP TABLE import_before ON COMMIT DROP AS {}",
        json_of(ids)
    ))
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct ActionCount {
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Repeated {
    #[diesel(sql_type = Text)]
    external_id: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Live {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Applies the staged records to the directory (see the module's documentation).
pub fn apply(conn: &mut PgConnection, target: &Target) -> StoreResult<Applied> {
    // A feed listing one id several times: keep the last occurrence, report the others. Most
    // feeds list each id once: the unique index is tried first (in a savepoint), and the ids
    // are counted only when it fails.
    let mut applied = Applied::default();
    let unique = "CREATE UNIQUE INDEX ON import_raw (external_id)";
    match conn.transaction(|conn| diesel::sql_query(unique).execute(conn)) {
        Ok(_) => {}
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            applied.repeated_ids = diesel::sql_query(
                "SELECT external_id, count(*) AS n FROM import_raw GROUP BY external_id HAVING count(*) > 1 ORDER BY external_id",
            )
            .load::<Repeated>(conn)?
            .into_iter()
            .map(|r| (r.external_id, r.n))
            .collect();
            diesel::sql_query(
                "DELETE FROM import_raw a USING import_raw b WHERE a.external_id = b.external_id AND a.ctid < b.ctid",
            )
            .execute(conn)?;
            diesel::sql_query(unique).execute(conn)?;
        }
        Err(e) => return Err(e.into()),
    }
    // Statistics for the columns the plan joins on only (those of the geometry and the JSON
    // columns took most of a second at 100k records, for no plan that reads them), from a
    // smaller sample than the default's 30,000 rows: the plans only need the table's size and
    // the hashes' spread.
    diesel::sql_query("SET LOCAL default_statistics_target = 10").execute(conn)?;
    // The plan's hash joins and, when records were merged, its ranking sort: in memory.
    diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
    diesel::sql_query("ANALYZE import_raw (external_id, content_hash)").execute(conn)?;

    let staged: Live =
        diesel::sql_query("SELECT count(*) AS n FROM import_raw").get_result(conn)?;
    if target.complete && staged.n == 0 {
        let live: Live = Statement::new(
            "SELECT count(*) AS n FROM initiatives WHERE moderation IN ('published', 'pending') AND source_id = ",
        )
        .bind::<Text, _>(target.source_id.clone())
        .get_result(conn)?;
        if live.n > 0 {
            return Err(StoreError::Conflict(text!(
                "the feed has no valid record: refusing to withdraw the {} initiatives it brought before (if the source is really empty, archive them by hand)", live.n;
                "le flux n'a aucun enregistrement valide : refus de retirer les {} initiatives qu'il avait apportées (si la source est vraiment vide, archivez-les à la main)", live.n
            )));
        }
    }

    // A record whose initiative was merged into another one (`merge`) goes to the kept one: `r`
    // is the record's own row, `k` the initiative it updates. The hash compared is the record's
    // own (kept on its row), so an unchanged record never rewrites the kept one. When several
    // records of the feed lead to one initiative, its own record speaks for it (else the first
    // merged one, by external id); the others are left alone, with no initiative of their own.
    //
    // Two records can only lead to one initiative through a merge of one of them: when none of
    // the source's records is merged, every record has an initiative of its own and the ranking
    // (a sort of every record) is skipped.
    let merged: Live = Statement::new(
        "SELECT count(*) AS n FROM initiative_merges m JOIN initiatives r ON r.id = m.merged_id WHERE r.source_id = ",
    )
    .bind::<Text, _>(target.source_id.clone())
    .get_result(conn)?;
    let rank = if merged.n > 0 {
        "row_number() OVER (PARTITION BY coalesce(k.id, s.new_id) ORDER BY m.merged_id IS NOT NULL, s.external_id)"
    } else {
        "1"
    };
    Statement::new(format!(
        "CREATE TEMP TABLE import_plan ON COMMIT DROP AS
         SELECT external_id, content_hash, via_merged,
                CASE WHEN rank = 1 THEN initiative_id END AS initiative_id,
                CASE WHEN rank = 1 THEN action ELSE 'unchanged' END AS action, digest, known
         FROM (SELECT s.external_id, s.content_hash, s.digest, s.known, coalesce(k.id, s.new_id) AS initiative_id,
                      m.merged_id AS via_merged, {rank} AS rank,
                      CASE WHEN k.id IS NULL THEN 'create'
                           WHEN k.moderation = 'withdrawn' THEN 'restore'
                           WHEN r.content_hash IS NOT DISTINCT FROM s.content_hash THEN 'unchanged'
                           WHEN k.person_edited_at > coalesce(k.imported_at, '-infinity') THEN 'conflict'
                           ELSE 'update' END AS action
               FROM import_raw s
               LEFT JOIN initiatives r ON r.source_id = "
    ))
    .bind::<Text, _>(target.source_id.clone())
    .sql(
        // `k` is `r` itself unless the record was merged: the table is read once, not twice.
        " AND r.external_id = s.external_id
               LEFT JOIN initiative_merges m ON m.merged_id = r.id
               LEFT JOIN initiatives mk ON mk.id = m.into_id
               CROSS JOIN LATERAL (SELECT
                   CASE WHEN m.merged_id IS NULL THEN r.id ELSE mk.id END AS id,
                   CASE WHEN m.merged_id IS NULL THEN r.moderation ELSE mk.moderation END AS moderation,
                   CASE WHEN m.merged_id IS NULL THEN r.person_edited_at ELSE mk.person_edited_at END AS person_edited_at,
                   CASE WHEN m.merged_id IS NULL THEN r.imported_at ELSE mk.imported_at END AS imported_at) k) AS plan",
    )
    .execute(conn)?;
    diesel::sql_query("CREATE INDEX ON import_plan (initiative_id)").execute(conn)?;
    diesel::sql_query("ANALYZE import_plan").execute(conn)?;
    for row in diesel::sql_query("SELECT action, count(*) AS n FROM import_plan GROUP BY action")
        .load::<ActionCount>(conn)?
    {
        let n = i32::try_from(row.n).unwrap_or(i32::MAX);
        match row.action.as_str() {
            "create" => applied.created = n,
            "update" => applied.updated = n,
            "unchanged" => applied.unchanged = n,
            "restore" => applied.restored = n,
            _ => applied.conflicts = n,
        }
    }

    // A record recognised by its digest was sent without its values: it must be unchanged. It
    // is unless its initiative changed between the reading and now (a merge or a withdrawal by
    // someone else meanwhile); the run then stops and changes nothing.
    let stale: Live = diesel::sql_query(
        "SELECT count(*) AS n FROM import_plan p JOIN import_raw r ON r.external_id = p.external_id
         WHERE r.known AND p.action <> 'unchanged'",
    )
    .get_result(conn)?;
    if stale.n > 0 {
        return Err(StoreError::Conflict(text!(
            "{} initiatives of this source changed while the feed was being read; run the import again", stale.n;
            "{} initiatives de cette source ont changé pendant la lecture du flux ; relancez l'import", stale.n
        )));
    }

    // The records that write something, parsed once each (an unchanged one never is).
    diesel::sql_query(
        "CREATE TEMP TABLE import_staging ON COMMIT DROP AS
         SELECT r.external_id, r.content_hash, r.new_id, r.name, r.description,
                r.geom::geometry(Geometry, 4326) AS geom, r.attributes::jsonb AS attributes,
                r.links::jsonb AS links, r.tags::jsonb AS tags, r.categories::jsonb AS categories,
                r.status, r.source_url
         FROM import_raw r JOIN import_plan p ON p.external_id = r.external_id
         WHERE p.action <> 'unchanged'",
    )
    .execute(conn)?;
    // A source without a live initiative before the run (its first import) has nothing to
    // withdraw: its live initiatives after it are the run's own. The search for them read every
    // row of the source (6.6 s of a first import of 1M).
    let had_live: Live = Statement::new(
        "SELECT count(*) AS n FROM (SELECT 1 FROM initiatives
         WHERE moderation IN ('published', 'pending') AND source_id = ",
    )
    .bind::<Text, _>(target.source_id.clone())
    .sql(" LIMIT 1) AS l")
    .get_result(conn)?;
    create(conn, target)?;
    update_and_restore(conn, target)?;
    record_conflicts(conn, target)?;
    if target.complete && had_live.n > 0 {
        applied.withdrawn = withdraw_missing(conn, target)?;
    }
    applied.duplicates = find_duplicates(conn, target.run_id)?;
    remember_digests(conn)?;
    Ok(applied)
}

/// Rows an import must have written for [`tidy_after_large_write`] to run after it.
pub const TIDY_AFTER_ROWS: i32 = 10_000;

/// After an import that wrote many rows (committed): the tables it filled vacuumed and
/// analysed at once rather than whenever autovacuum comes by. Until then every reader of a
/// freshly written row sets its hint bits (the next run's first read of a million rows took
/// 4.2 s instead of 0.4 s), the planner works from the table's size before the import, and
/// no index-only scan is possible: re-importing a million unchanged records took 25.2 s right
/// after the first import and 19.0 s once vacuumed (~5 s of vacuum at 1M). Best effort: a
/// table another vacuum holds is skipped after a few seconds, and a failure only logged.
pub fn tidy_after_large_write(conn: &mut PgConnection) {
    use diesel::connection::SimpleConnection;
    // Three statements, not one string: VACUUM cannot run in the implicit transaction of a
    // multi-statement query.
    let vacuumed = conn
        .batch_execute("SET statement_timeout = 0; SET lock_timeout = '5s'")
        .and_then(|_| {
            conn.batch_execute(
                "VACUUM (ANALYZE) initiatives, initiative_categories, map_points, import_digests",
            )
        });
    if let Err(e) = vacuumed {
        tracing::warn!("vacuum after the import: {e}");
    }
    let _ = conn.batch_execute("RESET statement_timeout; RESET lock_timeout");
}

/// Records whose feed element was read in full this time and whose row now holds the hash it
/// normalised to: their digests, so that the next run recognises them (see `import_digests`).
/// The run holds its source's lock, so no one else writes these digests meanwhile: new ones are
/// inserted and changed ones updated, without ON CONFLICT's speculative insertion of each row.
///
/// Read from the plan alone: a record's own row (not merged) holds the record's hash after the
/// run unless it is a conflict (created and updated rows were given it, an unchanged one had it,
/// a conflict's differs and was kept). Only a merged record's row is read, to compare (its hash
/// changes only when its record updated the kept initiative). Joining the feed's records with
/// their rows instead read the whole table after a first import (14 s at 1M).
fn remember_digests(conn: &mut PgConnection) -> StoreResult<()> {
    diesel::sql_query(
        "WITH n AS MATERIALIZED (
             SELECT coalesce(p.via_merged, p.initiative_id) AS initiative_id,
                    decode(p.digest, 'hex') AS digest, p.content_hash
             FROM import_plan p
             WHERE p.digest IS NOT NULL AND NOT p.known
               AND CASE WHEN p.via_merged IS NULL THEN p.initiative_id IS NOT NULL AND p.action <> 'conflict'
                        ELSE EXISTS (SELECT 1 FROM initiatives r
                                     WHERE r.id = p.via_merged AND r.content_hash = p.content_hash) END
         ), changed AS (
             UPDATE import_digests d SET digest = n.digest, content_hash = n.content_hash
             FROM n WHERE d.initiative_id = n.initiative_id
               AND (d.digest, d.content_hash) IS DISTINCT FROM (n.digest, n.content_hash)
         )
         INSERT INTO import_digests (initiative_id, digest, content_hash)
         SELECT n.initiative_id, n.digest, n.content_hash FROM n
         WHERE NOT EXISTS (SELECT 1 FROM import_digests d WHERE d.initiative_id = n.initiative_id)",
    )
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
pub struct KnownRecord {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub digest: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub external_id: String,
    #[diesel(sql_type = Text)]
    pub content_hash: String,
}

/// The source's records an import may recognise by their feed element's digest: those whose
/// digest was taken when their row got its current hash, whose initiative is not withdrawn (it
/// must be read again to be restored) and not merged into another one (rare; read in full, the
/// plan decides what they update). Handed to `each` a batch at a time through a cursor, so that
/// a source of a million records never sits in memory as rows. Runs in the caller's
/// transaction.
pub fn known_records(
    conn: &mut PgConnection,
    source_id: &str,
    mut each: impl FnMut(KnownRecord),
) -> StoreResult<()> {
    // All of it is read: the plan for all rows (hash joins), not for the first ones.
    diesel::sql_query("SET LOCAL cursor_tuple_fraction = 1").execute(conn)?;
    Statement::new(
        "DECLARE import_known NO SCROLL CURSOR FOR
         SELECT d.digest, r.external_id, r.content_hash
         FROM import_digests d
         JOIN initiatives r ON r.id = d.initiative_id AND r.content_hash = d.content_hash
         WHERE r.moderation <> 'withdrawn'
           AND NOT EXISTS (SELECT 1 FROM initiative_merges m WHERE m.merged_id = r.id)
           AND r.source_id = ",
    )
    .bind::<Text, _>(source_id.to_string())
    .execute(conn)?;
    loop {
        let batch: Vec<KnownRecord> =
            diesel::sql_query("FETCH 10000 FROM import_known").load(conn)?;
        let done = batch.len() < 10_000;
        batch.into_iter().for_each(&mut each);
        if done {
            break;
        }
    }
    diesel::sql_query("CLOSE import_known").execute(conn)?;
    Ok(())
}

fn create(conn: &mut PgConnection, target: &Target) -> StoreResult<()> {
    Statement::new(
        format!("INSERT INTO initiatives (id, slug, {columns}, moderation, licence, attribution,
             source_id, external_id, content_hash, source_url, fetched_at, imported_at)
         SELECT s.new_id,
                CASE WHEN s.n = 1 AND NOT EXISTS (SELECT 1 FROM initiatives x WHERE x.slug = s.base_slug) THEN s.base_slug
                     ELSE s.base_slug || '-' || substr(replace(s.new_id::text, '-', ''), 25, 8) END,
                {values}, CASE WHEN s.tags @> jsonb_build_array(",
            columns = FROM_STAGING.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", "),
            values = FROM_STAGING.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", "),
        ),
    )
    .bind::<Text, _>(TO_CLASSIFY)
    .sql("::text) THEN 'pending' ELSE ")
    .bind::<Text, _>(target.moderation.as_str())
    .sql(" END, ")
    .bind::<Nullable<Text>, _>(target.licence.clone())
    .sql(", ")
    .bind::<Nullable<Text>, _>(target.attribution.clone())
    .sql(", ")
    .bind::<Text, _>(target.source_id.clone())
    .sql(", s.external_id, s.content_hash, s.source_url, ")
    .bind::<Timestamptz, _>(target.fetched_at)
    .sql(
        ", now()
         FROM (SELECT s.*, b.base_slug, row_number() OVER (PARTITION BY b.base_slug ORDER BY s.external_id) AS n
               FROM import_staging s
               JOIN import_plan p ON p.external_id = s.external_id AND p.action = 'create'
               CROSS JOIN LATERAL (SELECT coalesce(nullif(archipel_slugify(s.name), ''), 'initiative') AS base_slug) b) AS s",
    )
    .execute(conn)?;
    // A creation's revision stores no values: the initiative as created is rebuilt from its
    // current Feature and the newer revisions (`revision::list`).
    Statement::new(
        "INSERT INTO revisions (initiative_id, action, author, import_run_id)
         SELECT initiative_id, 'import', ",
    )
    .bind::<Text, _>(target.author.clone())
    .sql(", ")
    .bind::<BigInt, _>(target.run_id)
    .sql(" FROM import_plan WHERE action = 'create'")
    .execute(conn)?;
    Ok(())
}

fn update_and_restore(conn: &mut PgConnection, target: &Target) -> StoreResult<()> {
    let ids = "SELECT initiative_id FROM import_plan WHERE action IN ('update', 'restore')";
    snapshot_before(conn, ids)?;
    // A record to classify is pending; once the mapping classifies it, it takes the source's
    // moderation again (unless an editor already moderated it). Restored records start afresh.
    Statement::new(format!(
        "UPDATE initiatives i SET {set}, moderation = CASE
             WHEN s.tags @> jsonb_build_array(",
        set = *SET_FROM_STAGING
    ))
    .bind::<Text, _>(TO_CLASSIFY)
    .sql(
        "::text) THEN CASE WHEN p.action = 'restore' OR i.moderation = 'published' THEN 'pending' ELSE i.moderation END
             WHEN p.action = 'restore' OR (i.moderation = 'pending' AND ",
    )
    .bind::<Text, _>(TO_CLASSIFY)
    .sql(" = ANY(i.tags)) THEN ")
    .bind::<Text, _>(target.moderation.as_str())
    .sql(" ELSE i.moderation END, licence = ")
        .bind::<Nullable<Text>, _>(target.licence.clone())
        .sql(", attribution = ")
        .bind::<Nullable<Text>, _>(target.attribution.clone())
        .sql(", fetched_at = ")
        .bind::<Timestamptz, _>(target.fetched_at)
        .sql(
            ", imported_at = now(), updated_at = now(), version = i.version + 1,
             content_hash = CASE WHEN p.via_merged IS NULL THEN s.content_hash ELSE i.content_hash END,
             source_url = CASE WHEN p.via_merged IS NULL THEN s.source_url ELSE i.source_url END
             FROM import_plan p JOIN import_staging s ON s.external_id = p.external_id
             WHERE i.id = p.initiative_id AND p.action IN ('update', 'restore')",
        )
        .execute(conn)?;
    // A merged initiative's record that updated the kept one: its row remembers what it brought.
    diesel::sql_query(
        "UPDATE initiatives r SET content_hash = p.content_hash
         FROM import_plan p WHERE r.id = p.via_merged AND p.action IN ('update', 'restore')",
    )
    .execute(conn)?;
    record_revisions(
        conn,
        target,
        "CASE WHEN p.action = 'restore' THEN 'restore' ELSE 'import' END",
        ids,
    )
}

/// What a conflict records: the incoming values, the current Feature, and which fields differ.
static CONFLICT_VALUES: LazyLock<String> = LazyLock::new(|| {
    let incoming: Vec<String> = staged_attributes()
        .map(|(f, value)| format!("'{}', {value}", f.name))
        .collect();
    let differs: Vec<String> = staged_attributes()
        .map(|(f, value)| {
            format!(
                "('{name}', {value} IS DISTINCT FROM i.{name})",
                name = f.name
            )
        })
        .collect();
    format!(
        ", i.id, s.content_hash,
           jsonb_build_object('name', s.name, 'description', s.description,
               'geometry', ST_AsGeoJSON(s.geom, 6)::jsonb, 'links', s.links, 'tags', s.tags,
               'categories', s.categories, 'status', s.status) || jsonb_build_object({incoming}),
           i.feature::jsonb,
           ARRAY(SELECT f FROM (VALUES
               ('name', s.name IS DISTINCT FROM i.name),
               ('description', s.description IS DISTINCT FROM i.description),
               ('geometry', NOT ST_Equals(s.geom, i.geom)),
               ('links', ARRAY(SELECT jsonb_array_elements_text(s.links)) IS DISTINCT FROM i.links),
               ('tags', ARRAY(SELECT jsonb_array_elements_text(s.tags)) IS DISTINCT FROM i.tags),
               ('categories', ARRAY(SELECT jsonb_array_elements_text(s.categories)) IS DISTINCT FROM i.category_slugs),
               ('status', s.status IS DISTINCT FROM i.status),
               {differs}) AS d(f, differs) WHERE differs)",
        incoming = incoming.join(", "),
        differs = differs.join(",\n               "),
    )
});

fn record_conflicts(conn: &mut PgConnection, target: &Target) -> StoreResult<()> {
    Statement::new("INSERT INTO import_conflicts (run_id, initiative_id, incoming_hash, incoming, current, fields) SELECT ")
        .bind::<BigInt, _>(target.run_id)
        .sql(CONFLICT_VALUES.as_str())
        .sql(
            "
             FROM import_plan p
             JOIN import_staging s ON s.external_id = p.external_id
             JOIN initiatives i ON i.id = p.initiative_id
             WHERE p.action = 'conflict'
               AND NOT EXISTS (SELECT 1 FROM import_conflicts c WHERE c.initiative_id = i.id AND c.incoming_hash = s.content_hash)",
        )
        .execute(conn)?;
    Ok(())
}

fn withdraw_missing(conn: &mut PgConnection, target: &Target) -> StoreResult<i32> {
    Statement::new(
        "CREATE TEMP TABLE import_gone ON COMMIT DROP AS
         SELECT i.id FROM initiatives i
         WHERE i.moderation IN ('published', 'pending') AND i.source_id = ",
    )
    .bind::<Text, _>(target.source_id.clone())
    .sql(
        " AND NOT EXISTS (SELECT 1 FROM import_raw s WHERE s.external_id = i.external_id)
          AND NOT EXISTS (SELECT 1 FROM import_plan p WHERE p.initiative_id = i.id)",
    )
    .execute(conn)?;
    let ids = "SELECT id FROM import_gone";
    snapshot_before(conn, ids)?;
    let withdrawn = diesel::sql_query(format!(
        "UPDATE initiatives SET moderation = 'withdrawn', imported_at = now(), updated_at = now(), version = version + 1
         WHERE id IN ({ids})"
    ))
    .execute(conn)?;
    record_revisions(conn, target, "'withdraw'", ids)?;
    Ok(i32::try_from(withdrawn).unwrap_or(i32::MAX))
}

/// The moderations whose initiatives are never duplicate candidates.
const NOT_CANDIDATES: &str = "('archived', 'rejected', 'withdrawn', 'merged')";

/// How far apart two initiatives may be to be duplicate candidates by their names, in metres.
const DUPLICATE_RADIUS_M: f64 = 150.0;

/// An import touching at least this many initiatives, and at least 1/[`GRID_SHARE`] of the
/// table, looks for close pairs on a grid (see [`grid_pairs`]) rather than by a probe of
/// the point index per initiative.
pub const GRID_MIN_TOUCHED: i64 = 1_000;
const GRID_SHARE: f64 = 32.0;

/// Whether an import touching `touched` initiatives of a table of about `table_rows` looks for
/// close pairs on the grid.
pub fn duplicates_on_grid(touched: i64, table_rows: f64) -> bool {
    touched >= GRID_MIN_TOUCHED && touched as f64 * GRID_SHARE >= table_rows
}

/// Candidates among the initiatives this run created, updated or restored: within 150 m with
/// similar names (trigram similarity ≥ 0.5), or sharing a website, phone number or e-mail.
fn find_duplicates(conn: &mut PgConnection, run_id: i64) -> StoreResult<i32> {
    // Only what the comparisons read: the whole rows (stored Feature, search vector) made this
    // set spill to disk (160 MB for a first import of 100k).
    let touched = diesel::sql_query(
        "CREATE TEMP TABLE dup_touched ON COMMIT DROP AS
         SELECT i.id, i.point, i.name, i.website, i.phone, i.email
         FROM initiatives i JOIN import_plan p ON p.initiative_id = i.id
         WHERE p.action IN ('create', 'update', 'restore')",
    )
    .execute(conn)? as i64;
    if touched == 0 {
        return Ok(0);
    }
    // The planner's estimate of the table's rows (0 before its first analysis): enough to choose.
    let table: Live = diesel::sql_query(
        "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'initiatives'::regclass",
    )
    .get_result(conn)?;
    let near = if duplicates_on_grid(touched, table.n as f64) {
        grid_pairs(conn)?
    } else {
        probed_pairs()
    };
    let mut st = Statement::new(format!(
        "WITH pairs AS ({near}
         UNION ALL
         SELECT t.id, o.id FROM dup_touched t
         JOIN initiatives o ON archipel_norm_website(o.website) = archipel_norm_website(t.website) AND o.id <> t.id
         WHERE o.website IS NOT NULL AND t.website IS NOT NULL
         UNION ALL
         SELECT t.id, o.id FROM dup_touched t
         JOIN initiatives o ON archipel_norm_phone(o.phone) = archipel_norm_phone(t.phone) AND o.id <> t.id
         WHERE o.phone IS NOT NULL AND t.phone IS NOT NULL
         UNION ALL
         SELECT t.id, o.id FROM dup_touched t
         JOIN initiatives o ON lower(o.email) = lower(t.email) AND o.id <> t.id
         WHERE o.email IS NOT NULL AND t.email IS NOT NULL
     ), ordered AS (
         SELECT DISTINCT least(a, b) AS a, greatest(a, b) AS b FROM pairs
     )
     INSERT INTO duplicate_candidates (initiative_a, initiative_b, score, distance_m, name_similarity, shared_contacts, run_id)
     SELECT o.a, o.b,
            round((0.5 * f.similarity + 0.3 * greatest(0, 1 - f.distance / 150) + 0.2 * least(1, cardinality(f.shared)))::numeric, 3),
            round(f.distance::numeric, 1), round(f.similarity::numeric, 3), f.shared, "
    ));
    st.push_bind::<BigInt, _>(run_id);
    st.push_sql(format!(
        " FROM ordered o
         JOIN initiatives x ON x.id = o.a
         JOIN initiatives y ON y.id = o.b
         CROSS JOIN LATERAL (SELECT
             ST_Distance(x.point::geography, y.point::geography, false) AS distance,
             similarity(archipel_unaccent(lower(x.name)), archipel_unaccent(lower(y.name))) AS similarity,
             ARRAY(SELECT c FROM (VALUES
                 ('website', archipel_norm_website(x.website) = archipel_norm_website(y.website)),
                 ('phone', archipel_norm_phone(x.phone) = archipel_norm_phone(y.phone)),
                 ('email', lower(x.email) = lower(y.email))) AS v(c, same) WHERE same) AS shared) f
         WHERE x.moderation NOT IN {NOT_CANDIDATES}
           AND y.moderation NOT IN {NOT_CANDIDATES}
         ON CONFLICT (initiative_a, initiative_b) DO NOTHING"
    ));
    let found = st.execute(conn)?;
    Ok(i32::try_from(found).unwrap_or(i32::MAX))
}

/// `SELECT a, b`: the touched initiatives' close pairs with similar names, by a probe of the
/// point index for each (an import of a few records into a large directory).
fn probed_pairs() -> String {
    format!(
        "SELECT t.id AS a, o.id AS b FROM dup_touched t
         -- Candidates from the point index in a box of degrees (150 m on the sphere, 1 %
         -- wider, as `near`; the longitude span widens with the latitude), then measured. A
         -- pair across the antimeridian is not looked for.
         JOIN initiatives o ON o.point && ST_Expand(t.point, {span} / greatest(cos(radians(ST_Y(t.point))), 0.0001), {span})
             AND ST_DWithin(o.point::geography, t.point::geography, {DUPLICATE_RADIUS_M}, false) AND o.id <> t.id
         WHERE similarity(archipel_unaccent(lower(o.name)), archipel_unaccent(lower(t.name))) >= 0.5",
        span = crate::listing::latitude_span(DUPLICATE_RADIUS_M)
    )
}

/// The width in degrees of longitude of the grid's cells in latitude band `band` (SQL): at
/// least the longitude span of the radius at every latitude of the band and of its two
/// neighbours (the span widens towards the poles; capped there, as the point index's box is).
fn grid_width(band: &str) -> String {
    let h = crate::listing::latitude_span(DUPLICATE_RADIUS_M);
    format!("({h} / greatest(cos(radians(least(90, (abs({band}) + 2) * {h}))), 0.0001))")
}

/// `SELECT a, b`: the touched initiatives' close pairs with similar names, found on a grid —
/// for an import touching a large share of the directory (a first import). One probe of the
/// point index per initiative read each neighbour's whole row at random (a first import of 1M
/// spent 200 s on it); here every initiative's point and normalised name are read once into a
/// grid of cells ~150 m high (bands of latitude) and as wide as the radius spans in longitude
/// in that band, and each touched initiative is matched by a hash join with the nine cells
/// around it: every pair within the radius is in them. A pair of two touched initiatives is
/// taken once; a cheap flat-earth distance (a few per cent wider) drops most cell neighbours
/// before the exact test on the sphere and the names' comparison. As with the probes, a pair
/// across the antimeridian is not looked for.
fn grid_pairs(conn: &mut PgConnection) -> StoreResult<String> {
    let h = crate::listing::latitude_span(DUPLICATE_RADIUS_M);
    diesel::sql_query(format!(
        "CREATE TEMP TABLE dup_grid ON COMMIT DROP AS
         SELECT g.*, floor(g.lon / {width})::int AS cell FROM (
             SELECT i.id, i.point, ST_Y(i.point) AS lat, ST_X(i.point) AS lon,
                    cos(radians(ST_Y(i.point))) AS k, archipel_unaccent(lower(i.name)) AS norm,
                    floor(ST_Y(i.point) / {h})::int AS band, t.id IS NOT NULL AS touched
             FROM initiatives i LEFT JOIN dup_touched t ON t.id = i.id
             -- Pairs with these are not candidates (see the insert).
             WHERE i.moderation NOT IN {NOT_CANDIDATES}) AS g",
        width = grid_width("g.band"),
    ))
    .execute(conn)?;
    diesel::sql_query("ANALYZE dup_grid").execute(conn)?;
    // A hash join on the two keys: a merge join sorted the nine probes of each initiative (9M
    // rows at 1M) on disk first.
    diesel::sql_query("SET LOCAL enable_mergejoin = off").execute(conn)?;
    diesel::sql_query(format!(
        "CREATE TEMP TABLE dup_near ON COMMIT DROP AS
         SELECT c.a, c.b FROM (
             SELECT p.id AS a, g.id AS b, p.point AS ap, g.point AS bp, p.norm AS an, g.norm AS bn
             FROM (SELECT t.id, t.point, t.norm, t.lat, t.lon, t.k, t.band + db.d AS band,
                          floor(t.lon / {width})::int + dc.d AS cell
                   FROM dup_grid t
                   CROSS JOIN (VALUES (-1), (0), (1)) AS db(d)
                   CROSS JOIN (VALUES (-1), (0), (1)) AS dc(d)
                   -- Kept apart (OFFSET 0), so that both keys are the join's: joined first on
                   -- the band alone, each initiative met its whole band of latitude.
                   WHERE t.touched OFFSET 0) AS p
             JOIN dup_grid g ON g.band = p.band AND g.cell = p.cell
             WHERE (NOT g.touched OR p.id < g.id)
               -- Flat-earth, with the smaller of the two latitudes' scales: never shorter
               -- than on the sphere but within a few hundred metres of a pole.
               AND (abs(p.lat) >= 89 OR (g.lat - p.lat) * (g.lat - p.lat)
                    + (g.lon - p.lon) * (g.lon - p.lon) * least(p.k, g.k) * least(p.k, g.k) <= {limit})
             OFFSET 0) AS c
         -- The exact test first, then the names: each costs a few microseconds.
         WHERE CASE WHEN ST_DWithin(c.ap::geography, c.bp::geography, {DUPLICATE_RADIUS_M}, false)
                    THEN similarity(c.an, c.bn) >= 0.5 END",
        width = grid_width("t.band + db.d"),
        limit = h * h * 1.03,
    ))
    .execute(conn)?;
    diesel::sql_query("SET LOCAL enable_mergejoin = DEFAULT").execute(conn)?;
    Ok("SELECT a, b FROM dup_near".into())
}

#[cfg(test)]
mod tests {
    use super::copy_field;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially_and_keeps_the_rest() {
        let mut line = String::new();
        copy_field(&mut line, Some("Café\tdes «amis»\\\r\nÉté"));
        copy_field(&mut line, None);
        copy_field(&mut line, Some(""));
        copy_field(&mut line, Some("\n"));
        assert_eq!(line, "Café\\tdes «amis»\\\\\\r\\nÉté\\N\\n");
    }
}
