//! `/api/v1/initiatives…`: list, read, create, correct, archive, merge, history.

use crate::auth::{self, Editor, MaybeCaller, Moderator};
use crate::conditional;
use crate::error::ApiError;
use crate::extract::{Body, Params};
use crate::input::{self, InitiativeBody};
use crate::list_params::{self, ListRequest};
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::domain::Moderation;
use archipel_store::initiative::{self, Found, Key, Representation};
use archipel_store::listing::{self, Page};
use archipel_store::merge::{self, MergeField};
use archipel_store::revision::{self, Action, Author};
use archipel_store::token::Caller;
use archipel_store::{StoreError, text};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const GEOJSON: &str = "application/geo+json";

/// Base URL for links: the configured public URL, else the request's scheme and host — the
/// `Host` header (or, behind a trusted proxy, its forwarded host and scheme) when it has the
/// shape of a host name or address with an optional port; otherwise links are relative, so a
/// forged header never puts another site into our responses.
pub fn base_url(req: &HttpRequest, state: &AppState) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let (scheme, host) = if state.settings.trust_forwarded {
        let info = req.connection_info();
        (info.scheme().to_string(), info.host().to_string())
    } else {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        ("http".to_string(), host.to_string())
    };
    if matches!(scheme.as_str(), "http" | "https") && is_host(&host) {
        format!("{scheme}://{host}")
    } else {
        String::new()
    }
}

/// `name`, `name:port`, `192.0.2.1:8080`, `[2001:db8::1]:8080`: letters, digits, dots, hyphens,
/// and a port of digits.
fn is_host(raw: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = raw.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        return v6.parse::<std::net::Ipv6Addr>().is_ok()
            && (after.is_empty() || after.strip_prefix(':').is_some_and(digits));
    }
    let name = match raw.rsplit_once(':') {
        Some((name, port)) if digits(port) => name,
        Some(_) => return false,
        None => raw,
    };
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn next_link(
    req: &HttpRequest,
    state: &AppState,
    pairs: &[(String, String)],
    page: &Page,
) -> Option<String> {
    let cursor = page.next.as_ref()?.encode();
    let mut query: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "cursor")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    query.push(("cursor", &cursor));
    let encoded = serde_urlencoded::to_string(&query).ok()?;
    Some(format!("{}{}?{encoded}", base_url(req, state), req.path()))
}

async fn fetch_page(
    state: &AppState,
    request: ListRequest,
    repr: Representation,
) -> Result<Page, ApiError> {
    let ListRequest {
        mut query,
        category_slugs,
        territory,
        ..
    } = request;
    let outcome = state
        .read(move |conn| {
            (query.category_ids, query.territory) =
                list_params::resolve_filters(conn, &category_slugs, territory.as_ref())?;
            Ok(listing::list(conn, &query, repr))
        })
        .await?;
    match outcome {
        Ok(page) => Ok(page),
        Err(StoreError::Invalid(errors)) if errors.iter().any(|e| e.field == "cursor") => Err(
            ApiError::bad_request("invalid_cursor", errors[0].message.clone()),
        ),
        Err(other) => Err(other.into()),
    }
}

/// One page of a listing and the link to the next: unpublished states are for editors only.
async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    caller: &MaybeCaller,
    mut request: ListRequest,
    repr: Representation,
) -> Result<(Page, Option<String>), ApiError> {
    if request.wants_unpublished && caller.0.is_none() {
        return Err(ApiError::Unauthorized(text!(
            "only editors can list initiatives that are not published; send an editor token";
            "seuls les éditeurs peuvent lister les initiatives non publiées ; envoyez un jeton d'éditeur")));
    }
    let pairs = std::mem::take(&mut request.pairs);
    let page = fetch_page(state, request, repr).await?;
    let next = next_link(req, state, &pairs, &page);
    Ok((page, next))
}

/// List initiatives as JSON.
#[utoipa::path(
    get, path = "/api/v1/initiatives", tag = "initiatives",
    params(crate::schemas::ListParamsDoc),
    responses(
        (status = 200, description = "One page of initiatives", body = crate::schemas::InitiativeListDoc),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unpublished states asked for without a token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeCaller,
    Params(request): Params<ListRequest>,
) -> Result<HttpResponse, ApiError> {
    let (page, next) = list_page(&req, &state, &caller, request, Representation::Json).await?;
    let mut body = String::with_capacity(page.items.len() + 256);
    body.push_str("{\"items\":[");
    body.push_str(&page.items);
    body.push_str("],\"number_returned\":");
    body.push_str(&page.returned.to_string());
    body.push_str(",\"next\":");
    body.push_str(&serde_json::to_string(&next).unwrap_or_else(|_| "null".into()));
    body.push('}');
    Ok(page_response(next.as_deref(), "application/json", body))
}

