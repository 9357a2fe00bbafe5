//! Imports that just work with the peer maps: a GoGoCarto instance (its taxonomy fetched beside
//! its elements) and Karte von morgen land without a hand-written mapping; what the built-in
//! rules cannot classify is stored pending "to classify" and listed, with counts, in the run.

use archipel_api::Settings;
use archipel_importer::run::{self, Outcome};
use archipel_importer::{FetchSettings, RunOptions, Silent};
use archipel_store::domain::Moderation;
use archipel_store::import_run::{self, RunStatus, UnmappedValue};
use archipel_store::source::SourceConfig;
use archipel_tests::feeds::FeedServer;
use archipel_tests::{TestApp, repo_file};
use diesel::{QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use std::sync::Arc;

struct Desk {
    app: TestApp,
    feeds: FeedServer,
}

async fn desk() -> Desk {
    Desk {
        app: TestApp::spawn_with(Settings::default()).await,
        feeds: FeedServer::start(),
    }
}

/// Where a peer instance serves its elements (the taxonomy is beside them).
const GOGO: &str = "presdecheznous/api/elements.json";
const GOGO_TAXONOMY: &str = "presdecheznous/api/taxonomy.json";

impl Desk {
    fn declare(&self, id: &str, format: &str, feed: &str, mapping: Value) {
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
    }

    /// A GoGoCarto instance serving `elements` and the real taxonomy beside them.
    fn serve_gogocarto(&self, elements: &str) {
        let fixture = |f: &str| repo_file(&format!("tests/fixtures/feeds/gogocarto/{f}"));
        self.feeds.put_file(GOGO, &fixture(elements));
        self.feeds
            .put_file(GOGO_TAXONOMY, &fixture("taxonomy.json"));
    }

    async fn import(&self, id: &str) -> Outcome {
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
        assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
        outcome
    }

    fn count(&self, sql: &str) -> i64 {
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

    fn moderated(&self, source: &str, moderation: &str) -> i64 {
        self.count(&format!(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = '{source}' AND moderation = '{moderation}'"
        ))
    }

    /// Every pending initiative of `source` carries the mark and no category; no published one
    /// carries the mark.
    fn assert_pending_are_to_classify(&self, source: &str) {
        let marked = self.count(&format!(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = '{source}' AND moderation = 'pending'
               AND 'to-classify' = ANY(tags) AND cardinality(category_slugs) = 0"
        ));
        assert_eq!(marked, self.moderated(source, "pending"));
        let stray = self.count(&format!(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = '{source}' AND moderation = 'published'
               AND ('to-classify' = ANY(tags) OR cardinality(category_slugs) = 0)"
        ));
        assert_eq!(stray, 0);
    }

    async fn report(&self, outcome: &Outcome) -> Value {
        let id = outcome.run_id.unwrap();
        self.app
            .get_json_as(&format!("/api/v1/import-runs/{id}"), &self.app.admin_token)
            .await
    }
}

fn unmapped(pairs: &[(&str, i64)]) -> Vec<UnmappedValue> {
    pairs
        .iter()
        .map(|(value, count)| UnmappedValue {
            value: (*value).into(),
            count: *count,
        })
        .collect()
}

#[actix_web::test]
async fn a_gogocarto_compact_feed_lands_with_its_taxonomy_and_reports_what_it_could_not_classify() {
    let desk = desk().await;
    desk.serve_gogocarto("elements_gogocompact.json");
    desk.declare(
        "pdcn",
        "gogocarto",
        &format!("{GOGO}?ontology=gogocompact&limit=500"),
        json!({}),
    );
    let first = desk.import("pdcn").await;
    let c = first.counts;
    let (published, pending) = (
        desk.moderated("pdcn", "published"),
        desk.moderated("pdcn", "pending"),
    );
    println!(
        "gogocompact: {} elements, {} stored ({} published, {} pending), {} skipped, {} rejected",
        c.fetched, c.created, published, pending, c.skipped, c.rejected
    );
    assert_eq!(
        (c.fetched, c.created, c.rejected, c.skipped),
        (51, 50, 0, 1)
    );
    assert!(f64::from(c.created) >= 0.8 * f64::from(c.fetched));
    // Agriculture & Alimentation (30) and Habitat (5) are named by the built-in rules.
    assert_eq!((published, pending, i64::from(c.to_classify)), (35, 15, 15));
    desk.assert_pending_are_to_classify("pdcn");
    assert_eq!(
        desk.count(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = 'pdcn' AND category_slugs = '{food-gardens}'"
        ),
        30
    );
    let expected = unmapped(&[
        ("Economie & Finance", 5),
        ("Voyages", 4),
        ("Mode & Beauté", 3),
        ("Sortie & Culture", 3),
        ("Mobilité", 2),
        ("10496", 1),
    ]);
    assert_eq!(first.unmapped, expected);
    assert!(run::summary(&first).en.contains("15 to classify"));

    // The run's report lists them for editors, and the run keeps the taxonomy it used.
    let report = desk.report(&first).await;
    assert_eq!(report["to_classify"], 15);
    assert_eq!(
        report["unmapped"][0],
        json!({"value": "Economie & Finance", "count": 5})
    );
    assert_eq!(report["unmapped"].as_array().unwrap().len(), 6);
    assert_eq!(report["taxonomy_url"], json!(desk.feeds.url(GOGO_TAXONOMY)));
    let kept = import_run::classification(&mut desk.app.db.connect(), first.run_id.unwrap())
        .unwrap()
        .taxonomy
        .unwrap();
    assert_eq!(kept["options"][0]["name"], "Agriculture & Alimentation");

    // Editors find them among the pending initiatives, marked.
    let listed = desk
        .app
        .get_json_as(
            "/api/v1/initiatives?moderation=pending&limit=100",
            &desk.app.editor_token,
        )
        .await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 15, "{listed}");
    assert!(
        items.iter().all(|i| i["tags"][0] == "to-classify"),
        "{listed}"
    );

    // Running it again changes nothing.
    desk.feeds.without_etag(GOGO);
    let again = desk.import("pdcn").await;
    let c = again.counts;
    assert_eq!(
        (c.created, c.updated, c.unchanged, c.withdrawn),
        (0, 0, 50, 0)
    );
    assert_eq!(desk.moderated("pdcn", "published"), 35);
    assert_eq!(desk.moderated("pdcn", "pending"), 15);
    assert_eq!(again.unmapped, expected);
}

#[actix_web::test]
async fn the_gogofull_sample_lands_without_a_hand_mapping() {
    let desk = desk().await;
    desk.serve_gogocarto("elements_gogofull.json");
    desk.declare("pdcn-full", "gogocarto", GOGO, json!({}));
    let outcome = desk.import("pdcn-full").await;
    let c = outcome.counts;
    let (published, pending) = (
        desk.moderated("pdcn-full", "published"),
        desk.moderated("pdcn-full", "pending"),
    );
    println!(
        "gogofull: {} elements, {} stored ({} published, {} pending), {} rejected",
        c.fetched, c.created, published, pending, c.rejected
    );
    assert_eq!((c.fetched, c.created, c.rejected), (12, 12, 0));
    assert_eq!((published, pending), (9, 3));
    desk.assert_pending_are_to_classify("pdcn-full");
    assert!(
        outcome
            .unmapped
            .contains(&unmapped(&[("Education & Formation", 2)])[0]),
        "{:?}",
        outcome.unmapped
    );
    desk.feeds.without_etag(GOGO);
    let again = desk.import("pdcn-full").await.counts;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 12));
}

