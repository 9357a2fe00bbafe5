//! Initiatives: the write model (a validated draft), creating, correcting and archiving with a
//! revision for each change, and reading one initiative as JSON or as a GeoJSON Feature built by
//! PostGIS.

use crate::category;
use crate::domain::{Moderation, Name, Status, WebUrl};
use crate::error::{FieldError, StoreError, StoreResult};
use crate::fields::{self, Attributes};
use crate::geometry::{self, Location};
use crate::revision::{self, Action, Author};
use crate::statement::Statement;
use crate::text;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use postgis_diesel::types::{GeometryContainer, Point};
use std::sync::LazyLock;
use uuid::Uuid;

pub use crate::representation::Representation;

/// Everything a person can set on an initiative, already validated (except that its categories
/// exist, which the store checks).
#[derive(Debug, Clone, PartialEq)]
pub struct InitiativeDraft {
    pub name: Name,
    pub description: String,
    pub location: Location,
    /// Address, contact details, opening hours… (see `fields`).
    pub attributes: Attributes,
    /// Other web addresses than the website.
    pub links: Vec<WebUrl>,
    pub tags: Vec<String>,
    /// Category slugs, main category first.
    pub categories: Vec<String>,
    pub status: Status,
    pub moderation: Moderation,
    pub licence: Option<String>,
    pub attribution: Option<String>,
    pub last_confirmed_at: Option<DateTime<Utc>>,
}

impl InitiativeDraft {
    /// A published, active initiative with only a name and a location.
    pub fn new(name: Name, location: Location) -> Self {
        Self {
            name,
            description: String::new(),
            location,
            attributes: Attributes::default(),
            links: Vec::new(),
            tags: Vec::new(),
            categories: Vec::new(),
            status: Status::Active,
            moderation: Moderation::Published,
            licence: None,
            attribution: None,
            last_confirmed_at: None,
        }
    }
}

/// Identifies an initiative in a URL: its id, or its slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Id(Uuid),
    Slug(String),
}

impl Key {
    pub fn parse(raw: &str) -> Self {
        match Uuid::parse_str(raw) {
            Ok(id) => Key::Id(id),
            Err(_) => Key::Slug(raw.to_string()),
        }
    }
}

/// One initiative, already serialised by PostgreSQL.
#[derive(Debug, Clone, QueryableByName)]
pub struct Found {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub moderation: String,
    /// For a merged initiative: the one it now lives on as (the end of any chain of merges).
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub merged_into: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub body: String,
}

impl Found {
    pub fn is_published(&self) -> bool {
        self.moderation == Moderation::Published.as_str()
    }

    /// Its moderation state.
    pub fn moderation(&self) -> StoreResult<Moderation> {
        stored(
            Moderation::parse,
            "initiatives.moderation",
            &self.moderation,
        )
    }
}

/// Reads one initiative by id or slug.
pub fn get(conn: &mut PgConnection, key: &Key, repr: Representation) -> StoreResult<Option<Found>> {
    Ok(get_statement(key, repr).get_result(conn).optional()?)
}

/// The statement of [`get`].
pub fn get_statement(key: &Key, repr: Representation) -> Statement<'static> {
    let select = Statement::new("SELECT i.id, i.version, i.moderation, m.into_id AS merged_into, ")
        .sql(repr.sql())
        .sql(" AS body FROM initiatives i LEFT JOIN initiative_merges m ON m.merged_id = i.id");
    match key {
        Key::Id(id) => select.sql(" WHERE i.id = ").bind::<SqlUuid, _>(*id),
        Key::Slug(slug) => select.sql(" WHERE i.slug = ").bind::<Text, _>(slug.clone()),
    }
}

/// The initiative as stored in revisions: its GeoJSON Feature (the stored column).
pub(crate) fn snapshot(conn: &mut PgConnection, id: Uuid) -> StoreResult<serde_json::Value> {
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        feature: serde_json::Value,
    }
    let row: Snapshot =
        Statement::new("SELECT feature::jsonb AS feature FROM initiatives WHERE id = ")
            .bind::<SqlUuid, _>(id)
            .get_result(conn)
            .optional()?
            .ok_or(StoreError::NotFound)?;
    Ok(row.feature)
}

/// The result of a write: where the initiative now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub id: Uuid,
    pub slug: String,
    pub version: i32,
    /// False when the change left the initiative as it was (no revision was written).
    pub changed: bool,
}

pub(crate) fn check_categories(
    conn: &mut PgConnection,
    draft: &InitiativeDraft,
) -> StoreResult<()> {
    let unknown = category::unknown_slugs(conn, &draft.categories)?;
    if unknown.is_empty() {
        return Ok(());
    }
    let errors = draft
        .categories
        .iter()
        .enumerate()
        .filter(|(_, slug)| unknown.contains(slug))
        .map(|(i, slug)| {
            FieldError::new(
                format!("/categories/{i}"),
                "unknown_category",
                text!("'{}' is not a category; see /api/v1/categories", slug;
                      "« {} » n'est pas une catégorie ; voir /api/v1/categories", slug),
            )
        })
        .collect();
    Err(StoreError::Invalid(errors))
}

