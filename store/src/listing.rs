//! Listing initiatives: filters (bbox, categories, words, distance, status, moderation, date),
//! keyset pagination with an opaque cursor, and the page serialised by PostgreSQL (in one
//! statement; two for the first page of words in a box) so that the server passes its bytes
//! through.

use crate::domain::{Moderation, Status};
use crate::error::{FieldError, StoreError, StoreResult};
use crate::fields::Field;
use crate::filter::Filter;
use crate::initiative::Representation;
use crate::statement::Statement;
use crate::territory::TerritoryFilter;
use crate::text;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Default and maximum page sizes.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

/// A longitude/latitude box. `min_lon > max_lon` means the box crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Around a place, within `radius_m` metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// The order of a listing, implied by its filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    /// Creation order (ids are time-ordered UUIDv7).
    #[serde(rename = "i")]
    Id,
    /// Nearest first (`near`).
    #[serde(rename = "d")]
    Distance,
    /// Best text match first (`q`).
    #[serde(rename = "r")]
    Relevance,
}

/// Where the next page starts: the sort key and id of the last item returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    pub order: Order,
    #[serde(rename = "k", with = "exact_f64")]
    pub key: f64,
    #[serde(rename = "i")]
    pub id: Uuid,
    /// The page *before* this item (a `prev` link), in creation order only.
    #[serde(rename = "b", default, skip_serializing_if = "std::ops::Not::not")]
    pub before: bool,
    /// Words in a box: where the first tier ends (see [`push_near_first_rows`]), fixed by the
    /// first page, so that a row's tier depends on the row alone while someone pages; none when
    /// the listing is ranked in one tier.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<Edge>,
}

/// Where a words-in-a-box listing's first tier ends: the matches closer to the box's centre
/// than `distance` (degrees, as `<->` measures it; infinite when the first tier holds every
/// match).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    #[serde(rename = "d", with = "exact_f64")]
    pub distance: f64,
}

/// The sort key as the shortest text that reads back as the same `f64`: serde_json's default
/// number parsing may come back one unit off in the last place, and the next page starts at rows
/// whose key *equals* the cursor's (every initiative with the same rank).
mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(key: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = <&str>::deserialize(d)?;
        text.parse().map_err(D::Error::custom)
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
        // An edge is a distance beyond the first candidate: never zero, negative or NaN.
        let edge_ok = cursor.edge.is_none_or(|e| e.distance > 0.0);
        (cursor.key.is_finite() && edge_ok).then_some(cursor)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub bbox: Option<Bbox>,
    /// Ids of the requested categories and all their descendants.
    pub category_ids: Option<Vec<i32>>,
    pub words: Vec<String>,
    pub near: Option<Near>,
    pub statuses: Vec<Status>,
    pub moderation: Vec<Moderation>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Only initiatives changed at or before this instant (OGC API `datetime` intervals).
    pub updated_until: Option<DateTime<Utc>>,
    /// A CQL2 filter (OGC API `filter`), already checked.
    pub filter: Option<Filter>,
    /// Only initiatives in this territory (resolved by `territory::filter`).
    pub territory: Option<TerritoryFilter>,
    /// Attributes that must hold one of the values (`wheelchair=yes,limited`).
    pub attributes: Vec<(&'static Field, Vec<String>)>,
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            bbox: None,
            category_ids: None,
            words: Vec::new(),
            near: None,
            statuses: Vec::new(),
            moderation: vec![Moderation::Published],
            updated_since: None,
            updated_until: None,
            filter: None,
            territory: None,
            attributes: Vec::new(),
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl ListQuery {
    pub fn order(&self) -> Order {
        if self.near.is_some() {
            Order::Distance
        } else if !self.words.is_empty() {
            Order::Relevance
        } else {
            Order::Id
        }
    }
}

/// One page: the items already serialised and joined by commas, and where the next and the
/// previous pages start (`prev` only in creation order, and only after the first page).
#[derive(Debug, Clone)]
pub struct Page {
    pub items: String,
    pub returned: i64,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = Text)]
    items: String,
    #[diesel(sql_type = BigInt)]
    returned: i64,
    #[diesel(sql_type = Bool)]
    has_more: bool,
    #[diesel(sql_type = Nullable<Double>)]
    last_key: Option<f64>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    last_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    first_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Double>)]
    edge_distance: Option<f64>,
    /// The first tier holds a page or less while matches lie beyond it (many at the same
    /// distance as the last candidate): the page is made again in one tier.
    #[diesel(sql_type = Bool)]
    short_first_tier: bool,
}

