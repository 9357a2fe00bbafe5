//! Wheelchair access (`wheelchair`: yes, limited, no or null, as OpenStreetMap's wheelchair=*),
//! the attribute added to prove that one declaration (`archipel_store::fields`) carries a field
//! everywhere: written and refused, read as JSON and GeoJSON, filtered, exported, queried through
//! OGC API filters, described in OpenAPI, and imported from OpenStreetMap and from a CSV mapping.

use archipel_api::Settings;
use archipel_importer::run::{self, Outcome};
use archipel_importer::{FetchSettings, RunOptions, Silent};
use archipel_store::domain::Moderation;
use archipel_store::import_run::RunStatus;
use archipel_store::source::SourceConfig;
use archipel_tests::TestApp;
use archipel_tests::feeds::FeedServer;
use serde_json::{Value, json};
use std::sync::Arc;

async fn access_of(app: &TestApp, slug: &str) -> (Value, Value) {
    let json = app.get_json(&format!("/api/v1/initiatives/{slug}")).await;
    let feature = app
        .get_json(&format!("/api/v1/initiatives/{slug}.geojson"))
        .await;
    (
        json["wheelchair"].clone(),
        feature["properties"]["wheelchair"].clone(),
    )
}

#[actix_web::test]
async fn wheelchair_access_is_written_checked_read_and_cleared() {
    let app = TestApp::spawn().await;
    let cafe = app
        .create(
            json!({"name": "Repair Café de la gare", "lat": 43.61, "lon": 1.45,
                       "categories": ["repair-cafe"], "wheelchair": "limited"}),
        )
        .await;
    let slug = cafe["slug"].as_str().unwrap();
    assert_eq!(cafe["wheelchair"], "limited");
    assert_eq!(
        access_of(&app, slug).await,
        (json!("limited"), json!("limited"))
    );

    // Another value is refused with a reason naming the field and the values it takes.
    let refused = app
        .patch(
            &format!("/api/v1/initiatives/{slug}"),
            &json!({"wheelchair": "maybe"}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "/wheelchair");
    assert_eq!(problem["errors"][0]["code"], "invalid_choice");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("yes, limited, no")
    );
    assert_eq!(access_of(&app, slug).await.0, "limited", "nothing written");

    // Written back as a GeoJSON Feature, as read.
    let as_feature = app
        .client
        .patch(app.url(&format!("/api/v1/initiatives/{slug}")))
        .bearer_auth(&app.editor_token)
        .header("Content-Type", "application/geo+json")
        .body(json!({"type": "Feature", "properties": {"wheelchair": "yes"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(as_feature.status(), 200);
    assert_eq!(access_of(&app, slug).await, (json!("yes"), json!("yes")));

    // The history says what changed.
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{slug}/revisions"),
            &app.editor_token,
        )
        .await;
    let revision = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["after"]["properties"]["wheelchair"] == "yes")
        .expect("a revision of the change");
    assert_eq!(revision["before"]["properties"]["wheelchair"], "limited");
    assert_eq!(revision["changed"], json!(["wheelchair"]));

    let cleared = app
        .patch(
            &format!("/api/v1/initiatives/{slug}"),
            &json!({"wheelchair": null}),
        )
        .await;
    assert_eq!(cleared.status(), 200);
    assert_eq!(access_of(&app, slug).await, (Value::Null, Value::Null));
}

#[actix_web::test]
async fn listings_exports_and_ogc_filters_find_accessible_places() {
    let app = TestApp::spawn().await;
    for (name, access) in [
        ("Accessible", json!("yes")),
        ("En partie", json!("limited")),
        ("Escalier", json!("no")),
        ("Inconnu", Value::Null),
    ] {
        app.create(json!({"name": name, "lat": 43.6, "lon": 1.44, "wheelchair": access}))
            .await;
    }
    let names = |list: &Value, key: &str| -> Vec<String> {
        let mut names: Vec<String> = list[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let i = if key == "features" {
                    &i["properties"]
                } else {
                    i
                };
                i["name"].as_str().unwrap().to_string()
            })
            .collect();
        names.sort();
        names
    };
    let yes = app.get_json("/api/v1/initiatives?wheelchair=yes").await;
    assert_eq!(names(&yes, "items"), ["Accessible"]);
    let some = app
        .get_json("/api/v1/initiatives.geojson?wheelchair=yes,limited")
        .await;
    assert_eq!(names(&some, "features"), ["Accessible", "En partie"]);

    let bad = app.get("/api/v1/initiatives?wheelchair=maybe").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );

    // The CSV export has the column, and filters the same way.
    let csv = app
        .get("/api/v1/export/initiatives.csv?wheelchair=no")
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "wheelchair").unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Escalier"));
    assert_eq!(rows[0].split(',').nth(column), Some("no"));
    let schema = app.get_json("/api/v1/export/initiatives.schema.json").await;
    let field = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "wheelchair")
        .unwrap();
    assert_eq!(
        field["constraints"]["enum"],
        json!(["yes", "limited", "no"])
    );

    // OGC API: a queryable with its values, and a CQL2 filter on it.
    let queryables = app
        .get_json("/ogc/collections/initiatives/queryables")
        .await;
    assert_eq!(
        queryables["properties"]["wheelchair"]["enum"],
        json!(["yes", "limited", "no"])
    );
    let filtered = app
        .get_json(
            "/ogc/collections/initiatives/items?filter=wheelchair%20IN%20('yes','limited')&f=json",
        )
        .await;
    assert_eq!(names(&filtered, "features"), ["Accessible", "En partie"]);

    // OpenAPI tells clients the same.
    let doc = app.get_json("/api/openapi.json").await;
    let schema = &doc["components"]["schemas"]["InitiativeDoc"]["properties"]["wheelchair"];
    assert_eq!(schema["enum"], json!(["yes", "limited", "no", null]));
    let params = doc["paths"]["/api/v1/initiatives"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "wheelchair"));
}

