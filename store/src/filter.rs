//! CQL2 filters (OGC API – Features Part 3) on the published initiatives.
//!
//! A filter arrives as cql2-text or cql2-json and is read by [`crate::cql2`]. It is then checked
//! and turned into a [`Filter`]: a small tree of conditions on the *queryables* below, each a
//! property of the GeoJSON Feature with the column or expression it reads. Only that tree reaches
//! SQL, as fixed fragments with every value bound, so a filter can never write SQL of its own.
//! Anything outside what is translated (an unknown property, a function, arithmetic, a comparison
//! of two values of different kinds) is refused with a message that says what to write instead.

use crate::cql2::{self, Expr};
use crate::fields::{self, FIELDS};
use crate::statement::Statement;
use crate::text;
use crate::text::Text;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, Date, Double, Text as SqlText, Timestamptz};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What a queryable holds, which decides the values it can be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A list of texts (categories, tags): the array operators apply.
    TextList,
    Time,
    Geometry,
}

/// A property a filter may name: its name in the Feature, its kind, the SQL that reads it (alias
/// `i`) and a description for `/queryables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queryable {
    pub name: &'static str,
    pub kind: Kind,
    sql: Cow<'static, str>,
    pub description: &'static str,
    /// The values it may take, when they are a closed list.
    pub values: &'static [&'static str],
}

impl Queryable {
    /// The JSON Schema of this queryable, as OGC API – Features Part 3 lists it.
    pub fn json_schema(&self) -> serde_json::Value {
        use serde_json::json;
        let mut schema = match self.kind {
            Kind::Text => json!({"type": "string"}),
            Kind::TextList => json!({"type": "array", "items": {"type": "string"}}),
            Kind::Time => json!({"type": "string", "format": "date-time"}),
            Kind::Geometry => json!({"format": "geometry-any", "x-ogc-role": "primary-geometry"}),
        };
        schema["title"] = json!(self.name);
        schema["description"] = json!(self.description);
        if !self.values.is_empty() {
            schema["enum"] = json!(self.values);
        }
        schema
    }
}

const fn q(
    name: &'static str,
    kind: Kind,
    sql: &'static str,
    description: &'static str,
) -> Queryable {
    Queryable {
        name,
        kind,
        sql: Cow::Borrowed(sql),
        description,
        values: &[],
    }
}

/// The queryable attributes (see `fields`).
fn attributes() -> impl Iterator<Item = Queryable> {
    FIELDS.iter().filter(|f| f.queryable).map(|f| Queryable {
        name: f.name,
        kind: Kind::Text,
        sql: Cow::Owned(format!("i.{}", f.name)),
        description: f.about,
        values: match f.kind {
            fields::Kind::Choice(values, _) => values,
            _ => &[],
        },
    })
}

/// Every property a filter may use.
pub static QUERYABLES: LazyLock<Vec<Queryable>> = LazyLock::new(|| {
    let mut all = vec![
        q(
            "geometry",
            Kind::Geometry,
            "i.geom",
            "Where the initiative is (point or area), in CRS84",
        ),
        q("id", Kind::Text, "i.id::text", "Its identifier"),
        q("name", Kind::Text, "i.name", "Its name"),
        q("slug", Kind::Text, "i.slug", "Its name in URLs"),
        q("description", Kind::Text, "i.description", "What it does"),
        q(
            "categories",
            Kind::TextList,
            "i.category_slugs",
            "Its categories (slugs), main one first",
        ),
        q(
            "main_category",
            Kind::Text,
            "i.category_slugs[1]",
            "Its main category (slug)",
        ),
        q("tags", Kind::TextList, "i.tags", "Free tags"),
    ];
    all.extend(attributes());
    all.extend([
        Queryable {
            values: &["active", "inactive", "closed"],
            ..q("status", Kind::Text, "i.status", "Whether it is active")
        },
        q("licence", Kind::Text, "i.licence", "Licence of the record"),
        q(
            "attribution",
            Kind::Text,
            "i.attribution",
            "Attribution of the record",
        ),
        q(
            "source_id",
            Kind::Text,
            "i.source_id",
            "The import source it comes from",
        ),
        q(
            "created_at",
            Kind::Time,
            "i.created_at",
            "When it was added",
        ),
        q(
            "updated_at",
            Kind::Time,
            "i.updated_at",
            "When it last changed",
        ),
        q(
            "last_confirmed_at",
            Kind::Time,
            "i.last_confirmed_at",
            "When it was last confirmed active",
        ),
        q(
            "fetched_at",
            Kind::Time,
            "i.fetched_at",
            "When its source was last read",
        ),
    ]);
    all
});