fn push_envelope(
    st: &mut Statement<'static>,
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
) {
    st.push_sql("i.point && ST_MakeEnvelope(");
    st.push_bind::<Double, _>(min_lon);
    st.push_sql(", ");
    st.push_bind::<Double, _>(min_lat);
    st.push_sql(", ");
    st.push_bind::<Double, _>(max_lon);
    st.push_sql(", ");
    st.push_bind::<Double, _>(max_lat);
    st.push_sql(", 4326)");
}

/// Metres in a degree of a great circle on the sphere PostGIS measures on (`use_spheroid` false).
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Degrees of latitude within `metres` of a point on the sphere, 1 % more: the half-height of a
/// box that holds a circle of that radius (also the import's duplicate search, `sync`).
pub(crate) fn latitude_span(metres: f64) -> f64 {
    metres / METRES_PER_DEGREE * 1.01
}

/// A box in degrees holding every point within `near`'s radius on the sphere (1 % wider), for
/// the point index; `None` when the circle reaches a pole or crosses the antimeridian (the
/// distance test alone then decides).
pub(crate) fn near_box(near: &Near) -> Option<(f64, f64, f64, f64)> {
    let radius = (near.radius_m / METRES_PER_DEGREE).to_radians();
    let dlat = latitude_span(near.radius_m);
    // The widest longitude span of a circle of angular radius r around latitude φ:
    // asin(sin r / cos φ).
    let spread = radius.sin() / near.lat.to_radians().cos();
    if near.lat.abs() + dlat >= 90.0 || spread >= 1.0 {
        return None;
    }
    let dlon = spread.asin().to_degrees() * 1.01;
    let (min_lon, max_lon) = (near.lon - dlon, near.lon + dlon);
    if min_lon < -180.0 || max_lon > 180.0 {
        return None;
    }
    Some((min_lon, near.lat - dlat, max_lon, near.lat + dlat))
}

fn push_center(st: &mut Statement<'static>, near: &Near) {
    push_point(st, (near.lon, near.lat));
    st.push_sql("::geography");
}

/// `AND` the initiative is in one of the categories (ids with their descendants).
pub(crate) fn push_category_filter(st: &mut Statement<'static>, ids: &[i32]) {
    st.push_sql(
        " AND EXISTS (SELECT 1 FROM initiative_categories ic WHERE ic.initiative_id = i.id AND ic.category_id = ANY(",
    );
    st.push_bind::<Array<Integer>, _>(ids.to_vec());
    st.push_sql("))");
}

/// `AND` the initiative has one of the statuses.
pub(crate) fn push_status_filter(st: &mut Statement<'static>, statuses: &[Status]) {
    st.push_sql(" AND i.status = ANY(");
    st.push_bind::<Array<Text>, _>(
        statuses
            .iter()
            .map(|s| s.as_str().to_string())
            .collect::<Vec<_>>(),
    );
    st.push_sql(")");
}

/// ` AND i.moderation …`: the moderation states `q` lists.
fn push_moderation(st: &mut Statement<'static>, q: &ListQuery) {
    if q.moderation == [Moderation::Published] {
        st.push_sql(" AND i.moderation = 'published'");
    } else {
        st.push_sql(" AND i.moderation = ANY(");
        st.push_bind::<Array<Text>, _>(
            q.moderation
                .iter()
                .map(|m| m.as_str().to_string())
                .collect::<Vec<_>>(),
        );
        st.push_sql(")");
    }
}

