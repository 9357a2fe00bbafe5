//! `/api/v1/categories`: the taxonomy with counts.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::category;

/// The category tree, each with the number of published initiatives in it and its descendants.
#[utoipa::path(
    get, path = "/api/v1/categories", tag = "categories",
    responses((status = 200, description = "The tree of categories", body = crate::openapi::CategoryListDoc))
)]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tree = state.db(category::tree).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(serde_json::json!({ "categories": tree })))
}
