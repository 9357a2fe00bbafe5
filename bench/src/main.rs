//! `archipel-bench`: builds deterministic datasets, runs the scenarios of docs/benchmarks.md
//! against a real server and PostgreSQL's own time for the same SQL, and writes the report.

mod cities;
mod dataset;
mod edits;
mod imports;
mod load;
mod map;
mod martin;
mod measure;
mod report;
mod scenarios;

use clap::{Parser, Subcommand};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "archipel-bench")]
struct Cli {
    /// Admin URL of the PostgreSQL server (default: the project's private cluster).
    #[arg(long, env = "ARCHIPEL_BENCH_DATABASE_URL")]
    admin_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build (or reuse) the database of a dataset.
    Load {
        #[arg(long, default_value_t = 10_000)]
        size: u64,
    },
    /// Run the scenarios and write the report.
    Run {
        /// Dataset sizes (the targets are judged on the largest).
        #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
        sizes: Vec<u64>,
        /// Every scenario once on the first size; a check that the suite runs, not a measurement.
        #[arg(long)]
        smoke: bool,
        /// The server binary to measure (a release build for real figures).
        #[arg(long, default_value = "target/release/archipel")]
        server: PathBuf,
        #[arg(long, default_value_t = 3)]
        seconds: u32,
        #[arg(long, default_value_t = 3)]
        repeats: u32,
        /// Also measure tipg (bench/.venv, see `make bench`).
        #[arg(long)]
        peers: bool,
        /// Also run the importer benchmark with these feed sizes.
        #[arg(long, value_delimiter = ',')]
        import_sizes: Vec<u64>,
        #[arg(long, default_value = "bench/results/latest.md")]
        out: PathBuf,
        /// Only the scenarios whose name starts with this (e.g. "Q6"), for quick iterations.
        #[arg(long)]
        only: Option<String>,
        /// Copy the targets table into this file, between `<!-- bench:targets -->` and
        /// `<!-- /bench:targets -->` (the README, for `make bench`).
        #[arg(long)]
        readme: Option<PathBuf>,
    },
}

/// `url` with another database name.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    format!("{base}/{database}")
}

