//! No anonymous client can starve the others; busy or slow answers are 503s that say when to come
//! back; states and headers are what they claim.

use crate::initiative;
use archipel_api::Settings;
use archipel_tests::{TestApp, tile_of};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn suggest_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/suggestions"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"name": "Grainothèque", "lat": 48.85, "lon": 2.35, "categories": ["seed-library"]}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn form_limits_count_the_real_client_per_network_and_in_all_across_processes() {
    let settings = Settings {
        form_limit: 2,
        form_limit_per_hour: 5,
        trust_forwarded: true,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings.clone()).await;
    // The leftmost entry is whatever the client wrote; the rightmost is what our proxy saw.
    assert_eq!(
        suggest_from(&app, "1.1.1.1, 2001:db8:5:6::1")
            .await
            .status(),
        201
    );
    assert_eq!(
        suggest_from(&app, "2.2.2.2, 2001:db8:5:6::ffff")
            .await
            .status(),
        201
    );
    let refused = suggest_from(&app, "3.3.3.3, 2001:db8:5:6:1:2:3:4").await;
    assert_eq!(refused.status(), 429, "one /64 is one client");
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "Retry-After {wait}");

    // A second API process over the same database shares the counts.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = format!("http://{}", listener.local_addr().unwrap());
    let state = archipel_api::AppState::new(&app.db.url, settings);
    actix_web::rt::spawn(archipel_api::build(listener, state, Some(1)).unwrap());
    let response = app
        .client
        .post(format!("{other}/api/v1/suggestions"))
        .header("X-Forwarded-For", "2001:db8:5:6::9")
        .json(&json!({"name": "Grainothèque", "lat": 48.85, "lon": 2.35}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        429,
        "the other process knows this client"
    );

    // Everyone together: five an hour here.
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(suggest_from(&app, client).await.status(), 201);
    }
    let flood = suggest_from(&app, "198.51.100.4").await;
    assert_eq!(flood.status(), 429);
    let problem: Value = flood.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("unusually many"),
        "{problem}"
    );
}

/// Asks for `path` until the tile cache keeps it (the creation's own notification may empty it
/// once more just after).
async fn cached(app: &TestApp, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(app.get(path).await.status(), 200);
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        if !app.tiles.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "the tile is never kept");
    }
}

#[actix_web::test]
async fn visitors_contributions_do_not_empty_the_map_cache_and_a_missed_tile_is_built_once() {
    let app = TestApp::spawn().await;
    app.create(initiative("Repair café de la Bastille", 48.853, 2.369))
        .await;
    let (x, y) = tile_of(48.853, 2.369, 12);
    let path = format!("/api/v1/tiles/12/{x}/{y}.mvt");
    cached(&app, &path).await;
    let builds = app.tiles.builds();
    let response = suggest_from(&app, "x").await;
    assert_eq!(response.status(), 201);
    let report = app
        .client
        .post(app.url("/api/v1/initiatives/repair-cafe-de-la-bastille/reports"))
        .json(&json!({"message": "Nouveaux horaires"}))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 201);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(app.tiles.builds(), builds, "the tile came from the cache");

    // Twelve visitors ask at once for a tile nobody built yet: it is built once.
    let (x, y) = tile_of(48.853, 2.369, 9);
    let path = format!("/api/v1/tiles/9/{x}/{y}.mvt");
    let builds = app.tiles.builds();
    let asks = (0..12).map(|_| app.get(&path));
    for response in futures_util::future::join_all(asks).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.tiles.builds(), builds + 1);
}

#[actix_web::test]
async fn editing_a_withdrawn_initiative_keeps_it_withdrawn() {
    let app = TestApp::spawn().await;
    let created = app
        .create(initiative("Recyclerie des Monts", 45.18, 5.72))
        .await;
    let id = created["id"].as_str().unwrap();
    // What an import does when a record leaves its complete feed.
    diesel::sql_query(format!(
        "UPDATE initiatives SET moderation = 'withdrawn' WHERE id = '{id}'"
    ))
    .execute(&mut app.db.connect())
    .unwrap();
    let response = app
        .patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"description": "Dépôt le mercredi"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["moderation"], "withdrawn");
    assert_eq!(
        app.get(&format!("/api/v1/initiatives/{id}")).await.status(),
        410
    );
    let listed = app
        .get_json_as(
            "/api/v1/initiatives?moderation=withdrawn",
            &app.editor_token,
        )
        .await;
    assert_eq!(listed["number_returned"], 1);
}

