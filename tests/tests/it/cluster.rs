//! The private PostgreSQL cluster that `make run` and the benchmarks use: its settings reach
//! clusters created by earlier versions, without recreating them (their data stays).

use archipel_store::cluster::{APP_DATABASE, LocalCluster};
use archipel_tests::free_port;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::fs;

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

fn show(url: &str, name: &str) -> String {
    diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
        .get_result::<Setting>(&mut PgConnection::establish(url).unwrap())
        .unwrap()
        .value
}

#[test]
fn a_cluster_made_before_its_settings_file_gets_the_bulk_import_settings_at_its_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::new(dir.path(), free_port());
    cluster.ensure_running().unwrap();
    let url = cluster.url(APP_DATABASE);
    assert_eq!(show(&url, "max_wal_size"), "8GB");
    assert_eq!(show(&url, "wal_compression"), "lz4");
    PgConnection::establish(&url)
        .unwrap()
        .batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
        .unwrap();
    cluster.stop().unwrap();

    // As an earlier version left it: settings appended to postgresql.conf, no settings file.
    let data = dir.path().join("pgdata");
    let conf = data.join("postgresql.conf");
    let text = fs::read_to_string(&conf).unwrap();
    let old: String = text
        .lines()
        .filter(|line| !line.starts_with("include_if_exists"))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(
        &conf,
        format!("{old}listen_addresses = '127.0.0.1'\nmax_wal_size = 1GB\n"),
    )
    .unwrap();
    fs::remove_file(data.join("archipel.conf")).unwrap();

    cluster.ensure_running().unwrap();
    assert_eq!(show(&url, "max_wal_size"), "8GB");
    assert_eq!(show(&url, "checkpoint_timeout"), "15min");
    let count = diesel::sql_query("SELECT n::text AS value FROM kept")
        .get_result::<Setting>(&mut PgConnection::establish(&url).unwrap())
        .unwrap()
        .value;
    assert_eq!(count, "7", "the data survives");

    // Started again, the include is not repeated.
    cluster.stop().unwrap();
    cluster.ensure_running().unwrap();
    let includes = fs::read_to_string(&conf)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("include_if_exists"))
        .count();
    assert_eq!(includes, 1);
    cluster.stop().unwrap();
}
