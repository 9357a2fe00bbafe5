//! martin, the PostGIS tile server (`cargo install martin` into bench/.martin by `make bench`),
//! serving the very SQL of Archipel's tiles as a function source, against Archipel's tiles:
//! both uncached (Archipel `--tile-cache-mb 0`, martin `--cache-size 0`), then both with their
//! caches on. Same tiles (Paris at z5, z10, z14), same `wrk` clients.

use crate::measure;
use crate::scenarios::{self, Effort};
use archipel_store::tiles::{self, TileQuery};
use diesel::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BINARY: &str = "bench/.martin/bin/martin";
const FUNCTION: &str = "archipel_bench_tile";

/// The zooms compared, as in Q6.
pub const ZOOMS: [u32; 3] = [5, 10, 14];

/// Archipel's tile statements as a PostgreSQL function of (z, x, y), the form martin serves: the
/// statement the server runs at that zoom (kept cells up to z10, clustered points to z14, points
/// beyond). PL/pgSQL keeps each statement's plan for the connection, as the server's prepared
/// statements do, but for the z8 grid's kept cells, which the server plans at every run and the
/// function runs with `EXECUTE`.
fn create_function(conn: &mut PgConnection) -> anyhow::Result<()> {
    // Each statement binds z, x, y twice (the tile, then its margin or its cells).
    let sql = |z: u32| {
        let st = tiles::statement(&TileQuery {
            z,
            x: 0,
            y: 0,
            category_ids: None,
            words: vec![],
            statuses: vec![],
            territory: None,
        });
        diesel::debug_query::<diesel::pg::Pg, _>(&st)
            .to_string()
            .split(" -- binds:")
            .next()
            .unwrap_or_default()
            .replace("$4", "$1")
            .replace("$5", "$2")
            .replace("$6", "$3")
    };
    diesel::sql_query(format!(
        "CREATE OR REPLACE FUNCTION {FUNCTION}(z integer, x integer, y integer) RETURNS bytea
         LANGUAGE plpgsql STABLE PARALLEL SAFE AS $body$
         #variable_conflict use_column
         DECLARE
             built bytea;
         BEGIN
             IF $1 <= {} THEN EXECUTE $sql${}$sql$ INTO built USING z, x, y; RETURN built;
             ELSIF $1 <= {} THEN RETURN ({});
             ELSIF $1 < {} THEN RETURN ({});
             ELSE RETURN ({});
             END IF;
         END $body$",
        tiles::CELLS_ZOOM,
        sql(tiles::CELLS_ZOOM),
        tiles::FINE_CELLS_ZOOM,
        sql(tiles::FINE_CELLS_ZOOM),
        tiles::POINTS_FROM_ZOOM,
        sql(tiles::FINE_CELLS_ZOOM + 1),
        sql(tiles::POINTS_FROM_ZOOM)
    ))
    .execute(conn)?;
    Ok(())
}

/// (dataset, scenario, clients, martin's requests/s), scenario named after the Q6 one it
/// compares with: `Q6 tile z5 (martin)`, `Q6 cached tile z5 (martin)`.
pub fn run(
    url: &str,
    conn: &mut PgConnection,
    size: u64,
    effort: Effort,
) -> anyhow::Result<Vec<(u64, String, u32, f64)>> {
    let binary = PathBuf::from(BINARY);
    if !binary.exists() {
        anyhow::bail!(
            "martin is not installed: run `make bench` (it installs it into bench/.martin)"
        );
    }
    create_function(conn)?;
    let mut out = Vec::new();
    let measured = [false, true]
        .into_iter()
        .try_for_each(|cached| serve_and_measure(&binary, url, size, effort, cached, &mut out));
    diesel::sql_query(format!("DROP FUNCTION IF EXISTS {FUNCTION}")).execute(conn)?;
    measured.map(|()| out)
}

fn serve_and_measure(
    binary: &Path,
    url: &str,
    size: u64,
    effort: Effort,
    cached: bool,
    out: &mut Vec<(u64, String, u32, f64)>,
) -> anyhow::Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = std::env::temp_dir().join(format!("archipel-bench-martin-{port}.yaml"));
    // martin's default cache is 512 MB; `0` turns it off. Two workers, like the cores here.
    std::fs::write(
        &config,
        format!(
            "listen_addresses: '127.0.0.1:{port}'\nworker_processes: 2\ncache:\n  size_mb: {}\npostgres:\n  connection_string: '{url}'\n  auto_publish: false\n  functions:\n    archipel:\n      schema: public\n      function: {FUNCTION}\n      minzoom: 0\n      maxzoom: 22\n",
            if cached { 512 } else { 0 }
        ),
    )?;
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let ready = measure::wait_until_ok(&format!("{base}/health"));
    let mut measured = || -> anyhow::Result<()> {
        if !ready {
            anyhow::bail!("martin did not start");
        }
        for z in ZOOMS {
            let (x, y) = scenarios::tile_of(48.8566, 2.3522, z);
            let target = format!("{base}/archipel/{z}/{x}/{y}");
            if measure::curl_status(&target) != Some(200) {
                anyhow::bail!("martin answered no tile at {target}");
            }
            for &clients in effort.clients {
                if let Some(rps) =
                    measure::median_rps(&target, clients, effort.seconds, effort.repeats)
                {
                    let scenario = if cached {
                        format!("Q6 cached tile z{z} (martin)")
                    } else {
                        format!("Q6 tile z{z} (martin)")
                    };
                    out.push((size, scenario, clients, rps));
                }
            }
        }
        Ok(())
    };
    let result = measured();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&config);
    result
}
