//! `archipel source …`, `archipel import …` and `archipel demo load`: imports from the terminal,
//! with a progress bar and a summary table.

use anyhow::{Context, bail};
use archipel_importer::config::{self, SourceDecl};
use archipel_importer::run::{self, Outcome};
use archipel_importer::{FetchSettings, Fetcher, Progress, RunOptions};
use archipel_store::Pool;
use archipel_store::import_run::RunStatus;
use archipel_store::{source, territory};
use clap::Subcommand;
use diesel::PgConnection;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand, Clone)]
pub enum SourceCommand {
    /// Declare (or redeclare) a source.
    Add {
        id: String,
        #[arg(long, value_parser = source::FORMATS.to_vec())]
        format: String,
        /// http(s) URL, file:// URL or path of the feed.
        #[arg(long)]
        url: String,
        #[arg(long)]
        name: Option<String>,
        /// TOML or JSON file with the field and category mapping.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// SPDX identifier of the data's licence, e.g. ODbL-1.0.
        #[arg(long)]
        licence: Option<String>,
        /// Attribution required by the licence.
        #[arg(long)]
        attribution: Option<String>,
        /// Import every so often, e.g. 24h (see `import --due` and `serve --schedule-imports`).
        #[arg(long)]
        refresh: Option<String>,
        /// The feed does not list everything: never withdraw what is missing from it.
        #[arg(long)]
        incomplete: bool,
        /// What comes in waits for an editor.
        #[arg(long)]
        pending: bool,
    },
    /// List sources and their last run.
    List,
    /// Declare every source of a sources.toml file.
    SyncConfig {
        #[arg(default_value = "sources.toml")]
        file: PathBuf,
    },
}

/// A progress bar on the terminal (hidden when stderr is not one).
struct Bar(ProgressBar);

impl Bar {
    fn new(source: &str) -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix} {msg:10} {human_pos} records ({per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(source.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(bar)
    }
}

impl Progress for Bar {
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_string());
    }

    fn record(&self) {
        self.0.inc(1);
    }
}

pub fn fetcher(
    max_feed_mib: u64,
    stall_timeout: std::time::Duration,
) -> anyhow::Result<Arc<Fetcher>> {
    let settings = FetchSettings {
        max_bytes: max_feed_mib << 20,
        stall_timeout,
        ..FetchSettings::default()
    };
    Ok(Arc::new(Fetcher::new(settings)?))
}

pub fn source_command(conn: &mut PgConnection, command: SourceCommand) -> anyhow::Result<()> {
    match command {
        SourceCommand::Add {
            id,
            format,
            url,
            name,
            mapping,
            licence,
            attribution,
            refresh,
            incomplete,
            pending,
        } => {
            let mapping_file = mapping.map(|m| m.display().to_string());
            let (url, path) = if url.contains("://") {
                (Some(url), None)
            } else {
                (None, Some(url))
            };
            let decl = SourceDecl {
                id,
                name,
                format,
                url,
                path,
                licence,
                attribution,
                refresh,
                complete: !incomplete,
                moderation: Some(if pending { "pending" } else { "published" }.into()),
                mapping: None,
                mapping_file,
            };
            let config = decl
                .into_config(Path::new("."))
                .map_err(anyhow::Error::msg)?;
            archipel_importer::run::declare(conn, &config)?;
            eprintln!(
                "Source '{}' declared. Import it with: archipel import {}",
                config.id, config.id
            );
        }
        SourceCommand::List => {
            println!(
                "{:<28} {:<11} {:<9} {:<13} {:<20} location",
                "id", "format", "refresh", "last run", "next run"
            );
            for s in source::list(conn)? {
                let refresh = s.refresh_seconds.map_or("-".into(), |r| {
                    humantime::format_duration(Duration::from_secs(r as u64)).to_string()
                });
                let last = s.last_run_status.map_or("never", |status| status.as_str());
                let next = s.next_run_at.map_or("on demand".into(), |t| {
                    t.format("%Y-%m-%d %H:%M").to_string()
                });
                println!(
                    "{:<28} {:<11} {:<9} {:<13} {:<20} {}",
                    s.id, s.format, refresh, last, next, s.location
                );
            }
        }
        SourceCommand::SyncConfig { file } => {
            let configs = config::read_sources_file(&file).map_err(anyhow::Error::msg)?;
            for config in &configs {
                archipel_importer::run::declare(conn, config)?;
            }
            eprintln!(
                "{} source(s) declared from {}.",
                configs.len(),
                file.display()
            );
        }
    }
    Ok(())
}

