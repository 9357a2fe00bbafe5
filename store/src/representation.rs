//! How initiatives are written out, as SQL that makes PostgreSQL produce the final bytes.
//!
//! The expressions are generated once from the member list below (the attributes from `fields`): compact JSON (no spaces) built
//! by concatenation, which is smaller and faster than `json_build_object`'s spaced output. The
//! table alias is `i`. The GeoJSON Feature is not built here: it is a stored generated column of
//! `initiatives` (see the migration), written once per change and passed through on reads.

use crate::crs::Crs;
use crate::fields::{Field, Group};
use std::sync::LazyLock;

enum Member {
    /// A SQL expression turned into JSON with `to_json` (NULL becomes `null`).
    Value(String),
    /// A SQL expression that already yields JSON text.
    Raw(&'static str),
    Object(Vec<(&'static str, Member)>),
}

use Member::{Object, Raw};

fn value(expr: &str) -> Member {
    Member::Value(expr.to_string())
}

/// The attributes of `group` (see `fields`), as members.
fn attributes(group: Group) -> impl Iterator<Item = (&'static str, Member)> {
    Field::of(group).map(|f| (f.name, value(&format!("i.{}", f.name))))
}

const GEOMETRY: &str = "ST_AsGeoJSON(ST_ForcePolygonCCW(i.geom), 6)";

/// Members of the JSON representation (`GET /api/v1/initiatives/{id}`).
fn json_fields() -> Vec<(&'static str, Member)> {
    let mut members = vec![
        ("id", value("i.id")),
        ("slug", value("i.slug")),
        ("name", value("i.name")),
        ("description", value("i.description")),
        ("geometry", Raw(GEOMETRY)),
        (
            "point",
            Object(vec![
                ("lon", value("round(ST_X(i.point)::numeric, 6)::float8")),
                ("lat", value("round(ST_Y(i.point)::numeric, 6)::float8")),
            ]),
        ),
        ("categories", value("i.category_slugs")),
        ("address", Object(attributes(Group::Address).collect())),
        (
            "contact",
            Object(
                attributes(Group::Contact)
                    .chain([("links", value("i.links"))])
                    .collect(),
            ),
        ),
    ];
    members.extend(attributes(Group::Top));
    members.extend([
        ("tags", value("i.tags")),
        ("status", value("i.status")),
        ("moderation", value("i.moderation")),
        ("licence", value("i.licence")),
        ("attribution", value("i.attribution")),
        (
            "provenance",
            Object(vec![
                ("source_id", value("i.source_id")),
                ("external_id", value("i.external_id")),
                ("source_url", value("i.source_url")),
                ("fetched_at", value("archipel_rfc3339(i.fetched_at)")),
            ]),
        ),
        (
            "last_confirmed_at",
            value("archipel_rfc3339(i.last_confirmed_at)"),
        ),
        ("created_at", value("archipel_rfc3339(i.created_at)")),
        ("updated_at", value("archipel_rfc3339(i.updated_at)")),
        ("version", value("i.version")),
    ]);
    members
}

fn push_object(sql: &mut String, members: &[(&str, Member)]) {
    let mut first = true;
    for (key, member) in members {
        let separator = if first { "{" } else { "," };
        first = false;
        sql.push_str(&format!(" || '{separator}\"{key}\":' || "));
        match member {
            Member::Value(expr) => {
                sql.push_str(&format!("coalesce(to_json({expr})::text, 'null')"))
            }
            Raw(expr) => sql.push_str(expr),
            Object(inner) => {
                sql.push_str("''");
                push_object(sql, inner);
            }
        }
    }
    sql.push_str(" || '}'");
}

fn json_sql(with_distance: bool) -> String {
    let mut members = json_fields();
    if with_distance {
        // Added to JSON listings ordered by distance (`sort_key` is the distance in metres).
        members.push(("distance_m", value("round(i.sort_key::numeric, 1)")));
    }
    let mut sql = String::from("(''");
    push_object(&mut sql, &members);
    sql.push(')');
    sql
}

static JSON: LazyLock<String> = LazyLock::new(|| json_sql(false));
static JSON_WITH_DISTANCE: LazyLock<String> = LazyLock::new(|| json_sql(true));
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
