//! Liveness and readiness probes.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use archipel_store::{migrate, text};

/// The process is up; also says how many built tiles it keeps and whether the tiles the map
/// opens on are built (see `--tile-prebuild-zoom`).
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Up")))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "map_tiles": {
            "cached": state.tiles.len(),
            "prebuilt": state.tiles.is_prebuilt(),
        },
    }))
}

/// The database answers and has every migration this binary needs.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready"),
        (status = 503, description = "Database unreachable or migrations pending", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let current = state
        .db(|conn| {
            archipel_store::db::ping(conn)?;
            migrate::is_current(conn)
        })
        .await?;
    if !current {
        return Err(ApiError::NotReady(text!(
            "migrations are pending: run 'archipel migrate'"; "des migrations sont en attente : lancez « archipel migrate »")));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
