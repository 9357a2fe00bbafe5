//! Links between initiatives: typed, shown from both sides with inverse kinds, removable,
//! recorded in both histories; refused when malformed.

use crate::initiative;
use archipel_store::token::{self, Role};
use archipel_tests::TestApp;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

async fn link(app: &TestApp, from: &Value, body: Value) -> reqwest::Response {
    app.send_as(
        Method::POST,
        &format!("/api/v1/initiatives/{}/links", from["id"].as_str().unwrap()),
        &app.editor_token,
        &body,
    )
    .await
}

/// (kind, direction, other's name) of an initiative's public links.
async fn links_of(app: &TestApp, who: &Value) -> Vec<(String, String, String)> {
    let body = app
        .get_json(&format!(
            "/api/v1/initiatives/{}/links",
            who["slug"].as_str().unwrap()
        ))
        .await;
    body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["direction"].as_str().unwrap().to_string(),
                l["initiative"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn actions(app: &TestApp, who: &Value) -> Vec<(String, Vec<Value>)> {
    let body = app
        .get_json_as(
            &format!(
                "/api/v1/initiatives/{}/revisions",
                who["id"].as_str().unwrap()
            ),
            &app.editor_token,
        )
        .await;
    body["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["changed"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[actix_web::test]
async fn linked_initiatives_show_the_link_from_both_sides_until_it_is_removed() {
    let app = TestApp::spawn().await;
    let cafe = app
        .create(initiative("Repair café du Bourg", 48.40, -4.50))
        .await;
    let network = app
        .create(initiative("Réseau Repair Café", 48.85, 2.35))
        .await;
    let garden = app.create(initiative("Jardin voisin", 48.41, -4.50)).await;

    let created = link(
        &app,
        &cafe,
        json!({"to": network["id"], "kind": "member_of", "note": "adhérent depuis 2021", "since": "2021-03-01"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["kind"], "member_of");
    assert_eq!(created["direction"], "outgoing");
    assert_eq!(created["initiative"]["name"], "Réseau Repair Café");
    assert_eq!(created["since"], "2021-03-01");
    // By slug from the other side: the garden shares the café's premises.
    let shared = link(
        &app,
        &garden,
        json!({"to": cafe["slug"], "kind": "shares_premises_with"}),
    )
    .await;
    assert_eq!(shared.status(), 201);

    assert_eq!(
        links_of(&app, &cafe).await,
        owned(&[
            ("member_of", "outgoing", "Réseau Repair Café"),
            ("shares_premises_with", "incoming", "Jardin voisin"),
        ])
    );
    assert_eq!(
        links_of(&app, &network).await,
        owned(&[("has_member", "incoming", "Repair café du Bourg")])
    );

    // Twice the same, or a symmetric kind the other way round: a conflict.
    let again = link(
        &app,
        &cafe,
        json!({"to": network["id"], "kind": "member_of"}),
    )
    .await;
    assert_eq!(again.status(), 409);
    let mirrored = link(
        &app,
        &cafe,
        json!({"to": garden["id"], "kind": "shares_premises_with"}),
    )
    .await;
    assert_eq!(mirrored.status(), 409);

    // Both histories record it.
    let cafe_history = actions(&app, &cafe).await;
    assert_eq!(cafe_history.len(), 3, "{cafe_history:?}");
    assert_eq!(cafe_history[1].0, "link");
    assert_eq!(cafe_history[1].1, vec![json!("initiative_links")]);
    assert_eq!(actions(&app, &network).await[1].0, "link");

    // Removed from the network's side.
    let link_id = created["id"].as_i64().unwrap();
    let path = format!(
        "/api/v1/initiatives/{}/links/{link_id}",
        network["slug"].as_str().unwrap()
    );
    let removed = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(links_of(&app, &network).await, owned(&[]));
    assert_eq!(
        links_of(&app, &cafe).await,
        owned(&[("shares_premises_with", "incoming", "Jardin voisin")])
    );
    let twice = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 404);
    assert_eq!(actions(&app, &cafe).await.last().unwrap().0, "unlink");
    assert_eq!(actions(&app, &network).await.last().unwrap().0, "unlink");
    // Once removed, it may be made again.
    let remade = link(
        &app,
        &cafe,
        json!({"to": network["id"], "kind": "member_of"}),
    )
    .await;
    assert_eq!(remade.status(), 201);

    // The public does not see links to initiatives that are not published.
    diesel::sql_query("UPDATE initiatives SET moderation = 'pending' WHERE name = 'Jardin voisin'")
        .execute(&mut app.db.connect())
        .unwrap();
    assert_eq!(
        links_of(&app, &cafe).await,
        owned(&[("member_of", "outgoing", "Réseau Repair Café")])
    );
}

#[actix_web::test]
async fn malformed_links_are_refused() {
    let app = TestApp::spawn().await;
    let moderator = token::create(&mut app.db.connect(), "moderator", Role::Moderator).unwrap();
    let a = app.create(initiative("A", 48.40, -4.50)).await;
    let b = app.create(initiative("B", 48.41, -4.50)).await;
    let id = a["id"].as_str().unwrap();
    for (body, field) in [
        (json!({"to": b["id"], "kind": "friend"}), "/kind"),
        (json!({"to": a["id"], "kind": "partner"}), "/to"),
        (
            json!({"to": "01890000-0000-7000-8000-000000000000", "kind": "partner"}),
            "/to",
        ),
        (json!({"to": "no-such-slug", "kind": "partner"}), "/to"),
        (
            json!({"to": b["id"], "kind": "partner", "since": "2021-13-01"}),
            "/since",
        ),
        (
            json!({"to": b["id"], "kind": "partner", "since": "2022-01-01", "until": "2021-01-01"}),
            "/until",
        ),
    ] {
        let refused = link(&app, &a, body.clone()).await;
        assert_eq!(refused.status(), 422, "{body}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let unknown_member = link(
        &app,
        &a,
        json!({"to": b["id"], "kind": "partner", "weight": 3}),
    )
    .await;
    assert_eq!(unknown_member.status(), 400);
    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/initiatives/{id}/links")))
        .json(&json!({"to": b["id"], "kind": "partner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let by_moderator = app
        .send_as(
            Method::POST,
            &format!("/api/v1/initiatives/{id}/links"),
            &moderator,
            &json!({"to": b["id"], "kind": "partner"}),
        )
        .await;
    assert_eq!(by_moderator.status(), 403);
    let nowhere = app
        .send_as(
            Method::POST,
            "/api/v1/initiatives/nowhere/links",
            &app.editor_token,
            &json!({"to": b["id"], "kind": "partner"}),
        )
        .await;
    assert_eq!(nowhere.status(), 404);
    assert_eq!(links_of(&app, &a).await, owned(&[]));
}

#[actix_web::test]
async fn a_territory_names_its_most_linked_initiatives() {
    let app = TestApp::spawn().await;
    let status = std::process::Command::new(archipel_tests::archipel_binary())
        .env("DATABASE_URL", &app.db.url)
        .args(["territory", "import", "--level", "commune"])
        .arg(archipel_tests::repo_file(
            "tests/fixtures/territories/communes.geojson",
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let hub = app.create(initiative("Tiers-lieu", 48.40, -4.50)).await; // Brest
    let a = app.create(initiative("Atelier", 48.41, -4.50)).await; // Brest
    let b = app.create(initiative("Ressourcerie", 48.40, -4.35)).await; // Guipavas
    for (from, kind) in [(&a, "member_of"), (&b, "supplies")] {
        let r = link(&app, from, json!({"to": hub["id"], "kind": kind})).await;
        assert_eq!(r.status(), 201);
    }
    let brest = app.get_json("/api/v1/territories/29019").await;
    assert_eq!(brest["networks"][0]["name"], "Tiers-lieu");
    assert_eq!(brest["networks"][0]["links"], 2);
    assert_eq!(
        brest["networks"][0]["kinds"],
        json!(["has_member", "supplied_by"])
    );
    assert_eq!(brest["networks"][1]["name"], "Atelier");
    assert_eq!(brest["networks"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn the_links_between_published_initiatives_are_exported_as_csv() {
    let app = TestApp::spawn().await;
    let a = app
        .create(initiative("Café \"Vélo\", réparations", 48.40, -4.50))
        .await;
    let b = app.create(initiative("Réseau", 48.41, -4.50)).await;
    let c = app.create(initiative("Brouillon", 48.42, -4.50)).await;
    let r = link(
        &app,
        &a,
        json!({"to": b["id"], "kind": "member_of", "note": "depuis \"toujours\", ou presque", "since": "2020-01-31"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        link(&app, &c, json!({"to": b["id"], "kind": "partner"}))
            .await
            .status(),
        201
    );
    diesel::sql_query("UPDATE initiatives SET moderation = 'pending' WHERE name = 'Brouillon'")
        .execute(&mut app.db.connect())
        .unwrap();
    let response = app.get("/api/v1/export/links.csv").await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "from_id",
            "from_slug",
            "kind",
            "to_id",
            "to_slug",
            "note",
            "since",
            "until",
            "created_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        1,
        "the link to an unpublished initiative is left out: {body}"
    );
    assert_eq!(&rows[0][1], a["id"].as_str().unwrap());
    assert_eq!(&rows[0][3], "member_of");
    assert_eq!(&rows[0][5], b["slug"].as_str().unwrap());
    assert_eq!(&rows[0][6], "depuis \"toujours\", ou presque");
    assert_eq!(&rows[0][7], "2020-01-31");
    assert_eq!(&rows[0][8], "");
}

/// The `linked` and `unlinked` changes of the public feed, in order.
async fn link_changes(app: &TestApp) -> Vec<Value> {
    let body = app.get_json("/api/v1/changes?limit=1000").await;
    body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "linked" || c["change"] == "unlinked")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn links_between_published_initiatives_are_in_the_change_feed() {
    let app = TestApp::spawn().await;
    let network = app
        .create(initiative("Réseau des repair cafés", 45.76, 4.83))
        .await;
    let member = app
        .create(initiative("Repair café de la Guillotière", 45.75, 4.84))
        .await;
    let draft = app.create(initiative("Brouillon", 45.74, 4.85)).await;
    app.patch(
        &format!("/api/v1/initiatives/{}", draft["id"].as_str().unwrap()),
        &json!({"moderation": "pending"}),
    )
    .await;
    let made = link(
        &app,
        &member,
        json!({"to": network["id"], "kind": "member_of", "note": "Depuis 2019"}),
    )
    .await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    // A link to an unpublished initiative is not public.
    assert_eq!(
        link(&app, &member, json!({"to": draft["id"], "kind": "partner"}))
            .await
            .status(),
        201
    );

    let linked = link_changes(&app).await;
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0]["change"], "linked");
    assert_eq!(linked[0]["id"], member["id"]);
    assert_eq!(linked[0]["link"]["to"], network["id"]);
    assert_eq!(linked[0]["link"]["kind"], "member_of");
    assert_eq!(linked[0]["link"]["note"], "Depuis 2019");
    assert!(
        !serde_json::to_string(&linked)
            .unwrap()
            .contains(draft["id"].as_str().unwrap())
    );

    let link_id = made["id"]
        .as_i64()
        .unwrap_or_else(|| made["link"]["id"].as_i64().unwrap());
    let removed = app
        .send_as(
            Method::DELETE,
            &format!(
                "/api/v1/initiatives/{}/links/{link_id}",
                member["id"].as_str().unwrap()
            ),
            &app.editor_token,
            &json!({}),
        )
        .await;
    assert!(removed.status().is_success(), "{}", removed.status());
    let changes = link_changes(&app).await;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1]["change"], "unlinked");
    assert_eq!(changes[1]["link"]["id"], link_id);
}