/// List initiatives as a GeoJSON FeatureCollection (RFC 7946).
#[utoipa::path(
    get, path = "/api/v1/initiatives.geojson", tag = "initiatives",
    params(crate::schemas::ListParamsDoc),
    responses(
        (status = 200, description = "One page of initiatives", body = crate::schemas::FeatureCollectionDoc, content_type = "application/geo+json"),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeCaller,
    Params(request): Params<ListRequest>,
) -> Result<HttpResponse, ApiError> {
    let (page, next) = list_page(&req, &state, &caller, request, Representation::Feature).await?;
    let mut body = String::with_capacity(page.items.len() + 512);
    body.push_str("{\"type\":\"FeatureCollection\",\"numberReturned\":");
    body.push_str(&page.returned.to_string());
    body.push_str(",\"links\":[");
    if let Some(next) = &next {
        body.push_str("{\"rel\":\"next\",\"type\":\"application/geo+json\",\"href\":");
        body.push_str(&serde_json::to_string(next).unwrap_or_default());
        body.push('}');
    }
    body.push_str("],\"features\":[");
    body.push_str(&page.items);
    body.push_str("]}");
    Ok(page_response(next.as_deref(), GEOJSON, body))
}

fn page_response(next: Option<&str>, content_type: &'static str, body: String) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type(content_type);
    if let Some(next) = next {
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    response.body(body)
}

fn wants_geojson(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|m| {
                m.trim().starts_with(GEOJSON)
                    && !m.contains("q=0,")
                    && !m.trim_end().ends_with("q=0")
            })
        })
}

fn etag(found: &Found, repr: Representation) -> String {
    match repr {
        Representation::Json => format!("\"{}.json\"", found.version),
        Representation::Feature | Representation::FeatureIn(_) => {
            format!("\"{}.geojson\"", found.version)
        }
    }
}

fn visible(found: &Found, caller: &Option<Caller>) -> Result<(), ApiError> {
    let moderation = found.moderation()?;
    if moderation == Moderation::Published || caller.is_some() {
        return Ok(());
    }
    if matches!(moderation, Moderation::Archived | Moderation::Withdrawn) {
        return Err(ApiError::Gone(text!(
            "this initiative has been archived, or has left the open-data source it came from";
            "cette initiative a été archivée, ou a quitté la source de données ouvertes dont elle venait")));
    }
    Err(ApiError::not_found())
}

/// Read one initiative by id or slug, as JSON or as a GeoJSON Feature (`Accept: application/geo+json`
/// or the `.geojson` suffix).
#[utoipa::path(
    get, path = "/api/v1/initiatives/{key}", tag = "initiatives",
    params(("key" = String, Path, description = "The initiative's id (UUID) or slug; add `.geojson` for a GeoJSON Feature")),
    responses(
        (status = 200, description = "The initiative", body = crate::schemas::InitiativeDoc,
         headers(("ETag" = String, description = "Version of the initiative, for If-None-Match and If-Match"))),
        (status = 301, description = "The initiative was merged into another one: `Location` is the kept one's address (same form and query string), for good",
         headers(("Location" = String, description = "The kept initiative's URL"))),
        (status = 304, description = "Not modified since the ETag given in If-None-Match"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The initiative was archived", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_one(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeCaller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (raw, suffix) = match key.strip_suffix(".geojson") {
        Some(raw) => (raw.to_string(), ".geojson"),
        None => (key.into_inner(), ""),
    };
    let repr = if suffix.is_empty() && !wants_geojson(&req) {
        Representation::Json
    } else {
        Representation::Feature
    };
    let key = Key::parse(&raw);
    let found = state
        .read(move |conn| initiative::get(conn, &key, repr))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(into) = found.merged_into {
        let path = format!("/api/v1/initiatives/{into}{suffix}");
        return Ok(moved_permanently(&req, &state, &path));
    }
    visible(&found, &caller.0)?;
    let cache = if found.is_published() {
        "public, no-cache"
    } else {
        "private, no-cache"
    };
    let headers = [(header::CACHE_CONTROL, cache), (header::VARY, "Accept")];
    let content_type = match repr {
        Representation::Json => "application/json",
        Representation::Feature | Representation::FeatureIn(_) => GEOJSON,
    };
    let tag = etag(&found, repr);
    Ok(conditional::respond(
        &req,
        tag,
        &headers,
        content_type,
        found.body,
    ))
}

