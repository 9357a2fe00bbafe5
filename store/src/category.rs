//! The taxonomy of collaborative practices.

use crate::error::{StoreError, StoreResult};
use crate::schema::categories;
use crate::statement::Statement;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use serde::Serialize;
use std::collections::HashMap;

/// A category with the number of published initiatives in it or in any of its descendants.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub colour: String,
    pub icon: String,
    pub count: i64,
    pub children: Vec<Category>,
}

#[derive(QueryableByName)]
struct CategoryRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    parent_id: Option<i32>,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name_fr: String,
    #[diesel(sql_type = Text)]
    name_en: String,
    #[diesel(sql_type = Text)]
    colour: String,
    #[diesel(sql_type = Text)]
    icon: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

// The counts are kept by triggers as initiatives are published, unpublished or recategorised
// (`category_count_deltas`, migration 72): reading them adds up a few rows per category, where
// counting the published initiatives took 1.5 s at 1M.
const TREE_SQL: &str = "\
SELECT c.id, c.parent_id, c.slug, c.name_fr, c.name_en, c.colour, c.icon, coalesce(n.n, 0) AS count
FROM categories c
LEFT JOIN (SELECT category_id AS id, sum(delta)::bigint AS n FROM category_count_deltas GROUP BY category_id) AS n
       ON n.id = c.id
ORDER BY c.position, c.slug";

/// Folds the kept counts' rows into one per category (migration 72); run now and then on the
/// primary. Returns nothing: the counts read the same before and after.
pub fn compact_counts(conn: &mut PgConnection) -> StoreResult<()> {
    diesel::sql_query("SELECT archipel_compact_category_counts()").execute(conn)?;
    Ok(())
}

/// The body of `/api/v1/categories`: `{"categories": [the tree]}`.
pub fn tree_body(conn: &mut PgConnection) -> StoreResult<Vec<u8>> {
    let tree = tree(conn)?;
    Ok(
        serde_json::to_vec(&serde_json::json!({ "categories": tree }))
            .expect("a tree of plain values serialises"),
    )
}

/// The whole tree, families first, each with its practices.
pub fn tree(conn: &mut PgConnection) -> StoreResult<Vec<Category>> {
    let rows: Vec<CategoryRow> = Statement::new(TREE_SQL).load(conn)?;
    let mut children: HashMap<Option<i32>, Vec<(i32, Category)>> = HashMap::new();
    for row in rows {
        let category = Category {
            slug: row.slug,
            name_fr: row.name_fr,
            name_en: row.name_en,
            colour: row.colour,
            icon: row.icon,
            count: row.count,
            children: Vec::new(),
        };
        children
            .entry(row.parent_id)
            .or_default()
            .push((row.id, category));
    }
    fn build(
        parent: Option<i32>,
        children: &mut HashMap<Option<i32>, Vec<(i32, Category)>>,
    ) -> Vec<Category> {
        let level = children.remove(&parent).unwrap_or_default();
        level
            .into_iter()
            .map(|(id, mut category)| {
                category.children = build(Some(id), children);
                category
            })
            .collect()
    }
    Ok(build(None, &mut children))
}

/// The slugs among `slugs` that name no category.
pub fn unknown_slugs(conn: &mut PgConnection, slugs: &[String]) -> StoreResult<Vec<String>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let known: Vec<String> = categories::table
        .filter(categories::slug.eq_any(slugs))
        .select(categories::slug)
        .load(conn)?;
    Ok(slugs
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect())
}

/// Ids of the categories named by `slugs` and of all their descendants.
/// The ids a filter on `slugs` selects (each category with its descendants); `None` for no
/// filter. Unknown slugs fail with [`StoreError::UnknownCategories`], naming them.
pub fn filter_ids(conn: &mut PgConnection, slugs: &[String]) -> StoreResult<Option<Vec<i32>>> {
    if slugs.is_empty() {
        return Ok(None);
    }
    let unknown = unknown_slugs(conn, slugs)?;
    if !unknown.is_empty() {
        return Err(StoreError::UnknownCategories(unknown));
    }
    ids_with_descendants(conn, slugs).map(Some)
}

pub fn ids_with_descendants(conn: &mut PgConnection, slugs: &[String]) -> StoreResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Ids {
        #[diesel(sql_type = Array<Integer>)]
        ids: Vec<i32>,
    }
    let row: Ids = Statement::new("SELECT archipel_category_ids(")
        .bind::<Array<Text>, _>(slugs.to_vec())
        .sql(") AS ids")
        .get_result(conn)?;
    Ok(row.ids)
}
