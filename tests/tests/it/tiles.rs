//! The map's vector tiles.

use crate::initiative;
use archipel_tests::{TestApp, mvt, tile_of};
use serde_json::json;

/// The tile at `zoom` that holds `lat`, `lon` (slippy-map tile numbering).
async fn tile(app: &TestApp, path: &str) -> (u16, Vec<mvt::Layer>) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (status, mvt::decode(&bytes))
}

#[actix_web::test]
async fn a_known_point_appears_in_the_right_tile_at_z14() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({"name": "Repair Café du Capitole", "lat": 43.6045, "lon": 1.4440, "categories": ["repair-cafe"]}))
        .await;
    let (x, y) = tile_of(43.6045, 1.4440, 14);
    let (status, layers) = tile(&app, &format!("/api/v1/tiles/14/{x}/{y}.mvt")).await;
    assert_eq!(status, 200);
    let initiatives = layers
        .iter()
        .find(|l| l.name == "initiatives")
        .expect("initiatives layer");
    assert_eq!(initiatives.features.len(), 1);
    let feature = &initiatives.features[0];
    assert_eq!(feature.properties["id"], created["id"]);
    assert_eq!(feature.properties["name"], "Repair Café du Capitole");
    assert_eq!(feature.properties["slug"], "repair-cafe-du-capitole");
    assert_eq!(feature.properties["category"], "repair-cafe");
    assert_eq!(feature.properties["colour"], "#ea580c");
    let (px, py) = feature.point;
    assert!(
        (0..4096).contains(&px) && (0..4096).contains(&py),
        "inside the tile: {px},{py}"
    );
    // A far-away tile at the same zoom is empty.
    let (status, _) = tile(&app, &format!("/api/v1/tiles/14/{}/{y}.mvt", x + 40)).await;
    assert_eq!(status, 204);
}

#[actix_web::test]
async fn clusters_sum_to_the_number_of_initiatives_at_z3() {
    let app = TestApp::spawn().await;
    let places = [
        (43.6045, 1.4440),
        (43.6050, 1.4450),
        (43.6100, 1.4500),
        (43.2965, 5.3698),
        (43.2970, 5.3700),
        (45.7640, 4.8357),
        (48.8566, 2.3522),
        (48.8570, 2.3530),
        (48.8600, 2.3400),
        (48.5734, 7.7521),
    ];
    for (i, (lat, lon)) in places.iter().enumerate() {
        app.create(initiative(&format!("Initiative {i}"), *lat, *lon))
            .await;
    }
    // France lies in z3 tile x=4, y=2.
    let (status, layers) = tile(&app, "/api/v1/tiles/3/4/2.mvt").await;
    assert_eq!(status, 200);
    // Margin clusters belong to neighbouring tiles: count only those whose point is in this one.
    let inside =
        |f: &&mvt::Feature| (0..4096).contains(&f.point.0) && (0..4096).contains(&f.point.1);
    let clustered: i64 = layers
        .iter()
        .filter(|l| l.name == "clusters")
        .flat_map(|l| l.features.iter().filter(inside))
        .map(|f| f.properties["count"].as_i64().unwrap())
        .sum();
    let single = layers
        .iter()
        .filter(|l| l.name == "initiatives")
        .flat_map(|l| l.features.iter().filter(inside))
        .count();
    assert_eq!(clustered + single as i64, places.len() as i64);
    let cluster = layers
        .iter()
        .find(|l| l.name == "clusters")
        .unwrap()
        .features
        .iter()
        .find(|f| {
            // Paris has three too: Toulouse's is the one south of 44°N.
            f.properties["count"].as_i64() == Some(3) && f.properties["south"].as_f64() < Some(44.0)
        })
        .expect("the three Toulouse initiatives share a cell");
    assert!(
        cluster.properties["west"].as_f64().unwrap() <= 1.4440
            && cluster.properties["east"].as_f64().unwrap() >= 1.4500
    );
}

