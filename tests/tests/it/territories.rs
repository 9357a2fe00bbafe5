//! Territories: importing Etalab-shaped boundaries assigns every initiative (those created before
//! the import too, and those written after), importing again updates, `territory=` filters every
//! read, and a territory's figures are right and kept right by writes.

use crate::initiative;
use archipel_tests::{TestApp, archipel_binary, repo_file, tile_of};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

/// `archipel territory import --level LEVEL [--year YEAR] FILE` on the test database, as an
/// operator runs it; its standard error.
fn import(app: &TestApp, level: &str, year: Option<i16>, file: &str) -> String {
    let mut command = std::process::Command::new(archipel_binary());
    command
        .env("DATABASE_URL", &app.db.url)
        .args(["territory", "import", "--level", level]);
    if let Some(year) = year {
        command.args(["--year", &year.to_string()]);
    }
    let output = command
        .arg(repo_file(&format!("tests/fixtures/territories/{file}")))
        .output()
        .expect("run archipel");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "import {file} failed: {stderr}");
    stderr
}

pub(crate) fn import_all(app: &TestApp) {
    import(app, "region", None, "regions.geojson");
    import(app, "departement", None, "departements.geojson");
    import(app, "epci", None, "epci.geojson");
    import(app, "commune", Some(2024), "communes.geojson");
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut app.db.connect())
        .unwrap();
}

async fn create_in(app: &TestApp, name: &str, lat: f64, lon: f64, category: &str) -> Value {
    let mut body = initiative(name, lat, lon);
    body["categories"] = json!([category]);
    app.create(body).await
}

/// Names of a listing's items, sorted.
async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let body = app
        .get_json(&format!("/api/v1/initiatives?{query}&limit=100"))
        .await;
    let mut names: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A directory of Brest, Guipavas, Laval and elsewhere, created before any territory is known.
async fn directory(app: &TestApp) -> Value {
    let brest = create_in(app, "Repair café de Brest", 48.40, -4.50, "repair-cafe").await;
    create_in(app, "Jardin de Guipavas", 48.40, -4.35, "shared-garden").await;
    create_in(app, "Fablab de Laval", 48.05, -0.75, "fablab").await;
    create_in(app, "Ailleurs", 45.0, 4.0, "fablab").await;
    brest
}

#[actix_web::test]
async fn an_import_assigns_every_initiative_and_importing_again_updates() {
    let app = TestApp::spawn().await;
    let brest = directory(&app).await;
    assert_eq!(brest["address"]["insee_code"], Value::Null);

    import_all(&app);

    // Created before the import: assigned, their INSEE code filled.
    let slug = brest["slug"].as_str().unwrap();
    let read = app.get_json(&format!("/api/v1/initiatives/{slug}")).await;
    assert_eq!(read["address"]["insee_code"], "29019");
    assert_eq!(
        names(&app, "territory=29019").await,
        ["Repair café de Brest"]
    );
    assert_eq!(names(&app, "territory=53130").await, ["Fablab de Laval"]);

    // Written after: assigned on creation, and again when moved.
    let later = create_in(&app, "Jardin du port", 48.38, -4.48, "shared-garden").await;
    assert_eq!(later["address"]["insee_code"], "29019");
    let id = later["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"lat": 48.40, "lon": -4.32}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        moved["address"]["insee_code"], "29075",
        "the filled code follows the commune"
    );
    // A code given by a person stays theirs.
    let given = app
        .create(json!({"name": "Code donné", "lat": 48.40, "lon": -4.50,
                       "address": {"insee_code": "29001"}}))
        .await;
    assert_eq!(given["address"]["insee_code"], "29001");
    assert_eq!(
        names(&app, "territory=29019").await,
        ["Code donné", "Repair café de Brest"],
        "the filter follows the point, not the given code"
    );

    // Importing the next year's file updates in place; Guipavas changed EPCI.
    let report = import(&app, "commune", Some(2025), "communes-next-year.geojson");
    assert!(
        report.contains("0 territories added, 3 updated"),
        "{report}"
    );
    let brest_figures = app.get_json("/api/v1/territories/29019").await;
    assert_eq!(brest_figures["name"], "Brest (nouvelle)");
    assert_eq!(brest_figures["population"], 40000);
    assert_eq!(brest_figures["year"], 2025);
    let found = app
        .get_json("/api/v1/territories?q=brest&level=commune")
        .await;
    assert_eq!(found["territories"].as_array().unwrap().len(), 1);
    assert_eq!(
        names(&app, "territory=242900314").await,
        ["Code donné", "Repair café de Brest"],
        "Guipavas's initiatives left Brest Métropole with Guipavas"
    );
}