/// Appends `AND …` for every filter of `q` (table alias `i`, tsquery `tsq.q`).
pub(crate) fn push_filters(st: &mut Statement<'static>, q: &ListQuery) {
    push_moderation(st, q);
    if let Some(b) = q.bbox {
        st.push_sql(" AND ");
        if b.min_lon <= b.max_lon {
            push_envelope(st, b.min_lon, b.min_lat, b.max_lon, b.max_lat);
        } else {
            st.push_sql("(");
            push_envelope(st, b.min_lon, b.min_lat, 180.0, b.max_lat);
            st.push_sql(" OR ");
            push_envelope(st, -180.0, b.min_lat, b.max_lon, b.max_lat);
            st.push_sql(")");
        }
    }
    if let Some(ids) = &q.category_ids {
        push_category_filter(st, ids);
    }
    if !q.words.is_empty() {
        st.push_sql(" AND i.search @@ tsq.q");
    }
    if let Some(near) = &q.near {
        // The point index finds the candidates in a box around the centre; the distance on the
        // sphere decides.
        if let Some((min_lon, min_lat, max_lon, max_lat)) = near_box(near) {
            st.push_sql(" AND ");
            push_envelope(st, min_lon, min_lat, max_lon, max_lat);
        }
        st.push_sql(" AND ST_DWithin(i.point::geography, ");
        push_center(st, near);
        st.push_sql(", ");
        st.push_bind::<Double, _>(near.radius_m);
        st.push_sql(", false)");
    }
    if !q.statuses.is_empty() {
        push_status_filter(st, &q.statuses);
    }
    if let Some(until) = q.updated_until {
        st.push_sql(" AND i.updated_at <= ");
        st.push_bind::<Timestamptz, _>(until);
    }
    if let Some(since) = q.updated_since {
        st.push_sql(" AND i.updated_at >= ");
        st.push_bind::<Timestamptz, _>(since);
    }
    if let Some(filter) = &q.filter {
        st.push_sql(" AND ");
        filter.push(st);
    }
    if let Some(territory) = &q.territory {
        territory.push(st);
    }
    for (field, values) in &q.attributes {
        st.push_sql(format!(" AND i.{} = ANY(", field.name));
        st.push_bind::<Array<Text>, _>(values.clone());
        st.push_sql(")");
    }
}

fn cursor_error() -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        "cursor",
        "invalid_cursor",
        text!("this cursor belongs to a listing with other filters; follow the 'next' link as given or start again without a cursor";
              "ce curseur appartient à une liste avec d'autres filtres ; suivez le lien « next » tel quel ou recommencez sans curseur"),
    )])
}

/// Lists initiatives matching `q`, one page, serialised as `repr`.
pub fn list(conn: &mut PgConnection, q: &ListQuery, repr: Representation) -> StoreResult<Page> {
    let first_near_page =
        near_first_centre(q).filter(|_| q.cursor.is_none() && q.order() == Order::Relevance);
    let mut row: PageRow = match first_near_page {
        Some(centre) => near_first_page(conn, q, repr, centre)?,
        None => statement(q, repr)?.get_result(conn)?,
    };
    if row.short_first_tier {
        row = statement_in(q, repr, Tiers::One)?.get_result(conn)?;
    }
    let order = q.order();
    let backward = q.cursor.as_ref().is_some_and(|c| c.before);
    // Words in a box: the first page fixes the first tier's edge, the next ones carry it on.
    let edge = match &q.cursor {
        Some(cursor) => cursor.edge,
        None => row.edge_distance.map(|distance| Edge { distance }),
    };
    let at = |key: Option<f64>, id: Option<Uuid>, before: bool| {
        id.map(|id| Cursor {
            order,
            key: key.unwrap_or(0.0),
            id,
            before,
            edge,
        })
    };
    // Row 1 is the first of the page in its reading order; going backward rows are numbered from
    // the end, so row 1 is the page's last item and row `limit` its first.
    let (next, prev) = if backward {
        let next = at(None, row.first_id, false);
        let prev = if row.has_more {
            at(row.last_key, row.last_id, true)
        } else {
            None
        };
        (next, prev)
    } else {
        let next = if row.has_more {
            at(row.last_key, row.last_id, false)
        } else {
            None
        };
        let prev = match (order, &q.cursor) {
            (Order::Id, Some(_)) => at(None, row.first_id, true),
            _ => None,
        };
        (next, prev)
    };
    Ok(Page {
        items: row.items,
        returned: row.returned,
        next,
        prev,
    })
}

/// A candidate of a words-in-a-box first page (see [`near_first_page`]).
#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Double)]
    distance: f64,
    #[diesel(sql_type = Double)]
    sort_key: f64,
}

