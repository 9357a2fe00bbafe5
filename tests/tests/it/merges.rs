//! Merging two initiatives that are one place: the merged one leaves every list, map and export,
//! its addresses send to the kept one for good, its history and its feed record follow.

use crate::imports::{assert_ok, desk, import_gardens, toulouse_feed};
use crate::initiative;
use archipel_store::token::{self, Role};
use archipel_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    archipel_importer::fetch::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn merge(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.send_as(
        Method::POST,
        &format!("/api/v1/initiatives/{key}/merge"),
        &app.editor_token,
        &body,
    )
    .await
}

/// Where `path` redirects to (the `Location` of a 301, without the server's address).
async fn moved_to(app: &TestApp, path: &str, accept: Option<&str>) -> String {
    let mut request = no_redirects().get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY,
        "GET {path}"
    );
    let location = response.headers()["location"].to_str().unwrap().to_string();
    location.trim_start_matches(&app.address).to_string()
}

fn id(initiative: &Value) -> String {
    initiative["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_merged_initiative_leaves_every_list_and_its_addresses_send_to_the_kept_one() {
    let app = TestApp::spawn().await;
    let merged = app
        .create(
            json!({"name": "Repair Café Saint-Cyprien", "lat": 43.5986, "lon": 1.4320,
                       "contact": {"website": "https://repair-stcyp.example.org"}}),
        )
        .await;
    let kept = app
        .create(initiative("Repair Café de Saint-Cyprien", 43.5987, 1.4321))
        .await;
    let (merged_id, kept_id) = (id(&merged), id(&kept));
    let merged_slug = merged["slug"].as_str().unwrap().to_string();

    let response = merge(
        &app,
        &merged_slug,
        json!({"into": kept_id, "reason": "the same café"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], kept_id, "the answer is the kept initiative");
    assert_eq!(
        body["contact"]["website"],
        Value::Null,
        "the kept one keeps its own values"
    );

    let kept_url = format!("/api/v1/initiatives/{kept_id}");
    assert_eq!(
        moved_to(&app, &format!("/api/v1/initiatives/{merged_id}"), None).await,
        kept_url
    );
    assert_eq!(
        moved_to(&app, &format!("/api/v1/initiatives/{merged_slug}"), None).await,
        kept_url
    );
    assert_eq!(
        moved_to(
            &app,
            &format!("/api/v1/initiatives/{merged_id}.geojson?lang=fr"),
            None
        )
        .await,
        format!("{kept_url}.geojson?lang=fr"),
        "the same form and query string"
    );
    assert_eq!(
        moved_to(
            &app,
            &format!("/api/v1/initiatives/{merged_slug}"),
            Some("application/geo+json")
        )
        .await,
        kept_url
    );
    assert_eq!(
        moved_to(
            &app,
            &format!("/ogc/collections/initiatives/items/{merged_id}"),
            None
        )
        .await,
        format!("/ogc/collections/initiatives/items/{kept_id}")
    );
    // Editors too are sent on: a merged initiative is no record of its own any more.
    let as_editor = no_redirects()
        .get(app.url(&format!("/api/v1/initiatives/{merged_id}")))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(as_editor.status(), StatusCode::MOVED_PERMANENTLY);

    let ids = |items: &Value| -> Vec<String> { items.as_array().unwrap().iter().map(id).collect() };
    let listed = app.get_json("/api/v1/initiatives").await;
    assert_eq!(ids(&listed["items"]), vec![kept_id.clone()]);
    let geojson = app.get_json("/api/v1/initiatives.geojson").await;
    assert_eq!(ids(&geojson["features"]), vec![kept_id.clone()]);
    let every_state = app
        .get_json_as(
            "/api/v1/initiatives?moderation=pending,published,rejected,archived,withdrawn",
            &app.editor_token,
        )
        .await;
    assert_eq!(
        ids(&every_state["items"]),
        vec![kept_id.clone()],
        "not even for editors"
    );
    let asked = app
        .client
        .get(app.url("/api/v1/initiatives?moderation=merged"))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::BAD_REQUEST);
    let csv = app
        .get("/api/v1/export/initiatives.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&kept_id) && !csv.contains(&merged_id), "{csv}");
    let ogc = app.get_json("/ogc/collections/initiatives/items").await;
    assert_eq!(ids(&ogc["features"]), vec![kept_id.clone()]);

    // Its point left the map.
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let on_map: N = diesel::RunQueryDsl::get_result(
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM map_points WHERE id = '{merged_id}'"
        )),
        &mut app.db.connect(),
    )
    .unwrap();
    assert_eq!(on_map.n, 0);

    // It cannot be changed any more: the kept one is the one to change.
    let patched = app
        .patch(
            &format!("/api/v1/initiatives/{merged_id}"),
            &json!({"description": "x"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::CONFLICT);
}

#[actix_web::test]
async fn the_kept_one_may_take_values_of_the_merged_one_when_asked() {
    let app = TestApp::spawn().await;
    let merged = app
        .create(
            json!({"name": "AMAP des Minimes", "lat": 43.62, "lon": 1.43,
                       "contact": {"website": "https://amap-minimes.example.org", "phone": "05 61 00 00 00"}}),
        )
        .await;
    let kept = app.create(initiative("AMAP Minimes", 43.62, 1.43)).await;
    let response = merge(
        &app,
        &id(&merged),
        json!({"into": id(&kept), "fields": {"website": "merged", "phone": "kept", "email": null}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["contact"]["website"],
        "https://amap-minimes.example.org/"
    );
    assert_eq!(body["contact"]["phone"], Value::Null);
    let unknown = merge(
        &app,
        &id(&kept),
        json!({"into": id(&merged), "fields": {"colour": "merged"}}),
    )
    .await;
    assert_eq!(
        unknown.status(),
        StatusCode::BAD_REQUEST,
        "an unknown field is refused"
    );
}

#[actix_web::test]
async fn only_editors_merge_and_a_refused_merge_changes_nothing() {
    let app = TestApp::spawn().await;
    let a = app.create(initiative("Fablab A", 45.0, 4.0)).await;
    let b = app.create(initiative("Fablab B", 45.0, 4.0)).await;
    let moderator = token::create(&mut app.db.connect(), "mo", Role::Moderator).unwrap();
    let path = format!("/api/v1/initiatives/{}/merge", id(&a));
    let body = json!({"into": id(&b)});
    let anonymous = app
        .client
        .post(app.url(&path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let as_moderator = app.send_as(Method::POST, &path, &moderator, &body).await;
    assert_eq!(as_moderator.status(), StatusCode::FORBIDDEN);
    for response in [anonymous, as_moderator] {
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let still = app.get(&format!("/api/v1/initiatives/{}", id(&a))).await;
    assert_eq!(still.status(), StatusCode::OK, "nothing changed");
    assert_eq!(
        app.get_json("/api/v1/initiatives").await["number_returned"],
        2
    );
}

#[actix_web::test]
async fn impossible_merges_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    let a = app.create(initiative("Tiers-lieu A", 47.2, -1.55)).await;
    let b = app.create(initiative("Tiers-lieu B", 47.2, -1.55)).await;
    let c = app.create(initiative("Tiers-lieu C", 47.2, -1.55)).await;
    let (a, b, c) = (id(&a), id(&b), id(&c));

    let problem = |expected: StatusCode, code: &'static str| {
        move |response: reqwest::Response| async move {
            assert_eq!(response.status(), expected);
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            let body: Value = response.json().await.unwrap();
            assert!(body.to_string().contains(code), "{body}");
        }
    };
    problem(StatusCode::UNPROCESSABLE_ENTITY, "merge_into_itself")(
        merge(&app, &a, json!({"into": a})).await,
    )
    .await;
    problem(StatusCode::NOT_FOUND, "not_found")(
        merge(
            &app,
            &a,
            json!({"into": "0190c0de-0000-7000-8000-000000000000"}),
        )
        .await,
    )
    .await;
    problem(StatusCode::NOT_FOUND, "not_found")(
        merge(&app, &a, json!({"into": "no-such-place"})).await,
    )
    .await;
    problem(StatusCode::NOT_FOUND, "not_found")(
        merge(&app, "no-such-place", json!({"into": b})).await,
    )
    .await;

    assert_eq!(
        merge(&app, &a, json!({"into": b})).await.status(),
        StatusCode::OK
    );
    problem(StatusCode::CONFLICT, "conflict")(merge(&app, &a, json!({"into": c})).await).await;
    problem(StatusCode::UNPROCESSABLE_ENTITY, "merged_already")(
        merge(&app, &c, json!({"into": a})).await,
    )
    .await;

    // A chain ends on the final initiative.
    assert_eq!(
        merge(&app, &b, json!({"into": c})).await.status(),
        StatusCode::OK
    );
    let c_url = format!("/api/v1/initiatives/{c}");
    assert_eq!(
        moved_to(&app, &format!("/api/v1/initiatives/{a}"), None).await,
        c_url
    );
    assert_eq!(
        moved_to(&app, &format!("/api/v1/initiatives/{b}"), None).await,
        c_url
    );
}

#[actix_web::test]
async fn the_feed_says_merged_with_where_to_and_a_replay_gives_the_published_set() {
    let app = TestApp::spawn().await;
    let merged = app
        .create(initiative("Jardin du Ramier", 43.59, 1.43))
        .await;
    let kept = app
        .create(initiative("Jardin partagé du Ramier", 43.59, 1.43))
        .await;
    let other = app.create(initiative("Compost Ramier", 43.59, 1.44)).await;
    let (merged, kept) = (id(&merged), id(&kept));
    assert_eq!(
        merge(&app, &merged, json!({"into": kept})).await.status(),
        StatusCode::OK
    );

    let feed = app.get_json("/api/v1/changes?limit=1000").await;
    let changes = feed["changes"].as_array().unwrap();
    let of_merged: Vec<&Value> = changes.iter().filter(|c| c["id"] == merged).collect();
    assert_eq!(of_merged.len(), 2, "{of_merged:?}");
    assert_eq!(of_merged[0]["change"], "created");
    assert_eq!(of_merged[1]["change"], "merged");
    assert_eq!(of_merged[1]["merged_into"], kept);
    assert!(of_merged[1]["at"].is_string());

    let mut replay = std::collections::BTreeSet::new();
    for change in changes {
        let id = change["id"].as_str().unwrap().to_string();
        match change["change"].as_str().unwrap() {
            "created" => assert!(replay.insert(id)),
            "updated" => assert!(replay.contains(&id)),
            "deleted" | "merged" => assert!(replay.remove(&id)),
            other => panic!("unexpected change {other}"),
        }
    }
    let published: std::collections::BTreeSet<String> = [kept, id(&other)].into_iter().collect();
    assert_eq!(replay, published);
}

#[actix_web::test]
async fn the_kept_ones_history_holds_the_merged_ones_and_the_merge() {
    let app = TestApp::spawn().await;
    let merged = app
        .create(initiative("Ressourcerie Est", 48.85, 2.40))
        .await;
    let kept = app
        .create(initiative("La Ressourcerie de l'Est", 48.85, 2.40))
        .await;
    let (merged, kept) = (id(&merged), id(&kept));
    app.patch(
        &format!("/api/v1/initiatives/{merged}"),
        &json!({"description": "Ouverte le mercredi"}),
    )
    .await;
    assert_eq!(
        merge(&app, &merged, json!({"into": kept, "reason": "doublon"}))
            .await
            .status(),
        StatusCode::OK
    );
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{kept}/revisions"),
            &app.editor_token,
        )
        .await;
    let revisions = history["revisions"].as_array().unwrap();
    let summary: Vec<(String, String)> = revisions
        .iter()
        .map(|r| {
            (
                r["initiative_id"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (merged.clone(), "create".to_string()),
            (kept.clone(), "create".to_string()),
            (merged.clone(), "update".to_string()),
            (kept.clone(), "merge".to_string()),
        ]
    );
    let last = revisions.last().unwrap();
    assert_eq!(last["author"], "editor");
    assert_eq!(last["merged_from"], merged);
    assert_eq!(last["reason"], "doublon");
}

#[actix_web::test]
async fn a_reimport_of_a_merged_record_updates_the_kept_one_and_creates_nothing() {
    let desk = desk().await;
    let mut feed = toulouse_feed();
    import_gardens(&desk, &feed).await;
    let app = &desk.app;
    let kept = app
        .create(initiative("Jardin de la Pyramide (saisie)", 43.58, 1.40))
        .await;
    let kept_id = id(&kept);
    let record_id = |external: &str| {
        desk.text(&format!(
            "SELECT id::text AS t FROM initiatives WHERE source_id = 'toulouse' AND external_id = '{external}'"
        ))
    };
    // Record 13 goes into an initiative typed by hand, record 3 into record 10 of the same feed.
    let (thirteen, three, ten) = (record_id("13"), record_id("3"), record_id("10"));
    assert_eq!(
        merge(app, &thirteen, json!({"into": kept_id}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        merge(app, &three, json!({"into": ten})).await.status(),
        StatusCode::OK
    );
    let initiatives = desk.count("SELECT count(*) AS n FROM initiatives");

    let unchanged = desk.import("toulouse").await;
    assert_ok(&unchanged);
    assert_eq!((unchanged.counts.created, unchanged.counts.updated), (0, 0));

    feed["features"][3]["properties"]["slogan"] =
        json!("Les graines d'ici, d'ailleurs et de demain");
    feed["features"][0]["properties"]["slogan"] = json!("Le jardin des 6 sens");
    desk.feeds.put("gardens.geojson", feed.to_string());
    desk.feeds.without_etag("gardens.geojson");
    let outcome = desk.import("toulouse").await;
    assert_ok(&outcome);
    assert_eq!(
        (
            outcome.counts.created,
            outcome.counts.updated,
            outcome.counts.withdrawn
        ),
        (0, 1, 0),
        "the kept one is updated; record 3 is spoken for by record 10 of the same feed"
    );
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM initiatives"),
        initiatives,
        "nothing created"
    );
    let now = app
        .get_json(&format!("/api/v1/initiatives/{kept_id}"))
        .await;
    assert!(
        now["description"]
            .as_str()
            .unwrap()
            .contains("Les graines d'ici, d'ailleurs et de demain"),
        "{now}"
    );
    assert_eq!(now["name"], "Jardin de la Pyramide");
    let author = desk.text(&format!(
        "SELECT author AS t FROM revisions WHERE initiative_id = '{kept_id}' ORDER BY id DESC LIMIT 1"
    ));
    assert_eq!(author, "import:toulouse");

    let again = desk.import("toulouse").await;
    assert_ok(&again);
    assert_eq!(
        (again.counts.created, again.counts.updated),
        (0, 0),
        "an unchanged record rewrites nothing"
    );
}
