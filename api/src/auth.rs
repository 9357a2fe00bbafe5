//! Who is asking. Reads are public; writes need a bearer token (machines) or the session cookie
//! of a person logged in. A state-changing request authenticated by the cookie must also carry the
//! session's CSRF token in `X-CSRF-Token` and an `Origin` equal to the server's own: a page of
//! another site can make the browser send the cookie, never these.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::Method;
use actix_web::http::header::{self, AUTHORIZATION};
use actix_web::{FromRequest, HttpRequest, web};
use archipel_store::session::{self, Session};
use archipel_store::text;
use archipel_store::token::{self, Caller, Role};
use std::future::Future;
use std::pin::Pin;

/// The cookie holding a person's session secret.
pub const SESSION_COOKIE: &str = "archipel_session";
/// The header carrying the session's CSRF token.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The caller, if the request carries a token or a live session. A token that is present but wrong
/// is refused rather than ignored, so that a typo never silently turns an editor into the public;
/// an ended session is the public (a browser keeps its cookie after the session expired).
pub struct MaybeCaller(pub Option<Caller>);

/// A caller with at least the moderator role.
pub struct Moderator(pub Caller);

/// A caller with at least the editor role.
pub struct Editor(pub Caller);

/// A caller with the admin role.
pub struct Admin(pub Caller);

/// A person's live session (the cookie; a token is not a session). For `/api/v1/session`.
pub struct CurrentSession {
    pub session: Session,
    /// The cookie's secret, to end the session.
    pub secret: String,
}

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

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

/// The server's own origin: that of the configured public URL, else `http://<Host>` (behind a
/// trusted proxy, the forwarded scheme and host).
pub fn own_origin(req: &HttpRequest, state: &AppState) -> Option<String> {
    if let Some(public) = &state.settings.public_url {
        let url = url::Url::parse(public).ok()?;
        return Some(url.origin().ascii_serialization());
    }
    if state.settings.trust_forwarded {
        let info = req.connection_info();
        return Some(format!("{}://{}", info.scheme(), info.host()));
    }
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    Some(format!("http://{host}"))
}

/// Whether the browser reached us over https: the public URL is https, or a trusted proxy says
/// so. The session cookie is then `Secure`.
pub fn over_https(req: &HttpRequest, state: &AppState) -> bool {
    match &state.settings.public_url {
        Some(public) => public.starts_with("https://"),
        None => state.settings.trust_forwarded && req.connection_info().scheme() == "https",
    }
}

/// Refuses a request whose `Origin` is present and not ours (`required`: also when absent).
pub fn check_origin(req: &HttpRequest, state: &AppState, required: bool) -> Result<(), ApiError> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let ours = own_origin(req, state);
    match origin {
        Some(origin) if ours.as_deref() == Some(origin) => Ok(()),
        None if !required => Ok(()),
        _ => Err(ApiError::Forbidden(text!(
            "this request comes from another site (its Origin header is not this server's); nothing was changed";
            "cette requête vient d'un autre site (son en-tête Origin n'est pas celui de ce serveur) ; rien n'a été modifié"))),
    }
}

/// For a state-changing request authenticated by the cookie: the CSRF token and a same-origin
/// `Origin`.
fn check_csrf(req: &HttpRequest, state: &AppState, session: &Session) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(sent, session.csrf_token.as_bytes()) {
        return Err(ApiError::Forbidden(text!(
            "a change made with a session needs its CSRF token in the X-CSRF-Token header (GET /api/v1/session gives it); nothing was changed";
            "une modification faite avec une session demande son jeton CSRF dans l'en-tête X-CSRF-Token (GET /api/v1/session le donne) ; rien n'a été modifié")));
    }
    check_origin(req, state, true)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The live session named by the request's cookie, and the cookie's secret.
async fn session_of(req: &HttpRequest) -> Result<Option<(Session, String)>, ApiError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let secret = cookie.value().to_string();
    let found = {
        let secret = secret.clone();
        state(req)?
            .db(move |conn| session::find(conn, &secret))
            .await?
    };
    Ok(found.map(|s| (s, secret)))
}

/// The caller: by bearer token when the request has one, else by session cookie (with the CSRF
/// checks of a state-changing request).
async fn caller(req: HttpRequest) -> Result<Option<Caller>, ApiError> {
    let state = state(&req)?;
    if let Some(token) = bearer(&req)? {
        let found = state
            .db(move |conn| token::authenticate(conn, &token))
            .await?;
        return match found {
            Some(caller) => Ok(Some(caller)),
            None => Err(ApiError::Unauthorized(text!(
                "this token is unknown or has been revoked; ask an administrator for a new one (archipel token create)";
                "ce jeton est inconnu ou a été révoqué ; demandez-en un nouveau à un administrateur (archipel token create)"))),
        };
    }
    let Some((session, _)) = session_of(&req).await? else {
        return Ok(None);
    };
    check_csrf(&req, &state, &session)?;
    Ok(Some(Caller {
        name: session.user.name.clone(),
        role: session.role,
        territories: session.user.territories.clone(),
    }))
}

