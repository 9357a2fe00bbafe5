//! Territories — communes, EPCI, départements, régions — and what the directory knows of each:
//! the import of their boundaries (Etalab "contours administratifs" GeoJSON), the initiatives'
//! assignment (kept by the triggers of the `territories` migration), the `territory=` filter, the
//! search, and the figures of a territory's dashboard, read from `territory_tallies` (counts kept
//! up to date by the write path) rather than recounted over the initiatives.

use crate::error::{FieldError, StoreError, StoreResult};
use crate::statement::Statement;
use crate::text;
use chrono::{Datelike, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Jsonb, Nullable, SmallInt, Text};
use serde::Serialize;
use std::collections::HashMap;

/// A level of the French administrative map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = TerritoryLevel)]
pub enum Level {
    Commune,
    Epci,
    Departement,
    Region,
}

impl Level {
    /// From the smallest to the largest: a bare code names the smallest level that has it
    /// (`53` is the département of Mayenne; the région of Bretagne is `region:53`).
    pub const ALL: [Level; 4] = [
        Level::Commune,
        Level::Epci,
        Level::Departement,
        Level::Region,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::Epci => "epci",
            Level::Departement => "departement",
            Level::Region => "region",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw)
    }

    /// The initiatives' column holding this level's code.
    fn column(self) -> &'static str {
        match self {
            Level::Commune => "i.commune_code",
            Level::Epci => "i.epci_code",
            Level::Departement => "i.departement_code",
            Level::Region => "i.region_code",
        }
    }

    /// Whether `code` has the shape of this level's codes: INSEE commune code, EPCI SIREN,
    /// département (`2A`, `971`…) or région code.
    pub fn accepts(self, code: &str) -> bool {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        match self {
            Level::Commune => {
                code.len() == 5
                    && (digits(code)
                        || (code.starts_with("2A") || code.starts_with("2B")) && digits(&code[2..]))
            }
            Level::Epci => code.len() == 9 && digits(code),
            Level::Departement => {
                (code.len() == 2 && (digits(code) || code == "2A" || code == "2B"))
                    || (code.len() == 3 && code.starts_with("97") && digits(code))
            }
            Level::Region => code.len() == 2 && digits(code),
        }
    }
}

/// A territory as asked for: `31555`, or with its level `region:76`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryRef {
    pub level: Option<Level>,
    pub code: String,
}

impl TerritoryRef {
    /// Parses `CODE` or `LEVEL:CODE`; `None` when it cannot name a territory.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (level, code) = match raw.split_once(':') {
            Some((level, code)) => (Some(Level::parse(level)?), code),
            None => (None, raw),
        };
        let code = code.to_ascii_uppercase();
        let shaped = match level {
            Some(level) => level.accepts(&code),
            None => Level::ALL.iter().any(|l| l.accepts(&code)),
        };
        shaped.then_some(Self { level, code })
    }
}

/// A territory known to the directory: what a filter on it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryFilter {
    pub level: Level,
    pub code: String,
}

impl TerritoryFilter {
    /// `AND` the initiative is in this territory (an index lookup on the initiative's column).
    pub fn push(&self, st: &mut Statement<'static>) {
        st.push_sql(" AND ");
        st.push_sql(self.level.column());
        st.push_sql(" = ");
        st.push_bind::<Text, _>(self.code.clone());
    }

    /// The same condition for a table without the columns (`map_points`): by id.
    pub(crate) fn push_by_id(&self, st: &mut Statement<'static>) {
        st.push_sql(" AND i.id IN (SELECT i.id FROM initiatives i WHERE true");
        self.push(st);
        st.push_sql(")");
    }
}

#[derive(QueryableByName)]
struct LevelRow {
    #[diesel(sql_type = Text)]
    level: String,
}