/// A page's items read by id.
#[derive(QueryableByName)]
struct Items {
    #[diesel(sql_type = Text)]
    items: String,
    #[diesel(sql_type = BigInt)]
    returned: i64,
}

/// The first page of words in a box: the same page as [`statement`] makes in one statement (the
/// bench's `L` runs that one), in two. The walk to the candidates is planned for its values (see
/// [`push_near_matches`]); the candidates are ranked here, as the statement's `edge` and `near`
/// do; the page's items are then read by id, by a statement kept prepared. PostgreSQL parses
/// and plans only the short walk at each run instead of the whole page. The two run outside a
/// transaction, each on its own snapshot: a transaction's `BEGIN` and `COMMIT` are two more round
/// trips (0.19 ms of 2.0 ms at 100k). An initiative edited between the two shows its new text at
/// the place its old one ranked it; one unpublished between them is left out (the read checks the
/// moderation again), and the page is one item short.
fn near_first_page(
    conn: &mut PgConnection,
    q: &ListQuery,
    repr: Representation,
    centre: (f64, f64),
) -> StoreResult<PageRow> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let count = candidate_count(limit);
    let mut walk = Statement::new("");
    push_near_matches(&mut walk, q, centre);
    push_nearest(&mut walk, centre, count);
    let found: Vec<Candidate> = walk.planned_per_run().load(conn)?;
    // Every match when the walk found fewer than it asked for; otherwise the first tier ends
    // before the farthest candidate (see `push_near_cte`).
    let edge = if found.len() as i64 == count {
        found.iter().map(|c| c.distance).fold(f64::MIN, f64::max)
    } else {
        f64::INFINITY
    };
    let mut near: Vec<Candidate> = found.into_iter().filter(|c| c.distance < edge).collect();
    near.sort_by(|a, b| b.sort_key.total_cmp(&a.sort_key).then(a.id.cmp(&b.id)));
    let size = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut row = PageRow {
        items: String::new(),
        returned: 0,
        has_more: near.len() > size,
        last_key: near.get(size - 1).map(|c| c.sort_key),
        last_id: near.get(size - 1).map(|c| c.id),
        first_id: near.first().map(|c| c.id),
        edge_distance: Some(edge),
        short_first_tier: edge.is_finite() && near.len() <= size,
    };
    if row.short_first_tier || near.is_empty() {
        return Ok(row);
    }
    let mut read = Statement::new("SELECT coalesce(string_agg(");
    read.push_sql(repr.sql());
    read.push_sql(", ',' ORDER BY k.n), '') AS items, count(*) AS returned FROM unnest(");
    read.push_bind::<Array<SqlUuid>, _>(near.iter().take(size).map(|c| c.id).collect::<Vec<_>>());
    read.push_sql(") WITH ORDINALITY AS k(id, n) JOIN initiatives i ON i.id = k.id WHERE true");
    push_moderation(&mut read, q);
    let items: Items = read.get_result(conn)?;
    (row.items, row.returned) = (items.items, items.returned);
    Ok(row)
}

/// The one statement that produces a page (see [`list`]; the first page of words in a box is
/// made in two, see [`near_first_page`]).
pub fn statement(q: &ListQuery, repr: Representation) -> StoreResult<Statement<'static>> {
    statement_in(q, repr, Tiers::NearFirst)
}

/// How words in a box are ranked.
#[derive(Clone, Copy, PartialEq)]
enum Tiers {
    /// In two tiers when the listing and its cursor allow (see [`push_near_first_rows`]).
    NearFirst,
    /// Every match in one ranking.
    One,
}