#[actix_web::test]
async fn a_karte_von_morgen_search_result_lands_without_a_hand_mapping() {
    let desk = desk().await;
    desk.feeds.put_file(
        "search",
        &repo_file("tests/fixtures/feeds/openfairdb/search_results.json"),
    );
    desk.declare("kvm", "openfairdb", "search", json!({}));
    let outcome = desk.import("kvm").await;
    let c = outcome.counts;
    let (published, pending) = (
        desk.moderated("kvm", "published"),
        desk.moderated("kvm", "pending"),
    );
    println!(
        "Karte von morgen: {} entries, {} stored ({} published, {} pending), {} rejected; unmapped: {:?}",
        c.fetched,
        c.created,
        published,
        pending,
        c.rejected,
        &outcome.unmapped[..outcome.unmapped.len().min(8)]
    );
    assert_eq!((c.fetched, c.rejected, c.skipped), (100, 0, 0));
    assert_eq!(i64::from(c.created), published + pending);
    assert!(published >= 30, "{published} published");
    assert_eq!(pending, i64::from(c.to_classify));
    desk.assert_pending_are_to_classify("kvm");
    // Repair cafés, community gardens and CSAs are named by their German tags.
    for slug in ["repair-cafe", "shared-garden", "amap"] {
        let n = desk.count(&format!(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = 'kvm' AND '{slug}' = ANY(category_slugs)"
        ));
        assert!(n > 0, "no {slug}");
    }
    // Every unmapped tag of the pending entries is listed with its count, most frequent first.
    let total: i64 = outcome.unmapped.iter().map(|u| u.count).sum();
    assert!(total >= pending);
    assert!(
        outcome
            .unmapped
            .windows(2)
            .all(|w| w[0].count >= w[1].count)
    );
    let report = desk.report(&outcome).await;
    assert_eq!(
        report["unmapped"],
        serde_json::to_value(&outcome.unmapped).unwrap()
    );

    desk.feeds.without_etag("search");
    let again = desk.import("kvm").await.counts;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, c.created)
    );
}

