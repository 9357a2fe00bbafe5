//! Every migration goes up, down and up again.

use archipel_store::migrate;
use archipel_tests::TestDb;
use diesel::{QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut diesel::PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .map(|c| c.n)
        .unwrap_or(-1)
}

#[test]
fn every_migration_runs_up_down_and_up_again() {
    let db = TestDb::empty();
    let mut conn = db.connect();
    let applied = migrate::run_pending(&mut conn).expect("up");
    assert!(applied.len() >= 5);
    assert!(count(&mut conn, "SELECT count(*) AS n FROM categories") >= 24);
    migrate::revert_all(&mut conn).expect("down");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' AND tablename <> 'spatial_ref_sys'"
        ),
        0,
        "down leaves no table behind"
    );
    let again = migrate::run_pending(&mut conn).expect("up again");
    assert_eq!(again.len(), applied.len());
    assert!(migrate::is_current(&mut conn).unwrap());
}

#[derive(QueryableByName)]
struct Doc {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    doc: Option<serde_json::Value>,
}

fn doc(conn: &mut diesel::PgConnection, sql: &str) -> Option<serde_json::Value> {
    diesel::sql_query(sql).get_result::<Doc>(conn).unwrap().doc
}

#[test]
fn revisions_stored_whole_become_what_changed_and_back() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new();
    let mut conn = db.connect();
    let id = "0190a0a0-0000-7000-8000-0000000000aa";
    conn.batch_execute(&format!(
        "INSERT INTO initiatives (id, slug, name, geom) VALUES
            ('{id}', 'atelier', 'Atelier', ST_SetSRID(ST_MakePoint(4.83, 45.76), 4326))"
    ))
    .unwrap();
    let feature = format!("SELECT feature::jsonb AS doc FROM initiatives WHERE id = '{id}'");
    let v1 = doc(&mut conn, &feature).unwrap();
    conn.batch_execute(&format!(
        "UPDATE initiatives SET name = 'Atelier vélo', geom = ST_SetSRID(ST_MakePoint(4.84, 45.76), 4326) WHERE id = '{id}'"
    ))
    .unwrap();
    let v2 = doc(&mut conn, &feature).unwrap();

    // Before the migration (120, and every later one): whole Features, as revisions were
    // written until then.
    let newer = count(
        &mut conn,
        "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version >= '20261202000120'",
    ) as usize;
    migrate::revert_last(&mut conn, newer).unwrap();
    diesel::sql_query(
        "INSERT INTO revisions (initiative_id, action, author, before, after) VALUES
            ($1::uuid, 'create', 'test', NULL, $2), ($1::uuid, 'update', 'test', $2, $3)",
    )
    .bind::<diesel::sql_types::Text, _>(id)
    .bind::<diesel::sql_types::Jsonb, _>(&v1)
    .bind::<diesel::sql_types::Jsonb, _>(&v2)
    .execute(&mut conn)
    .unwrap();

    // Up: the creation keeps nothing, the update its two changed fields.
    migrate::run_pending(&mut conn).unwrap();
    let stored = |conn: &mut diesel::PgConnection, column: &str, action: &str| {
        doc(
            conn,
            &format!("SELECT {column} AS doc FROM revisions WHERE action = '{action}'"),
        )
    };
    assert_eq!(stored(&mut conn, "old_values", "create"), None);
    assert_eq!(stored(&mut conn, "new_values", "create"), None);
    assert_eq!(
        stored(&mut conn, "old_values", "update"),
        Some(serde_json::json!({"name": "Atelier", "geometry": v1["geometry"]}))
    );
    assert_eq!(
        stored(&mut conn, "new_values", "update"),
        Some(serde_json::json!({"name": "Atelier vélo", "geometry": v2["geometry"]}))
    );
    let history =
        archipel_store::revision::list(&mut conn, uuid::Uuid::parse_str(id).unwrap()).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].before.as_ref(), &history[0].after), (None, &v1));
    assert_eq!(
        (history[1].before.as_ref(), &history[1].after),
        (Some(&v1), &v2)
    );

    // Down: the whole Features again.
    migrate::revert_last(&mut conn, newer).unwrap();
    assert_eq!(stored(&mut conn, "after", "create"), Some(v1.clone()));
    assert_eq!(stored(&mut conn, "before", "update"), Some(v1));
    assert_eq!(stored(&mut conn, "after", "update"), Some(v2));
    migrate::run_pending(&mut conn).unwrap();
}

#[test]
fn an_initiative_is_never_deleted_so_nothing_derived_from_it_is_left_without_it() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new();
    let mut conn = db.connect();
    conn.batch_execute(
        "INSERT INTO initiatives (id, slug, name, geom, category_slugs) VALUES
            ('0190a0a0-0000-7000-8000-0000000000bb', 'jardin', 'Jardin', ST_SetSRID(ST_MakePoint(4.83, 45.76), 4326), '{shared-garden}')",
    )
    .unwrap();
    for statement in [
        "DELETE FROM initiatives WHERE slug = 'jardin'",
        "TRUNCATE initiatives CASCADE",
    ] {
        let refused = conn.batch_execute(statement).unwrap_err().to_string();
        assert!(refused.contains("never deleted"), "{statement}: {refused}");
    }
    let derived = |conn: &mut diesel::PgConnection, table: &str, column: &str| {
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM {table} WHERE {column} = '0190a0a0-0000-7000-8000-0000000000bb'"
            ),
        )
    };
    assert_eq!(derived(&mut conn, "initiatives", "id"), 1);
    assert_eq!(derived(&mut conn, "map_points", "id"), 1);
    assert_eq!(
        derived(&mut conn, "initiative_categories", "initiative_id"),
        1
    );
}
