//! `/api/v1/changes`: the change feed, for harvesters and federations. Follow `next` forever: an
//! empty `changes` means caught up (come back later with the same `next`).

use crate::error::ApiError;
use crate::routes::initiatives::base_url;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::change::{self, Cursor};
use archipel_store::text;
use serde::Deserialize;

/// Parameters of the feed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Where to continue: the `cursor` of the previous page's `next` link (absent: from the
    /// start).
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
    /// Changes per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `fr` or `en`: language of error messages (read by the middleware).
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// What happened to the published initiatives, in a fixed order: `created` (published),
/// `updated`, `deleted` (unpublished, archived or withdrawn: gone for the public) and `merged`
/// (with `merged_into`); created and updated ones carry the initiative's GeoJSON Feature.
/// Replaying the feed from the start yields exactly the published set. Links between published
/// initiatives come as `linked` and `unlinked`, with the `link` (`id`, `from`, `to`, `kind`,
/// `note`, `since`, `until`; `id` of the change is `from`).
#[utoipa::path(
    get, path = "/api/v1/changes", tag = "initiatives",
    params(ChangesParams),
    responses(
        (status = 200, description = "`{\"changes\": [{\"id\", \"change\", \"at\", \"merged_into\"?, \"feature\"?, \"link\"?}], \"next\": \"<url>\"}`; `next` is always there"),
        (status = 400, description = "A malformed cursor or limit, or an unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = params.into_inner().checked()?;
    let page = state
        .read(move |conn| change::page(conn, after, limit))
        .await?;
    let next = format!(
        "{}/api/v1/changes?limit={limit}&cursor={}",
        base_url(&req, &state),
        page.next.encode()
    );
    let body = format!(
        "{{\"changes\":[{}],\"number_returned\":{},\"next\":{}}}",
        page.items,
        page.returned,
        serde_json::to_string(&next).unwrap_or_default()
    );
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::LINK, format!("<{next}>; rel=\"next\"")))
        .body(body))
}

impl ChangesParams {
    /// Where the page starts and how many changes it holds at most (400 for a malformed cursor
    /// or a limit out of range).
    fn checked(self) -> Result<(Cursor, i64), ApiError> {
        let after = match &self.cursor {
            Some(raw) => Cursor::decode(raw).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_cursor",
                    text!("this cursor is not valid; use the 'next' link of a previous page as it is";
                          "ce curseur n'est pas valide ; utilisez tel quel le lien « next » d'une page précédente"),
                )
            })?,
            None => Cursor::default(),
        };
        let limit = match self.limit {
            None => change::DEFAULT_LIMIT,
            Some(n) if (1..=change::MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                return Err(ApiError::bad_request(
                    "invalid_limit",
                    text!("limit must be from 1 to {}; got {}", change::MAX_LIMIT, n;
                          "limit doit aller de 1 à {} ; reçu {}", change::MAX_LIMIT, n),
                ));
            }
        };
        Ok((after, limit))
    }
}
