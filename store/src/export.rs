//! The full export of published initiatives, streamed row by row from PostgreSQL (libpq
//! single-row mode): memory stays flat whatever the size of the directory.
//!
//! Every format is one text per initiative built by PostgreSQL: the stored GeoJSON Feature for
//! GeoJSON and GeoJSONSeq, a CSV line (RFC 4180) for CSV. The listing's filters apply (bbox,
//! categories, statuses, `updated_since`); exports are always of published initiatives.

use crate::domain::Moderation;
use crate::error::StoreResult;
use crate::fields::{FIELDS, Group};
use crate::listing::{ListQuery, push_filters};
use crate::representation::Representation;
use crate::statement::Statement;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::borrow::Cow;
use std::sync::LazyLock;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    item: String,
}

/// What each exported row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The stored GeoJSON Feature.
    Feature,
    /// One CSV line of [`CSV_COLUMNS`], without its line break.
    CsvLine,
}

/// Separator of the items of a multi-valued CSV column (categories, links, tags). Within an
/// item, `\` is written `\\` and `|` is written `\|`.
pub const CSV_SEPARATOR: char = '|';

/// How a CSV column is written.
#[derive(Debug, Clone)]
pub enum CsvValue {
    /// A text column, always quoted (when not empty).
    Text(Cow<'static, str>),
    /// A number or date that never needs quoting (NULL: empty).
    Plain(Cow<'static, str>),
    /// A `text[]` whose items cannot hold `|`, `\`, commas or quotes (category slugs).
    Slugs(&'static str),
    /// A `text[]` of free text, joined by `|` with `\` and `|` escaped, then quoted.
    List(&'static str),
}

/// One column of the CSV export: its name (in the header), its value, and its Frictionless
/// Table Schema field (JSON, without the name).
#[derive(Debug, Clone)]
pub struct CsvColumn {
    pub name: &'static str,
    pub value: CsvValue,
    pub field: Cow<'static, str>,
}

fn column(name: &'static str, value: CsvValue, field: &'static str) -> CsvColumn {
    CsvColumn {
        name,
        value,
        field: Cow::Borrowed(field),
    }
}

#[allow(non_snake_case)]
fn Plain(expr: &'static str) -> CsvValue {
    CsvValue::Plain(Cow::Borrowed(expr))
}

#[allow(non_snake_case)]
fn Free(expr: &'static str) -> CsvValue {
    CsvValue::Text(Cow::Borrowed(expr))
}

use CsvValue::{List, Slugs};

/// The CSV columns of the attributes of `groups` (see `fields`).
fn attribute_columns(groups: &[Group]) -> impl Iterator<Item = CsvColumn> {
    FIELDS
        .iter()
        .filter(|f| groups.contains(&f.group))
        .map(|f| {
            let expr = Cow::Owned(format!("i.{}", f.name));
            CsvColumn {
                name: f.name,
                value: if f.is_free_text() {
                    CsvValue::Text(expr)
                } else {
                    CsvValue::Plain(expr)
                },
                field: Cow::Owned(f.table_schema().to_string()),
            }
        })
}

/// The CSV columns in order. The header line is their names; the Table Schema their fields.
pub static CSV_COLUMNS: LazyLock<Vec<CsvColumn>> = LazyLock::new(|| {
    let mut columns = vec![
        column(
            "id",
            Plain("i.id::text"),
            r#"{"type":"string","format":"uuid","description":"Identifier of the initiative (UUID), stable","constraints":{"required":true,"unique":true}}"#,
        ),
        column(
            "slug",
            Plain("i.slug"),
            r#"{"type":"string","description":"Identifier in URLs, unique","constraints":{"required":true,"unique":true,"pattern":"[a-z0-9]+(-[a-z0-9]+)*"}}"#,
        ),
        column(
            "name",
            Free("i.name"),
            r#"{"type":"string","constraints":{"required":true,"minLength":1,"maxLength":200}}"#,
        ),
        column(
            "description",
            Free("i.description"),
            r#"{"type":"string","constraints":{"maxLength":10000}}"#,
        ),
        column(
            "lon",
            Plain("trim_scale(round(ST_X(i.point)::numeric, 6))::text"),
            r#"{"type":"number","description":"Longitude (WGS 84 degrees, 6 decimals) of the map point: the place, or a point inside its area","constraints":{"required":true,"minimum":-180,"maximum":180}}"#,
        ),
        column(
            "lat",
            Plain("trim_scale(round(ST_Y(i.point)::numeric, 6))::text"),
            r#"{"type":"number","description":"Latitude (WGS 84 degrees, 6 decimals) of the map point","constraints":{"required":true,"minimum":-90,"maximum":90}}"#,
        ),
        column(
            "geometry_type",
            Plain("replace(initcap(GeometryType(i.geom)), 'polygon', 'Polygon')"),
            r#"{"type":"string","description":"Point, or the kind of area the initiative covers (its outline is in the GeoJSON exports)","constraints":{"required":true,"enum":["Point","Polygon","MultiPolygon"]}}"#,
        ),
        column(
            "categories",
            Slugs("i.category_slugs"),
            r#"{"type":"string","description":"Category slugs, main category first, separated by |","constraints":{"pattern":"[a-z0-9]+(-[a-z0-9]+)*(\\|[a-z0-9]+(-[a-z0-9]+)*)*"}}"#,
        ),
        column(
            "main_category",
            Plain("i.category_slugs[1]"),
            r#"{"type":"string","description":"Slug of the main category (its colour on the map)"}"#,
        ),
    ];
    columns.extend(attribute_columns(&[Group::Address, Group::Contact]));
    columns.push(column(
        "links",
        List("i.links"),
        r#"{"type":"string","description":"Other web addresses, separated by | (within one, \\ is written \\\\ and | is written \\|)"}"#,
    ));
    columns.extend(attribute_columns(&[Group::Top]));
    columns.extend([
    column(
        "tags",
        List("i.tags"),
        r#"{"type":"string","description":"Free tags, separated by | (within one, \\ is written \\\\ and | is written \\|)"}"#,
    ),
    column(
        "status",
        Plain("i.status"),
        r#"{"type":"string","constraints":{"required":true,"enum":["active","inactive","closed"]}}"#,
    ),
    column(
        "licence",
        Free("i.licence"),
        r#"{"type":"string","description":"Licence of this record (SPDX identifier when known), from its source; empty for a record entered in the directory itself"}"#,
    ),
    column(
        "attribution",
        Free("i.attribution"),
        r#"{"type":"string","description":"Attribution this record's licence requires"}"#,
    ),
    column(
        "source_id",
        Free("i.source_id"),
        r#"{"type":"string","description":"The import source the record came from"}"#,
    ),
    column(
        "external_id",
        Free("i.external_id"),
        r#"{"type":"string","description":"The record's identifier in its source"}"#,
    ),
    column("source_url", Free("i.source_url"), r#"{"type":"string"}"#),
    column(
        "fetched_at",
        Plain("archipel_rfc3339(i.fetched_at)"),
        r#"{"type":"datetime","description":"When its source was last read (UTC)"}"#,
    ),
    column(
        "last_confirmed_at",
        Plain("archipel_rfc3339(i.last_confirmed_at)"),
        r#"{"type":"datetime","description":"When a person last confirmed it (UTC)"}"#,
    ),
    column(
        "created_at",
        Plain("archipel_rfc3339(i.created_at)"),
        r#"{"type":"datetime","constraints":{"required":true}}"#,
    ),
    column(
        "updated_at",
        Plain("archipel_rfc3339(i.updated_at)"),
        r#"{"type":"datetime","constraints":{"required":true}}"#,
    ),
]);
    columns
});

/// The header line of the CSV export, without its line break.
pub fn csv_header() -> String {
    CSV_COLUMNS
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(",")
}

/// RFC 4180 quoting of a text expression: quotes doubled, the whole quoted; NULL and empty
/// text are an empty field. Quoting every text value costs nothing measurable, while testing
/// each for a comma, quote or line break first (a regular expression per field) made the export
/// about a third slower.
fn quoted(expr: &str) -> String {
    format!("coalesce('\"' || replace(nullif({expr}, ''), '\"', '\"\"') || '\"', '')")
}

fn csv_value(value: &CsvValue) -> String {
    match value {
        CsvValue::Plain(expr) => format!("coalesce({expr}, '')"),
        CsvValue::Text(expr) => quoted(expr),
        CsvValue::Slugs(expr) => format!("array_to_string({expr}, '|')"),
        // Escaped item by item only when an item holds `|` or `\` (rare): the plain join is
        // cheaper. Never empty items: the input refuses them.
        CsvValue::List(expr) => {
            let joined = format!(
                "CASE WHEN array_to_string({expr}, '') ~ '[|\\\\]' \
                 THEN array_to_string(ARRAY(SELECT replace(replace(v, '\\', '\\\\'), '|', '\\|') \
                 FROM unnest({expr}) WITH ORDINALITY AS u(v, n) ORDER BY n), '|') \
                 ELSE array_to_string({expr}, '|') END"
            );
            format!(
                "CASE WHEN cardinality({expr}) = 0 THEN '' ELSE '\"' || replace({joined}, '\"', '\"\"') || '\"' END"
            )
        }
    }
}

/// The SQL expression of one CSV line (table alias `i`).
static CSV_LINE: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = CSV_COLUMNS.iter().map(|c| csv_value(&c.value)).collect();
    format!("({})", values.join(" || ',' || "))
});

impl Format {
    fn sql(self) -> &'static str {
        match self {
            Format::Feature => Representation::Feature.sql(),
            Format::CsvLine => &CSV_LINE,
        }
    }
}

/// The Frictionless Table Schema of the CSV export.
pub fn csv_table_schema() -> serde_json::Value {
    let fields: Vec<serde_json::Value> = CSV_COLUMNS
        .iter()
        .map(|c| {
            let mut field: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&c.field).unwrap_or_default();
            field.insert("name".into(), c.name.into());
            serde_json::Value::Object(field)
        })
        .collect();
    serde_json::json!({
        "title": "Archipel initiatives",
        "description": "The published initiatives of the directory, one per row (UTF-8, comma-separated, RFC 4180 quoting, a header line). Multi-valued columns separate their items with |; within an item, \\ is written \\\\ and | is written \\|. Each row carries the licence and attribution of its record.",
        "fields": fields,
        "primaryKey": ["id"],
        "missingValues": [""],
    })
}

/// The statement of the unfiltered GeoJSON export (also what the benchmark compares with
/// `COPY … TO`).
pub fn statement() -> Statement<'static> {
    filtered(Format::Feature, &ListQuery::default())
}