#[actix_web::test]
async fn every_response_carries_the_security_headers_and_links_never_name_a_forged_host() {
    let dir = tempfile::tempdir().unwrap();
    for page in ["index.html", "embed.html"] {
        std::fs::write(
            dir.path().join(page),
            "<!doctype html><title>Archipel</title>",
        )
        .unwrap();
    }
    let app = TestApp::spawn_with(Settings {
        frontend_dir: Some(dir.path().to_path_buf()),
        ..Settings::default()
    })
    .await;
    for path in [
        "/api/v1/categories",
        "/api/v1/nothing-here",
        "/healthz",
        "/",
        "/embed",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
    }
    for (path, ancestors) in [
        ("/", "frame-ancestors 'self'"),
        ("/embed", "frame-ancestors *"),
    ] {
        let response = app.get(path).await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains(ancestors), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
    }

    for i in 0..3 {
        app.create(initiative(&format!("Fablab {i}"), 47.2, -1.55))
            .await;
    }
    let next = |body: &Value| body["next"].as_str().unwrap().to_string();
    let forged = app
        .client
        .get(app.url("/api/v1/initiatives?limit=1"))
        .header("Host", "evil.example/phish?")
        .send()
        .await
        .unwrap();
    let link = next(&forged.json().await.unwrap());
    assert!(link.starts_with("/api/v1/initiatives?"), "{link}");
    let honest = app
        .client
        .get(app.url("/api/v1/initiatives?limit=1"))
        .header("Host", "carte.example.fr")
        .send()
        .await
        .unwrap();
    assert!(next(&honest.json().await.unwrap()).starts_with("http://carte.example.fr/api/v1/"));
}

#[actix_web::test]
async fn a_read_that_runs_too_long_is_cut_off_with_a_503_that_says_when_to_come_back() {
    let app = TestApp::spawn_with(Settings {
        read_statement_timeout: Some(Duration::from_millis(300)),
        lock_timeout: None,
        ..Settings::default()
    })
    .await;
    app.create(initiative("Tiers-lieu de la Gare", 44.84, -0.57))
        .await;
    // Another session keeps the table locked, so the read cannot finish in time.
    let mut blocker = diesel::PgConnection::establish(&app.db.url).unwrap();
    blocker
        .batch_execute("BEGIN; LOCK TABLE initiatives IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let started = Instant::now();
    let response = app.get("/api/v1/initiatives.geojson").await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "query_timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    blocker.batch_execute("COMMIT").unwrap();
    assert_eq!(app.get("/api/v1/initiatives.geojson").await.status(), 200);
}

#[actix_web::test]
async fn an_editor_never_waits_long_on_rows_an_import_holds() {
    let app = TestApp::spawn_with(Settings {
        lock_timeout: Some(Duration::from_millis(500)),
        ..Settings::default()
    })
    .await;
    let created = app
        .create(initiative("AMAP des Capucins", 44.83, -0.57))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    // An import's transaction holds the row (as its set-based update does until it commits).
    let mut import = diesel::PgConnection::establish(&app.db.url).unwrap();
    import
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM initiatives WHERE id = '{id}' FOR UPDATE"
        ))
        .unwrap();
    let before = app.db.fingerprint();
    let started = Instant::now();
    let response = app
        .patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"opening_hours": "We 17:00-19:00"}),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "busy", "{problem}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(app.db.fingerprint(), before, "nothing was changed");
    import.batch_execute("COMMIT").unwrap();
    let response = app
        .patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"opening_hours": "We 17:00-19:00"}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

/// Fills the directory with `n` published initiatives of about a kilobyte each.
fn fill(app: &TestApp, n: u32) {
    diesel::sql_query(format!(
        "INSERT INTO initiatives (id, slug, name, description, geom)
         SELECT gen_random_uuid(), 'lieu-' || g, 'Lieu ' || g, repeat('Atelier partagé. ', 50),
                ST_SetSRID(ST_MakePoint(-5 + (g % 1000) * 0.013, 42 + (g / 1000) * 0.05), 4326)
         FROM generate_series(1, {n}) AS g"
    ))
    .execute(&mut app.db.connect())
    .unwrap();
}