fn statement_in(
    q: &ListQuery,
    repr: Representation,
    tiers: Tiers,
) -> StoreResult<Statement<'static>> {
    let order = q.order();
    if let Some(cursor) = &q.cursor
        && (cursor.order != order || (cursor.before && order != Order::Id))
    {
        return Err(cursor_error());
    }
    let backward = q.cursor.as_ref().is_some_and(|c| c.before);
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let item_sql = match order {
        Order::Distance => repr.sql_with_distance(),
        _ => repr.sql(),
    };
    // Two tiers from the first page on, or not at all: a cursor without an edge continues a
    // ranking in one tier.
    let edge = q.cursor.as_ref().and_then(|c| c.edge);
    let near_first = near_first_centre(q).filter(|_| {
        order == Order::Relevance
            && tiers == Tiers::NearFirst
            && (q.cursor.is_none() || edge.is_some())
    });

    let mut st = Statement::new("");
    if let Some(centre) = near_first {
        push_near_cte(&mut st, q, limit, centre, edge);
    }
    st.push_sql(if backward {
        "SELECT coalesce(string_agg(p.item, ',' ORDER BY p.rn DESC) FILTER (WHERE p.rn <= "
    } else {
        "SELECT coalesce(string_agg(p.item, ',' ORDER BY p.rn) FILTER (WHERE p.rn <= "
    });
    st.push_bind::<BigInt, _>(limit);
    st.push_sql("), '') AS items, count(*) FILTER (WHERE p.rn <= ");
    st.push_bind::<BigInt, _>(limit);
    st.push_sql(") AS returned, count(*) > ");
    st.push_bind::<BigInt, _>(limit);
    st.push_sql(" AS has_more, (array_agg(p.sort_key) FILTER (WHERE p.rn = ");
    st.push_bind::<BigInt, _>(limit);
    st.push_sql("))[1] AS last_key, (array_agg(p.id) FILTER (WHERE p.rn = ");
    st.push_bind::<BigInt, _>(limit);
    // p: the page with row numbers and serialised items; i: the limited rows with their categories;
    // f: the filtered rows with their sort key.
    st.push_sql("))[1] AS last_id, (array_agg(p.id) FILTER (WHERE p.rn = 1))[1] AS first_id, ");
    if near_first.is_some() && edge.is_none() {
        st.push_sql(
            "(SELECT distance FROM edge) AS edge_distance, \
             (SELECT distance < 'Infinity' FROM edge) AND (SELECT count(*) FROM near) <= ",
        );
        st.push_bind::<BigInt, _>(limit);
        st.push_sql(" AS short_first_tier");
    } else {
        st.push_sql("NULL::float8 AS edge_distance, false AS short_first_tier");
    }
    st.push_sql(" FROM (SELECT i.id, i.sort_key, row_number() OVER (ORDER BY ");
    st.push_sql(match order {
        Order::Relevance => "i.sort_key DESC, i.id",
        Order::Id if backward => "i.sort_key, i.id DESC",
        _ => "i.sort_key, i.id",
    });
    st.push_sql(") AS rn, ");
    st.push_sql(item_sql);
    st.push_sql(" AS item FROM (");
    match (near_first, q.cursor.as_ref().zip(edge)) {
        (Some(centre), after) => push_near_first_rows(&mut st, q, limit, centre, after),
        (None, _) => push_filtered_rows(&mut st, q, order),
    }
    if let Some(cursor) = &q.cursor {
        st.push_sql(" WHERE ");
        push_after_cursor(&mut st, "f", order, cursor);
    }
    st.push_sql(match order {
        Order::Id if backward => " ORDER BY f.id DESC",
        Order::Id => " ORDER BY f.id",
        Order::Distance => " ORDER BY f.sort_key, f.id",
        Order::Relevance => " ORDER BY f.sort_key DESC, f.id",
    });
    st.push_sql(" LIMIT ");
    st.push_bind::<BigInt, _>(limit + 1);
    st.push_sql(") AS i) AS p");
    // A box can hold ten initiatives or most of them: reading it by its index or the table in
    // order and stopping at the page's end are different plans, chosen for each box.
    Ok(if q.bbox.is_some() {
        st.planned_per_run()
    } else {
        st
    })
}

/// `SELECT f.* FROM (the filtered rows with their sort key) AS f`.
fn push_filtered_rows(st: &mut Statement<'static>, q: &ListQuery, order: Order) {
    st.push_sql("SELECT f.* FROM (SELECT i.*, ");
    match (order, &q.near) {
        (Order::Distance, Some(near)) => {
            st.push_sql("ST_Distance(i.point::geography, ");
            push_center(st, near);
            st.push_sql(", false)");
        }
        (Order::Relevance, _) => st.push_sql(RANK),
        _ => st.push_sql("0::float8"),
    }
    st.push_sql(" AS sort_key FROM initiatives i");
    if !q.words.is_empty() {
        push_query_once(st, q);
    }
    st.push_sql(" WHERE true");
    push_filters(st, q);
    st.push_sql(") AS f");
}

