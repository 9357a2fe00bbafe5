//! The OpenAPI document is generated from the code; any change to it shows up in review.

use archipel_api::openapi::ApiDoc;
use utoipa::OpenApi;

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let document = serde_json::to_value(ApiDoc::openapi()).expect("serialisable");
    // Keys sorted whatever serde_json's `preserve_order` (which a dependency, cql2, turns on).
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!(document);
    });
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
