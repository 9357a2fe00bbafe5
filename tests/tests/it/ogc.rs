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

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn fetch(app: &TestApp, url: &str, accept: Option<&str>) -> (String, String, String) {
    let mut request = app.client.get(url);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (media, vary) = (header("content-type"), header("vary"));
    (media, vary, response.text().await.unwrap())
}

/// The `href` of the page's `rel="next"` link, unescaped.
fn next_in_html(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

#[actix_web::test]
async fn every_ogc_resource_is_html_for_browsers_and_json_otherwise() {
    let app = with_initiatives(2).await;
    let created = app.create(initiative("Jardin partagé", 47.22, -1.53)).await;
    let id = created["id"].as_str().unwrap();
    let base = format!("{}/ogc", app.address);
    for path in [
        String::new(),
        "/conformance".into(),
        "/collections".into(),
        "/collections/initiatives".into(),
        "/collections/initiatives/items".into(),
        format!("/collections/initiatives/items/{id}"),
    ] {
        let url = format!("{base}{path}");
        for (query, accept) in [
            ("?f=html", None),
            ("", Some(BROWSER)),
            ("?f=html", Some("application/json")),
        ] {
            let (media, vary, body) = fetch(&app, &format!("{url}{query}"), accept).await;
            assert_eq!(media, "text/html; charset=utf-8", "{url}{query} {accept:?}");
            assert!(vary.contains("Accept"), "{url}: {vary}");
            assert!(
                body.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
                "{url}"
            );
            assert!(body.contains("<main>") && body.contains("<h1>"), "{url}");
        }
        for (query, accept) in [
            ("", None),
            ("", Some("application/json")),
            ("?f=json", Some(BROWSER)),
        ] {
            let (media, vary, body) = fetch(&app, &format!("{url}{query}"), accept).await;
            assert!(
                media == "application/json" || media == "application/geo+json",
                "{url}{query} {accept:?}: {media}"
            );
            assert!(vary.contains("Accept"), "{url}: {vary}");
            let doc: Value = serde_json::from_str(&body).unwrap();
            let alternate = doc["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["rel"] == "alternate" && l["type"] == "text/html")
                .unwrap_or_else(|| panic!("{url}: no HTML alternate in {doc}"));
            let (media, _, _) = fetch(&app, alternate["href"].as_str().unwrap(), None).await;
            assert_eq!(media, "text/html; charset=utf-8", "{alternate}");
        }
    }
    // The pages link back to their JSON, and speak French when asked.
    let (_, _, page) = fetch(&app, &format!("{base}/collections?f=html&lang=fr"), None).await;
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(
        page.contains(&format!(
            "<link rel=\"alternate\" type=\"application/json\" href=\"{base}/collections?f=json\">"
        )),
        "{page}"
    );
    let response = app
        .client
        .get(format!("{base}/collections/initiatives/items/{id}?f=html"))
        .header("Accept-Language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"fr\">") && page.contains("Jardin partagé"),
        "{page}"
    );
    assert!(page.contains("<dt>Longitude</dt><dd>-1.53</dd>"), "{page}");
    let css = app.get("/ogc/style.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[actix_web::test]
async fn the_html_items_pages_list_every_initiative_escaped_and_page_with_next_links() {
    let app = with_initiatives(11).await;
    let hostile = app
        .create(initiative("<script>alert('x')</script> Café", 47.3, -1.5))
        .await;
    let hostile_id = hostile["id"].as_str().unwrap();
    let mut next = Some(format!(
        "{}/ogc/collections/initiatives/items?limit=5&f=html",
        app.address
    ));
    let (mut pages, mut all) = (0, String::new());
    while let Some(url) = next {
        let (media, _, page) = fetch(&app, &url, None).await;
        assert_eq!(media, "text/html; charset=utf-8");
        next = next_in_html(&page);
        all.push_str(&page);
        pages += 1;
        assert!(pages <= 3, "the pages never end: {url}");
    }
    assert_eq!(pages, 3);
    for i in 0..11 {
        assert!(all.contains(&format!(">Fablab {i}</a>")), "Fablab {i}");
    }
    assert!(!all.contains("Brouillon"));
    assert!(!all.contains("<script"), "an unescaped name");
    assert!(all.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Café"));
    let (_, _, page) = fetch(
        &app,
        &format!(
            "{}/ogc/collections/initiatives/items/{hostile_id}",
            app.address
        ),
        Some(BROWSER),
    )
    .await;
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains(
            "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Café — Archipel OGC API</title>"
        ),
        "{page}"
    );
    // f=html is a parameter of items like the others; an unknown format is still refused.
    let refused = app.get("/ogc/collections/initiatives/items?f=xml").await;
    assert_eq!(refused.status(), 400);
}

/// The `openapi-spec-validator` of the venv `make test` creates (`make fuzz-venv`), or
/// `ARCHIPEL_OPENAPI_SPEC_VALIDATOR`; `None` outside CI when it is not installed.
fn openapi_spec_validator() -> Option<std::path::PathBuf> {
    let binary = std::env::var_os("ARCHIPEL_OPENAPI_SPEC_VALIDATOR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            archipel_tests::workspace_root().join("tests/fuzz/.venv/bin/openapi-spec-validator")
        });
    if binary.exists() {
        return Some(binary);
    }
    let message = format!(
        "{} is missing: run `make fuzz-venv`, or set ARCHIPEL_OPENAPI_SPEC_VALIDATOR",
        binary.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("skipping the OpenAPI validation: {message}");
    None
}

/// `openapi-spec-validator` on `doc`: (valid, report).
fn validate_openapi(validator: &std::path::Path, doc: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = Command::new(validator).arg(&file).output().unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[actix_web::test]
async fn the_landing_page_describes_the_api_in_a_valid_openapi_3_0_document() {
    let app = with_initiatives(0).await;
    let landing = app.get_json("/ogc").await;
    let service_desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(
        service_desc["type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let response = app
        .client
        .get(service_desc["href"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.0."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["servers"][0]["url"], format!("{}/ogc", app.address));
    for path in [
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let service_doc = href(&landing["links"], "service-doc").unwrap();
    let (media, _, page) = fetch(&app, service_doc, None).await;
    assert_eq!(media, "text/html; charset=utf-8");
    assert!(
        page.contains("<code>GET /collections/{collectionId}/items</code>"),
        "{page}"
    );

    let conformance = app.get_json("/ogc/conformance").await;
    for class in ["html", "oas30", "core", "geojson"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{class}");
        assert!(
            conformance["conformsTo"]
                .as_array()
                .unwrap()
                .contains(&json!(uri)),
            "{class}"
        );
    }

    let Some(validator) = openapi_spec_validator() else {
        return;
    };
    let (valid, report) = validate_openapi(&validator, &doc);
    assert!(valid, "{report}");
    // The validator does find faults.
    let mut broken = doc.clone();
    broken["paths"]["/collections/{collectionId}/items"]["get"]["parameters"][1] =
        json!({"name": "limit", "in": "nowhere"});
    let (valid, report) = validate_openapi(&validator, &broken);
    assert!(!valid, "{report}");
}

#[actix_web::test]
async fn a_six_number_bbox_is_read_without_its_heights() {
    let app = with_initiatives(25).await;
    let boxed = app
        .get_json("/ogc/collections/initiatives/items?bbox=-1.56,47.19,0,-1.50,47.25,100&limit=100")
        .await;
    assert_eq!(boxed["numberReturned"], 6);
}
