//! What people do with the directory, end to end.

use archipel_tests::TestApp;
use serde_json::{Value, json};

#[actix_web::test]
async fn an_editor_creates_corrects_and_archives_an_initiative_and_the_revisions_show_each_step() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({
            "name": "Repair Café du Capitole",
            "description": "Réparation de petit électroménager, un samedi par mois",
            "lat": 43.6045, "lon": 1.4440,
            "categories": ["repair-cafe"],
            "opening_hours": "Sa 14:00-18:00",
            "address": {"street": "Place du Capitole", "postcode": "31000", "city": "Toulouse", "country_code": "fr", "insee_code": "31555"},
            "contact": {"website": "https://repair.example.org", "email": "contact@repair.example.org", "phone": "+33 5 61 00 00 00"},
            "reason": "inventaire 2026"
        }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["slug"], "repair-cafe-du-capitole");
    assert_eq!(created["address"]["country_code"], "FR");
    assert_eq!(created["version"], 1);

    // Correct it, quoting the version read.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/initiatives/{id}")))
        .bearer_auth(&app.editor_token)
        .header("If-Match", "\"1.json\"")
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({"opening_hours": "Sa 10:00-12:00", "contact": {"phone": null}, "reason": "horaires vérifiés"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2.json\"");
    let corrected: Value = response.json().await.unwrap();
    assert_eq!(corrected["opening_hours"], "Sa 10:00-12:00");
    assert_eq!(corrected["contact"]["phone"], Value::Null);
    assert_eq!(
        corrected["contact"]["email"], "contact@repair.example.org",
        "untouched members stay"
    );

    // Archive it: gone from the public, still there for editors.
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/initiatives/{id}")))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/initiatives/{id}")).await.status(),
        410
    );
    let listed = app.get_json("/api/v1/initiatives").await;
    assert_eq!(listed["number_returned"], 0);

    let history: Value = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    let steps: Vec<(String, String, Value, Value)> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().into(),
                r["author"].as_str().unwrap().into(),
                r["reason"].clone(),
                r["changed"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "create".into(),
                "editor".into(),
                json!("inventaire 2026"),
                json!([])
            ),
            (
                "update".into(),
                "editor".into(),
                json!("horaires vérifiés"),
                json!(["opening_hours", "phone"])
            ),
            (
                "archive".into(),
                "editor".into(),
                Value::Null,
                json!(["moderation"])
            ),
        ]
    );
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(
        revisions[1]["before"]["properties"]["opening_hours"],
        "Sa 14:00-18:00"
    );
    assert_eq!(
        revisions[1]["after"]["properties"]["opening_hours"],
        "Sa 10:00-12:00"
    );
    assert_eq!(revisions[1]["after"]["type"], "Feature");
}

#[actix_web::test]
async fn an_unchanged_patch_writes_no_revision() {
    let app = TestApp::spawn().await;
    let created = app.create(json!({"name": "Jardin des Plantes partagé", "lat": 43.59, "lon": 1.45, "tags": ["potager"]})).await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .send_as(
            reqwest::Method::PATCH,
            &format!("/api/v1/initiatives/{id}"),
            &app.editor_token,
            &json!({"tags": ["potager"]}),
        )
        .await;
    assert_eq!(response.headers()["etag"], "\"1.json\"");
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    assert_eq!(history["revisions"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_reader_gets_json_or_geojson_with_etags() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({
            "name": "Jardin partagé du Verrier",
            "geometry": {"type": "Polygon", "coordinates": [[[1.4390, 43.6135], [1.4395, 43.6135], [1.4395, 43.6139], [1.4390, 43.6139], [1.4390, 43.6135]]]},
            "categories": ["shared-garden"]
        }))
        .await;
    let slug = created["slug"].as_str().unwrap();
    // The map's point is inside the garden.
    let (lon, lat) = (
        created["point"]["lon"].as_f64().unwrap(),
        created["point"]["lat"].as_f64().unwrap(),
    );
    assert!((1.4390..=1.4395).contains(&lon) && (43.6135..=43.6139).contains(&lat));

    let response = app
        .get(&format!("/api/v1/initiatives/{slug}.geojson"))
        .await;
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let feature: Value = response.json().await.unwrap();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["id"], created["id"]);
    assert_eq!(feature["geometry"]["type"], "Polygon");
    assert_eq!(
        feature["properties"]["categories"],
        json!(["shared-garden"])
    );
    assert_eq!(feature["properties"]["main_category"], "shared-garden");

    // Content negotiation gives the same Feature.
    let negotiated = app
        .client
        .get(app.url(&format!("/api/v1/initiatives/{slug}")))
        .header("Accept", "application/geo+json")
        .send()
        .await
        .unwrap();
    assert_eq!(negotiated.headers()["etag"].to_str().unwrap(), etag);

    let revalidated = app
        .client
        .get(app.url(&format!("/api/v1/initiatives/{slug}.geojson")))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
}

