//! Vector tiles of the map, built by PostGIS (`ST_AsMVT`) from `map_points`, the narrow table of
//! published initiatives kept by triggers.
//!
//! Below [`POINTS_FROM_ZOOM`] initiatives are clustered on a grid of 16 × 16 cells per tile,
//! aligned on the whole world so that a cell belongs to exactly one tile; each tile also carries
//! the clusters of the one-cell margin around it, identical to those of its neighbours, so that
//! symbols at tile edges are drawn whole. Up to z10 the unfiltered map (what nearly every visitor
//! and the cache warmer ask for) adds up kept cells — `map_cells`, counts, sums and extents per
//! cell and main category of two grids (z8's for tiles up to z8, z10's for z9 and z10), appended
//! by `map_points`' triggers — so a tile over a dense region costs a few hundred or thousand rows
//! however many points it holds, and an edit changes one cell a zoom. Filtered tiles, and
//! z11–z14, aggregate the points themselves in one pass, by cell and category, then by cell.
//! Layers:
//!
//! * `clusters`: cells with two or more initiatives — `count`, dominant `category` and its
//!   `colour`, and the extent of their initiatives `west`, `south`, `east`, `north` (degrees) to
//!   zoom to;
//! * `initiatives`: single initiatives — `id`, `slug`, `name`, main `category`, `colour`, and
//!   `confirmed`, the day (YYYY-MM-DD, UTC) it was last confirmed as still active (or created,
//!   never confirmed): the map fades those older than a year, by its own today.

use crate::domain::Status;
use crate::error::StoreResult;
use crate::listing;
use crate::statement::Statement;
use crate::territory::TerritoryFilter;
use diesel::prelude::*;
use diesel::sql_types::{Array, Binary, Integer, Text};

/// From this zoom on, tiles carry every initiative rather than clusters (at z14, a dense city
/// centre of the 1M benchmark dataset holds ~1,700 initiatives: 190 KiB as points).
pub const POINTS_FROM_ZOOM: u32 = 15;
/// Deepest zoom served (the map overzooms beyond).
pub const MAX_ZOOM: u32 = 22;
const EXTENT: u32 = 4096;
/// Cells per tile side when clustering.
const GRID: u32 = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct TileQuery {
    pub z: u32,
    pub x: u32,
    pub y: u32,
    pub category_ids: Option<Vec<i32>>,
    pub words: Vec<String>,
    pub statuses: Vec<Status>,
    /// Only initiatives in this territory.
    pub territory: Option<TerritoryFilter>,
}

impl TileQuery {
    /// Whether z/x/y names a tile of the Web Mercator pyramid.
    pub fn is_valid(z: u32, x: u32, y: u32) -> bool {
        z <= MAX_ZOOM && u64::from(x) < (1u64 << z) && u64::from(y) < (1u64 << z)
    }
}

#[derive(QueryableByName)]
struct Tile {
    #[diesel(sql_type = Binary)]
    mvt: Vec<u8>,
}

fn push_filters(st: &mut Statement<'static>, q: &TileQuery) {
    if let Some(ids) = &q.category_ids {
        listing::push_category_filter(st, ids);
    }
    if !q.words.is_empty() {
        st.push_sql(" AND i.id IN (SELECT x.id FROM initiatives x WHERE x.search @@ (SELECT archipel_search_query(");
        st.push_bind::<Array<Text>, _>(q.words.clone());
        st.push_sql(")))");
    }
    if !q.statuses.is_empty() {
        listing::push_status_filter(st, &q.statuses);
    }
    if let Some(territory) = &q.territory {
        territory.push_by_id(st);
    }
}

fn envelope(st: &mut Statement<'static>, q: &TileQuery, margin: Option<f64>) {
    st.push_sql("ST_TileEnvelope(");
    st.push_bind::<Integer, _>(q.z as i32);
    st.push_sql(", ");
    st.push_bind::<Integer, _>(q.x as i32);
    st.push_sql(", ");
    st.push_bind::<Integer, _>(q.y as i32);
    if let Some(margin) = margin {
        st.push_sql(format!(", margin => {margin})"));
    } else {
        st.push_sql(")");
    }
}

