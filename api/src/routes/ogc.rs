//! OGC API – Features at `/ogc` (Part 1, Core and GeoJSON): the landing page, the conformance
//! declaration, the collection `initiatives` (the published initiatives) and its items, for GIS
//! clients (QGIS, GDAL's OAPIF driver) and portals. Items are the same stored GeoJSON Features as
//! the REST API's, paged with the same keyset cursor.

use crate::error::ApiError;
use crate::list_params::parse_bbox;
use crate::routes::initiatives::{GEOJSON, base_url, moved_permanently};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::domain::Moderation;
use archipel_store::initiative::{self, Key, Representation};
use archipel_store::listing::{self, Cursor, ListQuery};
use archipel_store::text;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The one collection.
pub const COLLECTION: &str = "initiatives";
/// Items per page when `limit` is absent, and the most a page holds (larger limits are reduced).
pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 10_000;
const ITEM_PARAMS: &[&str] = &["limit", "bbox", "datetime", "cursor", "f", "lang"];

const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

fn link(href: String, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

fn json_response(body: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(body)
}

/// The landing page.
pub async fn landing(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = format!("{}/ogc", base_url(&req, &state));
    json_response(&json!({
        "title": "Archipel — OGC API – Features",
        "description": "The published collaborative initiatives of the territory, as OGC API – Features (Part 1: Core, GeoJSON).",
        "links": [
            link(base.clone(), "self", "application/json", "This document"),
            link(format!("{}/api/openapi.json", base_url(&req, &state)), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition"),
            link(format!("{base}/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{base}/collections"), "data", "application/json", "Collections"),
        ],
    }))
}

/// The conformance classes implemented.
pub async fn conformance(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = format!("{}/ogc", base_url(&req, &state));
    json_response(&json!({
        "links": [link(format!("{base}/conformance"), "self", "application/json", "This document")],
        "conformsTo": CONFORMANCE,
    }))
}

fn collection_body(base: &str) -> Value {
    let href = format!("{base}/collections/{COLLECTION}");
    json!({
        "id": COLLECTION,
        "title": "Initiatives",
        "description": "Published collaborative initiatives: repair cafés, shared gardens, fablabs, tiers-lieux, AMAPs, recycleries…",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
            "temporal": {"interval": [[null, null]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "links": [
            link(href.clone(), "self", "application/json", "This collection"),
            link(format!("{href}/items"), "items", GEOJSON, "Its initiatives"),
        ],
    })
}

/// The collections: `initiatives`.
pub async fn collections(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = format!("{}/ogc", base_url(&req, &state));
    json_response(&json!({
        "links": [link(format!("{base}/collections"), "self", "application/json", "The collections")],
        "collections": [collection_body(&base)],
    }))
}

fn no_collection() -> ApiError {
    ApiError::NotFound(text!(
        "there is one collection, 'initiatives'"; "il y a une collection, « initiatives »"))
}

/// One collection's description.
pub async fn collection(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if id.as_str() != COLLECTION {
        return Err(no_collection());
    }
    Ok(json_response(&collection_body(&format!(
        "{}/ogc",
        base_url(&req, &state)
    ))))
}

fn bad(code: &'static str, message: archipel_store::Text) -> ApiError {
    ApiError::bad_request(code, message)
}

fn instant(raw: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    if raw.is_empty() || raw == ".." {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| bad("invalid_datetime", text!(
            "datetime must be an RFC 3339 date-time or an interval start/end ('..' for open); got '{}'", raw;
            "datetime doit être une date RFC 3339 ou un intervalle début/fin (« .. » pour ouvert) ; reçu « {} »", raw)))
}

/// The bounds of a `datetime` interval; `None` for an open end.
type Interval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `datetime` on `updated_at`: an instant, or an interval `start/end` with `..` open ends.
fn parse_datetime(raw: &str) -> Result<Interval, ApiError> {
    match raw.split_once('/') {
        Some((start, end)) => Ok((instant(start)?, instant(end)?)),
        None => {
            let at = instant(raw)?;
            Ok((at, at))
        }
    }
}

fn parse_items(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        moderation: vec![Moderation::Published],
        ..ListQuery::default()
    };
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => {
                query.limit = match value.trim().parse::<i64>() {
                    Ok(n) if n >= 1 => n.min(MAX_LIMIT),
                    Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => MAX_LIMIT,
                    _ => {
                        return Err(bad(
                            "invalid_limit",
                            text!(
                        "limit must be a whole number of at least 1 (more than {} is reduced to {}); got '{}'", MAX_LIMIT, MAX_LIMIT, value;
                        "limit doit être un entier d'au moins 1 (plus de {} est ramené à {}) ; reçu « {} »", MAX_LIMIT, MAX_LIMIT, value),
                        ));
                    }
                };
            }
            "bbox" => query.bbox = Some(parse_bbox(value)?),
            "datetime" => {
                let (since, until) = parse_datetime(value)?;
                query.updated_since = since;
                query.updated_until = until;
            }
            "cursor" => {
                query.cursor = Some(Cursor::decode(value).ok_or_else(|| {
                    bad(
                        "invalid_cursor",
                        text!(
                    "this cursor is not valid; follow the 'next' link as given";
                    "ce curseur n'est pas valide ; suivez le lien « next » tel quel"),
                    )
                })?);
            }
            "f" if value == "json" || value == "geojson" => {}
            "lang" => {}
            other => {
                return Err(bad(
                    "unknown_parameter",
                    text!(
                    "'{}' is not a parameter of items; known parameters: {}", other, ITEM_PARAMS.join(", ");
                    "« {} » n'est pas un paramètre des items ; paramètres connus : {}", other, ITEM_PARAMS.join(", ")),
                ));
            }
        }
    }
    Ok(query)
}

/// The initiatives, as a GeoJSON FeatureCollection with `next` links.
pub async fn items(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    if id.as_str() != COLLECTION {
        return Err(no_collection());
    }
    let query = parse_items(&pairs)?;
    let limit = query.limit;
    let page = state
        .read(move |conn| listing::list(conn, &query, Representation::Feature))
        .await?;
    let here = format!("{}{}", base_url(&req, &state), req.path());
    let own: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "cursor" && k != "limit")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let with = |extra: &[(&str, &str)]| {
        let mut all = own.clone();
        all.extend_from_slice(extra);
        let query = serde_urlencoded::to_string(&all).unwrap_or_default();
        format!("{here}?{query}")
    };
    let limit_text = limit.to_string();
    let mut links = vec![link(
        with(&[("limit", &limit_text)]),
        "self",
        GEOJSON,
        "This page",
    )];
    if let Some(cursor) = page.next.as_ref().map(Cursor::encode) {
        links.push(link(
            with(&[("limit", &limit_text), ("cursor", &cursor)]),
            "next",
            GEOJSON,
            "The next page",
        ));
    }
    let body = format!(
        "{{\"type\":\"FeatureCollection\",\"timeStamp\":{},\"numberReturned\":{},\"links\":{},\"features\":[{}]}}",
        serde_json::to_string(&Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        page.returned,
        Value::Array(links),
        page.items
    );
    Ok(HttpResponse::Ok()
        .content_type(GEOJSON)
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .body(body))
}

/// One initiative, as a GeoJSON Feature; a merged one answers 301 to the kept one.
pub async fn item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (collection, feature_id) = path.into_inner();
    if collection != COLLECTION {
        return Err(no_collection());
    }
    let key = Key::parse(&feature_id);
    let found = state
        .read(move |conn| initiative::get(conn, &key, Representation::Feature))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(into) = found.merged_into {
        let path = format!("/ogc/collections/{COLLECTION}/items/{into}");
        return Ok(moved_permanently(&req, &state, &path));
    }
    let found = Some(found)
        .filter(|f| f.is_published())
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(GEOJSON)
        .insert_header((header::ETAG, format!("\"{}.geojson\"", found.version)))
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .body(found.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_takes_instants_and_open_intervals() {
        let (a, b) = parse_datetime("2026-01-01T00:00:00Z/..").unwrap();
        assert!(a.is_some() && b.is_none());
        let (a, b) = parse_datetime("../2026-01-01T00:00:00Z").unwrap();
        assert!(a.is_none() && b.is_some());
        let (a, b) = parse_datetime("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_datetime("yesterday").is_err());
    }
}