#[actix_web::test]
async fn a_stale_if_match_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let created = app
        .create(crate::initiative("Fablab des Minimes", 43.62, 1.43))
        .await;
    let id = created["id"].as_str().unwrap();
    let patch = |name: &'static str, etag: &'static str| {
        app.client
            .patch(app.url(&format!("/api/v1/initiatives/{id}")))
            .bearer_auth(&app.editor_token)
            .header("If-Match", etag)
            .json(&json!({ "name": name }))
            .send()
    };
    assert_eq!(
        patch("Fablab des Minimes (2)", "\"1.json\"")
            .await
            .unwrap()
            .status(),
        200
    );
    let before = app.db.fingerprint();
    let stale = patch("Fablab des Minimes (3)", "\"1.json\"").await.unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(app.db.fingerprint(), before);
}

#[actix_web::test]
async fn pending_initiatives_are_for_editors_only() {
    let app = TestApp::spawn().await;
    let mut pending = crate::initiative("Grainothèque de la médiathèque", 43.60, 1.44);
    pending["moderation"] = json!("pending");
    let created = app.create(pending).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/initiatives/{id}")).await.status(),
        404
    );
    assert_eq!(
        app.get_json("/api/v1/initiatives").await["number_returned"],
        0
    );
    let for_editor: Value = app
        .get_json_as("/api/v1/initiatives?moderation=pending", &app.editor_token)
        .await;
    assert_eq!(for_editor["number_returned"], 1);
}

