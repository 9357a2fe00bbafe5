//! The downloads of the whole directory: CSV with its Frictionless Table Schema, GeoJSON text
//! sequences, GeoJSON; their filters, their refusals and their share of the export slots.

use archipel_api::Settings;
use archipel_importer::{FetchSettings, Fetcher, RunOptions, Silent, config, run};
use archipel_tests::{TestApp, repo_file, workspace_root};
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CSV_HEADER: &str = "id,slug,name,description,lon,lat,geometry_type,categories,main_category,street,postcode,city,country_code,insee_code,website,email,phone,links,opening_hours,wheelchair,tags,status,licence,attribution,source_id,external_id,source_url,fetched_at,last_confirmed_at,created_at,updated_at";

const TRICKY_NAME: &str = "Atelier \"Vélo\", Pignon & Cie";
const TRICKY_DESCRIPTION: &str =
    "Première ligne, avec \"guillemets\"\nDeuxième ligne : réparer ensemble\nfin";
const ATTRIBUTION: &str = "© OpenStreetMap contributors, \"Près de chez nous\"";

/// A directory of tricky values: quotes, commas, line breaks, accents, `|` and `\` in tags, a
/// polygon, a record with every optional field empty, and an unpublished one.
/// Returns the slugs of the tricky, polygon, bare and unpublished initiatives.
async fn tricky_directory(app: &TestApp) -> [String; 4] {
    let tricky = app
        .create(json!({
            "name": TRICKY_NAME, "lat": 47.2378, "lon": 6.0241,
            "description": TRICKY_DESCRIPTION,
            "categories": ["repair-cafe", "fablab"],
            "address": {"street": "12, rue des \"Lilas\"", "postcode": "25000", "city": "Besançon",
                        "country_code": "FR", "insee_code": "25056"},
            "contact": {"website": "https://example.org/?a=1,2", "email": "contact@example.org",
                        "phone": "+33 3 81 00 00 00",
                        "links": ["https://example.org/a,b", "https://example.org/c"]},
            "opening_hours": "Mo-Fr 10:00-12:00; Sa 14:00-18:00",
            "tags": ["vélo", "a|b", "back\\slash"],
            "licence": "ODbL-1.0",
            "attribution": ATTRIBUTION,
        }))
        .await;
    let polygon = app
        .create(json!({
            "name": "Jardin partagé des Œillets", "categories": ["shared-garden"],
            "geometry": {"type": "Polygon", "coordinates": [[[1.43, 43.61], [1.44, 43.61], [1.44, 43.62], [1.43, 43.62], [1.43, 43.61]]]},
            "licence": "CC0-1.0", "attribution": "Toulouse Métropole",
        }))
        .await;
    let bare = app
        .create(json!({"name": "Lieu", "lat": 45.0, "lon": 4.0}))
        .await;
    let unpublished = app
        .create(json!({"name": "Pas encore publié", "lat": 45.1, "lon": 4.1, "licence": "ODbL-1.0", "attribution": "x"}))
        .await;
    diesel::sql_query("UPDATE initiatives SET moderation = 'pending' WHERE slug = $1")
        .bind::<diesel::sql_types::Text, _>(unpublished["slug"].as_str().unwrap())
        .execute(&mut app.db.connect())
        .unwrap();
    [tricky, polygon, bare, unpublished].map(|i| i["slug"].as_str().unwrap().to_string())
}

/// The rows of a CSV export, by slug, each as column name → value.
fn csv_rows(body: &str) -> HashMap<String, HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.expect("every row parses and has every column");
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect();
            (row["slug"].clone(), row)
        })
        .collect()
}

async fn body_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.unwrap()
}

