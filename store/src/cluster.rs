//! The private PostgreSQL + PostGIS cluster used when no `DATABASE_URL` is given.
//!
//! It lives in a project directory (`.archipel/` by default), listens on 127.0.0.1 on its own
//! port, is created with the machine's `initdb` and driven with `pg_ctl`. PostgreSQL refuses to
//! run as root, so when we are root the server runs as the `postgres` user; if that user cannot
//! reach the project directory, the data goes under `/var/lib/archipel/` and `.archipel/pgdata`
//! links to it.

use diesel::{Connection, PgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The database the application uses inside the local cluster.
pub const APP_DATABASE: &str = "archipel";

/// The file, in the data directory, holding the settings below; `postgresql.conf` includes it.
const SETTINGS_FILE: &str = "archipel.conf";

/// The local cluster's settings (the port is given at start). Only loopback TCP and no Unix
/// socket path (long project paths overflow its length limit). The WAL settings are for bulk
/// imports: with PostgreSQL's default 1 GB `max_wal_size`, a 1M-feature import forced a
/// checkpoint every ~540 MB of WAL (16–18 in its 12 minutes), each followed by full images of
/// the pages written again; with these it forced one (its time did not change measurably, see
/// docs/benchmarks.md). Crash recovery replays at most ~`max_wal_size` of WAL.
const SETTINGS: &str = "# Written by Archipel at every start of its local cluster: edits here are lost.\n\
listen_addresses = '127.0.0.1'\n\
unix_socket_directories = ''\n\
max_connections = 200\n\
shared_buffers = 256MB\n\
work_mem = 16MB\n\
maintenance_work_mem = 256MB\n\
jit = off\n\
max_wal_size = 8GB\n\
checkpoint_timeout = 15min\n\
wal_compression = lz4\n";
const SERVER_USER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin \
         or on PATH; install them (Debian: apt-get install postgresql postgresql-15-postgis-3, which \
         `make run` does) or set ARCHIPEL_PG_BIN, or point DATABASE_URL at a server"
    )]
    NoBinaries,
    #[error(
        "the local PostgreSQL has no PostGIS extension; install it (Debian: apt-get install \
         postgresql-{0}-postgis-3) or run `make run`, which does"
    )]
    NoPostgis(String),
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot connect to the local cluster at {url}: {detail}")]
    Connect { url: String, detail: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterState {
    NotCreated,
    Stopped,
    Running,
}

/// A private cluster rooted at `dir`, listening on `port`.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    dir: PathBuf,
    port: u16,
}

impl LocalCluster {
    pub fn new(dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            dir: dir.into(),
            port,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connection URL of `database` in this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SERVER_USER}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("pgdata")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    pub fn state(&self) -> Result<ClusterState, ClusterError> {
        if !self.data_dir().join("PG_VERSION").exists() {
            return Ok(ClusterState::NotCreated);
        }
        let bin = find_bin_dir()?;
        let out = self.run_pg(
            &bin.join("pg_ctl"),
            &["status", "-D", &path_str(&self.data_dir())],
        )?;
        Ok(if out.status.success() {
            ClusterState::Running
        } else {
            ClusterState::Stopped
        })
    }

