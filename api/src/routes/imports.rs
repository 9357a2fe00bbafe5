//! Sources, import runs, conflicts and duplicate candidates: the authority's import desk.

use crate::auth::{Admin, Editor};
use crate::error::ApiError;
use crate::extract::{Deferred, FromBody, FromQuery, Pairs, Params};
use crate::input;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_importer::run::{self, Outcome};
use archipel_importer::{ImportError, RunOptions, Silent};
use archipel_store::FieldError;
use archipel_store::initiative;
use archipel_store::revision::{Action, Author};
use archipel_store::{duplicate, import_run, source, text};
use diesel::Connection;
use serde_json::{Value, json};
use std::sync::Arc;

fn import_error(err: ImportError) -> ApiError {
    match err {
        ImportError::UnknownSource(id) => ApiError::NotFound(text!(
            "there is no source '{}'", id; "il n'y a pas de source « {} »", id)),
        ImportError::AlreadyRunning(id) => ApiError::Conflict(text!(
            "an import of '{}' is already running; follow it in its run", id;
            "un import de « {} » est déjà en cours ; suivez-le dans son exécution", id)),
        ImportError::Store(e) => e.into(),
        ImportError::Mapping { detail, .. } => ApiError::Unprocessable(vec![FieldError::new(
            "/mapping",
            "invalid_mapping",
            text!("this mapping cannot be used: {}", detail; "cette correspondance est inutilisable : {}", detail),
        )]),
        other => ApiError::Internal(other.to_string()),
    }
}

/// What a dry run answers: what a run would do, nothing written.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DryRun {
    source_id: String,
    /// Null: nothing is stored.
    #[schema(required = true)]
    run_id: Option<i64>,
    status: import_run::RunStatus,
    dry_run: bool,
    counts: import_run::Counts,
    #[schema(required = true)]
    error: Option<String>,
    /// The first records refused.
    rejects: Vec<import_run::NewReject>,
}

fn outcome_json(outcome: &Outcome) -> Value {
    serde_json::to_value(DryRun {
        source_id: outcome.source_id.clone(),
        run_id: outcome.run_id,
        status: outcome.status,
        dry_run: outcome.dry_run,
        counts: outcome.counts,
        error: outcome.error.clone(),
        rejects: outcome.rejects.clone(),
    })
    .unwrap_or_default()
}

/// What `list_sources` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SourceList {
    sources: Vec<source::Source>,
}

/// Every source with its last run.
#[utoipa::path(get, path = "/api/v1/sources", tag = "imports",
    responses((status = 200, description = "Sources", body = SourceList), (status = 403, description = "Not an admin token", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_sources(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let sources = state.db(source::list).await?;
    Ok(HttpResponse::Ok().json(json!({ "sources": sources })))
}

/// A dry run's optional body: a mapping to preview instead of the source's own.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    /// The mapping to try (same shape as a source's `mapping`); nothing is declared or written.
    #[schema(value_type = Object)]
    pub mapping: serde_json::Map<String, Value>,
}

/// `?dry_run=true|false`, the only parameter of a run.
pub struct RunParams(RunOptions);

impl FromQuery for RunParams {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        run_options(&pairs).map(RunParams)
    }
}

fn run_options(query: &[(String, String)]) -> Result<RunOptions, ApiError> {
    let mut dry_run = false;
    for (key, value) in query {
        match (key.as_str(), value.as_str()) {
            ("dry_run", "true" | "1") => dry_run = true,
            ("dry_run", "false" | "0") => dry_run = false,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_parameter",
                    text!(
                    "the only parameter is dry_run=true|false"; "le seul paramètre est dry_run=true|false"),
                ));
            }
        }
    }
    Ok(RunOptions {
        dry_run,
        trigger: "api".into(),
    })
}

impl Preview {
    /// The mapping a run's body asks to preview: none for an empty or `null` body; 400 for a
    /// malformed one, or one sent without `dry_run=true`.
    fn of(body: &[u8], dry_run: bool) -> Result<Option<Value>, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        // `null` is no mapping, as no body is.
        let preview: Option<Preview> = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                text!("the body, when given, is {{\"mapping\": {{…}}}}: {}", e;
                      "le corps, s'il y en a un, est {{\"mapping\": {{…}}}} : {}", e),
            )
        })?;
        let Some(preview) = preview else {
            return Ok(None);
        };
        if !dry_run {
            return Err(ApiError::bad_request(
                "preview_needs_dry_run",
                text!("a mapping in the body is previewed by a dry run: add dry_run=true (to change the mapping for good, declare the source again)";
                      "une correspondance dans le corps se prévisualise par un essai : ajoutez dry_run=true (pour la changer vraiment, déclarez à nouveau la source)"),
            ));
        }
        Ok(Some(Value::Object(preview.mapping)))
    }
}