#[actix_web::test]
async fn the_csv_export_parses_back_with_its_header_quoting_values_and_attribution() {
    let app = TestApp::spawn().await;
    let [tricky, polygon, bare, unpublished] = tricky_directory(&app).await;

    let response = app.get("/api/v1/export/initiatives.csv").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "inline; filename=\"initiatives.csv\""
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with(&format!("{CSV_HEADER}\r\n")), "{body}");
    assert!(body.ends_with("\r\n"));
    assert!(
        body.contains("\"Atelier \"\"Vélo\"\", Pignon & Cie\""),
        "quotes doubled, the field quoted: {body}"
    );

    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 3, "published ones only: {:?}", rows.keys());
    assert!(!rows.contains_key(&unpublished));
    let row = &rows[&tricky];
    assert_eq!(row["name"], TRICKY_NAME);
    assert_eq!(row["description"], TRICKY_DESCRIPTION);
    assert_eq!(row["lon"], "6.0241");
    assert_eq!(row["lat"], "47.2378");
    assert_eq!(row["geometry_type"], "Point");
    assert_eq!(row["categories"], "repair-cafe|fablab");
    assert_eq!(row["main_category"], "repair-cafe");
    assert_eq!(row["street"], "12, rue des \"Lilas\"");
    assert_eq!(row["city"], "Besançon");
    assert_eq!(row["insee_code"], "25056");
    assert_eq!(row["website"], "https://example.org/?a=1,2");
    assert_eq!(
        row["links"],
        "https://example.org/a,b|https://example.org/c"
    );
    assert_eq!(row["opening_hours"], "Mo-Fr 10:00-12:00; Sa 14:00-18:00");
    assert_eq!(row["tags"], "vélo|a\\|b|back\\\\slash", "| and \\ escaped");
    assert_eq!(row["status"], "active");
    assert_eq!(row["licence"], "ODbL-1.0");
    assert_eq!(row["attribution"], ATTRIBUTION);
    assert!(row["created_at"].ends_with('Z') && row["updated_at"].len() == 20);

    let row = &rows[&polygon];
    assert_eq!(row["geometry_type"], "Polygon");
    let (lon, lat): (f64, f64) = (row["lon"].parse().unwrap(), row["lat"].parse().unwrap());
    assert!((1.43..=1.44).contains(&lon) && (43.61..=43.62).contains(&lat));
    assert_eq!(row["attribution"], "Toulouse Métropole");

    let row = &rows[&bare];
    for empty in [
        "description",
        "categories",
        "main_category",
        "street",
        "links",
        "tags",
        "licence",
        "attribution",
        "fetched_at",
    ] {
        assert_eq!(row[empty], "", "{empty} of a bare initiative");
    }
}

#[actix_web::test]
async fn the_table_schema_describes_every_column_of_the_csv() {
    let app = TestApp::spawn().await;
    let schema = app.get_json("/api/v1/export/initiatives.schema.json").await;
    let names: Vec<&str> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.join(","), CSV_HEADER);
    assert_eq!(schema["primaryKey"], json!(["id"]));
    assert_eq!(schema["missingValues"], json!([""]));
    let field = |name: &str| {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("id")["format"], "uuid");
    assert_eq!(field("lat")["constraints"]["maximum"], 90);
    assert_eq!(
        field("status")["constraints"]["enum"],
        json!(["active", "inactive", "closed"])
    );
    assert_eq!(field("updated_at")["type"], "datetime");
}

#[actix_web::test]
async fn each_geojsonseq_record_is_a_feature_after_a_record_separator() {
    let app = TestApp::spawn().await;
    let [tricky, _, _, unpublished] = tricky_directory(&app).await;

    let response = app.get("/api/v1/export/initiatives.geojsonseq").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/geo+json-seq"
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with('\u{1e}') && body.ends_with('\n'));
    let features: Vec<Value> = body
        .split('\u{1e}')
        .skip(1)
        .map(|record| {
            let json = record.strip_suffix('\n').expect("each record ends with LF");
            serde_json::from_str(json).expect("each record is one JSON text")
        })
        .collect();
    assert_eq!(features.len(), 3);
    assert!(features.iter().all(|f| f["type"] == "Feature"));
    let slugs: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&tricky.as_str()) && !slugs.contains(&unpublished.as_str()));
    let feature = features
        .iter()
        .find(|f| f["properties"]["slug"] == tricky.as_str())
        .unwrap();
    assert_eq!(feature["properties"]["description"], TRICKY_DESCRIPTION);
    assert_eq!(feature["properties"]["attribution"], ATTRIBUTION);
}

/// How many initiatives an export holds.
async fn exported(app: &TestApp, format: &str, query: &str) -> usize {
    let body = body_of(app, &format!("/api/v1/export/initiatives.{format}?{query}")).await;
    match format {
        "csv" => csv_rows(&body).len(),
        "geojsonseq" => body.matches('\u{1e}').count(),
        _ => serde_json::from_str::<Value>(&body).unwrap()["features"]
            .as_array()
            .unwrap()
            .len(),
    }
}