fn queryable(name: &str) -> Option<&'static Queryable> {
    QUERYABLES.iter().find(|q| q.name == name)
}

/// A value a property is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    fn sql(self) -> &'static str {
        match self {
            Compare::Eq => " = ",
            Compare::Ne => " <> ",
            Compare::Lt => " < ",
            Compare::Le => " <= ",
            Compare::Gt => " > ",
            Compare::Ge => " >= ",
        }
    }

    /// The operator with its operands swapped (`5 < x` is `x > 5`).
    fn flipped(self) -> Self {
        match self {
            Compare::Lt => Compare::Gt,
            Compare::Le => Compare::Ge,
            Compare::Gt => Compare::Lt,
            Compare::Ge => Compare::Le,
            other => other,
        }
    }
}

/// How a text property is read: as is, or folded (`CASEI`, `ACCENTI`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fold {
    case: bool,
    accents: bool,
}

/// A geometry operand: WKT in CRS84, or a box.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Wkt(String),
    Box([f64; 4]),
}

/// A checked filter, ready to be written as SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        property: &'static Queryable,
        fold: Fold,
        op: Compare,
        value: Value,
    },
    Like {
        property: &'static Queryable,
        fold: Fold,
        pattern: String,
    },
    In {
        property: &'static Queryable,
        fold: Fold,
        values: Vec<String>,
    },
    Between {
        property: &'static Queryable,
        low: Value,
        high: Value,
    },
    IsNull(&'static Queryable),
    /// `ST_<function>(geometry, shape)`.
    Spatial {
        function: &'static str,
        shape: Shape,
    },
    /// An array operator on a list property.
    Array {
        property: &'static Queryable,
        operator: &'static str,
        values: Vec<String>,
    },
}

/// The filter languages of Part 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Text,
    Json,
}

impl Language {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "cql2-text" => Some(Language::Text),
            "cql2-json" => Some(Language::Json),
            _ => None,
        }
    }
}

type Checked<T> = Result<T, Text>;

impl Filter {
    /// Parses and checks a filter.
    pub fn parse(raw: &str, language: Language) -> Checked<Filter> {
        let expr = match language {
            Language::Text => cql2::parse_text(raw).map_err(|e| {
                text!("the filter is not valid CQL2 text: {}", e.en; "le filtre n'est pas du CQL2 texte valide : {}", e.fr)
            })?,
            Language::Json => cql2::parse_json(raw).map_err(|e| {
                text!("the filter is not valid CQL2 JSON: {}", e.en; "le filtre n'est pas du CQL2 JSON valide : {}", e.fr)
            })?,
        };
        check(&expr)
    }

