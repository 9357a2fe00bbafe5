//! Edit → map: how long after an editor's change the map's tiles show it, how much of the tile
//! cache the change costs, and how long the category counts take after it.
//!
//! On a server as configured by default (tile cache on, the opening tiles built ahead), one
//! published initiative's tiles are requested at a few zooms, so that they are kept. An editor's
//! token then hides it from the map (`PATCH {"moderation": "pending"}`) and publishes it again:
//! each change alters the count of its cluster, or its point, at every zoom, so the tile a
//! visitor asks for next must differ from the one before. For each zoom, the time it takes the map to show the change is the PATCH's answer
//! (which comes once the server has forgotten the tiles the change touches) plus that tile's
//! first request after it. The server's count of kept tiles (`/healthz`), read just before and
//! just after each PATCH, says how many tiles the change cost; the category counts are requested
//! right after each change and 20 times more.

use crate::measure::Server;
use crate::scenarios::tile_of;
use anyhow::{Context, bail};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use std::process::Command;

/// The zooms whose tiles are checked (clusters below 15, points from 15).
pub const ZOOMS: [u32; 5] = [2, 5, 10, 14, 16];

/// One change and what followed it.
#[derive(Debug, Clone)]
pub struct Change {
    pub what: &'static str,
    pub patch_ms: f64,
    /// (zoom, the tile's first request after the PATCH, ms)
    pub tiles_ms: Vec<(u32, f64)>,
    pub kept_before: u64,
    pub kept_after: u64,
    /// The category counts' first request after the change, then the median and the slowest of
    /// 20 more (ms).
    pub counts_first_ms: f64,
    pub counts_median_ms: f64,
    pub counts_max_ms: f64,
}

impl Change {
    /// The slowest zoom: PATCH plus its tile (ms).
    pub fn slowest(&self) -> (u32, f64) {
        self.tiles_ms
            .iter()
            .map(|&(z, ms)| (z, self.patch_ms + ms))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::NAN))
    }

    pub fn forgotten(&self) -> u64 {
        self.kept_before.saturating_sub(self.kept_after)
    }
}

#[derive(Debug, Clone)]
pub struct EditRun {
    pub dataset: u64,
    pub changes: Vec<Change>,
}

#[derive(QueryableByName)]
struct Chosen {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    lon: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    lat: f64,
}

/// A request through curl: (status, time in ms, body).
fn request(args: &[&str], url: &str) -> anyhow::Result<(u16, f64, Vec<u8>)> {
    let body = tempfile_path();
    let out = Command::new("curl")
        .args(["-s", "-o", &body, "-w", "%{http_code} %{time_total}"])
        .args(args)
        .arg(url)
        .output()
        .context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let status: u16 = parts.next().unwrap_or("0").parse()?;
    let seconds: f64 = parts.next().unwrap_or("0").parse()?;
    let bytes = std::fs::read(&body).unwrap_or_default();
    let _ = std::fs::remove_file(&body);
    Ok((status, seconds * 1000.0, bytes))
}

fn tempfile_path() -> String {
    std::env::temp_dir()
        .join(format!("archipel-bench-edit-{}", uuid::Uuid::new_v4()))
        .to_string_lossy()
        .into_owned()
}

fn kept(server: &Server) -> anyhow::Result<u64> {
    server.health()?["map_tiles"]["cached"]
        .as_u64()
        .context("/healthz says no map_tiles.cached")
}

/// Hides one published initiative from the map and publishes it again, through `server` (which
/// keeps its tiles), measuring each change.
pub fn edit_to_map(
    server: &Server,
    conn: &mut PgConnection,
    dataset: u64,
) -> anyhow::Result<EditRun> {
    // The published initiative in the middle of the slug order: the same one in every run.
    let chosen: Chosen = diesel::sql_query(
        "SELECT id::text AS id, ST_X(p) AS lon, ST_Y(p) AS lat FROM (
             SELECT id, ST_Transform(point_3857, 4326) AS p FROM map_points ORDER BY slug
             OFFSET (SELECT count(*) / 2 FROM map_points) LIMIT 1) AS m",
    )
    .get_result(conn)
    .context("choosing a published initiative")?;
    let token_name = format!("bench-edit-{}", uuid::Uuid::new_v4());
    let token =
        archipel_store::token::create(conn, &token_name, archipel_store::token::Role::Editor)
            .map_err(|e| anyhow::anyhow!("creating the editor's token: {e:?}"))?;
    let result = changes(server, &chosen, &token);
    let _ = archipel_store::token::revoke(conn, &token_name);
    Ok(EditRun {
        dataset,
        changes: result?,
    })
}