#[actix_web::test]
async fn the_listing_filters_narrow_every_export() {
    let app = TestApp::spawn().await;
    tricky_directory(&app).await;
    app.create(
        json!({"name": "Ancien repair café", "lat": 43.6, "lon": 1.44,
                      "categories": ["repair-cafe"], "status": "closed"}),
    )
    .await;
    let future = "2999-01-01T00:00:00Z";
    for format in ["csv", "geojsonseq", "geojson"] {
        assert_eq!(exported(&app, format, "").await, 4, "{format}");
        assert_eq!(
            exported(&app, format, "category=repair-cafe").await,
            2,
            "{format}"
        );
        assert_eq!(
            exported(&app, format, "category=shared-garden").await,
            1,
            "{format}"
        );
        assert_eq!(
            exported(&app, format, "bbox=1,43,2,44").await,
            2,
            "{format}"
        );
        assert_eq!(exported(&app, format, "status=closed").await, 1, "{format}");
        assert_eq!(
            exported(&app, format, "category=repair-cafe&status=active").await,
            1,
            "{format}"
        );
        assert_eq!(
            exported(&app, format, &format!("updated_since={future}")).await,
            0
        );
        assert_eq!(
            exported(&app, format, "updated_since=2000-01-01T00:00:00Z").await,
            4
        );
    }
}

#[actix_web::test]
async fn an_unknown_or_malformed_export_parameter_is_a_400_problem() {
    let app = TestApp::spawn().await;
    for format in ["csv", "geojsonseq", "geojson"] {
        for (query, code) in [
            ("bbbox=1,2,3,4", "unknown_parameter"),
            ("limit=10", "unknown_parameter"),
            ("moderation=pending", "unknown_parameter"),
            ("category=no-such-practice", "unknown_category"),
            ("bbox=1,2,3", "invalid_bbox"),
            ("status=open", "invalid_status"),
            ("updated_since=yesterday", "invalid_updated_since"),
            ("status=active&status=closed", "repeated_parameter"),
        ] {
            let response = app
                .get(&format!("/api/v1/export/initiatives.{format}?{query}"))
                .await;
            assert_eq!(response.status(), 400, "{format}?{query}");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["code"], code, "{format}?{query}: {problem}");
        }
    }
}

/// Fills the directory with `n` published initiatives of about ten kilobytes each (a long
/// attribution: cheaper to store than a long description, which is indexed for search).
fn fill(app: &TestApp, n: u32) {
    diesel::sql_query(format!(
        "INSERT INTO initiatives (id, slug, name, attribution, geom)
         SELECT gen_random_uuid(), 'lieu-' || g, 'Lieu ' || g, repeat('Atelier partagé, \"ouvert\". ', 400),
                ST_SetSRID(ST_MakePoint(-5 + (g % 1000) * 0.013, 42 + (g / 1000) * 0.05), 4326)
         FROM generate_series(1, {n}) AS g"
    ))
    .execute(&mut app.db.connect())
    .unwrap();
}

/// Starts a download of `path` and reads nothing but the status.
async fn stalled(app: &TestApp, path: &str) -> (tokio::net::TcpStream, String) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.unwrap();
    (stream, String::from_utf8_lossy(&head[9..12]).to_string())
}

#[actix_web::test]
async fn a_third_concurrent_export_from_one_client_is_refused_429() {
    let app = TestApp::spawn_with(Settings {
        export_max: 4,
        export_max_per_client: 2,
        export_stall_timeout: Duration::from_secs(2),
        ..Settings::default()
    })
    .await;
    // ~20 MB of export: far more than the sockets' buffers hold, so the first two stay open.
    fill(&app, 2_000);
    let (_csv, first) = stalled(&app, "/api/v1/export/initiatives.csv").await;
    let (_seq, second) = stalled(&app, "/api/v1/export/initiatives.geojsonseq").await;
    assert_eq!([first.as_str(), second.as_str()], ["200", "200"]);
    let third = app.get("/api/v1/export/initiatives.csv").await;
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["retry-after"], "30");
    assert_eq!(third.headers()["content-type"], "application/problem+json");
}

