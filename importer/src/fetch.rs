//! Getting a feed: one HTTP client for the whole process, with timeouts, retries with exponential
//! backoff on server errors, 429 and timeouts (never on other 4xx), conditional GET (ETag /
//! Last-Modified), gzip, and a size limit. Local files (`file://` URLs or paths) are read in
//! place, with their modification time standing in for an ETag.

use crate::error::FetchError;
use futures_util::StreamExt;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub connect_timeout: Duration,
    /// For the whole request, body included.
    pub timeout: Duration,
    /// The longest silence accepted while reading the body: a server that stalls mid-body is
    /// given up on after this (then retried like any time-out).
    pub stall_timeout: Duration,
    /// Extra attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled at each one.
    pub backoff: Duration,
    pub max_bytes: u64,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
            stall_timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_bytes: 200 * 1024 * 1024,
        }
    }
}

/// What identifies a version of a feed, for conditional requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched feed, on disk (a temporary file for downloads, removed when dropped).
#[derive(Debug)]
pub struct Feed {
    pub path: PathBuf,
    pub validators: Validators,
    pub bytes: u64,
    _download: Option<tempfile::TempPath>,
}

#[derive(Debug)]
pub enum Fetched {
    /// Same version as last time: nothing to do.
    NotModified,
    Feed(Feed),
}

/// A builder of HTTP clients, with TLS through rustls and its *ring* provider, which this
/// installs for the process on first use (reqwest is built without a provider of its own).
/// Every client of Archipel (feeds, tests, tools) starts here.
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Fails only when another provider was installed first, which then serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

enum Attempt {
    Done(Fetched),
    Retry(String, Option<Duration>),
    Fail(FetchError),
}

impl Fetcher {
    pub fn new(settings: FetchSettings) -> Result<Self, FetchError> {
        let client = client_builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .read_timeout(settings.stall_timeout)
            .user_agent(concat!(
                "Archipel/",
                env!("CARGO_PKG_VERSION"),
                " (open-data importer)"
            ))
            .build()
            .map_err(|e| FetchError::Unreachable {
                url: String::new(),
                attempts: 0,
                detail: e.to_string(),
            })?;
        Ok(Self { client, settings })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    pub async fn fetch(&self, location: &str, known: &Validators) -> Result<Fetched, FetchError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return self.fetch_http(location, known).await;
        }
        let path = match location.strip_prefix("file://") {
            Some(rest) => PathBuf::from(rest),
            None if location.contains("://") => {
                return Err(FetchError::BadLocation(location.to_string()));
            }
            None => PathBuf::from(location),
        };
        let metadata = std::fs::metadata(&path).map_err(|e| FetchError::File {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        if !metadata.is_file() {
            return Err(FetchError::File {
                path: path.display().to_string(),
                detail: "not a file".into(),
            });
        }
        if metadata.len() > self.settings.max_bytes {
            return Err(FetchError::TooLarge {
                url: path.display().to_string(),
                limit_mib: self.settings.max_bytes >> 20,
            });
        }
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let etag = format!("file:{modified}-{}", metadata.len());
        if known.etag.as_deref() == Some(etag.as_str()) {
            return Ok(Fetched::NotModified);
        }
        Ok(Fetched::Feed(Feed {
            path,
            validators: Validators {
                etag: Some(etag),
                last_modified: None,
            },
            bytes: metadata.len(),
            _download: None,
        }))
    }

    async fn fetch_http(&self, url: &str, known: &Validators) -> Result<Fetched, FetchError> {
        let attempts = self.settings.retries + 1;
        let mut last = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                tracing::warn!(url, attempt, reason = %last, "retrying the feed");
            }
            match self.attempt(url, known).await {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry(reason, wait) => {
                    last = reason;
                    if attempt < attempts {
                        let backoff = self.settings.backoff * 2u32.pow(attempt - 1);
                        tokio::time::sleep(wait.unwrap_or(backoff).min(Duration::from_secs(60)))
                            .await;
                    }
                }
            }
        }
        match last
            .strip_prefix("HTTP ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse::<u16>().ok())
        {
            Some(status) => Err(FetchError::Status {
                url: url.to_string(),
                status,
                attempts,
            }),
            None => Err(FetchError::Unreachable {
                url: url.to_string(),
                attempts,
                detail: last,
            }),
        }
    }

    async fn attempt(&self, url: &str, known: &Validators) -> Attempt {
        let mut request = self.client.get(url);
        if let Some(etag) = &known.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &known.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_builder() => {
                return Attempt::Fail(FetchError::BadLocation(url.to_string()));
            }
            Err(e) => return Attempt::Retry(describe(&e), None),
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Attempt::Done(Fetched::NotModified);
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Attempt::Retry(format!("HTTP {status}"), wait);
        }
        if !status.is_success() {
            return Attempt::Fail(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                attempts: 1,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit_mib: self.settings.max_bytes >> 20,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.settings.max_bytes)
        {
            return Attempt::Fail(too_large());
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let mut file = match tempfile::NamedTempFile::new() {
            Ok(f) => f,
            Err(e) => {
                return Attempt::Fail(FetchError::File {
                    path: "temporary file".into(),
                    detail: e.to_string(),
                });
            }
        };
        let mut bytes = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) if e.is_timeout() => {
                    let reason = format!(
                        "the feed stopped arriving after {bytes} bytes (nothing for {} s, or the whole download took over {} s)",
                        self.settings.stall_timeout.as_secs(),
                        self.settings.timeout.as_secs()
                    );
                    return Attempt::Retry(reason, None);
                }
                Err(e) => return Attempt::Retry(describe(&e), None),
            };
            bytes += chunk.len() as u64;
            if bytes > self.settings.max_bytes {
                return Attempt::Fail(too_large());
            }
            if let Err(e) = file.write_all(&chunk) {
                return Attempt::Fail(FetchError::File {
                    path: "temporary file".into(),
                    detail: e.to_string(),
                });
            }
        }
        let path = file.into_temp_path();
        Attempt::Done(Fetched::Feed(Feed {
            path: path.to_path_buf(),
            validators,
            bytes,
            _download: Some(path),
        }))
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        e.to_string()
    }
}
