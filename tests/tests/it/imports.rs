//! Importing open-data feeds: repeatable, safe, explainable. Every feed is served over HTTP by a
//! local server, so the real fetch path runs.

use archipel_api::Settings;
use archipel_importer::run::{self, Outcome};
use archipel_importer::{FetchSettings, RunOptions, Silent};
use archipel_store::import_run::RunStatus;
use archipel_store::sync::duplicates_on_grid;
use archipel_tests::feeds::FeedServer;
use archipel_tests::{TestApp, repo_file};
use diesel::{QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Desk {
    pub(crate) app: TestApp,
    pub(crate) feeds: FeedServer,
}

pub(crate) async fn desk() -> Desk {
    let fetch = FetchSettings {
        retries: 3,
        backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
        ..FetchSettings::default()
    };
    let app = TestApp::spawn_with(Settings {
        fetch,
        ..Settings::default()
    })
    .await;
    Desk {
        app,
        feeds: FeedServer::start(),
    }
}

impl Desk {
    pub(crate) fn declare(
        &self,
        id: &str,
        format: &str,
        feed: &str,
        mapping: Value,
    ) -> Result<(), archipel_importer::ImportError> {
        let config = archipel_store::source::SourceConfig {
            id: id.into(),
            name: id.into(),
            format: format.into(),
            location: self.feeds.url(feed),
            mapping,
            licence: Some("ODbL-1.0".into()),
            attribution: Some(format!("{id} contributors")),
            refresh_seconds: None,
            complete: true,
            moderation: archipel_store::domain::Moderation::Published,
        };
        run::declare(&mut self.app.db.connect(), &config)
    }

    pub(crate) async fn import(&self, id: &str) -> Outcome {
        self.import_with(id, false).await
    }

    async fn import_with(&self, id: &str, dry_run: bool) -> Outcome {
        let fetcher = Arc::new(
            archipel_importer::Fetcher::new(FetchSettings {
                retries: 3,
                backoff: Duration::from_millis(5),
                ..FetchSettings::default()
            })
            .unwrap(),
        );
        run::run(
            &self.app.pool,
            fetcher,
            id,
            RunOptions {
                dry_run,
                trigger: "test".into(),
            },
            Arc::new(Silent),
        )
        .await
        .unwrap()
    }

    pub(crate) fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql)
            .get_result::<N>(&mut self.app.db.connect())
            .unwrap()
            .n
    }

    pub(crate) fn text(&self, sql: &str) -> String {
        #[derive(QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        diesel::sql_query(sql)
            .get_result::<T>(&mut self.app.db.connect())
            .unwrap()
            .t
    }
}

pub(crate) fn toulouse() -> Value {
    json!({
        "default_category": "shared-garden",
        "default_country": "FR",
        "fields": {"id": "id", "name": "nom", "description": ["slogan", "porteur_projet"], "street": "adresse",
                   "postcode": "cp", "city": "commune", "email": "mail", "status": "etat"},
        "status_values": {"ouvert": "active"}
    })
}

pub(crate) fn toulouse_feed() -> Value {
    serde_json::from_slice(
        &std::fs::read(repo_file("demo/feeds/toulouse_jardins_partages.geojson")).unwrap(),
    )
    .unwrap()
}

/// Serves `feed` as Toulouse's gardens, without an ETag (every run reads it), declares the source
/// and imports it once.
pub(crate) async fn import_gardens(desk: &Desk, feed: &Value) {
    desk.feeds.put("gardens.geojson", feed.to_string());
    desk.feeds.without_etag("gardens.geojson");
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
}

pub(crate) fn assert_ok(outcome: &Outcome) {
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
}

#[actix_web::test]
async fn importing_the_same_feed_twice_changes_nothing() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.feeds.without_etag("gardens.geojson");
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    let first = desk.import("toulouse").await;
    assert_ok(&first);
    assert_eq!((first.counts.fetched, first.counts.created), (12, 12));
    let before = desk.app.db.fingerprint();
    let second = desk.import("toulouse").await;
    assert_ok(&second);
    assert_eq!(
        (
            second.counts.created,
            second.counts.updated,
            second.counts.unchanged
        ),
        (0, 0, 12)
    );
    assert_eq!(
        desk.app.db.fingerprint(),
        before,
        "no row rewritten, no revision added"
    );
}

/// The digests of the source's feed elements, by external id.
fn digests(desk: &Desk) -> std::collections::BTreeMap<String, String> {
    desk.text(
        "SELECT coalesce(string_agg(i.external_id || '=' || encode(d.digest, 'hex'), ',' ORDER BY i.external_id), '') AS t
         FROM import_digests d JOIN initiatives i ON i.id = d.initiative_id AND i.content_hash = d.content_hash",
    )
    .split(',')
    .filter_map(|pair| pair.split_once('='))
    .map(|(id, digest)| (id.to_string(), digest.to_string()))
    .collect()
}