/// The tile's MVT bytes; empty when nothing is in it.
pub fn tile(conn: &mut PgConnection, q: &TileQuery) -> StoreResult<Vec<u8>> {
    // One statement, one round trip. Its text depends only on the filters' shape, so each
    // connection keeps it prepared (but for the z8 grid's kept cells, planned at every run);
    // after five custom plans PostgreSQL settles on the generic plan whenever its estimate is
    // the lower (for the unfiltered map: at every zoom, measured at 100k), which saves the
    // 1–1.9 ms of planning a tile. Forcing the generic plan took three
    // more round trips (BEGIN, SET LOCAL, COMMIT: ~1 ms of a 5 ms tile at z14) than it saved.
    let tile: Tile = statement(q).get_result(conn)?;
    Ok(tile.mvt)
}

/// Half the width of the Web Mercator square, in metres.
const MERCATOR_HALF: f64 = 20_037_508.342_789_244;

#[derive(QueryableByName)]
struct Address {
    #[diesel(sql_type = Integer)]
    x: i32,
    #[diesel(sql_type = Integer)]
    y: i32,
}

/// The tiles at zoom `z` that hold at least one published initiative (up to
/// [`FINE_CELLS_ZOOM`], from the kept cells; deeper, one pass over `map_points`).
pub fn occupied(conn: &mut PgConnection, z: u32) -> StoreResult<Vec<(u32, u32)>> {
    let z = z.min(MAX_ZOOM);
    let n = 1u32 << z;
    let sql = if z <= FINE_CELLS_ZOOM {
        // A cell column of the grid of zoom `level` is in tile column gx >> (4 + level - z);
        // rows count from the south.
        let level = cells_level(z);
        let shift = GRID.trailing_zeros() + level - z;
        format!(
            "SELECT DISTINCT gx >> {shift} AS x, {} - (gy >> {shift}) AS y
             FROM (SELECT gx, gy FROM map_cells WHERE level = {level} GROUP BY gx, gy HAVING sum(n) > 0) AS cells",
            n - 1
        )
    } else {
        let size = 2.0 * MERCATOR_HALF / f64::from(n);
        let cell =
            |axis: &str| format!("least(greatest(floor({axis} / {size}), 0), {})::int", n - 1);
        format!(
            "SELECT DISTINCT {} AS x, {} AS y FROM map_points",
            cell(&format!("(ST_X(point_3857) + {MERCATOR_HALF})")),
            cell(&format!("({MERCATOR_HALF} - ST_Y(point_3857))")),
        )
    };
    let rows: Vec<Address> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|a| (a.x as u32, a.y as u32)).collect())
}

/// Folds the kept cells' rows into one per cell and category, with exact extents again where
/// initiatives left the map (migration 150); run now and then on the primary.
pub fn compact_cells(conn: &mut PgConnection) -> StoreResult<()> {
    diesel::sql_query("SELECT archipel_compact_map_cells()").execute(conn)?;
    Ok(())
}

/// The one statement that produces a tile (also what the benchmark runs in pgbench).
pub fn statement(q: &TileQuery) -> Statement<'static> {
    let unfiltered = q.category_ids.is_none()
        && q.words.is_empty()
        && q.statuses.is_empty()
        && q.territory.is_none();
    if q.z >= POINTS_FROM_ZOOM {
        points(q)
    } else if q.z <= FINE_CELLS_ZOOM && unfiltered {
        kept_cells(q)
    } else {
        clusters(q)
    }
}

