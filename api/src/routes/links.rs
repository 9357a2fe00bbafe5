//! `/api/v1/initiatives/{key}/links`: typed links between initiatives (partner, member_of,
//! spin_off_of, shares_premises_with, supplies), read from both sides with inverse kinds.

use crate::auth::{Editor, MaybeCaller};
use crate::error::ApiError;
use crate::routes::initiatives::resolve_id;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::initiative::{self, Key, Representation};
use archipel_store::link::{self, Kind, LinkView, NewLink};
use archipel_store::revision::Author;
use archipel_store::{FieldError, StoreError, text};
use chrono::NaiveDate;
use diesel::PgConnection;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A link as an editor sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    to: String,
    kind: String,
    note: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

fn date(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let raw = raw?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "invalid_date",
                text!("a date is YYYY-MM-DD; got '{}'", raw; "une date s'écrit AAAA-MM-JJ ; reçu « {} »", raw),
            ));
            None
        }
    }
}

/// A checked link, `to` still a key (id or slug).
struct Checked {
    to: Key,
    kind: Kind,
    note: Option<String>,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
}

fn checked(input: &LinkInput) -> Result<Checked, ApiError> {
    let mut errors = Vec::new();
    let kind = Kind::parse(&input.kind);
    if kind.is_none() {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        errors.push(FieldError::new(
            "/kind",
            "unknown_kind",
            text!("'{}' is not a kind of link; kinds: {}", input.kind, known.join(", ");
                  "« {} » n'est pas un type de lien ; types : {}", input.kind, known.join(", ")),
        ));
    }
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        errors.push(FieldError::new(
            "/note",
            "too_long",
            text!("the note is limited to 1000 characters"; "la note est limitée à 1000 caractères"),
        ));
    }
    let since = date("/since", input.since.as_deref(), &mut errors);
    let until = date("/until", input.until.as_deref(), &mut errors);
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        errors.push(FieldError::new(
            "/until",
            "until_before_since",
            text!("until comes before since"; "until précède since"),
        ));
    }
    if input.to.trim().is_empty() {
        errors.push(FieldError::new(
            "/to",
            "unknown_initiative",
            text!("give the id of the initiative to link to"; "donnez l'identifiant de l'initiative à lier"),
        ));
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(Checked {
            to: Key::parse(input.to.trim()),
            kind,
            note: note.map(str::to_string),
            since,
            until,
        }),
        _ => Err(ApiError::Unprocessable(errors)),
    }
}

/// Link an initiative to another (editors). Both show the link: the other with the inverse kind
/// (`has_member`, `has_spin_off`, `supplied_by`; `partner` and `shares_premises_with` are
/// symmetric). A revision is recorded on both.
#[utoipa::path(
    post, path = "/api/v1/initiatives/{key}/links", tag = "initiatives",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    request_body(content = LinkInputDoc),
    responses(
        (status = 201, description = "Linked; the link as this initiative sees it", body = archipel_store::link::LinkView),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already linked so", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown kind, unknown or same initiative, bad dates", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add(
    state: web::Data<AppState>,
    editor: Editor,
    key: web::Path<String>,
    body: web::Json<LinkInput>,
) -> Result<HttpResponse, ApiError> {
    let checked = checked(&body)?;
    let from = resolve_id(&state, key.into_inner()).await?;
    let author = Author::person(editor.0.name);
    let view = state
        .db(move |conn| add_link(conn, from, checked, &author))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/initiatives/{from}/links/{}", view.id),
        ))
        .json(view))
}

/// Links initiative `from` (404 when it does not exist) to the checked link's target (422 when
/// that does not).
fn add_link(
    conn: &mut PgConnection,
    from: Uuid,
    checked: Checked,
    author: &Author,
) -> Result<LinkView, StoreError> {
    initiative::get(conn, &Key::Id(from), Representation::Json)?.ok_or(StoreError::NotFound)?;
    let Checked {
        to,
        kind,
        note,
        since,
        until,
    } = checked;
    let to = target(conn, to)?;
    let new = NewLink {
        to,
        kind,
        note,
        since,
        until,
    };
    link::add(conn, from, &new, author)
}

/// The id of the initiative a link goes to.
fn target(conn: &mut PgConnection, to: Key) -> Result<Uuid, StoreError> {
    if let Key::Id(id) = to {
        return Ok(id);
    }
    match initiative::get(conn, &to, Representation::Json)? {
        Some(found) => Ok(found.id),
        None => Err(StoreError::Invalid(vec![FieldError::new(
            "/to",
            "unknown_initiative",
            text!("no initiative has this id or slug"; "aucune initiative n'a cet identifiant"),
        )])),
    }
}

/// The links of an initiative, both those it names and those naming it (public: to published
/// initiatives only).
#[utoipa::path(
    get, path = "/api/v1/initiatives/{key}/links", tag = "initiatives",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    responses(
        (status = 200, description = "Links, oldest first", body = LinkListDoc),
        (status = 404, description = "No such (published) initiative", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = Key::parse(&key);
    let public = caller.0.is_none();
    let links = state
        .read(move |conn| {
            let found = initiative::get(conn, &key, Representation::Json)?
                .filter(|f| !public || f.is_published())
                .ok_or(StoreError::NotFound)?;
            link::list(conn, found.id, public)
        })
        .await?;
    let cache = if public {
        "public, max-age=60"
    } else {
        "private, no-store"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache))
        .json(json!({ "links": links })))
}

/// Remove a link (editors), from either of its initiatives; a revision is recorded on both.
#[utoipa::path(
    delete, path = "/api/v1/initiatives/{key}/links/{link_id}", tag = "initiatives",
    params(
        ("key" = String, Path, description = "The id or slug of either initiative of the link"),
        ("link_id" = i64, Path, description = "The link's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative, or no such live link of it", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, link_id) = path.into_inner();
    let link_id: i64 = link_id.parse().map_err(|_| ApiError::not_found())?;
    let id = resolve_id(&state, key).await?;
    let author = Author::person(editor.0.name);
    state
        .db(move |conn| link::remove(conn, id, link_id, &author))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every live link between published initiatives, as CSV (RFC 4180): `id,from_id,from_slug,kind,`
/// `to_id,to_slug,note,since,until,created_at` — `kind` as stored, from the `from` side.
#[utoipa::path(
    get, path = "/api/v1/export/links.csv", tag = "open data",
    responses((status = 200, description = "The links, oldest first", content_type = "text/csv"))
)]
pub async fn export_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let lines = state.read(link::csv_lines).await?;
    let mut body = String::with_capacity(64 + lines.iter().map(|l| l.len() + 2).sum::<usize>());
    body.push_str(link::CSV_HEADER);
    body.push_str("\r\n");
    for line in lines {
        body.push_str(&line);
        body.push_str("\r\n");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"links.csv\"",
        ))
        .body(body))
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

/// A link as an editor sends it.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct LinkInputDoc {
    /// The other initiative's id (or slug).
    to: String,
    #[schema(
        pattern = "^(partner|member_of|spin_off_of|shares_premises_with|supplies)$",
        example = "member_of"
    )]
    kind: String,
    /// At most 1000 characters.
    note: Option<String>,
    /// YYYY-MM-DD.
    since: Option<String>,
    /// YYYY-MM-DD, not before `since`.
    until: Option<String>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LinkListDoc {
    links: Vec<archipel_store::link::LinkView>,
}
