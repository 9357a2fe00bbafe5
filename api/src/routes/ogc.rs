//! OGC API – Features at `/ogc` (Part 1, Core and GeoJSON): the landing page, the conformance
//! declaration, the collection `initiatives` (the published initiatives) and its items, for GIS
//! clients (QGIS, GDAL's OAPIF driver) and portals. Items are the same stored GeoJSON Features as
//! the REST API's, paged with the same keyset cursor.

use crate::auth::{Editor, Moderator};
use crate::conditional;
use crate::error::ApiError;
use crate::extract::{Body, FromQuery, Pairs, Params};
use crate::input::InitiativeBody;
use crate::list_params::parse_bbox;
use crate::routes::initiatives::{self, GEOJSON, Write, base_url, moved_permanently};
use crate::routes::{ogc_html, ogc_openapi};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::catalog::{self, Extent};
use archipel_store::crs::{self, Crs};
use archipel_store::domain::Moderation;
use archipel_store::filter::{self, Filter, Language};
use archipel_store::initiative::{self, Key, Representation};
use archipel_store::listing::{self, Cursor, ListQuery, Page};
use archipel_store::territory::TerritoryRef;
use archipel_store::text;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The one collection.
pub const COLLECTION: &str = "initiatives";
/// Items per page when `limit` is absent, and the most a page holds (larger limits are reduced).
pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 10_000;
const ITEM_PARAMS: &[&str] = &[
    "limit",
    "bbox",
    "bbox-crs",
    "datetime",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
    "cursor",
    "f",
    "lang",
    "territory",
];

const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    ogc_html::CONFORMANCE,
    ogc_openapi::CONFORMANCE,
];

fn link(href: String, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

fn json_response(body: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::VARY, "Accept"))
        .json(ogc_html::with_alternate(body.clone()))
}

/// The landing page.
pub async fn landing(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = format!("{}/ogc", base_url(&req, &state));
    let doc = json!({
        "title": "Archipel — OGC API – Features",
        "description": "The published collaborative initiatives of the territory, as OGC API – Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0).",
        "links": [
            link(base.clone(), "self", "application/json", "This document"),
            link(format!("{base}/api"), "service-desc", ogc_openapi::OPENAPI_30, "The API definition"),
            link(format!("{base}/api?f=html"), "service-doc", "text/html", "The API documentation"),
            link(format!("{base}/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{base}/collections"), "data", "application/json", "Collections"),
        ],
    });
    if ogc_html::wants_html(&req) {
        return ogc_html::respond(&req, ogc_html::landing, &doc, &base);
    }
    json_response(&doc)
}

/// The conformance classes implemented.
pub async fn conformance(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = format!("{}/ogc", base_url(&req, &state));
    let doc = json!({
        "links": [link(format!("{base}/conformance"), "self", "application/json", "This document")],
        "conformsTo": CONFORMANCE,
    });
    if ogc_html::wants_html(&req) {
        return ogc_html::respond(&req, ogc_html::conformance, &doc, &base);
    }
    json_response(&doc)
}

