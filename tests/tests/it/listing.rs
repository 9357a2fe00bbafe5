//! Listing and searching initiatives.

use crate::{feature_names, initiative};
use archipel_tests::TestApp;
use serde_json::{Value, json};

#[actix_web::test]
async fn a_bbox_query_returns_exactly_the_initiatives_inside_it() {
    let app = TestApp::spawn().await;
    // Toulouse centre box: 1.40..1.48 E, 43.58..43.62 N; two inside, one on the edge, three outside.
    for (name, lat, lon) in [
        ("Inside Capitole", 43.6045, 1.4440),
        ("Inside Saint-Cyprien", 43.5975, 1.4230),
        ("On the western edge", 43.6000, 1.4000),
        ("Outside Blagnac", 43.6370, 1.3900),
        ("Outside Lyon", 45.7640, 4.8357),
        ("Outside just north", 43.6201, 1.4440),
    ] {
        app.create(initiative(name, lat, lon)).await;
    }
    let inside = app
        .get_json("/api/v1/initiatives.geojson?bbox=1.40,43.58,1.48,43.62")
        .await;
    assert_eq!(
        feature_names(&inside),
        vec![
            "Inside Capitole",
            "Inside Saint-Cyprien",
            "On the western edge"
        ]
    );
    assert_eq!(inside["numberReturned"], 3);
    // RFC 7946: longitude first.
    let capitole = inside["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["name"] == "Inside Capitole")
        .unwrap();
    assert_eq!(capitole["geometry"]["coordinates"], json!([1.444, 43.6045]));
}

#[actix_web::test]
async fn a_bbox_across_the_antimeridian_wraps_around() {
    let app = TestApp::spawn().await;
    app.create(initiative("Fiji east", -17.7, 178.4)).await;
    app.create(initiative("Samoa west", -13.8, -171.8)).await;
    app.create(initiative("Nouméa", -22.27, 166.45)).await;
    let found = app
        .get_json("/api/v1/initiatives.geojson?bbox=175,-25,-170,-10")
        .await;
    assert_eq!(feature_names(&found), vec!["Fiji east", "Samoa west"]);
}

#[actix_web::test]
async fn q_repar_finds_reparation_whatever_the_accents_and_case() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Atelier de Réparation de vélos", "lat": 43.6, "lon": 1.44}))
        .await;
    app.create(json!({"name": "Jardin partagé", "description": "On y RÉPARE aussi les outils", "lat": 43.61, "lon": 1.45})).await;
    app.create(
        json!({"name": "Fablab", "description": "Impression 3D", "lat": 43.62, "lon": 1.46}),
    )
    .await;
    for q in ["repar", "Répar", "REPARATION", "réparati"] {
        let found = app
            .get_json(&format!("/api/v1/initiatives.geojson?q={}", urlencode(q)))
            .await;
        let names = feature_names(&found);
        assert!(
            names.contains(&"Atelier de Réparation de vélos".to_string()),
            "q={q}: {names:?}"
        );
    }
    let both_words = app
        .get_json("/api/v1/initiatives.geojson?q=atelier%20velo")
        .await;
    assert_eq!(
        feature_names(&both_words),
        vec!["Atelier de Réparation de vélos"]
    );
    // Name matches rank above description matches.
    let ranked = app.get_json("/api/v1/initiatives?q=repar").await;
    assert_eq!(ranked["items"][0]["name"], "Atelier de Réparation de vélos");
    assert_eq!(ranked["items"][1]["name"], "Jardin partagé");
}

