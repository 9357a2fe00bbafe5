//! Test harness: every test gets its own database, cloned from a template that holds the migrated
//! schema and is dropped afterwards; API tests talk to the real server bound to port 0.
//!
//! The server comes from `ARCHIPEL_TEST_DATABASE_URL` (an admin URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), or else the project's private cluster in
//! `.archipel/`, started on demand.

pub mod feeds;
pub mod mvt;
pub mod smtp;

use archipel_api::{AppState, Settings};
use archipel_store::cluster::{LocalCluster, quote_ident};
use archipel_store::token::{self, Role};
use archipel_store::{Pool, migrate};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// A file of the repository (e.g. `demo/feeds/…` or `tests/fixtures/feeds/…`).
pub fn repo_file(relative: &str) -> PathBuf {
    workspace_root().join(relative)
}

/// The repository's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The project's private cluster the tests use (`ARCHIPEL_DB_PORT`, default 55432).
fn test_cluster() -> LocalCluster {
    let port = std::env::var("ARCHIPEL_DB_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(55432);
    LocalCluster::new(workspace_root().join(".archipel"), port)
}

fn admin_url() -> String {
    if let Ok(url) = std::env::var("ARCHIPEL_TEST_DATABASE_URL") {
        return url;
    }
    let cluster = test_cluster();
    if let Err(e) = cluster.ensure_running() {
        panic!("tests need PostgreSQL with PostGIS: {e}");
    }
    cluster.url("postgres")
}

/// A PostgreSQL cluster of one test's own (initdb on a free port), stopped and removed when
/// dropped: a replica of it follows that test's writes only, not the whole suite's.
pub struct PrivateCluster {
    cluster: LocalCluster,
}

impl PrivateCluster {
    pub fn start() -> Self {
        let dir = workspace_root()
            .join(".archipel")
            .join(format!("primary-{}", uuid::Uuid::new_v4().simple()));
        let cluster = LocalCluster::new(dir, free_port());
        cluster
            .ensure_running()
            .unwrap_or_else(|e| panic!("a private PostgreSQL cluster starts: {e}"));
        Self { cluster }
    }

    /// A migrated database of its own in this cluster.
    pub fn database(&self) -> TestDb {
        let db = TestDb::create(self.cluster.url("postgres"), None);
        migrate::run_pending(&mut db.connect()).expect("migrate the private cluster's database");
        db
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        remove_cluster(&self.cluster);
    }
}

/// A real streaming replica (hot standby) of a cluster, on a port of its own; stopped and removed
/// when dropped.
pub struct Replica {
    cluster: LocalCluster,
}

impl Replica {
    /// A base backup of `primary` as it is now (its databases included), started and following
    /// its log, applying each commit `apply_delay` late (as a distant or busy replica would).
    pub fn start(primary: &PrivateCluster, apply_delay: std::time::Duration) -> Self {
        let dir = workspace_root()
            .join(".archipel")
            .join(format!("replica-{}", uuid::Uuid::new_v4().simple()));
        let cluster = LocalCluster::new(dir, free_port());
        cluster
            .start_replica_of(&primary.cluster, Some(apply_delay))
            .unwrap_or_else(|e| panic!("a streaming replica starts: {e}"));
        Self { cluster }
    }

    /// Connection URL of `database` on the replica.
    pub fn url(&self, database: &str) -> String {
        self.cluster.url(database)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        remove_cluster(&self.cluster);
    }
}

/// Stops a throwaway cluster and removes its files (and its data directory, when that lives
/// outside the project for the server's user).
fn remove_cluster(cluster: &LocalCluster) {
    let _ = cluster.stop();
    let data = cluster.dir().join("pgdata");
    if let Ok(outside) = std::fs::canonicalize(&data)
        && outside != data
    {
        let _ = std::fs::remove_dir_all(outside);
    }
    let _ = std::fs::remove_dir_all(cluster.dir());
}

/// `url` with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    let query = url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{database}{query}")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(conn)
        .map(|c| c.n > 0)
        .unwrap_or(false)
}

/// Creates the migrated template once per server (several test processes may race for it: an
/// advisory lock serialises them).
fn template(admin: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!(
            "archipel_tpl_{}",
            migrate::digest(&workspace_root().join("migrations"))
        );
        let mut conn = PgConnection::establish(admin).expect("connect to the test server");
        diesel::sql_query("SELECT pg_advisory_lock(727274)")
            .execute(&mut conn)
            .expect("lock");
        if !database_exists(&mut conn, &name) {
            let building = format!("{name}_building");
            diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&building)
            ))
            .execute(&mut conn)
            .expect("drop half-built template");
            diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&building)))
                .execute(&mut conn)
                .expect("create template");
            {
                let mut tpl = PgConnection::establish(&with_database(admin, &building))
                    .expect("connect to template");
                migrate::run_pending(&mut tpl).expect("migrate template");
            }
            diesel::sql_query(format!(
                "ALTER DATABASE {} RENAME TO {}",
                quote_ident(&building),
                quote_ident(&name)
            ))
            .execute(&mut conn)
            .expect("publish template");
        }
        diesel::sql_query("SELECT pg_advisory_unlock(727274)")
            .execute(&mut conn)
            .expect("unlock");
        name
    })
}

/// A database of one's own, with the current schema, dropped at the end of the test.
pub struct TestDb {
    admin: String,
    name: String,
    pub url: String,
}