/// The territory `r` names: the smallest level with that code when none is given.
pub fn resolve(conn: &mut PgConnection, r: &TerritoryRef) -> StoreResult<Option<TerritoryFilter>> {
    let levels: Vec<&str> = match r.level {
        Some(level) => vec![level.as_str()],
        None => Level::ALL.iter().map(|l| l.as_str()).collect(),
    };
    let rows: Vec<LevelRow> = Statement::new("SELECT level FROM territories WHERE code = ")
        .bind::<Text, _>(r.code.clone())
        .sql(" AND level = ANY(")
        .bind::<diesel::sql_types::Array<Text>, _>(
            levels.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .sql(")")
        .load(conn)?;
    let found = Level::ALL
        .into_iter()
        .find(|l| rows.iter().any(|row| row.level == l.as_str()));
    Ok(found.map(|level| TerritoryFilter {
        level,
        code: r.code.clone(),
    }))
}

#[derive(QueryableByName)]
struct ParentCodes {
    #[diesel(sql_type = Nullable<Text>)]
    epci: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    departement: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    region: Option<String>,
}

impl ParentCodes {
    /// The codes of the levels above `level`, smallest level first.
    fn above(self, level: Level) -> Vec<(Level, String)> {
        [
            (Level::Epci, self.epci),
            (Level::Departement, self.departement),
            (Level::Region, self.region),
        ]
        .into_iter()
        .filter(|(l, _)| *l as u8 > level as u8)
        .filter_map(|(l, code)| code.map(|c| (l, c)))
        .collect()
    }
}

/// The codes of a territory, smallest level first (as its file gave them; a
/// département's région also through its own row).
pub fn parent_codes(
    conn: &mut PgConnection,
    t: &TerritoryFilter,
) -> StoreResult<Vec<(Level, String)>> {
    let row: Option<ParentCodes> = Statement::new(
        "SELECT epci, departement, coalesce(region, (SELECT d.region FROM territories d WHERE d.level = 'departement' AND d.code = t.departement)) AS region
         FROM territories t WHERE level = ",
    )
    .bind::<Text, _>(t.level.as_str())
    .sql(" AND code = ")
    .bind::<Text, _>(t.code.clone())
    .get_result(conn)
    .optional()?;
    Ok(row.map(|row| row.above(t.level)).unwrap_or_default())
}

/// The filter of a listing's `territory=`: unknown territories fail with
/// [`StoreError::UnknownTerritory`].
pub fn filter(
    conn: &mut PgConnection,
    r: Option<&TerritoryRef>,
) -> StoreResult<Option<TerritoryFilter>> {
    let Some(r) = r else { return Ok(None) };
    resolve(conn, r)?
        .map(Some)
        .ok_or_else(|| StoreError::UnknownTerritory(r.code.clone()))
}

// ---------------------------------------------------------------------------------------------
// Import

/// One boundary of an import file, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Boundary {
    pub code: String,
    pub name: String,
    pub population: Option<i32>,
    pub epci: Option<String>,
    pub departement: Option<String>,
    pub region: Option<String>,
    pub geometry: serde_json::Value,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub inserted: i64,
    pub updated: i64,
    /// Initiatives whose territories changed.
    pub assigned: i64,
}