/// A slug derived from the name, made unique with a few characters of the id when taken.
fn unique_slug(conn: &mut PgConnection, name: &Name, id: Uuid) -> StoreResult<String> {
    #[derive(QueryableByName)]
    struct Slug {
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    let row: Slug = Statement::new("SELECT s.slug, EXISTS (SELECT 1 FROM initiatives WHERE slug = s.slug) AS taken FROM (SELECT coalesce(nullif(archipel_slugify(")
        .bind::<Text, _>(name.as_str().to_string())
        .sql("), ''), 'initiative') AS slug) AS s")
        .get_result(conn)?;
    if !row.taken && Uuid::parse_str(&row.slug).is_err() {
        return Ok(row.slug);
    }
    let simple = id.simple().to_string();
    Ok(format!("{}-{}", row.slug, &simple[simple.len() - 6..]))
}

/// Creates an initiative and its first revision.
pub fn create(
    conn: &mut PgConnection,
    draft: &InitiativeDraft,
    author: &Author,
    reason: Option<&str>,
) -> StoreResult<Written> {
    conn.transaction(|conn| {
        check_categories(conn, draft)?;
        let id = Uuid::now_v7();
        let slug = unique_slug(conn, &draft.name, id)?;
        let mut insert = Statement::new(format!(
            "INSERT INTO initiatives (id, slug, {}) VALUES (",
            *DRAFT_COLUMNS
        ))
        .bind::<SqlUuid, _>(id)
        .sql(", ")
        .bind::<Text, _>(slug.clone())
        .sql(", ");
        push_draft_values(&mut insert, draft);
        insert.sql(")").execute(conn)?;
        let after = snapshot(conn, id)?;
        revision::record(conn, id, Action::Create, author, reason, None, &after)?;
        Ok(Written {
            id,
            slug,
            version: 1,
            changed: true,
        })
    })
}

/// The columns a draft sets, in the order of [`push_draft_values`].
static DRAFT_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "name, description, geom, links, tags, category_slugs, status, moderation, licence, \
         attribution, last_confirmed_at, {}",
        fields::columns("")
    )
});

/// Pushes the values of [`DRAFT_COLUMNS`], comma-separated, for INSERT and UPDATE alike.
pub(crate) fn push_draft_values(st: &mut Statement<'static>, draft: &InitiativeDraft) {
    st.push_bind::<Text, _>(draft.name.as_str().to_string());
    st.push_sql(", ");
    st.push_bind::<Text, _>(draft.description.clone());
    st.push_sql(", ST_GeomFromEWKT(");
    st.push_bind::<Text, _>(draft.location.to_ewkt());
    st.push_sql("), ");
    let links: Vec<String> = draft.links.iter().map(|l| l.as_str().to_string()).collect();
    st.push_bind::<Array<Text>, _>(links);
    st.push_sql(", ");
    st.push_bind::<Array<Text>, _>(draft.tags.clone());
    st.push_sql(", ");
    st.push_bind::<Array<Text>, _>(draft.categories.clone());
    st.push_sql(", ");
    st.push_bind::<Text, _>(draft.status.as_str());
    st.push_sql(", ");
    st.push_bind::<Text, _>(draft.moderation.as_str());
    st.push_sql(", ");
    st.push_bind::<Nullable<Text>, _>(draft.licence.clone());
    st.push_sql(", ");
    st.push_bind::<Nullable<Text>, _>(draft.attribution.clone());
    st.push_sql(", ");
    st.push_bind::<Nullable<Timestamptz>, _>(draft.last_confirmed_at);
    for (_, value) in draft.attributes.iter() {
        st.push_sql(", ");
        st.push_bind::<Nullable<Text>, _>(value.map(str::to_string));
    }
}

/// Writes `draft` over initiative `id` (revision aside); `by_person` marks it a person's
/// correction, which outranks the feed until the next import (see `sync`).
pub(crate) fn write_draft(
    conn: &mut PgConnection,
    id: Uuid,
    draft: &InitiativeDraft,
    by_person: bool,
) -> StoreResult<()> {
    let mut update = Statement::new(format!(
        "UPDATE initiatives SET ({}) = ROW(",
        *DRAFT_COLUMNS
    ));
    push_draft_values(&mut update, draft);
    update
        .sql("), version = version + 1, updated_at = now()")
        .sql(if by_person {
            ", person_edited_at = now()"
        } else {
            ""
        })
        .sql(" WHERE id = ")
        .bind::<SqlUuid, _>(id)
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct DraftRow {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = postgis_diesel::sql_types::Geometry)]
    geom: GeometryContainer<Point>,
    #[diesel(sql_type = Array<Text>)]
    links: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    tags: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    category_slugs: Vec<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    moderation: String,
    #[diesel(sql_type = Nullable<Text>)]
    licence: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    attribution: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_confirmed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    attributes: Vec<Option<String>>,
    #[diesel(sql_type = Integer)]
    version: i32,
}