/// With words in a map's view, the candidates ranked first: this many times the page's size of
/// the matches nearest the view's centre (at least [`NEAR_FIRST_MIN`]).
pub const NEAR_FIRST_PER_ITEM: i64 = 2;
pub const NEAR_FIRST_MIN: i64 = 20;

/// A match's relevance, in [0, 1): `ts_rank` normalised as rank / (rank + 1) (flag 32), the
/// same order as the plain rank, which has no upper bound (each matching lexeme of an OR adds).
const RANK: &str = "ts_rank(i.search, tsq.q, 32)::float8";

/// The centre of the view whose matches are ranked nearest first: words in a box that does not
/// cross the antimeridian.
fn near_first_centre(q: &ListQuery) -> Option<(f64, f64)> {
    let b = q.bbox?;
    (!q.words.is_empty() && q.near.is_none() && b.min_lon <= b.max_lon)
        .then(|| ((b.min_lon + b.max_lon) / 2.0, (b.min_lat + b.max_lat) / 2.0))
}

fn push_point(st: &mut Statement<'static>, (lon, lat): (f64, f64)) {
    st.push_sql("ST_SetSRID(ST_MakePoint(");
    st.push_bind::<Double, _>(lon);
    st.push_sql(", ");
    st.push_bind::<Double, _>(lat);
    st.push_sql("), 4326)");
}

/// `WITH … near AS (…) `: the first tier of a words-in-a-box listing (see
/// [`push_near_first_rows`]), each row with its distance from the centre and its sort key
/// (rank + 1). On the first page: the candidates, the matches nearest the centre found by the
/// point index walked nearest first (which stops once it has them); the edge, the farthest
/// candidate's distance if there are as many candidates as asked (otherwise they are every
/// match: infinite); the first tier, the candidates closer than the edge (the matches closer
/// than the farthest candidate are all candidates, whichever of those at the same distance the
/// walk took). On the next pages: the matches closer than the edge the cursor carries.
fn push_near_cte(
    st: &mut Statement<'static>,
    q: &ListQuery,
    limit: i64,
    centre: (f64, f64),
    edge: Option<Edge>,
) {
    st.push_sql(match edge {
        None => "WITH candidates AS MATERIALIZED (",
        Some(_) => "WITH near AS MATERIALIZED (",
    });
    push_near_matches(st, q, centre);
    match edge {
        None => {
            let candidates = candidate_count(limit);
            push_nearest(st, centre, candidates);
            st.push_sql("), edge AS (SELECT CASE WHEN count(*) = ");
            st.push_bind::<BigInt, _>(candidates);
            st.push_sql(
                " THEN max(distance) ELSE 'Infinity'::float8 END AS distance FROM candidates), \
                 near AS (SELECT c.* FROM candidates c, edge WHERE c.distance < edge.distance) ",
            );
        }
        Some(edge) if edge.distance.is_infinite() => st.push_sql(") "),
        Some(edge) => {
            st.push_sql(" AND i.point && ST_Expand(");
            push_point(st, centre);
            st.push_sql(", ");
            st.push_bind::<Double, _>(edge.distance);
            st.push_sql(") AND ");
            push_distance_against(st, centre, "<", edge);
            st.push_sql(") ");
        }
    }
}

/// How many candidates a first page of `limit` items ranks first.
fn candidate_count(limit: i64) -> i64 {
    (limit * NEAR_FIRST_PER_ITEM).max(NEAR_FIRST_MIN)
}

/// `SELECT id, distance, sort_key FROM …`: the matches of `q`, each with its distance from the
/// centre and its sort key in the first tier (rank + 1).
fn push_near_matches(st: &mut Statement<'static>, q: &ListQuery, centre: (f64, f64)) {
    st.push_sql("SELECT i.id, i.point <-> ");
    push_point(st, centre);
    st.push_sql(" AS distance, 1 + ");
    st.push_sql(RANK);
    // The query as a plain call: the statement is planned for its values (it has a box), so
    // PostgreSQL folds it into a constant and estimates how many rows match, choosing between
    // the nearest-first walk of the point index (common words) and the word index (rare ones).
    st.push_sql(" AS sort_key FROM initiatives i CROSS JOIN (SELECT archipel_search_query(");
    st.push_bind::<Array<Text>, _>(q.words.clone());
    st.push_sql(") AS q) AS tsq WHERE true");
    push_filters(st, q);
}

