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