/// `301 Moved Permanently` to `path` on this server, with the request's query string: where a
/// merged initiative lives on.
pub fn moved_permanently(req: &HttpRequest, state: &AppState, path: &str) -> HttpResponse {
    let query = req.query_string();
    let separator = if query.is_empty() { "" } else { "?" };
    HttpResponse::MovedPermanently()
        .insert_header((
            header::LOCATION,
            format!("{}{path}{separator}{query}", base_url(req, state)),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::VARY, "Accept"))
        .finish()
}

/// An initiative as just written, in `repr`, with its ETag and the `headers` given: 200, or 201
/// with `location` for a creation.
pub async fn written(
    state: &AppState,
    id: uuid::Uuid,
    repr: Representation,
    location: Option<String>,
    headers: &[(&'static str, String)],
) -> Result<HttpResponse, ApiError> {
    let found = state
        .db(move |conn| initiative::get(conn, &Key::Id(id), repr))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut response = match location {
        Some(location) => {
            let mut created = HttpResponse::Created();
            created.insert_header((header::LOCATION, location));
            created
        }
        None => HttpResponse::Ok(),
    };
    for header in headers {
        response.insert_header(header.clone());
    }
    let content_type = match repr {
        Representation::Json => "application/json",
        Representation::Feature | Representation::FeatureIn(_) => GEOJSON,
    };
    Ok(response
        .insert_header((header::ETAG, etag(&found, repr)))
        .content_type(content_type)
        .body(found.body))
}

async fn written_response(
    state: &AppState,
    id: uuid::Uuid,
    created: bool,
) -> Result<HttpResponse, ApiError> {
    let location = created.then(|| format!("/api/v1/initiatives/{id}"));
    written(state, id, Representation::Json, location, &[]).await
}

/// Create an initiative (editor token).
#[utoipa::path(
    post, path = "/api/v1/initiatives", tag = "initiatives",
    request_body(description = "The new initiative; `name` and a location are required", content((crate::schemas::InitiativeCreateDoc = "application/json"), (crate::schemas::FeatureCreateDoc = "application/geo+json"))),
    responses(
        (status = 201, description = "Created", body = crate::schemas::InitiativeDoc),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    editor: Editor,
    Body(body): Body<InitiativeBody>,
) -> Result<HttpResponse, ApiError> {
    let id = create_from(&state, editor, &body).await?;
    written_response(&state, id, true).await
}

/// Creates an initiative from a request body (the JSON representation or a GeoJSON Feature).
pub(crate) async fn create_from(
    state: &AppState,
    editor: Editor,
    body: &InitiativeBody,
) -> Result<uuid::Uuid, ApiError> {
    let changes = body.changes()?;
    let reason = changes.reason.clone();
    let draft = changes.into_draft().map_err(ApiError::Unprocessable)?;
    auth::place_within_scope(state, &editor.0, &draft.location).await?;
    let author = Author::person(editor.0.name);
    let written = state
        .db(move |conn| initiative::create(conn, &draft, &author, reason.as_deref()))
        .await?;
    Ok(written.id)
}

pub(crate) async fn resolve_id(state: &AppState, raw: String) -> Result<uuid::Uuid, ApiError> {
    let key = Key::parse(&raw);
    if let Key::Id(id) = key {
        return Ok(id);
    }
    state
        .db(move |conn| initiative::get(conn, &key, Representation::Json))
        .await?
        .map(|found| found.id)
        .ok_or_else(ApiError::not_found)
}

/// Correct an initiative (editor): a JSON Merge Patch of its JSON representation.
///
/// A moderator may change only `moderation` (with a `reason`): publish or reject a suggestion.
#[utoipa::path(
    patch, path = "/api/v1/initiatives/{key}", tag = "initiatives",
    params(
        ("key" = String, Path, description = "The initiative's id or slug"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a newer stored version gives 412"),
    ),
    request_body(description = "Members to change; null clears an optional member", content((crate::schemas::InitiativeInputDoc = "application/merge-patch+json"), (crate::schemas::FeatureInputDoc = "application/geo+json"))),
    responses(
        (status = 200, description = "The corrected initiative", body = crate::schemas::InitiativeDoc),
        (status = 403, description = "A moderator changing more than `moderation`, or a change made with a session without its CSRF token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The initiative was merged into another one: change that one", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Moderator,
    key: web::Path<String>,
    Body(body): Body<InitiativeBody>,
) -> Result<HttpResponse, ApiError> {
    let id = resolve_id(&state, key.into_inner()).await?;
    correct(&req, &state, editor, id, &body, Write::Patch).await?;
    written_response(&state, id, false).await
}

/// How a write changes an initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// JSON Merge Patch: absent members stay.
    Patch,
    /// The whole initiative (PUT): absent members are cleared.
    Replace,
}

/// Corrects initiative `id` with a request body; a moderator may only change `moderation`.
pub(crate) async fn correct(
    req: &HttpRequest,
    state: &AppState,
    editor: Moderator,
    id: uuid::Uuid,
    body: &InitiativeBody,
    write: Write,
) -> Result<(), ApiError> {
    if write == Write::Replace {
        auth::require_editor(&editor.0)?;
    }
    auth::moderator_may_only_moderate(&editor.0, &body.0)?;
    let changes = body.changes()?;
    auth::within_scope(state, &editor.0, id).await?;
    if let Some(moved) = changes.location() {
        auth::place_within_scope(state, &editor.0, moved).await?;
    }
    let expected = conditional::if_match_version(req)?;
    let author = Author::person(editor.0.name);
    state
        .db(move |conn| {
            let reason = changes.reason.clone();
            initiative::update(
                conn,
                id,
                expected,
                &author,
                reason.as_deref(),
                Action::Update,
                |draft| match write {
                    Write::Patch => Ok(changes.apply(draft)),
                    Write::Replace => changes.replacing(&draft),
                },
            )
        })
        .await?;
    Ok(())
}

/// Archive an initiative (editor token). Nothing is deleted: it leaves the public lists and map and
/// keeps its history; publishing it again restores it.
#[utoipa::path(
    delete, path = "/api/v1/initiatives/{key}", tag = "initiatives",
    params(
        ("key" = String, Path, description = "The initiative's id or slug"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a newer stored version gives 412"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The initiative was merged into another one: change that one", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = resolve_id(&state, key.into_inner()).await?;
    archive_by(&req, &state, editor, id).await
}

/// Archives initiative `id` (`X-Reason` says why): 204.
pub(crate) async fn archive_by(
    req: &HttpRequest,
    state: &AppState,
    editor: Editor,
    id: uuid::Uuid,
) -> Result<HttpResponse, ApiError> {
    let expected = conditional::if_match_version(req)?;
    auth::within_scope(state, &editor.0, id).await?;
    let author = Author::person(editor.0.name);
    let reason = req
        .headers()
        .get("X-Reason")
        .and_then(|v| v.to_str().ok())
        .map(|r| r.chars().take(500).collect::<String>());
    let written = state
        .db(move |conn| initiative::archive(conn, id, expected, &author, reason.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::ETAG, format!("\"{}.json\"", written.version)))
        .finish())
}

/// Which value the kept initiative ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Pick {
    Kept,
    Merged,
}

/// The body of a merge.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The initiative to keep (id, or slug); no NUL character (400).
    #[schema(pattern = r"^[^\u0000]*$")]
    into: String,
    #[serde(default)]
    #[schema(value_type = MergeFieldsDoc, example = json!({"website": "merged"}))]
    fields: BTreeMap<MergeField, Option<Pick>>,
    /// Why, kept in the revision; no NUL character (400).
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    reason: Option<String>,
}

/// Values the kept initiative takes from the merged one (`"merged"`); by default (`"kept"`, or
/// null) it keeps its own: one member per `MergeField` of the store.
pub struct MergeFieldsDoc;

impl utoipa::PartialSchema for MergeFieldsDoc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let pick = json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Pick"}]});
        let properties: serde_json::Map<String, serde_json::Value> = MergeField::names()
            .into_iter()
            .map(|name| (name.to_string(), pick.clone()))
            .collect();
        serde_json::from_value(json!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        }))
        .expect("a schema utoipa reads")
    }
}