fn property_text(props: &serde_json::Value, name: &str) -> Option<String> {
    match props.get(name)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads the features of an Etalab-shaped GeoJSON FeatureCollection: `code` and `nom` required,
/// `population`, `epci`, `departement`, `region` optional, a Polygon or MultiPolygon. Every
/// problem is reported (the first 20), with the feature's position; nothing is imported then.
pub fn read_boundaries(level: Level, geojson: &[u8]) -> Result<Vec<Boundary>, Vec<String>> {
    let doc: serde_json::Value = serde_json::from_slice(geojson)
        .map_err(|e| vec![format!("the file is not valid JSON: {e}")])?;
    let Some(features) = doc.get("features").and_then(|f| f.as_array()) else {
        return Err(vec![
            "the file is not a GeoJSON FeatureCollection (no \"features\" array)".into(),
        ]);
    };
    let mut errors = Vec::new();
    let mut boundaries = Vec::with_capacity(features.len());
    let mut seen = HashMap::new();
    for (n, feature) in features.iter().enumerate() {
        let props = feature
            .get("properties")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let code = property_text(&props, "code").map(|c| c.to_ascii_uppercase());
        let name = property_text(&props, "nom");
        let at = format!("feature {n}");
        let code = match code {
            Some(c) if level.accepts(&c) => c,
            Some(c) => {
                errors.push(format!("{at}: code '{c}' is not a {} code", level.as_str()));
                continue;
            }
            None => {
                errors.push(format!("{at}: no 'code' property"));
                continue;
            }
        };
        if let Some(first) = seen.insert(code.clone(), n) {
            errors.push(format!(
                "{at}: code {code} already given by feature {first}"
            ));
        }
        let Some(name) = name.filter(|n| n.chars().count() <= 200) else {
            errors.push(format!(
                "{at} ({code}): no 'nom' property (or longer than 200 characters)"
            ));
            continue;
        };
        let population = match props.get("population") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v
                .as_i64()
                .and_then(|p| i32::try_from(p).ok())
                .filter(|p| *p >= 0)
            {
                Some(p) => Some(p),
                None => {
                    errors.push(format!(
                        "{at} ({code}): population is not a whole number ≥ 0"
                    ));
                    continue;
                }
            },
        };
        let geometry = feature.get("geometry").cloned().unwrap_or_default();
        if !matches!(
            geometry.get("type").and_then(|t| t.as_str()),
            Some("Polygon" | "MultiPolygon")
        ) {
            errors.push(format!(
                "{at} ({code}): the geometry is not a Polygon or MultiPolygon"
            ));
            continue;
        }
        let parent = |key: &str, parent: Level| {
            property_text(&props, key)
                .map(|c| c.to_ascii_uppercase())
                .filter(|c| parent.accepts(c))
        };
        boundaries.push(Boundary {
            code,
            name,
            population,
            epci: parent("epci", Level::Epci),
            departement: parent("departement", Level::Departement),
            region: parent("region", Level::Region),
            geometry,
        });
    }
    if boundaries.is_empty() && errors.is_empty() {
        errors.push("the file holds no feature".into());
    }
    if errors.is_empty() {
        Ok(boundaries)
    } else {
        errors.truncate(20);
        Err(errors)
    }
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = BigInt)]
    inserted: i64,
    #[diesel(sql_type = BigInt)]
    updated: i64,
}

#[derive(QueryableByName)]
struct Assigned {
    #[diesel(sql_type = BigInt)]
    assigned: i64,
}