impl TestDb {
    /// A migrated database, cloned from the template.
    pub fn new() -> Self {
        let admin = admin_url();
        let template = template(&admin);
        Self::create(admin, Some(template))
    }

    /// An empty database (PostGIS not even installed), for migration tests.
    pub fn empty() -> Self {
        Self::create(admin_url(), None)
    }

    fn create(admin: String, template: Option<&str>) -> Self {
        let name = format!("archipel_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin).expect("connect to the test server");
        let sql = match template {
            Some(t) => format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(t)
            ),
            None => format!("CREATE DATABASE {}", quote_ident(&name)),
        };
        // Two clones of one template at the same instant can collide ("being accessed by other
        // users"); try again a few times.
        let mut attempt = 0;
        loop {
            match diesel::sql_query(&sql).execute(&mut conn) {
                Ok(_) => break,
                Err(e) if attempt < 50 && e.to_string().contains("being accessed") => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        let url = with_database(&admin, &name);
        Self { admin, name, url }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }

    /// The database's name (the same on a replica).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A digest of everything stored, to assert that a refused request changed nothing.
    pub fn fingerprint(&self) -> String {
        #[derive(QueryableByName)]
        struct Digest {
            #[diesel(sql_type = diesel::sql_types::Text)]
            digest: String,
        }
        let mut conn = self.connect();
        diesel::sql_query(
            "SELECT coalesce(md5(string_agg(t, '|' ORDER BY t)), 'empty') AS digest FROM (
                SELECT 'i' || i::text AS t FROM initiatives i
                UNION ALL SELECT 'c' || c::text FROM initiative_categories c
                UNION ALL SELECT 'r' || r::text FROM revisions r
                UNION ALL SELECT 'k' || k.id || k.name || k.role || coalesce(k.revoked_at::text, '') FROM api_tokens k
            ) AS all_rows",
        )
        .get_result::<Digest>(&mut conn)
        .expect("fingerprint")
        .digest
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ))
            .execute(&mut conn);
        }
    }
}

/// The real server on 127.0.0.1 and a random port, over a database of its own, with an editor
/// and an admin token.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub editor_token: String,
    pub admin_token: String,
    pub tiles: std::sync::Arc<archipel_api::tile_cache::TileCache>,
    pub exports: std::sync::Arc<archipel_api::export_gate::ExportGate>,
    /// Dropped before `db`: its connection goes first.
    pub tile_listener: archipel_api::tile_cache::Listener,
    pub db: TestDb,
}

impl TestApp {
    /// Starts the server. Call from an actix runtime (`#[actix_web::test]`).
    pub async fn spawn() -> Self {
        Self::spawn_with(Settings::default()).await
    }

    pub async fn spawn_with(settings: Settings) -> Self {
        Self::spawn_on(TestDb::new(), settings).await
    }

    /// A server over `db` (already created: e.g. replicated before the server starts).
    pub async fn spawn_on(db: TestDb, settings: Settings) -> Self {
        let (editor_token, admin_token) = {
            let mut conn = db.connect();
            (
                token::create(&mut conn, "editor", Role::Editor).expect("editor token"),
                token::create(&mut conn, "admin", Role::Admin).expect("admin token"),
            )
        };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let settings_cache_enabled = settings.tile_cache_bytes > 0;
        let settings_replica = settings
            .read_database_url
            .clone()
            .map(|replica| (replica, settings.replica_wait));
        let state = AppState::new(&db.url, settings);
        let pool = state.pool.clone();
        let tiles = state.tiles.clone();
        let exports = state.exports.clone();
        let tile_listener = tiles.listen(db.url.clone(), settings_replica);
        // Tests start from a known state: the cache keeps tiles from the first request on.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !tiles.is_live() && settings_cache_enabled && std::time::Instant::now() < deadline {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let server = archipel_api::build(listener, state, Some(1)).expect("server");
        actix_web::rt::spawn(server);
        Self {
            address,
            client: archipel_importer::fetch::client_builder()
                .build()
                .expect("client"),
            pool,
            editor_token,
            admin_token,
            tiles,
            exports,
            tile_listener,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON body")
    }

    /// GET with a bearer token; the JSON body of a successful answer.
    pub async fn get_json_as(&self, path: &str, token: &str) -> serde_json::Value {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON body")
    }

    /// A request with a bearer token and a JSON body.
    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// PATCH `path` with a JSON body and the editor token.
    pub async fn patch(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.send_as(reqwest::Method::PATCH, path, &self.editor_token, body)
            .await
    }

    /// POST a JSON body with the editor token; returns the created initiative.
    pub async fn create(&self, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/api/v1/initiatives"))
            .bearer_auth(&self.editor_token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(status, 201, "create failed: {body}");
        body
    }
}

/// The `archipel` binary the tests run as a separate process (`ARCHIPEL_BIN`, else the debug
/// build of the target directory; `make test` builds it first).
pub fn archipel_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("ARCHIPEL_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"));
    let bin = target.join("debug").join("archipel");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build --bin archipel`; `make test` does)",
        bin.display()
    );
    bin
}

/// A free TCP port on 127.0.0.1 (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The x, y of the Web Mercator tile holding `lat`, `lon` at `zoom`.
pub fn tile_of(lat: f64, lon: f64, zoom: u32) -> (u32, u32) {
    let n = f64::from(1u32 << zoom);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
        as u32;
    (x, y)
}