fn collection_body(base: &str, extent: &Extent) -> Value {
    let href = format!("{base}/collections/{COLLECTION}");
    let bbox = match (extent.west, extent.south, extent.east, extent.north) {
        (Some(w), Some(s), Some(e), Some(n)) => [w, s, e, n],
        _ => [-180.0, -90.0, 180.0, 90.0],
    };
    let instant =
        |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    json!({
        "id": COLLECTION,
        "title": "Initiatives",
        "description": "Published collaborative initiatives: repair cafés, shared gardens, fablabs, tiers-lieux, AMAPs, recycleries…",
        "itemType": "feature",
        "crs": Crs::ALL.map(Crs::uri),
        "storageCrs": Crs::Crs84.uri(),
        "extent": {
            "spatial": {"bbox": [bbox], "crs": Crs::Crs84.uri()},
            "temporal": {"interval": [[instant(extent.first_change), instant(extent.last_change)]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "links": [
            link(href.clone(), "self", "application/json", "This collection"),
            link(format!("{href}/items"), "items", GEOJSON, "Its initiatives"),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "What filters may use"),
        ],
    })
}

/// The collections: `initiatives`.
pub async fn collections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let base = format!("{}/ogc", base_url(&req, &state));
    let extent = state.read(catalog::extent).await?;
    let doc = json!({
        "links": [link(format!("{base}/collections"), "self", "application/json", "The collections")],
        "collections": [collection_body(&base, &extent)],
    });
    if ogc_html::wants_html(&req) {
        return Ok(ogc_html::respond(&req, ogc_html::collections, &doc, &base));
    }
    Ok(json_response(&doc))
}

fn no_collection() -> ApiError {
    ApiError::NotFound(text!(
        "there is one collection, 'initiatives'"; "il y a une collection, « initiatives »"))
}

/// The feature id of an item's path, whose collection must be ours (404 otherwise).
fn feature_of(path: web::Path<(String, String)>) -> Result<String, ApiError> {
    let (collection, feature_id) = path.into_inner();
    if collection != COLLECTION {
        return Err(no_collection());
    }
    Ok(feature_id)
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
    let base = format!("{}/ogc", base_url(&req, &state));
    let extent = state.read(catalog::extent).await?;
    let doc = collection_body(&base, &extent);
    if ogc_html::wants_html(&req) {
        return Ok(ogc_html::respond(&req, ogc_html::collection, &doc, &base));
    }
    Ok(json_response(&doc))
}

/// The properties a filter may use, as a JSON Schema (OGC API – Features Part 3).
pub async fn queryables(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if id.as_str() != COLLECTION {
        return Err(no_collection());
    }
    let href = format!(
        "{}/ogc/collections/{COLLECTION}/queryables",
        base_url(&req, &state)
    );
    let properties: serde_json::Map<String, Value> = filter::QUERYABLES
        .iter()
        .map(|q| (q.name.to_string(), q.json_schema()))
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("application/schema+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": href,
            "type": "object",
            "title": "Initiatives",
            "properties": properties,
            "additionalProperties": false,
        })))
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

/// An items request: the listing, the box still in the CRS it was given in, the output CRS.
/// The parameters of `items`, parsed (unknown ones: 400), with the pairs as given for the links.
pub struct ItemsRequest {
    query: ListQuery,
    bbox: Option<([f64; 4], Crs)>,
    crs: Crs,
    territory: Option<TerritoryRef>,
    pairs: Pairs,
}

impl FromQuery for ItemsRequest {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let request = parse_items(&pairs)?;
        let territory = crate::list_params::parse_territory(&pairs)?;
        Ok(ItemsRequest {
            territory,
            pairs,
            ..request
        })
    }
}

/// The parameters of one item: `crs` (and `f`, `lang`).
pub struct ItemParams {
    crs: Crs,
}

impl FromQuery for ItemParams {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        let mut crs = Crs::Crs84;
        for (key, value) in &pairs {
            match key.as_str() {
                "crs" => crs = parse_crs("crs", value)?,
                "f" if matches!(value.as_str(), "json" | "geojson" | "html") => {}
                "lang" => {}
                other => {
                    return Err(bad(
                        "unknown_parameter",
                        text!(
                        "'{}' is not a parameter of an item; known parameters: crs, f, lang", other;
                        "« {} » n'est pas un paramètre d'un item ; paramètres connus : crs, f, lang", other),
                    ));
                }
            }
        }
        Ok(ItemParams { crs })
    }
}

fn parse_crs(name: &str, raw: &str) -> Result<Crs, ApiError> {
    Crs::parse(raw).ok_or_else(|| {
        let known = Crs::ALL.map(Crs::uri).join(", ");
        bad(
            "unsupported_crs",
            text!("{} '{}' is not offered; CRSs: {}", name, raw, known;
                  "{} « {} » n'est pas proposé ; SRC possibles : {}", name, raw, known),
        )
    })
}

fn parse_limit(value: &str) -> Result<i64, ApiError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => Ok(MAX_LIMIT),
        _ => Err(bad(
            "invalid_limit",
            text!(
                "limit must be a whole number of at least 1 (more than {} is reduced to {}); got '{}'", MAX_LIMIT, MAX_LIMIT, value;
                "limit doit être un entier d'au moins 1 (plus de {} est ramené à {}) ; reçu « {} »", MAX_LIMIT, MAX_LIMIT, value),
        )),
    }
}

/// A six-number bbox (with heights) as the four numbers of its longitudes and latitudes.
fn without_heights(raw: &str) -> String {
    let parts: Vec<&str> = raw.split(',').collect();
    match parts.as_slice() {
        [x1, y1, _, x2, y2, _] => format!("{x1},{y1},{x2},{y2}"),
        _ => raw.to_string(),
    }
}