#[actix_web::test]
async fn an_explicit_mapping_wins_over_the_built_in_rules() {
    let desk = desk().await;
    desk.serve_gogocarto("elements_gogocompact.json");
    desk.declare(
        "pdcn",
        "gogocarto",
        GOGO,
        json!({"categories": {"Agriculture & Alimentation": "shared-garden", "10525": "local-exchange"}}),
    );
    desk.import("pdcn").await;
    let slugs = |s: &str| {
        desk.count(&format!(
            "SELECT count(*) AS n FROM initiatives WHERE source_id = 'pdcn' AND category_slugs = '{{{s}}}'"
        ))
    };
    assert_eq!(slugs("shared-garden"), 30);
    assert_eq!(slugs("food-gardens"), 0);
    assert_eq!(slugs("local-exchange"), 5);
    assert_eq!(desk.moderated("pdcn", "published"), 40);
    assert_eq!(desk.moderated("pdcn", "pending"), 10);
}

#[actix_web::test]
async fn records_to_classify_are_published_once_the_mapping_classifies_them() {
    let desk = desk().await;
    desk.serve_gogocarto("elements_gogocompact.json");
    desk.declare("pdcn", "gogocarto", GOGO, json!({}));
    desk.import("pdcn").await;
    assert_eq!(desk.moderated("pdcn", "pending"), 15);
    // An editor rejects one of them: the next runs leave that decision alone.
    desk.count(
        "WITH r AS (UPDATE initiatives SET moderation = 'rejected' WHERE source_id = 'pdcn' AND external_id = 'c044' RETURNING 1) SELECT count(*) AS n FROM r",
    );
    desk.declare(
        "pdcn",
        "gogocarto",
        GOGO,
        json!({"categories": {"Voyages": "tiers-lieu", "Mobilité": "bike-workshop"}}),
    );
    desk.feeds.without_etag(GOGO);
    let outcome = desk.import("pdcn").await;
    assert_eq!(outcome.counts.updated, 6);
    assert_eq!(outcome.counts.to_classify, 9);
    assert_eq!(desk.moderated("pdcn", "published"), 35 + 3 + 2);
    assert_eq!(desk.moderated("pdcn", "rejected"), 1);
    assert_eq!(desk.moderated("pdcn", "pending"), 9);
    desk.assert_pending_are_to_classify("pdcn");
}

#[actix_web::test]
async fn without_its_taxonomy_a_gogocarto_feed_still_lands_to_classify() {
    let desk = desk().await;
    desk.feeds.put_file(
        GOGO,
        &repo_file("tests/fixtures/feeds/gogocarto/elements_gogocompact.json"),
    );
    desk.declare("pdcn", "gogocarto", GOGO, json!({}));
    let outcome = desk.import("pdcn").await;
    assert_eq!(outcome.counts.created, 50);
    assert_eq!(desk.moderated("pdcn", "pending"), 50);
    assert_eq!(outcome.unmapped[0], unmapped(&[("10427", 30)])[0]);

    // A taxonomy the mapping names must be there: the run fails and changes nothing.
    desk.declare(
        "named",
        "gogocarto",
        GOGO,
        json!({"taxonomy": desk.feeds.url("nowhere/taxonomy.json")}),
    );
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
    let failed = run::run(&desk.app.pool, fetcher, "named", options, Arc::new(Silent))
        .await
        .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed.error.unwrap().contains("404"));
    assert_eq!(desk.moderated("named", "pending"), 0);
}

#[actix_web::test]
async fn any_format_may_keep_its_unmapped_records_to_classify() {
    let desk = desk().await;
    let feature = |id: &str, kind: &str, lon: f64| {
        json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 43.6]},
               "properties": {"nom": format!("Lieu {id}"), "type": kind}})
    };
    let feed = json!({"type": "FeatureCollection", "features": [
        feature("a", "Jardin", 1.44), feature("b", "Verger", 1.45), feature("c", "Verger", 1.46)
    ]});
    desk.feeds.put("places.geojson", feed.to_string());
    desk.declare(
        "places",
        "geojson",
        "places.geojson",
        json!({"category_field": "type", "categories": {"Jardin": "shared-garden"}, "unmapped": "pending"}),
    );
    let outcome = desk.import("places").await;
    assert_eq!((outcome.counts.created, outcome.counts.to_classify), (3, 2));
    assert_eq!(outcome.unmapped, unmapped(&[("Verger", 2)]));
    assert_eq!(desk.moderated("places", "published"), 1);
    desk.assert_pending_are_to_classify("places");
}
