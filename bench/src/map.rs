//! The map in a real browser: time from navigation to the first drawn initiatives, and the size
//! of what the browser downloads (`frontend/e2e/first-render.mjs`, Debian's Chromium).

use crate::measure::Server;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;

const FRONTEND: &str = "frontend";

/// One series of page loads.
#[derive(Debug, Clone)]
pub struct MapRun {
    pub dataset: u64,
    /// Whether the server ran as configured by default: tile cache on and the tiles the map opens
    /// on built ahead (the loads began once they were); otherwise every tile is built when asked.
    pub cached: bool,
    /// How long the server took to build its tiles ahead, after it started (ms).
    pub prebuild_ms: Option<f64>,
    pub runs_ms: Vec<f64>,
    /// gzip size of the JS and CSS the map page loaded.
    pub bundle_gzip_bytes: u64,
    /// gzip size of every page's JS and CSS (the workspace's and the territory dashboards' too).
    pub all_pages_gzip_bytes: u64,
}

impl MapRun {
    pub fn median_ms(&self) -> f64 {
        crate::measure::median(&mut self.runs_ms.clone())
    }
}

/// Loads the map `runs` times from a server over `database_url`, with the tile cache off
/// (`cached == false`: every visitor is the first) or as configured by default (tiles built
/// ahead and kept).
pub fn first_render(
    server: &Path,
    database_url: &str,
    dataset: u64,
    cached: bool,
    runs: u32,
) -> anyhow::Result<MapRun> {
    let dist = Path::new(FRONTEND).join("dist");
    if !dist.join("index.html").exists() {
        bail!("frontend/dist is missing (make frontend)");
    }
    let dist = dist.to_string_lossy().into_owned();
    let mut extra = vec![
        "--frontend-dir",
        dist.as_str(),
        "--default-view",
        "46.6,2.4,5",
    ];
    if !cached {
        extra.extend(["--tile-cache-mb", "0"]);
    }
    let process = Server::start(server, database_url, &extra)?;
    let prebuild_ms = if cached {
        let took = process.wait_prebuilt(std::time::Duration::from_secs(900))?;
        Some(took.as_secs_f64() * 1000.0)
    } else {
        None
    };
    let out = Command::new("node")
        .current_dir(FRONTEND)
        .args(["e2e/first-render.mjs", &process.base, &runs.to_string()])
        .output()
        .context("running node e2e/first-render.mjs")?;
    if !out.status.success() {
        bail!(
            "first-render.mjs failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("no result from first-render.mjs: {text}"))?;
    let value: serde_json::Value = serde_json::from_str(line)?;
    Ok(MapRun {
        dataset,
        cached,
        prebuild_ms,
        runs_ms: value["runs_ms"]
            .as_array()
            .context("runs_ms")?
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect(),
        bundle_gzip_bytes: value["bundle_gzip_bytes"]
            .as_u64()
            .context("bundle_gzip_bytes")?,
        all_pages_gzip_bytes: value["all_pages_gzip_bytes"]
            .as_u64()
            .context("all_pages_gzip_bytes")?,
    })
}
