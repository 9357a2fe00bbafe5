//! People of the local authority: accounts, argon2id passwords, and the one-time links
//! (invitations, password resets) through which they set them. Only the SHA-256 of a link's
//! token is stored; a used or expired link is refused.

use crate::error::{StoreError, StoreResult};
use crate::statement::Statement;
use crate::token::{Role, digest, random_secret};
use crate::{FieldError, text};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use rand::RngCore;
use serde::Serialize;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 hashes anything, but nobody needs more).
pub const MAX_PASSWORD_CHARS: usize = 1000;

/// What a one-time link is for, and how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Sent to a new person: set a first password (7 days).
    Invitation,
    /// Sent to a person who forgot their password (1 day).
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::Reset => "reset",
        }
    }

    /// How long a link lives.
    pub fn lifetime(self) -> chrono::Duration {
        match self {
            LinkPurpose::Invitation => chrono::Duration::days(7),
            LinkPurpose::Reset => chrono::Duration::days(1),
        }
    }

    /// The workspace page that takes the link's token.
    pub fn page(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "/workspace/invitation",
            LinkPurpose::Reset => "/workspace/reset",
        }
    }
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, QueryableByName)]
pub struct User {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    #[serde(skip)]
    pub role_text: String,
    /// INSEE commune or EPCI codes the person works on; empty: everywhere.
    #[diesel(sql_type = Array<Text>)]
    pub territories: Vec<String>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_login_at: Option<DateTime<Utc>>,
}

impl User {
    /// The stored role; an unknown one is an error, never a default.
    pub fn role(&self) -> StoreResult<Role> {
        Role::parse(&self.role_text)
            .ok_or_else(|| StoreError::Corrupt(format!("user role '{}'", self.role_text)))
    }
}

/// The columns of [`User`], for `SELECT`.
pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role AS role_text, u.territories, \
     u.active, u.created_at, u.last_login_at";

/// A person to create, validated.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub territories: Vec<String>,
}

impl NewUser {
    /// Validates what the CLI (or, later, the users' page) was given; every problem is listed.
    pub fn parse(
        email: &str,
        name: &str,
        role: Role,
        territories: &[String],
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = crate::domain::Email::parse("/email", email)
            .map_err(|e| errors.push(e))
            .ok();
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(
                "/name",
                "invalid_name",
                text!("a display name has 1 to 100 characters"; "un nom affiché compte de 1 à 100 caractères"),
            ));
        }
        let codes = parse_territories(territories)
            .map_err(|e| errors.extend(e))
            .unwrap_or_default();
        match email {
            Some(email) if errors.is_empty() => Ok(Self {
                email: email.as_str().to_string(),
                name,
                role,
                territories: codes,
            }),
            _ => Err(errors),
        }
    }
}

/// An INSEE commune code (`31555`, `2A004`) or an EPCI's SIREN (`243100518`), normalised.
fn territory_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
        return Some(code);
    }
    crate::domain::parse_insee_code("/territories", &code).ok()
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> StoreResult<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(StoreError::invalid(
            "/password",
            "weak_password",
            text!("a password has at least {} characters (a few words make a good one)", MIN_PASSWORD_CHARS;
                  "un mot de passe compte au moins {} caractères (quelques mots en font un bon)", MIN_PASSWORD_CHARS),
        ));
    }
    Ok(())
}

