//! The measuring tools: the server under test, `wrk` for HTTP, `pgbench` for PostgreSQL's own
//! time, `/proc` for memory.

use anyhow::{Context, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Latency percentiles and throughput of one load run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rps: f64,
}

/// The server under test, as a child process. Its log (warnings and errors) goes to a file, so
/// that a scenario that is not answered 200 can say why (a 503 in a full run once went
/// unexplained while the log went nowhere).
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    pub fn start(binary: &Path, database_url: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut cmd = Command::new(binary);
        cmd.args(["serve", "--bind", "127.0.0.1", "--port", &port.to_string()]);
        if !extra.contains(&"--frontend-dir") {
            cmd.args(["--frontend-dir", "/nonexistent"]);
        }
        let log = std::env::temp_dir().join(format!("archipel-bench-server-{port}.log"));
        let child = cmd
            .args(extra)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&log);
            })
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if curl_status(&format!("{}/readyz", server.base)) == Some(200) {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "the server did not become ready; its log ends with: {}",
            server.log_tail(5)
        )
    }

    /// What `/healthz` says (null when it does not answer JSON).
    pub fn health(&self) -> anyhow::Result<serde_json::Value> {
        let out = Command::new("curl")
            .args(["-s", &format!("{}/healthz", self.base)])
            .output()?;
        Ok(serde_json::from_slice(&out.stdout).unwrap_or_default())
    }

    /// Waits until the server has built ahead the tiles the map opens on (`/healthz`).
    pub fn wait_prebuilt(&self, limit: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self.health()?["map_tiles"]["prebuilt"] == true {
                return Ok(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("the server had not built its tiles ahead after {limit:?}")
    }

    /// The last `lines` lines of the server's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, and its peak so far (KiB).
    pub fn memory(&self) -> (u64, u64) {
        memory_of(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

pub fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub fn curl_status(url: &str) -> Option<u16> {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Polls `url` every 100 ms until it answers 200, for at most 2 min; whether it did. A peer
/// reads the database's catalogue as it starts: tipg took 15 s on the 1M database with its pages
/// in memory and more than 30 s (the previous limit) in a full run, where it was left out.
pub fn wait_until_ok(url: &str) -> bool {
    for _ in 0..1200 {
        if curl_status(url) == Some(200) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// Stops a peer that runs workers of its own (uvicorn): SIGTERM, so that it stops its workers,
/// then SIGKILL if it is still there after 10 s. A SIGKILL alone left tipg's two workers running,
/// and polling, through the rest of a full run.
pub fn stop_gracefully(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The middle value (the upper one of an even count); NaN when there is none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A peer's requests/s on `url`: the median of `repeats` `wrk` runs.
pub fn median_rps(url: &str, clients: u32, seconds: u32, repeats: u32) -> Option<f64> {
    let mut runs: Vec<f64> = (0..repeats)
        .filter_map(|_| wrk(url, clients, seconds, &[]).ok())
        .map(|l| l.rps)
        .collect();
    (!runs.is_empty()).then(|| median(&mut runs))
}

/// Body size of one response, and its status.
pub fn response_bytes(url: &str, headers: &[&str]) -> anyhow::Result<(u16, u64)> {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download}",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    Ok((
        parts.next().unwrap_or("0").parse()?,
        parts.next().unwrap_or("0").parse()?,
    ))
}

/// A second request's status and the start of its body (what a refusal says, e.g. a 503's
/// problem document).
pub fn response_body(url: &str, headers: &[&str]) -> anyhow::Result<String> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-w", " (HTTP %{http_code})"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, status) = text.split_at(text.rfind(" (HTTP ").unwrap_or(text.len()));
    let start: String = body.chars().take(300).collect();
    let cut = if start.len() < body.len() { "…" } else { "" };
    Ok(format!("{start}{cut}{status}"))
}

/// The `Link: <…>; rel="next"` of a response.
pub fn next_link(url: &str) -> anyhow::Result<Option<String>> {
    let out = Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", url])
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let rest = l
            .strip_prefix("link: ")
            .or_else(|| l.strip_prefix("Link: "))?;
        Some(rest.split('>').next()?.trim_start_matches('<').to_string())
    }))
}

fn duration_ms(text: &str) -> Option<f64> {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| text.split_at(i))?;
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        _ => return None,
    })
}