/// The `frictionless` command of the venv `make test` creates (`make frictionless-venv`), or
/// `ARCHIPEL_FRICTIONLESS`.
fn frictionless() -> PathBuf {
    std::env::var_os("ARCHIPEL_FRICTIONLESS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("tests/frictionless/.venv/bin/frictionless"))
}

/// `frictionless validate` of `csv` against `schema`, both files of `dir`: (valid, report).
fn validate(dir: &std::path::Path, csv: &str, schema: &str) -> (bool, String) {
    let binary = frictionless();
    let out = std::process::Command::new(&binary)
        .current_dir(dir)
        .args([
            "validate",
            "--schema",
            schema,
            "--format",
            "csv",
            "--encoding",
            "utf-8",
            csv,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} (run `make frictionless-venv`, or set ARCHIPEL_FRICTIONLESS): {e}",
                binary.display()
            )
        });
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[actix_web::test]
async fn frictionless_finds_the_csv_export_valid_against_its_schema_and_a_broken_one_invalid() {
    let app = TestApp::spawn().await;
    tricky_directory(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = body_of(&app, "/api/v1/export/initiatives.schema.json").await;
    let export = body_of(&app, "/api/v1/export/initiatives.csv").await;
    std::fs::write(dir.path().join("schema.json"), &schema).unwrap();
    std::fs::write(dir.path().join("initiatives.csv"), &export).unwrap();

    let (valid, report) = validate(dir.path(), "initiatives.csv", "schema.json");
    assert!(valid, "the export is valid against its schema:\n{report}");

    // The same header with a row whose id, latitude and status break the schema.
    let dates = csv_rows(&export).into_values().next().unwrap();
    let broken_row: Vec<&str> = CSV_HEADER
        .split(',')
        .map(|column| match column {
            "id" => "not-a-uuid",
            "slug" => "broken",
            "name" => "Lieu",
            "lon" => "4",
            "lat" => "123",
            "geometry_type" => "Point",
            "status" => "open",
            "created_at" | "updated_at" => dates[column].as_str(),
            _ => "",
        })
        .collect();
    let broken = format!("{CSV_HEADER}\r\n{}\r\n", broken_row.join(","));
    std::fs::write(dir.path().join("broken.csv"), broken).unwrap();
    let (valid, report) = validate(dir.path(), "broken.csv", "schema.json");
    assert!(!valid, "a broken file must be reported invalid:\n{report}");
    for error in ["type-error", "constraint-error"] {
        assert!(report.contains(error), "{error} reported:\n{report}");
    }
}

#[actix_web::test]
async fn frictionless_finds_the_csv_export_of_the_demo_data_valid() {
    let app = TestApp::spawn().await;
    // The real open-data samples of `archipel demo load`, with their sources' licences.
    let sources = config::read_sources_file(&repo_file("demo/sources.toml")).unwrap();
    let mut conn = app.pool.get().unwrap();
    for source in &sources {
        run::declare(&mut conn, source).unwrap();
    }
    drop(conn);
    let fetcher = Arc::new(Fetcher::new(FetchSettings::default()).unwrap());
    for source in &sources {
        let options = RunOptions {
            dry_run: false,
            trigger: "test".into(),
        };
        run::run(
            &app.pool,
            fetcher.clone(),
            &source.id,
            options,
            Arc::new(Silent),
        )
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = body_of(&app, "/api/v1/export/initiatives.schema.json").await;
    let export = body_of(&app, "/api/v1/export/initiatives.csv").await;
    std::fs::write(dir.path().join("schema.json"), &schema).unwrap();
    std::fs::write(dir.path().join("demo.csv"), &export).unwrap();
    let rows = csv_rows(&export);
    assert!(rows.len() > 300, "{} rows", rows.len());
    // Each row carries the licence and attribution of its source.
    assert!(rows.values().any(|r| !r["source_id"].is_empty()));
    for source in &sources {
        for row in rows.values().filter(|r| r["source_id"] == source.id) {
            assert_eq!(row["licence"], source.licence.clone().unwrap_or_default());
            assert_eq!(
                row["attribution"],
                source.attribution.clone().unwrap_or_default()
            );
        }
    }
    let (valid, report) = validate(dir.path(), "demo.csv", "schema.json");
    assert!(
        valid,
        "the demo data's export is valid against its schema:\n{report}"
    );
}
