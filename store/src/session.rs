//! Sessions of people, stored in PostgreSQL so that every API process shares them and an
//! administrator can end them: only the SHA-256 of the cookie's 256-bit secret is kept. A session
//! ends after 8 hours unused or 7 days in all, when its person logs out, sets a new password or is
//! disabled. Failed logins are counted here too, per account and per client network.

use crate::error::StoreResult;
use crate::statement::Statement;
use crate::token::{Role, digest, random_secret};
use crate::user::{USER_COLUMNS, User, hex};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz};
use std::time::Duration;

/// A session unused for this long has ended.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// A session has ended this long after the login, however busy.
pub const ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Failed logins are counted over this window.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins for one account within the window before it is locked.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins from one client network within the window before it is locked.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;

/// A live session and its person.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub role: Role,
    /// Must come back in `X-CSRF-Token` with every state-changing request.
    pub csrf_token: String,
}

/// The outcome of a login.
#[derive(Debug)]
pub enum Login {
    /// The cookie's secret (to give to the browser only) and the session.
    Started { secret: String, session: Session },
    /// Wrong e-mail or password (which one is not said).
    Refused,
    /// Too many failures for this account or from this client; try again after this long.
    Locked(Duration),
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(embed)]
    user: User,
    #[diesel(sql_type = Text)]
    csrf_token: String,
    #[diesel(sql_type = BigInt)]
    session_id: i64,
    #[diesel(sql_type = Timestamptz)]
    last_seen_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Credentials {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    password_hash: Option<String>,
}

