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
    #[error("conflict: {0:?}")]
    Conflict(Text),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migrations: {0}")]
    Migration(String),
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
