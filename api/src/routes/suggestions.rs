//! What visitors of the map send: new initiatives to add, corrections to existing ones. Both wait
//! for an editor; both are protected by a honeypot field and a per-address rate limit.

use crate::auth::Moderator;
use crate::client;
use crate::error::ApiError;
use crate::extract::{Body, Deferred, FromBody, FromQuery, Pairs, Params};
use crate::input;
use crate::lang::Lang;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::domain::{Email, Moderation, parse_long_text};
use archipel_store::form_limit::{self, Verdict};
use archipel_store::initiative::{self, InitiativeDraft, Key, Representation};
use archipel_store::{FieldError, Text, report, suggestion, text};
use serde_json::{Value, json};

/// Refuses bots: the form's hidden `honeypot` field is filled only by programs.
fn screen(body: &mut Value) -> Result<(), ApiError> {
    let trapped = body
        .as_object_mut()
        .and_then(|o| o.remove("honeypot"))
        .is_some_and(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()));
    if trapped {
        return Err(ApiError::bad_request(
            "rejected_as_spam",
            text!(
            "this submission looks automated and was not recorded";
            "cet envoi semble automatique et n'a pas été enregistré"),
        ));
    }
    Ok(())
}

/// Counts a valid submission against its client network's allowance and everyone's hourly one
/// (invalid ones never count, so a person correcting a form is not locked out). The counts live
/// in PostgreSQL, shared by every API process.
async fn admit(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let key = client::network(client::address(req, state.settings.trust_forwarded)).to_string();
    let allowance = form_limit::Allowance {
        per_client: state.settings.form_limit as i64,
        window: state.settings.form_window,
        per_hour: state.settings.form_limit_per_hour as i64,
    };
    let verdict = state
        .db(move |conn| form_limit::admit(conn, &key, allowance))
        .await?;
    let minutes = |wait: std::time::Duration| wait.as_secs().div_ceil(60).max(1);
    match verdict {
        Verdict::Admitted => Ok(()),
        Verdict::ClientOver(wait) => Err(ApiError::TooManyRequests {
            message: text!(
                "thank you for your contributions! To protect the map from spam, please wait {} minute(s) before sending another", minutes(wait);
                "merci pour vos contributions ! Pour protéger la carte du spam, merci d'attendre {} minute(s) avant le prochain envoi", minutes(wait)),
            retry_after: wait.as_secs().max(1),
        }),
        Verdict::AllOver(wait) => Err(ApiError::TooManyRequests {
            message: text!(
                "the map receives unusually many contributions right now; please try again in {} minute(s)", minutes(wait);
                "la carte reçoit en ce moment un nombre inhabituel de contributions ; merci de réessayer dans {} minute(s)", minutes(wait)),
            retry_after: wait.as_secs().max(1),
        }),
    }
}

fn take_email(body: &mut Value, key: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = body.as_object_mut().and_then(|o| o.remove(key)) else {
        return Ok(None);
    };
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Email::parse(&format!("/{key}"), &s)
            .map(|e| Some(e.as_str().to_string()))
            .map_err(|e| ApiError::Unprocessable(vec![e])),
        _ => Err(ApiError::Unprocessable(vec![FieldError::new(
            format!("/{key}"),
            "wrong_type",
            text!("expected a string"; "attendu : une chaîne de caractères"),
        )])),
    }
}

/// What `suggest` answers.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SuggestionReceipt {
    /// The new initiative's id.
    id: uuid::Uuid,
    #[schema(pattern = "^pending$")]
    moderation: String,
    /// Thanks, in the request's language.
    message: String,
}