#[actix_web::test]
async fn tiles_follow_the_filters_and_validate_their_address() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Repair café", "lat": 43.6045, "lon": 1.4440, "categories": ["repair-cafe"]})).await;
    let (x, y) = tile_of(43.6045, 1.4440, 15);
    assert_eq!(
        app.get(&format!(
            "/api/v1/tiles/15/{x}/{y}.mvt?category=reuse-repair"
        ))
        .await
        .status(),
        200
    );
    assert_eq!(
        app.get(&format!(
            "/api/v1/tiles/15/{x}/{y}.mvt?category=shared-garden"
        ))
        .await
        .status(),
        204
    );
    assert_eq!(
        app.get(&format!("/api/v1/tiles/15/{x}/{y}.mvt?q=repair"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/tiles/15/{x}/{y}.mvt?q=jardin"))
            .await
            .status(),
        204
    );
    for bad in [
        "/api/v1/tiles/3/8/0.mvt",
        "/api/v1/tiles/23/0/0.mvt",
        "/api/v1/tiles/a/0/0.mvt",
        "/api/v1/tiles/1/0/0.png",
        "/api/v1/tiles/1/0/0.mvt?colour=red",
    ] {
        let response = app.get(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    // ETag revalidation.
    let first = app.get(&format!("/api/v1/tiles/15/{x}/{y}.mvt")).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url(&format!("/api/v1/tiles/15/{x}/{y}.mvt")))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

async fn patch(app: &TestApp, id: &str, body: serde_json::Value) -> reqwest::Response {
    app.send_as(
        reqwest::Method::PATCH,
        &format!("/api/v1/initiatives/{id}"),
        &app.editor_token,
        &body,
    )
    .await
}

#[actix_web::test]
async fn the_map_follows_corrections_archives_and_moderation() {
    let app = TestApp::spawn().await;
    let created = app.create(json!({"name": "Repair café", "lat": 43.6045, "lon": 1.4440, "categories": ["repair-cafe"]})).await;
    let id = created["id"].as_str().unwrap();
    let (x, y) = tile_of(43.6045, 1.4440, 16);
    let path = format!("/api/v1/tiles/16/{x}/{y}.mvt");
    let category_in_tile = |layers: &[mvt::Layer]| {
        layers
            .iter()
            .find(|l| l.name == "initiatives")
            .map(|l| l.features[0].properties["category"].clone())
    };
    let (_, layers) = tile(&app, &path).await;
    assert_eq!(category_in_tile(&layers), Some(json!("repair-cafe")));

    // A new main category changes the marker; archiving removes it; publishing brings it back.

    assert_eq!(
        patch(
            &app,
            id,
            json!({"categories": ["bike-workshop", "repair-cafe"]})
        )
        .await
        .status(),
        200
    );
    let (_, layers) = tile(&app, &path).await;
    assert_eq!(category_in_tile(&layers), Some(json!("bike-workshop")));
    assert_eq!(
        patch(&app, id, json!({"moderation": "pending"}))
            .await
            .status(),
        200
    );
    assert_eq!(app.get(&path).await.status(), 204);
    assert_eq!(
        patch(
            &app,
            id,
            json!({"moderation": "published", "lat": 43.6046, "lon": 1.4441})
        )
        .await
        .status(),
        200
    );
    let (status, _) = tile(&app, &path).await;
    assert_eq!(status, 200);
    let in_table = diesel::RunQueryDsl::execute(
        diesel::sql_query("SELECT 1 FROM map_points WHERE ST_Equals(point_3857, ST_Transform(ST_SetSRID(ST_MakePoint(1.4441, 43.6046), 4326), 3857))"),
        &mut app.db.connect(),
    )
    .unwrap();
    assert_eq!(in_table, 1, "the moved point is where the map reads it");
}

/// Names of the single initiatives of a tile.
async fn names_in(app: &TestApp, path: &str) -> Vec<String> {
    let (status, layers) = tile(app, path).await;
    assert_eq!(status, 200, "{path}");
    let mut names: Vec<String> = layers
        .iter()
        .filter(|l| l.name == "initiatives")
        .flat_map(|l| l.features.iter())
        .map(|f| f.properties["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[actix_web::test]
async fn built_tiles_are_kept_until_the_map_changes_whoever_changes_it() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let app = TestApp::spawn().await;
    assert!(app.tiles.is_live(), "the cache listener connects");
    app.create(json!({"name": "Atelier vélo du Capitole", "lat": 43.6045, "lon": 1.4440, "categories": ["bike-workshop"]}))
        .await;
    let (x, y) = tile_of(43.6045, 1.4440, 15);
    let path = format!("/api/v1/tiles/15/{x}/{y}.mvt");
    // The creation's own notification arrives a moment later and empties the cache once more:
    // ask until the tile stays.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        assert_eq!(names_in(&app, &path).await, ["Atelier vélo du Capitole"]);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
        if !app.tiles.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tile is never kept"
        );
    }

    // A tile from memory carries the ETag of the tile as it was built (kept with it).
    let etag_of = |path: String| {
        let app = &app;
        async move {
            let response = app.get(&path).await;
            assert_eq!(response.status(), 200);
            response.headers()["etag"].to_str().unwrap().to_string()
        }
    };
    let builds = app.tiles.builds();
    let kept_etag = etag_of(path.clone()).await;
    assert_eq!(etag_of(path.clone()).await, kept_etag);
    assert_eq!(app.tiles.builds(), builds, "both answers came from memory");

    // A change that sends no notification (triggers off) is not seen: the tile comes from memory.
    let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
    conn.batch_execute(
        "BEGIN; ALTER TABLE map_points DISABLE TRIGGER USER; \
         UPDATE map_points SET name = 'Renamed behind the cache'; \
         ALTER TABLE map_points ENABLE TRIGGER USER; COMMIT",
    )
    .unwrap();
    assert_eq!(names_in(&app, &path).await, ["Atelier vélo du Capitole"]);

    // Another process (here a plain connection, not the API) corrects the name: the committed
    // change is notified and the next tiles are built afresh.
    diesel::sql_query("UPDATE initiatives SET name = 'Atelier vélo de la Daurade'")
        .execute(&mut conn)
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let names = names_in(&app, &path).await;
        if names == ["Atelier vélo de la Daurade"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tile still says {names:?} 10 s after the change"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The changed tile has another ETag: a client revalidating its old copy gets the new one.
    let revalidated = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", &kept_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 200);
    assert_ne!(revalidated.headers()["etag"].to_str().unwrap(), kept_etag);

    // A tile asked with a filter is another tile.
    let filtered = format!("{path}?category=repair-cafe");
    assert_eq!(tile(&app, &filtered).await.0, 204);
}

/// Everything a tile shows: cluster counts plus single initiatives, inside the tile proper.
fn initiatives_shown(layers: &[mvt::Layer]) -> i64 {
    let inside =
        |f: &&mvt::Feature| (0..4096).contains(&f.point.0) && (0..4096).contains(&f.point.1);
    layers
        .iter()
        .flat_map(|l| l.features.iter().filter(inside).map(move |f| (l, f)))
        .map(|(l, f)| match l.name.as_str() {
            "clusters" => f.properties["count"].as_i64().unwrap(),
            _ => 1,
        })
        .sum()
}

#[actix_web::test]
async fn the_opening_tiles_are_built_before_anyone_asks_and_again_after_a_change() {
    use archipel_api::tile_cache::Lookup;
    use archipel_api::tile_cache::{CATEGORIES_KEY, tile_key};
    use archipel_api::tile_warm::{self, WarmPlan};
    use diesel::{Connection, RunQueryDsl};
    use std::time::{Duration, Instant};

    let app = TestApp::spawn().await;
    let places = [
        ("Toulouse", 43.6045, 1.4440),
        ("Paris", 48.8566, 2.3522),
        ("Lyon", 45.7640, 4.8357),
    ];
    for (city, lat, lon) in places {
        app.create(json!({"name": format!("Jardin partagé de {city}"), "lat": lat, "lon": lon, "categories": ["shared-garden"]}))
            .await;
    }
    let _warmer = tile_warm::spawn(
        app.tiles.clone(),
        app.pool.clone(),
        WarmPlan {
            max_zoom: 6,
            first_zoom: 5,
        },
    );
    let wait_prebuilt = |after: u64, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        let what = what.to_string();
        let tiles = app.tiles.clone();
        async move {
            while !(tiles.generation().0 > after && tiles.is_prebuilt()) {
                assert!(Instant::now() < deadline, "{what}");
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_prebuilt(0, "the opening tiles are never built").await;

    // Held before any visitor asked: the world tile, the z6 tile of Lyon, the category counts.
    let cached = |key: &str| match app.tiles.get(key) {
        Lookup::Hit(tile) => tile.body,
        Lookup::Miss(_) => panic!("{key} was not built ahead"),
    };
    let world = tile_key(0, 0, 0, &[], &[], &[]);
    assert_eq!(initiatives_shown(&mvt::decode(&cached(&world))), 3);
    let (x, y) = tile_of(45.7640, 4.8357, 6);
    let lyon = mvt::decode(&cached(&tile_key(6, x, y, &[], &[], &[])));
    let in_it = places
        .iter()
        .filter(|(_, lat, lon)| tile_of(*lat, *lon, 6) == (x, y))
        .count();
    assert_eq!(initiatives_shown(&lyon), in_it as i64);
    let counts: serde_json::Value = serde_json::from_slice(&cached(CATEGORIES_KEY)).unwrap();
    let food = counts["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "food-gardens")
        .unwrap();
    assert_eq!(food["count"], 3);
    // A tile far from every initiative is not built ahead (only occupied tiles are).
    assert!(matches!(
        app.tiles.get(&tile_key(6, 0, 0, &[], &[], &[])),
        Lookup::Miss(_)
    ));
    // What a visitor then gets is the built tile.
    let (status, layers) = tile(&app, "/api/v1/tiles/0/0/0.mvt").await;
    assert_eq!((status, initiatives_shown(&layers)), (200, 3));

    // Another process withdraws the Paris garden: the cache is emptied, and the tiles are built
    // again without it, still before anyone asks.
    let before = app.tiles.generation().0;
    let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
    diesel::sql_query("UPDATE initiatives SET moderation = 'pending' WHERE name LIKE '%Paris'")
        .execute(&mut conn)
        .unwrap();
    wait_prebuilt(before, "the tiles are not built again after the change").await;
    assert_eq!(initiatives_shown(&mvt::decode(&cached(&world))), 2);
    let body = app
        .get("/healthz")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(body["map_tiles"]["prebuilt"], true);
}

/// The names a tile shows; an empty tile (204) shows none.
async fn shown(app: &TestApp, path: &str) -> Vec<String> {
    match tile(app, path).await.0 {
        204 => Vec::new(),
        _ => names_in(app, path).await,
    }
}

#[actix_web::test]
async fn an_edit_shows_at_once_and_leaves_the_other_tiles_cached() {
    let app = TestApp::spawn().await;
    assert!(app.tiles.is_live(), "the cache listener connects");
    let toulouse = app
        .create(json!({"name": "Recyclerie de Toulouse", "lat": 43.6045, "lon": 1.4440}))
        .await;
    app.create(json!({"name": "Repair café de Lille", "lat": 50.6292, "lon": 3.0573}))
        .await;
    let id = toulouse["id"].as_str().unwrap();
    let at = |lat: f64, lon: f64| {
        let (x, y) = tile_of(lat, lon, 10);
        format!("/api/v1/tiles/10/{x}/{y}.mvt")
    };
    let (toulouse_tile, lille_tile, lyon_tile) = (
        at(43.6045, 1.4440),
        at(50.6292, 3.0573),
        at(45.7640, 4.8357),
    );
    for path in [&toulouse_tile, &lille_tile, &lyon_tile] {
        shown(&app, path).await;
    }
    let builds = app.tiles.builds();
    assert_eq!(shown(&app, &lille_tile).await, ["Repair café de Lille"]);
    assert_eq!(
        app.tiles.builds(),
        builds,
        "a built tile is served from memory"
    );

    // The editor's answer comes once the cache has forgotten the tiles the change touches: the
    // next request already shows it, without waiting.
    assert_eq!(
        patch(&app, id, json!({"name": "Recyclerie des Minimes"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        shown(&app, &toulouse_tile).await,
        ["Recyclerie des Minimes"]
    );
    assert_eq!(
        app.tiles.builds(),
        builds + 1,
        "only the changed tile is built again"
    );
    assert_eq!(shown(&app, &lille_tile).await, ["Repair café de Lille"]);
    assert_eq!(
        app.tiles.builds(),
        builds + 1,
        "Lille's tile stayed in memory"
    );

    // A move changes the old place and the new one.
    assert_eq!(
        patch(&app, id, json!({"lat": 45.7640, "lon": 4.8357}))
            .await
            .status(),
        200
    );
    assert!(shown(&app, &toulouse_tile).await.is_empty());
    assert_eq!(shown(&app, &lyon_tile).await, ["Recyclerie des Minimes"]);
    assert_eq!(shown(&app, &lille_tile).await, ["Repair café de Lille"]);
    assert_eq!(app.tiles.builds(), builds + 3);
}

/// The `confirmed` day of each single initiative of a tile, by name.
async fn confirmed_in(app: &TestApp, path: &str) -> Vec<(String, String)> {
    let (status, layers) = tile(app, path).await;
    assert_eq!(status, 200, "{path}");
    let mut found: Vec<(String, String)> = layers
        .iter()
        .filter(|l| l.name == "initiatives")
        .flat_map(|l| l.features.iter())
        .map(|f| {
            (
                f.properties["name"].as_str().unwrap().to_string(),
                f.properties["confirmed"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string(),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[actix_web::test]
async fn single_initiatives_say_the_day_they_were_last_confirmed() {
    let app = TestApp::spawn().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let old = app
        .create(
            json!({"name": "Jardin oublié", "lat": 43.6045, "lon": 1.4440,
                       "last_confirmed_at": "2024-03-05T10:00:00Z"}),
        )
        .await;
    // Never confirmed: counts from its creation, today.
    app.create(json!({"name": "Jardin neuf", "lat": 43.6046, "lon": 1.4442}))
        .await;
    app.create(
        json!({"name": "Ressourcerie de Lille", "lat": 50.6292, "lon": 3.0573,
                       "last_confirmed_at": "2025-01-31T23:30:00+01:00"}),
    )
    .await;
    let (x, y) = tile_of(43.6045, 1.4440, 16);
    let points = format!("/api/v1/tiles/16/{x}/{y}.mvt");
    assert_eq!(
        confirmed_in(&app, &points).await,
        [
            ("Jardin neuf".to_string(), today.clone()),
            ("Jardin oublié".to_string(), "2024-03-05".to_string())
        ]
    );
    // A single initiative of the clustered zooms says it too (the day in UTC).
    let (x, y) = tile_of(50.6292, 3.0573, 10);
    assert_eq!(
        confirmed_in(&app, &format!("/api/v1/tiles/10/{x}/{y}.mvt")).await,
        [(
            "Ressourcerie de Lille".to_string(),
            "2025-01-31".to_string()
        )]
    );
    // "Still active" in the workspace: the next tile shows the new day.
    let now = chrono::Utc::now().to_rfc3339();
    assert_eq!(
        patch(
            &app,
            old["id"].as_str().unwrap(),
            json!({"last_confirmed_at": now})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        confirmed_in(&app, &points).await,
        [
            ("Jardin neuf".to_string(), today.clone()),
            ("Jardin oublié".to_string(), today)
        ]
    );
}

/// Every feature of a tile as one line (layer, position, properties in name order), sorted; the
/// extent properties left out when `with_extent` is false.
async fn features(app: &TestApp, path: &str, with_extent: bool) -> Vec<String> {
    let (status, layers) = tile(app, path).await;
    assert!(status == 200 || status == 204, "{path}: {status}");
    let mut lines: Vec<String> = layers
        .iter()
        .flat_map(|l| {
            l.features.iter().map(move |f| {
                let properties: std::collections::BTreeMap<_, _> = f
                    .properties
                    .iter()
                    .filter(|(k, _)| {
                        with_extent || !["west", "south", "east", "north"].contains(&k.as_str())
                    })
                    .collect();
                format!("{} {:?} {properties:?}", l.name, f.point)
            })
        })
        .collect();
    lines.sort();
    lines
}

/// The extents of a tile's clusters, by position.
async fn extents(app: &TestApp, path: &str) -> Vec<((i64, i64), [f64; 4])> {
    let (_, layers) = tile(app, path).await;
    let mut all: Vec<_> = layers
        .iter()
        .filter(|l| l.name == "clusters")
        .flat_map(|l| l.features.iter())
        .map(|f| {
            let side = |k: &str| f.properties[k].as_f64().unwrap();
            (
                f.point,
                [side("west"), side("south"), side("east"), side("north")],
            )
        })
        .collect();
    all.sort_by_key(|(point, _)| *point);
    all
}

// Up to z10 the unfiltered map is built from kept cells (`map_cells`: z8's grid to z8, z10's for
// z9 and z10), anything filtered from the points themselves; every status asked for is the same
// map, built the other way.
#[actix_web::test]
async fn low_zoom_tiles_from_kept_cells_are_the_tiles_of_the_points_through_edits() {
    let app = TestApp::spawn().await;
    let places = [
        ("Toulouse A", 43.6045, 1.4440, "repair-cafe"),
        ("Toulouse B", 43.6050, 1.4450, "repair-cafe"),
        ("Toulouse C", 43.6100, 1.4500, "shared-garden"),
        ("Toulouse D", 43.6200, 1.4700, "shared-garden"),
        ("Marseille A", 43.2965, 5.3698, "amap"),
        ("Marseille B", 43.2970, 5.3700, "amap"),
        ("Lyon", 45.7640, 4.8357, "fablab"),
        ("Paris A", 48.8566, 2.3522, "repair-cafe"),
        ("Paris B", 48.8570, 2.3530, "fablab"),
        ("Paris C", 48.8600, 2.3400, "fablab"),
        ("Strasbourg", 48.5734, 7.7521, "amap"),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, lat, lon, category) in places {
        let created = app
            .create(json!({"name": name, "lat": lat, "lon": lon, "categories": [category]}))
            .await;
        ids.insert(name, created["id"].as_str().unwrap().to_string());
    }
    let tiles = |z: u32| {
        let mut paths: Vec<String> = [(43.61, 1.45), (45.76, 4.84), (45.19, 5.72), (48.86, 2.35)]
            .iter()
            .map(|(lat, lon)| {
                let (x, y) = tile_of(*lat, *lon, z);
                format!("/api/v1/tiles/{z}/{x}/{y}.mvt")
            })
            .collect();
        paths.dedup();
        paths
    };
    let every_status = "?status=active,inactive,closed";
    let compare = |with_extent: bool| {
        let app = &app;
        async move {
            for z in 0..=archipel_store::tiles::FINE_CELLS_ZOOM {
                for path in tiles(z) {
                    assert_eq!(
                        features(app, &path, with_extent).await,
                        features(app, &format!("{path}{every_status}"), with_extent).await,
                        "{path}"
                    );
                }
            }
        }
    };
    compare(true).await;
    let toulouse = format!(
        "/api/v1/tiles/6/{}/{}.mvt",
        tile_of(43.61, 1.45, 6).0,
        tile_of(43.61, 1.45, 6).1
    );
    assert!(
        features(&app, &toulouse, true)
            .await
            .iter()
            .any(|f| f.contains("\"count\": Number(4)")),
        "the four Toulouse initiatives share a z6 cell"
    );

    // The north-eastern Toulouse garden leaves the map, Lyon's fablab moves to Grenoble, a Paris
    // fablab becomes a repair café.
    for (name, body) in [
        ("Toulouse D", json!({"moderation": "pending"})),
        ("Lyon", json!({"lat": 45.1885, "lon": 5.7245})),
        ("Paris C", json!({"categories": ["repair-cafe"]})),
    ] {
        assert_eq!(patch(&app, &ids[name], body).await.status(), 200, "{name}");
    }
    // Counts, positions, categories and the single initiatives follow at once.
    compare(false).await;
    // An extent may still hold the place that left (never less than the points'), until the
    // cells are compacted: then it is exact again, and the tiles there are built again.
    let loose = extents(&app, &toulouse).await;
    let exact = extents(&app, &format!("{toulouse}{every_status}")).await;
    assert_eq!(loose.len(), exact.len());
    for ((_, l), (_, e)) in loose.iter().zip(&exact) {
        assert!(
            l[0] <= e[0] && l[1] <= e[1] && l[2] >= e[2] && l[3] >= e[3],
            "{l:?} ⊇ {e:?}"
        );
    }
    assert_ne!(
        loose, exact,
        "the garden that left still widens the Toulouse extent"
    );
    archipel_store::tiles::compact_cells(&mut app.db.connect()).unwrap();
    app.tiles.sync().await;
    compare(true).await;
    assert!(
        features(&app, &toulouse, false)
            .await
            .iter()
            .any(|f| f.contains("\"count\": Number(3)")),
        "three initiatives left in Toulouse"
    );
}