fn changes(server: &Server, chosen: &Chosen, token: &str) -> anyhow::Result<Vec<Change>> {
    let tiles: Vec<(u32, String)> = ZOOMS
        .iter()
        .map(|&z| {
            let (x, y) = tile_of(chosen.lat, chosen.lon, z);
            (z, format!("{}/api/v1/tiles/{z}/{x}/{y}.mvt", server.base))
        })
        .collect();
    let mut shown = Vec::new();
    for (z, url) in &tiles {
        let (status, _, body) = request(&[], url)?;
        if status != 200 {
            bail!("the z{z} tile of the chosen initiative answered {status}");
        }
        shown.push(body);
    }
    let authorization = format!("Authorization: Bearer {token}");
    let initiative = format!("{}/api/v1/initiatives/{}", server.base, chosen.id);
    let categories = format!("{}/api/v1/categories", server.base);
    let mut changes = Vec::new();
    for (what, moderation) in [("hidden", "pending"), ("shown again", "published")] {
        let kept_before = kept(server)?;
        let body = format!("{{\"moderation\": \"{moderation}\"}}");
        let (status, patch_ms, answer) = request(
            &[
                "-X",
                "PATCH",
                "-H",
                &authorization,
                "-H",
                "Content-Type: application/json",
                "-d",
                &body,
            ],
            &initiative,
        )?;
        if status != 200 {
            bail!(
                "PATCH {initiative} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        let kept_after = kept(server)?;
        let (_, counts_first_ms, _) = request(&[], &categories)?;
        let mut tiles_ms = Vec::new();
        for ((z, url), before) in tiles.iter().zip(shown.iter_mut()) {
            let (status, ms, now) = request(&[], url)?;
            // Hidden, its cluster counts one less (or its point is gone, or the tile is empty);
            // shown again, it counts one more: either way the tile is not the one before.
            if !(status == 200 || status == 204) || now == *before {
                bail!(
                    "after the initiative was {what}, its z{z} tile did not show it (status {status})"
                );
            }
            *before = now;
            tiles_ms.push((*z, ms));
        }
        let mut counts: Vec<f64> = (0..20)
            .map(|_| request(&[], &categories).map(|(_, ms, _)| ms))
            .collect::<anyhow::Result<_>>()?;
        changes.push(Change {
            what,
            patch_ms,
            tiles_ms,
            kept_before,
            kept_after,
            counts_first_ms,
            counts_median_ms: crate::measure::median(&mut counts),
            counts_max_ms: counts.iter().copied().fold(counts_first_ms, f64::max),
        });
    }
    Ok(changes)
}

/// The targets of #13's "edit → map within a second", judged on the largest dataset measured.
pub fn targets(runs: &[EditRun]) -> Vec<(String, String, String, Option<bool>)> {
    let Some(run) = runs.iter().max_by_key(|r| r.dataset) else {
        return Vec::new();
    };
    let n = run.dataset;
    let visible: Vec<String> = run
        .changes
        .iter()
        .map(|c| {
            let (z, ms) = c.slowest();
            format!(
                "{}: {ms:.0} ms at z{z} (PATCH {:.0} ms)",
                c.what, c.patch_ms
            )
        })
        .collect();
    let slowest = run
        .changes
        .iter()
        .map(|c| c.slowest().1)
        .fold(0.0, f64::max);
    // The tiles that hold the changed point, with the eighth-of-a-tile margin, at each zoom
    // (0 to 22): at most four a zoom.
    let bound = 4 * 23;
    let forgotten: Vec<String> = run
        .changes
        .iter()
        .map(|c| format!("{} of {}", c.forgotten(), c.kept_before))
        .collect();
    let counts_max = run
        .changes
        .iter()
        .map(|c| c.counts_max_ms)
        .fold(0.0, f64::max);
    let counts_first: Vec<String> = run
        .changes
        .iter()
        .map(|c| format!("{:.1}", c.counts_first_ms))
        .collect();
    vec![
        (
            format!("edit → map at {n}: tiles z2–z16 show it"),
            "< 1 s after the edit".into(),
            visible.join("; "),
            Some(slowest < 1000.0),
        ),
        (
            format!("edit → map at {n}: other tiles kept"),
            format!("only the changed places' tiles forgotten (≤ {bound})"),
            format!("{} forgotten", forgotten.join(", ")),
            Some(run.changes.iter().all(|c| c.forgotten() <= bound)),
        ),
        (
            format!("category counts after an edit, {n}"),
            "≤ 10 ms".into(),
            format!(
                "{counts_max:.1} ms slowest (first after each edit: {} ms)",
                counts_first.join(", ")
            ),
            Some(counts_max <= 10.0),
        ),
    ]
}

/// The per-zoom figures, as a Markdown table.
pub fn table(runs: &[EditRun]) -> String {
    let mut out = String::from(
        "| dataset | change | PATCH ms | kept tiles before → after | \
         z2 ms | z5 ms | z10 ms | z14 ms | z16 ms | counts first / median / max ms |\n\
         |---:|---|---:|---|---:|---:|---:|---:|---:|---|\n",
    );
    for run in runs {
        for c in &run.changes {
            let zooms: Vec<String> = ZOOMS
                .iter()
                .map(|z| {
                    c.tiles_ms
                        .iter()
                        .find(|t| t.0 == *z)
                        .map_or("-".into(), |t| format!("{:.1}", t.1))
                })
                .collect();
            out.push_str(&format!(
                "| {} | {} | {:.1} | {} → {} | {} | {:.1} / {:.1} / {:.1} |\n",
                run.dataset,
                c.what,
                c.patch_ms,
                c.kept_before,
                c.kept_after,
                zooms.join(" | "),
                c.counts_first_ms,
                c.counts_median_ms,
                c.counts_max_ms
            ));
        }
    }
    out
}
