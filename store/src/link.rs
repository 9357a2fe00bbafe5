//! Typed links between initiatives: partners, members of a network, spin-offs, shared premises,
//! suppliers. A link is stored once, from one side; each side reads it with its own kind
//! (`member_of` from the member, `has_member` from the network). Adding or removing a link
//! writes a revision on both initiatives; a removed link keeps its row.

use crate::error::{FieldError, StoreError, StoreResult};
use crate::revision::{self, Action, Author};
use crate::statement::Statement;
use crate::text;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

/// The kind of a link, as stored (from the side that names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Partner,
    MemberOf,
    SpinOffOf,
    SharesPremisesWith,
    Supplies,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Partner,
        Kind::MemberOf,
        Kind::SpinOffOf,
        Kind::SharesPremisesWith,
        Kind::Supplies,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Partner => "partner",
            Kind::MemberOf => "member_of",
            Kind::SpinOffOf => "spin_off_of",
            Kind::SharesPremisesWith => "shares_premises_with",
            Kind::Supplies => "supplies",
        }
    }

    /// The kind as the other side reads it.
    pub fn inverse(self) -> &'static str {
        match self {
            Kind::Partner => "partner",
            Kind::MemberOf => "has_member",
            Kind::SpinOffOf => "has_spin_off",
            Kind::SharesPremisesWith => "shares_premises_with",
            Kind::Supplies => "supplied_by",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// The kinds of links as either side reads them.
pub fn read_kinds() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut kinds: Vec<&'static str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    for inverse in Kind::ALL.map(Kind::inverse) {
        if !kinds.contains(&inverse) {
            kinds.push(inverse);
        }
    }
    crate::openapi::one_of(kinds)
}

fn read_kind_list() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(read_kinds())
        .into()
}

fn directions() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::openapi::one_of(["outgoing", "incoming"])
}

/// A new link, checked by the caller (kind, note length, dates).
#[derive(Debug, Clone)]
pub struct NewLink {
    pub to: Uuid,
    pub kind: Kind,
    pub note: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// The other initiative of a link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LinkedInitiativeDoc)]
pub struct Other {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
}

/// A link as one of its initiatives sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InitiativeLinkDoc)]
pub struct LinkView {
    pub id: i64,
    /// From this initiative's side: `partner`, `member_of`, `has_member`, `spin_off_of`,
    /// `has_spin_off`, `shares_premises_with`, `supplies`, `supplied_by`.
    #[schema(schema_with = read_kinds)]
    pub kind: String,
    /// Whether this initiative named the link (`outgoing`) or the other one did.
    #[schema(schema_with = directions)]
    pub direction: &'static str,
    pub initiative: Other,
    /// At most 1000 characters.
    #[schema(required = true)]
    pub note: Option<String>,
    #[schema(required = true)]
    pub since: Option<NaiveDate>,
    /// Not before `since`.
    #[schema(required = true)]
    pub until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    outgoing: bool,
    #[diesel(sql_type = SqlUuid)]
    other_id: Uuid,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Double)]
    lon: f64,
    #[diesel(sql_type = Double)]
    lat: f64,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    since: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    until: Option<NaiveDate>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// The live links of an initiative, oldest first; `public`: only those to published initiatives.
pub fn list(conn: &mut PgConnection, id: Uuid, public: bool) -> StoreResult<Vec<LinkView>> {
    let mut st = Statement::new("SELECT l.id, l.kind, l.from_id = ");
    st.push_bind::<SqlUuid, _>(id);
    st.push_sql(
        " AS outgoing, o.id AS other_id, o.slug, o.name, ST_X(o.point) AS lon, ST_Y(o.point) AS lat,
                l.note, l.since, l.until, l.created_at
         FROM initiative_links l JOIN initiatives o
           ON o.id = CASE WHEN l.from_id = ",
    );
    st.push_bind::<SqlUuid, _>(id);
    st.push_sql(" THEN l.to_id ELSE l.from_id END WHERE l.removed_at IS NULL AND (l.from_id = ");
    st.push_bind::<SqlUuid, _>(id);
    st.push_sql(" OR l.to_id = ");
    st.push_bind::<SqlUuid, _>(id);
    st.push_sql(")");
    if public {
        st.push_sql(" AND o.moderation = 'published'");
    }
    st.push_sql(" ORDER BY l.id");
    let rows: Vec<LinkRow> = st.load(conn)?;
    rows.into_iter()
        .map(|r| {
            let kind = Kind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("link kind {}", r.kind)))?;
            Ok(LinkView {
                id: r.id,
                kind: if r.outgoing {
                    kind.as_str()
                } else {
                    kind.inverse()
                }
                .to_string(),
                direction: if r.outgoing { "outgoing" } else { "incoming" },
                initiative: Other {
                    id: r.other_id,
                    slug: r.slug,
                    name: r.name,
                    lon: r.lon,
                    lat: r.lat,
                },
                note: r.note,
                since: r.since,
                until: r.until,
                created_at: r.created_at,
            })
        })
        .collect()
}

