//! Why an import run fails. A failed run changes nothing in the directory.

use archipel_store::StoreError;

/// The feed file itself is unusable: the whole run fails, with what and where.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Not the declared format, or broken (truncated, invalid syntax…).
    #[error("{what}{}", position.as_ref().map(|p| format!(" ({p})")).unwrap_or_default())]
    Malformed {
        what: String,
        position: Option<String>,
    },
    /// Overpass answered with a `remark` instead of data (timeout, error).
    #[error("Overpass answered with a remark instead of data: {0}")]
    Remark(String),
    #[error("reading the feed: {0}")]
    Io(#[from] std::io::Error),
    /// Writing to the database while reading the feed.
    #[error("database: {0}")]
    Store(#[from] diesel::result::Error),
}

impl FeedError {
    pub fn malformed(what: impl Into<String>, position: Option<String>) -> Self {
        FeedError::Malformed {
            what: what.into(),
            position,
        }
    }
}

/// Fetching the feed failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status} from {url}{}", if *.attempts > 1 { format!(" after {attempts} attempts") } else { String::new() })]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("{url} could not be reached after {attempts} attempts: {detail}")]
    Unreachable {
        url: String,
        attempts: u32,
        detail: String,
    },
    #[error(
        "the feed at {url} is larger than the {limit_mib} MiB limit (raise it with --max-feed-size)"
    )]
    TooLarge { url: String, limit_mib: u64 },
    #[error("cannot read {path}: {detail}")]
    File { path: String, detail: String },
    #[error("'{0}' is neither an http(s) URL, a file:// URL nor a path")]
    BadLocation(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("there is no source '{0}'; see `archipel source list`")]
    UnknownSource(String),
    #[error("an import of '{0}' is already running")]
    AlreadyRunning(String),
    #[error("the mapping of source '{source_id}' is invalid: {detail}")]
    Mapping { source_id: String, detail: String },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the feed is unusable: {0}")]
    Feed(#[from] FeedError),
    #[error("{}", describe_store(.0))]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

fn describe_store(err: &StoreError) -> String {
    match err {
        StoreError::Conflict(text) => text.en.clone(),
        StoreError::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message.en))
            .collect::<Vec<_>>()
            .join("; "),
        other => format!("database: {other}"),
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(err: diesel::result::Error) -> Self {
        ImportError::Store(StoreError::Database(err))
    }
}
