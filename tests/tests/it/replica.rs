//! Reading from a real streaming replica (`ARCHIPEL_DATABASE_READ_URL`): public reads, tiles and
//! exports come from the replica, writes go to the primary, and a write answers only once the
//! replica shows it — so its author, and everyone after, reads it back at once.

use archipel_api::state::Settings;
use archipel_tests::{PrivateCluster, Replica, TestApp, tile_of};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde_json::{Value, json};

#[derive(QueryableByName)]
struct Recovery {
    #[diesel(sql_type = Bool)]
    standby: bool,
}

#[actix_web::test]
async fn public_reads_come_from_the_replica_and_see_every_answered_write() {
    // A primary of this test's own: the replica replays this test's writes, not the whole
    // suite's (every other test's database copies would make it lag behind on a busy machine).
    let primary = PrivateCluster::start();
    let db = primary.database();
    // Each commit reaches the replica's readers 200 ms late: without waiting for it, every read
    // below would miss the write just answered.
    let replica = Replica::start(&primary, std::time::Duration::from_millis(200));
    let settings = Settings {
        read_database_url: Some(replica.url(db.name())),
        // The whole suite runs at once on two cores: the replica may lag seconds behind.
        replica_wait: std::time::Duration::from_secs(30),
        ..Settings::default()
    };
    let app = TestApp::spawn_on(db, settings).await;

    // The read pool is connected to a standby, the write pool to the primary.
    let mut on_replica = PgConnection::establish(&replica.url(app.db.name())).unwrap();
    let standby = |conn: &mut PgConnection| {
        diesel::sql_query("SELECT pg_is_in_recovery() AS standby")
            .get_result::<Recovery>(conn)
            .unwrap()
            .standby
    };
    assert!(standby(&mut on_replica));
    assert!(!standby(&mut app.pool.get().unwrap()));

    for round in 0..3 {
        let name = format!("Ressourcerie {round}");
        let created = app
            .create(json!({"name": name, "lat": 47.218, "lon": -1.553 + f64::from(round) * 0.01}))
            .await;
        let id = created["id"].as_str().unwrap();
        // Read back anonymously, at once: from the replica.
        let one = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
        assert_eq!(one["name"], name.as_str());
        let renamed = format!("{name} (Rezé)");
        assert_eq!(
            app.patch(
                &format!("/api/v1/initiatives/{id}"),
                &json!({"name": renamed})
            )
            .await
            .status(),
            200
        );
        let one = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
        assert_eq!(one["name"], renamed.as_str());
        // A change the map does not show (no tile to forget): read back at once all the same.
        let description = format!("Dépôt et revente, tour {round}");
        assert_eq!(
            app.patch(
                &format!("/api/v1/initiatives/{id}"),
                &json!({"description": description})
            )
            .await
            .status(),
            200
        );
        let one = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
        assert_eq!(one["description"], description.as_str());
        let page: Value = app.get_json("/api/v1/initiatives?limit=100").await;
        assert_eq!(page["items"].as_array().unwrap().len(), round as usize + 1);
    }

    // The map's tile, read on the replica, shows the last write at once.
    let (x, y) = tile_of(47.218, -1.553, 14);
    let tile = app
        .get(&format!("/api/v1/tiles/14/{x}/{y}.mvt"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&tile).contains("Ressourcerie 0 (Rezé)"),
        "the tile shows the renamed initiative"
    );
    // The replica refuses writes: nothing else could have written these.
    assert!(
        diesel::sql_query("CREATE TABLE nope (id int)")
            .execute(&mut on_replica)
            .is_err()
    );
}