fn require(found: Option<Caller>, role: Role) -> Result<Caller, ApiError> {
    let caller = found.ok_or_else(|| {
        ApiError::Unauthorized(text!(
            "this action needs you to log in, or a token: send 'Authorization: Bearer <token>'";
            "cette action demande de vous connecter, ou un jeton : envoyez « Authorization: Bearer <jeton> »"))
    })?;
    if caller.role < role {
        return Err(ApiError::Forbidden(text!(
            "'{}' has the {} role; this action needs the {} role", caller.name, caller.role.as_str(), role.as_str();
            "« {} » a le rôle {} ; cette action demande le rôle {}", caller.name, caller.role.as_str(), role.as_str())));
    }
    Ok(caller)
}

/// Refuses a caller below the editor role (for handlers that take a [`Moderator`] and decide later).
pub fn require_editor(caller: &Caller) -> Result<(), ApiError> {
    require(Some(caller.clone()), Role::Editor).map(drop)
}

fn outside(caller: &Caller) -> ApiError {
    let codes = caller.territories.join(", ");
    ApiError::Forbidden(text!(
        "your account covers the territories {}; this initiative is outside them, ask someone who covers it", codes;
        "votre compte couvre les territoires {} ; cette initiative est en dehors, demandez à quelqu'un qui la couvre", codes))
}

/// Refuses a person limited to some territories (their account's) a change to an initiative
/// outside them. Tokens and unlimited accounts pass.
pub async fn within_scope(
    state: &crate::state::AppState,
    caller: &Caller,
    id: uuid::Uuid,
) -> Result<(), ApiError> {
    scope(state, caller, move |conn, codes| {
        archipel_store::territory::initiative_within(conn, id, codes)
    })
    .await
}

/// The same for a place an initiative is created at or moved to.
pub async fn place_within_scope(
    state: &crate::state::AppState,
    caller: &Caller,
    location: &archipel_store::geometry::Location,
) -> Result<(), ApiError> {
    let ewkt = location.to_ewkt();
    scope(state, caller, move |conn, codes| {
        archipel_store::territory::place_within(conn, &ewkt, codes)
    })
    .await
}

async fn scope<F>(
    state: &crate::state::AppState,
    caller: &Caller,
    inside: F,
) -> Result<(), ApiError>
where
    F: FnOnce(&mut diesel::PgConnection, &[String]) -> archipel_store::error::StoreResult<bool>
        + Send
        + 'static,
{
    if caller.territories.is_empty() {
        return Ok(());
    }
    let codes = caller.territories.clone();
    if state.db(move |conn| inside(conn, &codes)).await? {
        Ok(())
    } else {
        Err(outside(caller))
    }
}

/// Members of an initiative a moderator may change by PATCH.
const MODERATOR_MEMBERS: &[&str] = &["moderation", "reason"];

/// Refuses a moderator's PATCH that changes anything but `moderation` (and gives a `reason`).
pub fn moderator_may_only_moderate(
    caller: &Caller,
    body: &serde_json::Value,
) -> Result<(), ApiError> {
    if caller.role > Role::Moderator {
        return Ok(());
    }
    // A GeoJSON Feature carries the members in `properties`.
    let feature = body.get("type").and_then(serde_json::Value::as_str) == Some("Feature");
    let members = if feature {
        body.get("properties")
    } else {
        Some(body)
    };
    let envelope = ["type", "id", "properties"];
    let others: Vec<&str> = members
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flat_map(|o| o.keys().map(String::as_str))
        .chain(
            body.as_object()
                .into_iter()
                .flat_map(|o| o.keys().map(String::as_str))
                .filter(|k| feature && !envelope.contains(k)),
        )
        .filter(|k| !MODERATOR_MEMBERS.contains(k))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let others = others.join(", ");
    Err(ApiError::Forbidden(text!(
        "a moderator may change only 'moderation' (with a 'reason'), not: {}; ask an editor", others;
        "un modérateur ne peut changer que « moderation » (avec « reason »), pas : {} ; demandez à un éditeur", others)))
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

impl FromRequest for Moderator {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { require(caller(req).await?, Role::Moderator).map(Moderator) })
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

impl FromRequest for CurrentSession {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some((session, secret)) = session_of(&req).await? else {
                return Err(ApiError::Unauthorized(text!(
                    "you are not logged in, or your session has ended; log in again";
                    "vous n'êtes pas connecté, ou votre session a pris fin ; connectez-vous à nouveau")));
            };
            let state = state(&req)?;
            check_csrf(&req, &state, &session)?;
            Ok(CurrentSession { session, secret })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn moderators_change_only_moderation() {
        let moderator = Caller {
            name: "Mo".into(),
            role: Role::Moderator,
            territories: Vec::new(),
        };
        let editor = Caller {
            name: "Ed".into(),
            role: Role::Editor,
            territories: Vec::new(),
        };
        let publish = serde_json::json!({"moderation": "published", "reason": "checked"});
        let rename = serde_json::json!({"moderation": "published", "name": "X"});
        assert!(moderator_may_only_moderate(&moderator, &publish).is_ok());
        assert!(moderator_may_only_moderate(&moderator, &rename).is_err());
        assert!(moderator_may_only_moderate(&editor, &rename).is_ok());
    }
}