/// Starts a run of source `id`, with `mapping` instead of the source's own when given (its
/// categories checked against the directory's first).
async fn start(
    state: &AppState,
    id: &str,
    options: RunOptions,
    mapping: Option<Value>,
) -> Result<run::Started, ApiError> {
    let unknown = match &mapping {
        Some(mapping) => {
            let slugs = run::mapping_categories(mapping);
            state
                .db(move |conn| archipel_store::category::unknown_slugs(conn, &slugs))
                .await?
        }
        None => Vec::new(),
    };
    let started = run::start(&state.pool, state.fetcher.clone(), id, options)
        .await
        .map_err(import_error)?;
    match mapping {
        Some(mapping) => started
            .preview_mapping(mapping, &unknown)
            .map_err(import_error),
        None => Ok(started),
    }
}

/// Import a source now. The run goes on in the background: follow it at the `Location` given.
/// With `?dry_run=true` the answer waits and reports what would change, writing nothing; a body
/// `{"mapping": {…}}` then previews that mapping instead of the source's own.
#[utoipa::path(post, path = "/api/v1/sources/{id}/runs", tag = "imports",
    params(("id" = String, Path, description = "The source's id"), ("dry_run" = Option<bool>, Query, description = "Report only, write nothing")),
    request_body(content = Option<Preview>, description = "With dry_run=true only: a mapping to preview", content_type = "application/json"),
    responses(
        (status = 202, description = "Started; see Location"),
        (status = 200, description = "Dry run report", body = DryRun),
        (status = 400, description = "An unknown parameter, a malformed body, or a mapping without dry_run", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already running", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The mapping to preview is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn start_run(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<String>,
    Params(RunParams(options)): Params<RunParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let dry_run = options.dry_run;
    let preview = Preview::of(&body, dry_run)?;
    let started = start(&state, &id, options, preview).await?;
    if dry_run {
        let outcome = started.finish(Arc::new(Silent)).await;
        return Ok(HttpResponse::Ok().json(outcome_json(&outcome)));
    }
    let run_id = started.run_id();
    actix_web::rt::spawn(async move {
        let outcome = started.finish(Arc::new(Silent)).await;
        tracing::info!(source.id = %outcome.source_id, run.id = ?outcome.run_id, "{}", run::summary(&outcome).en);
    });
    let location = run_id
        .map(|r| format!("/api/v1/import-runs/{r}"))
        .unwrap_or_default();
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location.clone()))
        .json(json!({ "run_id": run_id, "status": "running", "href": location })))
}

/// What `list_runs` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RunList {
    runs: Vec<import_run::Run>,
}

/// The recent runs of a source.
#[utoipa::path(get, path = "/api/v1/sources/{id}/runs", tag = "imports",
    params(("id" = String, Path, description = "The source's id")),
    responses((status = 200, description = "Runs, newest first", body = RunList)),
    security(("bearer" = [])))]
pub async fn list_runs(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let runs = state
        .db(move |conn| {
            if source::get(conn, &id)?.is_none() {
                return Ok(None);
            }
            import_run::list(conn, &id, 50).map(Some)
        })
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(text!("there is no such source"; "cette source n'existe pas"))
        })?;
    Ok(HttpResponse::Ok().json(json!({ "runs": runs })))
}

/// One run: its counts, the records it refused (with reasons) and the conflicts it recorded.
#[utoipa::path(get, path = "/api/v1/import-runs/{id}", tag = "imports",
    params(("id" = i64, Path, description = "The run's id")),
    responses((status = 200, description = "The run's report", body = import_run::RunReport), (status = 404, description = "No such run", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_run(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let report = state
        .db(move |conn| import_run::report(conn, id))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(text!("there is no such run"; "cette exécution n'existe pas"))
        })?;
    Ok(HttpResponse::Ok().json(report))
}

/// What `list_conflicts` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ConflictList {
    conflicts: Vec<import_run::Conflict>,
}