#[derive(QueryableByName)]
struct Lock {
    /// Seconds until the oldest counted failure leaves the window, when locked.
    #[diesel(sql_type = Nullable<Double>)]
    frees_in: Option<f64>,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Whether this account or this client is locked, and for how long.
fn lock(conn: &mut PgConnection, account: &str, client_key: &str) -> StoreResult<Option<Duration>> {
    Statement::new("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
        .execute(conn)?;
    let window = secs(FAILURE_WINDOW);
    let over = |filter: &'static str, limit: i64| {
        format!(
            "CASE WHEN count(*) FILTER (WHERE {filter}) >= {limit} THEN \
             extract(epoch FROM min(f.at) FILTER (WHERE {filter}) + make_interval(secs => {window}) - now())::float8 END"
        )
    };
    // The limits and the window are constants of the program, not values from a request.
    let lock: Lock = Statement::new("WITH asked AS (SELECT lower(")
        .bind::<Text, _>(account.to_string())
        .sql("::text) AS account, ")
        .bind::<Text, _>(client_key.to_string())
        .sql("::text AS client_key) SELECT greatest(")
        .sql(over("f.account = a.account", MAX_FAILURES_PER_ACCOUNT))
        .sql(", ")
        .sql(over("f.client_key = a.client_key", MAX_FAILURES_PER_CLIENT))
        .sql(format!(
            ") AS frees_in FROM login_failures f CROSS JOIN asked a \
             WHERE (f.account = a.account OR f.client_key = a.client_key) \
             AND f.at > now() - make_interval(secs => {window})"
        ))
        .get_result(conn)?;
    Ok(lock
        .frees_in
        .map(|s| Duration::from_secs_f64(s.clamp(1.0, window))))
}

/// The first step of a login, before the password is verified (by [`crate::user::verify_password`],
/// away from any database connection: it takes a tenth of a second of a core on purpose).
#[derive(Debug)]
pub enum Attempt {
    /// Too many failures for this account or from this client; try again after this long.
    Locked(Duration),
    /// Verify the password against `hash` (none: an unknown e-mail, a disabled account or one
    /// without a password yet, which the dummy hash stands for); then [`finish_login`] with
    /// `user_id` if it matched.
    Verify {
        user_id: Option<i64>,
        hash: Option<String>,
    },
}

/// Starts a login attempt of `email` from `client_key` (the client's network): refused while
/// the account or the client is locked; otherwise counted as a failure at once, so that
/// parallel guesses cannot slip past the count, and the person's password hash returned. The
/// failure is forgotten if [`finish_login`] follows.
pub fn begin_login(conn: &mut PgConnection, email: &str, client_key: &str) -> StoreResult<Attempt> {
    // The account is the e-mail as PostgreSQL lower-cases it, like the unique index on users.
    let account = email.trim().to_string();
    conn.transaction(|conn| {
        // One decision at a time per account, whichever process receives the attempts.
        Statement::new("SELECT pg_advisory_xact_lock(hashtext('archipel-login:' || lower(")
            .bind::<Text, _>(account.clone())
            .sql("))::bigint)")
            .execute(conn)?;
        if let Some(wait) = lock(conn, &account, client_key)? {
            return Ok(Attempt::Locked(wait));
        }
        Statement::new("INSERT INTO login_failures (account, client_key) VALUES (lower(")
            .bind::<Text, _>(account.clone())
            .sql("), ")
            .bind::<Text, _>(client_key.to_string())
            .sql(")")
            .execute(conn)?;
        let credentials = Statement::new(
            "SELECT id, password_hash FROM users WHERE active AND lower(email) = lower(",
        )
        .bind::<Text, _>(account)
        .sql(")")
        .get_result::<Credentials>(conn)
        .optional()?;
        Ok(match credentials {
            Some(c) => Attempt::Verify {
                user_id: Some(c.id),
                hash: c.password_hash,
            },
            None => Attempt::Verify {
                user_id: None,
                hash: None,
            },
        })
    })
}

/// The password of `email` proved right: its failures are forgotten and a session starts.
pub fn finish_login(conn: &mut PgConnection, email: &str, user_id: i64) -> StoreResult<Login> {
    conn.transaction(|conn| {
        Statement::new("DELETE FROM login_failures WHERE account = lower(")
            .bind::<Text, _>(email.trim().to_string())
            .sql(")")
            .execute(conn)?;
        start(conn, user_id)
    })
}

fn start(conn: &mut PgConnection, user_id: i64) -> StoreResult<Login> {
    let secret = random_secret();
    let csrf_token = random_secret();
    Statement::new("DELETE FROM sessions WHERE created_at < now() - make_interval(secs => ")
        .bind::<Double, _>(secs(ABSOLUTE))
        .sql(")")
        .execute(conn)?;
    Statement::new("INSERT INTO sessions (secret_sha256, user_id, csrf_token) VALUES (decode(")
        .bind::<Text, _>(hex(&digest(&secret)))
        .sql(", 'hex'), ")
        .bind::<BigInt, _>(user_id)
        .sql(", ")
        .bind::<Text, _>(csrf_token)
        .sql(")")
        .execute(conn)?;
    Statement::new("UPDATE users SET last_login_at = now() WHERE id = ")
        .bind::<BigInt, _>(user_id)
        .execute(conn)?;
    match find(conn, &secret)? {
        Some(session) => Ok(Login::Started { secret, session }),
        None => Err(crate::StoreError::Corrupt(
            "a new session cannot be read".into(),
        )),
    }
}

/// The live session whose cookie holds `secret`: not revoked, not idle for 8 hours, younger than
/// 7 days, of an active person. Records that it was used (at most once a minute, so reads do not
/// all turn into writes).
pub fn find(conn: &mut PgConnection, secret: &str) -> StoreResult<Option<Session>> {
    if secret.len() != 43 {
        return Ok(None);
    }
    let row = Statement::new("SELECT ")
        .sql(USER_COLUMNS)
        .sql(
            ", s.csrf_token, s.id AS session_id, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.secret_sha256 = decode(",
        )
        .bind::<Text, _>(hex(&digest(secret)))
        .sql(", 'hex') AND s.revoked_at IS NULL AND u.active AND s.last_seen_at > now() - make_interval(secs => ")
        .bind::<Double, _>(secs(IDLE))
        .sql(") AND s.created_at > now() - make_interval(secs => ")
        .bind::<Double, _>(secs(ABSOLUTE))
        .sql(")")
        .get_result::<Row>(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    if Utc::now() - row.last_seen_at > chrono::Duration::minutes(1) {
        Statement::new("UPDATE sessions SET last_seen_at = now() WHERE id = ")
            .bind::<BigInt, _>(row.session_id)
            .execute(conn)?;
    }
    let role = row.user.role()?;
    Ok(Some(Session {
        user: row.user,
        role,
        csrf_token: row.csrf_token,
    }))
}

/// Ends the session whose cookie holds `secret` (nothing when there is none).
pub fn revoke(conn: &mut PgConnection, secret: &str) -> StoreResult<()> {
    Statement::new("UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL AND secret_sha256 = decode(")
        .bind::<Text, _>(hex(&digest(secret)))
        .sql(", 'hex')")
        .execute(conn)?;
    Ok(())
}