#[actix_web::test]
async fn a_bad_boundary_file_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"29019","nom":"Brest"},"geometry":{"type":"Point","coordinates":[-4.5,48.4]}}]}"#,
    )
    .unwrap();
    let output = std::process::Command::new(archipel_binary())
        .env("DATABASE_URL", &app.db.url)
        .args(["territory", "import", "--level", "commune"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Polygon or MultiPolygon"), "{stderr}");
    let found = app.get_json("/api/v1/territories").await;
    assert_eq!(found["territories"], json!([]));
}

#[actix_web::test]
async fn territory_filters_every_read() {
    let app = TestApp::spawn().await;
    directory(&app).await;
    import_all(&app);
    let brest_metropole = ["Jardin de Guipavas", "Repair café de Brest"];

    assert_eq!(names(&app, "territory=242900314").await, brest_metropole);
    assert_eq!(names(&app, "territory=29").await, brest_metropole);
    assert_eq!(names(&app, "territory=region:53").await, brest_metropole);
    // A bare 53 is the smallest level with that code: the département of Mayenne.
    assert_eq!(names(&app, "territory=53").await, ["Fablab de Laval"]);
    assert_eq!(
        names(&app, "territory=departement:53").await,
        ["Fablab de Laval"]
    );
    assert_eq!(
        names(&app, "territory=29075&category=food-gardens").await,
        ["Jardin de Guipavas"]
    );

    let geojson = app
        .get_json("/api/v1/initiatives.geojson?territory=29019")
        .await;
    assert_eq!(crate::feature_names(&geojson), ["Repair café de Brest"]);

    let csv = app
        .get("/api/v1/export/initiatives.csv?territory=242900314")
        .await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("Jardin de Guipavas") && !csv.contains("Laval"));
    let seq = app
        .get("/api/v1/export/initiatives.geojsonseq?territory=53")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(seq.matches("\"Feature\"").count(), 1);
    let geojson_export = app
        .get_json("/api/v1/export/initiatives.geojson?territory=29")
        .await;
    assert_eq!(crate::feature_names(&geojson_export), brest_metropole);

    let ogc = app
        .get_json("/ogc/collections/initiatives/items?territory=29075")
        .await;
    assert_eq!(crate::feature_names(&ogc), ["Jardin de Guipavas"]);

    // Tiles: the tile over Brest's repair café holds it with its commune, not with Laval.
    let (x, y) = tile_of(48.40, -4.50, 15);
    let here = app
        .get(&format!("/api/v1/tiles/15/{x}/{y}.mvt?territory=29019"))
        .await;
    assert_eq!(here.status(), 200);
    let elsewhere = app
        .get(&format!("/api/v1/tiles/15/{x}/{y}.mvt?territory=53130"))
        .await;
    assert_eq!(elsewhere.status(), 204);

    // Unknown and malformed territories are refused everywhere.
    for path in [
        "/api/v1/initiatives?territory=29999",
        "/api/v1/initiatives?territory=brest",
        "/api/v1/initiatives.geojson?territory=region:1",
        "/api/v1/export/initiatives.csv?territory=99999",
        "/ogc/collections/initiatives/items?territory=99999",
        "/api/v1/tiles/5/15/11.mvt?territory=99999",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!(
        (actual - expected).abs() < 0.001,
        "{actual} is not {expected}"
    );
}

fn practice<'a>(figures: &'a Value, slug: &str) -> &'a Value {
    figures["families"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["practices"].as_array().unwrap())
        .find(|p| p["slug"] == slug)
        .unwrap()
}

