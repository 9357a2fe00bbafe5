//! The evaluation grid: its shape, administrators' versioned edits, editors' assessments (with
//! their refusals), who may read them, and their means per territory.

use crate::initiative;
use archipel_api::Settings;
use archipel_store::token::{self, Role};
use archipel_tests::{TestApp, archipel_binary, repo_file};
use reqwest::Method;
use serde_json::{Value, json};

fn import_territories(app: &TestApp) {
    for (level, file) in [
        ("region", "regions.geojson"),
        ("departement", "departements.geojson"),
        ("epci", "epci.geojson"),
        ("commune", "communes.geojson"),
    ] {
        let status = std::process::Command::new(archipel_binary())
            .env("DATABASE_URL", &app.db.url)
            .args(["territory", "import", "--level", level])
            .arg(repo_file(&format!("tests/fixtures/territories/{file}")))
            .status()
            .unwrap();
        assert!(status.success());
    }
}

async fn assess(app: &TestApp, key: &str, token: &str, body: Value) -> reqwest::Response {
    app.send_as(
        Method::POST,
        &format!("/api/v1/initiatives/{key}/assessments"),
        token,
        &body,
    )
    .await
}

#[actix_web::test]
async fn the_grid_has_dimensions_of_criteria_with_questions_and_a_scale() {
    let app = TestApp::spawn().await;
    let grid = app.get_json("/api/v1/evaluation/criteria").await;
    let dimensions: Vec<&str> = grid["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        dimensions,
        [
            "environment",
            "social",
            "economy",
            "governance",
            "territorial-anchoring"
        ]
    );
    for dimension in grid["dimensions"].as_array().unwrap() {
        assert!(dimension["name"].is_string());
        let criteria = dimension["criteria"].as_array().unwrap();
        assert!(criteria.len() >= 2, "{dimension}");
        for c in criteria {
            assert!(c["slug"].is_string() && c["name"].is_string() && c["question"].is_string());
            assert_eq!(c["scale"]["min"], -1);
            assert_eq!(c["scale"]["max"], 2);
        }
    }
    let environment = &grid["dimensions"][0];
    assert_eq!(environment["name"], "Environment");
    assert_eq!(environment["criteria"][0]["slug"], "longer-life");
    let french = app.get_json("/api/v1/evaluation/criteria?lang=fr").await;
    assert_eq!(french["dimensions"][0]["name"], "Environnement");
    assert_eq!(
        french["dimensions"][0]["criteria"][0]["name"],
        "Durée de vie des biens"
    );
}

