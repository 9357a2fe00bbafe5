//! The change feed: a harvester that follows it misses nothing and sees nothing twice, however
//! writers interleave, and replaying it yields the published set.

use crate::initiative;
use archipel_tests::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Follows the feed from `next` until caught up, applying each change to `copy`; returns where
/// to continue. Panics on a change that contradicts what the copy holds (a missed or repeated
/// change shows up that way).
async fn follow(app: &TestApp, mut next: String, copy: &mut BTreeMap<String, Value>) -> String {
    loop {
        let page = app.get_json(next.trim_start_matches(&app.address)).await;
        let changes = page["changes"].as_array().unwrap();
        for change in changes {
            let id = change["id"].as_str().unwrap().to_string();
            match change["change"].as_str().unwrap() {
                "created" => {
                    assert!(
                        !copy.contains_key(&id),
                        "created twice without a deletion: {change}"
                    );
                    copy.insert(id, change["feature"].clone());
                }
                "updated" => {
                    assert!(copy.contains_key(&id), "updated before created: {change}");
                    copy.insert(id, change["feature"].clone());
                }
                "deleted" => {
                    assert!(copy.remove(&id).is_some(), "deleted while absent: {change}");
                }
                other => panic!("unexpected change {other}"),
            }
        }
        let following = page["next"].as_str().unwrap().to_string();
        if changes.is_empty() {
            assert_eq!(following, next, "an empty page says where to come back");
            return following;
        }
        next = following;
    }
}

/// The published set as the export gives it, by id.
async fn published(app: &TestApp) -> BTreeMap<String, Value> {
    let export = app.get_json("/api/v1/export/initiatives.geojson").await;
    export["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

#[actix_web::test]
async fn a_harvester_following_the_feed_during_concurrent_writes_ends_with_the_published_set() {
    let app = TestApp::spawn().await;
    let mut copy = BTreeMap::new();
    let start = app.get_json("/api/v1/changes?limit=7").await;
    assert_eq!(start["changes"], json!([]));
    let mut next = start["next"].as_str().unwrap().to_string();

    // Four writers create, correct, archive and publish again, while the harvester follows.
    let writer = |w: usize| {
        let app = &app;
        async move {
            for i in 0..8 {
                let created = app
                    .create(initiative(
                        &format!("Atelier {w}-{i}"),
                        45.0 + w as f64 * 0.1,
                        4.0 + i as f64 * 0.01,
                    ))
                    .await;
                let id = created["id"].as_str().unwrap().to_string();
                let path = format!("/api/v1/initiatives/{id}");
                let steps = [
                    json!({"description": format!("Ouvert le samedi {i}")}),
                    json!({"moderation": "archived"}),
                    json!({"moderation": "published"}),
                    json!({"tags": ["réparation"]}),
                ];
                for step in steps.iter().take(i % 5) {
                    assert_eq!(app.patch(&path, step).await.status(), 200);
                }
            }
        }
    };
    let writers = futures_util::future::join_all((0..4).map(writer));
    let harvester = async {
        for _ in 0..20 {
            next = follow(&app, next.clone(), &mut copy).await;
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    futures_util::future::join(writers, harvester).await;
    follow(&app, next, &mut copy).await;

    assert_eq!(copy, published(&app).await);
    // From the start, in pages of any size, the same.
    let mut replay = BTreeMap::new();
    follow(
        &app,
        format!("{}/api/v1/changes?limit=3", app.address),
        &mut replay,
    )
    .await;
    assert_eq!(replay, copy);
}

#[actix_web::test]
async fn the_feed_shows_nothing_unpublished_and_refuses_bad_cursors() {
    let app = TestApp::spawn().await;
    let created = app
        .create(initiative("Jardin des secrets", 44.8, -0.6))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"moderation": "pending"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"description": "Un brouillon que personne ne doit voir"})
        )
        .await
        .status(),
        200
    );
    let feed = app.get("/api/v1/changes").await.text().await.unwrap();
    assert!(!feed.contains("brouillon"), "{feed}");
    let page: Value = serde_json::from_str(&feed).unwrap();
    let kinds: Vec<&str> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "deleted"]);
    assert_eq!(
        page["changes"][0]["feature"],
        Value::Null,
        "no longer public"
    );

    for bad in [
        "cursor=nonsense",
        "limit=0",
        "limit=5000",
        "since=yesterday",
    ] {
        let response = app.get(&format!("/api/v1/changes?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