    /// Creates the cluster if needed, starts it if needed, and makes sure the application database
    /// exists. Safe to call from several processes at once.
    pub fn ensure_running(&self) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let lock_path = self.dir.join("cluster.lock");
        let lock = fs::File::create(&lock_path).map_err(io_err(&lock_path))?;
        lock.lock().map_err(io_err(&lock_path))?;
        let result = self.ensure_running_locked();
        let _ = lock.unlock();
        result
    }

    fn ensure_running_locked(&self) -> Result<(), ClusterError> {
        let bin = find_bin_dir()?;
        if self.state()? == ClusterState::NotCreated {
            self.create(&bin)?;
        }
        if self.state()? != ClusterState::Running {
            self.start(&bin)?;
        }
        self.ensure_database(APP_DATABASE)
    }

    fn create(&self, bin: &Path) -> Result<(), ClusterError> {
        let data = self.prepare_data_dir()?;
        let out = self.run_pg(
            &bin.join("initdb"),
            &[
                "-D",
                &path_str(&data),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        check(out, "initdb")?;
        // Our settings: written, and included by postgresql.conf, at every start (`write_settings`).
        Ok(())
    }

    /// Writes [`SETTINGS`] to the data directory's settings file and makes `postgresql.conf`
    /// include it — clusters created by an earlier version get it at their next start, so a
    /// setting changed here reaches every checkout's cluster without recreating it.
    fn write_settings(&self) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let conf = data.join("postgresql.conf");
        let current = fs::read_to_string(&conf).map_err(io_err(&conf))?;
        let include = format!("include_if_exists = '{SETTINGS_FILE}'");
        if !current.lines().any(|line| line.trim() == include) {
            fs::write(
                &conf,
                format!("{current}\n# Archipel's local cluster\n{include}\n"),
            )
            .map_err(io_err(&conf))?;
        }
        let file = data.join(SETTINGS_FILE);
        fs::write(&file, SETTINGS).map_err(io_err(&file))?;
        if running_as_root() {
            chown_to_server_user(&file)?;
        }
        Ok(())
    }

    /// The data directory must belong to the server's user. When we are root, that is
    /// `postgres`, who may not be able to enter the project's directory.
    fn prepare_data_dir(&self) -> Result<PathBuf, ClusterError> {
        let data = self.data_dir();
        if !running_as_root() {
            fs::create_dir_all(&data).map_err(io_err(&data))?;
            return Ok(data);
        }
        chown_to_server_user(&self.dir)?;
        let reachable = Command::new("runuser")
            .args(["-u", SERVER_USER, "--", "test", "-w"])
            .arg(&self.dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let target = if reachable {
            data.clone()
        } else {
            let canonical = fs::canonicalize(&self.dir).map_err(io_err(&self.dir))?;
            let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
            let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            let outside = PathBuf::from("/var/lib/archipel/clusters").join(id);
            fs::create_dir_all(&outside).map_err(io_err(&outside))?;
            let _ = fs::remove_file(&data);
            std::os::unix::fs::symlink(outside.join("pgdata"), &data).map_err(io_err(&data))?;
            outside
        };
        fs::create_dir_all(&target).map_err(io_err(&target))?;
        chown_to_server_user(&target)?;
        Ok(data)
    }

    fn start(&self, bin: &Path) -> Result<(), ClusterError> {
        let log = self.log_file();
        if running_as_root() && !log.exists() {
            fs::write(&log, "").map_err(io_err(&log))?;
            chown_to_server_user(&log)?;
        }
        self.write_settings()?;
        let port = format!("-p {}", self.port);
        let out = self.run_pg(
            &bin.join("pg_ctl"),
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                &path_str(&self.data_dir()),
                "-l",
                &path_str(&log),
                "-o",
                &port,
            ],
        )?;
        check(out, "pg_ctl start").map_err(|e| match e {
            ClusterError::Command { command, detail } => ClusterError::Command {
                command,
                detail: format!(
                    "{detail}\nlast lines of {}:\n{}",
                    log.display(),
                    tail(&log, 15)
                ),
            },
            other => other,
        })
    }

    /// Makes this cluster a streaming replica (hot standby) of `primary` — a base backup of it,
    /// following its WAL — and starts it. For deployments that read from a replica, and for the
    /// tests that prove Archipel works with one.
    ///
    /// `apply_delay` holds each commit back that long on the replica (`recovery_min_apply_delay`),
    /// as a distant or busy replica would.
    pub fn start_replica_of(
        &self,
        primary: &LocalCluster,
        apply_delay: Option<std::time::Duration>,
    ) -> Result<(), ClusterError> {
        let bin = find_bin_dir()?;
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        if self.state()? == ClusterState::NotCreated {
            let data = self.prepare_data_dir()?;
            let port = primary.port.to_string();
            let out = self.run_pg(
                &bin.join("pg_basebackup"),
                &[
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    SERVER_USER,
                    "-D",
                    &path_str(&data),
                    "-X",
                    "stream",
                    "-R",
                    "-c",
                    "fast",
                ],
            )?;
            check(out, "pg_basebackup")?;
            // Unlike initdb, pg_basebackup keeps an existing directory's mode; the server wants 0700.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).map_err(io_err(&data))?;
            if let Some(delay) = apply_delay {
                let auto = data.join("postgresql.auto.conf");
                let mut conf = fs::read_to_string(&auto).map_err(io_err(&auto))?;
                conf.push_str(&format!(
                    "recovery_min_apply_delay = '{}ms'\n",
                    delay.as_millis()
                ));
                fs::write(&auto, conf).map_err(io_err(&auto))?;
            }
        }
        if self.state()? != ClusterState::Running {
            self.start(&bin)?;
        }
        Ok(())
    }

    pub fn stop(&self) -> Result<(), ClusterError> {
        if self.state()? != ClusterState::Running {
            return Ok(());
        }
        let bin = find_bin_dir()?;
        let out = self.run_pg(
            &bin.join("pg_ctl"),
            &[
                "stop",
                "-w",
                "-m",
                "fast",
                "-D",
                &path_str(&self.data_dir()),
            ],
        )?;
        check(out, "pg_ctl stop")
    }

    /// Creates `database` when missing and checks that PostGIS can be installed in it.
    pub fn ensure_database(&self, database: &str) -> Result<(), ClusterError> {
        let url = self.url("postgres");
        let mut conn = PgConnection::establish(&url).map_err(|e| ClusterError::Connect {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let sql_err = |e: diesel::result::Error| ClusterError::Connect {
            url: url.clone(),
            detail: e.to_string(),
        };
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let postgis: Found = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'postgis'",
        )
        .get_result(&mut conn)
        .map_err(sql_err)?;
        if postgis.n == 0 {
            let version =
                fs::read_to_string(self.data_dir().join("PG_VERSION")).unwrap_or_default();
            return Err(ClusterError::NoPostgis(version.trim().to_string()));
        }
        let exists: Found =
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(database)
                .get_result(&mut conn)
                .map_err(sql_err)?;
        if exists.n == 0 {
            diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(database)))
                .execute(&mut conn)
                .map_err(sql_err)?;
        }
        Ok(())
    }

    fn run_pg(&self, program: &Path, args: &[&str]) -> Result<Output, ClusterError> {
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).env("LC_ALL", "C.UTF-8");
        command.output().map_err(|e| ClusterError::Command {
            command: program.display().to_string(),
            detail: e.to_string(),
        })
    }
}

/// Double-quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn check(out: Output, what: &str) -> Result<(), ClusterError> {
    if out.status.success() {
        return Ok(());
    }
    Err(ClusterError::Command {
        command: what.to_string(),
        detail: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    })
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The owner of `/proc/self` is the process's effective user.
fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn chown_to_server_user(path: &Path) -> Result<(), ClusterError> {
    let out = Command::new("chown")
        .arg("-R")
        .arg(format!("{SERVER_USER}:"))
        .arg(path)
        .output()
        .map_err(io_err(path))?;
    check(out, &format!("chown {}", path.display()))
}

/// `ARCHIPEL_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu), else
/// the directory of `initdb` on PATH.
fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    if let Some(dir) = std::env::var_os("ARCHIPEL_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
        .ok_or(ClusterError::NoBinaries)
}