impl utoipa::ToSchema for MergeFieldsDoc {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push(("Pick".into(), Pick::schema()));
    }
}

/// Merge an initiative into another one (editor): they are one place.
///
/// `{key}` leaves every list, tile and export, its id and slug answer 301 to the kept one for
/// good, the change feed says `merged` (with `merged_into`), its history shows under the kept
/// one's, and later imports of its record update the kept one. The kept one keeps its own values
/// except those `fields` takes from the merged one.
#[utoipa::path(
    post, path = "/api/v1/initiatives/{key}/merge", tag = "initiatives",
    params(("key" = String, Path, description = "The id or slug of the initiative merged away")),
    request_body(content = MergeRequest, description = "The initiative to keep"),
    responses(
        (status = 200, description = "The kept initiative", body = crate::schemas::InitiativeDoc),
        (status = 400, description = "Malformed JSON, or an unknown member", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor, or a session without its CSRF token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`{key}` or `into` names no initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`{key}` was merged already", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`into` is `{key}` itself, a merged initiative, or an unpublished one while `{key}` is published", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn merge(
    state: web::Data<AppState>,
    editor: Editor,
    key: web::Path<String>,
    body: web::Json<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let MergeRequest {
        into,
        fields,
        reason,
    } = body.into_inner();
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::Unprocessable(vec![
            archipel_store::FieldError::new(
                "/reason",
                "too_long",
                text!("500 characters at most"; "500 caractères au plus"),
            ),
        ]));
    }
    let take: Vec<MergeField> = (fields.into_iter())
        .filter_map(|(field, pick)| (pick == Some(Pick::Merged)).then_some(field))
        .collect();
    let id = resolve_id(&state, key.into_inner()).await?;
    auth::within_scope(&state, &editor.0, id).await?;
    if !editor.0.territories.is_empty() {
        let kept = resolve_id(&state, into.clone()).await?;
        auth::within_scope(&state, &editor.0, kept).await?;
    }
    let author = Author::person(editor.0.name);
    let into = Key::parse(&into);
    let kept = state
        .db(move |conn| merge::merge(conn, id, &into, &author, reason.as_deref(), &take))
        .await?;
    written_response(&state, kept.id, false).await
}