/// `wrk` against `url` with `clients` connections for `seconds`.
pub fn wrk(url: &str, clients: u32, seconds: u32, headers: &[&str]) -> anyhow::Result<Load> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "--latency",
        "-t",
        &clients.min(2).to_string(),
        "-c",
        &clients.to_string(),
        "-d",
        &format!("{seconds}s"),
        // wrk's default (2 s) would count a slow answer as a timeout and drop its latency.
        "--timeout",
        "120s",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(url)
        .output()
        .context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut load = Load::default();
    let mut in_distribution = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some("50%"), Some(v)) if in_distribution => {
                load.p50_ms = duration_ms(v).unwrap_or(0.0)
            }
            (Some("99%"), Some(v)) if in_distribution => {
                load.p99_ms = duration_ms(v).unwrap_or(0.0)
            }
            (Some("Requests/sec:"), Some(v)) => load.rps = v.parse().unwrap_or(0.0),
            _ => {}
        }
    }
    if load.rps == 0.0 {
        bail!("wrk reported nothing for {url}: {text}");
    }
    if text.contains("Non-2xx or 3xx responses") {
        bail!("non-2xx answers from {url}: {text}");
    }
    Ok(load)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// `pgbench -M prepared` running `sql` with `clients` connections for `seconds` (TCP, like the
/// server's pool).
pub fn pgbench(
    database_url: &str,
    sql: &str,
    clients: u32,
    seconds: u32,
    work: &Path,
) -> anyhow::Result<Load> {
    let dir = work.join(format!("pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("query.sql");
    std::fs::write(&script, format!("{sql};\n"))?;
    let url = url::Url::parse(database_url)?;
    let out = Command::new(pgbench_binary())
        .current_dir(&dir)
        // The same session settings as the server's pool (see store::db).
        .env("PGOPTIONS", "-c jit=off")
        .args(["-n", "-M", "prepared", "-f"])
        .arg(&script)
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
            "-T",
            &seconds.to_string(),
            "--log",
            "--log-prefix",
            "lat",
        ])
        .args([
            "-h",
            url.host_str().unwrap_or("127.0.0.1"),
            "-p",
            &url.port().unwrap_or(5432).to_string(),
            "-U",
            url.username(),
        ])
        .arg(url.path().trim_start_matches('/'))
        .output()
        .context("running pgbench")?;
    if !out.status.success() {
        bail!(
            "pgbench failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(&dir)?.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("lat") {
            continue;
        }
        let mut text = String::new();
        std::fs::File::open(entry.path())?.read_to_string(&mut text)?;
        for line in text.lines() {
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<f64>().ok())
            {
                latencies.push(us / 1000.0);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    latencies.sort_by(f64::total_cmp);
    Ok(Load {
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        rps: latencies.len() as f64 / f64::from(seconds),
    })
}

fn pgbench_binary() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pgbench"))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// Runs `psql -c sql` and returns its wall time.
pub fn psql_time(database_url: &str, sql: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", database_url, "-c", sql])
        .stdout(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(started.elapsed())
}

/// Waits until the server is quiet before a dataset's measurements: a checkpoint (so that the
/// writes of a load or of the scenarios before are not flushed during these), then until no
/// autovacuum worker runs (a freshly built million-row table is vacuumed for a minute or more,
/// on the same two cores as the server and the load tool). Gives up after five minutes, saying so.
pub fn settle(conn: &mut diesel::PgConnection) -> anyhow::Result<()> {
    const PATIENCE: Duration = Duration::from_secs(300);
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Workers {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("CHECKPOINT").execute(conn)?;
    let started = Instant::now();
    loop {
        let busy = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
        )
        .get_result::<Workers>(conn)?
        .n;
        if busy == 0 {
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            eprintln!(
                "bench: {busy} autovacuum worker(s) still running after {}s; measuring anyway",
                PATIENCE.as_secs()
            );
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
