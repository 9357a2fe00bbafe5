//! The evaluation grid (dimensions and versioned criteria), the assessments of initiatives, and
//! their means per territory.
//!
//! Editing a criterion writes a new version and leaves the old one for the assessments that
//! scored it; an initiative's latest assessment is the one that counts in the means.

use crate::error::{FieldError, StoreError, StoreResult};
use crate::statement::Statement;
use crate::territory::TerritoryFilter;
use crate::text;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, SmallInt, Text, Timestamptz};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct Criterion {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub dimension: String,
    #[diesel(sql_type = Text)]
    pub name_fr: String,
    #[diesel(sql_type = Text)]
    pub name_en: String,
    #[diesel(sql_type = Text)]
    pub question_fr: String,
    #[diesel(sql_type = Text)]
    pub question_en: String,
    #[diesel(sql_type = SmallInt)]
    pub scale_min: i16,
    #[diesel(sql_type = SmallInt)]
    pub scale_max: i16,
    #[diesel(sql_type = SmallInt)]
    pub position: i16,
}

#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct Dimension {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name_fr: String,
    #[diesel(sql_type = Text)]
    pub name_en: String,
}

/// The current grid: dimensions in order, each with its current criteria.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Grows with every criterion added or edited.
    pub version: i64,
    pub dimensions: Vec<(Dimension, Vec<Criterion>)>,
}

const CRITERION_COLUMNS: &str = "slug, version, dimension, name_fr, name_en, question_fr, question_en, scale_min, scale_max, position";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn grid(conn: &mut PgConnection) -> StoreResult<Grid> {
    let dimensions: Vec<Dimension> = diesel::sql_query(
        "SELECT slug, name_fr, name_en FROM evaluation_dimensions ORDER BY position, slug",
    )
    .load(conn)?;
    let criteria: Vec<Criterion> = diesel::sql_query(format!(
        "SELECT {CRITERION_COLUMNS} FROM evaluation_criteria WHERE current ORDER BY position, slug"
    ))
    .load(conn)?;
    let version: Count =
        diesel::sql_query("SELECT count(*) AS n FROM evaluation_criteria").get_result(conn)?;
    Ok(Grid {
        version: version.n,
        dimensions: dimensions
            .into_iter()
            .map(|d| {
                let mine = criteria
                    .iter()
                    .filter(|c| c.dimension == d.slug)
                    .cloned()
                    .collect();
                (d, mine)
            })
            .collect(),
    })
}

/// A criterion as an administrator writes it, checked.
#[derive(Debug, Clone)]
pub struct CriterionDraft {
    pub dimension: String,
    pub name_fr: String,
    pub name_en: String,
    pub question_fr: String,
    pub question_en: String,
    pub scale_min: i16,
    pub scale_max: i16,
    pub position: i16,
}

fn unknown_dimension(slug: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        "/dimension",
        "unknown_dimension",
        text!("no dimension is named '{}'; see /api/v1/evaluation/criteria", slug;
              "aucune dimension ne s'appelle « {} » ; voir /api/v1/evaluation/criteria", slug),
    )])
}

fn insert_version(
    conn: &mut PgConnection,
    slug: &str,
    version: i32,
    draft: &CriterionDraft,
    author: &str,
) -> StoreResult<Criterion> {
    let known: Count =
        Statement::new("SELECT count(*) AS n FROM evaluation_dimensions WHERE slug = ")
            .bind::<Text, _>(draft.dimension.clone())
            .get_result(conn)?;
    if known.n == 0 {
        return Err(unknown_dimension(&draft.dimension));
    }
    Ok(Statement::new(
        "INSERT INTO evaluation_criteria (slug, version, dimension, name_fr, name_en, question_fr, question_en, scale_min, scale_max, position, created_by) VALUES (",
    )
    .bind::<Text, _>(slug.to_string())
    .sql(", ")
    .bind::<Integer, _>(version)
    .sql(", ")
    .bind::<Text, _>(draft.dimension.clone())
    .sql(", ")
    .bind::<Text, _>(draft.name_fr.clone())
    .sql(", ")
    .bind::<Text, _>(draft.name_en.clone())
    .sql(", ")
    .bind::<Text, _>(draft.question_fr.clone())
    .sql(", ")
    .bind::<Text, _>(draft.question_en.clone())
    .sql(", ")
    .bind::<Integer, _>(i32::from(draft.scale_min))
    .sql("::smallint, ")
    .bind::<Integer, _>(i32::from(draft.scale_max))
    .sql("::smallint, ")
    .bind::<Integer, _>(i32::from(draft.position))
    .sql("::smallint, ")
    .bind::<Text, _>(author.to_string())
    .sql(format!(") RETURNING {CRITERION_COLUMNS}"))
    .get_result(conn)?)
}

