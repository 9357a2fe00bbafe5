//! The importer's benchmark: a generated GeoJSON feed of N features imported with
//! `archipel import` (time, peak memory, bytes stored per initiative), imported again unchanged,
//! and compared with GDAL's `ogr2ogr` loading the same file into PostGIS (spatial index on) in the
//! same run — the peer the targets are judged against — and, for reference, with a plain `COPY`
//! of the same rows into the (triggered, indexed) initiatives table.

use crate::dataset::{Generator, practice_slugs};
use crate::measure::{self, memory_of};
use anyhow::{Context, bail};
use archipel_store::cluster::quote_ident;
use diesel::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ImportRun {
    pub size: u64,
    pub what: &'static str,
    pub seconds: f64,
    pub peak_rss_mib: Option<f64>,
    /// Database bytes added per feature (tables, indexes, TOAST, derived tables, revisions).
    pub bytes_per_feature: Option<f64>,
}

/// Generated files are named after the size and the schema they were written for.
fn data_file(data: &Path, size: u64, suffix: &str) -> PathBuf {
    data.join(format!(
        "import_{size}_{}.{suffix}",
        crate::load::schema_digest()
    ))
}

fn feed_path(data: &Path, size: u64) -> PathBuf {
    data_file(data, size, "geojson")
}

/// Writes the feed, its mapping and the COPY files of the same rows (once).
fn prepare(data: &Path, size: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(data)?;
    let mapping = data.join("import_mapping.toml");
    let mut text = String::from(
        "category_field = \"categories\"\nseparator = \",\"\n[fields]\nid = \"id\"\n[categories]\n",
    );
    for slug in practice_slugs() {
        text.push_str(&format!("\"{slug}\" = \"{slug}\"\n"));
    }
    std::fs::write(&mapping, text)?;
    let feed = feed_path(data, size);
    if feed.exists() {
        return Ok(());
    }
    eprintln!("bench: writing {}", feed.display());
    let mut out = std::io::BufWriter::new(std::fs::File::create(&feed)?);
    let mut rows = std::io::BufWriter::new(std::fs::File::create(data_file(data, size, "copy"))?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut line = String::new();
    for (n, i) in Generator::new(size).enumerate() {
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
            "properties": {
                "id": format!("g{n}"), "name": i.name, "description": i.description, "street": i.street,
                "postcode": i.postcode, "city": i.city, "website": i.website, "phone": i.phone,
                "opening_hours": i.opening_hours, "categories": i.categories.join(","), "tags": i.tags.join(","),
            }
        });
        if n > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &feature)?;
        line.clear();
        crate::load::copy_line(&i, &mut line);
        rows.write_all(line.as_bytes())?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    rows.flush()?;
    Ok(())
}

/// The databases this benchmark creates (dropped at the end of each size).
const DATABASES: [&str; 3] = [
    "archipel_bench_import",
    "archipel_bench_copy",
    "archipel_bench_ogr",
];

fn drop_database(conn: &mut PgConnection, name: &str) -> anyhow::Result<()> {
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(conn)?;
    Ok(())
}

/// An empty database `name` (dropped first when it exists); its URL.
fn empty_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let mut conn = PgConnection::establish(admin)?;
    drop_database(&mut conn, name)?;
    diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(name))).execute(&mut conn)?;
    Ok(crate::with_database(admin, name))
}

fn fresh_database(admin: &str, name: &str, binary: &Path) -> anyhow::Result<String> {
    let url = empty_database(admin, name)?;
    run(binary, &url, &["migrate"])?;
    Ok(url)
}

fn run(binary: &Path, url: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("archipel {} failed", args.join(" "));
    }
    Ok(())
}

/// The size of the database behind `url`, in bytes.
fn database_bytes(url: &str) -> anyhow::Result<f64> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query("CHECKPOINT").execute(&mut conn)?;
    let size: Size = diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
        .get_result(&mut conn)?;
    Ok(size.bytes as f64)
}

