//! Merging two initiatives that are one place: the merged one becomes `merged` (it leaves every
//! list, tile, export and the change feed, as `merged`, through the triggers), `initiative_merges`
//! remembers where it went — so its id and slug redirect to the kept one, its history shows under
//! the kept one's, and an import of its record updates the kept one (`sync`) — and the kept one
//! gets a `merge` revision naming it.
//!
//! The kept initiative keeps its own values unless the request picks some of the merged one's
//! ([`MergeField`]). Chains resolve at once: `into_id` is always the final initiative.

use crate::domain::Moderation;
use crate::error::{FieldError, StoreError, StoreResult};
use crate::fields::{FIELDS, Field, Group};
use crate::initiative::{self, InitiativeDraft, Key, Written};
use crate::revision::{self, Author};
use crate::schema::initiatives;
use crate::statement::Statement;
use crate::text;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use serde::Deserialize;
use uuid::Uuid;

/// A value, or group of values, the kept initiative may take from the merged one: one of the
/// members named here, or an attribute (see `fields`) outside the address.
#[derive(Debug, Clone, Copy)]
pub enum MergeField {
    Description,
    Location,
    /// Every attribute of the address together.
    Address,
    Links,
    Tags,
    Categories,
    Attribute(&'static Field),
}

const MEMBERS: &[(&str, MergeField)] = &[
    ("description", MergeField::Description),
    ("location", MergeField::Location),
    ("address", MergeField::Address),
    ("links", MergeField::Links),
    ("tags", MergeField::Tags),
    ("categories", MergeField::Categories),
];

impl MergeField {
    /// Every name a merge request may use, in order.
    pub fn names() -> Vec<&'static str> {
        let attributes = FIELDS
            .iter()
            .filter(|f| f.group != Group::Address)
            .map(|f| f.name);
        MEMBERS
            .iter()
            .map(|(name, _)| *name)
            .chain(attributes)
            .collect()
    }

    pub fn parse(name: &str) -> Option<Self> {
        match MEMBERS.iter().find(|(n, _)| *n == name) {
            Some((_, field)) => Some(*field),
            None => Field::named(name)
                .filter(|f| f.group != Group::Address)
                .map(MergeField::Attribute),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MergeField::Attribute(field) => field.name,
            member => MEMBERS
                .iter()
                .find(|(_, m)| std::mem::discriminant(m) == std::mem::discriminant(&member))
                .map(|(name, _)| *name)
                .expect("every member is named"),
        }
    }

    /// Copies this field's value from `merged` into `kept`.
    fn take(self, kept: &mut InitiativeDraft, merged: &InitiativeDraft) {
        match self {
            MergeField::Description => kept.description.clone_from(&merged.description),
            MergeField::Location => kept.location = merged.location.clone(),
            MergeField::Address => {
                for field in Field::of(Group::Address) {
                    let value = merged.attributes.get(field.name).map(str::to_string);
                    kept.attributes.set(field, value);
                }
            }
            MergeField::Links => kept.links.clone_from(&merged.links),
            MergeField::Tags => kept.tags.clone_from(&merged.tags),
            MergeField::Categories => kept.categories.clone_from(&merged.categories),
            MergeField::Attribute(field) => {
                let value = merged.attributes.get(field.name).map(str::to_string);
                kept.attributes.set(field, value);
            }
        }
    }
}

impl PartialEq for MergeField {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}
impl Eq for MergeField {}
impl PartialOrd for MergeField {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MergeField {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl<'de> Deserialize<'de> for MergeField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        MergeField::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown field `{name}`, expected one of {}",
                MergeField::names().join(", ")
            ))
        })
    }
}

/// The id of the initiative `key` names, if any.
fn find_id(conn: &mut PgConnection, key: &Key) -> StoreResult<Option<Uuid>> {
    let query = initiatives::table.select(initiatives::id).into_boxed();
    let query = match key {
        Key::Id(id) => query.filter(initiatives::id.eq(*id)),
        Key::Slug(slug) => query.filter(initiatives::slug.eq(slug.clone())),
    };
    Ok(query.first(conn).optional()?)
}

fn into_error(code: &'static str, message: text::Text) -> StoreError {
    StoreError::Invalid(vec![FieldError::new("/into", code, message)])
}