/// Writes the boundaries of one level (insert or update by code: importing again updates), then
/// assigns every initiative whose territories changed, in one transaction. Territories absent
/// from the file are kept (a file may cover part of the country).
pub fn import(
    conn: &mut PgConnection,
    level: Level,
    year: Option<i16>,
    boundaries: &[Boundary],
) -> StoreResult<ImportReport> {
    let rows = serde_json::to_value(boundaries).expect("plain values serialise");
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL statement_timeout = 0").execute(conn)?;
        let upserted: Upserted = Statement::new(
            "WITH f AS (SELECT * FROM jsonb_to_recordset(",
        )
        .bind::<Jsonb, _>(rows)
        .sql(
            ") AS x(code text, name text, population integer, epci text, departement text, region text, geometry jsonb)),
             written AS (
                INSERT INTO territories AS t (level, code, name, population, epci, departement, region, year, geom, imported_at)
                SELECT ",
        )
        .bind::<Text, _>(level.as_str())
        .sql(", f.code, f.name, f.population, f.epci, f.departement, f.region, ")
        .bind::<Nullable<Integer>, _>(year.map(i32::from))
        .sql(
            "::smallint, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(f.geometry::text), 4326)), 3)), now()
                FROM f
                ON CONFLICT (level, code) DO UPDATE SET name = excluded.name, population = excluded.population,
                    epci = excluded.epci, departement = excluded.departement, region = excluded.region,
                    year = coalesce(excluded.year, t.year), geom = excluded.geom, imported_at = now()
                RETURNING (xmax = 0) AS inserted)
             SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM written",
        )
        .get_result(conn)?;
        let assigned: Assigned =
            diesel::sql_query("SELECT archipel_assign_territories() AS assigned").get_result(conn)?;
        // Filtered tiles cached by the servers may have changed.
        diesel::sql_query("SELECT pg_notify('archipel_map', '')").execute(conn)?;
        Ok(ImportReport {
            inserted: upserted.inserted,
            updated: upserted.updated,
            assigned: assigned.assigned,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Search

/// A territory found by a search.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
#[schema(as = TerritorySummaryDoc)]
pub struct Summary {
    #[diesel(sql_type = Text)]
    #[schema(value_type = Level)]
    pub level: String,
    /// INSEE code (commune, département, région) or SIREN (EPCI).
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    #[schema(required = true)]
    pub population: Option<i32>,
    /// Millésime of the imported boundaries.
    #[diesel(sql_type = Nullable<SmallInt>)]
    #[schema(required = true)]
    pub year: Option<i16>,
    /// Published initiatives in it.
    #[diesel(sql_type = Integer)]
    pub initiatives: i32,
}

const SUMMARY_SQL: &str =
    "SELECT t.level, t.code, t.name, t.population, t.year, coalesce(n.n, 0) AS initiatives
    FROM territories t LEFT JOIN territory_tallies n
      ON n.level = t.level AND n.code = t.code AND n.kind = 'total' AND n.key = ''";

/// Territories whose name contains `q` (accents and case ignored) or whose code starts with it;
/// exact codes first, then names starting with `q`, then the most populated.
pub fn search(
    conn: &mut PgConnection,
    level: Option<Level>,
    q: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Summary>> {
    let mut st = Statement::new(SUMMARY_SQL);
    st.push_sql(" WHERE true");
    if let Some(level) = level {
        st.push_sql(" AND t.level = ");
        st.push_bind::<Text, _>(level.as_str());
    }
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = q {
        let pattern = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        st.push_sql(" AND (archipel_unaccent(lower(t.name)) LIKE '%' || archipel_unaccent(lower(");
        st.push_bind::<Text, _>(pattern.clone());
        st.push_sql(")) || '%' OR t.code LIKE upper(");
        st.push_bind::<Text, _>(pattern.clone());
        st.push_sql(") || '%') ORDER BY t.code = upper(");
        st.push_bind::<Text, _>(q.to_string());
        st.push_sql(") DESC, archipel_unaccent(lower(t.name)) LIKE archipel_unaccent(lower(");
        st.push_bind::<Text, _>(pattern);
        st.push_sql(")) || '%' DESC,");
    } else {
        st.push_sql(" ORDER BY");
    }
    st.push_sql(" t.population DESC NULLS LAST, t.name, t.level, t.code LIMIT ");
    st.push_bind::<BigInt, _>(limit);
    Ok(st.load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(QueryableByName)]
struct TerritoryRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    population: Option<i32>,
    #[diesel(embed)]
    parents: ParentCodes,
    #[diesel(sql_type = Nullable<SmallInt>)]
    year: Option<i16>,
    #[diesel(sql_type = Text)]
    geometry: String,
    #[diesel(sql_type = Double)]
    west: f64,
    #[diesel(sql_type = Double)]
    south: f64,
    #[diesel(sql_type = Double)]
    east: f64,
    #[diesel(sql_type = Double)]
    north: f64,
}

#[derive(QueryableByName)]
struct TallyRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct CategoryRow {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Nullable<Text>)]
    parent: Option<String>,
    #[diesel(sql_type = Text)]
    name_fr: String,
    #[diesel(sql_type = Text)]
    name_en: String,
    #[diesel(sql_type = Text)]
    colour: String,
}

#[derive(QueryableByName)]
struct PopulationRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    population: Option<i64>,
}

/// A parent of a territory (by code; its name when its boundary was imported too).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryParent)]
pub struct Parent {
    pub level: Level,
    pub code: String,
    #[schema(required = true)]
    pub name: Option<String>,
}

/// Counts of the territory with their density beside the reference one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryDensity)]
pub struct Density {
    pub total: i64,
    /// Per 10,000 inhabitants (`null` without a population).
    #[schema(required = true)]
    pub per_10000: Option<f64>,
    /// Initiatives per 10,000 inhabitants over every territory of the same level in the data.
    #[schema(required = true)]
    pub reference_per_10000: Option<f64>,
    /// Every published initiative of the directory, located or not.
    pub all_data: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryPractice)]
pub struct Practice {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub colour: String,
    pub count: i64,
    #[schema(required = true)]
    pub per_10000: Option<f64>,
    #[schema(required = true)]
    pub reference_per_10000: Option<f64>,
    /// `absent` (none here), `below_reference` (under half the reference density), or `null`.
    #[schema(required = true, schema_with = gap)]
    pub gap: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryFamily)]