fn admin_url(cli: &Cli) -> anyhow::Result<String> {
    if let Some(url) = &cli.admin_url {
        return Ok(url.clone());
    }
    let port = std::env::var("ARCHIPEL_DB_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(55432);
    let cluster = archipel_store::cluster::LocalCluster::new(".archipel", port);
    cluster.ensure_running()?;
    Ok(cluster.url("postgres"))
}

fn machine(admin: &str) -> anyhow::Result<String> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut conn = PgConnection::establish(admin)?;
    let pg = diesel::sql_query("SELECT current_setting('server_version') AS v")
        .get_result::<V>(&mut conn)?
        .v;
    let postgis = diesel::sql_query(
        "SELECT default_version AS v FROM pg_available_extensions WHERE name = 'postgis'",
    )
    .get_result::<V>(&mut conn)?
    .v;
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = mem
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1048576.0;
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Ok(format!(
        "Machine: {cores} cores ({model}), {mem_gib:.0} GiB; PostgreSQL {pg}, PostGIS {postgis}; load tool, server and PostgreSQL share the cores. Commit {commit}, {}.",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    ))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let admin = admin_url(&cli)?;
    match cli.command {
        Command::Load { size } => {
            println!("{}", load::ensure(&admin, size)?);
        }
        Command::Run {
            sizes,
            smoke,
            server,
            seconds,
            repeats,
            peers,
            import_sizes,
            out,
            only,
            readme,
        } => {
            let wanted = |name: &str| {
                only.as_deref()
                    .is_none_or(|prefix| name.starts_with(prefix))
            };
            let effort = if smoke {
                scenarios::Effort {
                    seconds: 1,
                    repeats: 1,
                    clients: &[1],
                    smoke: true,
                }
            } else {
                scenarios::Effort {
                    seconds,
                    repeats,
                    clients: &[1, 4],
                    smoke: false,
                }
            };
            let sizes = if smoke {
                sizes.into_iter().take(1).collect()
            } else {
                sizes
            };
            let work = std::env::temp_dir();
            let mut results = report::Results {
                smoke,
                machine: machine(&admin)?,
                ..Default::default()
            };
            for size in sizes {
                let url = load::ensure(&admin, size)?;
                let mut conn = PgConnection::establish(&url)?;
                if !smoke {
                    measure::settle(&mut conn)?;
                }
                {
                    // Q6 is about uncached tiles: this server builds every tile afresh.
                    let server_process =
                        measure::Server::start(&server, &url, &["--tile-cache-mb", "0"])?;
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    let idle = server_process.memory().0 as f64 / 1024.0;
                    for case in scenarios::cases(&mut conn, &server_process, size)?
                        .into_iter()
                        .filter(|c| wanted(&c.scenario))
                    {
                        eprintln!("bench: {size} {}", case.scenario);
                        match scenarios::measure(&server_process, &url, size, &case, effort, &work)
                        {
                            Ok(rows) => results.measured.extend(rows),
                            // In a smoke run every scenario must work; a long run keeps going.
                            Err(e) if smoke => return Err(e.context(case.scenario.clone())),
                            Err(e) => results
                                .notes
                                .push(format!("{size} {}: not measured: {e:#}", case.scenario)),
                        }
                    }
                    results
                        .memory
                        .push((size, idle, server_process.memory().1 as f64 / 1024.0));
                    if wanted("Q6 cached") || wanted("edit") {
                        // The same tiles from a server with its default tile cache (warmed by
                        // the first request of each measurement), once it has built ahead the
                        // low-zoom tiles (so that this work does not run during the measures).
                        let cached = measure::Server::start(&server, &url, &[])?;
                        cached.wait_prebuilt(std::time::Duration::from_secs(900))?;
                        let cases = if wanted("Q6 cached") {
                            scenarios::cases(&mut conn, &cached, size)?
                        } else {
                            Vec::new()
                        };
                        for case in cases
                            .into_iter()
                            .filter(|c| c.scenario.starts_with("Q6 tile"))
                        {
                            let case = scenarios::Case {
                                scenario: case.scenario.replace("Q6 tile", "Q6 cached tile"),
                                sql: None,
                                ..case
                            };
                            eprintln!("bench: {size} {}", case.scenario);
                            match scenarios::measure(&cached, &url, size, &case, effort, &work) {
                                Ok(rows) => results.measured.extend(rows),
                                Err(e) if smoke => return Err(e.context(case.scenario.clone())),
                                Err(e) => results
                                    .notes
                                    .push(format!("{size} {}: not measured: {e:#}", case.scenario)),
                            }
                        }
                        if wanted("edit") {
                            // After Q6 cached, on the same server: its tiles are kept.
                            eprintln!("bench: {size} edit → map");
                            match edits::edit_to_map(&cached, &mut conn, size) {
                                Ok(run) => results.edits.push(run),
                                Err(e) if smoke => return Err(e.context("edit → map")),
                                Err(e) => results
                                    .notes
                                    .push(format!("{size} edit → map: not measured: {e:#}")),
                            }
                        }
                    }
                    if wanted("map") {
                        // Uncached: every visitor is the first; cached: the server as configured
                        // by default, its opening tiles built ahead.
                        for cached in [false, true] {
                            eprintln!("bench: {size} map first render (tile cache: {cached})");
                            let runs = if smoke { 1 } else { 5 };
                            match map::first_render(&server, &url, size, cached, runs) {
                                Ok(run) => results.maps.push(run),
                                Err(e) if smoke => return Err(e.context("map first render")),
                                Err(e) => results
                                    .notes
                                    .push(format!("{size} map first render: not measured: {e:#}")),
                            }
                        }
                    }
                    if peers && !smoke && wanted("peer") {
                        match peers_run(&url, &mut conn, size, effort) {
                            Ok(rows) => results.peers.extend(rows),
                            Err(e) => results
                                .notes
                                .push(format!("{size} tipg: not measured: {e:#}")),
                        }
                    }
                    // martin is Q6's peer: it runs with Q6 (`--only Q6 --peers`).
                    if peers && !smoke && wanted("Q6") {
                        match martin::run(&url, &mut conn, size, effort) {
                            Ok(rows) => results.peers.extend(rows),
                            Err(e) => results
                                .notes
                                .push(format!("{size} martin: not measured: {e:#}")),
                        }
                    }
                }
                if !wanted("Q4") {
                    continue;
                }
                eprintln!("bench: {size} Q4 export");
                match scenarios::export(&server, &url, &mut conn, size, effort.repeats) {
                    Ok(export) => results.exports.push(export),
                    Err(e) if smoke => return Err(e.context("Q4 export")),
                    Err(e) => results
                        .notes
                        .push(format!("{size} Q4 export: not measured: {e:#}")),
                }
            }
            if !import_sizes.is_empty() && wanted("import") {
                let sizes: Vec<u64> = if smoke {
                    import_sizes.into_iter().take(1).collect()
                } else {
                    import_sizes
                };
                match imports::bench(
                    &server,
                    &admin,
                    &sizes,
                    &PathBuf::from("bench/data"),
                    !smoke,
                ) {
                    Ok(runs) => results.imports = runs,
                    Err(e) if smoke => return Err(e.context("import benchmark")),
                    Err(e) => results
                        .notes
                        .push(format!("import benchmark: not measured: {e:#}")),
                }
            }
            if smoke {
                results
                    .notes
                    .push("smoke run: one request and one pgbench transaction per scenario".into());
            }
            let report = results.markdown();
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, &report)?;
            if let Some(readme) = readme.filter(|_| !smoke) {
                copy_targets(&readme, &results, &out)?;
            }
            println!("{report}");
        }
    }
    Ok(())
}

