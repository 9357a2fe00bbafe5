//! The scenarios: each HTTP request is measured end to end (E) and compared with PostgreSQL's own
//! time for the one statement that yields its body (L), rendered by the store itself so that both
//! run exactly the same SQL.

use crate::measure::{self, Load, Server};
use anyhow::{Context, bail};
use archipel_store::initiative::{Key, Representation};
use archipel_store::tiles::TileQuery;
use archipel_store::{listing, tiles};
use diesel::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// How hard to measure.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    /// Seconds of each load run.
    pub seconds: u32,
    /// Load runs per measurement (the median is kept).
    pub repeats: u32,
    pub clients: &'static [u32],
    /// One request and one transaction per scenario, no load: checks that everything still runs.
    pub smoke: bool,
}

/// One measured line of the report.
#[derive(Debug, Clone)]
pub struct Measured {
    pub dataset: u64,
    pub scenario: String,
    pub clients: u32,
    pub e: Load,
    pub l: Option<Load>,
    pub bytes: u64,
}

impl Measured {
    pub fn ratio(&self) -> Option<f64> {
        self.l
            .filter(|l| l.p50_ms > 0.0)
            .map(|l| self.e.p50_ms / l.p50_ms)
    }
}

/// A request to measure, and the SQL of its body.
pub struct Case {
    pub scenario: String,
    pub path: String,
    pub headers: Vec<&'static str>,
    pub sql: Option<String>,
}

fn median(mut runs: Vec<Load>) -> Load {
    runs.sort_by(|a, b| a.p50_ms.total_cmp(&b.p50_ms));
    runs[runs.len() / 2]
}

pub fn measure(
    server: &Server,
    db_url: &str,
    dataset: u64,
    case: &Case,
    effort: Effort,
    work: &Path,
) -> anyhow::Result<Vec<Measured>> {
    let url = format!("{}{}", server.base, case.path);
    let (status, bytes) = measure::response_bytes(&url, &case.headers)?;
    if status != 200 {
        let body = measure::response_body(&url, &case.headers).unwrap_or_default();
        bail!(
            "{}: HTTP {status} from {url} (asked again: {body}); the server's log ends with: {}",
            case.scenario,
            server.log_tail(5)
        );
    }
    let mut rows = Vec::new();
    if effort.smoke {
        let started = Instant::now();
        measure::response_bytes(&url, &case.headers)?;
        let e = Load {
            p50_ms: started.elapsed().as_secs_f64() * 1000.0,
            ..Load::default()
        };
        let l = match &case.sql {
            Some(sql) => Some(measure::pgbench(db_url, sql, 1, 1, work)?),
            None => None,
        };
        rows.push(Measured {
            dataset,
            scenario: case.scenario.clone(),
            clients: 1,
            e,
            l,
            bytes,
        });
        return Ok(rows);
    }
    // One request's time sets the run window: long enough for every client to finish about ten
    // requests (two cores serve them, so four clients take twice as long each), or a slow
    // scenario (a z5 tile over 1M points, ~1.5 s) would be judged on the median of three or four.
    let started = Instant::now();
    measure::response_bytes(&url, &case.headers)?;
    let one = started.elapsed().as_secs_f64();
    for &clients in effort.clients {
        let mut e_runs = Vec::new();
        let mut l_runs = Vec::new();
        let seconds = effort
            .seconds
            .max((one * 10.0 * f64::from(clients.div_ceil(2))).ceil() as u32)
            .min(60);
        for _ in 0..effort.repeats {
            e_runs.push(measure::wrk(&url, clients, seconds, &case.headers)?);
            if let Some(sql) = &case.sql {
                l_runs.push(measure::pgbench(db_url, sql, clients, seconds, work)?);
            }
        }
        let l = (!l_runs.is_empty()).then(|| median(l_runs));
        rows.push(Measured {
            dataset,
            scenario: case.scenario.clone(),
            clients,
            e: median(e_runs),
            l,
            bytes,
        });
    }
    Ok(rows)
}

