//! OGC API – Features beyond Part 1, as GIS staff and clients use it: Lambert-93 and the other
//! CRSs (Part 2), CQL2 filters and queryables (Part 3), and writing features back (Part 4, and
//! the REST API taking the same GeoJSON Features).

use archipel_store::token;
use archipel_store::token::Role;
use archipel_tests::TestApp;
use diesel::prelude::*;
use diesel::sql_types::Double;
use reqwest::Method;
use serde_json::{Value, json};

const ITEMS: &str = "/ogc/collections/initiatives/items";
const L93: &str = "http://www.opengis.net/def/crs/EPSG/0/2154";

fn names(page: &Value) -> Vec<String> {
    let mut names: Vec<String> = page["features"]
        .as_array()
        .unwrap_or_else(|| panic!("features in {page}"))
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[derive(QueryableByName)]
struct Projected {
    #[diesel(sql_type = Double)]
    x: f64,
    #[diesel(sql_type = Double)]
    y: f64,
}

#[actix_web::test]
async fn features_come_in_lambert_93_web_mercator_and_epsg_4326_axis_order() {
    let app = TestApp::spawn().await;
    let paris = app
        .create(json!({"name": "Ressourcerie de Paris", "lat": 48.8566, "lon": 2.3522}))
        .await;
    app.create(json!({"name": "Atelier de Brest", "lat": 48.39, "lon": -4.486}))
        .await;
    let id = paris["id"].as_str().unwrap();

    let collection = app.get_json("/ogc/collections/initiatives").await;
    assert!(collection["crs"].as_array().unwrap().contains(&json!(L93)));
    assert_eq!(
        collection["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    let bbox = &collection["extent"]["spatial"]["bbox"][0];
    assert!((bbox[0].as_f64().unwrap() - -4.486).abs() < 1e-6, "{bbox}");
    assert!((bbox[3].as_f64().unwrap() - 48.8566).abs() < 1e-6, "{bbox}");

    let response = app.get(&format!("{ITEMS}/{id}?crs={L93}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-crs"], format!("<{L93}>"));
    let feature: Value = response.json().await.unwrap();
    let xy = &feature["geometry"]["coordinates"];
    let expected: Projected = diesel::sql_query(
        "SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(2.3522, 48.8566), 4326), 2154) AS p) t",
    )
    .get_result(&mut app.pool.get().unwrap())
    .unwrap();
    assert!((xy[0].as_f64().unwrap() - expected.x).abs() < 0.01, "{xy}");
    assert!((xy[1].as_f64().unwrap() - expected.y).abs() < 0.01, "{xy}");
    // Lambert-93 puts Paris about 652 km east and 6862 km north of its origin.
    assert!(
        (600_000.0..700_000.0).contains(&expected.x)
            && (6_800_000.0..6_900_000.0).contains(&expected.y)
    );
    assert_eq!(feature["properties"]["name"], "Ressourcerie de Paris");

    // EPSG:4326 is latitude first; CRS84 (the default) longitude first.
    let lat_first = app
        .get_json(&format!(
            "{ITEMS}/{id}?crs=http://www.opengis.net/def/crs/EPSG/0/4326"
        ))
        .await;
    assert_eq!(
        lat_first["geometry"]["coordinates"],
        json!([48.8566, 2.3522])
    );
    let lon_first = app.get_json(&format!("{ITEMS}/{id}")).await;
    assert_eq!(
        lon_first["geometry"]["coordinates"],
        json!([2.3522, 48.8566])
    );

    // A box in Lambert-93 metres around Paris finds Paris, not Brest; pages keep the CRS.
    let (x, y) = (expected.x, expected.y);
    let around = format!(
        "{ITEMS}?bbox={},{},{},{}&bbox-crs={L93}&crs={L93}&limit=1",
        x - 5000.0,
        y - 5000.0,
        x + 5000.0,
        y + 5000.0
    );
    let page = app.get_json(&around).await;
    assert_eq!(names(&page), ["Ressourcerie de Paris"]);
    assert!(
        page["features"][0]["geometry"]["coordinates"][0]
            .as_f64()
            .unwrap()
            > 600_000.0
    );
    let self_link = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert!(
        self_link["href"].as_str().unwrap().contains("bbox-crs="),
        "{self_link}"
    );
    let mercator = app
        .get_json(&format!(
            "{ITEMS}?crs=http://www.opengis.net/def/crs/EPSG/0/3857&limit=10"
        ))
        .await;
    assert!(
        mercator["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["geometry"]["coordinates"][1].as_f64().unwrap() > 6_000_000.0),
        "{mercator}"
    );

    for path in [
        format!("{ITEMS}?crs=http://www.opengis.net/def/crs/EPSG/0/27572"),
        format!("{ITEMS}?bbox=1,2,3&bbox-crs={L93}"),
        format!("{ITEMS}/{id}?crs=EPSG:9999"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}

async fn filtered(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.get(&format!("{ITEMS}?limit=100&{query}")).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    names(&body)
}

fn q(filter: &str) -> String {
    format!("filter={}", urlencoding(filter))
}

fn urlencoding(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn cql2_filters_select_by_property_place_time_and_category() {
    let app = TestApp::spawn().await;
    app.create(
        json!({"name": "Repair Café Croix-Rousse", "lat": 45.774, "lon": 4.832,
        "address": {"city": "Lyon"}, "categories": ["repair-cafe"]}),
    )
    .await;
    app.create(
        json!({"name": "Jardin des Pentes", "lat": 45.770, "lon": 4.830,
        "address": {"city": "Lyon"}, "categories": ["food-gardens"], "status": "inactive"}),
    )
    .await;
    app.create(
        json!({"name": "Atelier Vélo Étoile", "lat": 43.30, "lon": 5.37,
        "address": {"city": "Marseille"}, "categories": ["bike-workshop"]}),
    )
    .await;

    let queryables = app.get("/ogc/collections/initiatives/queryables").await;
    assert_eq!(
        queryables.headers()["content-type"],
        "application/schema+json"
    );
    let queryables: Value = queryables.json().await.unwrap();
    assert_eq!(queryables["properties"]["city"]["type"], "string");
    assert_eq!(
        queryables["properties"]["updated_at"]["format"],
        "date-time"
    );
    assert_eq!(
        queryables["properties"]["status"]["enum"],
        json!(["active", "inactive", "closed"])
    );

    assert_eq!(
        filtered(&app, &q("city = 'Lyon'")).await,
        ["Jardin des Pentes", "Repair Café Croix-Rousse"]
    );
    assert_eq!(
        filtered(&app, "city=Marseille").await,
        ["Atelier Vélo Étoile"]
    );
    assert_eq!(
        filtered(&app, &q("CASEI(name) LIKE '%repair%'")).await,
        ["Repair Café Croix-Rousse"]
    );
    assert_eq!(
        filtered(&app, &q("ACCENTI(CASEI(name)) LIKE '%velo%'")).await,
        ["Atelier Vélo Étoile"]
    );
    assert_eq!(
        filtered(
            &app,
            &q("city = 'Lyon' AND NOT status IN ('inactive', 'closed')")
        )
        .await,
        ["Repair Café Croix-Rousse"]
    );
    assert_eq!(
        filtered(
            &app,
            &q("A_OVERLAPS(categories, ('bike-workshop', 'repair-cafe'))")
        )
        .await,
        ["Atelier Vélo Étoile", "Repair Café Croix-Rousse"]
    );
    assert_eq!(
        filtered(&app, &q("S_INTERSECTS(geometry, BBOX(5, 43, 6, 44))")).await,
        ["Atelier Vélo Étoile"]
    );
    assert_eq!(
        filtered(
            &app,
            &q("S_WITHIN(geometry, POLYGON((4.8 45.7, 4.9 45.7, 4.9 45.8, 4.8 45.8, 4.8 45.7)))")
        )
        .await,
        ["Jardin des Pentes", "Repair Café Croix-Rousse"]
    );
    assert_eq!(
        filtered(
            &app,
            &q("T_AFTER(updated_at, TIMESTAMP('2100-01-01T00:00:00Z'))")
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        filtered(
            &app,
            &q("T_DURING(updated_at, INTERVAL('2000-01-01T00:00:00Z', '..'))")
        )
        .await
        .len(),
        3
    );
    let json_filter = json!({"op": "and", "args": [
        {"op": "=", "args": [{"property": "city"}, "Lyon"]},
        {"op": "like", "args": [{"property": "name"}, "Jardin%"]},
    ]});
    assert_eq!(
        filtered(
            &app,
            &format!("filter-lang=cql2-json&{}", q(&json_filter.to_string()))
        )
        .await,
        ["Jardin des Pentes"]
    );
    // A value is only ever a value.
    assert_eq!(
        filtered(&app, &q("city = 'Lyon'' OR ''1''=''1'")).await,
        Vec::<String>::new()
    );
    assert_eq!(filtered(&app, "").await.len(), 3);

    for (query, says) in [
        (q("colour = 'red'"), "queryables"),
        (q("city = "), "CQL2"),
        (q("updated_at > 'soon'"), "TIMESTAMP"),
        ("filter-lang=sql&filter=1".to_string(), "cql2-text"),
        (
            format!("filter-crs={}&{}", urlencoding(L93), q("city = 'Lyon'")),
            "CRS84",
        ),
        ("colour=red".to_string(), "not a parameter"),
    ] {
        let response = app.get(&format!("{ITEMS}?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert!(problem.to_string().contains(says), "{query}: {problem}");
    }
}

fn feature(name: &str, city: &str) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-1.553, 47.218]},
        "properties": {"name": name, "city": city, "website": "https://fablab.example", "categories": ["making-working"]},
    })
}

#[actix_web::test]
async fn gis_clients_create_replace_update_and_delete_features() {
    let app = TestApp::spawn().await;
    let anonymous = app
        .client
        .post(app.url(ITEMS))
        .json(&feature("Plateforme C", "Nantes"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let created = app
        .send_as(
            Method::POST,
            ITEMS,
            &app.editor_token,
            &feature("Plateforme C", "Nantes"),
        )
        .await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}{ITEMS}/", app.address)),
        "{location}"
    );
    let etag = created.headers()["etag"].to_str().unwrap().to_string();
    let written: Value = created.json().await.unwrap();
    assert_eq!(written["properties"]["city"], "Nantes");
    let path = location.strip_prefix(&app.address).unwrap().to_string();

    // What was read can be written back as is: PUT replaces, absent members are cleared.
    let mut read = app.get_json(&path).await;
    read["properties"]["name"] = json!("Plateforme C — fablab");
    read["properties"]
        .as_object_mut()
        .unwrap()
        .remove("website");
    let replaced = app
        .client
        .put(app.url(&path))
        .bearer_auth(&app.editor_token)
        .header("If-Match", &etag)
        .header("Content-Type", "application/geo+json")
        .body(read.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 200);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["properties"]["name"], "Plateforme C — fablab");
    assert_eq!(replaced["properties"]["website"], Value::Null);
    assert_eq!(
        replaced["properties"]["categories"],
        json!(["making-working"])
    );

    // The old ETag is stale now.
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.editor_token)
        .header("If-Match", &etag)
        .json(&json!({"type": "Feature", "properties": {"city": "Rezé"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let patched = app
        .send_as(
            Method::PATCH,
            &path,
            &app.editor_token,
            &json!({"type": "Feature", "properties": {"city": "Rezé"}}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let current = patched.headers()["etag"].to_str().unwrap().to_string();
    let patched: Value = patched.json().await.unwrap();
    // A harvester revalidating its copy: 304 with the ETag while it is current, the new version
    // once it is stale.
    let revalidate = |tag: String| {
        app.client
            .get(app.url(&path))
            .header("If-None-Match", tag)
            .send()
    };
    let kept = revalidate(current.clone()).await.unwrap();
    assert_eq!(kept.status(), 304);
    assert_eq!(kept.headers()["etag"], current.as_str());
    assert_eq!(
        kept.headers()["content-crs"],
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    let renewed = revalidate(etag.clone()).await.unwrap();
    assert_eq!(renewed.status(), 200);
    assert_eq!(renewed.headers()["etag"], current.as_str());
    assert_eq!(
        (
            patched["properties"]["city"].as_str(),
            patched["properties"]["name"].as_str()
        ),
        (Some("Rezé"), Some("Plateforme C — fablab"))
    );

    // Same validation as the REST API, with the Feature's paths.
    let invalid = app
        .send_as(
            Method::PATCH,
            &path,
            &app.editor_token,
            &json!({"type": "Feature", "properties": {"email": "not-an-address", "status": "asleep"}}),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let problem: Value = invalid.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"/properties/email") && fields.contains(&"/properties/status"),
        "{problem}"
    );

    // A moderator may publish or reject, not edit.
    let moderator =
        token::create(&mut app.pool.get().unwrap(), "moderation", Role::Moderator).unwrap();
    let refused = app
        .send_as(
            Method::PATCH,
            &path,
            &moderator,
            &json!({"type": "Feature", "properties": {"name": "Autre"}}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let refused = app.send_as(Method::PUT, &path, &moderator, &read).await;
    assert_eq!(refused.status(), 403);

    // The history names each write.
    let history = app
        .get_json_as(
            &format!(
                "/api/v1/initiatives/{}/revisions",
                written["id"].as_str().unwrap()
            ),
            &app.editor_token,
        )
        .await;
    assert_eq!(
        history["revisions"].as_array().map(Vec::len),
        Some(3),
        "{history}"
    );

    let deleted = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&path).await.status(), 404);
}

#[actix_web::test]
async fn the_rest_api_takes_the_same_geojson_features() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/v1/initiatives"))
        .bearer_auth(&app.editor_token)
        .header("Content-Type", "application/geo+json")
        .body(feature("Recyclerie du Port", "Nantes").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["address"]["city"], "Nantes");
    assert_eq!(created["contact"]["website"], "https://fablab.example/");
    let id = created["id"].as_str().unwrap();

    let geojson: Value = app
        .client
        .get(app.url(&format!("/api/v1/initiatives/{id}")))
        .header("Accept", "application/geo+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(geojson["type"], "Feature");
    let mut back = geojson.clone();
    back["properties"]["city"] = json!("Saint-Nazaire");
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/initiatives/{id}")))
        .bearer_auth(&app.editor_token)
        .header("Content-Type", "application/geo+json")
        .body(back.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let corrected: Value = response.json().await.unwrap();
    assert_eq!(corrected["address"]["city"], "Saint-Nazaire");
    assert_eq!(corrected["name"], "Recyclerie du Port");

    let wrong = app
        .send_as(
            Method::POST,
            "/api/v1/initiatives",
            &app.editor_token,
            &json!({"type": "Feature", "geometry": null, "properties": {"name": "X"}, "colour": 1}),
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let problem: Value = wrong.json().await.unwrap();
    assert!(problem.to_string().contains("/colour"), "{problem}");
}

fn link_of(page: &Value, rel: &str) -> Option<String> {
    page["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
        .map(str::to_string)
}

#[actix_web::test]
async fn pages_go_forward_with_next_and_back_with_prev() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        app.create(
            json!({"name": format!("Jardin {i}"), "lat": 47.2 + f64::from(i) * 0.01, "lon": -1.55}),
        )
        .await;
    }
    let fetch = |url: String| {
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = fetch(app.url(&format!("{ITEMS}?limit=3"))).await;
    assert!(link_of(&first, "prev").is_none());
    assert!(
        first.get("numberMatched").is_none(),
        "not cheap: more pages follow"
    );
    let second = fetch(link_of(&first, "next").unwrap()).await;
    let third = fetch(link_of(&second, "next").unwrap()).await;
    assert_eq!(names(&third).len(), 1);
    assert!(link_of(&third, "next").is_none());

    let back = fetch(link_of(&third, "prev").unwrap()).await;
    assert_eq!(names(&back), names(&second));
    let back = fetch(link_of(&back, "prev").unwrap()).await;
    assert_eq!(names(&back), names(&first));
    assert!(
        link_of(&back, "prev").is_none(),
        "the first page has nothing before it"
    );
    let forward = fetch(link_of(&back, "next").unwrap()).await;
    assert_eq!(names(&forward), names(&second));

    let all = fetch(app.url(&format!("{ITEMS}?limit=100"))).await;
    assert_eq!(all["numberMatched"], 7);
    assert_eq!(all["numberReturned"], 7);
}