/// ` ORDER BY … LIMIT count`: the `count` rows nearest the centre.
fn push_nearest(st: &mut Statement<'static>, centre: (f64, f64), count: i64) {
    st.push_sql(" ORDER BY i.point <-> ");
    push_point(st, centre);
    st.push_sql(" LIMIT ");
    st.push_bind::<BigInt, _>(count);
}

/// `i.point <-> centre <op> edge`.
fn push_distance_against(
    st: &mut Statement<'static>,
    centre: (f64, f64),
    op: &'static str,
    edge: Edge,
) {
    st.push_sql("i.point <-> ");
    push_point(st, centre);
    st.push_sql(" ");
    st.push_sql(op);
    st.push_sql(" ");
    st.push_bind::<Double, _>(edge.distance);
}

/// The rows of a words-in-a-box listing, in two tiers. Ranking every match in a dense view reads
/// all of them (at 1M, `jardin` over Paris: 18k rows on as many pages, ~150 ms, where the view
/// without words takes under a millisecond). So the matches nearest the view's centre (`near`,
/// see [`push_near_cte`]) are ranked first, their sort key lifted by one; the box's other
/// matches follow, ranked, and are read only by a page that reaches past the first tier. The
/// first page fixes where the first tier ends and the cursor carries it: every match is on
/// exactly one page, whatever else changes in between.
fn push_near_first_rows(
    st: &mut Statement<'static>,
    q: &ListQuery,
    limit: i64,
    centre: (f64, f64),
    after: Option<(&Cursor, Edge)>,
) {
    st.push_sql(
        "SELECT f.* FROM (SELECT i.*, n.sort_key FROM near n JOIN initiatives i ON i.id = n.id",
    );
    // The first page leaves the second tier out: the first holds more rows than a page, or every
    // match, or it is made again in one tier (`short_first_tier`). Its statement is planned
    // faster for it (at 1M, `jardin` over Paris: 4.1 ms a page instead of 6.3 in the bench).
    if let Some((cursor, edge)) = after.filter(|(_, e)| e.distance.is_finite()) {
        st.push_sql(" UNION ALL SELECT i.*, ");
        st.push_sql(RANK);
        st.push_sql(" AS sort_key FROM initiatives i");
        push_query_once(st, q);
        // Read only when the page goes past the first tier.
        st.push_sql(" WHERE (SELECT count(*) FROM near n WHERE ");
        push_after_cursor(st, "n", Order::Relevance, cursor);
        st.push_sql(") <= ");
        st.push_bind::<BigInt, _>(limit);
        st.push_sql(" AND ");
        push_distance_against(st, centre, ">=", edge);
        push_filters(st, q);
    }
    st.push_sql(") AS f");
}

/// `CROSS JOIN` the words' query as `tsq.q`, computed once per execution.
fn push_query_once(st: &mut Statement<'static>, q: &ListQuery) {
    // The query as a sub-select (an InitPlan, computed once per execution). Written as a
    // plain call, PostgreSQL folds it into a constant in a custom plan, but in the generic
    // plan a prepared statement settles on after five runs it called it again for every row
    // it checked and ranked: 66 ms instead of 23 ms for `jardin` in a box at 100k.
    st.push_sql(" CROSS JOIN (SELECT (SELECT archipel_search_query(");
    st.push_bind::<Array<Text>, _>(q.words.clone());
    st.push_sql(")) AS q) AS tsq");
}

