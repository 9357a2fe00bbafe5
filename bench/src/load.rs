//! Bench databases: created, migrated and filled with a dataset by COPY, then analysed. A
//! database whose recorded seed and size match is reused as it is.

use crate::dataset::{Generator, Initiative, SEED};
use anyhow::Context;
use archipel_store::cluster::quote_ident;
use archipel_store::schema::initiatives;
use diesel::prelude::*;
use std::io::Write;

fn push(line: &mut String, value: Option<&str>) {
    if !line.is_empty() && !line.ends_with('\n') {
        line.push('\t');
    }
    archipel_store::sync::copy_field(line, value);
}

fn array(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// The columns of [`copy_line`], in order (diesel's schema order).
pub const COLUMNS: &str = "id, slug, name, description, geom, street, postcode, city, country_code, insee_code, \
    website, email, phone, links, opening_hours, tags, status, moderation, licence, attribution, source_id, external_id, \
    content_hash, source_url, fetched_at, imported_at, person_edited_at, last_confirmed_at, created_at, updated_at, \
    version, category_slugs";

/// One initiative as a COPY text line in the column order of `initiatives` (see store's schema).
pub fn copy_line(i: &Initiative, line: &mut String) {
    let updated = i.updated_at.to_rfc3339();
    let geom = format!("SRID=4326;POINT({} {})", i.lon, i.lat);
    let categories = array(&i.categories);
    let fields: [Option<&str>; 32] = [
        Some(&i.id.to_string()),
        Some(&i.slug),
        Some(&i.name),
        Some(&i.description),
        Some(&geom),
        Some(&i.street),
        Some(&i.postcode),
        Some(&i.city),
        Some("FR"),
        None,
        i.website.as_deref(),
        None,
        i.phone.as_deref(),
        Some("{}"),
        i.opening_hours,
        Some(&array(&i.tags)),
        Some(i.status),
        Some(i.moderation),
        Some("etalab-2.0"),
        Some("Archipel benchmark (synthetic)"),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        Some(&updated),
        Some(&updated),
        Some("1"),
        Some(&categories),
    ];
    for field in fields {
        push(line, field);
    }
    line.push('\n');
}

#[derive(QueryableByName)]
struct Meta {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    size: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    schema: String,
}

/// A digest of the migrations' SQL: a changed schema means a rebuilt dataset.
pub fn schema_digest() -> String {
    archipel_store::migrate::digest(std::path::Path::new("migrations"))
}

pub fn database_name(size: u64) -> String {
    format!("archipel_bench_{size}")
}

/// Makes sure `archipel_bench_<size>` holds the dataset; returns its URL.
pub fn ensure(admin_url: &str, size: u64) -> anyhow::Result<String> {
    let name = database_name(size);
    let url = crate::with_database(admin_url, &name);
    if let Ok(mut conn) = PgConnection::establish(&url) {
        let meta: Option<Meta> = diesel::sql_query("SELECT seed, size, schema FROM bench_meta")
            .get_result(&mut conn)
            .ok();
        if meta.is_some_and(|m| {
            m.seed == SEED as i64 && m.size == size as i64 && m.schema == schema_digest()
        }) {
            archipel_store::migrate::run_pending(&mut conn)?;
            return Ok(url);
        }
    }
    eprintln!("bench: building {name} ({size} initiatives)…");
    let started = std::time::Instant::now();
    let mut admin = PgConnection::establish(admin_url).context("connecting to the bench server")?;
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(&name)
    ))
    .execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name))).execute(&mut admin)?;
    let mut conn = PgConnection::establish(&url)?;
    archipel_store::migrate::run_pending(&mut conn)?;
    fill(&mut conn, size)?;
    diesel::sql_query("CREATE TABLE bench_meta (seed bigint, size bigint, schema text)")
        .execute(&mut conn)?;
    diesel::sql_query(format!(
        "INSERT INTO bench_meta VALUES ({SEED}, {size}, '{}')",
        schema_digest()
    ))
    .execute(&mut conn)?;
    eprintln!(
        "bench: {name} built in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(url)
}

fn fill(conn: &mut PgConnection, size: u64) -> anyhow::Result<()> {
    // The insert trigger of `initiatives` derives initiative_categories from category_slugs.
    diesel::copy_from(initiatives::table)
        .from_raw_data(
            initiatives::table,
            |out: &mut dyn Write| -> Result<(), diesel::result::Error> {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
                let mut line = String::with_capacity(1024);
                for i in Generator::new(size) {
                    line.clear();
                    copy_line(&i, &mut line);
                    out.write_all(line.as_bytes())
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                }
                out.flush()
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            },
        )
        .execute(conn)?;
    // Every table, the ones the triggers filled too (map points, kept cells, change feed,
    // tallies): left to autovacuum, a million-row table was vacuumed while scenarios ran.
    diesel::sql_query("VACUUM ANALYZE").execute(conn)?;
    Ok(())
}
