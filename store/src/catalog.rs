//! What a data catalogue (DCAT) says about the published initiatives: per dataset — all of them,
//! and each family of practices — how many, their extent, when they last changed, and the
//! licences their records carry.

use crate::error::StoreResult;
use crate::statement::Statement;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Nullable, Text, Timestamptz};

/// One dataset of the catalogue.
#[derive(Debug, Clone, QueryableByName)]
pub struct DatasetFacts {
    /// The family's slug; `None` for the dataset of every initiative.
    #[diesel(sql_type = Nullable<Text>)]
    pub family: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name_fr: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name_en: Option<String>,
    /// Names of the practices in it (keywords).
    #[diesel(sql_type = Array<Text>)]
    pub keywords: Vec<String>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    /// Licences of its records (SPDX identifiers as the sources declared them); the empty string
    /// stands for records without one (the directory's own entries).
    #[diesel(sql_type = Array<Text>)]
    pub licences: Vec<String>,
    /// Where its initiatives are, and when they last changed (`last_change`).
    #[diesel(embed)]
    pub extent: Extent,
}

/// The dataset of every published initiative first, then one per family (families without
/// published initiatives included, with a count of 0).
pub fn datasets(conn: &mut PgConnection) -> StoreResult<Vec<DatasetFacts>> {
    Ok(Statement::new(
        "WITH published AS (
             SELECT i.id, i.point, i.updated_at, coalesce(i.licence, '') AS licence, i.category_slugs
             FROM initiatives i WHERE i.moderation = 'published'
         ), families AS (
             SELECT f.slug, f.name_fr, f.name_en, f.position,
                    array_agg(DISTINCT c.slug) || f.slug AS slugs,
                    coalesce(array_agg(c.name_fr ORDER BY c.position) FILTER (WHERE c.id IS NOT NULL), '{}') AS keywords
             FROM categories f LEFT JOIN categories c ON c.parent_id = f.id
             WHERE f.parent_id IS NULL GROUP BY f.id
         ), facts AS (
             SELECT NULL::text AS family, NULL::text AS name_fr, NULL::text AS name_en, -1 AS position,
                    (SELECT coalesce(array_agg(name_fr ORDER BY position, slug), '{}') FROM categories WHERE parent_id IS NULL) AS keywords,
                    count(p.id) AS count, coalesce(array_agg(DISTINCT p.licence) FILTER (WHERE p.id IS NOT NULL), '{}') AS licences,
                    min(p.updated_at) AS first_change, max(p.updated_at) AS last_change, ST_Extent(p.point) AS extent
             FROM published p
             UNION ALL
             SELECT f.slug, f.name_fr, f.name_en, f.position, f.keywords,
                    count(p.id), coalesce(array_agg(DISTINCT p.licence) FILTER (WHERE p.id IS NOT NULL), '{}'),
                    min(p.updated_at), max(p.updated_at), ST_Extent(p.point)
             FROM families f LEFT JOIN published p ON p.category_slugs && f.slugs
             GROUP BY f.slug, f.name_fr, f.name_en, f.position, f.keywords
         )
         SELECT family, name_fr, name_en, keywords, count, licences, ",
    )
    .sql(EXTENT_COLUMNS)
    .sql(" FROM facts ORDER BY position, family")
    .load(conn)?)
}

/// Where and when the published initiatives are: their bounding box and the range of their last
/// changes (`None` when nothing is published).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Extent {
    #[diesel(sql_type = Nullable<Double>)]
    pub west: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub south: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub east: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub north: Option<f64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_change: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_change: Option<DateTime<Utc>>,
}

/// The columns of an [`Extent`], from a box `extent` and the times `first_change` and
/// `last_change`.
const EXTENT_COLUMNS: &str = "ST_XMin(extent) AS west, ST_YMin(extent) AS south, \
    ST_XMax(extent) AS east, ST_YMax(extent) AS north, first_change, last_change";

/// The extent of the published initiatives (their areas included).
pub fn extent(conn: &mut PgConnection) -> StoreResult<Extent> {
    Ok(Statement::new("SELECT ")
        .sql(EXTENT_COLUMNS)
        .sql(
            " FROM (SELECT ST_Extent(geom) AS extent, min(updated_at) AS first_change, max(updated_at) AS last_change
                    FROM initiatives WHERE moderation = 'published') AS t",
        )
        .get_result(conn)?)
}