fn list_sql(query: &str, repr: Representation, conn: &mut PgConnection) -> anyhow::Result<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query);
    let request = archipel_api::list_params::parse(&pairs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut q = request.query;
    if !request.category_slugs.is_empty() {
        q.category_ids = Some(archipel_store::category::ids_with_descendants(
            conn,
            &request.category_slugs,
        )?);
    }
    Ok(listing::statement(&q, repr)?.literal_sql())
}

fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A square box around Paris holding about `target` published initiatives.
pub fn bbox_for(conn: &mut PgConnection, target: i64) -> anyhow::Result<(String, i64)> {
    let (lat, lon) = (48.8566f64, 2.3522f64);
    let (mut low, mut high) = (0.0005f64, 6.0f64);
    let mut best = (String::new(), 0i64);
    for _ in 0..40 {
        let half = (low + high) / 2.0;
        let dlon = half / lat.to_radians().cos();
        let bbox = format!(
            "{:.5},{:.5},{:.5},{:.5}",
            lon - dlon,
            lat - half,
            lon + dlon,
            lat + half
        );
        let n = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM initiatives WHERE moderation = 'published' AND point && ST_MakeEnvelope({bbox}, 4326)"
        ))
        .get_result::<Count>(conn)?
        .n;
        best = (bbox, n);
        if (n - target).abs() * 20 <= target {
            break;
        }
        if n < target { low = half } else { high = half }
    }
    Ok(best)
}

/// The tile of a point at a zoom.
pub fn tile_of(lat: f64, lon: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y =
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// Every request scenario (Q1, Q2, Q3, Q5, Q6) for a dataset.
pub fn cases(conn: &mut PgConnection, server: &Server, dataset: u64) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let published =
        diesel::sql_query("SELECT count(*) AS n FROM initiatives WHERE moderation = 'published'")
            .get_result::<Count>(conn)?
            .n;
    for target in [100i64, 1_000, 10_000] {
        let target = target.min(published / 2);
        let (bbox, n) = bbox_for(conn, target)?;
        let query = format!("bbox={bbox}&limit=10000");
        cases.push(Case {
            scenario: format!("Q1 bbox ≈{target} ({n})"),
            sql: Some(list_sql(&query, Representation::Feature, conn)?),
            path: format!("/api/v1/initiatives.geojson?{query}"),
            headers: vec![],
        });
    }
    // Q2b: the search box's exact request while someone types "repa", against a box of about 20
    // (what a map view shows once the search is done).
    let (bbox, n) = bbox_for(conn, 20.min(published / 2))?;
    let query = format!("bbox={bbox}&limit=20");
    cases.push(Case {
        scenario: format!("Q2b reference: bbox ≈20 ({n})"),
        sql: Some(list_sql(&query, Representation::Json, conn)?),
        path: format!("/api/v1/initiatives?{query}"),
        headers: vec![],
    });
    cases.push(Case {
        scenario: "Q2b search box: suggest 'repa', limit 8".into(),
        // Up to three statements and a serialisation: no single statement to compare with.
        sql: None,
        path: "/api/v1/suggest?q=repa&limit=8".into(),
        headers: vec![],
    });
    // Q2: words in the map's view, against the same view without words.
    for (scenario, query) in [
        (
            "Q2 reference: the same bbox without words, limit 20",
            "bbox=1.9,48.5,2.8,49.2&limit=20",
        ),
        (
            "Q2 words + bbox, limit 20",
            "q=jardin&bbox=1.9,48.5,2.8,49.2&limit=20",
        ),
    ] {
        cases.push(Case {
            scenario: scenario.into(),
            sql: Some(list_sql(query, Representation::Feature, conn)?),
            path: format!("/api/v1/initiatives.geojson?{query}"),
            headers: vec![],
        });
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let one = diesel::sql_query("SELECT id FROM initiatives WHERE moderation = 'published' ORDER BY point <-> ST_SetSRID(ST_MakePoint(2.3522, 48.8566), 4326) LIMIT 1")
        .get_result::<Id>(conn)?
        .id;
    cases.push(Case {
        scenario: "Q3 one initiative by id".into(),
        sql: Some(
            archipel_store::initiative::get_statement(&Key::Id(one), Representation::Json)
                .literal_sql(),
        ),
        path: format!("/api/v1/initiatives/{one}"),
        headers: vec![],
    });
    // Q5: page 1 and page 500 of the plain listing, following the `next` links as a harvester would.
    let first = "/api/v1/initiatives.geojson?limit=100".to_string();
    let pages = if published >= 50_100 {
        500
    } else {
        (published / 100 - 1).max(2)
    };
    let mut next = format!("{}{first}", server.base);
    for _ in 1..pages {
        next = measure::next_link(&next)?.context("a next link")?;
    }
    let deep = next.trim_start_matches(&server.base).to_string();
    let deep_query = deep
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    cases.push(Case {
        scenario: "Q5 page 1".into(),
        sql: Some(list_sql("limit=100", Representation::Feature, conn)?),
        path: first,
        headers: vec![],
    });
    cases.push(Case {
        scenario: format!("Q5 page {pages}"),
        sql: Some(list_sql(&deep_query, Representation::Feature, conn)?),
        path: deep,
        headers: vec![],
    });
    for z in [5u32, 10, 14] {
        let (x, y) = tile_of(48.8566, 2.3522, z);
        let q = TileQuery {
            z,
            x,
            y,
            category_ids: None,
            words: vec![],
            statuses: vec![],
            territory: None,
        };
        cases.push(Case {
            scenario: format!("Q6 tile z{z}"),
            sql: Some(tiles::statement(&q).literal_sql()),
            path: format!("/api/v1/tiles/{z}/{x}/{y}.mvt"),
            headers: vec![],
        });
    }
    let _ = dataset;
    Ok(cases)
}

/// Q4: the full export, streamed.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub dataset: u64,
    pub features: i64,
    pub first_byte_ms: f64,
    pub total_s: f64,
    pub bytes: u64,
    pub peak_rss_mib: f64,
    pub copy_s: f64,
}