pub struct Family {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub colour: String,
    pub count: i64,
    pub practices: Vec<Practice>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
/// Slugs of the practices absent here and below the reference density.
#[schema(as = TerritoryGaps)]
pub struct Gaps {
    pub absent: Vec<String>,
    pub below_reference: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryFreshness)]
pub struct Freshness {
    /// Initiatives confirmed during the last 12 months (by calendar month, this one included).
    pub confirmed_last_12_months: i64,
    pub total: i64,
    /// `null` when there is no initiative.
    #[schema(required = true)]
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`.
    #[schema(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
    pub count: i64,
}

/// A territory's dashboard figures (`GET /api/v1/territories/{code}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryFigures)]
pub struct Figures {
    pub level: Level,
    pub code: String,
    pub name: String,
    #[schema(required = true)]
    pub population: Option<i32>,
    /// Millésime of the imported boundaries.
    #[schema(required = true)]
    pub year: Option<i16>,
    /// `[west, south, east, north]` in degrees.
    #[schema(min_items = 4, max_items = 4)]
    pub bbox: [f64; 4],
    /// The boundary (5 decimals).
    #[schema(schema_with = crate::openapi::multi_polygon)]
    pub geometry: serde_json::Value,
    /// Higher levels by code (`name` when their boundary is imported too).
    pub parents: Vec<Parent>,
    /// Communes of an EPCI or département, départements of a région.
    pub children: Vec<Summary>,
    pub initiatives: Density,
    /// Published initiatives per practice and family slug, and `total`.
    #[schema(value_type = std::collections::BTreeMap<String, i64>)]
    pub counts: serde_json::Map<String, serde_json::Value>,
    /// Families with their practices.
    pub families: Vec<Family>,
    pub gaps: Gaps,
    pub freshness: Freshness,
    /// Oldest first.
    pub creations_per_month: Vec<MonthCount>,
}

fn gap() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::openapi::one_of_or_null(["absent", "below_reference"])
}

fn per_10000(n: i64, population: Option<i64>) -> Option<f64> {
    population
        .filter(|p| *p > 0)
        .map(|p| (n as f64 * 10_000.0 / p as f64 * 1000.0).round() / 1000.0)
}

