//! Bearer-token authentication. Reads are public; writes need an editor token, imports an admin
//! token.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use archipel_store::text;
use archipel_store::token::{self, Caller, Role};
use std::future::Future;
use std::pin::Pin;

/// The caller, if the request carries a token. A token that is present but wrong is refused
/// rather than ignored, so that a typo never silently turns an editor into the public.
pub struct MaybeCaller(pub Option<Caller>);

/// A caller with at least the editor role.
pub struct Editor(pub Caller);

/// A caller with the admin role.
pub struct Admin(pub Caller);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(ApiError::Unauthorized(text!(
            "send the token as 'Authorization: Bearer <token>'";
            "envoyez le jeton sous la forme « Authorization: Bearer <jeton> »"))),
    }
}

async fn caller(req: HttpRequest) -> Result<Option<Caller>, ApiError> {
    let Some(token) = bearer(&req)? else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let found = state
        .db(move |conn| token::authenticate(conn, &token))
        .await?;
    match found {
        Some(caller) => Ok(Some(caller)),
        None => Err(ApiError::Unauthorized(text!(
            "this token is unknown or has been revoked; ask an administrator for a new one (archipel token create)";
            "ce jeton est inconnu ou a été révoqué ; demandez-en un nouveau à un administrateur (archipel token create)"))),
    }
}

fn require(found: Option<Caller>, role: Role) -> Result<Caller, ApiError> {
    let caller = found.ok_or_else(|| {
        ApiError::Unauthorized(text!(
            "this action needs a token: send 'Authorization: Bearer <token>'";
            "cette action demande un jeton : envoyez « Authorization: Bearer <jeton> »"))
    })?;
    if caller.role < role {
        return Err(ApiError::Forbidden(text!(
            "the token '{}' is an {} token; this action needs the {} role", caller.name, caller.role.as_str(), role.as_str();
            "le jeton « {} » a le rôle {} ; cette action demande le rôle {}", caller.name, caller.role.as_str(), role.as_str())));
    }
    Ok(caller)
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { caller(req).await.map(MaybeCaller) })
    }
}

impl FromRequest for Editor {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { require(caller(req).await?, Role::Editor).map(Editor) })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { require(caller(req).await?, Role::Admin).map(Admin) })
    }
}