/// `bbox` in `crs`: four (or six, heights ignored) numbers in that CRS's axis order.
fn parse_corners(raw: &str, crs: Crs) -> Result<[f64; 4], ApiError> {
    if crs == Crs::Crs84 {
        let b = parse_bbox(&without_heights(raw))?;
        return Ok([b.min_lon, b.min_lat, b.max_lon, b.max_lat]);
    }
    let numbers: Option<Vec<f64>> = raw
        .split(',')
        .map(|v| v.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect();
    match numbers.as_deref() {
        Some(&[a, b, c, d]) | Some(&[a, b, _, c, d, _]) if a <= c && b <= d => Ok([a, b, c, d]),
        _ => Err(bad(
            "invalid_bbox",
            text!("bbox must be four numbers (lower corner, then upper corner) in the axis order of bbox-crs; got '{}'", raw;
                  "bbox doit être quatre nombres (coin inférieur puis coin supérieur) dans l'ordre des axes de bbox-crs ; reçu « {} »", raw),
        )),
    }
}

/// `filter-lang` (cql2-text when absent).
fn parse_language(name: Option<&str>) -> Result<Language, ApiError> {
    let Some(name) = name else {
        return Ok(Language::Text);
    };
    Language::parse(name).ok_or_else(|| {
        bad(
            "invalid_filter_lang",
            text!(
            "filter-lang must be cql2-text or cql2-json; got '{}'", name;
            "filter-lang doit être cql2-text ou cql2-json ; reçu « {} »", name),
        )
    })
}

fn parse_filter(raw: &str, language: Option<&str>) -> Result<Filter, ApiError> {
    Filter::parse(raw, parse_language(language)?).map_err(|message| bad("invalid_filter", message))
}

fn parse_items(pairs: &[(String, String)]) -> Result<ItemsRequest, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        moderation: vec![Moderation::Published],
        ..ListQuery::default()
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut conditions = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => query.limit = parse_limit(value)?,
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
            "filter" => conditions.push(parse_filter(value, get("filter-lang"))?),
            "filter-crs" => {
                if parse_crs("filter-crs", value)? != Crs::Crs84 {
                    return Err(bad(
                        "unsupported_crs",
                        text!(
                        "filters are read in CRS84 only; leave out filter-crs or give {}", Crs::Crs84.uri();
                        "les filtres sont lus en CRS84 seulement ; omettez filter-crs ou donnez {}", Crs::Crs84.uri()),
                    ));
                }
            }
            "f" if matches!(value.as_str(), "json" | "geojson" | "html") => {}
            "lang" | "bbox" | "crs" | "bbox-crs" | "filter-lang" | "territory" => {}
            name => match filter::QUERYABLES
                .iter()
                .find(|q| q.name == name && q.kind == filter::Kind::Text)
            {
                // Queryables as query parameters: `city=Lyon` is `city = 'Lyon'`.
                Some(_) => conditions.push(parse_filter(
                    &format!(
                        "{}={}",
                        serde_json::to_string(name).unwrap_or_default(),
                        quote_cql2(value)
                    ),
                    None,
                )?),
                None => {
                    let known = ITEM_PARAMS.join(", ");
                    return Err(bad(
                        "unknown_parameter",
                        text!(
                        "'{}' is not a parameter of items; known parameters: {} and the text queryables", name, known;
                        "« {} » n'est pas un paramètre des items ; paramètres connus : {} et les propriétés interrogeables de type texte", name, known),
                    ));
                }
            },
        }
    }
    // A filter-lang without a filter is still checked.
    parse_language(get("filter-lang"))?;
    query.filter = match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(Filter::And(conditions)),
    };
    let bbox_crs = get("bbox-crs")
        .map(|raw| parse_crs("bbox-crs", raw))
        .transpose()?
        .unwrap_or(Crs::Crs84);
    let bbox = get("bbox")
        .map(|raw| parse_corners(raw, bbox_crs))
        .transpose()?
        .map(|c| (c, bbox_crs));
    let crs = get("crs")
        .map(|raw| parse_crs("crs", raw))
        .transpose()?
        .unwrap_or(Crs::Crs84);
    Ok(ItemsRequest {
        query,
        bbox,
        crs,
        territory: None,
        pairs: Vec::new(),
    })
}

