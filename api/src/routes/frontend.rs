//! The built front end (`frontend/dist`): hashed assets cached for a year, HTML never cached,
//! unknown non-API paths answered with the app (its router reads the URL), and `/embed` and the
//! territory dashboards (`/territories/{code}`) the only pages other sites may frame.

use crate::error::ApiError;
use crate::state::AppState;
use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::text;
use serde_json::json;
use std::path::{Component, Path, PathBuf};

fn not_found() -> ApiError {
    ApiError::NotFound(text!(
        "there is nothing at this address; the API is described at /api/docs";
        "il n'y a rien à cette adresse ; l'API est décrite sur /api/docs"))
}

/// `relative` inside `root`, refusing anything that could climb out of it.
fn inside(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The Content-Security-Policy of the HTML pages. Scripts and styles come only from this server
/// (the built pages have no inline script or style; MapLibre sets styles through the CSSOM, which
/// CSP allows, and runs its workers from `blob:` URLs). Images and fetches may also go to any
/// `https:` host, since the basemap (OpenStreetMap's raster tiles by default, or any MapLibre
/// style with its tiles, sprites and glyphs) is configurable; a basemap style served over plain
/// `http:` adds its own origin. `/embed` may be framed by any site, the other pages only by ours.
pub fn content_security_policy(framable: bool, basemap_style: Option<&str>) -> String {
    let basemap = basemap_style
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| u.scheme() == "http")
        .map(|u| u.origin().ascii_serialization())
        // An origin is scheme://host[:port]; anything else cannot go into the header.
        .filter(|o| {
            o.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:/[]".contains(&b))
        })
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let ancestors = if framable { "*" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; \
         img-src 'self' data: blob: https:{basemap}; font-src 'self' data:; \
         connect-src 'self' https:{basemap}; worker-src 'self' blob:; child-src 'self' blob:; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
    )
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    file: PathBuf,
    framable: bool,
) -> Result<HttpResponse, ApiError> {
    let mut response = NamedFile::open(file)
        .map_err(|_| not_found())?
        .use_etag(true)
        .into_response(req);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let csp = content_security_policy(framable, state.settings.basemap_style.as_deref());
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// Serves the front end for every GET that no API route took.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path.starts_with("/api/") || path == "/api" || path.starts_with("/ogc/") {
        return Err(not_found());
    }
    if !matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return Ok(HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish());
    }
    let Some(root) = &state.settings.frontend_dir else {
        return Err(ApiError::NotFound(text!(
            "the map is not built on this server (run `make frontend`, or `make run`); the API is at /api/docs";
            "la carte n'est pas construite sur ce serveur (lancez « make frontend » ou « make run ») ; l'API est sur /api/docs")));
    };
    if path == "/embed" || path == "/embed/" {
        return page(&req, &state, root.join("embed.html"), true);
    }
    // The workspace is one page; its views (and the invitation and reset links) are its routes.
    if path == "/workspace" || path.starts_with("/workspace/") {
        return page(&req, &state, root.join("workspace.html"), false);
    }
    // A territory's dashboard: embeddable like the map.
    if path.starts_with("/territories/") {
        return page(&req, &state, root.join("territory.html"), true);
    }
    if let Some(file) = inside(root, path).filter(|f| f.is_file()) {
        if file.extension().is_some_and(|e| e == "html") {
            return page(&req, &state, file, false);
        }
        return static_file(&req, file);
    }
    // A missing hashed asset is a real 404; any other path is a route of the app.
    if path.starts_with("/assets/") {
        return Err(not_found());
    }
    page(&req, &state, root.join("index.html"), false)
}

/// A file of the build: hashed assets cached for a year, anything else for an hour.
fn static_file(req: &HttpRequest, file: std::path::PathBuf) -> Result<HttpResponse, ApiError> {
    let cache = if req.path().starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let mut response = NamedFile::open(file)
        .map_err(|_| not_found())?
        .use_etag(true)
        .into_response(req);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// What `config` sends: the map's settings.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct MapConfig {
    /// A MapLibre style URL, or null for the built-in OpenStreetMap raster basemap.
    #[schema(required = true)]
    basemap_style: Option<String>,
    default_view: DefaultView,
}

/// Where the map opens.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DefaultView {
    lat: f64,
    lon: f64,
    zoom: f64,
}

/// What the front end needs to know at start.
#[utoipa::path(
    get, path = "/api/v1/config", tag = "map",
    responses((status = 200, description = "The map's settings", body = MapConfig))
)]
pub async fn config(state: web::Data<AppState>) -> HttpResponse {
    let s = &state.settings;
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(json!({
            "basemap_style": s.basemap_style,
            "default_view": { "lat": s.default_view.0, "lon": s.default_view.1, "zoom": s.default_view.2 },
        }))
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn the_policy_allows_only_our_scripts_and_styles() {
        let csp = content_security_policy(false, None);
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("style-src 'self';"), "{csp}");
        assert!(csp.contains("object-src 'none'"), "{csp}");
        assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(content_security_policy(true, None).ends_with("frame-ancestors *"));
    }

    #[test]
    fn a_plain_http_basemap_style_adds_its_origin_only() {
        let csp = content_security_policy(false, Some("http://tiles.local:8080/style.json?k=1"));
        assert!(
            csp.contains("connect-src 'self' https: http://tiles.local:8080;"),
            "{csp}"
        );
        assert!(
            csp.contains("img-src 'self' data: blob: https: http://tiles.local:8080;"),
            "{csp}"
        );
        for https_or_odd in [
            "https://tiles.example.org/style.json",
            "not a url",
            "/style.json",
        ] {
            assert_eq!(
                content_security_policy(false, Some(https_or_odd)),
                content_security_policy(false, None)
            );
        }
    }
}