/// The typed words become one prefix per distinct stem (the full-text index reads each posting
/// list once), and still match exactly what French, English and whole-word prefixes together
/// match.
#[actix_web::test]
async fn typed_words_read_each_prefix_once_and_match_what_the_three_languages_match() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        query: String,
        #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
        found: Vec<String>,
        #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
        expected: Vec<String>,
    }
    let app = TestApp::spawn().await;
    for (name, description) in [
        ("Jardins partagés du Canal", "Potager collectif"),
        ("Le jardin d'Élise", "On partage les graines"),
        ("Repair café", "Réparations de petits appareils"),
        ("Atelier de réparation", "Vélos et outils"),
        ("Les Jardiniers", "Association"),
        ("Centre social", "Ateliers sociaux"),
    ] {
        app.create(json!({"name": name, "description": description, "lat": 43.6, "lon": 1.44}))
            .await;
    }
    let sql = "SELECT archipel_search_query($1)::text AS query, \
                  ARRAY(SELECT name FROM initiatives WHERE search @@ archipel_search_query($1) ORDER BY name) AS found, \
                  ARRAY(SELECT name FROM initiatives WHERE search @@ ( \
                      SELECT string_agg('(' || to_tsquery('archipel_fr', w || ':*')::text || ' | ' \
                          || to_tsquery('archipel_en', w || ':*')::text || ' | ' \
                          || to_tsquery('archipel_simple', w || ':*')::text || ')', ' & ')::tsquery \
                      FROM unnest($1) AS w) ORDER BY name) AS expected";
    let mut conn = app.db.connect();
    for (words, query) in [
        (vec!["jardin"], "'jardin':*"),
        (vec!["jardins", "partagés"], "'jardin':* & 'partag':*"),
        (vec!["repa"], "'rep':*"),
        (vec!["reparation"], "'repar':*"),
        // Two stems kept, neither starting the other, in the order of their text.
        (vec!["sociaux"], "'social':* | 'sociaux':*"),
    ] {
        let words: Vec<String> = words.into_iter().map(str::to_string).collect();
        let row: Row = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&words)
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(row.query, query, "{words:?}");
        assert!(!row.found.is_empty(), "{words:?}");
        assert_eq!(row.found, row.expected, "{words:?}");
    }
    // Empty and punctuation-only words are left out; nothing left gives no query.
    #[derive(diesel::QueryableByName)]
    struct Query {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        query: Option<String>,
    }
    for (words, query) in [
        (vec!["jardin", "", "--"], Some("'jardin':*")),
        (vec!["", "--"], None),
    ] {
        let words: Vec<String> = words.into_iter().map(str::to_string).collect();
        let row: Query = diesel::sql_query("SELECT archipel_search_query($1)::text AS query")
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&words)
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(row.query.as_deref(), query, "{words:?}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[actix_web::test]
async fn near_returns_the_closest_first_within_the_radius() {
    let app = TestApp::spawn().await;
    app.create(initiative("300 m", 43.6072, 1.4440)).await; // ~300 m north of the point
    app.create(initiative("1 km", 43.6135, 1.4440)).await;
    app.create(initiative("100 m", 43.6054, 1.4440)).await;
    app.create(initiative("20 km away", 43.78, 1.44)).await;
    let found = app
        .get_json("/api/v1/initiatives?near=43.6045,1.4440&radius=2000")
        .await;
    let items = found["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["100 m", "300 m", "1 km"]);
    let d = items[0]["distance_m"].as_f64().unwrap();
    assert!((90.0..110.0).contains(&d), "distance {d}");
}

#[actix_web::test]
async fn a_category_includes_its_children() {
    let app = TestApp::spawn().await;
    app.create(
        json!({"name": "Repair café", "lat": 43.6, "lon": 1.44, "categories": ["repair-cafe"]}),
    )
    .await;
    app.create(
        json!({"name": "Atelier vélo", "lat": 43.6, "lon": 1.45, "categories": ["bike-workshop"]}),
    )
    .await;
    app.create(
        json!({"name": "Jardin", "lat": 43.6, "lon": 1.46, "categories": ["shared-garden"]}),
    )
    .await;
    let family = app
        .get_json("/api/v1/initiatives.geojson?category=reuse-repair")
        .await;
    assert_eq!(feature_names(&family), vec!["Atelier vélo", "Repair café"]);
    let two = app
        .get_json("/api/v1/initiatives.geojson?category=shared-garden,bike-workshop")
        .await;
    assert_eq!(feature_names(&two), vec!["Atelier vélo", "Jardin"]);
}

/// Follows `next` links from `path` (or a whole URL) and returns every name seen, page by page.
async fn walk(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    walk_pages(app, path, usize::MAX).await.0
}

/// The first `most` pages from `path` (or a whole URL), and the `next` link after them if any.
async fn walk_pages(app: &TestApp, path: &str, most: usize) -> (Vec<Vec<String>>, Option<String>) {
    let mut pages = Vec::new();
    let mut url = if path.starts_with("http") {
        path.to_string()
    } else {
        app.url(path)
    };
    while pages.len() < most {
        let response = app.client.get(&url).send().await.unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        pages.push(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_string())
                .collect(),
        );
        match body["next"].as_str() {
            Some(next) => {
                assert_eq!(link.unwrap(), format!("<{next}>; rel=\"next\""));
                url = next.to_string();
            }
            None => return (pages, None),
        }
    }
    (pages, Some(url))
}

#[actix_web::test]
async fn keyset_pages_cover_every_initiative_once_in_every_order() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        app.create(json!({"name": format!("Repair café n°{i}"), "lat": 43.60 + f64::from(i) * 0.001, "lon": 1.44})).await;
    }
    for path in [
        "/api/v1/initiatives?limit=3",
        "/api/v1/initiatives?limit=3&q=repair",
        "/api/v1/initiatives?limit=2&near=43.60,1.44&radius=5000",
    ] {
        let pages = walk(&app, path).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        let mut all: Vec<String> = pages.concat();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 7, "{path}: {pages:?}");
        assert!(
            sizes.iter().all(|&n| n >= 1),
            "{path}: no empty page, got {sizes:?}"
        );
    }
    let nearest = walk(
        &app,
        "/api/v1/initiatives?limit=2&near=43.60,1.44&radius=5000",
    )
    .await
    .concat();
    assert_eq!(nearest[0], "Repair café n°0");
    assert_eq!(nearest[6], "Repair café n°6");
}

