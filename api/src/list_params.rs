//! Query parameters of the initiative listings, parsed into a store query. Unknown or repeated
//! parameters are refused (400) rather than ignored, so a typo never silently widens a query.

use crate::error::ApiError;
use crate::extract::{FromQuery, Pairs};
use archipel_store::domain::{Moderation, Status, parse_category_slug};
use archipel_store::error::StoreResult;
use archipel_store::fields::{FIELDS, Field};
use archipel_store::listing::{Bbox, Cursor, DEFAULT_LIMIT, ListQuery, MAX_LIMIT, Near};
use archipel_store::territory::{self, TerritoryFilter, TerritoryRef};
use archipel_store::{Text, text};
use chrono::{DateTime, Utc};
use diesel::PgConnection;

pub const LIST_PARAMS: &[&str] = &[
    "bbox",
    "category",
    "q",
    "near",
    "radius",
    "status",
    "moderation",
    "updated_since",
    "territory",
    "limit",
    "cursor",
    "lang",
];

/// Default and maximum search radius around `near`, in metres.
pub const DEFAULT_RADIUS_M: f64 = 10_000.0;
pub const MAX_RADIUS_M: f64 = 1_000_000.0;
const MAX_WORDS: usize = 10;

/// A parsed listing request. Category slugs still have to be resolved by the store.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub query: ListQuery,
    pub category_slugs: Vec<String>,
    /// `territory=`, still to be resolved by the store (`territory::filter`).
    pub territory: Option<TerritoryRef>,
    /// Whether a moderation state other than `published` was asked for (editors only).
    pub wants_unpublished: bool,
    /// The query string's pairs as given, for the paging links.
    pub pairs: Pairs,
}

impl FromQuery for ListRequest {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        parse(&pairs).map(|request| ListRequest { pairs, ..request })
    }
}

/// The one resolver of the place filters every listing, export and tile shares: category slugs
/// to the ids of those categories and their descendants (an unknown slug is refused, 400
/// `unknown_category`, through `StoreError::UnknownCategories`), and a territory reference to
/// its boundary.
pub fn resolve_filters(
    conn: &mut PgConnection,
    category_slugs: &[String],
    territory: Option<&TerritoryRef>,
) -> StoreResult<(Option<Vec<i32>>, Option<TerritoryFilter>)> {
    Ok((
        archipel_store::category::filter_ids(conn, category_slugs)?,
        territory::filter(conn, territory)?,
    ))
}

/// `category=`: comma-separated category slugs (a malformed one: 400 `unknown_category`).
pub fn parse_category_slugs(raw: &str) -> Result<Vec<String>, ApiError> {
    parse_list(raw, |s| {
        parse_category_slug("category", s).map_err(|e| bad("unknown_category", e.message))
    })
}

/// `status=`: comma-separated statuses (400 `invalid_status`).
pub fn parse_statuses(raw: &str) -> Result<Vec<Status>, ApiError> {
    parse_list(raw, |s| {
        Status::parse("status", s).map_err(|e| bad("invalid_status", e.message))
    })
}

fn bad(code: &'static str, message: Text) -> ApiError {
    ApiError::bad_request(code, message)
}

fn parse_floats(raw: &str, n: usize) -> Option<Vec<f64>> {
    let values: Vec<f64> = raw
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    (values.len() == n && values.iter().all(|v| v.is_finite())).then_some(values)
}