#[actix_web::test]
async fn a_record_is_recognised_by_its_feed_element_until_the_element_or_the_mapping_changes() {
    let desk = desk().await;
    let mut feed = toulouse_feed();
    import_gardens(&desk, &feed).await;
    let first = digests(&desk);
    assert_eq!(first.len(), 12, "one digest per record: {first:?}");

    let same = desk.import("toulouse").await;
    assert_ok(&same);
    assert_eq!((same.counts.unchanged, same.counts.updated), (12, 0));
    assert_eq!(digests(&desk), first);

    // One element changes: it is read in full, updated, and only its digest replaced.
    feed["features"][2]["properties"]["slogan"] = json!("Un jardin qui change de devise");
    desk.feeds.put("gardens.geojson", feed.to_string());
    let one = desk.import("toulouse").await;
    assert_ok(&one);
    assert_eq!((one.counts.updated, one.counts.unchanged), (1, 11));
    let after_one = digests(&desk);
    let replaced: Vec<&String> = first
        .keys()
        .filter(|id| first[*id] != after_one[*id])
        .collect();
    assert_eq!(
        replaced,
        vec![feed["features"][2]["properties"]["id"].as_str().unwrap()]
    );

    // The same elements read through another mapping give other records: all are read again.
    let mut mapping = toulouse();
    mapping["default_country"] = json!("BE");
    desk.declare("toulouse", "geojson", "gardens.geojson", mapping)
        .unwrap();
    let remapped = desk.import("toulouse").await;
    assert_ok(&remapped);
    assert_eq!(
        (remapped.counts.updated, remapped.counts.unchanged),
        (12, 0)
    );
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM initiatives WHERE country_code = 'BE'"),
        12
    );
    let after_remap = digests(&desk);
    assert_eq!(after_remap.len(), 12);
    assert!(after_remap.iter().all(|(id, d)| after_one[id] != *d));
}

#[actix_web::test]
async fn an_id_listed_twice_keeps_its_last_element_and_is_reported() {
    let desk = desk().await;
    let mut feed = toulouse_feed();
    let mut again = feed["features"][3].clone();
    again["properties"]["nom"] = json!("Jardin du Bout du Monde (nouvelle adresse)");
    let id = again["properties"]["id"].as_str().unwrap().to_string();
    feed["features"].as_array_mut().unwrap().push(again);
    desk.feeds.put("gardens.geojson", feed.to_string());
    desk.feeds.without_etag("gardens.geojson");
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    for run in 0..2 {
        let outcome = desk.import("toulouse").await;
        assert_ok(&outcome);
        assert_eq!(outcome.counts.fetched, 13);
        let expected = if run == 0 { (12, 0) } else { (0, 12) };
        assert_eq!(
            (outcome.counts.created, outcome.counts.unchanged),
            expected,
            "run {run}"
        );
        assert_eq!(outcome.rejects.len(), 1, "run {run}: {:?}", outcome.rejects);
        assert_eq!(outcome.rejects[0].external_id.as_deref(), Some(id.as_str()));
        assert!(
            outcome.rejects[0]
                .reason
                .contains("lists this id 2 times; the last one was kept"),
            "{}",
            outcome.rejects[0].reason
        );
        assert_eq!(
            desk.text(&format!(
                "SELECT name AS t FROM initiatives WHERE external_id = '{id}'"
            )),
            "Jardin du Bout du Monde (nouvelle adresse)"
        );
    }
}

#[actix_web::test]
async fn one_changed_record_gives_one_update_and_one_revision() {
    let desk = desk().await;
    let mut feed = toulouse_feed();
    desk.feeds.put("gardens.geojson", feed.to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    feed["features"][2]["properties"]["slogan"] =
        json!("L'amitié citadine, ça se cultive — et ça se partage");
    desk.feeds.put("gardens.geojson", feed.to_string());
    let outcome = desk.import("toulouse").await;
    assert_ok(&outcome);
    assert_eq!((outcome.counts.updated, outcome.counts.unchanged), (1, 11));
    let external = feed["features"][2]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sql = format!(
        "SELECT count(*) AS n FROM revisions r JOIN initiatives i ON i.id = r.initiative_id WHERE i.external_id = '{external}'"
    );
    assert_eq!(desk.count(&sql), 2, "the creation and the one update");
    let author = desk.text(&format!(
        "SELECT r.author || ' ' || r.import_run_id || ' ' || array_to_string(ARRAY(SELECT k FROM jsonb_object_keys(r.new_values) k WHERE k NOT IN ('fetched_at', 'updated_at') ORDER BY 1), ',') AS t
         FROM revisions r JOIN initiatives i ON i.id = r.initiative_id WHERE i.external_id = '{external}' ORDER BY r.id DESC LIMIT 1"
    ));
    // The revision keeps what changed, not the whole initiative (and the times `fetched_at`,
    // `updated_at` when the two runs fell in different seconds).
    assert_eq!(
        author,
        format!("import:toulouse {} description", outcome.run_id.unwrap())
    );
}

#[actix_web::test]
async fn a_removed_record_is_withdrawn_and_comes_back_when_restored() {
    let desk = desk().await;
    let full = toulouse_feed();
    desk.feeds.put("gardens.geojson", full.to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    let mut shorter = full.clone();
    let removed = shorter["features"].as_array_mut().unwrap().remove(0);
    desk.feeds.put("gardens.geojson", shorter.to_string());
    let outcome = desk.import("toulouse").await;
    assert_ok(&outcome);
    assert_eq!(
        (outcome.counts.withdrawn, outcome.counts.unchanged),
        (1, 11)
    );
    let slug = desk.text(&format!(
        "SELECT slug AS t FROM initiatives WHERE external_id = '{}'",
        removed["properties"]["id"].as_str().unwrap()
    ));
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/initiatives/{slug}"))
            .await
            .status(),
        410
    );
    assert_eq!(
        desk.app.get_json("/api/v1/initiatives.geojson").await["numberReturned"],
        11
    );

    desk.feeds.put("gardens.geojson", full.to_string());
    let back = desk.import("toulouse").await;
    assert_ok(&back);
    assert_eq!((back.counts.restored, back.counts.created), (1, 0));
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/initiatives/{slug}"))
            .await
            .status(),
        200
    );
    let actions = desk.text(&format!(
        "SELECT string_agg(r.action, ',' ORDER BY r.id) AS t FROM revisions r JOIN initiatives i ON i.id = r.initiative_id WHERE i.slug = '{slug}'"
    ));
    assert_eq!(actions, "import,withdraw,restore");
}

