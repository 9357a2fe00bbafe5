//! Revisions: the history of every initiative, including the history of the initiatives merged
//! into it.

use crate::error::StoreResult;
use crate::schema::{initiative_merges, initiatives, revisions};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use serde::Serialize;
use std::collections::HashMap;
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
    let (old_values, new_values) = match before {
        Some(before) => {
            let (old, new) = changes(before, after);
            (Some(old), Some(new))
        }
        None => (None, None),
    };
    diesel::insert_into(revisions::table)
        .values((
            revisions::initiative_id.eq(initiative_id),
            revisions::action.eq(action.as_str()),
            revisions::author.eq(&author.name),
            revisions::import_run_id.eq(author.import_run_id),
            revisions::reason.eq(reason),
            revisions::old_values.eq(old_values),
            revisions::new_values.eq(new_values),
            revisions::merged_from.eq(merged_from),
        ))
        .execute(conn)?;
    Ok(())
}

/// A Feature's fields as one map: its properties and its geometry (as in SQL's
/// `archipel_feature_fields`).
fn fields(doc: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = doc
        .get("properties")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    fields.insert(
        "geometry".into(),
        doc.get("geometry").cloned().unwrap_or_default(),
    );
    fields
}

/// The fields that differ between two Features: their values before, and after (a field one
/// of them lacks is `null` there). What a revision stores (SQL: `archipel_changed_values`).
pub fn changes(
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> (serde_json::Value, serde_json::Value) {
    let (old, new) = (fields(before), fields(after));
    let mut old_values = serde_json::Map::new();
    let mut new_values = serde_json::Map::new();
    let null = serde_json::Value::Null;
    for key in old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)))
    {
        let (o, n) = (old.get(key).unwrap_or(&null), new.get(key).unwrap_or(&null));
        if o != n {
            old_values.insert(key.clone(), o.clone());
            new_values.insert(key.clone(), n.clone());
        }
    }
    (old_values.into(), new_values.into())
}

/// `doc` with the fields of `values` set (the inverse of `changes`, given one of its sides).
fn apply(doc: &mut serde_json::Value, values: &serde_json::Value) {
    let Some(values) = values.as_object() else {
        return;
    };
    for (key, value) in values {
        if key == "geometry" {
            doc["geometry"] = value.clone();
        } else if let Some(properties) = doc.get_mut("properties").and_then(|p| p.as_object_mut()) {
            properties.insert(key.clone(), value.clone());
        }
    }
}

/// A property only revisions carry: a `link`/`unlink` revision shows the initiative's links
/// before and after, the stored Feature has none. Older revisions do not inherit it.
const REVISION_ONLY: &str = "initiative_links";

/// A revision as shown to people: who, when, why, which fields changed, and the initiative before
/// and after, as GeoJSON Features.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

/// A revision as stored: what changed only.
#[derive(Queryable, Selectable)]
#[diesel(table_name = revisions)]
struct Row {
    id: i64,
    initiative_id: Uuid,
    action: String,
    author: String,
    import_run_id: Option<i64>,
    reason: Option<String>,
    created_at: DateTime<Utc>,
    old_values: Option<serde_json::Value>,
    new_values: Option<serde_json::Value>,
    merged_from: Option<Uuid>,
}

/// Bookkeeping properties that change with every write and say nothing about the change itself.
const BOOKKEEPING: &[&str] = &["updated_at", "fetched_at"];