pub fn parse_bbox(raw: &str) -> Result<Bbox, ApiError> {
    let error = || {
        bad(
            "invalid_bbox",
            text!(
            "bbox must be four numbers minLon,minLat,maxLon,maxLat with longitudes in -180..180 and latitudes in -90..90 (minLat ≤ maxLat); got '{}'", raw;
            "bbox doit être quatre nombres minLon,minLat,maxLon,maxLat, longitudes dans -180..180 et latitudes dans -90..90 (minLat ≤ maxLat) ; reçu « {} »", raw),
        )
    };
    let v = parse_floats(raw, 4).ok_or_else(error)?;
    let lon_ok = |x: f64| (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| (-90.0..=90.0).contains(&y);
    if !lon_ok(v[0]) || !lon_ok(v[2]) || !lat_ok(v[1]) || !lat_ok(v[3]) || v[1] > v[3] {
        return Err(error());
    }
    Ok(Bbox {
        min_lon: v[0],
        min_lat: v[1],
        max_lon: v[2],
        max_lat: v[3],
    })
}

fn parse_list<T>(
    raw: &str,
    item: impl Fn(&str) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(item)
        .collect()
}

/// Shortest word searched for: one letter would match a large part of the directory.
pub const MIN_WORD_CHARS: usize = 2;

/// Words of a text search: at most ten, each with at least two letters or digits (shorter ones,
/// such as the "d" of "jardin d'Émile", are left out; a query of nothing else is refused).
pub fn parse_words(raw: &str) -> Result<Vec<String>, ApiError> {
    if raw.chars().count() > 200 {
        return Err(bad(
            "invalid_q",
            text!("q is limited to 200 characters"; "q est limité à 200 caractères"),
        ));
    }
    let words: Vec<String> = raw
        .split(|c: char| {
            c.is_whitespace() || c.is_control() || c == ',' || c == '\'' || c == '’' || c == '-'
        })
        .filter(|w| w.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_WORD_CHARS)
        .map(str::to_string)
        .collect();
    if words.is_empty() {
        return Err(bad(
            "invalid_q",
            text!(
            "q must contain at least one word of {} letters or digits or more", MIN_WORD_CHARS;
            "q doit contenir au moins un mot de {} lettres ou chiffres ou plus", MIN_WORD_CHARS),
        ));
    }
    if words.len() > MAX_WORDS {
        return Err(bad(
            "invalid_q",
            text!(
            "q is limited to {} words", MAX_WORDS; "q est limité à {} mots", MAX_WORDS),
        ));
    }
    Ok(words)
}

pub fn parse_limit(raw: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => Ok(MAX_LIMIT),
        _ => Err(bad(
            "invalid_limit",
            text!(
            "limit must be a whole number from 1 to {} (larger values are reduced to {}); got '{}'", MAX_LIMIT, MAX_LIMIT, raw;
            "limit doit être un entier de 1 à {} (les valeurs plus grandes sont ramenées à {}) ; reçu « {} »", MAX_LIMIT, MAX_LIMIT, raw),
        )),
    }
}

fn parse_updated_since(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    // A '+' of a time zone offset arrives as a space when the client did not percent-encode it.
    let repaired = raw.trim().replace(' ', "+");
    DateTime::parse_from_rfc3339(&repaired)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad("invalid_updated_since", text!(
            "updated_since must be an RFC 3339 date-time such as 2026-05-01T10:00:00Z; got '{}'", raw;
            "updated_since doit être une date RFC 3339 comme 2026-05-01T10:00:00Z ; reçu « {} »", raw)))
}

/// The `territory` parameter of a query string: `CODE` or `LEVEL:CODE` (400 when malformed).
pub fn parse_territory(pairs: &[(String, String)]) -> Result<Option<TerritoryRef>, ApiError> {
    let Some((_, raw)) = pairs.iter().find(|(k, _)| k == "territory") else {
        return Ok(None);
    };
    TerritoryRef::parse(raw).map(Some).ok_or_else(|| {
        bad(
            "invalid_territory",
            territory::invalid_reference("territory", raw).message,
        )
    })
}

/// The attribute a listing filters on with parameter `key` (`wheelchair=yes,limited`).
pub fn filter_field(key: &str) -> Option<&'static Field> {
    Field::named(key).filter(|f| f.filter)
}

/// `fixed` and the attribute filters, comma-separated, for messages.
pub fn known_parameters(fixed: &[&str]) -> String {
    let filters = FIELDS.iter().filter(|f| f.filter).map(|f| f.name);
    fixed
        .iter()
        .copied()
        .chain(filters)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The attribute filters of a query string: each a comma-separated list of accepted values.
pub fn parse_attribute_filters(
    pairs: &[(String, String)],
) -> Result<Vec<(&'static Field, Vec<String>)>, ApiError> {
    let mut filters = Vec::new();
    for (key, raw) in pairs {
        let Some(field) = filter_field(key) else {
            continue;
        };
        let values = parse_list(raw, |v| match field.parse(field.name, v) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Ok(String::new()),
            Err(e) => Err(bad(e.code, e.message)),
        })?;
        let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        if !values.is_empty() {
            filters.push((field, values));
        }
    }
    Ok(filters)
}

