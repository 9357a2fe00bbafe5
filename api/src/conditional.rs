//! Conditional requests (RFC 9110, section 13): `If-None-Match` for reads (a 304 saves the
//! body), `If-Match` for writes (a stale copy is refused with 412 instead of overwriting a newer
//! one). ETags are compared weakly; `*` matches any current representation.

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use archipel_store::text;

/// Whether `If-None-Match` names `etag` (or is `*`): the client's copy is current.
pub fn none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim() == "*"
                || v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == etag)
        })
}

/// A read's answer: `304 Not Modified` when `If-None-Match` names `etag`, otherwise 200 with
/// `body` (204 when it is empty). Both carry the ETag and `headers` (caching, Vary, …), so a
/// revalidated copy is kept as long as a fresh one.
pub fn respond(
    req: &HttpRequest,
    etag: String,
    headers: &[(header::HeaderName, &str)],
    content_type: &str,
    body: impl actix_web::body::MessageBody + AsRef<[u8]> + 'static,
) -> HttpResponse {
    let not_modified = none_match(req, &etag);
    let empty = body.as_ref().is_empty();
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else if empty {
        HttpResponse::NoContent()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((header::ETAG, etag));
    for (name, value) in headers {
        response.insert_header((name.clone(), *value));
    }
    if not_modified || empty {
        return response.finish();
    }
    response.content_type(content_type).body(body)
}

/// Versions named by an `If-Match` header: `None` for `*` or no header.
pub fn if_match_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    let first = value.split(',').next().unwrap_or("").trim();
    let version = first
        .trim_start_matches("W/")
        .trim_matches('"')
        .split('.')
        .next()
        .and_then(|v| v.parse::<i32>().ok());
    match version {
        Some(v) => Ok(Some(v)),
        // An ETag we never issued cannot match the current one.
        None => Err(ApiError::PreconditionFailed(text!(
            "If-Match does not name an ETag of this initiative; read it again and send its ETag";
            "If-Match ne désigne pas un ETag de cette initiative ; relisez-la et envoyez son ETag"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tags_are_compared_weakly_and_star_matches_anything() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, v))
                .to_http_request()
        };
        assert!(none_match(&req("W/\"3.json\", \"4.json\""), "\"3.json\""));
        assert!(none_match(&req("*"), "\"1.json\""));
        assert!(!none_match(&req("\"2.json\""), "\"3.json\""));
    }

    #[test]
    fn if_match_names_a_version_or_any() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::IF_MATCH, v))
                .to_http_request()
        };
        assert_eq!(if_match_version(&req("\"7.json\"")).unwrap(), Some(7));
        assert_eq!(if_match_version(&req("*")).unwrap(), None);
        assert!(if_match_version(&req("\"garbage\"")).is_err());
    }
}
