//! The search box's suggestions: names that start with what was typed first, then names with a
//! word that starts with it, then descriptions; published ones only; mistakes explained.

use archipel_tests::TestApp;
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {body}"))
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn suggestions_put_names_first_then_words_then_descriptions() {
    let app = TestApp::spawn().await;
    for (name, description) in [
        (
            "Atelier de réparation des Pentes",
            "Vélos et petit électroménager",
        ),
        ("Réparakeur Croix-Rousse", "Café de quartier"),
        ("Jardin partagé", "On y répare aussi les outils"),
        ("Recyclerie du Port", "Dépôt, tri et revente"),
    ] {
        app.create(json!({"name": name, "description": description, "lat": 45.77, "lon": 4.83}))
            .await;
    }
    let hidden = app
        .create(json!({"name": "Réparation en attente", "lat": 45.77, "lon": 4.83}))
        .await;
    app.patch(
        &format!("/api/v1/initiatives/{}", hidden["id"].as_str().unwrap()),
        &json!({"moderation": "pending"}),
    )
    .await;

    // Accents and case do not matter; the name that starts with it comes first, then the name
    // with a word that starts with it, then the description.
    let body = app.get_json("/api/v1/suggest?q=REPAR").await;
    assert_eq!(
        names(&body),
        [
            "Réparakeur Croix-Rousse",
            "Atelier de réparation des Pentes",
            "Jardin partagé"
        ]
    );
    assert_eq!(body["number_returned"], 3);
    assert_eq!(
        body["items"][0]["address"],
        json!({"street": null, "postcode": null, "city": null, "country_code": null, "insee_code": null})
    );
    assert_eq!(
        names(&app.get_json("/api/v1/suggest?q=repar&limit=1").await),
        ["Réparakeur Croix-Rousse"]
    );
    assert_eq!(
        names(&app.get_json("/api/v1/suggest?q=croix%20rou").await),
        ["Réparakeur Croix-Rousse"]
    );
    assert_eq!(
        names(&app.get_json("/api/v1/suggest?q=recy").await),
        ["Recyclerie du Port"]
    );
    assert!(names(&app.get_json("/api/v1/suggest?q=zzzz").await).is_empty());

    for path in [
        "/api/v1/suggest?q=r",
        "/api/v1/suggest?q=%25%25",
        "/api/v1/suggest",
        "/api/v1/suggest?q=repar&limit=21",
        "/api/v1/suggest?q=repar&limit=0",
        "/api/v1/suggest?q=repar&colour=red",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}