fn points(q: &TileQuery) -> Statement<'static> {
    let buffer = 64;
    let mut st = Statement::new("WITH t AS (SELECT ");
    envelope(&mut st, q, None);
    st.push_sql(" AS e, ");
    envelope(&mut st, q, Some(f64::from(buffer) / f64::from(EXTENT)));
    st.push_sql(format!(
        " AS m)
        SELECT coalesce((SELECT ST_AsMVT(f, 'initiatives', {EXTENT}, 'geom') FROM (
            SELECT ST_AsMVTGeom(i.point_3857, t.e, {EXTENT}, {buffer}, true) AS geom,
                   i.id::text AS id, i.slug, i.name, i.category, c.colour,
                   to_char(i.confirmed_on, 'YYYY-MM-DD') AS confirmed
            FROM t, map_points i LEFT JOIN categories c ON c.slug = i.category
            WHERE i.point_3857 && t.m"
    ));
    push_filters(&mut st, q);
    st.push_sql(") AS f), ''::bytea) AS mvt");
    st
}

fn clusters(q: &TileQuery) -> Statement<'static> {
    let mut st = Statement::new(
        "WITH t AS (SELECT e, ST_XMin(e) AS x0, ST_YMin(e) AS y0, (ST_XMax(e) - ST_XMin(e)) / ",
    );
    st.push_sql(format!("{GRID}.0 AS cell FROM (SELECT "));
    envelope(&mut st, q, None);
    st.push_sql(" AS e) AS tile), m AS (SELECT ");
    envelope(&mut st, q, Some(1.0 / f64::from(GRID)));
    st.push_sql(
        " AS m), pts AS (
            SELECT i.slug, i.category, ST_X(i.point_3857) AS x, ST_Y(i.point_3857) AS y,
                   floor((ST_X(i.point_3857) - t.x0) / t.cell)::int AS cx, floor((ST_Y(i.point_3857) - t.y0) / t.cell)::int AS cy
            FROM t, m, map_points i
            WHERE i.point_3857 && m.m",
    );
    push_filters(&mut st, q);
    st.push_sql(format!(
        "), by_category AS (
            SELECT cx, cy, category, count(*)::integer AS n, sum(x) AS sx, sum(y) AS sy,
                   min(x) AS x0, max(x) AS x1, min(y) AS y0, max(y) AS y1, min(slug) AS slug
            FROM pts WHERE cx BETWEEN -1 AND {GRID} AND cy BETWEEN -1 AND {GRID}
            GROUP BY cx, cy, category
        ), cells AS (
            SELECT sum(n) AS n, sum(sx) / sum(n) AS x, sum(sy) / sum(n) AS y,
                   min(x0) AS x0, max(x1) AS x1, min(y0) AS y0, max(y1) AS y1,
                   (array_agg(category ORDER BY n DESC, category))[1] AS category, min(slug) AS slug
            FROM by_category GROUP BY cx, cy
        )"
    ));
    push_layers(&mut st, "JOIN map_points i ON i.slug = p.slug");
    st
}

/// The kept cells (`map_cells`, migrations 150 and 180) are those of two grids: zoom
/// [`CELLS_ZOOM`]'s, read by the tiles up to it, and zoom [`FINE_CELLS_ZOOM`]'s, read by the
/// tiles deeper than [`CELLS_ZOOM`] up to it (a z10 tile over Paris at 1M: 5,606 rows instead of
/// 167,913 points). Low zooms keep the coarse grid: the fine one has about twice the rows.
pub const CELLS_ZOOM: u32 = 8;
/// See [`CELLS_ZOOM`].
pub const FINE_CELLS_ZOOM: u32 = 10;

/// The grid (`map_cells.level`) a tile at zoom `z` ≤ [`FINE_CELLS_ZOOM`] adds up.
fn cells_level(z: u32) -> u32 {
    if z <= CELLS_ZOOM {
        CELLS_ZOOM
    } else {
        FINE_CELLS_ZOOM
    }
}