/// A closed-set value read back from the database: one this program does not know is an error,
/// never replaced by a default (that once republished withdrawn initiatives).
pub fn stored<T>(
    parse: fn(&str, &str) -> Result<T, FieldError>,
    column: &str,
    raw: &str,
) -> StoreResult<T> {
    parse(column, raw).map_err(|_| StoreError::Corrupt(format!("{column} holds '{raw}'")))
}

/// Locks the initiative for the rest of the transaction and rebuilds its draft.
pub(crate) fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> StoreResult<(InitiativeDraft, String, i32)> {
    let row: DraftRow = Statement::new(format!(
        "SELECT slug, name, description, geom, links, tags, category_slugs, status, moderation, \
         licence, attribution, last_confirmed_at, {} AS attributes, version \
         FROM initiatives WHERE id = ",
        fields::array_sql("")
    ))
    .bind::<SqlUuid, _>(id)
    .sql(" FOR UPDATE")
    .get_result(conn)
    .optional()?
    .ok_or(StoreError::NotFound)?;
    let geometry = geometry::from_postgis(&row.geom)
        .ok_or_else(|| StoreError::Corrupt("initiatives.geom of an unexpected type".into()))?;
    let draft = InitiativeDraft {
        name: Name::trusted(row.name),
        description: row.description,
        location: Location::from_stored(geometry),
        attributes: Attributes::trusted(row.attributes),
        links: row.links.into_iter().map(WebUrl::trusted).collect(),
        tags: row.tags,
        categories: row.category_slugs,
        status: stored(Status::parse, "initiatives.status", &row.status)?,
        moderation: stored(Moderation::parse, "initiatives.moderation", &row.moderation)?,
        licence: row.licence,
        attribution: row.attribution,
        last_confirmed_at: row.last_confirmed_at,
    };
    Ok((draft, row.slug, row.version))
}

/// Applies `change` to the stored initiative, under a row lock. `expected_version` is the
/// version the caller last saw (from an `If-Match` ETag); a newer stored version fails with
/// [`StoreError::Stale`] and nothing is written.
pub fn update<F>(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: Option<i32>,
    author: &Author,
    reason: Option<&str>,
    action: Action,
    change: F,
) -> StoreResult<Written>
where
    F: FnOnce(InitiativeDraft) -> Result<InitiativeDraft, Vec<FieldError>>,
{
    conn.transaction(|conn| {
        let (current, slug, version) = load_for_update(conn, id)?;
        if let Some(expected) = expected_version
            && expected != version
        {
            return Err(StoreError::Stale { current: version });
        }
        if current.moderation == Moderation::Merged {
            return Err(merged_conflict());
        }
        let next = change(current.clone()).map_err(StoreError::Invalid)?;
        if next.moderation == Moderation::Merged {
            return Err(StoreError::Invalid(vec![crate::domain::merged_by_hand(
                "/moderation",
            )]));
        }
        if next == current {
            return Ok(Written {
                id,
                slug,
                version,
                changed: false,
            });
        }
        check_categories(conn, &next)?;
        let before = snapshot(conn, id)?;
        write_draft(conn, id, &next, true)?;
        let after = snapshot(conn, id)?;
        revision::record(conn, id, action, author, reason, Some(&before), &after)?;
        Ok(Written {
            id,
            slug,
            version: version + 1,
            changed: true,
        })
    })
}

/// A write to an initiative merged into another one.
pub(crate) fn merged_conflict() -> StoreError {
    StoreError::Conflict(text!(
        "this initiative was merged into another one, which is the one to change now (its address redirects there)";
        "cette initiative a été fusionnée avec une autre, c'est celle-là qu'il faut modifier désormais (son adresse y redirige)"))
}

/// Archives an initiative: it leaves the public map and lists, keeps its history, and can be
/// published again.
pub fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: Option<i32>,
    author: &Author,
    reason: Option<&str>,
) -> StoreResult<Written> {
    update(
        conn,
        id,
        expected_version,
        author,
        reason,
        Action::Archive,
        |mut draft| {
            draft.moderation = Moderation::Archived;
            Ok(draft)
        },
    )
}

/// How many initiatives the directory holds, in any state.
pub fn count(conn: &mut PgConnection) -> StoreResult<i64> {
    use crate::schema::initiatives::dsl::initiatives;
    Ok(initiatives.count().get_result(conn)?)
}