/// The history of an initiative and of those merged into it, oldest first (editors only).
///
/// Who changed what, when and why; a `merge` names the initiative absorbed (`merged_from`).
///
/// The history holds what was true before: values removed since (a contact that asked to be
/// taken off, a draft never published), so it is not public; the public representations carry
/// `updated_at`, the date of the last change.
#[utoipa::path(
    get, path = "/api/v1/initiatives/{key}/revisions", tag = "initiatives",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    responses(
        (status = 200, description = "Revisions, oldest first", body = RevisionListDoc),
        (status = 401, description = "No or unknown token: the history is for editors", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revisions(
    state: web::Data<AppState>,
    _moderator: Moderator,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = Key::parse(&key);
    let history = state
        .db(move |conn| {
            let Some(found) = initiative::get(conn, &key, Representation::Json)? else {
                return Err(StoreError::NotFound);
            };
            revision::list(conn, found.id)
        })
        .await?;
    let mut response = HttpResponse::Ok();
    response.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ));
    Ok(response.json(serde_json::json!({ "revisions": history })))
}

/// `?reason=` of a restore.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RestoreParams {
    /// Why the version is restored (kept in the new revision; at most 500 characters).
    #[param(pattern = r"^[^\u0000]*$")]
    pub reason: Option<String>,
}

