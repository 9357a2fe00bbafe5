//! Revisions: the history of every initiative, including the history of the initiatives merged
//! into it.

use crate::error::StoreResult;
use crate::schema::{initiative_merges, revisions};
use chrono::{DateTime, Utc};
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use serde::Serialize;
use uuid::Uuid;

/// What kind of change a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase", as = RevisionAction)]
pub enum Action {
    Create,
    Update,
    Archive,
    Import,
    Withdraw,
    Restore,
    /// The initiative absorbed another one (named by the revision's `merged_from`).
    Merge,
    /// A link to another initiative added (recorded on both).
    Link,
    /// A link removed (recorded on both).
    Unlink,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Archive => "archive",
            Action::Import => "import",
            Action::Withdraw => "withdraw",
            Action::Restore => "restore",
            Action::Merge => "merge",
            Action::Link => "link",
            Action::Unlink => "unlink",
        }
    }
}

/// Who made a change: a person through their token's name, or an import run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub import_run_id: Option<i64>,
}

impl Author {
    pub fn person(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            import_run_id: None,
        }
    }
}

pub fn record(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    action: Action,
    author: &Author,
    reason: Option<&str>,
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
) -> StoreResult<()> {
    insert(
        conn,
        initiative_id,
        action,
        author,
        reason,
        before,
        after,
        None,
    )
}

/// Records that `initiative_id` absorbed `merged_from` (see `merge`).
pub fn record_merge(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    merged_from: Uuid,
    author: &Author,
    reason: Option<&str>,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> StoreResult<()> {
    insert(
        conn,
        initiative_id,
        Action::Merge,
        author,
        reason,
        Some(before),
        after,
        Some(merged_from),
    )
}

#[allow(clippy::too_many_arguments)]
fn insert(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    action: Action,
    author: &Author,
    reason: Option<&str>,
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
    merged_from: Option<Uuid>,
) -> StoreResult<()> {
    diesel::insert_into(revisions::table)
        .values((
            revisions::initiative_id.eq(initiative_id),
            revisions::action.eq(action.as_str()),
            revisions::author.eq(&author.name),
            revisions::import_run_id.eq(author.import_run_id),
            revisions::reason.eq(reason),
            revisions::before.eq(before),
            revisions::after.eq(after),
            revisions::merged_from.eq(merged_from),
        ))
        .execute(conn)?;
    Ok(())
}

/// A revision as shown to people: who, when, why, which fields changed, and the initiative before
/// and after, as GeoJSON Features.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = revisions)]
#[schema(as = RevisionDoc)]
pub struct Revision {
    pub id: i64,
    /// The initiative the revision was written for: this one, or one merged into it since.
    pub initiative_id: Uuid,
    #[schema(value_type = Action)]
    pub action: String,
    /// The token's or person's name, or `import:<source>` for imports.
    pub author: String,
    #[schema(required = true)]
    pub import_run_id: Option<i64>,
    /// Why the change was made, when the author said.
    #[schema(required = true)]
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Properties (and `geometry`) whose value differs between `before` and `after`.
    // Read as an empty list, then found by `changed_fields`.
    #[diesel(
        select_expression = diesel::dsl::sql::<Array<Text>>("'{}'::text[]"),
        select_expression_type = SqlLiteral<Array<Text>>
    )]
    pub changed: Vec<String>,
    /// The initiative before the change (null for a creation).
    #[schema(required = true, schema_with = crate::openapi::feature_or_null)]
    pub before: Option<serde_json::Value>,
    /// The initiative after the change.
    #[schema(schema_with = crate::openapi::feature)]
    pub after: serde_json::Value,
    /// For a `merge`: the initiative absorbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Uuid>,
}

/// Bookkeeping properties that change with every write and say nothing about the change itself.
const BOOKKEEPING: &[&str] = &["updated_at", "fetched_at"];

fn changed_fields(before: Option<&serde_json::Value>, after: &serde_json::Value) -> Vec<String> {
    let Some(before) = before else {
        return Vec::new();
    };
    let empty = serde_json::Map::new();
    let properties = |doc: &serde_json::Value| {
        doc.get("properties")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (old, new) = (properties(before), properties(after));
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(key, value)| {
            !BOOKKEEPING.contains(&key.as_str()) && old.get(*key) != Some(*value)
        })
        .map(|(key, _)| key.clone())
        .collect();
    if before.get("geometry") != after.get("geometry") {
        changed.push("geometry".into());
    }
    changed.sort();
    changed
}

/// Every revision of an initiative and of the initiatives merged into it, oldest first.
pub fn list(conn: &mut PgConnection, initiative_id: Uuid) -> StoreResult<Vec<Revision>> {
    let merged = initiative_merges::table
        .filter(initiative_merges::into_id.eq(initiative_id))
        .select(initiative_merges::merged_id);
    let mut rows: Vec<Revision> = revisions::table
        .filter(
            revisions::initiative_id
                .eq(initiative_id)
                .or(revisions::initiative_id.eq_any(merged)),
        )
        .order(revisions::id)
        .select(Revision::as_select())
        .load(conn)?;
    for row in &mut rows {
        row.changed = changed_fields(row.before.as_ref(), &row.after);
    }
    Ok(rows)
}

/// The initiative as revision `revision_id` of `initiative_id` left it (its GeoJSON Feature);
/// `None` when that initiative has no such revision.
pub fn state_after(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    revision_id: i64,
) -> StoreResult<Option<serde_json::Value>> {
    Ok(revisions::table
        .filter(revisions::initiative_id.eq(initiative_id))
        .filter(revisions::id.eq(revision_id))
        .select(revisions::after)
        .first(conn)
        .optional()?)
}