fn changed_fields(new_values: Option<&serde_json::Value>) -> Vec<String> {
    let mut changed: Vec<String> = new_values
        .and_then(|v| v.as_object())
        .map(|v| {
            v.keys()
                .filter(|key| !BOOKKEEPING.contains(&key.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    changed.sort();
    changed
}

/// The initiatives' current Features (the stored column), by id.
fn current_features(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, serde_json::Value>> {
    Ok(initiatives::table
        .filter(initiatives::id.eq_any(ids))
        .select((initiatives::id, diesel::dsl::sql::<Jsonb>("feature::jsonb")))
        .load::<(Uuid, serde_json::Value)>(conn)?
        .into_iter()
        .collect())
}

/// Rebuilds the whole Features of one initiative's revisions, `rows` newest first, from its
/// current Feature: each revision's `after` is the state the newer ones lead back to, with its
/// own new values; its `before` is that with its old values.
fn rebuild(current: serde_json::Value, rows: Vec<Row>) -> Vec<Revision> {
    let mut state = current;
    rows.into_iter()
        .map(|row| {
            let mut after = state.clone();
            if let Some(new_values) = &row.new_values {
                apply(&mut after, new_values);
            }
            let before = row.old_values.as_ref().map(|old_values| {
                let mut before = after.clone();
                apply(&mut before, old_values);
                before
            });
            if let Some(before) = &before {
                state = before.clone();
                if let Some(properties) =
                    state.get_mut("properties").and_then(|p| p.as_object_mut())
                {
                    properties.remove(REVISION_ONLY);
                }
            }
            Revision {
                id: row.id,
                initiative_id: row.initiative_id,
                action: row.action,
                author: row.author,
                import_run_id: row.import_run_id,
                reason: row.reason,
                created_at: row.created_at,
                changed: changed_fields(row.new_values.as_ref()),
                before,
                after,
                merged_from: row.merged_from,
            }
        })
        .collect()
}

/// Every revision of an initiative and of the initiatives merged into it, oldest first.
pub fn list(conn: &mut PgConnection, initiative_id: Uuid) -> StoreResult<Vec<Revision>> {
    let merged = initiative_merges::table
        .filter(initiative_merges::into_id.eq(initiative_id))
        .select(initiative_merges::merged_id);
    let rows: Vec<Row> = revisions::table
        .filter(
            revisions::initiative_id
                .eq(initiative_id)
                .or(revisions::initiative_id.eq_any(merged)),
        )
        .order(revisions::id.desc())
        .select(Row::as_select())
        .load(conn)?;
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.initiative_id).collect();
    ids.sort();
    ids.dedup();
    let mut current = current_features(conn, &ids)?;
    let mut by_initiative: HashMap<Uuid, Vec<Row>> = HashMap::new();
    for row in rows {
        by_initiative
            .entry(row.initiative_id)
            .or_default()
            .push(row);
    }
    let mut history: Vec<Revision> = by_initiative
        .into_iter()
        .flat_map(|(id, rows)| rebuild(current.remove(&id).unwrap_or_default(), rows))
        .collect();
    history.sort_by_key(|r| r.id);
    Ok(history)
}

/// The initiative as revision `revision_id` of `initiative_id` left it (its GeoJSON Feature);
/// `None` when that initiative has no such revision.
pub fn state_after(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    revision_id: i64,
) -> StoreResult<Option<serde_json::Value>> {
    let rows: Vec<Row> = revisions::table
        .filter(revisions::initiative_id.eq(initiative_id))
        .filter(revisions::id.ge(revision_id))
        .order(revisions::id.desc())
        .select(Row::as_select())
        .load(conn)?;
    if rows.last().map(|r| r.id) != Some(revision_id) {
        return Ok(None);
    }
    let Some(current) = current_features(conn, &[initiative_id])?.remove(&initiative_id) else {
        return Ok(None);
    };
    Ok(rebuild(current, rows).pop().map(|r| r.after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature(name: &str, lon: f64, links: Option<serde_json::Value>) -> serde_json::Value {
        let mut doc = json!({"type": "Feature", "id": "x",
            "geometry": {"type": "Point", "coordinates": [lon, 45.0]},
            "properties": {"name": name, "city": "Lyon", "updated_at": "2026-12-02T10:00:00Z"}});
        if let Some(links) = links {
            doc["properties"]["initiative_links"] = links;
        }
        doc
    }

    #[test]
    fn a_revision_keeps_only_what_changed_and_gives_both_features_back() {
        let v1 = feature("Atelier", 4.8, None);
        let mut v2 = feature("Atelier vélo", 4.9, None);
        v2["properties"]["updated_at"] = json!("2026-12-02T11:00:00Z");
        let (old, new) = changes(&v1, &v2);
        assert_eq!(
            old,
            json!({"name": "Atelier", "updated_at": "2026-12-02T10:00:00Z",
                   "geometry": {"type": "Point", "coordinates": [4.8, 45.0]}})
        );
        assert_eq!(new["name"], json!("Atelier vélo"));
        assert!(new.get("city").is_none(), "unchanged fields are not stored");

        let rows = vec![
            row(2, Some(old), Some(new)),
            row(1, None, None), // the creation
        ];
        let history = rebuild(v2.clone(), rows);
        assert_eq!(history[0].after, v2);
        assert_eq!(history[0].before.as_ref(), Some(&v1));
        assert_eq!(history[0].changed, vec!["geometry", "name"]);
        assert_eq!(history[1].after, v1);
        assert_eq!(history[1].before, None);
        assert!(history[1].changed.is_empty());
    }

    #[test]
    fn links_show_on_link_revisions_only() {
        let plain = feature("Atelier", 4.8, None);
        let before = feature("Atelier", 4.8, Some(json!([])));
        let after = feature("Atelier", 4.8, Some(json!([{"kind": "partner"}])));
        let (old, new) = changes(&before, &after);
        assert_eq!(old, json!({"initiative_links": []}));
        let history = rebuild(
            plain.clone(),
            vec![row(2, Some(old), Some(new)), row(1, None, None)],
        );
        assert_eq!(history[0].after, after);
        assert_eq!(history[0].before.as_ref(), Some(&before));
        assert_eq!(history[1].after, plain, "the creation shows no links");
    }

    #[test]
    fn a_field_one_side_lacks_is_null_there() {
        let mut with = feature("Atelier", 4.8, None);
        with["properties"]["wheelchair"] = json!("yes");
        let without = feature("Atelier", 4.8, None);
        let (old, new) = changes(&without, &with);
        assert_eq!(old, json!({"wheelchair": null}));
        assert_eq!(new, json!({"wheelchair": "yes"}));
    }

    fn row(
        id: i64,
        old_values: Option<serde_json::Value>,
        new_values: Option<serde_json::Value>,
    ) -> Row {
        Row {
            id,
            initiative_id: Uuid::nil(),
            action: "update".into(),
            author: "test".into(),
            import_run_id: None,
            reason: None,
            created_at: Utc::now(),
            old_values,
            new_values,
            merged_from: None,
        }
    }
}
