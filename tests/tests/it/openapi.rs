//! The OpenAPI document is generated from the code and committed, pretty-printed with its keys
//! sorted, as `docs/openapi.json`: client generators (the front end's types, see
//! frontend/package.json) read it from the repository, and any change to it shows up in review.
//! `ARCHIPEL_UPDATE_OPENAPI=1 cargo nextest run -p archipel-tests openapi` rewrites the file.

use serde_json::{Map, Value};

const DOCUMENT: &str = "docs/openapi.json";

/// `value` with the keys of every object sorted, whatever serde_json's `preserve_order` (which
/// utoipa's `preserve_order` feature turns on).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let map: Map<_, _> = entries.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[test]
fn the_committed_openapi_document_is_the_one_the_code_generates() {
    let document = sorted(archipel_api::openapi::document());
    let generated = serde_json::to_string_pretty(&document).expect("serialisable") + "\n";
    let path = archipel_tests::repo_file(DOCUMENT);
    if std::env::var_os("ARCHIPEL_UPDATE_OPENAPI").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &generated).expect("docs/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{DOCUMENT} is not the OpenAPI document the code generates (first difference at line {}).\n\
             If the change is intended, regenerate it and commit it with the change:\n\
             \n    ARCHIPEL_UPDATE_OPENAPI=1 cargo nextest run -p archipel-tests openapi\n\
             \n(or `ARCHIPEL_UPDATE_OPENAPI=1 cargo test -p archipel-tests --test it openapi`), then \
             `git diff {DOCUMENT}` to review it.",
            line + 1
        );
    }
}

#[actix_web::test]
async fn the_openapi_document_and_its_docs_page_are_served() {
    let app = archipel_tests::TestApp::spawn().await;
    let served = app.get_json("/api/openapi.json").await;
    assert_eq!(served["info"]["title"], "Archipel");
    assert!(served["paths"]["/api/v1/initiatives.geojson"].is_object());
    let docs = app.get("/api/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}