#[derive(QueryableByName)]
struct Feature {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    feature: serde_json::Value,
}

/// The initiative's Feature with its links, for a revision.
fn snapshot(conn: &mut PgConnection, id: Uuid) -> StoreResult<serde_json::Value> {
    let mut feature: Feature =
        Statement::new("SELECT feature::jsonb AS feature FROM initiatives WHERE id = ")
            .bind::<SqlUuid, _>(id)
            .get_result(conn)?;
    let links: Vec<serde_json::Value> = list(conn, id, false)?
        .into_iter()
        .map(|l| serde_json::json!({"id": l.id, "kind": l.kind, "initiative": l.initiative.id}))
        .collect();
    if let Some(properties) = feature
        .feature
        .get_mut("properties")
        .and_then(|p| p.as_object_mut())
    {
        properties.insert("initiative_links".into(), links.into());
    }
    Ok(feature.feature)
}

/// Records `action` on both initiatives, between `before` snapshots and now.
fn record_both(
    conn: &mut PgConnection,
    ids: [Uuid; 2],
    before: [serde_json::Value; 2],
    action: Action,
    author: &Author,
    reason: &str,
) -> StoreResult<()> {
    for (id, before) in ids.into_iter().zip(before) {
        let after = snapshot(conn, id)?;
        revision::record(
            conn,
            id,
            action,
            author,
            Some(reason),
            Some(&before),
            &after,
        )?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

/// Links initiative `from` to `link.to`. Refused: a link to itself or to an unknown initiative
/// (field errors of `/to`), the same live link twice (a conflict).
pub fn add(
    conn: &mut PgConnection,
    from: Uuid,
    link: &NewLink,
    author: &Author,
) -> StoreResult<LinkView> {
    if from == link.to {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "/to",
            "self_link",
            text!("an initiative cannot be linked to itself"; "une initiative ne peut pas être liée à elle-même"),
        )]));
    }
    conn.transaction(|conn| {
        let known: Exists = Statement::new("SELECT EXISTS (SELECT 1 FROM initiatives WHERE id = ")
            .bind::<SqlUuid, _>(link.to)
            .sql(") AS exists")
            .get_result(conn)?;
        if !known.exists {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "/to",
                "unknown_initiative",
                text!("no initiative has the id {}", link.to; "aucune initiative n'a l'identifiant {}", link.to),
            )]));
        }
        // Both rows locked in a fixed order, so that concurrent links cannot deadlock.
        let mut ids = [from, link.to];
        ids.sort();
        Statement::new("SELECT id FROM initiatives WHERE id IN (")
            .bind::<SqlUuid, _>(ids[0])
            .sql(", ")
            .bind::<SqlUuid, _>(ids[1])
            .sql(") ORDER BY id FOR UPDATE")
            .execute(conn)?;
        let before = [snapshot(conn, from)?, snapshot(conn, link.to)?];
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let inserted: Option<Id> = Statement::new(
            "INSERT INTO initiative_links (from_id, to_id, kind, note, since, until, created_by) VALUES (",
        )
        .bind::<SqlUuid, _>(from)
        .sql(", ")
        .bind::<SqlUuid, _>(link.to)
        .sql(", ")
        .bind::<Text, _>(link.kind.as_str())
        .sql(", ")
        .bind::<Nullable<Text>, _>(link.note.clone())
        .sql(", ")
        .bind::<Nullable<Date>, _>(link.since)
        .sql(", ")
        .bind::<Nullable<Date>, _>(link.until)
        .sql(", ")
        .bind::<Text, _>(author.name.clone())
        .sql(") ON CONFLICT DO NOTHING RETURNING id")
        .get_result(conn)
        .optional()?;
        let Some(inserted) = inserted else {
            return Err(StoreError::Conflict(text!(
                "these initiatives are already linked as {}", link.kind.as_str();
                "ces initiatives sont déjà liées en tant que {}", link.kind.as_str())));
        };
        let reason = format!("link {} {} {}", link.kind.as_str(), from, link.to);
        record_both(conn, [from, link.to], before, Action::Link, author, &reason)?;
        list(conn, from, false)?
            .into_iter()
            .find(|l| l.id == inserted.id)
            .ok_or(StoreError::NotFound)
    })
}