#[actix_web::test]
async fn editors_assess_within_the_scale_and_the_history_is_kept_for_editors() {
    let app = TestApp::spawn().await;
    let moderator = token::create(&mut app.db.connect(), "moderator", Role::Moderator).unwrap();
    let created = app.create(initiative("Repair café", 48.40, -4.50)).await;
    let slug = created["slug"].as_str().unwrap();
    let good = json!({"scores": {"longer-life": 2, "waste-avoided": 1, "local-jobs": null},
                      "evidence": "Rapport d'activité 2025 : 312 objets réparés."});

    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/initiatives/{slug}/assessments")))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        assess(&app, slug, &moderator, good.clone()).await.status(),
        403
    );

    let first = assess(&app, slug, &app.editor_token, good.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["assessor"], "editor");
    assert_eq!(first["scores"]["longer-life"], 2);
    assert_eq!(first["scores"]["local-jobs"], Value::Null);
    assert_eq!(first["versions"]["longer-life"], 1);

    for (body, field) in [
        (json!({"scores": {"longer-life": 3}}), "/scores/longer-life"),
        (
            json!({"scores": {"longer-life": -2}}),
            "/scores/longer-life",
        ),
        (json!({"scores": {"happiness": 1}}), "/scores/happiness"),
        (
            json!({"scores": {"longer-life": 1.5}}),
            "/scores/longer-life",
        ),
        (
            json!({"scores": {"longer-life": "2"}}),
            "/scores/longer-life",
        ),
        (json!({"scores": {}}), "/scores"),
    ] {
        let refused = assess(&app, slug, &app.editor_token, body.clone()).await;
        assert_eq!(refused.status(), 422, "{body}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let missing = assess(&app, "nowhere-at-all", &app.editor_token, good.clone()).await;
    assert_eq!(missing.status(), 404);

    let second = assess(
        &app,
        slug,
        &app.editor_token,
        json!({"scores": {"longer-life": -1}}),
    )
    .await;
    assert_eq!(second.status(), 201);

    let path = format!("/api/v1/initiatives/{slug}/assessments");
    assert_eq!(app.get(&path).await.status(), 401);
    let history = app.get_json_as(&path, &app.editor_token).await;
    let history = history["assessments"].as_array().unwrap();
    assert_eq!(history.len(), 2, "the refused ones left nothing");
    assert_eq!(history[0]["scores"]["longer-life"], -1, "newest first");
    assert_eq!(
        history[1]["evidence"],
        "Rapport d'activité 2025 : 312 objets réparés."
    );
}

#[actix_web::test]
async fn an_authority_may_make_assessments_public() {
    let app = TestApp::spawn_with(Settings {
        assessments_public: true,
        ..Settings::default()
    })
    .await;
    let created = app.create(initiative("Jardin", 48.40, -4.50)).await;
    let slug = created["slug"].as_str().unwrap();
    let response = assess(
        &app,
        slug,
        &app.editor_token,
        json!({"scores": {"ties-created": 2}}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let public = app
        .get_json(&format!("/api/v1/initiatives/{slug}/assessments"))
        .await;
    assert_eq!(public["assessments"][0]["scores"]["ties-created"], 2);
}

#[actix_web::test]
async fn administrators_add_and_revise_criteria_in_versions() {
    let app = TestApp::spawn().await;
    let criterion = json!({
        "slug": "repair-rate", "dimension": "environment",
        "name": {"fr": "Taux de réparation", "en": "Repair rate"},
        "question": {"fr": "Quelle part des objets apportés repart réparée ?",
                     "en": "What share of the objects brought in leaves repaired?"},
        "scale": {"min": 0, "max": 3}
    });
    let by_editor = app
        .send_as(
            Method::POST,
            "/api/v1/evaluation/criteria",
            &app.editor_token,
            &criterion,
        )
        .await;
    assert_eq!(by_editor.status(), 403);
    let added = app
        .send_as(
            Method::POST,
            "/api/v1/evaluation/criteria",
            &app.admin_token,
            &criterion,
        )
        .await;
    assert_eq!(added.status(), 201);
    let again = app
        .send_as(
            Method::POST,
            "/api/v1/evaluation/criteria",
            &app.admin_token,
            &criterion,
        )
        .await;
    assert_eq!(again.status(), 409);
    let mut bad = criterion.clone();
    bad["slug"] = json!("other");
    bad["dimension"] = json!("happiness");
    let refused = app
        .send_as(
            Method::POST,
            "/api/v1/evaluation/criteria",
            &app.admin_token,
            &bad,
        )
        .await;
    assert_eq!(refused.status(), 422);

    // Scored at version 1, then revised: the assessment keeps its version.
    let created = app.create(initiative("Repair café", 48.40, -4.50)).await;
    let slug = created["slug"].as_str().unwrap();
    let scored = assess(
        &app,
        slug,
        &app.editor_token,
        json!({"scores": {"repair-rate": 3}}),
    )
    .await;
    assert_eq!(scored.status(), 201);
    let mut revised = criterion.clone();
    revised.as_object_mut().unwrap().remove("slug");
    revised["name"]["en"] = json!("Share repaired");
    revised["scale"] = json!({"min": -1, "max": 2});
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/evaluation/criteria/repair-rate",
            &app.admin_token,
            &revised,
        )
        .await;
    assert_eq!(response.status(), 200);
    let response: Value = response.json().await.unwrap();
    assert_eq!(response["version"], 2);
    let grid = app.get_json("/api/v1/evaluation/criteria").await;
    let environment = &grid["dimensions"][0]["criteria"];
    let rate = environment
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "repair-rate")
        .unwrap();
    assert_eq!(rate["name"], "Share repaired");
    assert_eq!(rate["version"], 2);
    assert_eq!(rate["scale"]["max"], 2);
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{slug}/assessments"),
            &app.editor_token,
        )
        .await;
    assert_eq!(history["assessments"][0]["versions"]["repair-rate"], 1);
    // 3 was in the first version's scale, not in the second's.
    assert_eq!(
        assess(
            &app,
            slug,
            &app.editor_token,
            json!({"scores": {"repair-rate": 3}})
        )
        .await
        .status(),
        422
    );
    let missing = app
        .send_as(
            Method::PUT,
            "/api/v1/evaluation/criteria/nothing-here",
            &app.admin_token,
            &revised,
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[actix_web::test]
async fn a_territory_shows_the_means_of_its_latest_assessments_beside_its_parent() {
    let app = TestApp::spawn().await;
    import_territories(&app);
    let a = app.create(initiative("A", 48.40, -4.50)).await; // Brest
    let b = app.create(initiative("B", 48.41, -4.45)).await; // Brest
    let c = app.create(initiative("C", 48.40, -4.35)).await; // Guipavas
    app.create(initiative("D", 48.42, -4.55)).await; // Brest, not assessed
    let score = |key: &Value, scores: Value| {
        let key = key["slug"].as_str().unwrap().to_string();
        let app = &app;
        async move {
            let r = assess(app, &key, &app.editor_token, json!({ "scores": scores })).await;
            assert_eq!(r.status(), 201);
        }
    };
    // A's first assessment is replaced by its second: only the latest counts.
    score(&a, json!({"longer-life": -1, "waste-avoided": -1})).await;
    score(
        &a,
        json!({"longer-life": 2, "waste-avoided": 1, "ties-created": 2}),
    )
    .await;
    score(&b, json!({"longer-life": 1, "waste-avoided": null})).await;
    score(&c, json!({"longer-life": -1})).await;

    let brest = app.get_json("/api/v1/territories/29019").await;
    let evaluation = &brest["evaluation"];
    assert_eq!(evaluation["assessed"], 2);
    assert_eq!(evaluation["share_assessed"], 0.667);
    assert_eq!(
        evaluation["compared_with"],
        json!({"level": "epci", "code": "242900314"})
    );
    assert_eq!(evaluation["compared_assessed"], 3);
    let environment = &evaluation["dimensions"][0];
    assert_eq!(environment["slug"], "environment");
    // A: mean(2, 1) = 1.5; B: 1 (waste not applicable) → 1.25.
    assert_eq!(environment["mean"], 1.25);
    assert_eq!(environment["assessed"], 2);
    // With Guipavas's C (−1): (1.5 + 1 − 1) / 3 = 0.5.
    assert_eq!(environment["compared_mean"], 0.5);
    let longer_life = &environment["criteria"][0];
    assert_eq!(longer_life["slug"], "longer-life");
    assert_eq!(longer_life["mean"], 1.5);
    assert_eq!(longer_life["compared_mean"], 0.67);
    let social = &evaluation["dimensions"][1];
    assert_eq!(social["mean"], 2.0);
    assert_eq!(evaluation["dimensions"][2]["mean"], Value::Null);

    let csv = app.get("/api/v1/territories/29019/evaluation.csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "level,code,dimension,criterion,name_fr,name_en,mean,assessed,compared_level,compared_code,compared_mean"
    );
    assert!(
        lines.contains(
            &"commune,\"29019\",\"environment\",\"\",\"Environnement\",\"Environment\",1.25,2,epci,\"242900314\",0.5"
        ),
        "{csv}"
    );
    assert!(
        lines.contains(
            &"commune,\"29019\",\"environment\",\"longer-life\",\"Durée de vie des biens\",\"Longer life of goods\",1.5,2,epci,\"242900314\",0.67"
        ),
        "{csv}"
    );
    assert_eq!(
        app.get("/api/v1/territories/29999/evaluation.csv")
            .await
            .status(),
        404
    );
}