/// Words in a map's view: the first page ranks the matches nearest the view's centre, even when
/// a better match (the word in its name) lies at the view's edge; paging on reaches every match
/// in the view exactly once, the edge's best matches first after the near ones, whatever the
/// page size and even when a match appears near the centre between two pages.
#[actix_web::test]
async fn words_in_a_view_rank_the_matches_nearest_its_centre_first_and_pages_reach_every_match() {
    let app = TestApp::spawn().await;
    // The view 1.40..1.48 E, 43.56..43.64 N; its centre (1.44, 43.60).
    for i in 0..40 {
        let step = f64::from(i) * 0.0005;
        app.create(
            json!({"name": format!("Lieu {i:02}"), "description": "Un atelier ouvert à tous",
            "lat": 43.60 + step, "lon": 1.44 + step}),
        )
        .await;
    }
    for (name, lat, lon) in [
        ("Atelier nord-ouest", 43.635, 1.405),
        ("Atelier sud-est", 43.565, 1.475),
        ("Atelier nord-est", 43.635, 1.475),
    ] {
        app.create(initiative(name, lat, lon)).await;
    }
    for i in 0..5 {
        app.create(initiative(&format!("Jardin {i}"), 43.6001, 1.4401))
            .await;
    }
    app.create(initiative("Atelier hors vue", 45.76, 4.83))
        .await;
    let lieux = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("Lieu {i:02}")).collect()
    };
    let view = "/api/v1/initiatives?q=atelier&bbox=1.40,43.56,1.48,43.64";
    for limit in [5, 3, 7, 1] {
        // The candidates are the 20 nearest matches (twice the limit, at least 20); the first
        // tier, those closer than the farthest of them: Lieu 00 to 18, in the order of their
        // equal rank (creation). Then the rest of the view by rank: the three names first.
        let pages = walk(&app, &format!("{view}&limit={limit}")).await;
        let (last, full) = pages.split_last().unwrap();
        assert!(
            full.iter().all(|p| p.len() == limit) && (1..=limit).contains(&last.len()),
            "limit {limit}: {pages:?}"
        );
        let all = pages.concat();
        assert_eq!(all[..19], lieux(0..19)[..], "limit {limit}: {all:?}");
        let mut edge = all[19..22].to_vec();
        edge.sort();
        assert_eq!(
            edge,
            ["Atelier nord-est", "Atelier nord-ouest", "Atelier sud-est"],
            "limit {limit}: after the first tier, the best matches: {all:?}"
        );
        assert_eq!(all[22..], lieux(19..40)[..], "limit {limit}: {all:?}");
    }
    // A match appearing near the centre once the pages have passed into the second tier moves
    // nothing: every match of the first page's time is seen once (candidates chosen again for
    // each page would push Lieu 18, already seen, into the second tier and show it again).
    let (first, next) = walk_pages(&app, &format!("{view}&limit=5"), 4).await;
    let mut seen = first.concat();
    assert!(
        seen.contains(&"Lieu 18".to_string()) && seen[19].starts_with("Atelier"),
        "{seen:?}"
    );
    app.create(
        json!({"name": "Lieu nouveau", "description": "Un atelier", "lat": 43.6, "lon": 1.44}),
    )
    .await;
    seen.extend(walk(&app, &next.unwrap()).await.concat());
    seen.retain(|n| n != "Lieu nouveau");
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!((seen.len(), distinct.len()), (43, 43), "{seen:?}");
    // The same words without a view rank every match: the names first.
    let anywhere = walk(&app, "/api/v1/initiatives?q=atelier&limit=5").await;
    let mut names: Vec<String> = anywhere[0][..4].to_vec();
    names.sort();
    assert_eq!(
        names,
        [
            "Atelier hors vue",
            "Atelier nord-est",
            "Atelier nord-ouest",
            "Atelier sud-est"
        ]
    );
}

