//! API tokens: 256 random bits shown once, stored as their SHA-256.

use crate::error::{StoreError, StoreResult};
use crate::schema::api_tokens;
use crate::text;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a token or a person may do, in increasing order. Moderators review what visitors send
/// (publish, reject, close reports) but change no field; editors write initiatives; admins also
/// run imports and manage sources, tokens and people.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Moderator,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "moderator" => Some(Role::Moderator),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who is asking: the holder of a valid token, or a person logged in (then `name` is their display
/// name, which revisions record as the author).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// The INSEE commune or EPCI (SIREN) codes a person's account is limited to; empty: everywhere
    /// (and always for tokens).
    pub territories: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const PREFIX: &str = "arch_";

/// The SHA-256 of a secret: what is stored of tokens, session secrets and one-time links.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// 256 random bits, base64url without padding (43 characters).
pub fn random_secret() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

/// Creates a token and returns it; it cannot be read back later.
pub fn create(conn: &mut PgConnection, name: &str, role: Role) -> StoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "invalid_name",
            text!("a token name has 1 to 100 characters, none of them a control character";
                  "un nom de jeton compte de 1 à 100 caractères, sans caractère de contrôle"),
        ));
    }
    let token = format!("{PREFIX}{}", random_secret());
    let inserted = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::role.eq(role.as_str()),
            api_tokens::token_sha256.eq(digest(&token)),
        ))
        .execute(conn);
    if let Err(diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::UniqueViolation,
        _,
    )) = inserted
    {
        return Err(StoreError::Conflict(text!(
            "a token named '{}' already exists; revoke it or choose another name", name;
            "un jeton nommé « {} » existe déjà ; révoquez-le ou choisissez un autre nom", name
        )));
    }
    inserted?;
    Ok(token)
}

/// The caller holding `token`, if it is known and not revoked. Records when it was last used
/// (at most once a minute, so reads do not turn into writes).
pub fn authenticate(conn: &mut PgConnection, token: &str) -> StoreResult<Option<Caller>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let found: Option<(i64, String, String, Option<DateTime<Utc>>)> = api_tokens::table
        .filter(api_tokens::token_sha256.eq(digest(token)))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::role,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, role, last_used)) = found else {
        return Ok(None);
    };
    let stale = last_used.is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1));
    if stale {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::last_used_at.eq(diesel::dsl::now))
            .execute(conn)?;
    }
    Ok(Role::parse(&role).map(|role| Caller {
        name,
        role,
        territories: Vec::new(),
    }))
}

pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<TokenInfo>> {
    Ok(api_tokens::table
        .order(api_tokens::id)
        .select(TokenInfo::as_select())
        .load(conn)?)
}

/// Revokes the token called `name`; false when there is no such active token.
pub fn revoke(conn: &mut PgConnection, name: &str) -> StoreResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::name.eq(name))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(n > 0)
}