#[actix_web::test]
async fn a_territory_has_its_figures_kept_by_every_write() {
    let app = TestApp::spawn().await;
    import_all(&app);
    directory(&app).await;
    let f = create_in(&app, "Fablab du port", 48.39, -4.49, "fablab").await;
    create_in(&app, "Fablab de la gare", 48.39, -4.47, "fablab").await;
    let garden = create_in(&app, "Jardin de Recouvrance", 48.38, -4.50, "shared-garden").await;
    sql(
        &app,
        "UPDATE initiatives SET last_confirmed_at = now() WHERE name = 'Repair café de Brest'",
    );
    sql(
        &app,
        "UPDATE initiatives SET last_confirmed_at = now() - interval '2 years' WHERE name = 'Fablab de la gare'",
    );
    sql(
        &app,
        &format!(
            "UPDATE initiatives SET created_at = '2025-03-15T10:00:00Z' WHERE id = '{}'",
            f["id"].as_str().unwrap()
        ),
    );

    let brest = app.get_json("/api/v1/territories/29019").await;
    assert_eq!(brest["level"], "commune");
    assert_eq!(brest["name"], "Brest");
    assert_eq!(brest["year"], 2024);
    assert_eq!(brest["counts"]["total"], 4);
    assert_eq!(brest["counts"]["fablab"], 2);
    assert_eq!(brest["counts"]["making-working"], 2);
    assert_eq!(brest["counts"]["repair-cafe"], 1);
    assert_eq!(brest["counts"]["reuse-repair"], 1);
    assert_eq!(brest["counts"]["shared-garden"], 1);
    assert_eq!(brest["initiatives"]["total"], 4);
    assert_eq!(brest["initiatives"]["all_data"], 7);
    close(&brest["initiatives"]["per_10000"], 2.0); // 4 for 20,000 inhabitants
    // Every commune: 6 initiatives (not "Ailleurs") for 1,030,000 inhabitants.
    close(
        &brest["initiatives"]["reference_per_10000"],
        (6.0f64 * 10_000.0 / 1_030_000.0 * 1000.0).round() / 1000.0,
    );
    let gaps: Vec<&str> = brest["gaps"]["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(gaps.contains(&"amap") && gaps.contains(&"tool-library"));
    assert!(!gaps.contains(&"fablab") && !gaps.contains(&"repair-cafe"));
    assert_eq!(practice(&brest, "amap")["gap"], "absent");
    assert_eq!(brest["freshness"]["confirmed_last_12_months"], 1);
    close(&brest["freshness"]["share"], 0.25);
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(
        brest["creations_per_month"],
        json!([{"month": "2025-03", "count": 1}, {"month": this_month, "count": 3}])
    );
    let parents: Vec<(&str, &str)> = brest["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parents,
        [
            ("242900314", "Brest Métropole"),
            ("29", "Finistère"),
            ("53", "Bretagne")
        ]
    );
    assert_eq!(brest["geometry"]["type"], "MultiPolygon");

    // Laval's fablab: 0.01 per 10,000 inhabitants, under half of the communes' 0.029.
    let laval = app.get_json("/api/v1/territories/53130").await;
    assert_eq!(practice(&laval, "fablab")["gap"], "below_reference");
    assert!(
        laval["gaps"]["below_reference"]
            .as_array()
            .unwrap()
            .contains(&json!("fablab"))
    );

    // An EPCI lists its communes with their counts.
    let epci = app.get_json("/api/v1/territories/242900314").await;
    assert_eq!(epci["counts"]["total"], 5);
    let children: Vec<(&str, i64)> = epci["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap(),
                c["initiatives"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(children, [("29019", 4), ("29075", 1)]);
    let region = app.get_json("/api/v1/territories/region:53").await;
    assert_eq!(region["name"], "Bretagne");
    assert_eq!(region["counts"]["total"], 5);

    // Archiving leaves the counts; moving to another commune moves them.
    let archived = app
        .client
        .delete(app.url(&format!(
            "/api/v1/initiatives/{}",
            garden["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 204);
    let moved = app
        .patch(
            &format!("/api/v1/initiatives/{}", f["id"].as_str().unwrap()),
            &json!({"lat": 48.05, "lon": -0.72}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let brest = app.get_json("/api/v1/territories/29019").await;
    assert_eq!(brest["counts"]["total"], 2);
    assert_eq!(brest["counts"]["shared-garden"], 0);
    assert_eq!(brest["counts"]["fablab"], 1);
    let laval = app.get_json("/api/v1/territories/53130").await;
    assert_eq!(laval["counts"]["fablab"], 2);
    let epci = app.get_json("/api/v1/territories/epci:242900314").await;
    assert_eq!(epci["counts"]["total"], 3);
}

#[actix_web::test]
async fn territories_are_found_by_name_or_code() {
    let app = TestApp::spawn().await;
    import_all(&app);
    let codes = |body: &Value| -> Vec<String> {
        body["territories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}:{}",
                    t["level"].as_str().unwrap(),
                    t["code"].as_str().unwrap()
                )
            })
            .collect()
    };
    let brest = app.get_json("/api/v1/territories?q=brest").await;
    assert_eq!(codes(&brest), ["epci:242900314", "commune:29019"]);
    let finistere = app.get_json("/api/v1/territories?q=FINISTERE").await;
    assert_eq!(codes(&finistere), ["departement:29"]);
    let by_code = app.get_json("/api/v1/territories?q=29019").await;
    assert_eq!(codes(&by_code), ["commune:29019"]);
    let regions = app.get_json("/api/v1/territories?level=region").await;
    assert_eq!(codes(&regions), ["region:53"]);
    let everything = app.get_json("/api/v1/territories?limit=100").await;
    assert_eq!(everything["territories"].as_array().unwrap().len(), 7);

    for (path, status) in [
        ("/api/v1/territories?level=planet", 400),
        ("/api/v1/territories?limit=0", 400),
        ("/api/v1/territories?nom=Brest", 400),
        ("/api/v1/territories/brest", 400),
        ("/api/v1/territories/29999", 404),
        ("/api/v1/territories/commune:53", 400),
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

/// The figures a territory's dashboard reads, counted afresh from the initiatives: per level and
/// code (and '*' for any code of the level, '' for the whole directory), the published
/// initiatives in all, by month of creation and of confirmation, and by category with its
/// ancestors (each once per initiative).
const RECOUNT: &str = "
    WITH RECURSIVE up(slug, ancestor_id) AS (
        SELECT slug, id FROM categories
        UNION SELECT up.slug, c.parent_id FROM up JOIN categories c ON c.id = up.ancestor_id
        WHERE c.parent_id IS NOT NULL
    ), p AS (SELECT * FROM initiatives WHERE moderation = 'published'),
    placed AS (
        SELECT p.id, l.level, l.code FROM p CROSS JOIN LATERAL (VALUES
            ('all', ''), ('commune', p.commune_code), ('epci', p.epci_code),
            ('departement', p.departement_code), ('region', p.region_code),
            ('commune', CASE WHEN p.commune_code IS NOT NULL THEN '*' END),
            ('epci', CASE WHEN p.epci_code IS NOT NULL THEN '*' END),
            ('departement', CASE WHEN p.departement_code IS NOT NULL THEN '*' END),
            ('region', CASE WHEN p.region_code IS NOT NULL THEN '*' END)) AS l(level, code)
        WHERE l.code IS NOT NULL
    ), keyed AS (
        SELECT id, 'total' AS kind, '' AS key FROM p
        UNION ALL SELECT id, 'created', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM p
        UNION ALL SELECT id, 'confirmed', to_char(last_confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM')
                  FROM p WHERE last_confirmed_at IS NOT NULL
        UNION ALL SELECT DISTINCT p.id, 'category', a.slug
                  FROM p, unnest(p.category_slugs) AS s(slug)
                  JOIN up ON up.slug = s.slug JOIN categories a ON a.id = up.ancestor_id
    )
    SELECT placed.level || ' ' || placed.code || ' ' || keyed.kind || ' ' || keyed.key || ' ' || count(*) AS line
    FROM placed JOIN keyed ON keyed.id = placed.id
    GROUP BY placed.level, placed.code, keyed.kind, keyed.key ORDER BY 1";

/// The figures as kept by the triggers, in the same form.
const KEPT: &str = "SELECT level || ' ' || code || ' ' || kind || ' ' || key || ' ' || n AS line
                    FROM territory_tallies WHERE n <> 0 ORDER BY 1";

fn lines(app: &TestApp, statement: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    diesel::sql_query(statement)
        .load::<Line>(&mut app.db.connect())
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

#[actix_web::test]
async fn figures_stay_equal_to_a_fresh_count_through_statements_that_change_many_initiatives() {
    let app = TestApp::spawn().await;
    import_all(&app);
    directory(&app).await;
    for (n, (lat, lon)) in [(48.39, -4.49), (48.41, -4.36), (48.06, -0.76), (45.1, 4.1)]
        .into_iter()
        .cycle()
        .take(24)
        .enumerate()
    {
        let category = ["fablab", "repair-cafe", "shared-garden"][n % 3];
        create_in(&app, &format!("Lieu {n}"), lat, lon, category).await;
    }
    let fresh = lines(&app, RECOUNT);
    assert!(
        fresh
            .iter()
            .any(|l| l.starts_with("commune 29019 category ")),
        "the directory has initiatives by category in Brest: {fresh:?}"
    );
    assert_eq!(lines(&app, KEPT), fresh);

    // Statements of many rows each, as imports and territory assignments write them: rows that
    // change in the same way, rows whose change is undone by another in the same statement,
    // rows leaving the map and rows coming back.
    for statement in [
        "UPDATE initiatives SET category_slugs = ARRAY['repair-cafe', 'fablab'] WHERE name LIKE 'Lieu 1%'",
        "UPDATE initiatives SET moderation = 'pending' WHERE name LIKE 'Lieu %' AND name ~ '[02468]$'",
        "UPDATE initiatives SET last_confirmed_at = '2026-06-15T12:00:00Z', created_at = '2025-01-02T00:00:00Z' WHERE name LIKE 'Lieu 2%'",
        "UPDATE initiatives SET commune_code = NULL, epci_code = NULL WHERE name IN ('Lieu 5', 'Lieu 9')",
        "UPDATE initiatives SET moderation = 'published' WHERE name IN ('Lieu 4', 'Lieu 8')",
        "UPDATE initiatives SET name = name || ' ' WHERE name LIKE 'Lieu %'",
    ] {
        sql(&app, statement);
        assert_eq!(lines(&app, KEPT), lines(&app, RECOUNT), "after {statement}");
    }
}
