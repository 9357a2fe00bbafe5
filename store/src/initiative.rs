//! Initiatives: the write model (a validated draft), creating, correcting and archiving with a
//! revision for each change, and reading one initiative as JSON or as a GeoJSON Feature built by
//! PostGIS.

use crate::category;
use crate::domain::{Email, Moderation, Name, OpeningHours, Phone, Status, WebUrl};
use crate::error::{FieldError, StoreError, StoreResult};
use crate::geometry::{self, Location};
use crate::revision::{self, Action, Author};
use crate::schema::initiatives;
use crate::statement::Statement;
use crate::text;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use postgis_diesel::types::{GeometryContainer, Point};
use uuid::Uuid;

pub use crate::representation::Representation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub insee_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub website: Option<WebUrl>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub links: Vec<WebUrl>,
}

/// Everything a person can set on an initiative, already validated (except that its categories
/// exist, which the store checks).
#[derive(Debug, Clone, PartialEq)]
pub struct InitiativeDraft {
    pub name: Name,
    pub description: String,
    pub location: Location,
    pub address: Address,
    pub contact: Contact,
    pub opening_hours: Option<OpeningHours>,
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
            address: Address::default(),
            contact: Contact::default(),
            opening_hours: None,
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
        diesel::insert_into(initiatives::table)
            .values((
                initiatives::id.eq(id),
                initiatives::slug.eq(&slug),
                Fields::of(draft),
            ))
            .execute(conn)?;
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

/// The columns a draft sets, for both INSERT and UPDATE.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = initiatives, treat_none_as_null = true)]
pub(crate) struct Fields<'a> {
    name: &'a str,
    description: &'a str,
    geom: GeometryContainer<Point>,
    street: Option<&'a str>,
    postcode: Option<&'a str>,
    city: Option<&'a str>,
    country_code: Option<&'a str>,
    insee_code: Option<&'a str>,
    website: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    links: Vec<String>,
    opening_hours: Option<&'a str>,
    tags: &'a [String],
    category_slugs: &'a [String],
    status: &'static str,
    moderation: &'static str,
    licence: Option<&'a str>,
    attribution: Option<&'a str>,
    last_confirmed_at: Option<DateTime<Utc>>,
}

impl<'a> Fields<'a> {
    pub(crate) fn of(draft: &'a InitiativeDraft) -> Self {
        Self {
            name: draft.name.as_str(),
            description: &draft.description,
            geom: draft.location.to_postgis(),
            street: draft.address.street.as_deref(),
            postcode: draft.address.postcode.as_deref(),
            city: draft.address.city.as_deref(),
            country_code: draft.address.country_code.as_deref(),
            insee_code: draft.address.insee_code.as_deref(),
            website: draft.contact.website.as_ref().map(WebUrl::as_str),
            email: draft.contact.email.as_ref().map(Email::as_str),
            phone: draft.contact.phone.as_ref().map(Phone::as_str),
            links: draft
                .contact
                .links
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            opening_hours: draft.opening_hours.as_ref().map(OpeningHours::as_str),
            tags: &draft.tags,
            category_slugs: &draft.categories,
            status: draft.status.as_str(),
            moderation: draft.moderation.as_str(),
            licence: draft.licence.as_deref(),
            attribution: draft.attribution.as_deref(),
            last_confirmed_at: draft.last_confirmed_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = initiatives)]
struct DraftRow {
    slug: String,
    name: String,
    description: String,
    geom: GeometryContainer<Point>,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    country_code: Option<String>,
    insee_code: Option<String>,
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    links: Vec<String>,
    opening_hours: Option<String>,
    tags: Vec<String>,
    category_slugs: Vec<String>,
    status: String,
    moderation: String,
    licence: Option<String>,
    attribution: Option<String>,
    last_confirmed_at: Option<DateTime<Utc>>,
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
    let row: DraftRow = initiatives::table
        .find(id)
        .select(DraftRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let geometry = geometry::from_postgis(&row.geom)
        .ok_or_else(|| StoreError::Corrupt("initiatives.geom of an unexpected type".into()))?;
    let draft = InitiativeDraft {
        name: Name::trusted(row.name),
        description: row.description,
        location: Location::from_stored(geometry),
        address: Address {
            street: row.street,
            postcode: row.postcode,
            city: row.city,
            country_code: row.country_code,
            insee_code: row.insee_code,
        },
        contact: Contact {
            website: row.website.map(WebUrl::trusted),
            email: row.email.map(Email::trusted),
            phone: row.phone.map(Phone::trusted),
            links: row.links.into_iter().map(WebUrl::trusted).collect(),
        },
        opening_hours: row.opening_hours.map(OpeningHours::trusted),
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
        diesel::update(initiatives::table.find(id))
            .set((
                Fields::of(&next),
                initiatives::version.eq(initiatives::version + 1),
                initiatives::updated_at.eq(diesel::dsl::now),
                // A person's correction outranks the feed until the next import (see `sync`).
                initiatives::person_edited_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
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