    /// Appends the filter as a SQL condition on `initiatives i`, values bound.
    pub fn push(&self, st: &mut Statement<'static>) {
        match self {
            Filter::Const(true) => st.push_sql("true"),
            Filter::Const(false) => st.push_sql("false"),
            Filter::And(all) | Filter::Or(all) => {
                let joint = if matches!(self, Filter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                st.push_sql("(");
                for (n, part) in all.iter().enumerate() {
                    if n > 0 {
                        st.push_sql(joint);
                    }
                    part.push(st);
                }
                st.push_sql(")");
            }
            Filter::Not(inner) => {
                st.push_sql("NOT coalesce(");
                inner.push(st);
                st.push_sql(", false)");
            }
            Filter::Compare {
                property,
                fold,
                op,
                value,
            } => {
                st.push_sql("(");
                push_property(st, property, *fold);
                st.push_sql(op.sql());
                push_value(st, value, *fold);
                st.push_sql(")");
            }
            Filter::Like {
                property,
                fold,
                pattern,
            } => {
                st.push_sql("(");
                push_property(st, property, *fold);
                st.push_sql(" LIKE ");
                push_value(st, &Value::Text(pattern.clone()), *fold);
                st.push_sql(")");
            }
            Filter::In {
                property,
                fold,
                values,
            } => {
                st.push_sql("(");
                push_property(st, property, *fold);
                st.push_sql(" = ANY(");
                let values = values.iter().map(|v| folded(v, *fold)).collect::<Vec<_>>();
                st.push_bind::<Array<SqlText>, _>(values);
                st.push_sql("))");
            }
            Filter::Between {
                property,
                low,
                high,
            } => {
                st.push_sql("(");
                push_property(st, property, Fold::default());
                st.push_sql(" BETWEEN ");
                push_value(st, low, Fold::default());
                st.push_sql(" AND ");
                push_value(st, high, Fold::default());
                st.push_sql(")");
            }
            Filter::IsNull(property) => {
                st.push_sql("(");
                st.push_sql(property.sql.clone());
                st.push_sql(if property.kind == Kind::TextList {
                    " = '{}')"
                } else {
                    " IS NULL)"
                });
            }
            Filter::Spatial { function, shape } => {
                st.push_sql(*function);
                st.push_sql("(i.geom, ");
                match shape {
                    Shape::Wkt(wkt) => {
                        st.push_sql("ST_GeomFromText(");
                        st.push_bind::<SqlText, _>(wkt.clone());
                        st.push_sql(", 4326))");
                    }
                    Shape::Box(b) => {
                        st.push_sql("ST_MakeEnvelope(");
                        for (n, v) in b.iter().enumerate() {
                            if n > 0 {
                                st.push_sql(", ");
                            }
                            st.push_bind::<Double, _>(*v);
                        }
                        st.push_sql(", 4326))");
                    }
                }
            }
            Filter::Array {
                property,
                operator,
                values,
            } => {
                st.push_sql("(");
                st.push_sql(property.sql.clone());
                st.push_sql(*operator);
                st.push_bind::<Array<SqlText>, _>(values.clone());
                st.push_sql(")");
            }
        }
    }
}

fn folded(value: &str, fold: Fold) -> String {
    let mut value = value.to_string();
    if fold.case {
        value = value.to_lowercase();
    }
    value
}

fn push_property(st: &mut Statement<'static>, property: &Queryable, fold: Fold) {
    if fold.accents {
        st.push_sql("archipel_unaccent(");
    }
    if fold.case {
        st.push_sql("lower(");
    }
    st.push_sql(property.sql.clone());
    if fold.case {
        st.push_sql(")");
    }
    if fold.accents {
        st.push_sql(")");
    }
}

fn push_value(st: &mut Statement<'static>, value: &Value, fold: Fold) {
    match value {
        Value::Text(text) => {
            if fold.accents {
                st.push_sql("archipel_unaccent(");
            }
            st.push_bind::<SqlText, _>(folded(text, fold));
            if fold.accents {
                st.push_sql(")");
            }
        }
        Value::Time(time) => st.push_bind::<Timestamptz, _>(*time),
        Value::Date(date) => {
            st.push_bind::<Date, _>(*date);
        }
    }
}

fn unsupported(what: &str) -> Text {
    text!(
        "'{}' is not supported in filters here; supported: AND, OR, NOT, =, <>, <, <=, >, >=, LIKE, IN, BETWEEN, IS NULL, CASEI, ACCENTI, S_INTERSECTS and the other S_ functions, T_BEFORE, T_AFTER, T_DURING, T_EQUALS, T_INTERSECTS, T_DISJOINT, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS, A_EQUALS", what;
        "« {} » n'est pas pris en charge dans les filtres ici ; possibles : AND, OR, NOT, =, <>, <, <=, >, >=, LIKE, IN, BETWEEN, IS NULL, CASEI, ACCENTI, S_INTERSECTS et les autres fonctions S_, T_BEFORE, T_AFTER, T_DURING, T_EQUALS, T_INTERSECTS, T_DISJOINT, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS, A_EQUALS", what)
}

fn unknown_property(name: &str) -> Text {
    let known = QUERYABLES
        .iter()
        .map(|q| q.name)
        .collect::<Vec<_>>()
        .join(", ");
    text!(
        "'{}' is not a queryable property; queryables: {} (see /ogc/collections/initiatives/queryables)", name, known;
        "« {} » n'est pas une propriété interrogeable ; propriétés : {} (voir /ogc/collections/initiatives/queryables)", name, known)
}

fn wrong_kind(property: &Queryable, expected: &str) -> Text {
    let kind = match property.kind {
        Kind::Text => "text",
        Kind::TextList => "list of texts",
        Kind::Time => "date-time",
        Kind::Geometry => "geometry",
    };
    text!(
        "'{}' is a {}; {}", property.name, kind, expected;
        "« {} » est de type {} ; {}", property.name, kind, expected)
}

fn args<const N: usize>(op: &str, args: &[Expr]) -> Checked<[Expr; N]> {
    let found: Vec<Expr> = args.to_vec();
    found.try_into().map_err(|found: Vec<Expr>| {
        text!(
            "{} takes {} operands, not {}", op, N, found.len();
            "{} prend {} opérandes, pas {}", op, N, found.len())
    })
}

/// A property operand, possibly wrapped in `CASEI(…)`/`ACCENTI(…)`.
fn property_of(expr: &Expr) -> Checked<Option<(&'static Queryable, Fold)>> {
    match expr {
        Expr::Property(property) => queryable(property)
            .map(|q| Some((q, Fold::default())))
            .ok_or_else(|| unknown_property(property)),
        Expr::Op { op, args } if (op == "casei" || op == "accenti") && args.len() == 1 => {
            Ok(property_of(&args[0])?.map(|(q, mut fold)| {
                if op == "casei" {
                    fold.case = true;
                } else {
                    fold.accents = true;
                }
                (q, fold)
            }))
        }
        _ => Ok(None),
    }
}

/// A literal operand, unwrapping `CASEI`/`ACCENTI` (the fold is the property's).
fn literal_of(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Op { op, args } if (op == "casei" || op == "accenti") && args.len() == 1 => {
            literal_of(&args[0])
        }
        Expr::Property(_) | Expr::Op { .. } => None,
        other => Some(other),
    }
}