/// `postgres://user:password@host:port/db` as libpq's `key=value` form (GDAL appends its own
/// `application_name` to the string, which a URI cannot take).
fn conninfo(url: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(url)?;
    let mut parts = vec![
        format!("host={}", url.host_str().unwrap_or("127.0.0.1")),
        format!("port={}", url.port().unwrap_or(5432)),
        format!("dbname={}", url.path().trim_start_matches('/')),
    ];
    if !url.username().is_empty() {
        parts.push(format!("user={}", url.username()));
    }
    if let Some(password) = url.password() {
        parts.push(format!("password={password}"));
    }
    Ok(parts.join(" "))
}

/// Loads `feed` with `ogr2ogr -f PostgreSQL` into a fresh database (GDAL's defaults: COPY, a
/// GiST index on the geometry) and returns (seconds, bytes per feature).
fn ogr2ogr(admin: &str, feed: &Path, size: u64) -> anyhow::Result<(f64, f64)> {
    let url = empty_database(admin, "archipel_bench_ogr")?;
    measure::psql_time(&url, "CREATE EXTENSION postgis")?;
    let empty = database_bytes(&url)?;
    let started = Instant::now();
    let out = Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", &format!("PG:{}", conninfo(&url)?)])
        .arg(feed)
        .args([
            "-nln",
            "feed",
            "-lco",
            "SPATIAL_INDEX=GIST",
            "-lco",
            "GEOMETRY_NAME=geom",
        ])
        .stdout(Stdio::null())
        .output()
        .context("ogr2ogr (GDAL) is needed for the import benchmark")?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("ogr2ogr failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((seconds, (database_bytes(&url)? - empty) / size as f64))
}

/// Runs of the re-import and of ogr2ogr whose median is reported.
const REPEATS: usize = 3;

/// Runs `archipel import` and returns (seconds, peak RSS MiB).
fn timed_import(binary: &Path, url: &str) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["import", "bench", "--max-feed-size", "4000"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut peak = 0;
    loop {
        peak = peak.max(memory_of(child.id()).1);
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the import failed");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok((started.elapsed().as_secs_f64(), peak as f64 / 1024.0))
}

pub fn bench(
    binary: &Path,
    admin: &str,
    sizes: &[u64],
    data: &Path,
    // Before each size, wait for a quiet server (`measure::settle`); not in a smoke run.
    settle: bool,
) -> anyhow::Result<Vec<ImportRun>> {
    let mut runs = Vec::new();
    for &size in sizes {
        if settle {
            measure::settle(&mut PgConnection::establish(admin)?)?;
        }
        let url = fresh_database(admin, "archipel_bench_import", binary)?;
        prepare(data, size)?;
        let feed = std::fs::canonicalize(feed_path(data, size))?;
        let mapping = data.join("import_mapping.toml");
        run(
            binary,
            &url,
            &[
                "source",
                "add",
                "bench",
                "--format",
                "geojson",
                "--url",
                &feed.display().to_string(),
                "--mapping",
                &mapping.display().to_string(),
            ],
        )?;
        let empty = database_bytes(&url)?;
        let (seconds, peak) = timed_import(binary, &url).context("first import")?;
        runs.push(ImportRun {
            size,
            what: "import",
            seconds,
            peak_rss_mib: Some(peak),
            bytes_per_feature: Some((database_bytes(&url)? - empty) / size as f64),
        });
        // The re-import and ogr2ogr each take a few seconds at 100k and vary by a second
        // between runs (the disk, the other core): each is the median of three runs.
        let mut times = Vec::new();
        let mut peak = 0.0f64;
        for _ in 0..REPEATS {
            measure::psql_time(&url, "UPDATE sources SET etag = NULL")?;
            let (seconds, rss) = timed_import(binary, &url).context("re-import")?;
            times.push(seconds);
            peak = peak.max(rss);
        }
        runs.push(ImportRun {
            size,
            what: "re-import, unchanged",
            seconds: measure::median(&mut times),
            peak_rss_mib: Some(peak),
            bytes_per_feature: None,
        });
        let mut times = Vec::new();
        let mut bytes = 0.0;
        for _ in 0..REPEATS {
            let (seconds, b) = ogr2ogr(admin, &feed, size)?;
            times.push(seconds);
            bytes = b;
        }
        runs.push(ImportRun {
            size,
            what: "ogr2ogr -f PostgreSQL",
            seconds: measure::median(&mut times),
            peak_rss_mib: None,
            bytes_per_feature: Some(bytes),
        });

        let copy_url = fresh_database(admin, "archipel_bench_copy", binary)?;
        let rows = std::fs::canonicalize(data_file(data, size, "copy"))?;
        // The insert trigger fills initiative_categories, as for the import.
        let copy = measure::psql_time(
            &copy_url,
            &format!(
                "COPY initiatives ({}) FROM '{}'",
                crate::load::COLUMNS,
                rows.display()
            ),
        )?;
        runs.push(ImportRun {
            size,
            what: "COPY of the same rows",
            seconds: copy.as_secs_f64(),
            peak_rss_mib: None,
            bytes_per_feature: None,
        });
        let mut conn = PgConnection::establish(admin)?;
        for name in DATABASES {
            drop_database(&mut conn, name)?;
        }
    }
    Ok(runs)
}

fn find(runs: &[ImportRun], size: u64, what: &str) -> Option<ImportRun> {
    runs.iter()
        .find(|r| r.size == size && r.what == what)
        .cloned()
}

pub fn targets(runs: &[ImportRun]) -> Vec<(String, String, String, Option<bool>)> {
    let mut rows = Vec::new();
    let Some(largest) = runs.iter().map(|r| r.size).max() else {
        return rows;
    };
    let (Some(first), Some(again), Some(gdal)) = (
        find(runs, largest, "import"),
        find(runs, largest, "re-import, unchanged"),
        find(runs, largest, "ogr2ogr -f PostgreSQL"),
    ) else {
        return rows;
    };
    let r = first.seconds / gdal.seconds;
    rows.push((
        format!("import {largest} features"),
        "≤ 3× ogr2ogr".into(),
        format!("{r:.2}× ({:.1} s vs {:.1} s)", first.seconds, gdal.seconds),
        Some(r <= 3.0),
    ));
    let bytes = first.bytes_per_feature.unwrap_or(f64::INFINITY);
    rows.push((
        format!("import {largest}: bytes per initiative"),
        "≤ 2 KB, all included".into(),
        format!(
            "{:.0} B (ogr2ogr's table: {:.0} B)",
            bytes,
            gdal.bytes_per_feature.unwrap_or(0.0)
        ),
        Some(bytes <= 2048.0),
    ));
    let peak = first.peak_rss_mib.unwrap_or(0.0);
    rows.push((
        format!("import {largest}: peak RSS"),
        "< 300 MiB".into(),
        format!("{peak:.1} MiB"),
        Some(peak < 300.0),
    ));
    let smallest = runs.iter().map(|r| r.size).min().unwrap_or(largest);
    if smallest < largest
        && let Some(small) = find(runs, smallest, "import")
    {
        let growth = peak / small.peak_rss_mib.unwrap_or(peak).max(1.0);
        rows.push((
            "import peak RSS vs feed size".into(),
            "not growing".into(),
            format!(
                "{:.1} MiB at {smallest}, {peak:.1} MiB at {largest} ({growth:.2}×)",
                small.peak_rss_mib.unwrap_or(0.0)
            ),
            Some(growth <= 1.25),
        ));
    }
    let r = again.seconds / gdal.seconds;
    rows.push((
        format!("re-import {largest} unchanged"),
        "≤ 1× ogr2ogr".into(),
        format!("{r:.2}× ({:.1} s vs {:.1} s)", again.seconds, gdal.seconds),
        Some(r <= 1.0),
    ));
    rows
}

pub fn markdown(runs: &[ImportRun]) -> String {
    let mut out = String::from(
        "## Importer: generated GeoJSON feed\n\n| features | run | seconds | features/s | peak RSS MiB | bytes per feature |\n|---:|---|---:|---:|---:|---:|\n",
    );
    for r in runs {
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.0} | {} | {} |\n",
            r.size,
            r.what,
            r.seconds,
            r.size as f64 / r.seconds,
            r.peak_rss_mib.map_or("-".into(), |p| format!("{p:.1}")),
            r.bytes_per_feature
                .map_or("-".into(), |b| format!("{b:.0}"))
        ));
    }
    out
}