/// The statement of an export of `format` with the filters of `q` (its order, paging and
/// moderation states are ignored: exports hold published initiatives, in no particular order).
pub fn filtered(format: Format, q: &ListQuery) -> Statement<'static> {
    let q = ListQuery {
        moderation: vec![Moderation::Published],
        words: Vec::new(),
        near: None,
        cursor: None,
        ..q.clone()
    };
    let mut st = Statement::new("SELECT ")
        .sql(format.sql())
        .sql(" AS item FROM initiatives i WHERE true");
    push_filters(&mut st, &q);
    st
}

/// Hands each published initiative matching `q`, written as `format`, to `emit`, which returns
/// false to stop early. Returns how many were emitted.
pub fn rows(
    conn: &mut PgConnection,
    format: Format,
    q: &ListQuery,
    mut emit: impl FnMut(&str) -> bool,
) -> StoreResult<u64> {
    let mut count = 0;
    for row in filtered(format, q).load_iter::<Row, PgRowByRowLoadingMode>(conn)? {
        count += 1;
        if !emit(&row?.item) {
            break;
        }
    }
    Ok(count)
}

/// [`rows`] of every published initiative as GeoJSON Features.
pub fn features(conn: &mut PgConnection, emit: impl FnMut(&str) -> bool) -> StoreResult<u64> {
    rows(conn, Format::Feature, &ListQuery::default(), emit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_every_column_once() {
        let header = csv_header();
        assert!(header.starts_with("id,slug,name,description,lon,lat,"));
        let mut names: Vec<&str> = header.split(',').collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CSV_COLUMNS.len());
    }

    #[test]
    fn every_column_has_a_valid_schema_field() {
        let schema = csv_table_schema();
        let fields = schema["fields"].as_array().unwrap();
        assert_eq!(fields.len(), CSV_COLUMNS.len());
        for (field, column) in fields.iter().zip(CSV_COLUMNS.iter()) {
            assert!(
                field["type"].is_string(),
                "{}: {}",
                column.name,
                column.field
            );
            assert_eq!(field["name"], column.name);
        }
    }

    #[test]
    fn the_statement_is_always_of_published_initiatives() {
        let q = ListQuery {
            moderation: vec![Moderation::Pending],
            ..ListQuery::default()
        };
        let sql = filtered(Format::CsvLine, &q).literal_sql();
        assert!(sql.contains("i.moderation = 'published'"), "{sql}");
    }
}