/// Replaces the README's targets table (between its markers) with this run's.
fn copy_targets(readme: &Path, results: &report::Results, report: &Path) -> anyhow::Result<()> {
    const BEGIN: &str = "<!-- bench:targets -->";
    const END: &str = "<!-- /bench:targets -->";
    let text = std::fs::read_to_string(readme)?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        anyhow::bail!("{} has no {BEGIN} … {END} markers", readme.display());
    };
    let table = format!(
        "{BEGIN}\n{}\n{}; from [{}]({}).\n",
        results.targets_table(),
        results.machine.trim_end_matches('.'),
        report.display(),
        report.display()
    );
    let updated = format!("{}{table}{}", &text[..begin], &text[end..]);
    std::fs::write(readme, updated)?;
    Ok(())
}

/// tipg (OGC API – Features in Python) on the same table: Q1 ≈1k and Q3.
fn peers_run(
    url: &str,
    conn: &mut PgConnection,
    size: u64,
    effort: scenarios::Effort,
) -> anyhow::Result<Vec<(u64, String, u32, f64)>> {
    let uvicorn = PathBuf::from("bench/.venv/bin/uvicorn");
    if !uvicorn.exists() {
        anyhow::bail!("tipg is not installed: run `make bench` (it creates bench/.venv)");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = std::process::Command::new(&uvicorn)
        .args([
            "tipg.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ])
        .env("DATABASE_URL", url.replace("postgres://", "postgresql://"))
        .env("TIPG_DB_SCHEMAS", "[\"public\"]")
        // Only tables: tipg would otherwise publish PostGIS functions as collections too.
        .env("TIPG_DB_FUNCTIONS", "[]")
        .env("TIPG_MAX_FEATURES_PER_QUERY", "10000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let ready = measure::wait_until_ok(&format!("{base}/collections/public.initiatives"));
    let mut out = Vec::new();
    if ready {
        let (bbox, _) = scenarios::bbox_for(conn, 1000)?;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let one = diesel::sql_query("SELECT id::text AS id FROM initiatives WHERE moderation = 'published' ORDER BY point <-> ST_SetSRID(ST_MakePoint(2.3522, 48.8566), 4326) LIMIT 1").get_result::<Id>(conn)?.id;
        let properties = "name,slug,description,street,postcode,city,country_code,website,email,phone,opening_hours,status,licence,attribution,updated_at";
        let cases = [
            (
                "Q1 bbox ≈1000",
                format!(
                    "{base}/collections/public.initiatives/items?bbox={bbox}&limit=10000&geom-column=geom&properties={properties}&f=geojson"
                ),
            ),
            (
                "Q3 one initiative by id",
                format!(
                    "{base}/collections/public.initiatives/items/{one}?geom-column=geom&properties={properties}&f=geojson"
                ),
            ),
        ];
        for (name, target) in cases {
            for &clients in effort.clients {
                if let Some(rps) =
                    measure::median_rps(&target, clients, effort.seconds, effort.repeats)
                {
                    out.push((size, format!("{name} (tipg)"), clients, rps));
                }
            }
        }
    }
    measure::stop_gracefully(&mut child);
    if !ready {
        anyhow::bail!("tipg did not start");
    }
    Ok(out)
}