/// A text as a CQL2 string literal.
fn quote_cql2(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The initiatives, as a GeoJSON FeatureCollection with `next` links.
pub async fn items(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    Params(mut request): Params<ItemsRequest>,
) -> Result<HttpResponse, ApiError> {
    if id.as_str() != COLLECTION {
        return Err(no_collection());
    }
    let (crs, limit) = (request.crs, request.query.limit);
    let pairs = std::mem::take(&mut request.pairs);
    let page = request.fetch(&state).await?;
    let here = format!("{}{}", base_url(&req, &state), req.path());
    let links = page_links(&here, &pairs, limit, &page);
    // Exact only when it costs nothing: the whole result fits in this first page.
    let matched =
        (page.next.is_none() && page.prev.is_none() && !pairs.iter().any(|(k, _)| k == "cursor"))
            .then_some(page.returned);
    let timestamp = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if ogc_html::wants_html(&req) {
        let base = format!("{}/ogc", base_url(&req, &state));
        return items_html(&req, &base, &page, links, matched, &timestamp);
    }
    Ok(HttpResponse::Ok()
        .content_type(GEOJSON)
        .insert_header(content_crs(crs))
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .insert_header((header::VARY, "Accept"))
        .body(items_json(&page, links, matched, &timestamp)))
}

impl ItemsRequest {
    /// The page asked for, the territory and a `bbox` in another CRS resolved by the database.
    async fn fetch(self, state: &AppState) -> Result<Page, ApiError> {
        let ItemsRequest {
            mut query,
            bbox,
            crs,
            territory,
            ..
        } = self;
        state
            .read(move |conn| {
                query.territory = archipel_store::territory::filter(conn, territory.as_ref())?;
                if let Some((corners, bbox_crs)) = bbox {
                    query.bbox = Some(crs::bbox_to_crs84(conn, corners, bbox_crs)?);
                }
                listing::list(conn, &query, Representation::FeatureIn(crs))
            })
            .await
    }
}

/// A page of items as a FeatureCollection, its Features written as the database made them.
fn items_json(page: &Page, links: Vec<Value>, matched: Option<i64>, timestamp: &str) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"timeStamp\":{},{}\"numberReturned\":{},\"links\":{},\"features\":[{}]}}",
        serde_json::to_string(timestamp).unwrap_or_default(),
        matched
            .map(|n| format!("\"numberMatched\":{n},"))
            .unwrap_or_default(),
        page.returned,
        Value::Array(links),
        page.items
    )
}

/// The links of a page of items: itself, the next and previous pages (each with the request's
/// other parameters), and the alternate representations.
fn page_links(here: &str, pairs: &[(String, String)], limit: i64, page: &Page) -> Vec<Value> {
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
    let mut this_page = vec![("limit", limit_text.as_str())];
    this_page.extend(
        pairs
            .iter()
            .filter(|(k, _)| k == "cursor")
            .map(|(_, v)| ("cursor", v.as_str())),
    );
    let mut links = vec![link(with(&this_page), "self", GEOJSON, "This page")];
    for (rel, cursor, title) in [
        ("next", &page.next, "The next page"),
        ("prev", &page.prev, "The previous page"),
    ] {
        if let Some(cursor) = cursor.as_ref().map(Cursor::encode) {
            links.push(link(
                with(&[("limit", &limit_text), ("cursor", &cursor)]),
                rel,
                GEOJSON,
                title,
            ));
        }
    }
    ogc_html::push_alternate(&mut links);
    links
}

/// A page of items as HTML.
fn items_html(
    req: &HttpRequest,
    base: &str,
    page: &Page,
    links: Vec<Value>,
    matched: Option<i64>,
    timestamp: &str,
) -> Result<HttpResponse, ApiError> {
    let features: Value =
        serde_json::from_str(&format!("[{}]", page.items)).map_err(ApiError::internal)?;
    let mut doc = json!({"type": "FeatureCollection", "timeStamp": timestamp, "numberReturned": page.returned, "links": links, "features": features});
    if let Some(n) = matched {
        doc["numberMatched"] = json!(n);
    }
    Ok(ogc_html::respond(req, ogc_html::items, &doc, base))
}

fn content_crs(crs: Crs) -> (&'static str, String) {
    ("Content-Crs", format!("<{}>", crs.uri()))
}

