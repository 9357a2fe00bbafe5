//! The store's error type and the field-level validation error shared with the API.

use crate::Text;
use serde::Serialize;

/// One problem with one field of a request, e.g. `/contact/email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON pointer of the field in the request body (or the query parameter's name).
    pub field: String,
    /// Stable machine-readable code, e.g. `too_long`.
    pub code: &'static str,
    pub message: Text,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        Self {
            field: field.into(),
            code,
            message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The caller's copy is older than the stored one (optimistic concurrency).
    #[error("stale version: the stored version is {current}")]
    Stale { current: i32 },
    /// Category slugs that name no category (a filter's, not an initiative's: those are
    /// field errors).
    #[error("unknown categories: {0:?}")]
    UnknownCategories(Vec<String>),
    /// A territory code (of a filter) that names no imported territory.
    #[error("unknown territory: {0}")]
    UnknownTerritory(String),
    #[error("conflict: {0:?}")]
    Conflict(Text),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migrations: {0}")]
    Migration(String),
    /// A stored value the program does not know (e.g. a moderation state written by a newer
    /// version): an error, never silently replaced by a default.
    #[error("unexpected stored value: {0}")]
    Corrupt(String),
}

/// What a database failure means for the one who asked, when it is not their fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The server is unreachable, restarting or shutting down: try again in a few seconds.
    Unreachable,
    /// The statement ran longer than `statement_timeout`.
    StatementTimeout,
    /// The statement waited longer than `lock_timeout` for a row another transaction (an
    /// import, another editor) holds.
    LockTimeout,
}

/// Messages of libpq and PostgreSQL (SQLSTATE classes 08 and 57P, and 57014/55P03) that diesel
/// reports without a kind of their own. They are stable across versions and not translated when
/// `lc_messages` is C, as in the clusters Archipel creates.
const UNREACHABLE: &[&str] = &[
    "no connection to the server",
    "server closed the connection",
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "could not connect",
    "connection to server",
    "could not send data to server",
    "could not receive data from server",
    "connection refused",
    "ssl connection has been closed",
    "canceling statement due to conflict with recovery",
];

impl StoreError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// Whether this is a fault of the database's availability rather than of the request.
    pub fn fault(&self) -> Option<Fault> {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StoreError::Pool(_) => Some(Fault::Unreachable),
            StoreError::Database(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => {
                Some(Fault::Unreachable)
            }
            StoreError::Database(Error::DatabaseError(_, info)) => fault_of(info.message()),
            StoreError::Database(Error::BrokenTransactionManager) => Some(Fault::Unreachable),
            StoreError::Database(other) => fault_of(&other.to_string()),
            _ => None,
        }
    }
}

fn fault_of(message: &str) -> Option<Fault> {
    let message = message.to_ascii_lowercase();
    if message.contains("canceling statement due to statement timeout") {
        Some(Fault::StatementTimeout)
    } else if message.contains("canceling statement due to lock timeout")
        || message.contains("could not obtain lock")
    {
        Some(Fault::LockTimeout)
    } else if UNREACHABLE.iter().any(|m| message.contains(m)) {
        Some(Fault::Unreachable)
    } else {
        None
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
