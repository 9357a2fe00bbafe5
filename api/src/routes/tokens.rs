//! `/api/v1/tokens`: administrators hand out and revoke editor and admin tokens.

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::{Deferred, FromBody};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use archipel_store::token::{self, Role};
use archipel_store::{FieldError, text};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A token to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who holds it, e.g. `mairie-saint-cyprien`; shown as the author of their changes. 1 to
    /// 100 characters, none of them a control character.
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
}

/// A [`NewToken`] checked: its name as sent (the store trims it), its role parsed.
pub struct TokenRequest {
    name: String,
    role: Role,
}

impl FromBody for TokenRequest {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        let request: NewToken = serde_json::from_value(body).map_err(|e| {
            ApiError::Unprocessable(vec![FieldError::new(
                "/",
                "invalid_token_request",
                text!("expected {{\"name\": …, \"role\": \"moderator\"|\"editor\"|\"admin\"}}: {}", e;
                      "attendu {{\"name\": …, \"role\": \"moderator\"|\"editor\"|\"admin\"}} : {}", e),
            )])
        })?;
        let role = Role::parse(&request.role).ok_or_else(|| {
            ApiError::Unprocessable(vec![FieldError::new(
                "/role",
                "invalid_role",
                text!("role must be moderator, editor or admin"; "le rôle doit être moderator, editor ou admin"),
            )])
        })?;
        Ok(TokenRequest {
            name: request.name,
            role,
        })
    }
}

/// List tokens (never their secret).
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "tokens",
    responses(
        (status = 200, description = "Every token, revoked ones included"),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(state: web::Data<AppState>, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let tokens = state.db(token::list).await?;
    let body: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name, "role": t.role, "created_at": t.created_at,
                "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tokens": body })))
}

/// Create a token; its secret is in this response only.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; `token` is shown once"),
        (status = 409, description = "An active token has this name", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or role", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    _admin: Admin,
    body: Deferred<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { name, role } = body.parse()?;
    let stored = name.clone();
    let secret = state
        .db(move |conn| token::create(conn, &stored, role))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "name": name.trim(), "role": role.as_str(), "token": secret,
    })))
}

/// Revoke the active token with this name.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{name}", tag = "tokens",
    params(("name" = String, Path, description = "The token's name")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No active token has this name", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    state: web::Data<AppState>,
    _admin: Admin,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    if !state.db(move |conn| token::revoke(conn, &name)).await? {
        return Err(ApiError::NotFound(text!(
            "no active token has this name"; "aucun jeton actif ne porte ce nom")));
    }
    Ok(HttpResponse::NoContent().finish())
}