/// Conflicts still open: a feed changed what a person had corrected.
#[utoipa::path(get, path = "/api/v1/import-conflicts", tag = "imports",
    responses((status = 200, description = "Open conflicts, oldest first", body = ConflictList)),
    security(("bearer" = [])))]
pub async fn list_conflicts(
    state: web::Data<AppState>,
    _editor: Editor,
) -> Result<HttpResponse, ApiError> {
    let conflicts = state
        .db(|conn| import_run::open_conflicts(conn, 500))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "conflicts": conflicts })))
}

/// Close a conflict: `{"status": "resolved"}` keeps the directory's values (ours);
/// `{"status": "resolved", "keep": "feed"}` first takes the feed's values of the fields in
/// conflict (a new revision by the caller).
#[utoipa::path(patch, path = "/api/v1/import-conflicts/{id}", tag = "imports",
    params(("id" = i64, Path, description = "The conflict's id")),
    request_body(content = ResolutionDoc),
    responses(
        (status = 204, description = "Resolved"),
        (status = 404, description = "No such conflict", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`keep: feed` on a conflict already resolved", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither status resolved nor keep ours|feed, or the feed's values are not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn resolve_conflict(
    state: web::Data<AppState>,
    editor: Editor,
    id: web::Path<i64>,
    body: Deferred<Resolution>,
) -> Result<HttpResponse, ApiError> {
    let Resolution { take_feed } = body.parse()?;
    let id = id.into_inner();
    if take_feed {
        take_feed_values(&state, editor, id).await?;
    } else if !state
        .db(move |conn| import_run::resolve_conflict(conn, id))
        .await?
    {
        return Err(no_such_conflict());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// How a conflict is closed: `{"status": "resolved"}`, keeping the directory's values or
/// (`"keep": "feed"`) taking the feed's.
pub struct Resolution {
    take_feed: bool,
}

impl FromBody for Resolution {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        let take_feed = match body.get("keep").map(Value::as_str) {
            None | Some(Some("ours")) => false,
            Some(Some("feed")) => true,
            _ => {
                return Err(ApiError::Unprocessable(vec![FieldError::new(
                    "/keep",
                    "invalid_keep",
                    text!("keep is 'ours' or 'feed'"; "keep vaut « ours » ou « feed »"),
                )]));
            }
        };
        if body.get("status").and_then(Value::as_str) != Some("resolved") {
            return Err(ApiError::Unprocessable(vec![FieldError::new(
                "/status",
                "invalid_status",
                text!(
                "send {{\"status\": \"resolved\"}}"; "envoyez {{\"status\": \"resolved\"}}"),
            )]));
        }
        Ok(Resolution { take_feed })
    }
}

fn no_such_conflict() -> ApiError {
    ApiError::NotFound(text!("there is no such conflict"; "ce conflit n'existe pas"))
}

/// Resolves open conflict `id` by writing the feed's values of its fields (a new revision by
/// the editor): 404 without such a conflict, 409 when it is already resolved, 422 when the
/// values are not valid.
async fn take_feed_values(state: &AppState, editor: Editor, id: i64) -> Result<(), ApiError> {
    let conflict = state
        .db(move |conn| import_run::conflict(conn, id))
        .await?
        .ok_or_else(no_such_conflict)?;
    if conflict.status != "open" {
        return Err(ApiError::Conflict(text!(
            "this conflict is already resolved"; "ce conflit est déjà résolu")));
    }
    let changes = input::parse(&feed_values(&conflict)).map_err(ApiError::Unprocessable)?;
    let author = Author::person(editor.0.name);
    let reason = format!("took the feed's values (import conflict {id})");
    let initiative_id = conflict.initiative_id;
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                initiative::update(
                    conn,
                    initiative_id,
                    None,
                    &author,
                    Some(&reason),
                    Action::Update,
                    |draft| Ok(changes.apply(draft)),
                )?;
                import_run::resolve_conflict(conn, id)
            })
        })
        .await?;
    Ok(())
}

/// The feed's values of the fields in conflict, as a GeoJSON Feature to write.
fn feed_values(conflict: &import_run::Conflict) -> Value {
    let mut properties = serde_json::Map::new();
    let mut geometry = None;
    for field in &conflict.fields {
        let value = conflict.incoming.get(field).cloned().unwrap_or(Value::Null);
        if field == "geometry" {
            geometry = Some(value);
        } else {
            properties.insert(field.clone(), value);
        }
    }
    let mut feature = json!({ "type": "Feature", "properties": properties });
    if let Some(geometry) = geometry {
        feature["geometry"] = geometry;
    }
    feature
}