/// The figures of territory `t`, or `None` when it is not known.
pub fn figures(conn: &mut PgConnection, t: &TerritoryFilter) -> StoreResult<Option<Figures>> {
    let level = t.level.as_str();
    let row: Option<TerritoryRow> = Statement::new(
        "SELECT name, population, epci, departement, region, year, ST_AsGeoJSON(geom, 5) AS geometry,
                ST_XMin(geom) AS west, ST_YMin(geom) AS south, ST_XMax(geom) AS east, ST_YMax(geom) AS north
         FROM territories WHERE level = ",
    )
    .bind::<Text, _>(level)
    .sql(" AND code = ")
    .bind::<Text, _>(t.code.clone())
    .get_result(conn)
    .optional()?;
    let Some(row) = row else { return Ok(None) };

    // Parents, named when their boundary is known.
    let mut parents: Vec<Parent> = row
        .parents
        .above(t.level)
        .into_iter()
        .map(|(level, code)| Parent {
            level,
            code,
            name: None,
        })
        .collect();
    for parent in &mut parents {
        let name: Option<Summary> = Statement::new(SUMMARY_SQL)
            .sql(" WHERE t.level = ")
            .bind::<Text, _>(parent.level.as_str())
            .sql(" AND t.code = ")
            .bind::<Text, _>(parent.code.clone())
            .get_result(conn)
            .optional()?;
        parent.name = name.map(|s| s.name);
    }

    // Children: communes of an EPCI or a département, départements (else communes) of a région.
    let child_query = |child: Level, column: &'static str| {
        Statement::new(SUMMARY_SQL)
            .sql(" WHERE t.level = ")
            .bind::<Text, _>(child.as_str())
            .sql(format!(" AND t.{column} = "))
            .bind::<Text, _>(t.code.clone())
            .sql(" ORDER BY t.name, t.code LIMIT 1000")
    };
    let children: Vec<Summary> = match t.level {
        Level::Commune => Vec::new(),
        Level::Epci => child_query(Level::Commune, "epci").load(conn)?,
        Level::Departement => child_query(Level::Commune, "departement").load(conn)?,
        Level::Region => {
            let departements: Vec<Summary> =
                child_query(Level::Departement, "region").load(conn)?;
            if departements.is_empty() {
                child_query(Level::Commune, "region").load(conn)?
            } else {
                departements
            }
        }
    };

    // The counts of this territory, of every territory of its level ('*') and of all the data.
    let tallies: Vec<TallyRow> = Statement::new(
        "SELECT code, kind, key, n::int8 AS n FROM territory_tallies WHERE n <> 0 AND ((level = ",
    )
    .bind::<Text, _>(level)
    .sql(" AND code IN (")
    .bind::<Text, _>(t.code.clone())
    .sql(", '*')) OR (level = 'all' AND kind = 'total'))")
    .load(conn)?;
    let here = |kind: &str, key: &str| {
        tallies
            .iter()
            .find(|r| r.code == t.code && r.kind == kind && r.key == key)
            .map_or(0, |r| r.n)
    };
    let reference = |kind: &str, key: &str| {
        tallies
            .iter()
            .find(|r| r.code == "*" && r.kind == kind && r.key == key)
            .map_or(0, |r| r.n)
    };
    let level_population: PopulationRow = Statement::new(
        "SELECT sum(population)::int8 AS population FROM territories WHERE level = ",
    )
    .bind::<Text, _>(level)
    .get_result(conn)?;
    let population = row.population.map(i64::from);
    let reference_population = level_population.population;
    let total = here("total", "");
    let all_data = tallies
        .iter()
        .find(|r| r.kind == "total" && r.code.is_empty())
        .map_or(0, |r| r.n);

    // Practices and families.
    let categories: Vec<CategoryRow> = diesel::sql_query(
        "SELECT c.slug, p.slug AS parent, c.name_fr, c.name_en, c.colour
         FROM categories c LEFT JOIN categories p ON p.id = c.parent_id
         ORDER BY coalesce(p.position, c.position), p.position NULLS FIRST, c.position, c.slug",
    )
    .load(conn)?;
    let mut counts = serde_json::Map::new();
    counts.insert("total".into(), total.into());
    let mut families: Vec<Family> = Vec::new();
    let mut gaps = Gaps {
        absent: Vec::new(),
        below_reference: Vec::new(),
    };
    for c in &categories {
        let count = here("category", &c.slug);
        counts.insert(c.slug.clone(), count.into());
        match &c.parent {
            None => families.push(Family {
                slug: c.slug.clone(),
                name_fr: c.name_fr.clone(),
                name_en: c.name_en.clone(),
                colour: c.colour.clone(),
                count,
                practices: Vec::new(),
            }),
            Some(parent) => {
                let density = per_10000(count, population);
                let reference_density =
                    per_10000(reference("category", &c.slug), reference_population);
                let gap = if count == 0 {
                    Some("absent")
                } else {
                    match (density, reference_density) {
                        (Some(d), Some(r)) if d < r / 2.0 => Some("below_reference"),
                        _ => None,
                    }
                };
                match gap {
                    Some("absent") => gaps.absent.push(c.slug.clone()),
                    Some(_) => gaps.below_reference.push(c.slug.clone()),
                    None => {}
                }
                let practice = Practice {
                    slug: c.slug.clone(),
                    name_fr: c.name_fr.clone(),
                    name_en: c.name_en.clone(),
                    colour: c.colour.clone(),
                    count,
                    per_10000: density,
                    reference_per_10000: reference_density,
                    gap,
                };
                if let Some(family) = families.iter_mut().find(|f| &f.slug == parent) {
                    family.practices.push(practice);
                }
            }
        }
    }

    // Freshness: confirmed during the 12 calendar months ending with this one.
    let now = Utc::now();
    let months_since_year_zero = now.year() * 12 + now.month0() as i32 - 11;
    let cutoff = format!(
        "{:04}-{:02}",
        months_since_year_zero.div_euclid(12),
        months_since_year_zero.rem_euclid(12) + 1
    );
    let confirmed: i64 = tallies
        .iter()
        .filter(|r| r.code == t.code && r.kind == "confirmed" && r.key >= cutoff)
        .map(|r| r.n)
        .sum();
    let mut creations: Vec<MonthCount> = tallies
        .iter()
        .filter(|r| r.code == t.code && r.kind == "created")
        .map(|r| MonthCount {
            month: r.key.clone(),
            count: r.n,
        })
        .collect();
    creations.sort_by(|a, b| a.month.cmp(&b.month));

    Ok(Some(Figures {
        level: t.level,
        code: t.code.clone(),
        name: row.name,
        population: row.population,
        year: row.year,
        bbox: [row.west, row.south, row.east, row.north],
        geometry: serde_json::from_str(&row.geometry).unwrap_or_default(),
        parents,
        children,
        initiatives: Density {
            total,
            per_10000: per_10000(total, population),
            reference_per_10000: per_10000(reference("total", ""), reference_population),
            all_data,
        },
        counts,
        families,
        gaps,
        freshness: Freshness {
            confirmed_last_12_months: confirmed,
            total,
            share: (total > 0).then(|| (confirmed as f64 / total as f64 * 1000.0).round() / 1000.0),
        },
        creations_per_month: creations,
    }))
}

