//! `/api/v1/suggest`: what the map's search box shows while someone types.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::initiative::Representation;
use archipel_store::{suggest, text};
use serde::Deserialize;

/// Parameters of the suggestions.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far (at least 2 letters or digits; accents and case do not matter).
    #[param(
        min_length = 2,
        max_length = 100,
        pattern = r"[^\s\p{P}\p{S}\p{Z}\u0000-\u001f\u007f-\u009f][\s\S]*[^\s\p{P}\p{S}\p{Z}\u0000-\u001f\u007f-\u009f]"
    )]
    q: String,
    /// Suggestions wanted, 1 to 20 (default 8).
    #[param(minimum = 1, maximum = 20)]
    limit: Option<i64>,
    /// `fr` or `en`: language of error messages (read by the middleware).
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// Suggestions for a search box: published initiatives whose name starts with the text, then
/// those with a word of their name starting with it, then those whose description, city or tags
/// match — at most `limit`, in that order, fast at any size. For a full, ranked and paged search
/// use `GET /api/v1/initiatives?q=`.
#[utoipa::path(
    get, path = "/api/v1/suggest", tag = "initiatives",
    params(SuggestParams),
    responses(
        (status = 200, description = "`{\"items\": [initiatives, as in the listing], \"number_returned\": n}`", body = crate::schemas::InitiativeListDoc),
        (status = 400, description = "Fewer than 2 letters or digits, a limit out of range, or an unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(
    state: web::Data<AppState>,
    params: web::Query<SuggestParams>,
) -> Result<HttpResponse, ApiError> {
    let SuggestParams { q, limit, .. } = params.into_inner();
    let typed = suggest::normalise(&q)
        .filter(|t| t.chars().filter(|c| c.is_alphanumeric()).count() >= 2 && q.chars().count() <= 100)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_q",
                text!("q needs at least 2 letters or digits (and at most 100 characters); got '{}'", q;
                      "q demande au moins 2 lettres ou chiffres (et au plus 100 caractères) ; reçu « {} »", q),
            )
        })?;
    let limit = match limit {
        None => 8,
        Some(n) if (1..=suggest::MAX_LIMIT).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::bad_request(
                "invalid_limit",
                text!("limit must be 1 to {}; got {}", suggest::MAX_LIMIT, n;
                      "limit doit être entre 1 et {} ; reçu {}", suggest::MAX_LIMIT, n),
            ));
        }
    };
    let (items, returned) = state
        .read(move |conn| suggest::suggest(conn, &typed, limit, Representation::Json))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .body(format!(
            "{{\"items\":[{items}],\"number_returned\":{returned},\"next\":null}}"
        )))
}
