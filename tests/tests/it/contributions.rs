//! Visitors suggest initiatives and report corrections; editors review them.

use archipel_api::Settings;
use archipel_tests::TestApp;
use serde_json::{Value, json};

fn suggestion() -> Value {
    json!({
        "name": "Outilthèque de la Croix-Rousse",
        "description": "Prêt d'outils entre voisins",
        "lat": 45.7745, "lon": 4.8320,
        "categories": ["tool-library"],
        "contact": {"email": "outils@example.org"},
        "submitter_email": "voisine@example.org",
        "honeypot": ""
    })
}

#[actix_web::test]
async fn a_suggestion_waits_for_an_editor_and_stays_off_the_public_map() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .header("Accept-Language", "fr")
        .json(&suggestion())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["moderation"], "pending");
    assert!(body["message"].as_str().unwrap().starts_with("Merci"));
    let id = body["id"].as_str().unwrap();

    assert_eq!(
        app.get(&format!("/api/v1/initiatives/{id}")).await.status(),
        404
    );
    assert_eq!(
        app.get_json("/api/v1/initiatives.geojson").await["numberReturned"],
        0
    );
    let pending: Value = app
        .get_json_as("/api/v1/initiatives?moderation=pending", &app.editor_token)
        .await;
    assert_eq!(
        pending["items"][0]["name"],
        "Outilthèque de la Croix-Rousse"
    );
    let history: Value = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    assert_eq!(history["revisions"][0]["author"], "visitor");
    assert_eq!(history["revisions"][0]["reason"], "suggested on the map");
    let inbox: Value = app
        .get_json_as("/api/v1/suggestions", &app.editor_token)
        .await;
    assert_eq!(
        inbox["suggestions"][0]["submitter_email"],
        "voisine@example.org"
    );

    // An editor publishes it: now it is public.
    let published = app
        .send_as(
            reqwest::Method::PATCH,
            &format!("/api/v1/initiatives/{id}"),
            &app.editor_token,
            &json!({"moderation": "published"}),
        )
        .await;
    assert_eq!(published.status(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/initiatives/{id}")).await.status(),
        200
    );
}

#[actix_web::test]
async fn bots_and_floods_are_turned_away_with_a_readable_reason() {
    let app = TestApp::spawn_with(Settings {
        form_limit: 2,
        ..Settings::default()
    })
    .await;
    let mut trapped = suggestion();
    trapped["honeypot"] = json!("http://spam.example");
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .json(&trapped)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let before = app.db.fingerprint();
    let mut editor_only = suggestion();
    editor_only["moderation"] = json!("published");
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .json(&editor_only)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "visitors cannot publish directly");
    assert_eq!(app.db.fingerprint(), before);

    // Refused submissions do not count; two valid ones use up this address's allowance.
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/api/v1/suggestions"))
            .json(&suggestion())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let before = app.db.fingerprint();
    let response = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .header("Accept-Language", "en")
        .json(&suggestion())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("please wait"),
        "{problem}"
    );
    assert_eq!(app.db.fingerprint(), before);
}

#[actix_web::test]
async fn a_correction_report_reaches_the_editors() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({"name": "Repair café Vaise", "lat": 45.776, "lon": 4.805}))
        .await;
    let slug = created["slug"].as_str().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/initiatives/{slug}/reports")))
        .json(&json!({"message": "Le repair café a lieu le 2e samedi, plus le 1er", "email": "", "honeypot": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let empty = app
        .client
        .post(app.url(&format!("/api/v1/initiatives/{slug}/reports")))
        .json(&json!({"message": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    let reports: Value = app.get_json_as("/api/v1/reports", &app.editor_token).await;
    assert_eq!(reports["reports"].as_array().unwrap().len(), 1);
    assert_eq!(
        reports["reports"][0]["initiative_name"],
        "Repair café Vaise"
    );
    let id = reports["reports"][0]["id"].as_i64().unwrap();
    let closed = app
        .send_as(
            reqwest::Method::PATCH,
            &format!("/api/v1/reports/{id}"),
            &app.editor_token,
            &json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(closed.status(), 204);
    assert_eq!(app.get("/api/v1/reports").await.status(), 401);
}