#[actix_web::test]
async fn a_persons_edit_survives_reimport_and_a_conflict_is_recorded() {
    let desk = desk().await;
    let mut feed = toulouse_feed();
    desk.feeds.put("gardens.geojson", feed.to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    let external = feed["features"][4]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = desk.text(&format!(
        "SELECT id::text AS t FROM initiatives WHERE external_id = '{external}'"
    ));
    let corrected = desk
        .app
        .client
        .patch(desk.app.url(&format!("/api/v1/initiatives/{id}")))
        .bearer_auth(&desk.app.editor_token)
        .json(&json!({"name": "Jardin du Verrier", "opening_hours": "Sa 10:00-12:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(corrected.status(), 200);

    feed["features"][4]["properties"]["slogan"] = json!("Jardinage, papotage et compost");
    desk.feeds.put("gardens.geojson", feed.to_string());
    let outcome = desk.import("toulouse").await;
    assert_ok(&outcome);
    assert_eq!((outcome.counts.conflicts, outcome.counts.updated), (1, 0));
    let now = desk
        .app
        .get_json(&format!("/api/v1/initiatives/{id}"))
        .await;
    assert_eq!(
        now["name"], "Jardin du Verrier",
        "the person's correction stays"
    );
    assert_eq!(now["opening_hours"], "Sa 10:00-12:00");

    let report: Value = desk
        .app
        .client
        .get(
            desk.app
                .url(&format!("/api/v1/import-runs/{}", outcome.run_id.unwrap())),
        )
        .bearer_auth(&desk.app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["initiative_id"], json!(id));
    assert!(
        conflict["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("description"))
    );
    assert!(
        conflict["incoming"]["description"]
            .as_str()
            .unwrap()
            .contains("compost")
    );
    let open: Value = desk
        .app
        .client
        .get(desk.app.url("/api/v1/import-conflicts"))
        .bearer_auth(&desk.app.editor_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(open["conflicts"].as_array().unwrap().len(), 1);
    // The same disagreement is not recorded twice.
    desk.feeds.without_etag("gardens.geojson");
    let again = desk.import("toulouse").await;
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM import_conflicts"),
        1,
        "{:?}",
        again.counts
    );
}

#[actix_web::test]
async fn a_truncated_file_changes_nothing() {
    let desk = desk().await;
    let feed = toulouse_feed().to_string();
    desk.feeds.put("gardens.geojson", feed.clone());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    let before = desk.app.db.fingerprint();
    let mut cut = feed.into_bytes();
    cut.truncate(cut.len() * 6 / 10);
    desk.feeds.put("gardens.geojson", cut);
    let outcome = desk.import("toulouse").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("truncated") && error.contains("line"),
        "{error}"
    );
    assert_eq!(desk.app.db.fingerprint(), before);
    assert_eq!(
        desk.text(&format!(
            "SELECT status AS t FROM import_runs WHERE id = {}",
            outcome.run_id.unwrap()
        )),
        "failed"
    );
}

#[actix_web::test]
async fn a_server_answering_500_is_retried_then_the_run_fails_cleanly() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    desk.feeds.fail("gardens.geojson", 2);
    let recovered = desk.import("toulouse").await;
    assert_ok(&recovered);
    assert_eq!(
        desk.feeds.hits("gardens.geojson"),
        3,
        "two failures, then success"
    );

    let before = desk.app.db.fingerprint();
    desk.feeds.fail("gardens.geojson", 100);
    let outcome = desk.import("toulouse").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(
        desk.feeds.hits("gardens.geojson"),
        3 + 4,
        "one attempt and three retries"
    );
    let error = outcome.error.unwrap();
    assert!(
        error.contains("HTTP 500") && error.contains("4 attempts"),
        "{error}"
    );
    assert_eq!(desk.app.db.fingerprint(), before);
}

#[actix_web::test]
async fn a_404_is_not_retried() {
    let desk = desk().await;
    desk.declare("missing", "geojson", "nowhere.geojson", toulouse())
        .unwrap();
    let outcome = desk.import("missing").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(desk.feeds.hits("nowhere.geojson"), 1);
    assert!(outcome.error.unwrap().contains("HTTP 404"));
}

#[actix_web::test]
async fn a_304_gives_a_not_modified_run() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    let before = desk.app.db.fingerprint();
    let outcome = desk.import("toulouse").await;
    assert_eq!(outcome.status, RunStatus::NotModified);
    assert_eq!(outcome.counts.fetched, 0);
    assert_eq!(desk.app.db.fingerprint(), before);
    assert_eq!(
        desk.text(&format!(
            "SELECT status AS t FROM import_runs WHERE id = {}",
            outcome.run_id.unwrap()
        )),
        "not_modified"
    );
}

#[actix_web::test]
async fn an_overpass_remark_fails_the_run_and_withdraws_nothing() {
    let desk = desk().await;
    desk.feeds.put_file(
        "osm.json",
        &repo_file("demo/feeds/hackerspaces_2016.overpass.json"),
    );
    desk.declare("osm", "overpass", "osm.json", json!({}))
        .unwrap();
    assert_ok(&desk.import("osm").await);
    let before = desk.app.db.fingerprint();
    desk.feeds.put(
        "osm.json",
        json!({"version": 0.6, "generator": "Overpass API", "elements": [],
               "remark": "runtime error: Query timed out in \"query\" at line 3 after 26 seconds."})
        .to_string(),
    );
    let outcome = desk.import("osm").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(outcome.error.unwrap().contains("timed out"));
    assert_eq!(desk.app.db.fingerprint(), before);
}

#[actix_web::test]
async fn a_windows_1252_csv_keeps_its_accents_and_bad_coordinates_are_rejected_with_reasons() {
    let desk = desk().await;
    desk.feeds.put_file(
        "ateliers.csv",
        &repo_file("tests/fixtures/feeds/ateliers_cp1252.csv"),
    );
    desk.declare(
        "ateliers",
        "csv",
        "ateliers.csv",
        json!({"default_category": "repair-cafe"}),
    )
    .unwrap();
    let outcome = desk.import("ateliers").await;
    assert_ok(&outcome);
    assert_eq!(
        (
            outcome.counts.fetched,
            outcome.counts.created,
            outcome.counts.rejected
        ),
        (5, 2, 3)
    );
    let reasons: Vec<&str> = outcome.rejects.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons[0], "no coordinates");
    assert!(reasons[1].contains("0,0"), "{reasons:?}");
    assert!(reasons[2].contains("outside"), "{reasons:?}");
    assert_eq!(
        outcome.rejects[0].position.as_deref(),
        Some("row 4"),
        "rows as a spreadsheet numbers them"
    );
    let found = desk.app.get_json("/api/v1/initiatives?q=guillotiere").await;
    let atelier = &found["items"][0];
    assert_eq!(atelier["name"], "Atelier vélo de la Guillotière");
    assert_eq!(atelier["address"]["street"], "12 rue Sébastien Gryphe");
    assert_eq!(
        atelier["description"],
        "Réparation de vélos,\nouvert à tous"
    );
    assert_eq!(atelier["point"]["lat"], 45.754, "decimal commas read");
    let etienne = desk
        .app
        .get_json("/api/v1/initiatives?q=ressourcerie")
        .await;
    assert_eq!(etienne["items"][0]["address"]["city"], "Saint-Étienne");
}

#[actix_web::test]
async fn a_wrongly_declared_encoding_or_format_fails_the_run_with_its_position() {
    let desk = desk().await;
    desk.feeds.put_file(
        "ateliers.csv",
        &repo_file("tests/fixtures/feeds/ateliers_cp1252.csv"),
    );
    desk.declare(
        "declared-utf8",
        "csv",
        "ateliers.csv",
        json!({"default_category": "repair-cafe", "encoding": "utf-8"}),
    )
    .unwrap();
    let outcome = desk.import("declared-utf8").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("declared UTF-8") && error.contains("byte"),
        "{error}"
    );
    desk.declare(
        "csv-as-geojson",
        "geojson",
        "ateliers.csv",
        json!({"default_category": "repair-cafe"}),
    )
    .unwrap();
    let outcome = desk.import("csv-as-geojson").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(outcome.error.unwrap().contains("not valid JSON"));
    assert_eq!(desk.count("SELECT count(*) AS n FROM initiatives"), 0);
}