#[actix_web::test]
async fn categories_form_a_tree_with_counts_of_published_initiatives() {
    let app = TestApp::spawn().await;
    app.create(
        json!({"name": "Repair café A", "lat": 43.6, "lon": 1.44, "categories": ["repair-cafe"]}),
    )
    .await;
    app.create(json!({"name": "Recyclerie B", "lat": 43.61, "lon": 1.45, "categories": ["recyclerie", "repair-cafe"]})).await;
    app.create(json!({"name": "Jardin C", "lat": 43.62, "lon": 1.46, "categories": ["shared-garden"], "moderation": "pending"})).await;
    let tree = app.get_json("/api/v1/categories").await;
    let families = tree["categories"].as_array().unwrap();
    let reuse = families
        .iter()
        .find(|c| c["slug"] == "reuse-repair")
        .unwrap();
    assert_eq!(
        reuse["count"], 2,
        "an initiative in two practices of a family counts once"
    );
    let practice = |slug: &str| {
        reuse["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["slug"] == slug)
            .unwrap()
            .clone()
    };
    assert_eq!(practice("repair-cafe")["count"], 2);
    assert_eq!(practice("recyclerie")["count"], 1);
    let food = families
        .iter()
        .find(|c| c["slug"] == "food-gardens")
        .unwrap();
    assert_eq!(food["count"], 0, "pending initiatives are not counted");
    assert!(families.len() >= 5);
    let practices: usize = families
        .iter()
        .map(|f| f["children"].as_array().unwrap().len())
        .sum();
    assert!(
        practices >= 18,
        "the taxonomy covers the collaborative practices"
    );
}

#[actix_web::test]
async fn tokens_are_managed_by_admins_and_revoked_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let created: Value = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/tokens",
            &app.admin_token,
            &json!({"name": "mairie-quartier-nord", "role": "editor"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["token"].as_str().unwrap().to_string();
    let write = |token: String| {
        app.client
            .post(app.url("/api/v1/initiatives"))
            .bearer_auth(token)
            .json(&crate::initiative("Boîte à livres du square", 43.6, 1.44))
            .send()
    };
    assert_eq!(write(secret.clone()).await.unwrap().status(), 201);
    // An editor cannot manage tokens.
    let forbidden = app
        .client
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    let revoked = app
        .client
        .delete(app.url("/api/v1/tokens/mairie-quartier-nord"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(write(secret).await.unwrap().status(), 401);
}

#[actix_web::test]
async fn probes_say_up_and_ready() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get_json("/readyz").await["status"], "ready");
}

#[actix_web::test]
async fn errors_speak_the_callers_language() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/initiatives?limit=zero"))
        .header("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "fr");
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("limit doit être un entier"),
        "{problem}"
    );
}

#[actix_web::test]
async fn the_built_map_is_served_with_the_right_caching_and_framing() {
    let dist =
        std::env::temp_dir().join(format!("archipel-dist-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>Archipel</title>",
    )
    .unwrap();
    std::fs::write(
        dist.join("embed.html"),
        "<!doctype html><title>Archipel embed</title>",
    )
    .unwrap();
    std::fs::write(dist.join("assets/app-1a2b3c.js"), "console.log(1)").unwrap();
    let app = TestApp::spawn_with(archipel_api::Settings {
        frontend_dir: Some(dist.clone()),
        ..Default::default()
    })
    .await;

    let index = app.get("/").await;
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let csp = index.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
    // A front-end route (a shared link) gets the app.
    let deep = app.get("/initiative/repair-cafe-du-capitole").await;
    assert_eq!(deep.status(), 200);
    assert!(
        deep.text()
            .await
            .unwrap()
            .contains("<title>Archipel</title>")
    );
    let asset = app.get("/assets/app-1a2b3c.js").await;
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(app.get("/assets/missing-000.js").await.status(), 404);
    let embed = app.get("/embed").await;
    let csp = embed.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");
    // API paths never fall back to the app; nothing escapes the directory.
    assert_eq!(
        app.get("/api/v1/nothing").await.headers()["content-type"],
        "application/problem+json"
    );
    std::fs::write(
        dist.parent().unwrap().join("secret.txt"),
        "outside the front end",
    )
    .ok();
    for attempt in [
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
    ] {
        let body = app.get(attempt).await.text().await.unwrap();
        assert!(
            !body.contains("outside the front end"),
            "{attempt} escaped the directory"
        );
    }
    assert_eq!(
        app.get_json("/api/v1/config").await["default_view"]["zoom"],
        5.0
    );
    std::fs::remove_dir_all(dist).unwrap();
}

/// The initiative's stored Feature now: what a revision's `after` showed when revisions kept
/// whole Features.
fn stored_feature(app: &TestApp, id: &str) -> Value {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct F {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        feature: Value,
    }
    diesel::sql_query(format!(
        "SELECT feature::jsonb AS feature FROM initiatives WHERE id = '{id}'"
    ))
    .get_result::<F>(&mut app.db.connect())
    .unwrap()
    .feature
}

#[actix_web::test]
async fn revisions_keep_what_changed_and_the_history_shows_each_whole_version() {
    let app = TestApp::spawn().await;
    let cafe = app
        .create(
            json!({"name": "Repair Café des Chartrons", "lat": 44.853, "lon": -0.571,
                       "categories": ["repair-cafe"], "opening_hours": "Sa 14:00-18:00"}),
        )
        .await;
    let garden = app
        .create(json!({"name": "Jardin du Lac", "lat": 44.88, "lon": -0.56, "categories": ["shared-garden"]}))
        .await;
    let id = cafe["id"].as_str().unwrap().to_string();
    let mut versions = vec![stored_feature(&app, &id)];
    let path = format!("/api/v1/initiatives/{id}");
    // Moved and renamed; then linked to the garden; then its hours corrected.
    let moved = app
        .patch(
            &path,
            &json!({"name": "Repair Café Chartrons", "lat": 44.854, "lon": -0.572}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    versions.push(stored_feature(&app, &id));
    let linked = app
        .send_as(
            reqwest::Method::POST,
            &format!("{path}/links"),
            &app.editor_token,
            &json!({"to": garden["id"], "kind": "partner"}),
        )
        .await;
    assert_eq!(linked.status(), 201);
    let hours = app
        .patch(&path, &json!({"opening_hours": "Sa 10:00-12:00"}))
        .await;
    assert_eq!(hours.status(), 200);
    versions.push(stored_feature(&app, &id));

    // Stored: nothing for the creation, the changed fields for the others.
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        keys: Option<String>,
    }
    let stored: Vec<(String, Option<String>)> = diesel::sql_query(format!(
        "SELECT action, (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(old_values) k
                         WHERE k NOT IN ('updated_at', 'fetched_at')) AS keys
         FROM revisions WHERE initiative_id = '{id}' ORDER BY id"
    ))
    .load::<Stored>(&mut app.db.connect())
    .unwrap()
    .into_iter()
    .map(|s| (s.action, s.keys))
    .collect();
    assert_eq!(
        stored,
        vec![
            ("create".to_string(), None),
            ("update".to_string(), Some("geometry,name".to_string())),
            ("link".to_string(), Some("initiative_links".to_string())),
            ("update".to_string(), Some("opening_hours".to_string())),
        ]
    );

    // Shown: each version whole, as it was.
    let history = app
        .get_json_as(&format!("{path}/revisions"), &app.editor_token)
        .await;
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 4);
    assert_eq!(revisions[0]["before"], Value::Null);
    assert_eq!(revisions[0]["after"], versions[0]);
    assert_eq!(revisions[1]["before"], versions[0]);
    assert_eq!(revisions[1]["after"], versions[1]);
    assert_eq!(revisions[1]["changed"], json!(["geometry", "name"]));
    // The link revision alone shows the links, before and after.
    assert_eq!(
        revisions[2]["before"]["properties"]["initiative_links"],
        json!([])
    );
    assert_eq!(
        revisions[2]["after"]["properties"]["initiative_links"][0]["initiative"],
        garden["id"]
    );
    let mut without_links = revisions[2]["after"].clone();
    without_links["properties"]
        .as_object_mut()
        .unwrap()
        .remove("initiative_links");
    assert_eq!(without_links, versions[1]);
    assert_eq!(revisions[3]["before"], versions[1]);
    assert_eq!(revisions[3]["after"], versions[2]);
    assert_eq!(revisions[3]["changed"], json!(["opening_hours"]));
}