/// One streamed export through the server: (first byte s, total s, bytes, peak RSS KiB).
fn export_once(server: &Server) -> anyhow::Result<(f64, f64, u64, u64)> {
    let pid = server.pid();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(measure::memory_of(pid).0);
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    });
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
        ])
        .arg(format!("{}/api/v1/export/initiatives.geojson", server.base))
        .output()?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0).max(server.memory().0);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let parts: Vec<&str> = text.split_whitespace().collect();
    if parts.first() != Some(&"200") || parts.len() < 4 {
        bail!("export answered {text}");
    }
    Ok((
        parts[1].parse().unwrap_or(0.0),
        parts[2].parse().unwrap_or(0.0),
        parts[3].parse().unwrap_or(0),
        peak,
    ))
}

/// Q4: the whole export through the server against a `COPY … TO` of the same rows, `repeats`
/// times each, alternated (medians; peak RSS over all runs). The server runs as configured by
/// default and is measured once it has built its tiles ahead, as it would be serving.
pub fn export(
    binary: &Path,
    db_url: &str,
    conn: &mut PgConnection,
    dataset: u64,
    repeats: u32,
) -> anyhow::Result<Export> {
    let server = Server::start(binary, db_url, &[])?;
    server.wait_prebuilt(Duration::from_secs(900))?;
    let copy_sql = format!(
        "COPY ({}) TO STDOUT",
        archipel_store::export::statement().literal_sql()
    );
    let (mut first, mut total, mut copies) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bytes, mut peak) = (0, 0);
    for _ in 0..repeats.max(1) {
        let (f, t, b, p) = export_once(&server)?;
        first.push(f);
        total.push(t);
        bytes = b;
        peak = peak.max(p);
        copies.push(measure::psql_time(db_url, &copy_sql)?.as_secs_f64());
    }
    let middle = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let features =
        diesel::sql_query("SELECT count(*) AS n FROM initiatives WHERE moderation = 'published'")
            .get_result::<Count>(conn)?
            .n;
    Ok(Export {
        dataset,
        features,
        first_byte_ms: middle(first) * 1000.0,
        total_s: middle(total),
        bytes,
        peak_rss_mib: peak as f64 / 1024.0,
        copy_s: middle(copies),
    })
}