#[actix_web::test]
async fn the_toulouse_gardens_keep_their_polygon_areas_and_get_points_inside_them() {
    let desk = desk().await;
    desk.feeds.put_file(
        "gardens.geojson",
        &repo_file("tests/fixtures/feeds/toulouse_jardins_polygones.geojson"),
    );
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM initiatives WHERE GeometryType(geom) = 'POLYGON'"),
        12
    );
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM initiatives WHERE ST_Contains(geom, point)"),
        12
    );
    let page = desk
        .app
        .get_json("/api/v1/initiatives.geojson?bbox=1.3,43.5,1.5,43.7")
        .await;
    assert_eq!(page["numberReturned"], 12);
    assert!(
        page["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["geometry"]["type"] == "Polygon")
    );
}

#[actix_web::test]
async fn every_adapter_reads_its_real_sample() {
    let desk = desk().await;
    /// (read, created, rejected, skipped)
    type Expected = (i32, i32, i32, i32);
    let cases: Vec<(&str, &str, &str, Value, Expected)> = vec![
        // (source, format, file, mapping, (read, created, rejected, skipped))
        (
            "osm",
            "overpass",
            "demo/feeds/hackerspaces_2016.overpass.json",
            json!({}),
            (352, 348, 4, 0),
        ),
        // The way has a center but no name: rejected for that.
        (
            "way-center",
            "overpass",
            "tests/fixtures/feeds/overpy_way-03.json",
            json!({"categories": {"shop=florist": "second-hand"}}),
            (5, 0, 1, 4),
        ),
        (
            "way-empty-center",
            "overpass",
            "tests/fixtures/feeds/overpy_way-04.json",
            json!({"categories": {"shop=florist": "second-hand"}}),
            (1, 0, 1, 0),
        ),
        (
            "toulouse",
            "geojson",
            "demo/feeds/toulouse_jardins_partages.geojson",
            toulouse(),
            (12, 12, 0, 0),
        ),
        (
            "gogo",
            "gogocarto",
            "demo/feeds/elements_gogofull.json",
            json!({"categories": {"10427": "food-gardens", "10473": "social-links", "10495": "social-links"}, "unmapped": "skip"}),
            (12, 12, 0, 0),
        ),
        (
            "kvm",
            "openfairdb",
            "demo/feeds/search_results.json",
            // The built-in German and English rules name 40 of the 100 entries.
            json!({"unmapped": "skip"}),
            (100, 40, 0, 60),
        ),
        (
            "kvm-csv",
            "openfairdb",
            "tests/fixtures/feeds/ofdb-cli_import-example.csv",
            json!({"categories": {"geld": "local-exchange"}}),
            (1, 1, 0, 0),
        ),
        (
            "labs",
            "fablabs",
            "tests/fixtures/feeds/fablabs_labs.json",
            json!({}),
            (4, 3, 1, 0),
        ),
        (
            "labs-wrapped",
            "fablabs",
            "tests/fixtures/feeds/fablabs_labs_wrapped.json",
            json!({}),
            (2, 2, 0, 0),
        ),
        (
            "mednum",
            "mednum",
            "demo/feeds/exemple-valide.csv",
            json!({}),
            (1, 1, 0, 0),
        ),
    ];
    for (id, format, file, mapping, expected) in cases {
        let name = format!("{id}.feed");
        desk.feeds.put_file(&name, &repo_file(file));
        desk.declare(id, format, &name, mapping).unwrap();
        let outcome = desk.import(id).await;
        assert_ok(&outcome);
        let c = outcome.counts;
        assert_eq!(
            (c.fetched, c.created, c.rejected, c.skipped),
            expected,
            "{id}: {:?}",
            outcome.rejects
        );
    }
    // The same way, named: it lands at its center.
    let mut named: Value = serde_json::from_slice(
        &std::fs::read(repo_file("tests/fixtures/feeds/overpy_way-03.json")).unwrap(),
    )
    .unwrap();
    named["elements"][4]["tags"]["name"] = json!("Fioraio del Colosseo");
    desk.feeds.put("named-way.json", named.to_string());
    desk.declare(
        "named-way",
        "overpass",
        "named-way.json",
        json!({"categories": {"shop=florist": "second-hand"}}),
    )
    .unwrap();
    assert_eq!(desk.import("named-way").await.counts.created, 1);
    let center = desk
        .text("SELECT ST_AsText(point) AS t FROM initiatives WHERE external_id = 'way/225576797'");
    assert_eq!(center, "POINT(12.5032265 41.8954998)", "the way's center");
    let reasons = desk.text("SELECT string_agg(reason, ' / ' ORDER BY id) AS t FROM import_rejects WHERE external_id = 'way/225576797'");
    assert_eq!(
        reasons,
        "no name / no name; the element's center is empty: Overpass could not compute it"
    );

    let c_base = desk.app.get_json("/api/v1/initiatives/c-base").await;
    assert_eq!(c_base["categories"], json!(["fablab"]));
    assert_eq!(c_base["address"]["street"], "Rungestraße 20");
    assert_eq!(c_base["contact"]["website"], "https://www.c-base.org/");
    assert_eq!(c_base["provenance"]["source_id"], "osm");
    assert_eq!(c_base["provenance"]["external_id"], "node/260050809");
    assert_eq!(
        c_base["provenance"]["source_url"],
        "https://www.openstreetmap.org/node/260050809"
    );
    assert_eq!(c_base["licence"], "ODbL-1.0");
    assert!(c_base["provenance"]["fetched_at"].is_string());

    let ruche = desk
        .app
        .get_json("/api/v1/initiatives?q=ruche%20chenay")
        .await;
    assert_eq!(
        ruche["items"][0]["contact"]["email"],
        Value::Null,
        "'hidden' is not an e-mail"
    );
    assert!(
        ruche["items"][0]["description"]
            .as_str()
            .unwrap()
            .contains("jeudi de 18h à 19h")
    );

    let mednum = desk.app.get_json("/api/v1/initiatives?q=anonymal").await;
    let place = &mednum["items"][0];
    assert_eq!(
        place["categories"],
        json!(["digital-inclusion", "tiers-lieu"])
    );
    assert_eq!(place["contact"]["email"], "contact@laquincaillerie.tl");
    // The schema has no wheelchair value; its acceslibre record is kept among the links.
    assert_eq!(
        place["contact"]["links"],
        json!([
            "https://m.facebook.com/laquincaillerienumerique/",
            "https://acceslibre.beta.gouv.fr/app/29-lampaul-plouarzel/a/bibliotheque-mediatheque/erp/mediatheque-13/"
        ])
    );
    assert_eq!(
        place["opening_hours"],
        "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    );
    assert_eq!(place["address"]["insee_code"], "51454");
    assert!(
        place["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("insertion professionnelle via le numérique"))
    );

    let labs = desk
        .app
        .get_json("/api/v1/initiatives?q=makerspace%20port")
        .await;
    assert_eq!(
        labs["items"][0]["status"], "inactive",
        "planned labs are not active yet"
    );
    let reason = desk.text("SELECT reason AS t FROM import_rejects WHERE external_id = '9003'");
    assert_eq!(reason, "latitude/longitude are null in fablabs.io");

    let garden = desk.app.get_json("/api/v1/initiatives?q=castors").await;
    assert_eq!(
        garden["items"][0]["contact"]["email"]
            .as_str()
            .map(|e| e.contains('\r')),
        Some(false)
    );
    assert_eq!(garden["items"][0]["status"], "active");
}

#[actix_web::test]
async fn duplicates_are_found_within_and_across_sources_and_never_merged() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    // Another source lists the Verrier garden 40 m away, and a bike workshop sharing a garden's e-mail.
    let other = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "v1", "geometry": {"type": "Point", "coordinates": [1.4395, 43.6139]},
         "properties": {"name": "Jardin du Verrier (parc public)"}},
        {"type": "Feature", "id": "b1", "geometry": {"type": "Point", "coordinates": [1.50, 43.60]},
         "properties": {"name": "Atelier vélo Roquelaine", "email": "ASSOLARUCHE@live.fr"}}
    ]});
    desk.feeds.put("other.geojson", other.to_string());
    desk.declare(
        "other",
        "geojson",
        "other.geojson",
        json!({"default_category": "shared-garden"}),
    )
    .unwrap();
    let outcome = desk.import("other").await;
    assert_ok(&outcome);
    assert_eq!(outcome.counts.duplicates, 2);
    let listed: Value = desk
        .app
        .client
        .get(desk.app.url("/api/v1/duplicates"))
        .bearer_auth(&desk.app.editor_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pairs = listed["duplicates"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    let near = pairs
        .iter()
        .find(|p| p["shared_contacts"] == json!([]))
        .unwrap();
    assert!(near["distance_m"].as_f64().unwrap() < 150.0);
    assert!(near["name_similarity"].as_f64().unwrap() >= 0.5);
    let contact = pairs
        .iter()
        .find(|p| p["shared_contacts"] == json!(["email"]))
        .unwrap();
    assert!(contact["distance_m"].as_f64().unwrap() > 1000.0);
    assert_eq!(
        desk.count("SELECT count(*) AS n FROM initiatives"),
        14,
        "nothing merged"
    );
    let id = near["id"].as_i64().unwrap();
    let judged = desk
        .app
        .client
        .patch(desk.app.url(&format!("/api/v1/duplicates/{id}")))
        .bearer_auth(&desk.app.editor_token)
        .json(&json!({"status": "dismissed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(judged.status(), 204);
}

#[actix_web::test]
async fn an_empty_feed_never_withdraws_everything() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("toulouse").await);
    let before = desk.app.db.fingerprint();
    desk.feeds.put(
        "gardens.geojson",
        json!({"type": "FeatureCollection", "features": []}).to_string(),
    );
    let outcome = desk.import("toulouse").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(
        outcome
            .error
            .unwrap()
            .contains("refusing to withdraw the 12")
    );
    assert_eq!(desk.app.db.fingerprint(), before);
}

#[actix_web::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    let before = desk.app.db.fingerprint();
    let runs = desk.count("SELECT count(*) AS n FROM import_runs");
    let outcome = desk.import_with("toulouse", true).await;
    assert_ok(&outcome);
    assert_eq!(outcome.counts.created, 12);
    assert_eq!(desk.app.db.fingerprint(), before);
    assert_eq!(desk.count("SELECT count(*) AS n FROM import_runs"), runs);
}

#[actix_web::test]
async fn a_source_with_a_bad_mapping_is_refused_when_declared() {
    let desk = desk().await;
    let unknown = desk
        .declare(
            "x",
            "geojson",
            "x.geojson",
            json!({"default_category": "community-gardn"}),
        )
        .unwrap_err();
    assert!(unknown.to_string().contains("community-gardn"), "{unknown}");
    let typo = desk
        .declare(
            "x",
            "geojson",
            "x.geojson",
            json!({"fields": {"nmae": "nom"}}),
        )
        .unwrap_err();
    assert!(typo.to_string().contains("nmae"), "{typo}");
    assert_eq!(desk.count("SELECT count(*) AS n FROM sources"), 0);
}

#[actix_web::test]
async fn admins_run_imports_through_the_api() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    let app = &desk.app;
    let as_editor = app
        .client
        .post(app.url("/api/v1/sources/toulouse/runs"))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(as_editor.status(), 403);
    let dry: Value = app
        .client
        .post(app.url("/api/v1/sources/toulouse/runs?dry_run=true"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["counts"]["created"], 12);
    assert_eq!(
        app.get_json("/api/v1/initiatives.geojson").await["numberReturned"],
        0
    );

    // A mapping change is previewed before it is declared: the same dry run, with another
    // mapping in the body (here one that reads names from a property the feed does not have).
    let mut changed = toulouse();
    changed["fields"]["name"] = json!("nom_du_jardin");
    let preview = |body: Value, query: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/sources/toulouse/runs{query}")))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    let previewed: Value = preview(json!({"mapping": changed}), "?dry_run=true")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(previewed["dry_run"], true, "{previewed}");
    assert_eq!(previewed["counts"]["created"], 0, "{previewed}");
    assert_eq!(previewed["counts"]["rejected"], 12, "{previewed}");
    let mut unknown_category = toulouse();
    unknown_category["default_category"] = json!("no-such-practice");
    let refused = preview(json!({"mapping": unknown_category}), "?dry_run=true")
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let not_dry = preview(json!({"mapping": toulouse()}), "").await.unwrap();
    assert_eq!(not_dry.status(), 400);
    // A mapping that is not an object is refused, not taken for none; a null body is none.
    let no_mapping = preview(json!({"mapping": null}), "?dry_run=true")
        .await
        .unwrap();
    assert_eq!(no_mapping.status(), 400);
    let null_body: Value = preview(Value::Null, "?dry_run=true")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(null_body["counts"]["created"], 12, "{null_body}");
    // Nothing was declared: the source keeps its mapping.
    let sources: Value = app.get_json_as("/api/v1/sources", &app.admin_token).await;
    assert_eq!(sources["sources"][0]["mapping"]["fields"]["name"], "nom");

    let started = app
        .client
        .post(app.url("/api/v1/sources/toulouse/runs"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap().to_string();
    let mut report = Value::Null;
    for _ in 0..200 {
        report = app.get_json_as(&location, &app.admin_token).await;
        if report["status"] != "running" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["created"], 12);
    let sources: Value = app.get_json_as("/api/v1/sources", &app.admin_token).await;
    assert_eq!(sources["sources"][0]["last_run_status"], "succeeded");
    let unknown = app
        .client
        .post(app.url("/api/v1/sources/nope/runs"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        app.get_json("/api/v1/initiatives.geojson").await["numberReturned"],
        12
    );
    let feature =
        &app.get_json("/api/v1/initiatives.geojson?limit=1").await["features"][0]["properties"];
    assert_eq!(feature["source_id"], "toulouse");
    assert_eq!(feature["attribution"], "toulouse contributors");
}

#[actix_web::test]
async fn sources_with_a_refresh_interval_are_imported_when_due() {
    let desk = desk().await;
    desk.feeds
        .put("gardens.geojson", toulouse_feed().to_string());
    desk.declare("toulouse", "geojson", "gardens.geojson", toulouse())
        .unwrap();
    diesel::sql_query(
        "UPDATE sources SET refresh_interval = interval '1 hour' WHERE id = 'toulouse'",
    )
    .execute(&mut desk.app.db.connect())
    .unwrap();
    desk.declare("on-demand", "geojson", "other.geojson", toulouse())
        .unwrap();
    let fetcher = Arc::new(archipel_importer::Fetcher::new(FetchSettings::default()).unwrap());
    let first = run::run_due(
        &desk.app.pool,
        fetcher.clone(),
        "schedule",
        Arc::new(Silent),
    )
    .await
    .unwrap();
    let ran: Vec<String> = first.into_iter().map(|o| o.unwrap().source_id).collect();
    assert_eq!(
        ran,
        vec!["toulouse"],
        "never-run sources with an interval are due; on-demand ones never"
    );
    let second = run::run_due(&desk.app.pool, fetcher, "schedule", Arc::new(Silent))
        .await
        .unwrap();
    assert!(second.is_empty(), "not due again before an hour has passed");
    assert_eq!(
        desk.text("SELECT trigger AS t FROM import_runs ORDER BY id DESC LIMIT 1"),
        "schedule"
    );
}

#[actix_web::test]
async fn a_large_import_leaves_its_tables_vacuumed_and_analysed_for_the_next_run() {
    #[derive(QueryableByName)]
    struct Tidied {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        vacuumed: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        analysed: i64,
    }
    let tidied = |desk: &Desk| -> Tidied {
        diesel::sql_query(
            "SELECT count(*) FILTER (WHERE last_vacuum IS NOT NULL) AS vacuumed,
                    count(*) FILTER (WHERE last_analyze IS NOT NULL) AS analysed
             FROM pg_stat_user_tables
             WHERE relname IN ('initiatives', 'initiative_categories', 'map_points', 'import_digests')",
        )
        .get_result(&mut desk.app.db.connect())
        .unwrap()
    };
    let feed = |n: usize| {
        let features: Vec<Value> = (0..n)
            .map(|i| {
                json!({"type": "Feature",
                       "geometry": {"type": "Point", "coordinates": [1.0 + (i % 100) as f64 * 0.01, 43.0 + (i / 100) as f64 * 0.01]},
                       "properties": {"id": format!("g{i}"), "nom": format!("Jardin {i}")}})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features}).to_string()
    };
    let desk = desk().await;
    // A small run leaves the tables to autovacuum.
    desk.feeds.put("small.geojson", feed(50));
    desk.declare("small", "geojson", "small.geojson", toulouse())
        .unwrap();
    assert_ok(&desk.import("small").await);
    let after_small = tidied(&desk);
    assert_eq!((after_small.vacuumed, after_small.analysed), (0, 0));
    // One that writes TIDY_AFTER_ROWS rows or more vacuums and analyses the four tables it filled.
    let n = archipel_store::sync::TIDY_AFTER_ROWS as usize;
    desk.feeds.put("large.geojson", feed(n));
    desk.declare("large", "geojson", "large.geojson", toulouse())
        .unwrap();
    let large = desk.import("large").await;
    assert_ok(&large);
    assert_eq!(large.counts.created as usize, n);
    let after_large = tidied(&desk);
    assert_eq!((after_large.vacuumed, after_large.analysed), (4, 4));
}

/// A deterministic spread of `count` points around (`lon`, `lat`), `span` degrees wide, with
/// names from a small vocabulary (so that many close ones are alike), and no contact details.
fn crowded_features(
    seed: &mut u64,
    prefix: &str,
    count: usize,
    lon: f64,
    lat: f64,
    span: f64,
) -> Vec<Value> {
    const KINDS: [&str; 4] = [
        "Jardin partagé",
        "Repair café",
        "Atelier vélo",
        "Ressourcerie",
    ];
    const PLACES: [&str; 6] = [
        "du centre",
        "des Lilas",
        "de la gare",
        "du port",
        "Nord",
        "Saint-Michel",
    ];
    let mut next = || {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|n| {
            let (x, y) = (next() - 0.5, next() - 0.5);
            let name = format!(
                "{} {}",
                KINDS[(next() * 4.0) as usize],
                PLACES[(next() * 6.0) as usize]
            );
            // Longitude spans shrink with the latitude: the same ground spread everywhere.
            let point = [lon + x * span / lat.to_radians().cos(), lat + y * span];
            json!({"type": "Feature", "id": format!("{prefix}{n}"),
                   "geometry": {"type": "Point", "coordinates": point},
                   "properties": {"name": name}})
        })
        .collect()
}

/// Imports `features` as a new source `id` and checks that the candidates are exactly the
/// definition's pairs (see [`missed_and_extra_duplicates`]); the outcome and how many there are.
async fn import_and_compare_duplicates(
    desk: &Desk,
    id: &str,
    features: Vec<Value>,
) -> (Outcome, i64) {
    let outcome = import_features(desk, id, features).await;
    assert_ok(&outcome);
    let (expected, missed, extra) = missed_and_extra_duplicates(desk);
    assert_eq!((missed, extra), (0, 0), "of {expected} candidates");
    (outcome, expected)
}

/// Serves `features` as the feed of a new source `id` of gardens and imports it.
async fn import_features(desk: &Desk, id: &str, features: Vec<Value>) -> Outcome {
    let file = format!("{id}.geojson");
    desk.feeds.put(
        &file,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    );
    desk.declare(
        id,
        "geojson",
        &file,
        json!({"default_category": "shared-garden"}),
    )
    .unwrap();
    desk.import(id).await
}

/// Every pair of initiatives within 150 m on the sphere with similar names (the definition;
/// a box of 0.01°, at least 380 m wide at the crowds' latitudes, only spares measuring pairs
/// of distant crowds) minus the candidates found, and the other way round.
fn missed_and_extra_duplicates(desk: &Desk) -> (i64, i64, i64) {
    let expected = "SELECT a.id AS a, b.id AS b FROM initiatives a JOIN initiatives b ON a.id < b.id
         WHERE a.point && ST_Expand(b.point, 0.01)
           AND ST_DWithin(a.point::geography, b.point::geography, 150, false)
           AND similarity(archipel_unaccent(lower(a.name)), archipel_unaccent(lower(b.name))) >= 0.5";
    let found = "SELECT initiative_a, initiative_b FROM duplicate_candidates";
    (
        desk.count(&format!("SELECT count(*) AS n FROM ({expected}) e")),
        desk.count(&format!(
            "SELECT count(*) AS n FROM ({expected} EXCEPT {found}) e"
        )),
        desk.count(&format!(
            "SELECT count(*) AS n FROM ({found} EXCEPT {expected}) e"
        )),
    )
}

#[actix_web::test]
async fn a_large_first_import_finds_every_close_pair_with_similar_names() {
    let desk = desk().await;
    let mut seed = 7;
    // Crowds in Toulouse, across the equator and the prime meridian, in the far north (the
    // grid's cells widen with the latitude) and the south.
    let mut features = crowded_features(&mut seed, "t", 600, 1.44, 43.6, 0.015);
    features.extend(crowded_features(&mut seed, "e", 300, 0.0, 0.0, 0.01));
    features.extend(crowded_features(&mut seed, "n", 300, 18.96, 69.65, 0.01));
    features.extend(crowded_features(&mut seed, "s", 300, 55.45, -21.1, 0.01));
    let rows = "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'initiatives'::regclass";
    assert!(duplicates_on_grid(
        features.len() as i64,
        desk.count(rows) as f64
    ));
    // A first import of 1,500 records into an empty directory: the pairs are found on the grid.
    let (outcome, expected) = import_and_compare_duplicates(&desk, "crowd", features).await;
    assert!(
        expected > 300,
        "the crowds make many candidates: {expected}"
    );
    assert_eq!(i64::from(outcome.counts.duplicates), expected);
    for (place, filter) in [
        (
            "across the prime meridian",
            "least(ST_X(x.point), ST_X(y.point)) < 0 AND greatest(ST_X(x.point), ST_X(y.point)) > 0",
        ),
        (
            "across the equator",
            "least(ST_Y(x.point), ST_Y(y.point)) < 0 AND greatest(ST_Y(x.point), ST_Y(y.point)) > 0",
        ),
        ("in the far north", "ST_Y(x.point) > 69"),
        ("in the south", "ST_Y(x.point) < -20"),
    ] {
        let n = desk.count(&format!(
            "SELECT count(*) AS n FROM duplicate_candidates d JOIN initiatives x ON x.id = d.initiative_a
             JOIN initiatives y ON y.id = d.initiative_b WHERE {filter}"
        ));
        assert!(n > 0, "no candidate {place}");
    }

    // A few records of another source among them: each probes the point index.
    let few = crowded_features(&mut seed, "o", 20, 1.44, 43.6, 0.015);
    assert!(!duplicates_on_grid(
        few.len() as i64,
        desk.count(rows) as f64
    ));
    let (outcome, all) = import_and_compare_duplicates(&desk, "few", few).await;
    assert!(
        outcome.counts.duplicates > 5,
        "{:?}",
        outcome.counts.duplicates
    );
    assert_eq!(i64::from(outcome.counts.duplicates), all - expected);
}
