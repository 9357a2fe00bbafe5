//! `archipel`: serve the API and the map, migrate, manage tokens and sources, import feeds,
//! drive the local database.

mod import_cli;

use anyhow::{Context, bail};
use archipel_api::{AppState, Settings};
use archipel_store::cluster::{APP_DATABASE, ClusterState, LocalCluster};
use archipel_store::token::{self, Role};
use archipel_store::user::{self, LinkPurpose, NewUser};
use archipel_store::{db, migrate};
use clap::{Args, Parser, Subcommand};
use diesel::{Connection, PgConnection};
use std::net::TcpListener;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "archipel",
    version,
    about = "Directory and map of a territory's collaborative initiatives"
)]
struct Cli {
    /// PostgreSQL + PostGIS server to use. Without it, a private cluster in --data-dir is used
    /// (created and started on demand).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Directory of the private cluster.
    #[arg(
        long,
        env = "ARCHIPEL_DATA_DIR",
        default_value = ".archipel",
        global = true
    )]
    data_dir: PathBuf,
    /// Port of the private cluster (on 127.0.0.1).
    #[arg(long, env = "ARCHIPEL_DB_PORT", default_value_t = 55432, global = true)]
    db_port: u16,
    /// SMTP server that e-mails invitation and reset links (`smtp://user:pass@host:587`,
    /// `smtps://…:465`); without it the links are printed.
    #[arg(long, env = "ARCHIPEL_SMTP_URL", global = true, hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender of those e-mails, e.g. `Archipel <archipel@mairie.example>`.
    #[arg(long, env = "ARCHIPEL_SMTP_FROM", global = true)]
    smtp_from: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and the map when built).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the accounts of people (invitation and reset links are printed, and e-mailed when
    /// ARCHIPEL_SMTP_URL and ARCHIPEL_SMTP_FROM are set).
    #[command(subcommand)]
    User(UserCommand),
    /// Drive the private PostgreSQL cluster.
    #[command(subcommand)]
    Db(DbCommand),
    /// Declare and list open-data sources.
    #[command(subcommand)]
    Source(import_cli::SourceCommand),
    /// Import a source now (or every due one).
    Import {
        /// The source to import.
        id: Option<String>,
        /// Import every source whose refresh interval has passed.
        #[arg(long)]
        due: bool,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Largest feed accepted, in MiB.
        #[arg(long, env = "ARCHIPEL_MAX_FEED_MIB", default_value_t = 200)]
        max_feed_size: u64,
        /// A feed that sends nothing for this long in the middle of its body fails the run.
        #[arg(long, env = "ARCHIPEL_FEED_STALL_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
        feed_stall_timeout: std::time::Duration,
    },
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Territories: the boundaries of communes, EPCI, départements and régions.
    #[command(subcommand)]
    Territory(TerritoryCommand),
    /// Personal data of visitors (suggesters' and reporters' e-mails, rate-limit records).
    #[command(subcommand)]
    Privacy(PrivacyCommand),
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Erase the e-mails of suggestions and reports closed more than this long ago (what they
    /// said stays), and the forms' rate-limit records.
    Purge {
        /// e.g. 12months, 90days, 6weeks.
        #[arg(long, value_parser = humantime::parse_duration)]
        older_than: std::time::Duration,
    },
}

#[derive(Subcommand)]
enum TerritoryCommand {
    /// Import (or update) boundaries from a GeoJSON FeatureCollection shaped like Etalab's
    /// "contours administratifs": properties `code` and `nom`, optionally `population`, `epci`,
    /// `departement`, `region`. Then every initiative is assigned to its territories.
    Import {
        #[arg(long, value_parser = ["commune", "epci", "departement", "region"])]
        level: String,
        /// Millésime of the file (year of the reference).
        #[arg(long)]
        year: Option<i16>,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Import the real open-data samples of demo/ (OpenStreetMap, Toulouse, GoGoCarto…).
    Load {
        /// Do nothing when the directory already holds initiatives.
        #[arg(long)]
        if_empty: bool,
        #[arg(long, default_value = "demo")]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (0.0.0.0 in containers).
    #[arg(long, env = "ARCHIPEL_BIND", default_value = "127.0.0.1")]
    bind: String,
    #[arg(long, env = "ARCHIPEL_PORT", default_value_t = 8080)]
    port: u16,
    /// Public base URL used in links (e.g. https://carte.example.fr); default: the request's host.
    #[arg(long, env = "ARCHIPEL_PUBLIC_URL")]
    public_url: Option<String>,
    /// The built front end to serve at /.
    #[arg(long, env = "ARCHIPEL_FRONTEND_DIR", default_value = "frontend/dist")]
    frontend_dir: PathBuf,
    /// Largest number of database connections.
    #[arg(long, env = "ARCHIPEL_DB_POOL_SIZE", default_value_t = 10)]
    pool_size: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ARCHIPEL_WORKERS")]
    workers: Option<usize>,
    /// Take client addresses from Forwarded / X-Forwarded-For (only behind a trusted reverse proxy).
    #[arg(long, env = "ARCHIPEL_TRUST_FORWARDED")]
    trust_forwarded: bool,
    /// Make the individual assessments of initiatives public (by default only editors read
    /// them; the means per territory are public either way).
    #[arg(long, env = "ARCHIPEL_ASSESSMENTS_PUBLIC")]
    assessments_public: bool,
    /// MapLibre style URL for the basemap (default: OpenStreetMap raster tiles).
    #[arg(long, env = "ARCHIPEL_BASEMAP_STYLE")]
    basemap_style: Option<String>,
    /// Where the map opens: lat,lon,zoom.
    #[arg(long, env = "ARCHIPEL_DEFAULT_VIEW", default_value = "46.6,2.4,5")]
    default_view: String,
    /// Import due sources in the background (every minute, see `source add --refresh`).
    #[arg(long, env = "ARCHIPEL_SCHEDULE_IMPORTS")]
    schedule_imports: bool,
    /// A streaming replica of the database for public reads, tiles and exports; writes,
    /// editors' work and imports stay on the primary, and a write answers once the replica shows
    /// it.
    #[arg(long, env = "ARCHIPEL_DATABASE_READ_URL", hide_env_values = true)]
    read_database_url: Option<String>,
    /// The longest a write waits for the replica to show it before answering (then it answers
    /// anyway, and a warning is logged).
    #[arg(long, env = "ARCHIPEL_REPLICA_WAIT", default_value = "2s", value_parser = humantime::parse_duration)]
    replica_wait: std::time::Duration,
    /// Memory for built map tiles, in MiB (0: build every tile afresh). Emptied whenever the
    /// map's data changes.
    #[arg(long, env = "ARCHIPEL_TILE_CACHE_MB", default_value_t = 64)]
    tile_cache_mb: usize,
    /// Build ahead, after start and after every change, the tiles from zoom 0 to this one that
    /// hold initiatives (the default view's zoom first) and the category counts, so that no
    /// visitor waits for them; `off` to build tiles only when asked. About one pass over the
    /// initiatives per zoom (a few seconds at 1M).
    #[arg(long, env = "ARCHIPEL_TILE_PREBUILD_ZOOM", default_value = "7", value_parser = parse_prebuild_zoom)]
    tile_prebuild_zoom: PrebuildZoom,
    /// Apply pending migrations before serving.
    #[arg(long, env = "ARCHIPEL_MIGRATE")]
    migrate: bool,
    /// The longest a public read may run in the database before it is answered 503 (e.g. 5s;
    /// `off` for no limit).
    #[arg(long, env = "ARCHIPEL_READ_TIMEOUT", default_value = "5s", value_parser = parse_optional_duration)]
    read_timeout: OptionalDuration,
    /// The longest a write waits for a row held by an import or another editor before it is
    /// answered 503 (`off` to wait as long as it takes).
    #[arg(long, env = "ARCHIPEL_LOCK_TIMEOUT", default_value = "3s", value_parser = parse_optional_duration)]
    lock_timeout: OptionalDuration,
    /// Streamed exports at once, in all.
    #[arg(long, env = "ARCHIPEL_EXPORT_MAX", default_value_t = 4)]
    export_max: usize,
    /// Streamed exports at once from one client (IPv4 address or IPv6 /64).
    #[arg(long, env = "ARCHIPEL_EXPORT_MAX_PER_CLIENT", default_value_t = 2)]
    export_max_per_client: usize,
    /// An export whose client reads nothing for this long is dropped.
    #[arg(long, env = "ARCHIPEL_EXPORT_STALL_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    export_stall_timeout: std::time::Duration,
    /// Suggestions and reports accepted from one client per 10 minutes.
    #[arg(long, env = "ARCHIPEL_FORM_LIMIT", default_value_t = 10)]
    form_limit: usize,
    /// Suggestions and reports accepted from everyone per hour.
    #[arg(long, env = "ARCHIPEL_FORM_LIMIT_PER_HOUR", default_value_t = 300)]
    form_limit_per_hour: usize,
    /// Erase, every hour, the e-mails of suggestions and reports closed more than this long
    /// ago (`off`: only `archipel privacy purge` does).
    #[arg(long, env = "ARCHIPEL_PRIVACY_RETENTION", default_value = "12months", value_parser = parse_optional_duration)]
    privacy_retention: OptionalDuration,
    /// A feed that sends nothing for this long in the middle of its body fails the import.
    #[arg(long, env = "ARCHIPEL_FEED_STALL_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    feed_stall_timeout: std::time::Duration,
    /// Who publishes the data, as the DCAT catalogue (/catalog) names it (e.g. "Ville de Brest").
    #[arg(long, env = "ARCHIPEL_PUBLISHER_NAME", default_value = "Archipel")]
    publisher_name: String,
    /// The publisher's web site, for the catalogue.
    #[arg(long, env = "ARCHIPEL_PUBLISHER_URL")]
    publisher_url: Option<String>,
    /// Licence of the directory's own entries (SPDX identifier: etalab-2.0 for the Licence
    /// Ouverte, ODbL-1.0…); imported entries keep their source's.
    #[arg(long, env = "ARCHIPEL_DEFAULT_LICENCE", default_value = "etalab-2.0")]
    default_licence: String,
}

/// A duration, or `off`.
#[derive(Debug, Clone, Copy)]
struct OptionalDuration(Option<std::time::Duration>);

fn parse_optional_duration(raw: &str) -> Result<OptionalDuration, String> {
    if raw.eq_ignore_ascii_case("off") {
        return Ok(OptionalDuration(None));
    }
    humantime::parse_duration(raw)
        .map(|d| OptionalDuration(Some(d)))
        .map_err(|e| format!("expected a duration such as 5s, 10min, 12months, or off: {e}"))
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (it is shown only once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["moderator", "editor", "admin"])]
        role: String,
    },
    /// List tokens (never their secret).
    List,
    /// Revoke the active token with this name.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints a one-time invitation link (valid 7 days) where the person sets
    /// their password, unless --password-stdin gives it.
    Create {
        #[arg(long)]
        email: String,
        /// The display name, recorded as the author of the person's changes.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["moderator", "editor", "admin"])]
        role: String,
        /// INSEE commune or EPCI codes the person works on (comma-separated); none: everywhere.
        #[arg(long, value_delimiter = ',')]
        territory: Vec<String>,
        /// Read the password from the first line of standard input instead of printing a link.
        #[arg(long)]
        password_stdin: bool,
        /// Base URL of the printed link.
        #[arg(long, env = "ARCHIPEL_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
    /// List accounts.
    List,
    /// Disable an account: its sessions end at once and it can no longer log in.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (valid 1 day) where the person sets a new password.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Base URL of the printed link.
        #[arg(long, env = "ARCHIPEL_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
}

/// Base of the links the CLI prints when ARCHIPEL_PUBLIC_URL is unset: `archipel serve`'s default.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

#[derive(Subcommand)]
enum DbCommand {
    /// Create (if needed) and start the private cluster.
    Start,
    /// Stop the private cluster.
    Stop,
    /// Say whether the private cluster exists and runs.
    Status,
    /// Print the connection URL of the database in use.
    Url,
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("RUST_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

impl Cli {
    fn cluster(&self) -> LocalCluster {
        LocalCluster::new(&self.data_dir, self.db_port)
    }

    /// The SMTP settings, when both are given (and usable).
    fn smtp(&self) -> anyhow::Result<Option<archipel_api::mail::SmtpSettings>> {
        match (&self.smtp_url, &self.smtp_from) {
            (None, None) => Ok(None),
            (Some(url), Some(from)) => {
                let settings = archipel_api::mail::SmtpSettings {
                    url: url.clone(),
                    from: from.clone(),
                };
                archipel_api::mail::Mailer::new(&settings).map_err(anyhow::Error::msg)?;
                Ok(Some(settings))
            }
            _ => {
                bail!("ARCHIPEL_SMTP_URL and ARCHIPEL_SMTP_FROM go together: set both, or neither")
            }
        }
    }

    /// E-mails a link when SMTP is configured; says what happened on stderr.
    fn mail_link(
        &self,
        email: &str,
        name: &str,
        purpose: LinkPurpose,
        url: &str,
    ) -> anyhow::Result<()> {
        if let Some(settings) = self.smtp()? {
            let mailer = archipel_api::mail::Mailer::new(&settings).map_err(anyhow::Error::msg)?;
            match mailer.send_link(email, name, purpose, url) {
                Ok(()) => eprintln!("E-mailed it to {email}."),
                Err(e) => eprintln!("Could not e-mail it ({e}); hand it over yourself."),
            }
        }
        Ok(())
    }

    /// `DATABASE_URL`, or the private cluster, started if needed.
    fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        let cluster = self.cluster();
        cluster
            .ensure_running()
            .context("starting the private PostgreSQL cluster (or set DATABASE_URL)")?;
        Ok(cluster.url(APP_DATABASE))
    }

    fn connect(&self) -> anyhow::Result<PgConnection> {
        let url = self.database_url()?;
        PgConnection::establish(&url).with_context(|| format!("connecting to {}", redact(&url)))
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// `--tile-prebuild-zoom`: a zoom, or none.
#[derive(Debug, Clone, Copy)]
struct PrebuildZoom(Option<u32>);

fn parse_prebuild_zoom(raw: &str) -> Result<PrebuildZoom, String> {
    if raw.eq_ignore_ascii_case("off") {
        return Ok(PrebuildZoom(None));
    }
    match raw.parse::<u32>() {
        Ok(z) if z <= 12 => Ok(PrebuildZoom(Some(z))),
        _ => Err(format!("expected a zoom from 0 to 12, or off; got '{raw}'")),
    }
}

fn parse_view(raw: &str) -> anyhow::Result<(f64, f64, f64)> {
    let parts: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--default-view must be lat,lon,zoom; got '{raw}'"))?;
    match parts[..] {
        [lat, lon, zoom]
            if (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon)
                && (0.0..=22.0).contains(&zoom) =>
        {
            Ok((lat, lon, zoom))
        }
        _ => bail!("--default-view must be lat,lon,zoom with valid ranges; got '{raw}'"),
    }
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let url = cli.database_url()?;
    {
        let mut conn = PgConnection::establish(&url)
            .with_context(|| format!("connecting to {}", redact(&url)))?;
        if args.migrate {
            for name in migrate::run_pending(&mut conn)? {
                tracing::info!(migration = name, "applied");
            }
        } else if !migrate::is_current(&mut conn)? {
            tracing::warn!(
                "migrations are pending: run `archipel migrate` (or serve --migrate); /readyz says not ready"
            );
        }
        if let Ok(0) = user::count(&mut conn) {
            tracing::info!(
                "no account yet: create the first administrator with `archipel user create --email you@example.org --name 'Your Name' --role admin` (it prints an invitation link)"
            );
        }
    }
    let frontend_dir = args
        .frontend_dir
        .join("index.html")
        .exists()
        .then(|| args.frontend_dir.clone());
    if frontend_dir.is_none() {
        tracing::warn!(dir = %args.frontend_dir.display(), "no built front end there; serving the API only (build it with `make frontend`)");
    }
    let settings = Settings {
        public_url: args.public_url.clone(),
        frontend_dir,
        trust_forwarded: args.trust_forwarded,
        assessments_public: args.assessments_public,
        basemap_style: args.basemap_style.clone(),
        default_view: parse_view(&args.default_view)?,
        tile_cache_bytes: args.tile_cache_mb << 20,
        pool_size: args.pool_size,
        read_statement_timeout: args.read_timeout.0,
        lock_timeout: args.lock_timeout.0,
        export_max: args.export_max,
        export_max_per_client: args.export_max_per_client,
        export_stall_timeout: args.export_stall_timeout,
        form_limit: args.form_limit,
        form_limit_per_hour: args.form_limit_per_hour,
        publisher_name: args.publisher_name.clone(),
        publisher_url: args.publisher_url.clone(),
        default_licence: args.default_licence.clone(),
        read_database_url: args.read_database_url.clone(),
        replica_wait: args.replica_wait,
        smtp: cli.smtp()?,
        fetch: archipel_importer::FetchSettings {
            stall_timeout: args.feed_stall_timeout,
            ..archipel_importer::FetchSettings::default()
        },
        ..Settings::default()
    };
    let listener = TcpListener::bind((args.bind.as_str(), args.port))
        .with_context(|| format!("listening on {}:{}", args.bind, args.port))?;
    let address = listener.local_addr()?;
    tracing::info!("Archipel listening on http://{address} (API docs at /api/docs)");
    let state = AppState::new(&url, settings);
    let pool = state.pool.clone();
    let _tile_listener = state.tiles.listen(
        url.clone(),
        state
            .settings
            .read_database_url
            .clone()
            .map(|replica| (replica, state.settings.replica_wait)),
    );
    let _tile_warmer = match args.tile_prebuild_zoom.0 {
        Some(max_zoom) if args.tile_cache_mb > 0 => Some(archipel_api::tile_warm::spawn(
            state.tiles.clone(),
            pool.clone(),
            archipel_api::tile_warm::WarmPlan {
                max_zoom,
                first_zoom: state.settings.default_view.2.floor() as u32,
            },
        )),
        _ => None,
    };
    {
        // The kept category counts and map cells gain a few rows per change; fold them every
        // ten minutes (the cells' extents become exact again where initiatives left the map).
        let pool = pool.clone();
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(600)).await;
                let pool = pool.clone();
                let folded = actix_web::web::block(move || {
                    let mut conn = pool.get().map_err(archipel_store::StoreError::from)?;
                    archipel_store::category::compact_counts(&mut conn)?;
                    archipel_store::tiles::compact_cells(&mut conn)
                })
                .await;
                if let Ok(Err(e)) = folded {
                    tracing::warn!(error = %e, "category counts or map cells could not be compacted");
                }
            }
        });
    }
    if let Some(retention) = args.privacy_retention.0 {
        let pool = pool.clone();
        actix_web::rt::spawn(async move {
            loop {
                let pool = pool.clone();
                let purged = actix_web::web::block(move || {
                    let mut conn = pool.get().map_err(archipel_store::StoreError::from)?;
                    archipel_store::suggestion::purge(&mut conn, retention)
                })
                .await;
                match purged {
                    Ok(Ok(p)) if p != archipel_store::suggestion::Purged::default() => {
                        tracing::info!(?p, "personal data past its retention erased");
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "personal data could not be purged"),
                    Err(e) => tracing::warn!(error = %e, "personal data could not be purged"),
                }
                actix_web::rt::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        });
    }
    if args.schedule_imports {
        let fetcher = state.fetcher.clone();
        actix_web::rt::spawn(async move {
            loop {
                match archipel_importer::run::run_due(
                    &pool,
                    fetcher.clone(),
                    "schedule",
                    std::sync::Arc::new(archipel_importer::Silent),
                )
                .await
                {
                    Ok(outcomes) => {
                        for outcome in outcomes.into_iter().flatten() {
                            tracing::info!(source.id = %outcome.source_id, "{}", archipel_importer::run::summary(&outcome).en);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "scheduled imports could not run"),
                }
                actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        });
    }
    archipel_api::build(listener, state, args.workers)?.await?;
    Ok(())
}

fn token_command(cli: &Cli, command: &TokenCommand) -> anyhow::Result<()> {
    let mut conn = cli.connect()?;
    match command {
        TokenCommand::Create { name, role } => {
            let role = Role::parse(role).context("role must be moderator, editor or admin")?;
            let secret =
                token::create(&mut conn, name, role).map_err(|e| anyhow::anyhow!(describe(e)))?;
            eprintln!(
                "Created {} token '{name}'. Keep it now: it cannot be shown again.",
                role.as_str()
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            println!(
                "{:<24} {:<7} {:<26} {:<26} revoked",
                "name", "role", "created", "last used"
            );
            for t in token::list(&mut conn)? {
                let when = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or("-".into(), |d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                };
                println!(
                    "{:<24} {:<7} {:<26} {:<26} {}",
                    t.name,
                    t.role,
                    t.created_at.format("%Y-%m-%d %H:%M:%S"),
                    when(t.last_used_at),
                    when(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            if !token::revoke(&mut conn, name)? {
                bail!("there is no active token named '{name}'");
            }
            eprintln!("Revoked '{name}'.");
        }
    }
    Ok(())
}

/// The link of a one-time token: `<base>/workspace/invitation?token=…` or `…/workspace/reset?…`.
fn link(base: &str, purpose: LinkPurpose, token: &str) -> String {
    format!(
        "{}{}?token={token}",
        base.trim_end_matches('/'),
        purpose.page()
    )
}

fn user_command(cli: &Cli, command: &UserCommand) -> anyhow::Result<()> {
    let mut conn = cli.connect()?;
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            territory,
            password_stdin,
            public_url,
        } => {
            let role = Role::parse(role).context("role must be moderator, editor or admin")?;
            let new = NewUser::parse(email, name, role, territory).map_err(|errors| {
                anyhow::anyhow!(describe(archipel_store::StoreError::Invalid(errors)))
            })?;
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let (created, invitation) = user::create(&mut conn, &new, password.as_deref())
                .map_err(|e| anyhow::anyhow!(describe(e)))?;
            eprintln!(
                "Created {} account for {} <{}>.",
                role.as_str(),
                created.name,
                created.email
            );
            if let Some(token) = invitation {
                let url = link(public_url, LinkPurpose::Invitation, &token);
                eprintln!("Send them this link (valid 7 days, once) to set their password:");
                println!("{url}");
                cli.mail_link(&created.email, &created.name, LinkPurpose::Invitation, &url)?;
            }
        }
        UserCommand::List => {
            println!(
                "{:<32} {:<24} {:<9} {:<8} {:<20} {:<20} territories",
                "e-mail", "name", "role", "active", "created", "last login"
            );
            for u in user::list(&mut conn)? {
                let when = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or("-".into(), |d| d.format("%Y-%m-%d %H:%M").to_string())
                };
                println!(
                    "{:<32} {:<24} {:<9} {:<8} {:<20} {:<20} {}",
                    u.email,
                    u.name,
                    u.role_text,
                    if u.active { "yes" } else { "disabled" },
                    when(Some(u.created_at)),
                    when(u.last_login_at),
                    u.territories.join(",")
                );
            }
        }
        UserCommand::Disable { email } => {
            if !user::disable(&mut conn, email)? {
                bail!("no account has the e-mail '{email}'");
            }
            eprintln!("Disabled {email}: their sessions have ended.");
        }
        UserCommand::ResetPassword { email, public_url } => {
            let Some(token) = user::reset_password(&mut conn, email)? else {
                bail!("no active account has the e-mail '{email}'");
            };
            let url = link(public_url, LinkPurpose::Reset, &token);
            eprintln!("Send them this link (valid 1 day, once) to set a new password:");
            println!("{url}");
            let name = user::list(&mut conn)?
                .into_iter()
                .find(|u| u.email == *email)
                .map_or_else(|| email.clone(), |u| u.name);
            cli.mail_link(email, &name, LinkPurpose::Reset, &url)?;
        }
    }
    Ok(())
}

/// A store error as a sentence for the terminal.
fn describe(err: archipel_store::StoreError) -> String {
    match err {
        archipel_store::StoreError::Conflict(text) => text.en,
        archipel_store::StoreError::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message.en))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn db_command(cli: &Cli, command: &DbCommand) -> anyhow::Result<()> {
    let cluster = cli.cluster();
    let using_url = cli.database_url.is_some();
    match command {
        DbCommand::Start if using_url => {
            bail!("DATABASE_URL is set: the private cluster is not used")
        }
        DbCommand::Start => {
            cluster.ensure_running()?;
            eprintln!(
                "Private cluster running in {} on port {}.",
                cluster.dir().display(),
                cluster.port()
            );
            println!("{}", cluster.url(APP_DATABASE));
        }
        DbCommand::Stop => {
            cluster.stop()?;
            eprintln!("Private cluster stopped.");
        }
        DbCommand::Status => {
            let state = match cluster.state()? {
                ClusterState::NotCreated => "not created",
                ClusterState::Stopped => "stopped",
                ClusterState::Running => "running",
            };
            println!(
                "private cluster in {} (port {}): {state}",
                cluster.dir().display(),
                cluster.port()
            );
            if using_url {
                println!("DATABASE_URL is set and takes precedence");
            }
        }
        DbCommand::Url => match &cli.database_url {
            Some(url) => println!("{url}"),
            None => println!("{}", cluster.url(APP_DATABASE)),
        },
    }
    Ok(())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let mut cli = Cli::parse();
    let command = std::mem::replace(&mut cli.command, Command::Migrate);
    match &command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Migrate => {
            let mut conn = cli.connect()?;
            let applied = migrate::run_pending(&mut conn)?;
            if applied.is_empty() {
                eprintln!("The database is up to date.");
            }
            for name in applied {
                eprintln!("applied {name}");
            }
            Ok(())
        }
        Command::Token(command) => token_command(&cli, command),
        Command::User(command) => user_command(&cli, command),
        Command::Db(command) => db_command(&cli, command),
        Command::Source(command) => {
            let mut conn = cli.connect()?;
            import_cli::source_command(&mut conn, command.clone())
        }
        Command::Import {
            id,
            due,
            dry_run,
            max_feed_size,
            feed_stall_timeout,
        } => {
            let pool = db::pool(&cli.database_url()?, 2);
            let fetcher = import_cli::fetcher(*max_feed_size, *feed_stall_timeout)?;
            let outcomes =
                import_cli::import(&pool, fetcher, id.clone(), *due, *dry_run, "manual").await?;
            if outcomes
                .iter()
                .any(|o| o.status == archipel_store::import_run::RunStatus::Failed)
            {
                bail!("an import failed");
            }
            Ok(())
        }
        Command::Demo(DemoCommand::Load { if_empty, dir }) => {
            let pool = db::pool(&cli.database_url()?, 2);
            let fetcher = import_cli::fetcher(200, std::time::Duration::from_secs(60))?;
            import_cli::demo_load(&pool, fetcher, dir, *if_empty).await
        }
        Command::Territory(TerritoryCommand::Import { level, year, file }) => {
            let mut conn = cli.connect()?;
            import_cli::territory_import(&mut conn, level, *year, file)
        }
        Command::Privacy(PrivacyCommand::Purge { older_than }) => {
            let mut conn = cli.connect()?;
            let purged = archipel_store::suggestion::purge(&mut conn, *older_than)?;
            eprintln!(
                "Erased {} suggester e-mail(s), {} reporter e-mail(s) and {} rate-limit record(s) older than {}.",
                purged.suggestion_emails,
                purged.report_emails,
                purged.form_submissions,
                humantime::format_duration(*older_than)
            );
            Ok(())
        }
    }
}