struct Desk {
    app: TestApp,
    feeds: FeedServer,
}

impl Desk {
    async fn import(&self, id: &str, format: &str, feed: &str, mapping: Value) -> Outcome {
        let config = SourceConfig {
            id: id.into(),
            name: id.into(),
            format: format.into(),
            location: self.feeds.url(feed),
            mapping,
            licence: Some("ODbL-1.0".into()),
            attribution: Some(format!("{id} contributors")),
            refresh_seconds: None,
            complete: true,
            moderation: Moderation::Published,
        };
        run::declare(&mut self.app.db.connect(), &config).unwrap();
        let fetcher = Arc::new(
            archipel_importer::Fetcher::new(FetchSettings {
                retries: 0,
                ..FetchSettings::default()
            })
            .unwrap(),
        );
        let options = RunOptions {
            dry_run: false,
            trigger: "test".into(),
        };
        let outcome = run::run(&self.app.pool, fetcher, id, options, Arc::new(Silent))
            .await
            .unwrap();
        assert!(
            matches!(
                outcome.status,
                RunStatus::Succeeded | RunStatus::NotModified
            ),
            "{:?}",
            outcome.error
        );
        outcome
    }

    async fn access(&self, source: &str) -> Vec<(String, Value)> {
        let list = self
            .app
            .get_json("/api/v1/initiatives.geojson?limit=100")
            .await;
        let mut found: Vec<(String, Value)> = list["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["properties"])
            .filter(|p| p["source_id"] == source)
            .map(|p| {
                (
                    p["external_id"].as_str().unwrap().to_string(),
                    p["wheelchair"].clone(),
                )
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }
}

#[actix_web::test]
async fn imports_read_wheelchair_from_osm_tags_and_mapped_columns() {
    let desk = Desk {
        app: TestApp::spawn_with(Settings::default()).await,
        feeds: FeedServer::start(),
    };
    let node = |id: u64, access: Option<&str>| {
        let mut tags = json!({"leisure": "hackerspace", "name": format!("Lab {id}")});
        if let Some(access) = access {
            tags["wheelchair"] = json!(access);
        }
        json!({"type": "node", "id": id, "lat": 43.6 + id as f64 / 1000.0, "lon": 1.44, "tags": tags})
    };
    let overpass = json!({"elements": [
        node(1, Some("yes")), node(2, Some("limited")), node(3, Some("no")),
        node(4, Some("designated")), node(5, Some("bof")), node(6, None),
    ]});
    desk.feeds.put("osm.json", overpass.to_string());
    let first = desk
        .import("osm", "overpass", "osm.json", Value::Null)
        .await;
    assert_eq!(first.counts.created, 6);
    assert_eq!(
        desk.access("osm").await,
        [
            ("node/1".to_string(), json!("yes")),
            ("node/2".to_string(), json!("limited")),
            ("node/3".to_string(), json!("no")),
            ("node/4".to_string(), json!("yes")),
            // A value OSM does not define is left unknown rather than guessed.
            ("node/5".to_string(), Value::Null),
            ("node/6".to_string(), Value::Null),
        ]
    );
    // Unchanged on the next run; a changed tag updates the initiative.
    let again = desk
        .import("osm", "overpass", "osm.json", Value::Null)
        .await;
    assert_eq!(again.status, RunStatus::NotModified);
    let mut changed = overpass.clone();
    changed["elements"][5]["tags"]["wheelchair"] = json!("no");
    desk.feeds.put("osm.json", changed.to_string());
    let third = desk
        .import("osm", "overpass", "osm.json", Value::Null)
        .await;
    assert_eq!((third.counts.updated, third.counts.unchanged), (1, 5));
    assert_eq!(desk.access("osm").await[5].1, "no");

    // A CSV column named by the source's mapping, French values read as OSM's.
    desk.feeds.put(
        "lieux.csv",
        "id,nom,latitude,longitude,type,acces_fauteuil\n\
         a,Ressourcerie du Canal,43.62,1.43,recyclerie,oui\n\
         b,Atelier vélo,43.63,1.42,recyclerie,partiel\n\
         c,Grenier,43.64,1.41,recyclerie,non\n",
    );
    let mapping = json!({
        "default_category": "recyclerie",
        "fields": {"wheelchair": "acces_fauteuil"},
    });
    desk.import("lieux", "csv", "lieux.csv", mapping).await;
    assert_eq!(
        desk.access("lieux").await,
        [
            ("a".to_string(), json!("yes")),
            ("b".to_string(), json!("limited")),
            ("c".to_string(), json!("no")),
        ]
    );

    // A mapping naming a field the directory does not have is refused when declared.
    let config = SourceConfig {
        id: "typo".into(),
        name: "typo".into(),
        format: "csv".into(),
        location: desk.feeds.url("lieux.csv"),
        mapping: json!({"fields": {"wheelchairs": "acces_fauteuil"}}),
        licence: None,
        attribution: None,
        refresh_seconds: None,
        complete: false,
        moderation: Moderation::Published,
    };
    let refused = run::declare(&mut desk.app.db.connect(), &config).unwrap_err();
    assert!(refused.to_string().contains("wheelchairs"), "{refused}");
}