/// Restore a version (editor): a new revision brings back the values that revision `revision_id`
/// left. The moderation state stays as it is (publishing and archiving are acts of their own).
#[utoipa::path(
    post, path = "/api/v1/initiatives/{key}/revisions/{revision_id}/restore", tag = "initiatives",
    params(
        ("key" = String, Path, description = "The initiative's id or slug"),
        ("revision_id" = i64, Path, description = "The revision whose values to bring back"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a newer stored version gives 412"),
        RestoreParams,
    ),
    responses(
        (status = 200, description = "The initiative with the restored values (unchanged, and no revision written, when they are the current ones)", body = crate::schemas::InitiativeDoc),
        (status = 403, description = "Not an editor, or a change made with a session without its CSRF token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative, or no such revision of it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The old values are no longer valid (e.g. a category since removed), each listed in `errors`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(String, i64)>,
    params: web::Query<RestoreParams>,
) -> Result<HttpResponse, ApiError> {
    let (key, revision_id) = path.into_inner();
    // What the database would refuse later, refused before anything else is looked at.
    let reason = params.into_inner().reason(revision_id)?;
    let id = resolve_id(&state, key).await?;
    auth::within_scope(&state, &editor.0, id).await?;
    let changes = restored_values(&state, id, revision_id).await?;
    let expected = conditional::if_match_version(&req)?;
    let author = Author::person(editor.0.name);
    state
        .db(move |conn| {
            initiative::update(
                conn,
                id,
                expected,
                &author,
                Some(&reason),
                Action::Restore,
                |draft| changes.replacing(&draft),
            )
        })
        .await?;
    written_response(&state, id, false).await
}

impl RestoreParams {
    /// The reason to record: the one given (trimmed, at most 500 characters) or "restored
    /// revision N"; a NUL character is refused (400).
    fn reason(self, revision_id: i64) -> Result<String, ApiError> {
        match self.reason {
            Some(r) if r.contains('\0') => Err(ApiError::bad_request(
                "invalid_text",
                text!("a value of this request contains a NUL character, which text may not hold";
                      "une valeur de cette requête contient un caractère NUL, interdit dans un texte"),
            )),
            Some(r) if !r.trim().is_empty() => Ok(r.trim().chars().take(500).collect()),
            _ => Ok(format!("restored revision {revision_id}")),
        }
    }
}

/// The values revision `revision_id` left, as changes to write (its moderation state left out).
async fn restored_values(
    state: &AppState,
    id: uuid::Uuid,
    revision_id: i64,
) -> Result<input::Changes, ApiError> {
    let mut feature = state
        .db(move |conn| revision::state_after(conn, id, revision_id))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(text!(
                "this initiative has no revision {}", revision_id;
                "cette initiative n'a pas de révision {}", revision_id))
        })?;
    if let Some(properties) = feature.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("moderation");
    }
    input::parse(&feature).map_err(ApiError::Unprocessable)
}

/// Paging of the initiatives to check.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ToCheckParams {
    /// Not confirmed for this many months (1 to 120, default 12).
    #[param(minimum = 1, maximum = 120)]
    pub months: Option<u32>,
    /// At most 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Skip this many.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// What `to_check` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ToCheckList {
    /// The cut-off: initiatives last confirmed (or created, never confirmed) before it.
    before: chrono::DateTime<chrono::Utc>,
    initiatives: Vec<archipel_store::to_check::ToCheck>,
}

/// Initiatives to check (editor): published ones nobody has confirmed as still active for
/// `months` months (never confirmed ones count from their creation), the longest first.
/// Confirming one is `PATCH /api/v1/initiatives/{key}` with `{"last_confirmed_at": "<now>"}`.
#[utoipa::path(
    get, path = "/api/v1/to-check", tag = "initiatives",
    params(ToCheckParams),
    responses(
        (status = 200, description = "Initiatives to check, the longest unconfirmed first", body = ToCheckList),
        (status = 403, description = "Not an editor", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn to_check(
    state: web::Data<AppState>,
    _editor: Editor,
    params: web::Query<ToCheckParams>,
) -> Result<HttpResponse, ApiError> {
    let ToCheckParams {
        months,
        limit,
        offset,
    } = params.into_inner();
    let months = months.unwrap_or(12);
    let limit = limit.unwrap_or(100);
    let offset = offset.unwrap_or(0);
    if !(1..=120).contains(&months) || !(1..=500).contains(&limit) || offset < 0 {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            text!(
                "months is 1 to 120, limit 1 to 500, offset 0 or more";
                "months va de 1 à 120, limit de 1 à 500, offset de 0 ou plus"),
        ));
    }
    let before = chrono::Utc::now()
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or_default();
    let items = state
        .db(move |conn| archipel_store::to_check::list(conn, before, limit, offset))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(serde_json::json!({ "before": before, "initiatives": items })))
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RevisionListDoc {
    revisions: Vec<archipel_store::revision::Revision>,
}

#[cfg(test)]
mod tests {
    use super::is_host;

    #[test]
    fn only_host_shaped_values_make_links() {
        for good in [
            "carte.example.fr",
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "evil.example/x?",
            "a b",
            "x.org:80:80",
            "[zz]:1",
            "x.org:port",
            "ex@mple.org",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }
}