/// A view with fewer matches than candidates: they are all the first tier, and its pages
/// (the cursor's edge is then infinite) reach each once, best first.
#[actix_web::test]
async fn a_view_with_fewer_matches_than_candidates_pages_through_them_in_one_ranking() {
    let app = TestApp::spawn().await;
    for i in 0..6 {
        app.create(
            json!({"name": format!("Lieu {i}"), "description": "Un atelier",
            "lat": 45.0 + f64::from(i) * 0.001, "lon": 5.0}),
        )
        .await;
    }
    app.create(initiative("Atelier du bord", 45.09, 5.09)).await;
    let pages = walk(
        &app,
        "/api/v1/initiatives?q=atelier&bbox=4.9,44.9,5.1,45.1&limit=3",
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1], "{pages:?}");
    let all = pages.concat();
    assert_eq!(all[0], "Atelier du bord", "{all:?}");
    let mut rest = all[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        ["Lieu 0", "Lieu 1", "Lieu 2", "Lieu 3", "Lieu 4", "Lieu 5"]
    );
}

/// A words-in-a-view first page is made in two statements (the walk to the candidates, then the
/// page's items by id); it is the same page, byte for byte, as the one statement that makes it
/// whole: the items, their order (ranks tied or not), the next page's cursor and the first
/// tier's edge; for several words, views, page sizes, representations and moderation lists,
/// with fewer and more matches than candidates, and a pile of matches at the farthest
/// candidate's distance (the first tier then ends before the pile, or holds a page or less and
/// the page is made in one tier).
#[actix_web::test]
async fn a_first_page_of_words_in_a_view_is_the_one_statement_s_page() {
    use archipel_store::crs::Crs;
    use archipel_store::domain::Moderation;
    use archipel_store::initiative::Representation;
    use archipel_store::listing::{self, Bbox, ListQuery};
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Uuid as SqlUuid};

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Whole {
        #[diesel(sql_type = Text)]
        items: String,
        #[diesel(sql_type = BigInt)]
        returned: i64,
        #[diesel(sql_type = Bool)]
        has_more: bool,
        #[diesel(sql_type = Nullable<Double>)]
        last_key: Option<f64>,
        #[diesel(sql_type = Nullable<SqlUuid>)]
        last_id: Option<uuid::Uuid>,
        #[diesel(sql_type = Nullable<Double>)]
        edge_distance: Option<f64>,
        #[diesel(sql_type = Bool)]
        short_first_tier: bool,
    }

    let app = TestApp::spawn().await;
    let texts = [
        ("Jardin partagé", "Un jardin ouvert"),
        ("Atelier vélo", "Réparer son vélo à l'atelier"),
        ("Jardin et atelier", "Un atelier au jardin"),
        ("Café réparation", "Un atelier de réparation au café"),
        ("Les jardins du quartier", "Des jardins, des jardiniers"),
    ];
    // 70 places spread over the view 2.0..2.4 E, 48.7..49.0 N, their texts mixing the words so
    // that ranks differ and tie; a pseudo-random but fixed spread.
    let mut seed: u64 = 7;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..70 {
        let (name, description) = texts[i % texts.len()];
        let (lat, lon) = (48.7 + next() * 0.3, 2.0 + next() * 0.4);
        app.create(
            json!({"name": format!("{name} {i}"), "description": description,
            "lat": lat, "lon": lon}),
        )
        .await;
    }
    // Around (3.0, 48.0): 8 gardens on a ring 0.01° from the centre, 20 piled 0.02° east, 10
    // more 0.03° away. With 20 candidates the walk stops inside the pile: the first tier is the
    // ring (a page of 1 or 4 comes from it; a page of 10 is made in one tier); with 40, every
    // garden is a candidate.
    let place = |i: usize, lon: f64, lat: f64| {
        let (name, description) = texts[[0, 4][i % 2]];
        json!({"name": format!("{name} {i}"), "description": description, "lat": lat, "lon": lon})
    };
    let mut around = Vec::new();
    for i in 0..8 {
        let a = i as f64 * std::f64::consts::TAU / 8.0;
        around.push(place(i, 3.0 + 0.01 * a.cos(), 48.0 + 0.01 * a.sin()));
    }
    for i in 8..28 {
        around.push(place(i, 3.02, 48.0));
    }
    for i in 28..38 {
        let a = i as f64 * std::f64::consts::TAU / 10.0;
        around.push(place(i, 3.0 + 0.03 * a.cos(), 48.0 + 0.03 * a.sin()));
    }
    for body in around {
        app.create(body).await;
    }
    let mut conn = app.pool.get().unwrap();
    let (mut compared, mut with_items, mut cut, mut whole_tier, mut short) = (0, 0, 0, 0, 0);
    let views = [
        (2.0, 48.7, 2.4, 49.0),
        (2.05, 48.75, 2.2, 48.9),
        (2.9, 47.9, 3.1, 48.1),
    ];
    let words: [&[&str]; 5] = [
        &["jardin"],
        &["atelier"],
        &["jardin", "atelier"],
        &["velo"],
        &["zzzq"],
    ];
    for repr in [
        Representation::Json,
        Representation::Feature,
        Representation::FeatureIn(Crs::Epsg3857),
    ] {
        for moderation in [
            vec![Moderation::Published],
            vec![Moderation::Published, Moderation::Pending],
        ] {
            for words in words {
                for bbox in views {
                    for limit in [1, 4, 10, 20, 35] {
                        let q = ListQuery {
                            words: words.iter().map(|w| w.to_string()).collect(),
                            bbox: Some(Bbox {
                                min_lon: bbox.0,
                                min_lat: bbox.1,
                                max_lon: bbox.2,
                                max_lat: bbox.3,
                            }),
                            moderation: moderation.clone(),
                            limit,
                            ..ListQuery::default()
                        };
                        let whole: Whole = listing::statement(&q, repr)
                            .unwrap()
                            .get_result(&mut conn)
                            .unwrap();
                        let page = listing::list(&mut conn, &q, repr).unwrap();
                        let case =
                            format!("{repr:?} {moderation:?} {words:?} in {bbox:?}, limit {limit}");
                        if whole.short_first_tier {
                            // Made again in one tier, by the same statement either way: the
                            // cursor carries no edge.
                            assert!(
                                page.next.as_ref().is_some_and(|n| n.edge.is_none()),
                                "{case}: {:?}",
                                page.next
                            );
                            short += 1;
                            continue;
                        }
                        compared += 1;
                        assert_eq!(
                            (&page.items, page.returned),
                            (&whole.items, whole.returned),
                            "{case}"
                        );
                        with_items += usize::from(whole.returned > 0);
                        let next = page.next.as_ref();
                        assert_eq!(next.is_some(), whole.has_more, "{case}");
                        if let Some(next) = next {
                            assert_eq!(
                                (next.key, Some(next.id)),
                                (whole.last_key.unwrap(), whole.last_id),
                                "{case}"
                            );
                            assert_eq!(
                                next.edge.map(|e| e.distance),
                                whole.edge_distance,
                                "{case}"
                            );
                            if whole.edge_distance.is_some_and(f64::is_finite) {
                                cut += 1;
                            } else {
                                whole_tier += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    // Per representation and moderation list: pages cut at a finite edge (full view and the
    // ring, pages of 1 to 20), pages of a tier holding every match, a short first tier.
    assert!(
        compared >= 300 && with_items >= 150 && cut >= 60 && whole_tier >= 6 && short >= 6,
        "compared {compared}, with items {with_items}, cut {cut}, whole tier {whole_tier}, short {short}"
    );
}

/// Many matches at one place (a town's centre, where a geocoder puts an address it cannot
/// find): when the candidates are all as far from the view's centre, the view is ranked in one
/// tier, and its pages still reach every match once.
#[actix_web::test]
async fn matches_piled_at_one_place_are_ranked_in_one_tier() {
    let app = TestApp::spawn().await;
    for i in 0..25 {
        app.create(
            json!({"name": format!("Lieu {i:02}"), "description": "Un atelier",
            "lat": 45.01, "lon": 5.01}),
        )
        .await;
    }
    app.create(initiative("Atelier du bord", 45.09, 5.09)).await;
    app.create(initiative("Atelier de l'autre bord", 44.91, 4.91))
        .await;
    let pages = walk(
        &app,
        "/api/v1/initiatives?q=atelier&bbox=4.9,44.9,5.1,45.1&limit=5",
    )
    .await;
    let mut first = pages[0][..2].to_vec();
    first.sort();
    assert_eq!(
        first,
        ["Atelier de l'autre bord", "Atelier du bord"],
        "{pages:?}"
    );
    let mut all = pages.concat();
    assert_eq!(all.len(), 27, "{pages:?}");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 27, "each once: {pages:?}");
}

#[actix_web::test]
async fn updated_since_and_status_narrow_a_harvest() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Ancien", "lat": 43.6, "lon": 1.44, "status": "closed"}))
        .await;
    let cut = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    app.create(json!({"name": "Récent", "lat": 43.6, "lon": 1.45}))
        .await;
    let since = app
        .get_json(&format!(
            "/api/v1/initiatives.geojson?updated_since={}",
            cut.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ))
        .await;
    assert_eq!(feature_names(&since), vec!["Récent"]);
    let closed = app
        .get_json("/api/v1/initiatives.geojson?status=closed")
        .await;
    assert_eq!(feature_names(&closed), vec!["Ancien"]);
}

#[actix_web::test]
async fn limit_defaults_to_100_and_is_clamped() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connect();
    // 120 initiatives straight in SQL: the API's paging is what is tested here.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO initiatives (id, slug, name, geom)
             SELECT gen_random_uuid(), 'bulk-' || n, 'Bulk ' || n, ST_SetSRID(ST_MakePoint(1.4 + n * 0.0001, 43.6), 4326)
             FROM generate_series(1, 120) AS n",
        ),
        &mut conn,
    )
    .unwrap();
    assert_eq!(
        app.get_json("/api/v1/initiatives.geojson").await["numberReturned"],
        100
    );
    assert_eq!(
        app.get_json("/api/v1/initiatives.geojson?limit=50000")
            .await["numberReturned"],
        120
    );
}

#[actix_web::test]
async fn the_export_streams_every_published_initiative_as_one_feature_collection() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connect();
    // 3000 published and one pending, straight in SQL: the export is what is tested here.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO initiatives (id, slug, name, geom, moderation)
             SELECT gen_random_uuid(), 'bulk-' || n, 'Bulk \"' || n || '\"', ST_SetSRID(ST_MakePoint(1.4 + n * 0.00001, 43.6), 4326),
                    CASE WHEN n = 1 THEN 'pending' ELSE 'published' END
             FROM generate_series(1, 3001) AS n",
        ),
        &mut conn,
    )
    .unwrap();
    let response = app.get("/api/v1/export/initiatives.geojson").await;
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let body: Value = response.json().await.expect("one valid JSON document");
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 3000);
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["moderation"] == "published")
    );
    assert!(
        features
            .iter()
            .any(|f| f["properties"]["name"] == "Bulk \"42\""),
        "escaping survives"
    );
}