/// An unfiltered tile at zoom ≤ [`FINE_CELLS_ZOOM`], from the kept cells rather than the points:
/// each of its cells (and of its one-cell margin) adds up the rows of the grid's cells it is made
/// of; a cell with one initiative finds it among the points of that cell.
fn kept_cells(q: &TileQuery) -> Statement<'static> {
    let level = cells_level(q.z);
    // Binds: the tile's z, x, y, twice (its envelope, then the grid's cells its cells and their
    // one-cell margin cover, numbered over the world from the west and from the south), as in
    // the other clustered tiles: one text for every tile of a grid.
    let mut st = Statement::new("WITH t AS (SELECT ");
    envelope(&mut st, q, None);
    st.push_sql(" AS e), r AS NOT MATERIALIZED (SELECT ");
    st.push_sql(format!("{level} - z AS shift, (x * {GRID} - 1) << ({level} - z) AS x_lo, ((x * {GRID} + {GRID} + 1) << ({level} - z)) - 1 AS x_hi, "));
    st.push_sql(format!("((((1 << z) - 1 - y) * {GRID}) - 1) << ({level} - z) AS y_lo, (((((1 << z) - 1 - y) * {GRID}) + {GRID} + 1) << ({level} - z)) - 1 AS y_hi FROM (SELECT "));
    st.push_bind::<Integer, _>(q.z as i32);
    st.push_sql(" AS z, ");
    st.push_bind::<Integer, _>(q.x as i32);
    st.push_sql(" AS x, ");
    st.push_bind::<Integer, _>(q.y as i32);
    st.push_sql(format!(
        " AS y) AS tile), by_category AS (
            SELECT gx >> r.shift AS cx, gy >> r.shift AS cy, category, sum(n)::integer AS n,
                   sum(sx) AS sx, sum(sy) AS sy, min(x0) AS x0, max(x1) AS x1, min(y0) AS y0, max(y1) AS y1
            FROM r, map_cells WHERE level = {level} AND gx BETWEEN r.x_lo AND r.x_hi AND gy BETWEEN r.y_lo AND r.y_hi
            GROUP BY 1, 2, 3 HAVING sum(n) > 0
        ), cells AS (
            SELECT cx, cy, sum(n) AS n, sum(sx) / sum(n) AS x, sum(sy) / sum(n) AS y,
                   min(x0) AS x0, max(x1) AS x1, min(y0) AS y0, max(y1) AS y1,
                   (array_agg(category ORDER BY n DESC, category))[1] AS category
            FROM by_category GROUP BY cx, cy
        )"
    ));
    // The one initiative of a cell: the point of map_points in that cell (found in a box a
    // metre wider, then checked with the same cell numbers as the kept rows).
    let h = MERCATOR_HALF;
    push_layers(
        &mut st,
        &format!(
            "CROSS JOIN LATERAL (
                SELECT m.id, m.slug, m.name, m.confirmed_on FROM r, map_points m
                WHERE m.point_3857 && ST_MakeEnvelope(p.cx * p.size - {h} - 1, p.cy * p.size - {h} - 1,
                                                      (p.cx + 1) * p.size - {h} + 1, (p.cy + 1) * p.size - {h} + 1, 3857)
                  AND archipel_map_cell({level}, ST_X(m.point_3857)) >> r.shift = p.cx
                  AND archipel_map_cell({level}, ST_Y(m.point_3857)) >> r.shift = p.cy
                LIMIT 1) AS i"
        ),
    );
    // The coarse grid's statement is planned with its values at every run, `r` inlined where it
    // is used (NOT MATERIALIZED): only then are the cell ranges constants to the planner, which
    // reads the z5 tile over Paris at 1M through a bitmap of the index (86k rows, 38 ms); as a
    // generic plan, or with `r` computed apart, it read them one by one through the index
    // (105-143 ms). The fine grid's tiles hold a few thousand rows: the prepared plan serves
    // them (z10 over Paris at 1M 18-27 ms), where planning each run cost ~3 ms at 100k.
    if level == CELLS_ZOOM {
        st.planned_per_run()
    } else {
        st
    }
}

/// The end of a clustered tile, from `cells` (one row per cell: `n`, mean `x` and `y`, extent,
/// dominant `category`): the `clusters` layer, then the `initiatives` layer of the cells with one
/// initiative, found by `single` (joined to `placed p`, naming the initiative `i`).
fn push_layers(st: &mut Statement<'static>, single: &str) {
    let cell_units = EXTENT / GRID;
    st.push_sql(format!(
        ", placed AS (
            SELECT cells.*, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(x, y), 3857), t.e, {EXTENT}, {cell_units}, true) AS geom,
                   c.colour, (ST_XMax(t.e) - ST_XMin(t.e)) / {GRID}.0 AS size
            FROM t, cells LEFT JOIN categories c ON c.slug = cells.category
        )
        SELECT coalesce((SELECT ST_AsMVT(k, 'clusters', {EXTENT}, 'geom') FROM (
                   SELECT geom, n::integer AS count, category, colour,
                          round(ST_X(sw)::numeric, 5)::float8 AS west, round(ST_Y(sw)::numeric, 5)::float8 AS south,
                          round(ST_X(ne)::numeric, 5)::float8 AS east, round(ST_Y(ne)::numeric, 5)::float8 AS north
                   FROM placed,
                        LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x0, y0), 3857), 4326) AS sw,
                                        ST_Transform(ST_SetSRID(ST_MakePoint(x1, y1), 3857), 4326) AS ne) AS extent
                   WHERE n > 1 AND geom IS NOT NULL) AS k), ''::bytea)
            || coalesce((SELECT ST_AsMVT(s, 'initiatives', {EXTENT}, 'geom') FROM (
                   SELECT p.geom, i.id::text AS id, i.slug, i.name, p.category, p.colour,
                          to_char(i.confirmed_on, 'YYYY-MM-DD') AS confirmed
                   FROM placed p {single}
                   WHERE p.n = 1 AND p.geom IS NOT NULL) AS s), ''::bytea) AS mvt"
    ));
}