fn time_of(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Date(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .map(Value::Date),
        Expr::Timestamp(raw) | Expr::Text(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| Value::Time(t.with_timezone(&Utc)))
            .ok()
            .or_else(|| {
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()
                    .map(Value::Date)
            }),
        _ => None,
    }
}

/// A value of the property's kind.
fn value_for(property: &Queryable, expr: &Expr) -> Checked<Value> {
    match property.kind {
        Kind::Text => match expr {
            Expr::Text(text) => Ok(Value::Text(text.clone())),
            _ => Err(wrong_kind(
                property,
                "compare it with a quoted text such as 'abc'",
            )),
        },
        Kind::Time => time_of(expr).ok_or_else(|| {
            wrong_kind(
                property,
                "compare it with TIMESTAMP('2026-01-31T12:00:00Z') or DATE('2026-01-31')",
            )
        }),
        Kind::TextList => Err(wrong_kind(
            property,
            "use A_CONTAINS, A_OVERLAPS, A_CONTAINEDBY or A_EQUALS",
        )),
        Kind::Geometry => Err(wrong_kind(
            property,
            "use S_INTERSECTS or another spatial function",
        )),
    }
}

fn texts_of(property: &Queryable, expr: &Expr) -> Checked<Vec<String>> {
    let Expr::Array(items) = expr else {
        return Err(wrong_kind(
            property,
            "give a list in parentheses, such as ('a', 'b')",
        ));
    };
    items
        .iter()
        .map(|item| match literal_of(item) {
            Some(Expr::Text(text)) => Ok(text.clone()),
            _ => Err(wrong_kind(property, "its list holds quoted texts only")),
        })
        .collect()
}

fn compare_op(op: &str) -> Option<Compare> {
    Some(match op {
        "=" => Compare::Eq,
        "<>" => Compare::Ne,
        "<" => Compare::Lt,
        "<=" => Compare::Le,
        ">" => Compare::Gt,
        ">=" => Compare::Ge,
        _ => return None,
    })
}

/// `property op value` from two operands in either order.
fn comparison(op: Compare, operands: &[Expr]) -> Checked<Filter> {
    let [a, b] = args::<2>("a comparison", operands)?;
    let (property, fold, value, op) = match (property_of(&a)?, property_of(&b)?) {
        (Some((p, fold)), None) => (p, fold, b, op),
        (None, Some((p, fold))) => (p, fold, a, op.flipped()),
        (Some(_), Some(_)) => {
            return Err(text!(
                "compare a property with a value, not with another property";
                "comparez une propriété avec une valeur, pas avec une autre propriété"));
        }
        (None, None) => return constant(op, &a, &b),
    };
    let literal = literal_of(&value).ok_or_else(|| unsupported("expression"))?;
    let value = value_for(property, literal)?;
    Ok(Filter::Compare {
        property,
        fold,
        op,
        value,
    })
}