#[actix_web::test]
async fn gdal_reads_the_geojson_without_warnings() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Repair Café", "lat": 43.6045, "lon": 1.444, "categories": ["repair-cafe"],
                      "opening_hours": "Sa 14:00-18:00", "contact": {"links": ["https://example.org/a"]}}))
        .await;
    app.create(json!({"name": "Jardin", "categories": ["shared-garden"], "tags": ["potager"],
                      "geometry": {"type": "Polygon", "coordinates": [[[1.43, 43.61], [1.44, 43.61], [1.44, 43.62], [1.43, 43.62], [1.43, 43.61]]]}}))
        .await;
    // GDAL is installed by `make test` (scripts/ensure-deps.sh test).
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-al", "-so", &app.url("/api/v1/initiatives.geojson")])
        .output()
        .expect("ogrinfo (Debian package gdal-bin) must be installed to run this test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("Warning") && !stderr.contains("Warning"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("Feature Count: 2"), "{stdout}");
    assert!(stdout.contains("categories: StringList"), "{stdout}");
    assert!(stdout.contains("updated_at: DateTime"), "{stdout}");
}

#[actix_web::test]
async fn kept_category_counts_equal_a_recount_after_every_kind_of_change() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Text)]
        slug: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let app = TestApp::spawn().await;
    let kept = |app: &TestApp| {
        diesel::sql_query(
            "SELECT c.slug, coalesce(sum(d.delta), 0)::bigint AS n FROM categories c
             LEFT JOIN category_count_deltas d ON d.category_id = c.id GROUP BY c.slug ORDER BY c.slug",
        )
        .load::<Count>(&mut app.pool.get().unwrap())
        .unwrap()
    };
    let recount = |app: &TestApp| {
        diesel::sql_query(
            "SELECT c.slug, count(DISTINCT ic.initiative_id) AS n FROM categories c
             LEFT JOIN archipel_category_ancestry() cl ON cl.ancestor = c.id
             LEFT JOIN initiative_categories ic ON ic.category_id = cl.descendant
                  AND EXISTS (SELECT 1 FROM map_points m WHERE m.id = ic.initiative_id)
             GROUP BY c.slug ORDER BY c.slug",
        )
        .load::<Count>(&mut app.pool.get().unwrap())
        .unwrap()
    };
    let family = |counts: &[Count], slug: &str| counts.iter().find(|c| c.slug == slug).map(|c| c.n);

    // Two practices of one family count once for the family.
    let both = app
        .create(json!({"name": "Atelier vélo et repair café", "lat": 45.75, "lon": 4.85, "categories": ["repair-cafe", "bike-workshop"]}))
        .await;
    let garden = app
        .create(json!({"name": "Jardin des Pentes", "lat": 45.77, "lon": 4.83, "categories": ["shared-garden"]}))
        .await;
    assert_eq!(kept(&app), recount(&app));
    assert_eq!(family(&kept(&app), "reuse-repair"), Some(1));
    assert_eq!(family(&kept(&app), "repair-cafe"), Some(1));

    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    // Recategorised, unpublished, published again, archived, merged.
    for (target, body) in [
        (
            id(&both),
            json!({"categories": ["bike-workshop", "shared-garden"]}),
        ),
        (id(&garden), json!({"moderation": "pending"})),
        (id(&garden), json!({"moderation": "published"})),
        (id(&garden), json!({"categories": []})),
    ] {
        assert_eq!(
            app.patch(&format!("/api/v1/initiatives/{target}"), &body)
                .await
                .status(),
            200
        );
        assert_eq!(kept(&app), recount(&app), "after {body}");
    }
    assert_eq!(family(&kept(&app), "repair-cafe"), Some(0));
    assert_eq!(family(&kept(&app), "food-gardens"), Some(1));
    let merged = app
        .send_as(
            reqwest::Method::POST,
            &format!("/api/v1/initiatives/{}/merge", id(&both)),
            &app.editor_token,
            &json!({"into": id(&garden)}),
        )
        .await;
    assert_eq!(merged.status(), 200);
    assert_eq!(kept(&app), recount(&app), "after a merge");

    // What the API serves is the kept counts, and folding them changes nothing.
    let served = app.get_json("/api/v1/categories").await;
    let before = kept(&app);
    diesel::sql_query("SELECT archipel_compact_category_counts()")
        .execute(&mut app.pool.get().unwrap())
        .unwrap();
    assert_eq!(kept(&app), before);
    assert_eq!(app.get_json("/api/v1/categories").await, served);
}