/// Parses the pairs of a listing's query string.
pub fn parse(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in pairs {
        if !LIST_PARAMS.contains(&key.as_str()) && filter_field(key).is_none() {
            let known = known_parameters(LIST_PARAMS);
            return Err(bad(
                "unknown_parameter",
                text!(
                "'{}' is not a parameter of this listing; known parameters: {}", key, known;
                "« {} » n'est pas un paramètre de cette liste ; paramètres connus : {}", key, known),
            ));
        }
        if seen.contains(&key.as_str()) {
            return Err(bad(
                "repeated_parameter",
                text!(
                "'{}' is given more than once; give it once (lists are comma-separated)", key;
                "« {} » est donné plusieurs fois ; donnez-le une fois (les listes sont séparées par des virgules)", key),
            ));
        }
        seen.push(key);
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    if let Some(raw) = get("bbox") {
        query.bbox = Some(parse_bbox(raw)?);
    }
    let category_slugs = get("category")
        .map(parse_category_slugs)
        .transpose()?
        .unwrap_or_default();
    if let Some(raw) = get("q")
        && !raw.trim().is_empty()
    {
        query.words = parse_words(raw)?;
    }
    match (get("near"), get("radius")) {
        (Some(raw), radius) => {
            let v = parse_floats(raw, 2)
                .filter(|v| (-90.0..=90.0).contains(&v[0]) && (-180.0..=180.0).contains(&v[1]));
            let v = v.ok_or_else(|| bad("invalid_near", text!(
                "near must be 'lat,lon' in degrees (latitude first), e.g. near=43.6045,1.4440; got '{}'", raw;
                "near doit être « lat,lon » en degrés (latitude d'abord), par ex. near=43.6045,1.4440 ; reçu « {} »", raw)))?;
            let radius_m = match radius {
                None => DEFAULT_RADIUS_M,
                Some(r) => match r.trim().parse::<f64>() {
                    Ok(m) if m > 0.0 && m <= MAX_RADIUS_M => m,
                    _ => {
                        return Err(bad(
                            "invalid_radius",
                            text!(
                        "radius must be a distance in metres, more than 0 and at most {}; got '{}'", MAX_RADIUS_M, r;
                        "radius doit être une distance en mètres, plus de 0 et au plus {} ; reçu « {} »", MAX_RADIUS_M, r),
                        ));
                    }
                },
            };
            query.near = Some(Near {
                lat: v[0],
                lon: v[1],
                radius_m,
            });
        }
        (None, Some(_)) => {
            return Err(bad(
                "radius_without_near",
                text!(
                "radius only makes sense with near=lat,lon"; "radius n'a de sens qu'avec near=lat,lon"),
            ));
        }
        (None, None) => {}
    }
    if let Some(raw) = get("status") {
        query.statuses = parse_statuses(raw)?;
    }
    let mut wants_unpublished = false;
    if let Some(raw) = get("moderation") {
        let states = parse_list(raw, |s| {
            Moderation::parse_settable("moderation", s)
                .map_err(|e| bad("invalid_moderation", e.message))
        })?;
        if !states.is_empty() {
            wants_unpublished = states.iter().any(|m| *m != Moderation::Published);
            query.moderation = states;
        }
    }
    if let Some(raw) = get("updated_since") {
        query.updated_since = Some(parse_updated_since(raw)?);
    }
    query.attributes = parse_attribute_filters(pairs)?;
    if let Some(raw) = get("limit") {
        query.limit = parse_limit(raw)?;
    }
    if let Some(raw) = get("cursor") {
        query.cursor = Some(Cursor::decode(raw).ok_or_else(|| bad("invalid_cursor", text!(
            "this cursor is not valid; use the 'next' link of a previous page as it is";
            "ce curseur n'est pas valide ; utilisez tel quel le lien « next » d'une page précédente")))?);
    }
    Ok(ListRequest {
        query,
        category_slugs,
        territory: parse_territory(pairs)?,
        wants_unpublished,
        pairs: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn a_full_query_parses() {
        let r = parse(&pairs("bbox=1.3,43.5,1.5,43.7&category=repair-cafe,fablab&q=r%C3%A9par&status=active&limit=20")).unwrap();
        assert_eq!(r.query.limit, 20);
        assert_eq!(r.category_slugs, vec!["repair-cafe", "fablab"]);
        assert_eq!(r.query.words, vec!["répar"]);
    }

    #[test]
    fn large_limits_are_clamped() {
        assert_eq!(parse_limit("50000").unwrap(), MAX_LIMIT);
        assert_eq!(parse_limit("99999999999999999999999").unwrap(), MAX_LIMIT);
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("ten").is_err());
    }

    #[test]
    fn attribute_filters_take_their_values_only() {
        let r = parse(&pairs("wheelchair=yes,limited")).unwrap();
        assert_eq!(r.query.attributes[0].0.name, "wheelchair");
        assert_eq!(r.query.attributes[0].1, ["yes", "limited"]);
        assert!(parse(&pairs("wheelchair=maybe")).is_err());
        assert!(parse(&pairs("city=Toulouse")).is_err(), "not a filter");
    }

    #[test]
    fn typos_and_repeats_are_refused() {
        assert!(parse(&pairs("bbbox=1,2,3,4")).is_err());
        assert!(parse(&pairs("limit=1&limit=2")).is_err());
    }

    #[test]
    fn search_words_need_two_letters() {
        assert_eq!(parse_words("jardin d'Émile").unwrap(), ["jardin", "Émile"]);
        assert!(parse_words("a").is_err());
        assert!(parse_words("a b c").is_err());
        assert_eq!(parse_words("ré").unwrap(), ["ré"]);
    }

    #[test]
    fn an_unencoded_plus_in_a_date_is_repaired() {
        let r = parse(&pairs("updated_since=2026-01-01T00:00:00+01:00")).unwrap();
        assert_eq!(
            r.query.updated_since.unwrap().to_rfc3339(),
            "2025-12-31T23:00:00+00:00"
        );
    }
}