/// The argon2id PHC string of `password` (default parameters, random salt).
pub fn hash_password(password: &str) -> StoreResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Corrupt(format!("argon2 salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Corrupt(format!("argon2: {e}")))
}

/// An argon2id hash of no one's password, with the default parameters: verifying against it
/// costs what verifying a real password costs, so an unknown e-mail answers as slowly as a wrong
/// password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Dgk5WY7eNQCGLkD5HJiCBvwVO1a9a/Ns0nTQgXjT1Wk";

/// Whether `password` matches the PHC string `hash` (or, when there is none, the same work
/// against a dummy hash, then false).
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let (phc, real) = match hash {
        Some(h) => (h, true),
        None => (DUMMY_HASH, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

fn unique_email(result: QueryResult<User>, email: &str) -> StoreResult<User> {
    match result {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(StoreError::Conflict(text!(
            "a person with the e-mail '{}' already has an account", email;
            "une personne d'adresse « {} » a déjà un compte", email))),
        other => Ok(other?),
    }
}

/// Creates an account. With a password, the person can log in at once; without, the returned
/// invitation token (to be sent as a link) lets them set one within 7 days.
pub fn create(
    conn: &mut PgConnection,
    user: &NewUser,
    password: Option<&str>,
) -> StoreResult<(User, Option<String>)> {
    let hash = match password {
        Some(p) => {
            check_password(p)?;
            Some(hash_password(p)?)
        }
        None => None,
    };
    conn.transaction(|conn| {
        let created = Statement::new(
            "INSERT INTO users AS u (email, name, role, territories, password_hash) VALUES (",
        )
        .bind::<Text, _>(user.email.clone())
        .sql(", ")
        .bind::<Text, _>(user.name.clone())
        .sql(", ")
        .bind::<Text, _>(user.role.as_str())
        .sql(", ")
        .bind::<Array<Text>, _>(user.territories.clone())
        .sql(", ")
        .bind::<Nullable<Text>, _>(hash.clone())
        .sql(") RETURNING ")
        .sql(USER_COLUMNS)
        .get_result::<User>(conn);
        let created = unique_email(created, &user.email)?;
        let invitation = match hash {
            Some(_) => None,
            None => Some(issue_link(conn, created.id, LinkPurpose::Invitation)?),
        };
        Ok((created, invitation))
    })
}

/// Records a one-time link for `user_id` and returns its token.
fn issue_link(conn: &mut PgConnection, user_id: i64, purpose: LinkPurpose) -> StoreResult<String> {
    let token = random_secret();
    Statement::new(
        "INSERT INTO user_links (token_sha256, user_id, purpose, expires_at) VALUES (decode(",
    )
    .bind::<Text, _>(hex(&digest(&token)))
    .sql(", 'hex'), ")
    .bind::<BigInt, _>(user_id)
    .sql(", ")
    .bind::<Text, _>(purpose.as_str())
    .sql(", now() + make_interval(secs => ")
    .bind::<diesel::sql_types::Double, _>(purpose.lifetime().num_seconds() as f64)
    .sql("))")
    .execute(conn)?;
    Ok(token)
}

/// Lower-case hexadecimal, for binding a digest as text (`decode(…, 'hex')`).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The active person with this e-mail (whatever its case).
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> StoreResult<Option<User>> {
    Ok(Statement::new("SELECT ")
        .sql(USER_COLUMNS)
        .sql(" FROM users u WHERE lower(u.email) = lower(")
        .bind::<Text, _>(email.trim().to_string())
        .sql(")")
        .get_result::<User>(conn)
        .optional()?)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many accounts there are, disabled ones included.
pub fn count(conn: &mut PgConnection) -> StoreResult<i64> {
    Ok(Statement::new("SELECT count(*) AS n FROM users")
        .get_result::<Count>(conn)?
        .n)
}

/// Every account, oldest first.
pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<User>> {
    Ok(Statement::new("SELECT ")
        .sql(USER_COLUMNS)
        .sql(" FROM users u ORDER BY u.id")
        .load::<User>(conn)?)
}

/// Disables the account with this e-mail and ends its sessions; false when there is none.
pub fn disable(conn: &mut PgConnection, email: &str) -> StoreResult<bool> {
    conn.transaction(|conn| {
        let Some(user) = find_by_email(conn, email)? else {
            return Ok(false);
        };
        Statement::new("UPDATE users SET active = false WHERE id = ")
            .bind::<BigInt, _>(user.id)
            .execute(conn)?;
        end_sessions(conn, user.id)?;
        Ok(true)
    })
}

/// Ends every session of a person (their cookies stop working at once).
fn end_sessions(conn: &mut PgConnection, user_id: i64) -> StoreResult<()> {
    Statement::new(
        "UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL AND user_id = ",
    )
    .bind::<BigInt, _>(user_id)
    .execute(conn)?;
    Ok(())
}

/// A reset link's token for the active person with this e-mail; `None` when there is none.
pub fn reset_password(conn: &mut PgConnection, email: &str) -> StoreResult<Option<String>> {
    conn.transaction(|conn| match find_by_email(conn, email)? {
        Some(user) if user.active => issue_link(conn, user.id, LinkPurpose::Reset).map(Some),
        _ => Ok(None),
    })
}

/// The account with this id, disabled or not.
pub fn get(conn: &mut PgConnection, id: i64) -> StoreResult<Option<User>> {
    Ok(Statement::new("SELECT ")
        .sql(USER_COLUMNS)
        .sql(" FROM users u WHERE u.id = ")
        .bind::<BigInt, _>(id)
        .get_result::<User>(conn)
        .optional()?)
}

/// What an administrator changes about an account; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    /// Validated codes (see [`NewUser::parse`]).
    pub territories: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// Parses territory codes as [`NewUser::parse`] does; every bad code is listed.
pub fn parse_territories(territories: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut codes = Vec::new();
    for (i, raw) in territories.iter().enumerate() {
        match territory_code(raw) {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => errors.push(FieldError::new(
                format!("/territories/{i}"),
                "invalid_territory",
                text!("'{}' is neither an INSEE commune code (five characters) nor an EPCI SIREN (nine digits)", raw;
                      "« {} » n'est ni un code commune INSEE (cinq caractères) ni un SIREN d'EPCI (neuf chiffres)", raw),
            )),
        }
    }
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(errors)
    }
}

/// Changes an account's role, territories or state. Disabling ends its sessions. The last active
/// administrator can be neither demoted nor disabled (nobody could manage accounts any more).
pub fn update(conn: &mut PgConnection, id: i64, change: &UserChange) -> StoreResult<User> {
    conn.transaction(|conn| {
        // Serialises administrators' changes, so two of them cannot demote each other at once.
        Statement::new("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        let current = get(conn, id)?.ok_or(StoreError::NotFound)?;
        let was_admin = current.active && current.role()? == Role::Admin;
        let stays_admin = change.active.unwrap_or(current.active)
            && change.role.unwrap_or(current.role()?) == Role::Admin;
        if was_admin && !stays_admin {
            let others = Statement::new(
                "SELECT count(*) AS n FROM users WHERE active AND role = 'admin' AND id <> ",
            )
            .bind::<BigInt, _>(id)
            .get_result::<Count>(conn)?
            .n;
            if others == 0 {
                return Err(StoreError::Conflict(text!(
                    "{} is the last active administrator: make someone else an administrator first", current.name;
                    "{} est le dernier administrateur actif : nommez d'abord un autre administrateur", current.name)));
            }
        }
        let updated = Statement::new("UPDATE users u SET role = ")
            .bind::<Text, _>(change.role.map_or(current.role_text.clone(), |r| r.as_str().to_string()))
            .sql(", territories = ")
            .bind::<Array<Text>, _>(change.territories.clone().unwrap_or(current.territories.clone()))
            .sql(", active = ")
            .bind::<Bool, _>(change.active.unwrap_or(current.active))
            .sql(" WHERE u.id = ")
            .bind::<BigInt, _>(id)
            .sql(" RETURNING ")
            .sql(USER_COLUMNS)
            .get_result::<User>(conn)?;
        if !updated.active {
            end_sessions(conn, id)?;
        }
        Ok(updated)
    })
}

/// A new invitation (never logged in, no password yet) or reset link for the account `id`;
/// `None` when it is disabled or unknown.
pub fn new_link(conn: &mut PgConnection, id: i64) -> StoreResult<Option<(LinkPurpose, String)>> {
    #[derive(QueryableByName)]
    struct HasPassword {
        #[diesel(sql_type = Bool)]
        has_password: bool,
    }
    conn.transaction(|conn| {
        let Some(user) = get(conn, id)?.filter(|u| u.active) else {
            return Ok(None);
        };
        let purpose = if Statement::new(
            "SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = ",
        )
        .bind::<BigInt, _>(user.id)
        .get_result::<HasPassword>(conn)?
        .has_password
        {
            LinkPurpose::Reset
        } else {
            LinkPurpose::Invitation
        };
        issue_link(conn, user.id, purpose).map(|token| Some((purpose, token)))
    })
}

#[derive(QueryableByName)]
struct LinkOwner {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// Sets the password of the person a one-time link was made for, and uses the link up (with
/// every other link of theirs); their open sessions end. A used, expired or unknown link, or a
/// disabled account, is refused.
pub fn set_password(conn: &mut PgConnection, token: &str, password: &str) -> StoreResult<User> {
    check_password(password)?;
    conn.transaction(|conn| {
        let owner = Statement::new(
            "SELECT l.user_id FROM user_links l JOIN users u ON u.id = l.user_id
             WHERE l.token_sha256 = decode(",
        )
        .bind::<Text, _>(hex(&digest(token)))
        .sql(
            ", 'hex') AND l.used_at IS NULL AND l.expires_at > now() AND u.active
             FOR UPDATE OF l",
        )
        .get_result::<LinkOwner>(conn)
        .optional()?;
        let Some(LinkOwner { user_id }) = owner else {
            return Err(StoreError::invalid(
                "/token",
                "invalid_link",
                text!("this link has already been used, has expired or is unknown; ask an administrator for a new one";
                      "ce lien a déjà servi, a expiré ou est inconnu ; demandez-en un nouveau à un administrateur"),
            ));
        };
        // Hashed only for a valid link: a made-up token costs no argon2 work.
        let hash = hash_password(password)?;
        Statement::new("UPDATE user_links SET used_at = now() WHERE used_at IS NULL AND user_id = ")
            .bind::<BigInt, _>(user_id)
            .execute(conn)?;
        end_sessions(conn, user_id)?;
        Ok(Statement::new("UPDATE users u SET password_hash = ")
            .bind::<Text, _>(hash)
            .sql(" WHERE u.id = ")
            .bind::<BigInt, _>(user_id)
            .sql(" RETURNING ")
            .sql(USER_COLUMNS)
            .get_result::<User>(conn)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery!", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash_password("whatever it is here").unwrap();
        let params = |phc: &str| phc.split('$').nth(3).map(str::to_string);
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn territories_are_insee_codes_or_epci_sirens() {
        let ok = NewUser::parse(
            " Ana@Example.ORG ",
            "  Ana   Lopez ",
            Role::Editor,
            &[
                "31555".into(),
                "2a004".into(),
                "243100518".into(),
                "31555".into(),
            ],
        )
        .unwrap();
        assert_eq!(ok.email, "Ana@example.org");
        assert_eq!(ok.name, "Ana Lopez");
        assert_eq!(ok.territories, ["31555", "2A004", "243100518"]);
        let bad = NewUser::parse("nope", "", Role::Editor, &["3155".into()]).unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/email", "/name", "/territories/0"]);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("eleven chars").is_ok());
        assert!(check_password("elevenchars").is_err());
    }
}
