//! One error type for the whole API, rendered as RFC 9457 `application/problem+json` in the
//! caller's language. Internal details of a 5xx go to the log, never to the client.

use crate::lang::Lang;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use archipel_store::error::Fault;
use archipel_store::{FieldError, StoreError, Text, text};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// `Retry-After` of a 503 caused by the database: it restarts or frees up within seconds.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {message:?}")]
    BadRequest { code: &'static str, message: Text },
    #[error("unauthorized")]
    Unauthorized(Text),
    #[error("forbidden")]
    Forbidden(Text),
    #[error("not found")]
    NotFound(Text),
    #[error("gone")]
    Gone(Text),
    #[error("conflict")]
    Conflict(Text),
    #[error("precondition failed")]
    PreconditionFailed(Text),
    #[error("payload too large")]
    PayloadTooLarge(Text),
    #[error("unsupported media type")]
    UnsupportedMediaType(Text),
    #[error("not acceptable")]
    NotAcceptable(Text),
    #[error("unprocessable: {0:?}")]
    Unprocessable(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { message: Text, retry_after: u64 },
    /// The database is unreachable or restarting (the detail goes to the log).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The service cannot take this now (a time-out, every export slot taken): try later.
    #[error("busy: {code}")]
    Busy {
        code: &'static str,
        message: Text,
        retry_after: u64,
    },
    #[error("not ready")]
    NotReady(Text),
    #[error("internal: {0}")]
    Internal(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status and `code` say what kind of problem this is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do, in the request's language.
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_bbox`.
    pub code: String,
    /// Field-level problems of a 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON pointer of the field in the request body, or the name of a query parameter.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: Text) -> Self {
        ApiError::BadRequest { code, message }
    }

    pub fn not_found() -> Self {
        ApiError::NotFound(
            text!("no initiative has this id or slug"; "aucune initiative n'a cet identifiant ou ce nom court"),
        )
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        ApiError::Internal(context.to_string())
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Gone(_) => "gone",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "stale_version",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::Unprocessable(_) => "validation_failed",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Busy { code, .. } => code,
            ApiError::NotReady(_) => "not_ready",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The problem document in `lang`.
    pub fn problem(&self, lang: Lang) -> Problem {
        let l = lang.code();
        let detail = match self {
            ApiError::BadRequest { message, .. }
            | ApiError::Unauthorized(message)
            | ApiError::Forbidden(message)
            | ApiError::NotFound(message)
            | ApiError::Gone(message)
            | ApiError::Conflict(message)
            | ApiError::PreconditionFailed(message)
            | ApiError::PayloadTooLarge(message)
            | ApiError::UnsupportedMediaType(message)
            | ApiError::NotAcceptable(message)
            | ApiError::TooManyRequests { message, .. }
            | ApiError::Busy { message, .. }
            | ApiError::NotReady(message) => message.get(l).to_string(),
            ApiError::Unprocessable(errors) => {
                let text = text!("{} field(s) need correcting; see 'errors'", errors.len();
                                 "{} champ(s) à corriger ; voir « errors »", errors.len());
                text.get(l).to_string()
            }
            ApiError::Unavailable(_) => text!("the database is unavailable; try again in a moment";
                                              "la base de données est indisponible ; réessayez dans un instant")
            .get(l)
            .to_string(),
            ApiError::Internal(_) => text!("something went wrong on our side; it has been logged";
                                           "une erreur s'est produite de notre côté ; elle a été consignée")
            .get(l)
            .to_string(),
        };
        let errors = match self {
            ApiError::Unprocessable(errors) => errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.code.to_string(),
                    message: e.message.get(l).to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let status = self.status_code();
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            errors,
        }
    }

    /// Seconds after which trying again makes sense, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after, .. } | ApiError::Busy { retry_after, .. } => {
                Some(*retry_after)
            }
            ApiError::Unavailable(_) | ApiError::NotReady(_) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type(PROBLEM_JSON)
            .insert_header((header::CONTENT_LANGUAGE, lang.code()))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"archipel\""));
        }
        response.body(serde_json::to_string(&self.problem(lang)).unwrap_or_default())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::NotReady(_) | ApiError::Busy { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // The language is chosen later by `localise`, which sees the request.
        self.render(Lang::En)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as DieselError};
        match err.fault() {
            Some(Fault::Unreachable) => return ApiError::Unavailable(err.to_string()),
            Some(Fault::StatementTimeout) => {
                tracing::warn!(error = %err, "a statement was cut off");
                return ApiError::Busy {
                    code: "query_timeout",
                    message: text!(
                        "the database took too long to answer this request; try again in a moment, or narrow it (a smaller box, more precise words)";
                        "la base de données a mis trop de temps à répondre à cette requête ; réessayez dans un instant, ou précisez-la (une zone plus petite, des mots plus précis)"),
                    retry_after: UNAVAILABLE_RETRY_AFTER,
                };
            }
            Some(Fault::LockTimeout) => {
                return ApiError::Busy {
                    code: "busy",
                    message: text!(
                        "this initiative is being written by an import or another editor right now; nothing was changed, try again in a few seconds";
                        "cette initiative est en cours d'écriture par un import ou un autre éditeur ; rien n'a été modifié, réessayez dans quelques secondes"),
                    retry_after: UNAVAILABLE_RETRY_AFTER,
                };
            }
            None => {}
        }
        if let StoreError::Database(DieselError::DatabaseError(_, info)) = &err
            && info
                .message()
                .contains("invalid byte sequence for encoding")
        {
            // A NUL character (or broken UTF-8) in a value that reached the database unchecked:
            // the request's fault, not ours.
            return ApiError::bad_request(
                "invalid_text",
                text!("a value of this request contains a NUL character, which text may not hold";
                      "une valeur de cette requête contient un caractère NUL, interdit dans un texte"),
            );
        }
        match err {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::UnknownCategories(unknown) => ApiError::bad_request(
                "unknown_category",
                text!("unknown category: {}; see /api/v1/categories", unknown.join(", ");
                      "catégorie inconnue : {} ; voir /api/v1/categories", unknown.join(", ")),
            ),
            StoreError::UnknownTerritory(code) => ApiError::bad_request(
                "unknown_territory",
                text!("no territory has the code {}; see /api/v1/territories", code;
                      "aucun territoire n'a le code {} ; voir /api/v1/territories", code),
            ),
            StoreError::Invalid(errors) => ApiError::Unprocessable(errors),
            StoreError::Stale { current } => ApiError::PreconditionFailed(text!(
                "the initiative has changed since you read it (it is now at version {}); read it again, reapply your change and send it with the new ETag", current;
                "l'initiative a changé depuis votre lecture (elle est à la version {}) ; relisez-la, refaites votre modification et envoyez-la avec le nouvel ETag", current)),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::CheckViolation,
                info,
            )) => {
                let constraint = info.constraint_name().unwrap_or("a check").to_string();
                ApiError::Unprocessable(vec![FieldError::new(
                    "/",
                    "rejected_by_database",
                    text!("the database refused a value ({})", constraint; "la base de données a refusé une valeur ({})", constraint),
                )])
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

/// Generic problems for responses produced outside our handlers (no route, wrong method…).
fn generic(status: StatusCode, lang: Lang) -> HttpResponse {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (
            "not_found",
            text!(
            "there is nothing at this address; the API is described at /api/docs";
            "il n'y a rien à cette adresse ; l'API est décrite sur /api/docs"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            text!(
            "this method is not allowed here; see the Allow header";
            "cette méthode n'est pas permise ici ; voir l'en-tête Allow"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            text!(
            "the request body is larger than 1 MiB"; "le corps de la requête dépasse 1 Mio"),
        ),
        s if s.is_server_error() => (
            "internal_error",
            text!(
            "something went wrong on our side; it has been logged";
            "une erreur s'est produite de notre côté ; elle a été consignée"),
        ),
        _ => (
            "bad_request",
            text!(
            "the request could not be understood"; "la requête n'a pas pu être comprise"),
        ),
    };
    let problem = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: message.get(lang.code()).to_string(),
        code: code.to_string(),
        errors: Vec::new(),
    };
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(serde_json::to_string(&problem).unwrap_or_default())
}

/// Re-renders every error response as problem+json in the request's language. Runs as the
/// outermost middleware, so errors from extractors, routing and other middleware get the same
/// treatment as those of handlers.
pub fn localise<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    lang: Lang,
) -> ServiceResponse<EitherBody<B, BoxBody>> {
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res.map_into_left_body();
    }
    let api_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let mut rendered = match api_error {
        Some(err) => {
            if let ApiError::Internal(detail) | ApiError::Unavailable(detail) = err {
                tracing::error!(%status, detail, path = res.request().path(), "request failed");
            }
            err.render(lang)
        }
        None => {
            let already_problem = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if already_problem {
                return res.map_into_left_body();
            }
            if let Some(err) = res.response().error() {
                tracing::warn!(%status, error = %err, path = res.request().path(), "request refused");
            }
            generic(status, lang)
        }
    };
    if let Some(allow) = res.headers().get(header::ALLOW) {
        rendered.headers_mut().insert(header::ALLOW, allow.clone());
    }
    rendered
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    res.into_response(rendered).map_into_right_body()
}