/// The rows of `alias` after the cursor in `order`.
fn push_after_cursor(
    st: &mut Statement<'static>,
    alias: &'static str,
    order: Order,
    cursor: &Cursor,
) {
    match order {
        Order::Id if cursor.before => {
            st.push_sql(alias);
            st.push_sql(".id < ");
        }
        Order::Id => {
            st.push_sql(alias);
            st.push_sql(".id > ");
        }
        Order::Distance => {
            st.push_sql("(");
            st.push_sql(alias);
            st.push_sql(".sort_key, ");
            st.push_sql(alias);
            st.push_sql(".id) > (");
            st.push_bind::<Double, _>(cursor.key);
            st.push_sql(", ");
        }
        Order::Relevance => {
            st.push_sql("(");
            st.push_sql(alias);
            st.push_sql(".sort_key < ");
            st.push_bind::<Double, _>(cursor.key);
            st.push_sql(" OR (");
            st.push_sql(alias);
            st.push_sql(".sort_key = ");
            st.push_bind::<Double, _>(cursor.key);
            st.push_sql(" AND ");
            st.push_sql(alias);
            st.push_sql(".id > ");
        }
    }
    st.push_bind::<SqlUuid, _>(cursor.id);
    st.push_sql(match order {
        Order::Id => "",
        Order::Distance => ")",
        Order::Relevance => "))",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_keeps_an_infinite_edge() {
        let cursor = Cursor {
            order: Order::Relevance,
            key: 1.5,
            id: Uuid::nil(),
            before: false,
            edge: Some(Edge {
                distance: f64::INFINITY,
            }),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        for distance in [f64::NAN, 0.0, -1.0, f64::NEG_INFINITY] {
            let edge = Some(Edge { distance });
            let crafted = Cursor {
                edge,
                ..cursor.clone()
            };
            assert_eq!(Cursor::decode(&crafted.encode()), None, "{distance}");
        }
    }

    #[test]
    fn a_cursor_gives_back_exactly_its_sort_key() {
        // Ranks are `real`s made `float8`; the first tier of words in a box adds 1.
        for i in 0..20_000u32 {
            let rank = f64::from(i as f32 * 0.000_123_4);
            for key in [
                rank,
                1.0 + rank,
                1000.0 + rank,
                rank * 1e-9,
                12_345.678 + rank,
            ] {
                let cursor = Cursor {
                    order: Order::Relevance,
                    key,
                    id: Uuid::nil(),
                    before: false,
                    edge: (key > 0.0).then_some(Edge { distance: key }),
                };
                let back = Cursor::decode(&cursor.encode()).expect("decodes");
                assert_eq!(back.key.to_bits(), key.to_bits(), "{key}");
                assert_eq!(back.edge, cursor.edge, "{key}");
            }
        }
    }

    /// The point at `metres` from (lat, lon) towards `bearing` degrees, on the sphere.
    fn destination(lat: f64, lon: f64, bearing: f64, metres: f64) -> (f64, f64) {
        let (phi, lambda, theta) = (lat.to_radians(), lon.to_radians(), bearing.to_radians());
        let delta = (metres / METRES_PER_DEGREE).to_radians();
        let phi2 = (phi.sin() * delta.cos() + phi.cos() * delta.sin() * theta.cos()).asin();
        let lambda2 = lambda
            + (theta.sin() * delta.sin() * phi.cos()).atan2(delta.cos() - phi.sin() * phi2.sin());
        (phi2.to_degrees(), lambda2.to_degrees())
    }

    #[test]
    fn the_near_box_holds_the_whole_circle_and_stays_close_to_it() {
        for (lat, lon) in [(45.76, 4.83), (-33.87, 151.21), (0.0, 0.0), (69.65, 18.96)] {
            for radius_m in [150.0, 5_000.0, 100_000.0] {
                let near = Near { lat, lon, radius_m };
                let (min_lon, min_lat, max_lon, max_lat) = near_box(&near).unwrap();
                for bearing in 0..360 {
                    let (y, x) = destination(lat, lon, f64::from(bearing), radius_m);
                    assert!(
                        (min_lon..=max_lon).contains(&x) && (min_lat..=max_lat).contains(&y),
                        "({lat}, {lon}) r {radius_m}: bearing {bearing} gives ({y}, {x}), outside"
                    );
                }
                // Not much wider than the circle: 2 % beyond its extent north and east.
                let (north, _) = destination(lat, lon, 0.0, radius_m * 1.02);
                assert!(max_lat < north, "{max_lat} ≥ {north}");
            }
        }
    }

    #[test]
    fn no_box_across_the_antimeridian_or_over_a_pole() {
        let across = Near {
            lat: -17.0,
            lon: 179.99,
            radius_m: 5_000.0,
        };
        assert_eq!(near_box(&across), None);
        let pole = Near {
            lat: 89.99,
            lon: 0.0,
            radius_m: 5_000.0,
        };
        assert_eq!(near_box(&pole), None);
    }
}