/// Adds a criterion; [`StoreError::Conflict`] when the slug is taken.
pub fn add_criterion(
    conn: &mut PgConnection,
    slug: &str,
    draft: &CriterionDraft,
    author: &str,
) -> StoreResult<Criterion> {
    conn.transaction(|conn| {
        let taken: Count =
            Statement::new("SELECT count(*) AS n FROM evaluation_criteria WHERE slug = ")
                .bind::<Text, _>(slug.to_string())
                .get_result(conn)?;
        if taken.n > 0 {
            return Err(StoreError::Conflict(text!(
                "a criterion '{}' exists already; change it with PUT /api/v1/evaluation/criteria/{}", slug, slug;
                "un critère « {} » existe déjà ; modifiez-le par PUT /api/v1/evaluation/criteria/{}", slug, slug)));
        }
        insert_version(conn, slug, 1, draft, author)
    })
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Integer)]
    version: i32,
}

/// Writes a new version of criterion `slug` (the previous one stays for the assessments that
/// scored it); [`StoreError::NotFound`] when there is no such criterion.
pub fn revise_criterion(
    conn: &mut PgConnection,
    slug: &str,
    draft: &CriterionDraft,
    author: &str,
) -> StoreResult<Criterion> {
    conn.transaction(|conn| {
        let previous: Option<Version> = Statement::new(
            "UPDATE evaluation_criteria SET current = false WHERE current AND slug = ",
        )
        .bind::<Text, _>(slug.to_string())
        .sql(" RETURNING version")
        .get_result(conn)
        .optional()?;
        let Some(previous) = previous else {
            return Err(StoreError::NotFound);
        };
        insert_version(conn, slug, previous.version + 1, draft, author)
    })
}

/// One assessment of an initiative.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AssessmentDoc)]
pub struct Assessment {
    pub id: i64,
    pub assessor: String,
    pub evidence: String,
    pub created_at: DateTime<Utc>,
    /// Criterion slug → score (`null`: not applicable).
    pub scores: BTreeMap<String, Option<i16>>,
    /// Criterion slug → the version scored.
    pub versions: BTreeMap<String, i32>,
}

#[derive(QueryableByName)]
struct ScoreRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    assessor: String,
    #[diesel(sql_type = Text)]
    evidence: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    slug: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    version: Option<i32>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    score: Option<i16>,
}