/// A comparison of two literals (`TRUE = TRUE`, `1 = 0`), decided now.
fn constant(op: Compare, a: &Expr, b: &Expr) -> Checked<Filter> {
    let order = match (a, b) {
        (Expr::Number(x), Expr::Number(y)) => x.partial_cmp(y),
        (Expr::Text(x), Expr::Text(y)) => Some(x.cmp(y)),
        (Expr::Bool(x), Expr::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
    .ok_or_else(|| unsupported("comparison of two values of different kinds"))?;
    use std::cmp::Ordering::*;
    Ok(Filter::Const(match op {
        Compare::Eq => order == Equal,
        Compare::Ne => order != Equal,
        Compare::Lt => order == Less,
        Compare::Le => order != Greater,
        Compare::Gt => order == Greater,
        Compare::Ge => order != Less,
    }))
}

fn text_property(expr: &Expr, what: &str) -> Checked<(&'static Queryable, Fold)> {
    let (property, fold) = property_of(expr)?.ok_or_else(|| {
        text!("{} needs a property on its left", what; "{} demande une propriété à gauche", what)
    })?;
    if property.kind != Kind::Text {
        return Err(wrong_kind(property, &format!("{what} applies to texts")));
    }
    Ok((property, fold))
}

fn spatial(op: &str, operands: &[Expr]) -> Checked<Filter> {
    let function = match op {
        "s_intersects" => "ST_Intersects",
        "s_disjoint" => "ST_Disjoint",
        "s_equals" => "ST_Equals",
        "s_touches" => "ST_Touches",
        "s_overlaps" => "ST_Overlaps",
        "s_crosses" => "ST_Crosses",
        "s_within" => "ST_Within",
        "s_contains" => "ST_Contains",
        _ => return Err(unsupported(op)),
    };
    let [a, b] = args::<2>(op, operands)?;
    let (function, shape) = match (property_of(&a)?, property_of(&b)?) {
        (Some((p, _)), None) if p.kind == Kind::Geometry => (function, b),
        (None, Some((p, _))) if p.kind == Kind::Geometry => (
            match function {
                "ST_Within" => "ST_Contains",
                "ST_Contains" => "ST_Within",
                other => other,
            },
            a,
        ),
        _ => {
            return Err(text!(
                "{} compares the property 'geometry' with a geometry (WKT such as POINT(2.35 48.85), GeoJSON, or BBOX(…))", op;
                "{} compare la propriété « geometry » avec une géométrie (WKT comme POINT(2.35 48.85), GeoJSON ou BBOX(…))", op));
        }
    };
    let shape = match shape {
        Expr::Geometry(wkt) => Shape::Wkt(wkt),
        Expr::BBox(bbox) => {
            let numbers = bbox
                .iter()
                .map(|v| match *v {
                    Expr::Number(f) if f.is_finite() => Some(f),
                    _ => None,
                })
                .collect::<Option<Vec<f64>>>();
            match numbers.as_deref() {
                Some(&[a, b, c, d]) | Some(&[a, b, _, c, d, _]) => Shape::Box([a, b, c, d]),
                _ => {
                    return Err(text!(
                        "BBOX takes 4 (or 6) numbers: west, south, east, north";
                        "BBOX prend 4 (ou 6) nombres : ouest, sud, est, nord"));
                }
            }
        }
        _ => {
            return Err(unsupported(
                "a spatial operand other than a geometry or BBOX",
            ));
        }
    };
    Ok(Filter::Spatial { function, shape })
}

/// An interval's bounds; `None` for an open end (`..`).
fn interval_of(
    property: &Queryable,
    expr: &Expr,
) -> Checked<Option<(Option<Value>, Option<Value>)>> {
    let Expr::Interval(interval) = expr else {
        return Ok(None);
    };
    let bound = |e: &Expr| -> Checked<Option<Value>> {
        match e {
            Expr::Text(raw) if raw == ".." => Ok(None),
            other => time_of(other).map(Some).ok_or_else(|| {
                wrong_kind(
                    property,
                    "an interval's bounds are dates, date-times or '..'",
                )
            }),
        }
    };
    match interval.as_slice() {
        [a, b] => Ok(Some((bound(a)?, bound(b)?))),
        _ => Err(text!("INTERVAL takes two bounds"; "INTERVAL prend deux bornes")),
    }
}

fn compare(property: &'static Queryable, op: Compare, value: Value) -> Filter {
    Filter::Compare {
        property,
        fold: Fold::default(),
        op,
        value,
    }
}

fn temporal(op: &str, operands: &[Expr]) -> Checked<Filter> {
    let [a, b] = args::<2>(op, operands)?;
    let Some((property, _)) = property_of(&a)? else {
        return Err(text!(
            "{} needs a date-time property first, such as updated_at", op;
            "{} demande d'abord une propriété date, comme updated_at", op));
    };
    if property.kind != Kind::Time {
        return Err(wrong_kind(
            property,
            "temporal functions apply to date-times",
        ));
    }
    if let Some((start, end)) = interval_of(property, &b)? {
        let within = |strict: bool| {
            let (lo, hi) = if strict {
                (Compare::Gt, Compare::Lt)
            } else {
                (Compare::Ge, Compare::Le)
            };
            let mut parts = Vec::new();
            if let Some(s) = start.clone() {
                parts.push(compare(property, lo, s));
            }
            if let Some(e) = end.clone() {
                parts.push(compare(property, hi, e));
            }
            if parts.is_empty() {
                parts.push(Filter::Not(Box::new(Filter::IsNull(property))));
            }
            Filter::And(parts)
        };
        return Ok(match op {
            "t_during" => within(true),
            "t_intersects" => within(false),
            "t_disjoint" => Filter::Not(Box::new(within(false))),
            "t_before" => match start {
                Some(s) => compare(property, Compare::Lt, s),
                None => Filter::Const(false),
            },
            "t_after" => match end {
                Some(e) => compare(property, Compare::Gt, e),
                None => Filter::Const(false),
            },
            _ => return Err(unsupported(&format!("{op} with an interval"))),
        });
    }
    let value = time_of(&b).ok_or_else(|| {
        wrong_kind(
            property,
            "compare it with TIMESTAMP(…), DATE(…) or INTERVAL(…, …)",
        )
    })?;
    let op = match op {
        "t_before" => Compare::Lt,
        "t_after" => Compare::Gt,
        "t_equals" | "t_intersects" => Compare::Eq,
        "t_disjoint" => Compare::Ne,
        _ => return Err(unsupported(op)),
    };
    Ok(compare(property, op, value))
}

fn array(op: &str, operands: &[Expr]) -> Checked<Filter> {
    let operator = match op {
        "a_contains" => " @> ",
        "a_containedBy" => " <@ ",
        "a_overlaps" => " && ",
        "a_equals" => " = ",
        _ => return Err(unsupported(op)),
    };
    let [a, b] = args::<2>(op, operands)?;
    let Some((property, _)) = property_of(&a)? else {
        return Err(text!(
            "{} needs a list property first, such as categories", op;
            "{} demande d'abord une propriété liste, comme categories", op));
    };
    if property.kind != Kind::TextList {
        return Err(wrong_kind(property, "array functions apply to lists"));
    }
    Ok(Filter::Array {
        property,
        operator,
        values: texts_of(property, &b)?,
    })
}

fn check(expr: &Expr) -> Checked<Filter> {
    match expr {
        Expr::Bool(b) => Ok(Filter::Const(*b)),
        Expr::Op { op, args: operands } => {
            let op = op.as_str();
            if let Some(cmp) = compare_op(op) {
                return comparison(cmp, operands);
            }
            match op {
                "and" | "or" => {
                    let parts = operands.iter().map(check).collect::<Checked<Vec<_>>>()?;
                    Ok(if op == "and" {
                        Filter::And(parts)
                    } else {
                        Filter::Or(parts)
                    })
                }
                "not" => {
                    let [inner] = args::<1>("NOT", operands)?;
                    Ok(Filter::Not(Box::new(check(&inner)?)))
                }
                "like" => {
                    let [a, b] = args::<2>("LIKE", operands)?;
                    let (property, fold) = text_property(&a, "LIKE")?;
                    match literal_of(&b) {
                        Some(Expr::Text(pattern)) => Ok(Filter::Like {
                            property,
                            fold,
                            pattern: pattern.clone(),
                        }),
                        _ => Err(wrong_kind(
                            property,
                            "LIKE takes a quoted pattern such as 'Repair%'",
                        )),
                    }
                }
                "in" => {
                    let [a, b] = args::<2>("IN", operands)?;
                    let (property, fold) = text_property(&a, "IN")?;
                    Ok(Filter::In {
                        property,
                        fold,
                        values: texts_of(property, &b)?,
                    })
                }
                "between" => {
                    let [a, low, high] = args::<3>("BETWEEN", operands)?;
                    let (property, _) = property_of(&a)?
                        .ok_or_else(|| unsupported("BETWEEN without a property"))?;
                    let bound = |e: &Expr| {
                        literal_of(e)
                            .ok_or_else(|| unsupported("expression"))
                            .and_then(|l| value_for(property, l))
                    };
                    Ok(Filter::Between {
                        property,
                        low: bound(&low)?,
                        high: bound(&high)?,
                    })
                }
                "isNull" => {
                    let [a] = args::<1>("IS NULL", operands)?;
                    let (property, _) = property_of(&a)?
                        .ok_or_else(|| unsupported("IS NULL without a property"))?;
                    Ok(Filter::IsNull(property))
                }
                s if s.starts_with("s_") => spatial(s, operands),
                t if t.starts_with("t_") => temporal(t, operands),
                a if a.starts_with("a_") => array(a, operands),
                other => Err(unsupported(other)),
            }
        }
        Expr::Property(property) => match queryable(property) {
            Some(_) => Err(text!(
                "a property alone is not a condition: compare '{}' with something", property;
                "une propriété seule n'est pas une condition : comparez « {} » avec quelque chose", property)),
            None => Err(unknown_property(property)),
        },
        _ => Err(unsupported("a value alone")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(raw: &str) -> String {
        let filter =
            Filter::parse(raw, Language::Text).unwrap_or_else(|e| panic!("{raw}: {}", e.en));
        let mut st = Statement::new("");
        filter.push(&mut st);
        st.literal_sql()
    }

    #[test]
    fn comparisons_bind_their_values() {
        assert_eq!(sql("city = 'Lyon'"), "(i.city = 'Lyon'::text)");
        assert_eq!(sql("'Lyon' = city"), "(i.city = 'Lyon'::text)");
        assert_eq!(
            sql("updated_at > TIMESTAMP('2026-01-01T00:00:00Z')"),
            "(i.updated_at > '2026-01-01T00:00:00+00:00'::timestamptz)"
        );
        assert_eq!(
            sql("city = 'x'' OR 1=1 --'"),
            "(i.city = 'x'' OR 1=1 --'::text)"
        );
    }

    #[test]
    fn like_in_casei_and_logic() {
        assert_eq!(
            sql("CASEI(name) LIKE CASEI('Repair%') AND status IN ('active', 'inactive')"),
            "((lower(i.name) LIKE 'repair%'::text) AND (i.status = ANY(ARRAY['active','inactive']::text[])))"
        );
        assert_eq!(
            sql("NOT city = 'Lyon'"),
            "NOT coalesce((i.city = 'Lyon'::text), false)"
        );
    }

    #[test]
    fn spatial_temporal_and_arrays() {
        assert_eq!(
            sql("S_INTERSECTS(geometry, BBOX(2, 48, 3, 49))"),
            "ST_Intersects(i.geom, ST_MakeEnvelope(2.0::float8, 48.0::float8, 3.0::float8, 49.0::float8, 4326))"
        );
        assert!(
            sql("S_INTERSECTS(geometry, POINT(2.35 48.85))")
                .contains("ST_GeomFromText('POINT(2.35 48.85)'::text, 4326)")
        );
        assert!(
            sql("T_DURING(updated_at, INTERVAL('2026-01-01T00:00:00Z', '..'))")
                .starts_with("((i.updated_at > ")
        );
        assert_eq!(
            sql("A_CONTAINS(categories, ('repair-cafe'))"),
            "(i.category_slugs @> ARRAY['repair-cafe']::text[])"
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let message = |raw: &str| Filter::parse(raw, Language::Text).unwrap_err().en;
        assert!(message("colour = 'red'").contains("queryables"));
        assert!(message("city = ").contains("not valid CQL2"));
        assert!(message("updated_at > 'soon'").contains("TIMESTAMP"));
        assert!(message("categories = 'x'").contains("A_CONTAINS"));
        assert!(
            Filter::parse(
                "{\"op\":\"=\",\"args\":[{\"property\":\"city\"},\"Lyon\"]}",
                Language::Json
            )
            .is_ok()
        );
    }
}
