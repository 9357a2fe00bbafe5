//! Faults end in 503 and recovery: a database that stops and comes back, an import killed in the
//! middle, a feed server that stalls. The database that stops is a PostgreSQL of this test's own,
//! so the other tests never notice.

use archipel_api::{AppState, Settings};
use archipel_importer::run::{self, Outcome};
use archipel_importer::{FetchSettings, RunOptions, Silent};
use archipel_store::cluster::{APP_DATABASE, LocalCluster};
use archipel_store::error::Fault;
use archipel_store::import_run::{ABANDONED, RunStatus};
use archipel_store::{StoreError, db, migrate};
use archipel_tests::feeds::FeedServer;
use archipel_tests::{TestApp, archipel_binary, free_port};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(url: &str, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(&mut PgConnection::establish(url).unwrap())
        .unwrap()
        .n
}

/// Statuses of `n` requests to `path`, `concurrency` at a time.
async fn statuses(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    concurrency: usize,
) -> Vec<(u16, String, Option<String>)> {
    let mut out = Vec::new();
    for _ in 0..n.div_ceil(concurrency) {
        let batch = (0..concurrency).map(|_| async {
            let response = client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (status, kind, retry)
        });
        out.extend(futures_util::future::join_all(batch).await);
    }
    out
}

#[actix_web::test]
async fn a_database_restart_is_answered_503_and_the_service_resumes_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::new(dir.path(), free_port());
    cluster.ensure_running().unwrap();
    let url = cluster.url(APP_DATABASE);
    migrate::run_pending(&mut PgConnection::establish(&url).unwrap()).unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(&url, Settings::default());
    let tiles = state.tiles.clone();
    let _listener = tiles.listen(url.clone(), None);
    actix_web::rt::spawn(archipel_api::build(listener, state, Some(2)).unwrap());
    let client = archipel_importer::fetch::client_builder()
        .build()
        .expect("client");
    let list = format!("{base}/api/v1/initiatives?limit=5");
    assert!(
        statuses(&client, &list, 8, 4)
            .await
            .iter()
            .all(|s| s.0 == 200)
    );

    cluster.stop().unwrap();
    let down = statuses(&client, &list, 24, 8).await;
    for (status, kind, retry) in &down {
        assert_eq!(*status, 503, "{down:?}");
        assert_eq!(kind, "application/problem+json");
        assert_eq!(retry.as_deref(), Some("5"));
    }
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    let alive = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);

    cluster.ensure_running().unwrap();
    let back = Instant::now();
    loop {
        let now = statuses(&client, &list, 4, 4).await;
        if now.iter().all(|s| s.0 == 200) {
            break;
        }
        assert!(now.iter().all(|s| s.0 == 503), "{now:?}");
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "not back 20 s after the database"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    println!("service back {:?} after the database", back.elapsed());
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    drop(_listener);
    cluster.stop().unwrap();
}

/// A GeoJSON feed of `n` shared gardens.
#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

fn backend_pid(conn: &mut PgConnection) -> diesel::QueryResult<i32> {
    Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)?
        .pid)
}

/// Ends a server process the way an administrator or a restart does, and waits until it is gone.
fn terminate(admin: &mut PgConnection, pid: i32) {
    diesel::sql_query("SELECT pg_terminate_backend($1, 10000)::text AS t")
        .bind::<diesel::sql_types::Integer, _>(pid)
        .get_result::<Text>(admin)
        .expect("terminate the backend");
}

/// A pooled connection is checked at check-out only when it has not been used for a while (the
/// check is a round trip, skipped on a busy pool). Either way, a connection the server dropped
/// is replaced by the pool: at once when it sat idle; after the one statement that finds it gone
/// (a 503 fault, not a request error) when it had just been used.
#[test]
fn a_connection_the_database_dropped_is_replaced_by_the_pool() {
    let db = archipel_tests::TestDb::empty();
    let mut admin = db.connect();

    let busy = db::pool_trusting(&db.url, 1, db::Limits::default(), Duration::from_secs(600));
    let first = backend_pid(&mut busy.get().unwrap()).unwrap();
    terminate(&mut admin, first);
    let lost = backend_pid(&mut busy.get().unwrap()).unwrap_err();
    assert_eq!(
        StoreError::Database(lost).fault(),
        Some(Fault::Unreachable),
        "a statement on a dropped connection is a fault of the database's availability"
    );
    let second = backend_pid(&mut busy.get().unwrap()).unwrap();
    assert_ne!(
        first, second,
        "the dropped connection went back into the pool"
    );

    let idle_for = Duration::from_millis(300);
    let quiet = db::pool_trusting(&db.url, 1, db::Limits::default(), idle_for);
    let first = backend_pid(&mut quiet.get().unwrap()).unwrap();
    terminate(&mut admin, first);
    std::thread::sleep(idle_for + Duration::from_millis(100));
    let second = backend_pid(&mut quiet.get().unwrap())
        .expect("an idle connection is checked, and replaced, before it is handed out");
    assert_ne!(first, second);
}