#[derive(QueryableByName)]
struct Ends {
    #[diesel(sql_type = SqlUuid)]
    from_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    to_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// Removes live link `link_id` of initiative `id` (either side); [`StoreError::NotFound`]
/// when the initiative has no such live link.
pub fn remove(conn: &mut PgConnection, id: Uuid, link_id: i64, author: &Author) -> StoreResult<()> {
    conn.transaction(|conn| {
        let ends: Option<Ends> = Statement::new(
            "SELECT from_id, to_id, kind FROM initiative_links WHERE removed_at IS NULL AND id = ",
        )
        .bind::<BigInt, _>(link_id)
        .sql(" AND (from_id = ")
        .bind::<SqlUuid, _>(id)
        .sql(" OR to_id = ")
        .bind::<SqlUuid, _>(id)
        .sql(") FOR UPDATE")
        .get_result(conn)
        .optional()?;
        let Some(ends) = ends else {
            return Err(StoreError::NotFound);
        };
        let before = [snapshot(conn, ends.from_id)?, snapshot(conn, ends.to_id)?];
        Statement::new("UPDATE initiative_links SET removed_at = now(), removed_by = ")
            .bind::<Text, _>(author.name.clone())
            .sql(" WHERE id = ")
            .bind::<BigInt, _>(link_id)
            .execute(conn)?;
        let reason = format!("unlink {} {} {}", ends.kind, ends.from_id, ends.to_id);
        record_both(
            conn,
            [ends.from_id, ends.to_id],
            before,
            Action::Unlink,
            author,
            &reason,
        )
    })
}

/// An initiative of a territory with many links: a network, a hub.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
#[schema(as = NetworkHub)]
pub struct Hub {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Live links to published initiatives.
    #[diesel(sql_type = BigInt)]
    pub links: i64,
    /// The kinds of these links, from this initiative's side.
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    #[schema(schema_with = read_kind_list)]
    pub kinds: Vec<String>,
}

/// The published initiatives of a territory with the most links, most linked first.
pub fn hubs(
    conn: &mut PgConnection,
    territory: &crate::territory::TerritoryFilter,
    limit: i64,
) -> StoreResult<Vec<Hub>> {
    let mut st = Statement::new(
        "SELECT i.id, i.slug, i.name, count(*) AS links,
                array_agg(DISTINCT CASE WHEN l.from_id = i.id THEN l.kind
                                        ELSE CASE l.kind WHEN 'member_of' THEN 'has_member'
                                                         WHEN 'spin_off_of' THEN 'has_spin_off'
                                                         WHEN 'supplies' THEN 'supplied_by'
                                                         ELSE l.kind END END) AS kinds
         FROM initiatives i
         JOIN initiative_links l ON (l.from_id = i.id OR l.to_id = i.id) AND l.removed_at IS NULL
         JOIN initiatives o ON o.id = CASE WHEN l.from_id = i.id THEN l.to_id ELSE l.from_id END
                           AND o.moderation = 'published'
         WHERE i.moderation = 'published'",
    );
    territory.push(&mut st);
    st.push_sql(" GROUP BY i.id, i.slug, i.name ORDER BY count(*) DESC, i.name LIMIT ");
    st.push_bind::<BigInt, _>(limit);
    Ok(st.load(conn)?)
}

/// The live links between published initiatives, as CSV lines (RFC 4180, text quoted), oldest
/// first: `id,from_id,from_slug,kind,to_id,to_slug,note,since,until,created_at`.
pub fn csv_lines(conn: &mut PgConnection) -> StoreResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let q = |e: &str| format!("'\"' || replace(coalesce({e}, ''), '\"', '\"\"') || '\"'");
    let sql = format!(
        "SELECT concat_ws(',', l.id::text, f.id::text, {}, {}, t.id::text, {}, {}, coalesce(l.since::text, ''),
                coalesce(l.until::text, ''), to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) AS line
         FROM initiative_links l
         JOIN initiatives f ON f.id = l.from_id AND f.moderation = 'published'
         JOIN initiatives t ON t.id = l.to_id AND t.moderation = 'published'
         WHERE l.removed_at IS NULL ORDER BY l.id",
        q("f.slug"),
        q("l.kind"),
        q("t.slug"),
        q("l.note"),
    );
    let lines: Vec<Line> = diesel::sql_query(sql).load(conn)?;
    Ok(lines.into_iter().map(|l| l.line).collect())
}

/// The header of [`csv_lines`].
pub const CSV_HEADER: &str = "id,from_id,from_slug,kind,to_id,to_slug,note,since,until,created_at";
