//! How initiatives are written out, as SQL that makes PostgreSQL produce the final bytes.
//!
//! The expressions are generated once from the field lists below: compact JSON (no spaces) built
//! by concatenation, which is smaller and faster than `json_build_object`'s spaced output. The
//! table alias is `i`. The GeoJSON Feature is not built here: it is a stored generated column of
//! `initiatives` (see the migration), written once per change and passed through on reads.

use crate::crs::Crs;
use std::sync::LazyLock;

enum Member {
    /// A SQL expression turned into JSON with `to_json` (NULL becomes `null`).
    Value(&'static str),
    /// A SQL expression that already yields JSON text.
    Raw(&'static str),
    Object(&'static [(&'static str, Member)]),
}

use Member::{Object, Raw, Value};

const GEOMETRY: &str = "ST_AsGeoJSON(ST_ForcePolygonCCW(i.geom), 6)";

/// Members of the JSON representation (`GET /api/v1/initiatives/{id}`).
const JSON_FIELDS: &[(&str, Member)] = &[
    ("id", Value("i.id")),
    ("slug", Value("i.slug")),
    ("name", Value("i.name")),
    ("description", Value("i.description")),
    ("geometry", Raw(GEOMETRY)),
    (
        "point",
        Object(&[
            ("lon", Value("round(ST_X(i.point)::numeric, 6)::float8")),
            ("lat", Value("round(ST_Y(i.point)::numeric, 6)::float8")),
        ]),
    ),
    ("categories", Value("i.category_slugs")),
    (
        "address",
        Object(&[
            ("street", Value("i.street")),
            ("postcode", Value("i.postcode")),
            ("city", Value("i.city")),
            ("country_code", Value("i.country_code")),
            ("insee_code", Value("i.insee_code")),
        ]),
    ),
    (
        "contact",
        Object(&[
            ("website", Value("i.website")),
            ("email", Value("i.email")),
            ("phone", Value("i.phone")),
            ("links", Value("i.links")),
        ]),
    ),
    ("opening_hours", Value("i.opening_hours")),
    ("tags", Value("i.tags")),
    ("status", Value("i.status")),
    ("moderation", Value("i.moderation")),
    ("licence", Value("i.licence")),
    ("attribution", Value("i.attribution")),
    (
        "provenance",
        Object(&[
            ("source_id", Value("i.source_id")),
            ("external_id", Value("i.external_id")),
            ("source_url", Value("i.source_url")),
            ("fetched_at", Value("archipel_rfc3339(i.fetched_at)")),
        ]),
    ),
    (
        "last_confirmed_at",
        Value("archipel_rfc3339(i.last_confirmed_at)"),
    ),
    ("created_at", Value("archipel_rfc3339(i.created_at)")),
    ("updated_at", Value("archipel_rfc3339(i.updated_at)")),
    ("version", Value("i.version")),
];

/// Added to JSON listings ordered by distance (`sort_key` is the distance in metres).
const DISTANCE: &[(&str, Member)] = &[("distance_m", Value("round(i.sort_key::numeric, 1)"))];

fn push_object(sql: &mut String, members: &[&[(&str, Member)]]) {
    let mut first = true;
    for (key, member) in members.iter().flat_map(|m| m.iter()) {
        let separator = if first { "{" } else { "," };
        first = false;
        sql.push_str(&format!(" || '{separator}\"{key}\":' || "));
        match member {
            Value(expr) => sql.push_str(&format!("coalesce(to_json({expr})::text, 'null')")),
            Raw(expr) => sql.push_str(expr),
            Object(inner) => {
                sql.push_str("''");
                push_object(sql, &[inner]);
            }
        }
    }
    sql.push_str(" || '}'");
}

fn json_sql(extra: &[(&str, Member)]) -> String {
    let mut sql = String::from("(''");
    push_object(&mut sql, &[JSON_FIELDS, extra]);
    sql.push(')');
    sql
}

static JSON: LazyLock<String> = LazyLock::new(|| json_sql(&[]));
static JSON_WITH_DISTANCE: LazyLock<String> = LazyLock::new(|| json_sql(DISTANCE));
/// The stored Feature, with `distance_m` added to its properties (it ends with `}}`).
const FEATURE_WITH_DISTANCE: &str =
    "(left(i.feature, -2) || ',\"distance_m\":' || round(i.sort_key::numeric, 1) || '}}')";

/// How an initiative is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Json,
    Feature,
    /// The Feature with its geometry in another CRS (OGC API `crs`).
    FeatureIn(Crs),
}

impl Representation {
    /// SQL expression (text) of one initiative.
    pub fn sql(self) -> &'static str {
        match self {
            Representation::Json => &JSON,
            Representation::Feature => "i.feature",
            Representation::FeatureIn(crs) => crs.feature_sql(),
        }
    }

    /// Same, with `distance_m` from the listing's sort key.
    pub fn sql_with_distance(self) -> &'static str {
        match self {
            Representation::Json => &JSON_WITH_DISTANCE,
            Representation::Feature | Representation::FeatureIn(Crs::Crs84) => {
                FEATURE_WITH_DISTANCE
            }
            // Listings by distance are not offered in other CRSs.
            Representation::FeatureIn(crs) => crs.feature_sql(),
        }
    }
}