fn print_table(outcomes: &[Outcome]) {
    println!(
        "\n{:<26} {:<12} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>10} {:>8}",
        "source",
        "status",
        "read",
        "created",
        "updated",
        "unchanged",
        "withdrawn",
        "restored",
        "rejected",
        "skipped",
        "conflicts",
        "duplicates",
        "time"
    );
    for o in outcomes {
        let c = &o.counts;
        let status = match (o.status, o.dry_run) {
            (RunStatus::Succeeded, true) => "dry run",
            (RunStatus::Succeeded, false) => "succeeded",
            (RunStatus::NotModified, _) => "not modified",
            (RunStatus::Failed, _) => "FAILED",
            (RunStatus::Running, _) => "running",
            (RunStatus::Abandoned, _) => "abandoned",
        };
        println!(
            "{:<26} {:<12} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>10} {:>7.1}s",
            o.source_id,
            status,
            c.fetched,
            c.created,
            c.updated,
            c.unchanged,
            c.withdrawn,
            c.restored,
            c.rejected,
            c.skipped,
            c.conflicts,
            c.duplicates,
            o.elapsed.as_secs_f64()
        );
    }
    for o in outcomes {
        if let Some(error) = &o.error {
            println!("\n{}: {error}", o.source_id);
        }
        if o.counts.to_classify > 0 {
            println!(
                "\n{}: {} stored pending, to classify (tag to-classify); values no category matched, to add to [categories]:",
                o.source_id, o.counts.to_classify
            );
            for u in o.unmapped.iter().take(20) {
                println!("  {:>6}× {}", u.count, u.value);
            }
            if o.unmapped.len() > 20 {
                println!(
                    "  … {} more{}",
                    o.unmapped.len() - 20,
                    o.run_id
                        .map(|r| format!(" in /api/v1/import-runs/{r}"))
                        .unwrap_or_default()
                );
            }
        }
        if !o.rejects.is_empty() {
            println!(
                "\n{}: first rejected records{}:",
                o.source_id,
                o.run_id
                    .map(|r| format!(" (all in /api/v1/import-runs/{r})"))
                    .unwrap_or_default()
            );
            for r in o.rejects.iter().take(10) {
                println!(
                    "  {} {}: {}",
                    r.position.as_deref().unwrap_or(""),
                    r.external_id.as_deref().unwrap_or(""),
                    r.reason
                );
            }
        }
    }
}

/// Imports one source, or every due one; fails (non-zero exit) when a run failed.
pub async fn import(
    pool: &Pool,
    fetcher: Arc<Fetcher>,
    id: Option<String>,
    due: bool,
    dry_run: bool,
    trigger: &str,
) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    match (id, due) {
        (Some(id), false) => {
            let bar = Arc::new(Bar::new(&id));
            let outcome = run::run(
                pool,
                fetcher,
                &id,
                RunOptions {
                    dry_run,
                    trigger: trigger.into(),
                },
                bar.clone(),
            )
            .await?;
            bar.0.finish_and_clear();
            outcomes.push(outcome);
        }
        (None, true) => {
            let bar = Arc::new(Bar::new("due sources"));
            for result in run::run_due(pool, fetcher, "schedule", bar.clone()).await? {
                outcomes.push(result?);
            }
            bar.0.finish_and_clear();
            if outcomes.is_empty() {
                eprintln!("No source is due.");
            }
        }
        _ => bail!("give a source id, or --due (not both)"),
    }
    print_table(&outcomes);
    Ok(outcomes)
}

/// Loads the demo data (real open data shipped in `demo/`) as imports of its sources.
/// `archipel territory import`: reads, checks and imports a file of boundaries.
pub fn territory_import(
    conn: &mut PgConnection,
    level: &str,
    year: Option<i16>,
    file: &Path,
) -> anyhow::Result<()> {
    let level = territory::Level::parse(level).context("unknown level")?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let boundaries = territory::read_boundaries(level, &bytes).map_err(|errors| {
        anyhow::anyhow!(
            "{} was not imported:\n  {}",
            file.display(),
            errors.join("\n  ")
        )
    })?;
    let report = territory::import(conn, level, year, &boundaries)?;
    eprintln!(
        "{}: {} {} territories added, {} updated; {} initiatives assigned again.",
        file.display(),
        level.as_str(),
        report.inserted,
        report.updated,
        report.assigned
    );
    Ok(())
}

/// The demo's boundaries (`DIR/territories/<level>-<year>.geojson`), imported when no territory
/// is known yet.
fn demo_territories(conn: &mut PgConnection, dir: &Path) -> anyhow::Result<()> {
    let known = territory::count(conn)?;
    let folder = dir.join("territories");
    if known > 0 || !folder.is_dir() {
        return Ok(());
    }
    // Larger levels first: communes then name their parents.
    for level in territory::Level::ALL.into_iter().rev() {
        let mut files: Vec<_> = std::fs::read_dir(&folder)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "geojson")
                    && p.file_stem()
                        .and_then(|s| s.to_str())
                        .is_some_and(|s| s.split('-').next() == Some(level.as_str()))
            })
            .collect();
        files.sort();
        for file in files {
            let year = file
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.rsplit('-').next())
                .and_then(|y| y.parse::<i16>().ok());
            territory_import(conn, level.as_str(), year, &file)?;
        }
    }
    Ok(())
}

pub async fn demo_load(
    pool: &Pool,
    fetcher: Arc<Fetcher>,
    dir: &Path,
    if_empty: bool,
) -> anyhow::Result<()> {
    let file = dir.join("sources.toml");
    let mut conn = pool.get().context("connecting to the database")?;
    demo_territories(&mut conn, dir)?;
    if if_empty {
        let count = archipel_store::initiative::count(&mut conn)?;
        if count > 0 {
            eprintln!("The directory already holds {count} initiatives: demo data not loaded.");
            return Ok(());
        }
    }
    let configs = config::read_sources_file(&file).map_err(anyhow::Error::msg)?;
    for config in &configs {
        archipel_importer::run::declare(&mut conn, config)?;
    }
    drop(conn);
    let mut outcomes = Vec::new();
    for config in &configs {
        let bar = Arc::new(Bar::new(&config.id));
        let options = RunOptions {
            dry_run: false,
            trigger: "demo".into(),
        };
        outcomes.push(run::run(pool, fetcher.clone(), &config.id, options, bar.clone()).await?);
        bar.0.finish_and_clear();
    }
    print_table(&outcomes);
    if outcomes.iter().any(|o| o.status == RunStatus::Failed) {
        bail!("a demo import failed");
    }
    Ok(())
}