/// Suggest a new initiative. It is stored as `pending`: not on the public map until an editor
/// publishes it.
#[utoipa::path(
    post, path = "/api/v1/suggestions", tag = "contributions",
    request_body(content = crate::schemas::SuggestionInputDoc, description = "The initiative (without the members editors set), plus optional `submitter_email` and the form's `honeypot` (must stay empty)"),
    responses(
        (status = 201, description = "Recorded, waiting for an editor", body = SuggestionReceipt),
        (status = 400, description = "Malformed body or filled honeypot", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this address", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(
    req: HttpRequest,
    state: web::Data<AppState>,
    Body(Suggestion { draft, submitter }): Body<Suggestion>,
) -> Result<HttpResponse, ApiError> {
    admit(&req, &state).await?;
    // The submitter's e-mail goes to the private `suggestions` table only: never into the
    // initiative, its revisions or anything public.
    let written = state
        .db(move |conn| suggestion::create(conn, &draft, submitter.as_deref()))
        .await?;
    let thanks = text!(
        "Thank you! Your suggestion will appear on the map once an editor has checked it.";
        "Merci ! Votre suggestion apparaîtra sur la carte dès qu'un éditeur l'aura vérifiée.");
    Ok(receipt(
        &req,
        json!({ "id": written.id, "moderation": "pending" }),
        &thanks,
    ))
}

/// A suggestion's body: the new initiative, pending, and who to answer.
pub struct Suggestion {
    draft: InitiativeDraft,
    submitter: Option<String>,
}

impl FromBody for Suggestion {
    fn from_json(mut body: Value) -> Result<Self, ApiError> {
        screen(&mut body)?;
        let submitter = take_email(&mut body, "submitter_email")?;
        if let Some(object) = body.as_object() {
            let forbidden: Vec<FieldError> = object
                .keys()
                .filter(|k| input::EDITOR_ONLY.contains(&k.as_str()))
                .map(|k| FieldError::new(format!("/{k}"), "unknown_field", text!(
                    "'{}' is set by editors, not in suggestions", k; "« {} » est fixé par les éditeurs, pas dans les suggestions", k)))
                .collect();
            if !forbidden.is_empty() {
                return Err(ApiError::Unprocessable(forbidden));
            }
        }
        let mut draft = input::parse(&body)
            .and_then(input::Changes::into_draft)
            .map_err(ApiError::Unprocessable)?;
        draft.moderation = Moderation::Pending;
        Ok(Suggestion { draft, submitter })
    }
}

/// A 201 receipt of a contribution: `body` and the thanks, in the request's language.
fn receipt(req: &HttpRequest, mut body: Value, thanks: &Text) -> HttpResponse {
    let lang = Lang::from_request(req.headers(), req.query_string());
    body["message"] = thanks.get(lang.code()).into();
    HttpResponse::Created()
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .json(body)
}

/// What `list_suggestions` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SuggestionList {
    suggestions: Vec<suggestion::PendingSuggestion>,
}

/// Suggestions waiting for an editor, oldest first, with the submitter's e-mail when they gave
/// one (editors only: it is never shown to the public).
#[utoipa::path(
    get, path = "/api/v1/suggestions", tag = "contributions",
    responses(
        (status = 200, description = "Pending suggestions, oldest first", body = SuggestionList),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_suggestions(
    state: web::Data<AppState>,
    _moderator: Moderator,
) -> Result<HttpResponse, ApiError> {
    let pending = state.db(|conn| suggestion::pending(conn, 500)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(json!({ "suggestions": pending })))
}

/// What `report_correction` answers.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportReceipt {
    /// The report's id.
    id: i64,
    #[schema(pattern = "^pending$")]
    status: String,
    /// Thanks, in the request's language.
    message: String,
}

/// Report a correction to a published initiative (what is wrong, in a few words).
#[utoipa::path(
    post, path = "/api/v1/initiatives/{key}/reports", tag = "contributions",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    request_body(content = ReportInputDoc),
    responses(
        (status = 201, description = "Recorded, waiting for an editor", body = ReportReceipt),
        (status = 404, description = "No such published initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this address", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report_correction(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    Body(Report { message, email }): Body<Report>,
) -> Result<HttpResponse, ApiError> {
    admit(&req, &state).await?;
    let key = Key::parse(&key);
    let id = state
        .db(move |conn| {
            let Some(found) =
                initiative::get(conn, &key, Representation::Json)?.filter(|f| f.is_published())
            else {
                return Ok(None);
            };
            report::create(conn, found.id, &message, email.as_deref()).map(Some)
        })
        .await?
        .ok_or_else(ApiError::not_found)?;
    let thanks = text!("Thank you! An editor will look at your report."; "Merci ! Un éditeur va examiner votre signalement.");
    Ok(receipt(
        &req,
        json!({ "id": id, "status": "pending" }),
        &thanks,
    ))
}

/// A report's body: what is wrong, and who to answer.
pub struct Report {
    message: String,
    email: Option<String>,
}

impl FromBody for Report {
    fn from_json(mut body: Value) -> Result<Self, ApiError> {
        screen(&mut body)?;
        let email = take_email(&mut body, "email")?;
        let mut errors = Vec::new();
        let message = report_message(&mut body, &mut errors);
        if let Some(object) = body.as_object() {
            for k in object.keys() {
                errors.push(FieldError::new(
                    format!("/{k}"),
                    "unknown_field",
                    text!(
                    "'{}' is not a field of a report; known fields: message, email", k;
                    "« {} » n'est pas un champ d'un signalement ; champs connus : message, email", k),
                ));
            }
        }
        match message.filter(|_| errors.is_empty()) {
            Some(message) => Ok(Report { message, email }),
            None => Err(ApiError::Unprocessable(errors)),
        }
    }
}

/// Takes the report's `message` out of `body` (required, at most 2000 characters).
fn report_message(body: &mut Value, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.as_object_mut().and_then(|o| o.remove("message")) {
        Some(Value::String(m)) if !m.trim().is_empty() => parse_long_text("/message", &m, 2000)
            .map_err(|e| errors.push(e))
            .ok(),
        _ => {
            errors.push(FieldError::new("/message", "required", text!(
                "say in a few words what should be corrected"; "dites en quelques mots ce qu'il faut corriger")));
            None
        }
    }
}

fn parse_status(
    raw: Option<&str>,
    allowed: &[&'static str],
    default: &'static str,
) -> Result<&'static str, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    allowed.iter().copied().find(|s| *s == raw).ok_or_else(|| {
        ApiError::bad_request("invalid_status", text!(
            "status must be one of: {}", allowed.join(", "); "status doit être l'un de : {}", allowed.join(", ")))
    })
}