fn gardens(n: usize) -> String {
    let features: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","id":"g{i}","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"nom":"Jardin {i}"}}}}"#,
                -4.0 + (i % 900) as f64 * 0.01,
                43.0 + (i / 900) as f64 * 0.01
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

fn declare(app: &TestApp, id: &str, location: &str) {
    let config = archipel_store::source::SourceConfig {
        id: id.into(),
        name: id.into(),
        format: "geojson".into(),
        location: location.into(),
        mapping: json!({"default_category": "shared-garden", "fields": {"id": "id", "name": "nom"}}),
        licence: Some("ODbL-1.0".into()),
        attribution: None,
        refresh_seconds: None,
        complete: true,
        moderation: archipel_store::domain::Moderation::Published,
    };
    run::declare(&mut app.db.connect(), &config).unwrap();
}

async fn import(app: &TestApp, id: &str, fetch: FetchSettings) -> Outcome {
    run::run(
        &app.pool,
        Arc::new(archipel_importer::Fetcher::new(fetch).unwrap()),
        id,
        RunOptions {
            dry_run: false,
            trigger: "test".into(),
        },
        Arc::new(Silent),
    )
    .await
    .unwrap()
}

#[actix_web::test]
async fn an_import_killed_mid_run_leaves_everything_as_it_was_and_the_next_run_succeeds() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Jardin déjà là", "lat": 43.5, "lon": 1.4}))
        .await;
    let feed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(feed.path(), gardens(60_000)).unwrap();
    declare(&app, "jardins", &feed.path().display().to_string());
    let before = app.db.fingerprint();

    let mut child = std::process::Command::new(archipel_binary())
        .args(["import", "jardins"])
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once its transaction is under way (it has written into its staging table).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let busy = count(
            &app.db.url,
            "SELECT count(*) AS n FROM pg_stat_activity a JOIN import_runs r ON r.status = 'running'
             WHERE a.datname = current_database() AND a.state = 'active' AND a.query ILIKE 'COPY%'
               AND a.xact_start < now() - interval '200 ms'",
        );
        if busy > 0 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(
            Instant::now() < deadline,
            "the import never started its work"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    println!("import killed while copying its feed into its staging table");
    // PostgreSQL notices the lost client and rolls back.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &app.db.url,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'",
    ) > 0
    {
        assert!(
            Instant::now() < deadline,
            "the dead import's lock is never released"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        app.db.fingerprint(),
        before,
        "nothing of the killed run remains"
    );

    std::fs::write(feed.path(), gardens(3)).unwrap();
    let outcome = import(&app, "jardins", FetchSettings::default()).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(outcome.counts.created, 3);
    let dead: Text = diesel::sql_query(
        "SELECT status || ': ' || error AS t FROM import_runs WHERE source_id = 'jardins' ORDER BY id LIMIT 1",
    )
    .get_result(&mut app.db.connect())
    .unwrap();
    assert_eq!(dead.t, format!("abandoned: {ABANDONED}"));
}

#[actix_web::test]
async fn a_feed_that_stalls_mid_body_fails_the_run_with_the_reason() {
    let app = TestApp::spawn().await;
    let feeds = FeedServer::start();
    feeds.put("stalls.geojson", gardens(50));
    feeds.stall_after("stalls.geojson", 1000);
    declare(&app, "stalls", &feeds.url("stalls.geojson"));
    let before = app.db.fingerprint();
    let started = Instant::now();
    let outcome = import(
        &app,
        "stalls",
        FetchSettings {
            stall_timeout: Duration::from_secs(1),
            retries: 1,
            backoff: Duration::from_millis(10),
            ..FetchSettings::default()
        },
    )
    .await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.contains("stopped arriving after 1000 bytes"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(feeds.hits("stalls.geojson"), 2, "tried again once");
    assert_eq!(app.db.fingerprint(), before);
    let _: Value = json!(null);
}