/// `status`, `limit` and `offset` of the duplicate candidates.
pub struct DuplicateQuery {
    status: String,
    limit: i64,
    offset: i64,
}

impl FromQuery for DuplicateQuery {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let mut q = DuplicateQuery {
            status: "open".to_string(),
            limit: 100,
            offset: 0,
        };
        for (key, value) in &pairs {
            let number = || value.parse::<i64>().ok().filter(|n| *n >= 0);
            match key.as_str() {
                "status" if ["open", "dismissed", "confirmed"].contains(&value.as_str()) => {
                    q.status = value.clone()
                }
                "limit" if number().is_some_and(|n| n >= 1) => {
                    q.limit = number().unwrap_or(100).min(1000)
                }
                "offset" if number().is_some() => q.offset = number().unwrap_or(0),
                _ => {
                    return Err(ApiError::bad_request(
                        "invalid_parameter",
                        text!(
                        "'{}={}' is not understood; use status=open|dismissed|confirmed, limit (1 to 1000), offset", key, value;
                        "« {}={} » n'est pas compris ; utilisez status=open|dismissed|confirmed, limit (1 à 1000), offset", key, value),
                    ));
                }
            }
        }
        Ok(q)
    }
}

/// What `list_duplicates` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DuplicateList {
    duplicates: Vec<duplicate::DuplicateCandidate>,
}

/// Pairs that may be the same place, best score first, with their reasons.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "imports",
    params(
        ("status" = Option<String>, Query, description = "open (default), dismissed or confirmed", pattern = "^(open|dismissed|confirmed)$"),
        ("limit" = Option<i64>, Query, description = "Default 100; larger than 1000 is reduced to 1000", minimum = 1),
        ("offset" = Option<i64>, Query, description = "Skip this many", minimum = 0),
    ),
    responses((status = 200, description = "Duplicate candidates", body = DuplicateList)),
    security(("bearer" = [])))]
pub async fn list_duplicates(
    state: web::Data<AppState>,
    _editor: Editor,
    Params(DuplicateQuery {
        status,
        limit,
        offset,
    }): Params<DuplicateQuery>,
) -> Result<HttpResponse, ApiError> {
    let candidates = state
        .db(move |conn| duplicate::list(conn, &status, limit, offset))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "duplicates": candidates })))
}

/// Judge a candidate: `{"status": "dismissed"}` (two places) or `{"status": "confirmed"}` (one).
#[utoipa::path(patch, path = "/api/v1/duplicates/{id}", tag = "imports",
    params(("id" = i64, Path, description = "The candidate's id")),
    request_body(content = JudgementDoc),
    responses((status = 204, description = "Recorded"), (status = 404, description = "No such candidate", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn judge_duplicate(
    state: web::Data<AppState>,
    _editor: Editor,
    id: web::Path<i64>,
    body: Deferred<Judgement>,
) -> Result<HttpResponse, ApiError> {
    let Judgement { status } = body.parse()?;
    let id = id.into_inner();
    if !state
        .db(move |conn| duplicate::judge(conn, id, &status))
        .await?
    {
        return Err(ApiError::NotFound(
            text!("there is no such candidate"; "ce candidat n'existe pas"),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A judgement of a duplicate candidate: `dismissed`, `confirmed` or (again) `open`.
pub struct Judgement {
    status: String,
}

impl FromBody for Judgement {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        match body.get("status").and_then(Value::as_str) {
            Some(s @ ("dismissed" | "confirmed" | "open")) => Ok(Judgement {
                status: s.to_string(),
            }),
            _ => Err(ApiError::Unprocessable(vec![FieldError::new(
                "/status",
                "invalid_status",
                text!(
                "status must be dismissed, confirmed or open"; "status doit être dismissed, confirmed ou open"),
            )])),
        }
    }
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

/// A judgement of a duplicate candidate.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct JudgementDoc {
    /// `dismissed` (two places), `confirmed` (one) or `open` again.
    #[schema(pattern = "^(dismissed|confirmed|open)$")]
    status: String,
}

/// The resolution of an import conflict.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ResolutionDoc {
    #[schema(pattern = "^resolved$")]
    status: String,
    /// `ours` (default: the directory's values) or `feed` (the feed's values of the fields in conflict).
    #[schema(pattern = "^(ours|feed)$", required = false)]
    keep: String,
}