/// `status` of the reports listed (pending by default); other parameters are ignored.
pub struct ReportQuery {
    status: &'static str,
}

impl FromQuery for ReportQuery {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let raw = pairs
            .iter()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.as_str());
        let status = parse_status(raw, &["pending", "resolved", "rejected"], "pending")?;
        Ok(ReportQuery { status })
    }
}

/// What `list_reports` sends.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportList {
    reports: Vec<report::Report>,
}

/// Reports waiting for an editor (or in another `status`).
#[utoipa::path(
    get, path = "/api/v1/reports", tag = "contributions",
    params(("status" = Option<String>, Query, description = "pending (default), resolved or rejected", pattern = "^(pending|resolved|rejected)$")),
    responses((status = 200, description = "Reports, oldest first", body = ReportList)),
    security(("bearer" = []))
)]
pub async fn list_reports(
    state: web::Data<AppState>,
    _moderator: Moderator,
    Params(ReportQuery { status }): Params<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let reports = state
        .db(move |conn| report::list(conn, status, 500))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(json!({ "reports": reports })))
}

/// Close a report: `{"status": "resolved"}` or `{"status": "rejected"}`.
#[utoipa::path(
    patch, path = "/api/v1/reports/{id}", tag = "contributions",
    params(("id" = i64, Path, description = "The report's id")),
    request_body(content = ReportClosingDoc),
    responses((status = 204, description = "Closed"), (status = 404, description = "No such report", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn close_report(
    state: web::Data<AppState>,
    _moderator: Moderator,
    id: web::Path<i64>,
    body: Deferred<Closing>,
) -> Result<HttpResponse, ApiError> {
    let Closing { status } = body.parse()?;
    let id = id.into_inner();
    if !state
        .db(move |conn| report::close(conn, id, status))
        .await?
    {
        return Err(ApiError::NotFound(
            text!("no report has this id"; "aucun signalement n'a cet identifiant"),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// How a report is closed: `resolved` or `rejected`.
pub struct Closing {
    status: &'static str,
}

impl FromBody for Closing {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        let raw = body.get("status").and_then(Value::as_str);
        let status = parse_status(raw.or(Some("")), &["resolved", "rejected"], "resolved")?;
        Ok(Closing { status })
    }
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

/// A report as a visitor sends it.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReportInputDoc {
    /// What should be corrected: 1 to 2000 characters.
    #[schema(max_length = 2000, pattern = r"[^\s\u0000-\u001f\u007f-\u009f]")]
    message: String,
    /// To be answered (blank: no answer).
    #[schema(
        max_length = 254,
        pattern = r#"^\s*$|^\s*[^\s\u0000-\u001f\u007f-\u009f<>()\[\],;:"@]{1,64}@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+\s*$"#
    )]
    email: Option<String>,
    /// The form's trap for robots: must stay blank.
    #[schema(pattern = r"^\s*$")]
    honeypot: Option<String>,
}

/// A status to set: `status` names it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportClosingDoc {
    #[schema(pattern = "^(resolved|rejected)$")]
    status: String,
}
