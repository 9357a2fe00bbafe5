//! OGC API – Features at /ogc, as GIS clients use it: GDAL's OAPIF driver (what QGIS uses) reads
//! every initiative through the pages, and the requirements of Part 1 hold.

use crate::initiative;
use archipel_tests::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;

async fn with_initiatives(n: usize) -> TestApp {
    let app = TestApp::spawn().await;
    for i in 0..n {
        app.create(initiative(
            &format!("Fablab {i}"),
            47.20 + (i as f64) * 0.01,
            -1.55 + (i as f64) * 0.01,
        ))
        .await;
    }
    // One that is not public.
    let hidden = app.create(initiative("Brouillon", 47.21, -1.54)).await;
    let id = hidden["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/initiatives/{id}"),
        &json!({"moderation": "pending"}),
    )
    .await;
    app
}

fn href<'a>(links: &'a Value, rel: &str) -> Option<&'a str> {
    links
        .as_array()?
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
}

#[actix_web::test]
async fn the_ogc_api_pages_through_the_published_initiatives() {
    let app = with_initiatives(25).await;
    let landing = app.get_json("/ogc").await;
    for rel in ["self", "service-desc", "conformance", "data"] {
        let link = href(&landing["links"], rel).unwrap_or_else(|| panic!("{rel} link"));
        assert!(link.starts_with(&app.address), "{link}");
    }
    let conformance = app.get_json("/ogc/conformance").await;
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .contains(&json!(
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
            ))
    );
    let collections = app.get_json("/ogc/collections").await;
    assert_eq!(collections["collections"][0]["id"], "initiatives");

    let mut seen = BTreeSet::new();
    let mut next = Some(format!(
        "{}/ogc/collections/initiatives/items?limit=10",
        app.address
    ));
    let mut pages = 0;
    while let Some(url) = next {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "application/geo+json");
        let page: Value = response.json().await.unwrap();
        for feature in page["features"].as_array().unwrap() {
            assert!(
                seen.insert(feature["id"].as_str().unwrap().to_string()),
                "repeated"
            );
            assert_ne!(feature["properties"]["name"], "Brouillon");
        }
        assert_eq!(
            page["numberReturned"].as_u64().unwrap() as usize,
            page["features"].as_array().unwrap().len()
        );
        next = href(&page["links"], "next").map(str::to_string);
        pages += 1;
    }
    assert_eq!((seen.len(), pages), (25, 3));

    let boxed = app
        .get_json("/ogc/collections/initiatives/items?bbox=-1.56,47.19,-1.50,47.25&limit=100")
        .await;
    assert_eq!(boxed["numberReturned"], 6);
    let later = app
        .get_json("/ogc/collections/initiatives/items?datetime=2100-01-01T00:00:00Z/..")
        .await;
    assert_eq!(later["numberReturned"], 0);
    let id = seen.iter().next().unwrap();
    let one = app
        .get_json(&format!("/ogc/collections/initiatives/items/{id}"))
        .await;
    assert_eq!(one["type"], "Feature");
    for (path, status) in [
        ("/ogc/collections/initiatives/items?bboxx=1,2,3,4", 400),
        ("/ogc/collections/initiatives/items?datetime=yesterday", 400),
        ("/ogc/collections/initiatives/items?limit=0", 400),
        ("/ogc/collections/gardens/items", 404),
        ("/ogc/collections/initiatives/items/no-such-thing", 404),
        ("/ogc/nothing", 404),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn gdal_reads_the_collection_through_small_pages_without_a_warning() {
    let app = with_initiatives(23).await;
    let source = format!("OAPIF:{}/ogc", app.address);
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so", "-oo", "PAGE_SIZE=5", &source])
        .output()
        .expect("ogrinfo (gdal-bin) is installed by make test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Layer name: initiatives"), "{stdout}");
    assert!(stdout.contains("Feature Count: 23"), "{stdout}");
    assert!(
        !stderr.contains("Warning") && !stderr.contains("ERROR"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("box.geojson");
    let out = Command::new("ogr2ogr")
        .args([
            "-f",
            "GeoJSON",
            target.to_str().unwrap(),
            &source,
            "initiatives",
        ])
        .args([
            "-spat",
            "-1.56",
            "47.19",
            "-1.50",
            "47.25",
            "-oo",
            "PAGE_SIZE=2",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Warning") && !stderr.contains("ERROR"),
        "{stderr}"
    );
    let copied: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(copied["features"].as_array().unwrap().len(), 6);
}
