//! `/api/v1/territories`: search the imported territories, and a territory's dashboard figures
//! (counts per practice and family, densities, coverage gaps, freshness, creations).

use crate::error::ApiError;
use crate::extract::{FromQuery, Pairs, Params};
use crate::routes::evaluation;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::territory::{self, Level, TerritoryRef};
use archipel_store::text;

const SEARCH_PARAMS: &[&str] = &["level", "q", "limit", "lang"];
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

fn parse_level(raw: &str) -> Result<Level, ApiError> {
    Level::parse(raw).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_level",
            text!("level must be commune, epci, departement or region; got '{}'", raw;
                  "level doit être commune, epci, departement ou region ; reçu « {} »", raw),
        )
    })
}

/// Search territories by name (accents and case ignored) or code.
#[utoipa::path(
    get, path = "/api/v1/territories", tag = "territories",
    params(
        ("level" = Option<String>, Query, description = "Only this level", pattern = "^(commune|epci|departement|region)$"),
        ("q" = Option<String>, Query, description = "Part of the name, or the start of the code", max_length = 100, pattern = r"^[^\u0000]*$"),
        ("limit" = Option<i64>, Query, description = "At most this many (default 20, at most 100)", minimum = 1, maximum = 100),
        ("lang" = Option<String>, Query, description = "`fr` or `en`: language of error messages"),
    ),
    responses(
        (status = 200, description = "Matching territories, exact codes first, then names starting with `q`, then the most populated", body = TerritoryListDoc),
        (status = 400, description = "A malformed or unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    Params(Search { level, q, limit }): Params<Search>,
) -> Result<HttpResponse, ApiError> {
    let found = state
        .read(move |conn| territory::search(conn, level, q.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(serde_json::json!({ "territories": found })))
}

/// `level`, `q` and `limit` of a search (and `lang`, read by the middleware).
pub struct Search {
    level: Option<Level>,
    q: Option<String>,
    limit: i64,
}

impl FromQuery for Search {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let mut search = Search {
            level: None,
            q: None,
            limit: DEFAULT_LIMIT,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "level" => search.level = Some(parse_level(&value)?),
                "q" => search.q = Some(parse_q(value)?),
                "limit" => search.limit = parse_limit(&value)?,
                "lang" => {}
                other => {
                    return Err(ApiError::bad_request(
                        "unknown_parameter",
                        text!("'{}' is not a parameter of this search; known parameters: {}", other, SEARCH_PARAMS.join(", ");
                              "« {} » n'est pas un paramètre de cette recherche ; paramètres connus : {}", other, SEARCH_PARAMS.join(", ")),
                    ));
                }
            }
        }
        Ok(search)
    }
}

fn parse_q(value: String) -> Result<String, ApiError> {
    if value.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "invalid_q",
            text!("q is limited to 100 characters"; "q est limité à 100 caractères"),
        ));
    }
    Ok(value)
}

fn parse_limit(value: &str) -> Result<i64, ApiError> {
    match value.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_limit",
            text!("limit must be a whole number from 1 to {}; got '{}'", MAX_LIMIT, value;
                  "limit doit être un entier de 1 à {} ; reçu « {} »", MAX_LIMIT, value),
        )),
    }
}

/// A territory's figures: name, level, population, parents and children; published
/// initiatives per practice and family (`total` included) and per 10,000 inhabitants beside the
/// density over every territory of the same level; coverage gaps (practices absent, or under
/// half the reference density); freshness (share confirmed in the last 12 months); creations
/// per month. Read from counts kept up to date by every write, not recounted.
#[utoipa::path(
    get, path = "/api/v1/territories/{code}", tag = "territories",
    params(
        ("code" = String, Path, description = "INSEE commune code, EPCI SIREN, département or région code; `LEVEL:CODE` (e.g. `region:53`) when a bare code is ambiguous — a bare code names the smallest level that has it", pattern = r"^((commune|epci|departement|region):)?[0-9A-Za-z]{2,9}$"),
        ("lang" = Option<String>, Query, description = "`fr` or `en`: language of error messages"),
    ),
    responses(
        (status = 200, description = "The territory's figures", body = TerritoryDoc),
        (status = 400, description = "Not a territory code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No territory has this code", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_one(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reference = parse_reference(&code)?;
    let body = state
        .read(move |conn| {
            let Some(found) = territory::resolve(conn, &reference)? else {
                return Ok(None);
            };
            let Some(figures) = territory::figures(conn, &found)? else {
                return Ok(None);
            };
            let summary =
                evaluation::Comparison::load(conn, &found)?.summary(figures.initiatives.total);
            let hubs = archipel_store::link::hubs(conn, &found, 5)?;
            let mut body = serde_json::to_value(&figures).unwrap_or_default();
            body["evaluation"] = summary;
            body["networks"] = serde_json::to_value(hubs).unwrap_or_default();
            Ok(Some(body))
        })
        .await?
        .ok_or_else(no_territory)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(body))
}

/// A territory's dashboard as `get_one` sends it: its figures, its evaluation and the most
/// linked initiatives here.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TerritoryDoc {
    #[serde(flatten)]
    pub figures: territory::Figures,
    pub evaluation: evaluation::Summary,
    /// The most linked initiatives here, most linked first.
    pub networks: Vec<archipel_store::link::Hub>,
}

pub fn no_territory() -> ApiError {
    ApiError::NotFound(text!(
        "no territory has this code; territories are imported with `archipel territory import`, see /api/v1/territories";
        "aucun territoire n'a ce code ; les territoires sont importés par `archipel territory import`, voir /api/v1/territories"))
}

/// `CODE` or `LEVEL:CODE` of a path (400 when it cannot be a territory).
pub fn parse_reference(raw: &str) -> Result<TerritoryRef, ApiError> {
    TerritoryRef::parse(raw).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_territory",
            territory::invalid_reference("code", raw).message,
        )
    })
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TerritoryListDoc {
    territories: Vec<archipel_store::territory::Summary>,
}
