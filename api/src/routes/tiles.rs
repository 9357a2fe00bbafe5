//! `/api/v1/tiles/{z}/{x}/{y}.mvt`: the map's vector tiles (see `archipel_store::tiles`).

use crate::conditional;
use crate::error::ApiError;
use crate::extract::{FromQuery, Pairs, Params};
use crate::list_params::{self, parse_words};
use crate::state::AppState;
use crate::tile_cache::{Built, tile_key};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::domain::Status;
use archipel_store::territory::TerritoryRef;
use archipel_store::text;
use archipel_store::tiles::{self, TileQuery};
use bytes::Bytes;

pub const MVT: &str = "application/vnd.mapbox-vector-tile";
const TILE_PARAMS: &[&str] = &["category", "q", "status", "territory", "lang"];

fn bad_address() -> ApiError {
    ApiError::bad_request(
        "invalid_tile",
        text!(
        "a tile address is /api/v1/tiles/{{z}}/{{x}}/{{y}}.mvt with 0 ≤ z ≤ {} and 0 ≤ x, y < 2^z", tiles::MAX_ZOOM;
        "une adresse de tuile est /api/v1/tiles/{{z}}/{{x}}/{{y}}.mvt avec 0 ≤ z ≤ {} et 0 ≤ x, y < 2^z", tiles::MAX_ZOOM),
    )
}

fn parse_address(z: &str, x: &str, y: &str) -> Result<(u32, u32, u32), ApiError> {
    let y = y.strip_suffix(".mvt").ok_or_else(bad_address)?;
    let parse = |s: &str| s.parse::<u32>().map_err(|_| bad_address());
    let (z, x, y) = (parse(z)?, parse(x)?, parse(y)?);
    if !TileQuery::is_valid(z, x, y) {
        return Err(bad_address());
    }
    Ok((z, x, y))
}

/// One vector tile of published initiatives: clusters below zoom 15, single initiatives from
/// zoom 15. The same filters as the listings.
#[utoipa::path(
    get, path = "/api/v1/tiles/{z}/{x}/{y}.mvt", tag = "map",
    params(
        ("z" = u32, Path, description = "Zoom, 0 to 22", maximum = 22),
        ("x" = u32, Path, description = "Column, 0 to 2^z - 1 (at most 4194303, at zoom 22)", maximum = 4194303),
        ("y" = u32, Path, description = "Row, 0 to 2^z - 1 (at most 4194303, at zoom 22)", maximum = 4194303),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs; a family includes its practices", pattern = "^([a-z0-9]+(-[a-z0-9]+)*(,[a-z0-9]+(-[a-z0-9]+)*)*)?$"),
        ("q" = Option<String>, Query, description = "Words to find (as in the listings)", max_length = 200, pattern = r"^[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$|[\p{L}\p{N}][^\s\u0000-\u001f\u007f-\u009f,'’-]*[\p{L}\p{N}]"),
        ("status" = Option<String>, Query, description = "Comma-separated: active, inactive, closed", pattern = "^((active|inactive|closed)(,(active|inactive|closed))*)?$"),
        ("territory" = Option<String>, Query, description = "Only initiatives in this territory: an INSEE commune code, an EPCI SIREN, a département or, after `region:`, a région code (see /api/v1/territories)"),
    ),
    responses(
        (status = 200, description = "Mapbox Vector Tile with the layers `clusters` (count, category, colour, west, south, east, north) and `initiatives` (id, slug, name, category, colour, confirmed: the day, YYYY-MM-DD, it was last confirmed or else created)", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Nothing in this tile"),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "Out-of-range address or malformed filter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    Params(filters): Params<TileFilters>,
) -> Result<HttpResponse, ApiError> {
    let (z, x, y) = path.into_inner();
    let (z, x, y) = parse_address(&z, &x, &y)?;
    let key = filters.cache_key(z, x, y);
    let TileFilters {
        slugs,
        words,
        statuses,
        territory,
    } = filters;
    let mut query = TileQuery {
        z,
        x,
        y,
        category_ids: None,
        words,
        statuses,
        territory: None,
    };
    let tile = state
        .tiles
        .get_or_build(&key, || async {
            let tile = state
                .read(move |conn| {
                    (query.category_ids, query.territory) =
                        list_params::resolve_filters(conn, &slugs, territory.as_ref())?;
                    tiles::tile(conn, &query)
                })
                .await?;
            Ok::<_, ApiError>(Bytes::from(tile))
        })
        .await?;
    Ok(respond(&req, tile))
}

/// The filters of a tile (the listings' `category`, `q`, `status` and `territory`), sorted and
/// without repeats so that equal filters share a cached tile.
pub struct TileFilters {
    slugs: Vec<String>,
    words: Vec<String>,
    statuses: Vec<Status>,
    territory: Option<TerritoryRef>,
}

impl FromQuery for TileFilters {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let mut filters = TileFilters {
            slugs: Vec::new(),
            words: Vec::new(),
            statuses: Vec::new(),
            territory: list_params::parse_territory(&pairs)?,
        };
        for (key, value) in &pairs {
            match key.as_str() {
                "category" => filters
                    .slugs
                    .extend(list_params::parse_category_slugs(value)?),
                "q" if !value.trim().is_empty() => filters.words = parse_words(value)?,
                "status" => filters.statuses.extend(list_params::parse_statuses(value)?),
                k if TILE_PARAMS.contains(&k) => {}
                other => {
                    return Err(ApiError::bad_request(
                        "unknown_parameter",
                        text!(
                        "'{}' is not a parameter of tiles; known parameters: {}", other, TILE_PARAMS.join(", ");
                        "« {} » n'est pas un paramètre des tuiles ; paramètres connus : {}", other, TILE_PARAMS.join(", ")),
                    ));
                }
            }
        }
        filters.slugs.sort();
        filters.slugs.dedup();
        filters.statuses.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        filters.statuses.dedup();
        Ok(filters)
    }
}

impl TileFilters {
    fn cache_key(&self, z: u32, x: u32, y: u32) -> String {
        let mut key = tile_key(z, x, y, &self.slugs, &self.words, &self.statuses);
        if let Some(t) = &self.territory {
            let level = t.level.map_or("", |l| l.as_str());
            key.push_str(&format!("&t={level}:{}", t.code));
        }
        key
    }
}

fn respond(req: &HttpRequest, tile: Built) -> HttpResponse {
    let caching = [(header::CACHE_CONTROL, "public, max-age=60")];
    conditional::respond(req, tile.etag(), &caching, MVT, tile.body)
}