/// Scores an initiative: `scores` by criterion slug (`None`: not applicable). Unknown criteria
/// and values outside a criterion's scale are field errors (`/scores/<slug>`), all reported.
pub fn assess(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    scores: &BTreeMap<String, Option<i16>>,
    evidence: &str,
    assessor: &str,
) -> StoreResult<Assessment> {
    conn.transaction(|conn| {
        let criteria: Vec<Criterion> = diesel::sql_query(format!(
            "SELECT {CRITERION_COLUMNS} FROM evaluation_criteria WHERE current"
        ))
        .load(conn)?;
        let mut errors = Vec::new();
        for (slug, score) in scores {
            let field = format!("/scores/{slug}");
            match criteria.iter().find(|c| &c.slug == slug) {
                None => errors.push(FieldError::new(
                    field,
                    "unknown_criterion",
                    text!("no criterion is named '{}'; see /api/v1/evaluation/criteria", slug;
                          "aucun critère ne s'appelle « {} » ; voir /api/v1/evaluation/criteria", slug),
                )),
                Some(c) => {
                    if let Some(score) = score
                        && !(c.scale_min..=c.scale_max).contains(score)
                    {
                        errors.push(FieldError::new(
                            field,
                            "out_of_scale",
                            text!("{} is outside the scale of '{}' ({} to {}, or null for not applicable)", score, slug, c.scale_min, c.scale_max;
                                  "{} est hors de l'échelle de « {} » ({} à {}, ou null si non applicable)", score, slug, c.scale_min, c.scale_max),
                        ));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = Statement::new(
            "INSERT INTO assessments (initiative_id, assessor, evidence) VALUES (",
        )
        .bind::<diesel::sql_types::Uuid, _>(initiative_id)
        .sql(", ")
        .bind::<Text, _>(assessor.to_string())
        .sql(", ")
        .bind::<Text, _>(evidence.to_string())
        .sql(") RETURNING id")
        .get_result(conn)?;
        for (slug, score) in scores {
            Statement::new("INSERT INTO assessment_scores (assessment_id, criterion_id, score) SELECT ")
                .bind::<BigInt, _>(id.id)
                .sql(", c.id, ")
                .bind::<Nullable<Integer>, _>(score.map(i32::from))
                .sql("::smallint FROM evaluation_criteria c WHERE c.current AND c.slug = ")
                .bind::<Text, _>(slug.clone())
                .execute(conn)?;
        }
        history(conn, initiative_id)?
            .into_iter()
            .find(|a| a.id == id.id)
            .ok_or(StoreError::NotFound)
    })
}

/// Every assessment of an initiative, newest first.
pub fn history(conn: &mut PgConnection, initiative_id: Uuid) -> StoreResult<Vec<Assessment>> {
    let rows: Vec<ScoreRow> = Statement::new(
        "SELECT a.id, a.assessor, a.evidence, a.created_at, c.slug, c.version, s.score
         FROM assessments a
         LEFT JOIN assessment_scores s ON s.assessment_id = a.id
         LEFT JOIN evaluation_criteria c ON c.id = s.criterion_id
         WHERE a.initiative_id = ",
    )
    .bind::<diesel::sql_types::Uuid, _>(initiative_id)
    .sql(" ORDER BY a.id DESC, c.slug")
    .load(conn)?;
    let mut out: Vec<Assessment> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|a| a.id != row.id) {
            out.push(Assessment {
                id: row.id,
                assessor: row.assessor,
                evidence: row.evidence,
                created_at: row.created_at,
                scores: BTreeMap::new(),
                versions: BTreeMap::new(),
            });
        }
        if let (Some(last), Some(slug), Some(version)) = (out.last_mut(), row.slug, row.version) {
            last.scores.insert(slug.clone(), row.score);
            last.versions.insert(slug, version);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Means per territory

#[derive(QueryableByName)]
struct MeanRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Nullable<Double>)]
    mean: Option<f64>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Means of the latest assessments of the published initiatives of a territory (or of all).
#[derive(Debug, Clone, Default)]
pub struct Means {
    pub assessed: i64,
    /// By criterion slug and by dimension slug: (mean, initiatives scored).
    pub criteria: BTreeMap<String, (f64, i64)>,
    pub dimensions: BTreeMap<String, (f64, i64)>,
}

/// A dimension's mean is the mean over initiatives of each one's mean in that dimension
/// (criteria marked not applicable left out). Read through the territory's index: the cost is
/// that of the territory's assessed initiatives, not of the directory.
pub fn means(conn: &mut PgConnection, territory: Option<&TerritoryFilter>) -> StoreResult<Means> {
    let mut st = Statement::new(
        "WITH latest AS (
            SELECT DISTINCT ON (a.initiative_id) a.id, a.initiative_id
            FROM assessments a JOIN initiatives i ON i.id = a.initiative_id
            WHERE i.moderation = 'published'",
    );
    if let Some(t) = territory {
        t.push(&mut st);
    }
    st.push_sql(
        " ORDER BY a.initiative_id, a.id DESC
        ), scores AS (
            SELECT l.initiative_id, c.slug, c.dimension, s.score
            FROM latest l JOIN assessment_scores s ON s.assessment_id = l.id
            JOIN evaluation_criteria c ON c.id = s.criterion_id
            WHERE s.score IS NOT NULL
        )
        SELECT 'criterion' AS kind, slug AS key, avg(score)::float8 AS mean, count(*) AS n FROM scores GROUP BY slug
        UNION ALL
        SELECT 'dimension', dimension, avg(m)::float8, count(*)
        FROM (SELECT initiative_id, dimension, avg(score) AS m FROM scores GROUP BY 1, 2) AS d GROUP BY dimension
        UNION ALL
        SELECT 'assessed', '', NULL, count(*) FROM latest",
    );
    let rows: Vec<MeanRow> = st.load(conn)?;
    let mut means = Means::default();
    for row in rows {
        let round = |m: Option<f64>| (m.unwrap_or_default() * 100.0).round() / 100.0;
        match row.kind.as_str() {
            "assessed" => means.assessed = row.n,
            "criterion" => {
                means.criteria.insert(row.key, (round(row.mean), row.n));
            }
            _ => {
                means.dimensions.insert(row.key, (round(row.mean), row.n));
            }
        }
    }
    Ok(means)
}
