//! `/api/v1/categories`: the taxonomy with counts.

use crate::error::ApiError;
use crate::state::AppState;
use crate::tile_cache::CATEGORIES_KEY;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::category;
use bytes::Bytes;

/// The category tree, each with the number of published initiatives in it and its descendants.
#[utoipa::path(
    get, path = "/api/v1/categories", tag = "categories",
    responses((status = 200, description = "The tree of categories", body = CategoryListDoc))
)]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // The counts go through every published initiative (a second or more at 1M): the body is
    // kept with the tiles, and dropped with them whenever the map changes.
    let body = state
        .tiles
        .get_or_build(CATEGORIES_KEY, || async {
            state.read(category::tree_body).await.map(Bytes::from)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .content_type("application/json")
        .body(body.body))
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CategoryDoc {
    slug: String,
    name_fr: String,
    name_en: String,
    /// `#rrggbb`
    colour: String,
    icon: String,
    /// Published initiatives in this category or its descendants.
    count: i64,
    #[schema(no_recursion)]
    children: Vec<CategoryDoc>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CategoryListDoc {
    categories: Vec<CategoryDoc>,
}