/// Starts an export and never reads it.
async fn stalled_export(app: &TestApp, forwarded_for: &str) -> (tokio::net::TcpStream, String) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /api/v1/export/initiatives.geojson HTTP/1.1\r\nHost: {address}\r\nX-Forwarded-For: {forwarded_for}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.unwrap();
    (stream, String::from_utf8_lossy(&head).to_string())
}

#[actix_web::test]
async fn fourteen_stalled_downloads_cannot_take_the_service_down() {
    let app = TestApp::spawn_with(Settings {
        trust_forwarded: true,
        export_max: 4,
        export_max_per_client: 2,
        export_stall_timeout: Duration::from_secs(2),
        pool_size: 4,
        ..Settings::default()
    })
    .await;
    // ~20 MB of export: far more than the sockets' buffers hold.
    fill(&app, 20_000);

    let mut stalled = Vec::new();
    let mut statuses = Vec::new();
    // One client tries three at once, two others one each, then nine more clients.
    let clients = [
        "198.51.100.7",
        "198.51.100.7",
        "198.51.100.7",
        "192.0.2.1",
        "192.0.2.2",
    ]
    .into_iter()
    .map(String::from)
    .chain((3..12).map(|i| format!("192.0.2.{i}")));
    for client in clients {
        let (stream, head) = stalled_export(&app, &client).await;
        statuses.push(head[9..12].to_string());
        stalled.push(stream);
    }
    assert_eq!(
        statuses,
        [
            "200", "200", "429", "200", "200", "503", "503", "503", "503", "503", "503", "503",
            "503", "503"
        ],
        "two per client, four in all"
    );

    // Meanwhile everyone else is served, at once.
    let started = Instant::now();
    for _ in 0..50 {
        let response = app.get("/api/v1/initiatives?limit=5").await;
        assert_eq!(response.status(), 200);
    }
    let took = started.elapsed();
    println!("50 listings answered in {took:?} while 14 downloads stalled ({statuses:?})");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // Stalled readers are dropped after the stall time-out and free their slots.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.exports.running() > 0 {
        assert!(
            Instant::now() < deadline,
            "stalled exports are never dropped"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    // What a stalled reader had received ends without the last feature: the server cut the
    // connection rather than closing the body as if it were complete.
    let mut rest = Vec::new();
    let mut first = stalled.swap_remove(0);
    let read = tokio::time::timeout(Duration::from_secs(30), first.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the cut connection ends");
    let tail = String::from_utf8_lossy(&rest[rest.len().saturating_sub(200)..]).to_string();
    assert!(
        !tail.contains("]}"),
        "a truncated export looks complete: …{tail}"
    );
    drop(stalled);
    let export = app.get("/api/v1/export/initiatives.geojson").await;
    assert_eq!(export.status(), 200);
    let collection: Value = export.json().await.unwrap();
    assert_eq!(collection["features"].as_array().unwrap().len(), 20_000);
}

#[actix_web::test]
async fn a_nul_character_anywhere_is_refused_never_a_crash() {
    let app = TestApp::spawn().await;
    let admin = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(&app.admin_token)
    };
    let requests = [
        admin(reqwest::Method::POST, "/api/v1/tokens")
            .json(&json!({"name": "a\u{0}b", "role": "admin"})),
        admin(reqwest::Method::GET, "/api/v1/initiatives?q=ab%00"),
        admin(
            reqwest::Method::GET,
            "/api/v1/initiatives.geojson?q=ab%00cd",
        ),
        admin(reqwest::Method::GET, "/api/v1/tiles/0/0/0.mvt?q=a%00b"),
        admin(reqwest::Method::GET, "/api/v1/initiatives/a%00b"),
        admin(reqwest::Method::GET, "/api/v1/initiatives/a%00b/revisions"),
        admin(reqwest::Method::DELETE, "/api/v1/tokens/a%00b"),
        admin(reqwest::Method::GET, "/api/v1/sources/a%00b/runs"),
        admin(reqwest::Method::POST, "/api/v1/sources/a%00b/runs"),
        admin(
            reqwest::Method::POST,
            "/api/v1/sources/a%00b/runs?dry_run=true",
        ),
    ];
    for request in requests {
        let request = request.build().unwrap();
        let what = format!("{} {}", request.method(), request.url());
        let response = app.client.execute(request).await.unwrap();
        let status = response.status().as_u16();
        assert!(status < 500, "{what}: {status}");
        if status >= 400 {
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json",
                "{what}"
            );
        }
    }
}
