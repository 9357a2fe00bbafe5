//! Vector tiles of the map, built by PostGIS (`ST_AsMVT`).
//!
//! Below [`POINTS_FROM_ZOOM`] initiatives are clustered on a grid of 16 × 16 cells per tile,
//! aligned on the whole world so that a cell belongs to exactly one tile; each tile also carries
//! the clusters of the one-cell margin around it, identical to those of its neighbours, so that
//! symbols at tile edges are drawn whole. Layers:
//!
//! * `clusters`: cells with two or more initiatives — `count`, dominant `category` and its
//!   `colour`, and the cell's extent `west`, `south`, `east`, `north` (degrees) to zoom to;
//! * `initiatives`: single initiatives — `id`, `slug`, `name`, main `category`, `colour`.

use crate::domain::Status;
use crate::error::StoreResult;
use crate::listing;
use crate::statement::Statement;
use diesel::prelude::*;
use diesel::sql_types::{Array, Binary, Integer, Text};

/// From this zoom on, tiles carry every initiative rather than clusters.
pub const POINTS_FROM_ZOOM: u32 = 14;
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
    st.push_sql(" AND i.moderation = 'published'");
    if let Some(ids) = &q.category_ids {
        listing::push_category_filter(st, ids);
    }
    if !q.words.is_empty() {
        st.push_sql(" AND i.search @@ (SELECT archipel_search_query(");
        st.push_bind::<Array<Text>, _>(q.words.clone());
        st.push_sql("))");
    }
    if !q.statuses.is_empty() {
        listing::push_status_filter(st, &q.statuses);
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
    let tile: Tile = statement(q).get_result(conn)?;
    Ok(tile.mvt)
}

/// The one statement that produces a tile (also what the benchmark runs in pgbench).
pub fn statement(q: &TileQuery) -> Statement<'static> {
    if q.z >= POINTS_FROM_ZOOM {
        points(q)
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
                   i.id::text AS id, i.slug, i.name, c.slug AS category, c.colour
            FROM t, initiatives i LEFT JOIN categories c ON c.slug = i.category_slugs[1]
            WHERE i.point_3857 && t.m"
    ));
    push_filters(&mut st, q);
    st.push_sql(") AS f), ''::bytea) AS mvt");
    st
}

fn clusters(q: &TileQuery) -> Statement<'static> {
    let cell_units = EXTENT / GRID;
    let mut st = Statement::new(
        "WITH t AS (SELECT e, ST_XMin(e) AS x0, ST_YMin(e) AS y0, (ST_XMax(e) - ST_XMin(e)) / ",
    );
    st.push_sql(format!("{GRID}.0 AS cell FROM (SELECT "));
    envelope(&mut st, q, None);
    st.push_sql(" AS e) AS tile), m AS (SELECT ");
    envelope(&mut st, q, Some(1.0 / f64::from(GRID)));
    st.push_sql(
        " AS m), pts AS (
            SELECT i.id, i.slug, i.name, i.category_slugs[1] AS main_category, i.point, i.point_3857,
                   floor((ST_X(i.point_3857) - t.x0) / t.cell) AS cx, floor((ST_Y(i.point_3857) - t.y0) / t.cell) AS cy
            FROM t, m, initiatives i
            WHERE i.point_3857 && m.m",
    );
    push_filters(&mut st, q);
    st.push_sql(format!(
        "), cells AS (
            SELECT count(*) AS n, avg(ST_X(point_3857)) AS x, avg(ST_Y(point_3857)) AS y,
                   mode() WITHIN GROUP (ORDER BY main_category) AS main_category,
                   min(ST_X(point)) AS west, min(ST_Y(point)) AS south, max(ST_X(point)) AS east, max(ST_Y(point)) AS north,
                   min(id::text) AS one_id, min(slug) AS one_slug, min(name) AS one_name
            FROM pts WHERE cx BETWEEN -1 AND {GRID} AND cy BETWEEN -1 AND {GRID}
            GROUP BY cx, cy
        ), placed AS (
            SELECT cells.*, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(x, y), 3857), t.e, {EXTENT}, {cell_units}, true) AS geom,
                   c.slug AS category, c.colour
            FROM t, cells LEFT JOIN categories c ON c.slug = cells.main_category
        )
        SELECT coalesce((SELECT ST_AsMVT(k, 'clusters', {EXTENT}, 'geom') FROM (
                   SELECT geom, n::integer AS count, category, colour,
                          round(west::numeric, 5)::float8 AS west, round(south::numeric, 5)::float8 AS south,
                          round(east::numeric, 5)::float8 AS east, round(north::numeric, 5)::float8 AS north
                   FROM placed WHERE n > 1 AND geom IS NOT NULL) AS k), ''::bytea)
            || coalesce((SELECT ST_AsMVT(s, 'initiatives', {EXTENT}, 'geom') FROM (
                   SELECT geom, one_id AS id, one_slug AS slug, one_name AS name, category, colour
                   FROM placed WHERE n = 1 AND geom IS NOT NULL) AS s), ''::bytea) AS mvt"
    ));
    st
}