/// The field error of a malformed `territory` parameter.
pub fn invalid_reference(field: &str, raw: &str) -> FieldError {
    FieldError::new(
        field,
        "invalid_territory",
        text!(
            "'{}' is not a territory code: an INSEE commune code (31555), an EPCI SIREN (243100518), a département (31, 2A, 974) or a région code, optionally after its level (region:76)", raw;
            "« {} » n'est pas un code de territoire : code INSEE de commune (31555), SIREN d'EPCI (243100518), département (31, 2A, 974) ou code de région, éventuellement précédé de son niveau (region:76)", raw),
    )
}

/// How many territories are known (of every level).
pub fn count(conn: &mut PgConnection) -> StoreResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: Count = diesel::sql_query("SELECT count(*) AS n FROM territories").get_result(conn)?;
    Ok(row.n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_their_level() {
        assert!(Level::Commune.accepts("31555"));
        assert!(Level::Commune.accepts("2A004"));
        assert!(!Level::Commune.accepts("3155"));
        assert!(Level::Epci.accepts("243100518"));
        assert!(Level::Departement.accepts("2B"));
        assert!(Level::Departement.accepts("974"));
        assert!(!Level::Departement.accepts("981"));
        assert!(Level::Region.accepts("76"));
        assert_eq!(
            TerritoryRef::parse("region:53"),
            Some(TerritoryRef {
                level: Some(Level::Region),
                code: "53".into()
            })
        );
        assert_eq!(TerritoryRef::parse("2a004").unwrap().code, "2A004");
        assert!(TerritoryRef::parse("commune:76").is_none());
        assert!(TerritoryRef::parse("x").is_none());
        assert!(TerritoryRef::parse("planet:31555").is_none());
    }

    #[test]
    fn a_bad_file_is_refused_with_reasons() {
        let file = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"31555","nom":"Toulouse"},"geometry":{"type":"Point","coordinates":[1,43]}},
            {"type":"Feature","properties":{"nom":"Sans code"},"geometry":null}]}"#;
        let errors = read_boundaries(Level::Commune, file).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}

#[derive(QueryableByName)]
struct Inside {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    inside: bool,
}

/// Whether initiative `id` lies in one of the territories `codes` (commune, EPCI, département or
/// région codes): an account limited to them may change it.
pub fn initiative_within(
    conn: &mut PgConnection,
    id: uuid::Uuid,
    codes: &[String],
) -> StoreResult<bool> {
    Ok(diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM initiatives WHERE id = $1 AND (commune_code = ANY($2) OR epci_code = ANY($2) \
         OR departement_code = ANY($2) OR region_code = ANY($2))) AS inside",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes.to_vec())
    .get_result::<Inside>(conn)?
    .inside)
}

/// Whether a place (EWKT, SRID 4326) lies in one of the territories `codes`.
pub fn place_within(conn: &mut PgConnection, ewkt: &str, codes: &[String]) -> StoreResult<bool> {
    Ok(diesel::sql_query(
        "SELECT coalesce(archipel_locate(ST_PointOnSurface(ST_GeomFromEWKT($1))) && $2, false) AS inside",
    )
    .bind::<diesel::sql_types::Text, _>(ewkt)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes.to_vec())
    .get_result::<Inside>(conn)?
    .inside)
}