/// One initiative, as a GeoJSON Feature (`crs` as for items); a merged one answers 301 to the
/// kept one.
pub async fn item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Params(ItemParams { crs }): Params<ItemParams>,
) -> Result<HttpResponse, ApiError> {
    let feature_id = feature_of(path)?;
    let key = Key::parse(&feature_id);
    let found = state
        .read(move |conn| initiative::get(conn, &key, Representation::FeatureIn(crs)))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(into) = found.merged_into {
        let path = format!("/ogc/collections/{COLLECTION}/items/{into}");
        return Ok(moved_permanently(&req, &state, &path));
    }
    let found = Some(found)
        .filter(|f| f.is_published())
        .ok_or_else(ApiError::not_found)?;
    let base = format!("{}/ogc", base_url(&req, &state));
    let (feature, body) =
        ogc_html::linked_feature(&found.body, &format!("{base}/collections/{COLLECTION}"))
            .map_err(ApiError::internal)?;
    if ogc_html::wants_html(&req) {
        return Ok(ogc_html::respond(&req, ogc_html::item, &feature, &base));
    }
    let tag = match crs {
        Crs::Crs84 => format!("\"{}.geojson\"", found.version),
        other => format!("\"{}.{}.geojson\"", found.version, other.srid()),
    };
    let crs_uri = format!("<{}>", crs.uri());
    let headers = [
        (
            header::HeaderName::from_static("content-crs"),
            crs_uri.as_str(),
        ),
        (header::CACHE_CONTROL, "public, no-cache"),
        (header::VARY, "Accept"),
    ];
    Ok(conditional::respond(&req, tag, &headers, GEOJSON, body))
}

// Part 4: create, replace, update, delete — the same writes as the REST API, with the same
// validation, revisions and ETags; what a client reads as a Feature it can send back.

fn item_location(req: &HttpRequest, state: &AppState, id: uuid::Uuid) -> String {
    format!(
        "{}/ogc/collections/{COLLECTION}/items/{id}",
        base_url(req, state)
    )
}

/// The item as written, with its ETag (200, or 201 with `Location` for a creation).
async fn written_item(
    req: &HttpRequest,
    state: &AppState,
    id: uuid::Uuid,
    created: bool,
) -> Result<HttpResponse, ApiError> {
    let location = created.then(|| item_location(req, state, id));
    let crs = [content_crs(Crs::Crs84)];
    initiatives::written(state, id, Representation::Feature, location, &crs).await
}

fn only_crs84(req: &HttpRequest) -> Result<(), ApiError> {
    match req
        .headers()
        .get("Content-Crs")
        .and_then(|v| v.to_str().ok())
    {
        None => Ok(()),
        Some(raw) if Crs::parse(raw.trim_matches(|c| c == '<' || c == '>')) == Some(Crs::Crs84) => {
            Ok(())
        }
        Some(raw) => Err(bad(
            "unsupported_crs",
            text!(
            "features are written in CRS84 only; got Content-Crs {}", raw;
            "les features s'écrivent en CRS84 seulement ; reçu Content-Crs {}", raw),
        )),
    }
}

/// Adds an initiative (editor): 201 with `Location`.
pub async fn create_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    editor: Editor,
    Body(body): Body<InitiativeBody>,
) -> Result<HttpResponse, ApiError> {
    if id.as_str() != COLLECTION {
        return Err(no_collection());
    }
    only_crs84(&req)?;
    let created = initiatives::create_from(&state, editor, &body).await?;
    written_item(&req, &state, created, true).await
}

/// Replaces (PUT, editor) or updates (PATCH, merge patch; a moderator may change `moderation`) an item.
pub async fn write_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    caller: Moderator,
    Body(body): Body<InitiativeBody>,
) -> Result<HttpResponse, ApiError> {
    let feature_id = feature_of(path)?;
    only_crs84(&req)?;
    let write = if req.method() == actix_web::http::Method::PUT {
        Write::Replace
    } else {
        Write::Patch
    };
    let id = initiatives::resolve_id(&state, feature_id).await?;
    initiatives::correct(&req, &state, caller, id, &body, write).await?;
    written_item(&req, &state, id, false).await
}

/// Archives an item (editor): it leaves the collection, its history stays.
pub async fn delete_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    editor: Editor,
) -> Result<HttpResponse, ApiError> {
    let feature_id = feature_of(path)?;
    let id = initiatives::resolve_id(&state, feature_id).await?;
    initiatives::archive_by(&req, &state, editor, id).await
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
