//! What visitors leave (their e-mail, their address) is never public.

use crate::initiative;
use archipel_store::{migrate, suggestion};
use archipel_tests::{TestApp, tile_of};
use diesel::connection::SimpleConnection;
use diesel::{QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

const SUGGESTER: &str = "alice.suggests@private.example";
const REPORTER: &str = "bob.reports@private.example";

/// A visitor suggests a place and leaves an e-mail; another reports a correction with theirs;
/// an editor publishes the suggestion and corrects it. Returns the suggestion's id and slug.
async fn contributions(app: &TestApp) -> (String, String) {
    let published = app
        .create(initiative("Ressourcerie du Port", 43.2965, 5.3698))
        .await;
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .json(&json!({
            "name": "Jardin partagé des Catalans", "lat": 43.2907, "lon": 5.3587,
            "categories": ["shared-garden"], "submitter_email": SUGGESTER, "honeypot": ""
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/initiatives/{}/reports",
            published["id"].as_str().unwrap()
        )))
        .json(&json!({"message": "Fermé le lundi", "email": REPORTER, "honeypot": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // Editors see who wrote, where they moderate.
    let inbox = app
        .get_json_as("/api/v1/suggestions", &app.editor_token)
        .await;
    assert_eq!(inbox["suggestions"][0]["submitter_email"], SUGGESTER);
    let reports = app.get_json_as("/api/v1/reports", &app.editor_token).await;
    assert_eq!(reports["reports"][0]["contact_email"], REPORTER);

    for change in [
        json!({"moderation": "published"}),
        json!({"description": "Parcelles collectives", "reason": "vu sur place"}),
    ] {
        let response = app
            .patch(&format!("/api/v1/initiatives/{id}"), &change)
            .await;
        assert_eq!(response.status(), 200);
    }
    let slug = app.get_json(&format!("/api/v1/initiatives/{id}")).await["slug"]
        .as_str()
        .unwrap()
        .to_string();
    (id, slug)
}

#[actix_web::test]
async fn an_anonymous_crawler_of_every_public_endpoint_never_sees_a_visitors_email() {
    let app = TestApp::spawn().await;
    let (id, slug) = contributions(&app).await;

    let mut paths: Vec<String> = vec![
        "/api/v1/initiatives".into(),
        "/api/v1/initiatives?q=jardin".into(),
        "/api/v1/initiatives?near=43.29,5.36&radius=5000".into(),
        "/api/v1/initiatives.geojson".into(),
        "/api/v1/initiatives.geojson?bbox=5,43,6,44&limit=1".into(),
        format!("/api/v1/initiatives/{id}"),
        format!("/api/v1/initiatives/{slug}"),
        format!("/api/v1/initiatives/{id}.geojson"),
        format!("/api/v1/initiatives/{id}/revisions"),
        "/api/v1/export/initiatives.geojson".into(),
        "/api/v1/export/initiatives.geojsonseq".into(),
        "/api/v1/export/initiatives.csv".into(),
        "/api/v1/changes?limit=1000".into(),
        "/catalog".into(),
        "/catalog.jsonld".into(),
        "/ogc".into(),
        "/ogc/collections/initiatives/items?limit=1000".into(),
        format!("/ogc/collections/initiatives/items/{id}"),
        "/api/v1/categories".into(),
        "/api/v1/config".into(),
        "/api/v1/suggestions".into(),
        "/api/v1/reports".into(),
        "/api/v1/duplicates".into(),
        "/api/v1/import-conflicts".into(),
        "/api/v1/sources".into(),
        "/api/v1/tokens".into(),
        "/api/openapi.json".into(),
        "/api/v1/initiatives?moderation=pending".into(),
        "/api/v1/initiatives?bbox=nonsense".into(),
        "/api/v1/no-such-thing".into(),
        "/healthz".into(),
        "/readyz".into(),
    ];
    for z in [0, 3, 6, 9, 12, 15, 18] {
        let (x, y) = tile_of(43.2907, 5.3587, z);
        paths.push(format!("/api/v1/tiles/{z}/{x}/{y}.mvt"));
    }
    // Every GET the API documents, with the keys filled in.
    let openapi = app.get_json("/api/openapi.json").await;
    for (path, item) in openapi["paths"].as_object().unwrap() {
        if item.get("get").is_some() && !path.contains("{z}") {
            paths.push(
                path.replace("{key}", &id)
                    .replace("{id}", "1")
                    .replace("{name}", "admin"),
            );
        }
    }
    let mut seen = 0;
    for path in &paths {
        let response = app.get(path).await;
        let head = format!("{:?}", response.headers());
        let body = response.bytes().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        for secret in [SUGGESTER, REPORTER, "private.example"] {
            assert!(
                !text.contains(secret) && !head.contains(secret),
                "GET {path} shows a visitor's e-mail"
            );
        }
        seen += 1;
    }
    assert!(seen > 30, "the crawl covered {seen} addresses");

    // Nor is it anywhere an editor's history would show it.
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let leaked: N = diesel::sql_query(
        "SELECT count(*) AS n FROM revisions WHERE reason LIKE '%private.example%' OR new_values::text LIKE '%private.example%' OR old_values::text LIKE '%private.example%'",
    )
    .get_result(&mut app.db.connect())
    .unwrap();
    assert_eq!(leaked.n, 0);
}

#[actix_web::test]
async fn the_history_is_for_editors_and_the_public_sees_when_it_last_changed() {
    let app = TestApp::spawn().await;
    let (id, _) = contributions(&app).await;
    let response = app
        .get(&format!("/api/v1/initiatives/{id}/revisions"))
        .await;
    assert_eq!(response.status(), 401);
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    let reasons: Vec<&Value> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["reason"])
        .collect();
    assert_eq!(
        reasons,
        [
            &json!("suggested on the map"),
            &Value::Null,
            &json!("vu sur place")
        ]
    );
    let public = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
    assert!(public["updated_at"].as_str().unwrap().starts_with("20"));
}

#[actix_web::test]
async fn purging_erases_who_wrote_closed_contributions_and_keeps_what_they_said() {
    let app = TestApp::spawn().await;
    let (_, _) = contributions(&app).await;
    // A second suggestion, still pending: its e-mail is needed to answer.
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .json(
            &json!({"name": "Boîte à livres du Panier", "lat": 43.2990, "lon": 5.3680,
                      "categories": ["book-box"], "submitter_email": "carol@pending.example"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let reports = app.get_json_as("/api/v1/reports", &app.editor_token).await;
    let report_id = reports["reports"][0]["id"].as_i64().unwrap();
    let closed = app
        .patch(
            &format!("/api/v1/reports/{report_id}"),
            &json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(closed.status(), 204);

    let mut conn = app.db.connect();
    // Nothing is old enough yet.
    let purged = suggestion::purge(&mut conn, std::time::Duration::from_secs(3600)).unwrap();
    assert_eq!((purged.suggestion_emails, purged.report_emails), (0, 0));
    let purged = suggestion::purge(&mut conn, std::time::Duration::ZERO).unwrap();
    assert_eq!((purged.suggestion_emails, purged.report_emails), (1, 1));

    let inbox = app
        .get_json_as("/api/v1/suggestions", &app.editor_token)
        .await;
    assert_eq!(
        inbox["suggestions"][0]["submitter_email"], "carol@pending.example",
        "a pending suggestion keeps its e-mail"
    );
    let resolved = app
        .get_json_as("/api/v1/reports?status=resolved", &app.editor_token)
        .await;
    assert_eq!(resolved["reports"][0]["message"], "Fermé le lundi");
    assert_eq!(resolved["reports"][0]["contact_email"], Value::Null);
}

#[test]
fn the_migration_takes_e_mails_out_of_stored_revisions() {
    let db = archipel_tests::TestDb::new();
    let mut conn = db.connect();
    // Back to the schema before private contributions (migration 10 and every later one
    // reverted), with a suggestion stored the old way.
    #[derive(QueryableByName)]
    struct Newer {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let newer = diesel::sql_query(
        "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version >= '20261201000010'",
    )
    .get_result::<Newer>(&mut conn)
    .unwrap()
    .n;
    assert!(newer >= 3, "{newer}");
    migrate::revert_last(&mut conn, newer as usize).unwrap();
    conn.batch_execute(
        "INSERT INTO initiatives (id, slug, name, geom, moderation) VALUES
            ('0190a0a0-0000-7000-8000-000000000001', 'jardin', 'Jardin', ST_SetSRID(ST_MakePoint(5.36, 43.29), 4326), 'pending');
         INSERT INTO revisions (initiative_id, action, author, reason, after) VALUES
            ('0190a0a0-0000-7000-8000-000000000001', 'create', 'visitor', 'suggested on the map by old@private.example', '{}')",
    )
    .unwrap();
    migrate::run_pending(&mut conn).unwrap();
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        email: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        reason: Option<String>,
    }
    let row: Row = diesel::sql_query(
        "SELECT s.submitter_email AS email, r.reason FROM suggestions s JOIN revisions r USING (initiative_id)",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(row.email.as_deref(), Some("old@private.example"));
    assert_eq!(row.reason.as_deref(), Some("suggested on the map"));
}