/// Merges initiative `merged_id` into the one `into` names, on behalf of `author`; `take` lists
/// the values the kept one takes from the merged one. Fails with [`StoreError::NotFound`] when
/// `merged_id` or `into` names no initiative, [`StoreError::Conflict`] when `merged_id` is merged
/// already, and [`StoreError::Invalid`] (on `/into`) when `into` is `merged_id` itself, is merged
/// already, or is not published while the merged one is.
pub fn merge(
    conn: &mut PgConnection,
    merged_id: Uuid,
    into: &Key,
    author: &Author,
    reason: Option<&str>,
    take: &[MergeField],
) -> StoreResult<Written> {
    conn.transaction(|conn| {
        let kept_id = find_id(conn, into)?.ok_or(StoreError::NotFound)?;
        if kept_id == merged_id {
            return Err(into_error(
                "merge_into_itself",
                text!("an initiative cannot be merged into itself"; "une initiative ne peut pas être fusionnée avec elle-même"),
            ));
        }
        // Both rows locked, always in the same order, so two crossed merges cannot deadlock.
        let (first, second) = (merged_id.min(kept_id), merged_id.max(kept_id));
        let a = initiative::load_for_update(conn, first)?;
        let b = initiative::load_for_update(conn, second)?;
        let ((merged, _, _), (kept, kept_slug, kept_version)) =
            if first == merged_id { (a, b) } else { (b, a) };
        if merged.moderation == Moderation::Merged {
            return Err(initiative::merged_conflict());
        }
        if kept.moderation == Moderation::Merged {
            return Err(into_error(
                "merged_already",
                text!("the initiative to keep was itself merged into another one: merge into that one";
                      "l'initiative à garder a elle-même été fusionnée avec une autre : fusionnez avec celle-là"),
            ));
        }
        if merged.moderation == Moderation::Published && kept.moderation != Moderation::Published {
            return Err(into_error(
                "not_published",
                text!("the initiative to keep is not published while the merged one is: publish it first, so the public is not sent to a page it cannot see";
                      "l'initiative à garder n'est pas publiée alors que l'autre l'est : publiez-la d'abord, pour ne pas renvoyer le public vers une page qu'il ne peut pas voir"),
            ));
        }
        let mut next = kept.clone();
        for field in take {
            field.take(&mut next, &merged);
        }
        initiative::check_categories(conn, &next)?;
        let before = initiative::snapshot(conn, kept_id)?;
        record_alias(conn, merged_id, kept_id, author, reason)?;
        diesel::update(initiatives::table.find(merged_id))
            .set((
                initiatives::moderation.eq(Moderation::Merged.as_str()),
                initiatives::version.eq(initiatives::version + 1),
                initiatives::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        let took_values = next != kept;
        // Values a person chose outrank the feed until the next import (see `sync`).
        initiative::write_draft(conn, kept_id, &next, took_values)?;
        let after = initiative::snapshot(conn, kept_id)?;
        revision::record_merge(conn, kept_id, merged_id, author, reason, &before, &after)?;
        confirm_duplicate(conn, merged_id, kept_id)?;
        Ok(Written {
            id: kept_id,
            slug: kept_slug,
            version: kept_version + 1,
            changed: true,
        })
    })
}

/// Remembers where `merged_id` went, and re-points what was merged into it before (chains end
/// on the final initiative). Written before the merged row changes: the change feed's trigger
/// reads it.
fn record_alias(
    conn: &mut PgConnection,
    merged_id: Uuid,
    kept_id: Uuid,
    author: &Author,
    reason: Option<&str>,
) -> StoreResult<()> {
    Statement::new(
        "INSERT INTO initiative_merges (merged_id, into_id, merged_by, reason) VALUES (",
    )
    .bind::<SqlUuid, _>(merged_id)
    .sql(", ")
    .bind::<SqlUuid, _>(kept_id)
    .sql(", ")
    .bind::<Text, _>(author.name.clone())
    .sql(", ")
    .bind::<Nullable<Text>, _>(reason.map(str::to_string))
    .sql(")")
    .execute(conn)?;
    Statement::new("UPDATE initiative_merges SET into_id = ")
        .bind::<SqlUuid, _>(kept_id)
        .sql(" WHERE into_id = ")
        .bind::<SqlUuid, _>(merged_id)
        .execute(conn)?;
    Ok(())
}

/// The duplicate candidate naming both initiatives, if any, is settled: they were one place.
fn confirm_duplicate(conn: &mut PgConnection, one: Uuid, other: Uuid) -> StoreResult<()> {
    Statement::new("UPDATE duplicate_candidates SET status = 'confirmed' WHERE initiative_a = ")
        .bind::<SqlUuid, _>(one.min(other))
        .sql(" AND initiative_b = ")
        .bind::<SqlUuid, _>(one.max(other))
        .execute(conn)?;
    Ok(())
}
