//! `/api/v1/users`: administrators list the people who have accounts, invite new ones (an
//! invitation link to hand over, as `archipel user create` prints), change their role or
//! territories, disable them, and make new invitation or reset links.

use crate::auth::Admin;
use crate::error::ApiError;
use crate::routes::initiatives::base_url;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::token::Role;
use archipel_store::user::{self, LinkPurpose, NewUser, User, UserChange};
use archipel_store::{FieldError, StoreError, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person with an account.
#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    /// INSEE commune or EPCI codes the person works on; empty: everywhere.
    pub territories: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Null until the person first logs in.
    #[schema(required = true)]
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<User> for Account {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role_text,
            territories: u.territories,
            active: u.active,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

/// A person to invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    #[schema(
        max_length = 254,
        // archipel_store::fields::email_pattern(), which a test compares it with
        pattern = r#"^[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f!#$%&'*+/=?^_`{|}~-]{1,20}(\.[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}@[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]([0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f-]{0,34}[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f])?(\.[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]([0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f-]{0,34}[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f])?){1,4}[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"#
    )]
    pub email: String,
    /// Shown as the author of their changes (1 to 100 characters).
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    /// INSEE commune or EPCI codes; absent or empty: everywhere.
    #[serde(default)]
    #[schema(value_type = Vec<AccountTerritory>)]
    pub territories: Vec<String>,
}

/// An INSEE commune code (five characters) or an EPCI SIREN (nine digits).
#[derive(ToSchema)]
#[schema(pattern = "^([0-9]{5}|2[ABab][0-9]{3}|[0-9]{9})$")]
#[allow(dead_code)]
pub struct AccountTerritory(String);

/// What to change about an account; absent members stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    #[schema(value_type = Option<Vec<AccountTerritory>>)]
    pub territories: Option<Vec<String>>,
    /// `false` disables the account and ends its sessions; `true` enables it again.
    pub active: Option<bool>,
}

/// An account and the one-time link to hand over to its person.
#[derive(Serialize, ToSchema)]
pub struct AccountLink {
    pub user: Account,
    /// `invitation` (set a first password, 7 days) or `reset` (1 day).
    pub purpose: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
    /// Whether the link was also e-mailed to the person (SMTP configured and the message
    /// accepted); otherwise hand it over yourself.
    pub emailed: bool,
}

fn role_of(raw: &str) -> Result<Role, FieldError> {
    Role::parse(raw).ok_or_else(|| {
        FieldError::new(
            "/role",
            "invalid_role",
            text!("role must be moderator, editor or admin"; "le rôle doit être moderator, editor ou admin"),
        )
    })
}

fn link(
    req: &HttpRequest,
    state: &AppState,
    user: User,
    purpose: LinkPurpose,
    token: &str,
) -> AccountLink {
    AccountLink {
        user: user.into(),
        purpose: purpose.as_str().to_string(),
        url: format!("{}{}?token={token}", base_url(req, state), purpose.page()),
        expires_at: Utc::now() + purpose.lifetime(),
        emailed: false,
    }
}

/// E-mails the link when SMTP is configured (a refusal is logged and reported as not e-mailed).
async fn mailed(state: &AppState, mut link: AccountLink, purpose: LinkPurpose) -> AccountLink {
    let Some(mailer) = state.mailer.clone() else {
        return link;
    };
    let (email, name, url) = (
        link.user.email.clone(),
        link.user.name.clone(),
        link.url.clone(),
    );
    let sent = actix_web::web::block(move || mailer.send_link(&email, &name, purpose, &url)).await;
    match sent {
        Ok(Ok(())) => link.emailed = true,
        Ok(Err(e)) => tracing::warn!(error = %e, "the link could not be e-mailed"),
        Err(e) => tracing::warn!(error = %e, "the link could not be e-mailed"),
    }
    link
}

/// What `list` sends.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccountList {
    users: Vec<Account>,
}

fn no_account() -> ApiError {
    ApiError::NotFound(text!("there is no such account"; "ce compte n'existe pas"))
}

/// Every account, oldest first (administrators only).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, description = "Every account, disabled ones included", body = AccountList),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(state: web::Data<AppState>, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let users = state.db(user::list).await?;
    let users: Vec<Account> = users.into_iter().map(Account::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(serde_json::json!({ "users": users })))
}

/// Invite a person: their account, and the invitation link (valid 7 days, once) to hand over,
/// where they set their password.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    request_body = Invitation,
    responses(
        (status = 201, description = "Created; `url` is the invitation link", body = AccountLink),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A person with this e-mail already has an account", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    body: web::Json<Invitation>,
) -> Result<HttpResponse, ApiError> {
    let Invitation {
        email,
        name,
        role,
        territories,
    } = body.into_inner();
    let role = role_of(&role);
    let new = NewUser::parse(
        &email,
        &name,
        role.clone().unwrap_or(Role::Moderator),
        &territories,
    );
    let new = match (role, new) {
        (Ok(_), Ok(new)) => new,
        (role, new) => {
            let mut errors = new.err().unwrap_or_default();
            errors.extend(role.err());
            return Err(ApiError::Unprocessable(errors));
        }
    };
    let (created, token) = state.db(move |conn| user::create(conn, &new, None)).await?;
    let token = token.ok_or_else(|| ApiError::internal("an invitation without its link"))?;
    let body = mailed(
        &state,
        link(&req, &state, created, LinkPurpose::Invitation, &token),
        LinkPurpose::Invitation,
    )
    .await;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// Change a person's role or territories, disable or enable their account. The last active
/// administrator cannot be demoted or disabled.
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = AccountChange,
    responses(
        (status = 200, description = "The account as it now is", body = Account),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "This would leave no active administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid role or territory codes", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn change(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
    body: web::Json<AccountChange>,
) -> Result<HttpResponse, ApiError> {
    let AccountChange {
        role,
        territories,
        active,
    } = body.into_inner();
    let mut errors = Vec::new();
    let role = role.and_then(|r| role_of(&r).map_err(|e| errors.push(e)).ok());
    let territories = territories.and_then(|t| {
        user::parse_territories(&t)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    let change = UserChange {
        role,
        territories,
        active,
    };
    let id = id.into_inner();
    let updated = state
        .db(move |conn| user::update(conn, id, &change))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => no_account(),
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(Account::from(updated)))
}

/// A new one-time link for a person: an invitation when they never set a password, else a
/// password reset. Earlier links stay valid until used or expired.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/link", tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The link to hand over", body = AccountLink),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active account", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn new_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .db(move |conn| {
            let Some((purpose, token)) = user::new_link(conn, id)? else {
                return Ok(None);
            };
            let user = user::get(conn, id)?.ok_or(StoreError::NotFound)?;
            Ok(Some((user, purpose, token)))
        })
        .await?
        .ok_or_else(no_account)?;
    let (user, purpose, token) = found;
    let body = mailed(&state, link(&req, &state, user, purpose, &token), purpose).await;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invitation documents the addresses the parser takes, as the initiatives' contact does
    /// (the fuzzer once sent an address the old pattern allowed, 250 characters of accented
    /// labels, that the parser refused for its length in bytes).
    #[test]
    fn an_invitations_email_is_documented_as_the_parser_reads_it() {
        let schema = serde_json::to_value(<Invitation as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        assert_eq!(
            schema["properties"]["email"]["pattern"],
            archipel_store::fields::email_pattern()
        );
    }
}
