//! `/api/v1/session`: people log in with their e-mail and password (a session cookie and a CSRF
//! token), ask who they are, log out; `/api/v1/session/password` sets a password from an
//! invitation or reset link.

use crate::auth::{self, CurrentSession, SESSION_COOKIE};
use crate::client;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::session::{self, Attempt, Login, Session};
use archipel_store::{text, user};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// E-mail and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A new password, with the token of an invitation or reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub token: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
}

/// The person logged in.
#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[schema(value_type = archipel_store::token::Role)]
    pub role: String,
    /// INSEE commune or EPCI codes the person works on; empty: everywhere.
    pub territories: Vec<String>,
}

/// Who is logged in, and the token to send in `X-CSRF-Token` with every change.
#[derive(Serialize, ToSchema)]
pub struct SessionBody {
    pub user: Person,
    pub csrf_token: String,
}

impl From<Session> for SessionBody {
    fn from(session: Session) -> Self {
        Self {
            user: Person {
                id: session.user.id,
                email: session.user.email,
                name: session.user.name,
                role: session.role.as_str().to_string(),
                territories: session.user.territories,
            },
            csrf_token: session.csrf_token,
        }
    }
}

fn cookie(req: &HttpRequest, state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(auth::over_https(req, state))
        .finish()
}

/// Counts the attempt, verifies the password on the blocking thread pool with no database
/// connection held (argon2 is slow on purpose), and starts a session when it matches.
async fn check(
    state: &AppState,
    email: String,
    password: String,
    client_key: String,
) -> Result<Login, ApiError> {
    let asked = email.clone();
    let attempt = state
        .db(move |conn| session::begin_login(conn, &asked, &client_key))
        .await?;
    let (user_id, hash) = match attempt {
        Attempt::Locked(wait) => return Ok(Login::Locked(wait)),
        Attempt::Verify { user_id, hash } => (user_id, hash),
    };
    let verified = web::block(move || user::verify_password(&password, hash.as_deref())).await?;
    match user_id.filter(|_| verified) {
        Some(id) => {
            state
                .db(move |conn| session::finish_login(conn, &email, id))
                .await
        }
        None => Ok(Login::Refused),
    }
}

/// Log in: a session cookie (`archipel_session`, HttpOnly, SameSite=Lax) and the CSRF token.
#[utoipa::path(
    post, path = "/api/v1/session", tag = "session",
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in; the cookie is set", body = SessionBody),
        (status = 401, description = "Wrong e-mail or password (which one is not said)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Sent from another site's page", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this account or from this address", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    auth::check_origin(&req, &state, false)?;
    let client_key =
        client::network(client::address(&req, state.settings.trust_forwarded)).to_string();
    let Credentials { email, password } = body.into_inner();
    match check(&state, email, password, client_key).await? {
        Login::Started { secret, session } => Ok(HttpResponse::Ok()
            .cookie(cookie(&req, &state, secret))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(SessionBody::from(session))),
        Login::Refused => Err(ApiError::Unauthorized(text!(
            "wrong e-mail or password"; "adresse e-mail ou mot de passe incorrect"))),
        Login::Locked(wait) => {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            Err(ApiError::TooManyRequests {
                message: text!(
                    "too many failed logins for this account or from this address; try again in {} minute(s)", minutes;
                    "trop d'échecs de connexion pour ce compte ou depuis cette adresse ; réessayez dans {} minute(s)", minutes),
                retry_after: wait.as_secs().max(1),
            })
        }
    }
}

/// Who is logged in: the person, their role, and the CSRF token.
#[utoipa::path(
    get, path = "/api/v1/session", tag = "session",
    responses(
        (status = 200, description = "The session's person and CSRF token", body = SessionBody),
        (status = 401, description = "Not logged in, or the session has ended", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []))
)]
pub async fn current(current: CurrentSession) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SessionBody::from(current.session))
}

/// Log out: the session ends and the cookie is cleared (needs `X-CSRF-Token`).
#[utoipa::path(
    delete, path = "/api/v1/session", tag = "session",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in, or the session has ended", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No CSRF token, or sent from another site", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []))
)]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentSession,
) -> Result<HttpResponse, ApiError> {
    let secret = current.secret;
    state.db(move |conn| session::revoke(conn, &secret)).await?;
    let mut removal = cookie(&req, &state, String::new());
    removal.make_removal();
    Ok(HttpResponse::NoContent().cookie(removal).finish())
}

/// Set a password with the token of an invitation or reset link.
///
/// The link is then used up, and the person's other sessions end.
#[utoipa::path(
    post, path = "/api/v1/session/password", tag = "session",
    request_body = NewPassword,
    responses(
        (status = 204, description = "The password is set; log in with it"),
        (status = 403, description = "Sent from another site's page", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A password under 12 characters, or a used, expired or unknown link", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewPassword>,
) -> Result<HttpResponse, ApiError> {
    auth::check_origin(&req, &state, false)?;
    let NewPassword { token, password } = body.into_inner();
    state
        .db(move |conn| user::set_password(conn, &token, &password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
