//! An import run, from fetch to commit: fetch the feed, stream it through its adapter and the
//! normaliser into the staging table, apply it, record what happened. A run that fails leaves the
//! directory exactly as it was, and says why.

use crate::adapters;
use crate::error::{FeedError, ImportError};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::known::Known;
use crate::mapping::Mapping;
use crate::record::{Item, Reject, normalise};
use crate::taxonomy::{self, Taxonomy};
use archipel_store::domain::Moderation;
use archipel_store::import_run::{
    self, Classification, Counts, NewReject, RunStatus, UnmappedValue,
};
use archipel_store::source::{self, Source, SourceConfig};
use archipel_store::sync::{self, StagedRecord, Target};
use archipel_store::{Conn, Pool, StoreError, category, text};
use chrono::Utc;
use diesel::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most rejects kept per run (all are counted).
pub const MAX_STORED_REJECTS: usize = 5_000;

/// Follows a run as it goes (the CLI draws a progress bar).
pub trait Progress: Send + Sync {
    /// A phase begins: "fetching", "reading", "applying".
    fn phase(&self, _name: &str) {}
    /// One more record read from the feed.
    fn record(&self) {}
}

/// No one watching.
pub struct Silent;
impl Progress for Silent {}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Report what would change, write nothing.
    pub dry_run: bool,
    /// Why the run happens: `manual`, `schedule`, `api`, `demo`.
    pub trigger: String,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub source_id: String,
    /// None for a dry run (nothing is stored).
    pub run_id: Option<i64>,
    pub status: RunStatus,
    pub counts: Counts,
    pub error: Option<String>,
    /// The first rejects (all of them are stored with the run).
    pub rejects: Vec<NewReject>,
    /// Values of the records stored "to classify" that mapped to no category, with their count,
    /// most frequent first.
    pub unmapped: Vec<UnmappedValue>,
    pub elapsed: Duration,
    pub dry_run: bool,
}

/// Declares (or re-declares) a source, after checking that its mapping names real categories.
pub fn declare(conn: &mut PgConnection, config: &SourceConfig) -> Result<(), ImportError> {
    let mapping = Mapping::from_json(&config.mapping).map_err(|detail| ImportError::Mapping {
        source_id: config.id.clone(),
        detail,
    })?;
    let unknown = category::unknown_slugs(conn, &mapping.category_slugs())?;
    if !unknown.is_empty() {
        return Err(ImportError::Mapping {
            source_id: config.id.clone(),
            detail: format!("unknown categories {unknown:?}; see /api/v1/categories"),
        });
    }
    if adapters::for_format(&config.format, mapping).is_none() {
        return Err(ImportError::Mapping {
            source_id: config.id.clone(),
            detail: format!("unknown format '{}'", config.format),
        });
    }
    source::upsert(conn, config)?;
    Ok(())
}

/// A run that has been started: its source is locked against concurrent runs and, unless it is a
/// dry run, it has an id.
pub struct Started {
    conn: Option<Conn>,
    source: Source,
    run_id: Option<i64>,
    options: RunOptions,
    fetcher: Arc<Fetcher>,
    began: Instant,
}

impl Started {
    /// For a dry run: reads the feed with `mapping` instead of the source's own, to preview a
    /// change of mapping before declaring it. The mapping is checked as a declaration would be
    /// (its shape and its categories, given as `unknown` slugs found by the caller).
    pub fn preview_mapping(
        mut self,
        mapping: serde_json::Value,
        unknown: &[String],
    ) -> Result<Self, ImportError> {
        let checked = Mapping::from_json(&mapping).map_err(|detail| ImportError::Mapping {
            source_id: self.source.id.clone(),
            detail,
        })?;
        if !unknown.is_empty() {
            return Err(ImportError::Mapping {
                source_id: self.source.id.clone(),
                detail: format!("unknown categories {unknown:?}; see /api/v1/categories"),
            });
        }
        if adapters::for_format(&self.source.format, checked).is_none() {
            return Err(ImportError::Mapping {
                source_id: self.source.id.clone(),
                detail: format!("unknown format '{}'", self.source.format),
            });
        }
        if !self.options.dry_run {
            return Err(ImportError::Internal(
                "a mapping is previewed by a dry run only".into(),
            ));
        }
        self.source.mapping = mapping;
        Ok(self)
    }
}

/// The category slugs a mapping names (to check them before [`Started::preview_mapping`]).
pub fn mapping_categories(mapping: &serde_json::Value) -> Vec<String> {
    Mapping::from_json(mapping)
        .map(|m| m.category_slugs())
        .unwrap_or_default()
}

/// Starts a run of `source_id`: fails at once when the source is unknown or already importing.
pub async fn start(
    pool: &Pool,
    fetcher: Arc<Fetcher>,
    source_id: &str,
    options: RunOptions,
) -> Result<Started, ImportError> {
    let pool = pool.clone();
    let id = source_id.to_string();
    let dry_run = options.dry_run;
    let trigger = options.trigger.clone();
    let (conn, source, run_id) = tokio::task::spawn_blocking(move || -> Result<_, ImportError> {
        let mut conn = pool.get().map_err(StoreError::from)?;
        let source =
            source::get(&mut conn, &id)?.ok_or_else(|| ImportError::UnknownSource(id.clone()))?;
        if !import_run::try_lock_source(&mut conn, &id)? {
            return Err(ImportError::AlreadyRunning(id));
        }
        // Holding the lock, any run still marked running belongs to a process that died.
        let started = import_run::fail_abandoned(&mut conn, &id).and_then(|()| {
            if dry_run {
                Ok(None)
            } else {
                import_run::start(&mut conn, &id, &trigger).map(Some)
            }
        });
        match started {
            Ok(run_id) => Ok((conn, source, run_id)),
            Err(e) => {
                let _ = import_run::unlock_source(&mut conn, &id);
                Err(e.into())
            }
        }
    })
    .await
    .map_err(|e| ImportError::Internal(e.to_string()))??;
    Ok(Started {
        conn: Some(conn),
        source,
        run_id,
        options,
        fetcher,
        began: Instant::now(),
    })
}

/// Everything the reading phase collects.
#[derive(Default)]
struct Collected {
    counts: Counts,
    rejects: Vec<NewReject>,
    unmapped: HashMap<String, i64>,
}

impl Collected {
    /// The unmapped values, most frequent first (then alphabetical).
    fn unmapped(&self) -> Vec<UnmappedValue> {
        let mut values: Vec<UnmappedValue> = self
            .unmapped
            .iter()
            .map(|(value, count)| UnmappedValue {
                value: value.clone(),
                count: *count,
            })
            .collect();
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        values
    }

    fn reject(&mut self, reject: Reject) {
        self.counts.rejected += 1;
        if self.rejects.len() < MAX_STORED_REJECTS {
            self.rejects.push(NewReject {
                external_id: reject.external_id,
                position: Some(reject.position_in_feed),
                reason: reject.reason,
                raw: reject.raw,
            });
        }
    }
}

/// An element of the feed, read and validated.
enum Element {
    Skipped,
    Rejected(Reject),
    /// Recognised by its digest (see `known`): unchanged since the last run.
    Known {
        external_id: String,
        content_hash: String,
    },
    Staged {
        staged: Box<StagedRecord>,
        to_classify: bool,
        /// Its values that mapped to no category (when `to_classify`).
        unmapped: Vec<String>,
    },
}

fn validate(item: Item) -> Element {
    match item {
        Item::Skip => Element::Skipped,
        Item::Reject(reject) => Element::Rejected(reject),
        Item::Known {
            external_id,
            content_hash,
        } => Element::Known {
            external_id,
            content_hash,
        },
        Item::Record(mut record) => {
            let unmapped = std::mem::take(&mut record.unmapped_values);
            let to_classify = record.to_classify;
            match normalise(*record) {
                Ok(staged) => Element::Staged {
                    staged: Box::new(staged),
                    to_classify,
                    unmapped,
                },
                Err(reject) => Element::Rejected(reject),
            }
        }
    }
}

/// Elements handed from the reading thread to the writing one at a time.
const BATCH: usize = 256;

/// Reads the feed at `path` through `adapter` and validates each element on a thread of its own,
/// while `take` (the `COPY` into staging) runs on the caller's: parsing and validating are most
/// of an import's own work, and the two overlap. A few batches at most wait between them, so
/// memory stays flat. `take` sees the elements in the feed's order; the first error of either
/// side stops both, and the writing side's error is the one reported (the reading side then
/// only learns that no one listens).
fn read_beside(
    adapter: &dyn adapters::Adapter,
    path: &std::path::Path,
    known: &Known,
    mut take: impl FnMut(Element) -> Result<(), FeedError>,
) -> Result<(), FeedError> {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Element>>(4);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let read = adapter.read_known(path, known, &mut |item| {
                batch.push(validate(item));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    sender.send(full).map_err(|_| {
                        FeedError::Io(std::io::Error::other("the import stopped writing"))
                    })?;
                }
                Ok(())
            });
            if read.is_ok() && !batch.is_empty() {
                // The receiving side only goes away after an error of its own, reported instead.
                let _ = sender.send(batch);
            }
            read
        });
        let mut written = Ok(());
        'batches: for batch in receiver.iter() {
            for element in batch {
                written = take(element);
                if written.is_err() {
                    break 'batches;
                }
            }
        }
        // Dropping the receiver stops a reader still at work (its next send fails).
        drop(receiver);
        let read = match reader.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        written.and(read)
    })
}

/// Why a transaction ends without committing.
enum Abort {
    /// A dry run: roll back, report the counts.
    DryRun(Collected),
    Failed(ImportError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Failed(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Failed(e.into())
    }
}

impl From<FeedError> for Abort {
    fn from(e: FeedError) -> Self {
        Abort::Failed(e.into())
    }
}

impl Started {
    pub fn run_id(&self) -> Option<i64> {
        self.run_id
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// A GoGoCarto source's taxonomy, with where it was read: the mapping's `taxonomy`, else
    /// `/api/taxonomy.json` beside the elements. A taxonomy the mapping names must be there (the
    /// run fails otherwise); one merely looked for beside the feed may be missing (the option
    /// ids then stay unnamed, and their records to classify).
    async fn taxonomy(&self) -> Result<Option<(String, serde_json::Value)>, ImportError> {
        if self.source.format != "gogocarto" {
            return Ok(None);
        }
        let named = Mapping::from_json(&self.source.mapping)
            .ok()
            .and_then(|m| m.taxonomy);
        let explicit = named.is_some();
        let Some(location) = named.or_else(|| taxonomy::location_beside(&self.source.location))
        else {
            return Ok(None);
        };
        let read = async {
            let Fetched::Feed(feed) = self
                .fetcher
                .fetch(&location, &Validators::default())
                .await?
            else {
                return Err(ImportError::Internal("a 304 without validators".into()));
            };
            let text = tokio::fs::read(&feed.path)
                .await
                .map_err(|e| ImportError::Feed(FeedError::Io(e)))?;
            serde_json::from_slice::<serde_json::Value>(&text).map_err(|e| {
                ImportError::Feed(FeedError::malformed(
                    format!("the taxonomy at {location} is not JSON: {e}"),
                    None,
                ))
            })
        };
        match read.await {
            Ok(value) => Ok(Some((location, value))),
            Err(e) if explicit => Err(e),
            Err(e) => {
                tracing::warn!(source.id = %self.source.id, taxonomy = %location, error = %e,
                    "no taxonomy beside the GoGoCarto feed: option ids stay unnamed");
                Ok(None)
            }
        }
    }

    /// Fetches and imports; always returns an outcome (a failed run is an outcome).
    pub async fn finish(mut self, progress: Arc<dyn Progress>) -> Outcome {
        progress.phase("fetching");
        let known = Validators {
            etag: self.source.etag.clone(),
            last_modified: self.source.last_modified.clone(),
        };
        let mut fetched = self
            .fetcher
            .fetch(&self.source.location, &known)
            .await
            .map_err(ImportError::from);
        let mut taxonomy = None;
        if let Ok(Fetched::Feed(_)) = &fetched {
            match self.taxonomy().await {
                Ok(found) => taxonomy = found,
                Err(e) => fetched = Err(e),
            }
        }
        let mut conn = self
            .conn
            .take()
            .expect("a started run holds its connection");
        let source = self.source.clone();
        let run_id = self.run_id;
        let options = self.options.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let result = match fetched {
                Err(e) => Err(e),
                Ok(Fetched::NotModified) => Ok((RunStatus::NotModified, Collected::default())),
                Ok(Fetched::Feed(feed)) => import(
                    &mut conn,
                    &source,
                    run_id,
                    &options,
                    &feed,
                    taxonomy,
                    progress.as_ref(),
                )
                .map(|collected| (RunStatus::Succeeded, collected)),
            };
            let outcome = record_end(&mut conn, &source, run_id, &options, result);
            let _ = import_run::unlock_source(&mut conn, &source.id);
            let c = &outcome.1.counts;
            let written = c.created + c.updated + c.restored + c.withdrawn;
            if outcome.0 == RunStatus::Succeeded
                && !options.dry_run
                && written >= archipel_store::sync::TIDY_AFTER_ROWS
            {
                archipel_store::sync::tidy_after_large_write(&mut conn);
            }
            outcome
        })
        .await;
        let (status, collected, error): (RunStatus, Collected, Option<String>) = match joined {
            Ok(outcome) => outcome,
            Err(e) => (
                RunStatus::Failed,
                Collected::default(),
                Some(format!("the import stopped unexpectedly: {e}")),
            ),
        };
        Outcome {
            source_id: self.source.id.clone(),
            run_id: self.run_id,
            status,
            counts: collected.counts,
            error,
            unmapped: collected.unmapped(),
            rejects: collected.rejects.into_iter().take(20).collect(),
            elapsed: self.began.elapsed(),
            dry_run: self.options.dry_run,
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        // A run dropped before `finish` (e.g. the client went away) releases its source.
        if let Some(mut conn) = self.conn.take() {
            if let Some(run_id) = self.run_id {
                let _ = import_run::fail(
                    &mut conn,
                    run_id,
                    "the run was abandoned before it fetched anything",
                );
            }
            let _ = import_run::unlock_source(&mut conn, &self.source.id);
        }
    }
}

/// Stores how the run ended (outside the import's transaction, so a failure is on record).
fn record_end(
    conn: &mut PgConnection,
    source: &Source,
    run_id: Option<i64>,
    options: &RunOptions,
    result: Result<(RunStatus, Collected), ImportError>,
) -> (RunStatus, Collected, Option<String>) {
    match result {
        Ok((status, collected)) => {
            if let (Some(run_id), RunStatus::NotModified) = (run_id, status) {
                let _ = import_run::finish(conn, run_id, status, &collected.counts);
            }
            (status, collected, None)
        }
        Err(err) => {
            let message = err.to_string();
            tracing::warn!(source.id = %source.id, dry_run = options.dry_run, error = %message, "import failed");
            if let Some(run_id) = run_id
                && let Err(e) = import_run::fail(conn, run_id, &message)
            {
                tracing::error!(source.id = %source.id, error = %e, "could not record the failed run");
            }
            (RunStatus::Failed, Collected::default(), Some(message))
        }
    }
}

fn import(
    conn: &mut PgConnection,
    source: &Source,
    run_id: Option<i64>,
    options: &RunOptions,
    feed: &crate::fetch::Feed,
    taxonomy: Option<(String, serde_json::Value)>,
    progress: &dyn Progress,
) -> Result<Collected, ImportError> {
    let mapping = Mapping::from_json(&source.mapping).map_err(|detail| ImportError::Mapping {
        source_id: source.id.clone(),
        detail,
    })?;
    let named = taxonomy
        .as_ref()
        .map(|(_, value)| Taxonomy::from_json(value));
    let adapter = adapters::for_source(&source.format, mapping, named).ok_or_else(|| {
        ImportError::Mapping {
            source_id: source.id.clone(),
            detail: format!("unknown format '{}'", source.format),
        }
    })?;
    let outcome = conn.transaction::<Collected, Abort, _>(|conn| {
        // An import is long by nature and must not give up on a row an editor holds for a
        // moment; whatever limits the connection's pool sets for requests do not apply here.
        archipel_store::db::lift_limits_for_transaction(conn)?;
        // A dry run still needs a run row for the revisions it writes and throws away.
        let run_id = match run_id {
            Some(id) => id,
            None => import_run::start(conn, &source.id, &options.trigger)?,
        };
        sync::create_staging(conn)?;
        progress.phase("reading");
        let known = Known::load(
            conn,
            &source.id,
            &source.format,
            &source.mapping,
            taxonomy.as_ref().map(|(_, value)| value),
        )?;
        let collected = RefCell::new(Collected::default());
        sync::copy_into_staging::<FeedError, _>(conn, |writer| {
            read_beside(adapter.as_ref(), &feed.path, &known, |element| {
                progress.record();
                let mut c = collected.borrow_mut();
                c.counts.fetched += 1;
                match element {
                    Element::Skipped => c.counts.skipped += 1,
                    Element::Rejected(reject) => c.reject(reject),
                    Element::Known {
                        external_id,
                        content_hash,
                    } => writer.write_known(&external_id, &content_hash)?,
                    Element::Staged {
                        staged,
                        to_classify,
                        unmapped,
                    } => {
                        writer.write(&staged)?;
                        if to_classify {
                            c.counts.to_classify += 1;
                            for value in unmapped {
                                *c.unmapped.entry(value).or_default() += 1;
                            }
                        }
                    }
                }
                Ok(())
            })
        })?;
        progress.phase("applying");
        let mut collected = collected.into_inner();
        let target = Target {
            source_id: source.id.clone(),
            run_id,
            author: format!("import:{}", source.id),
            moderation: archipel_store::initiative::stored(
                Moderation::parse,
                "sources.moderation",
                &source.moderation,
            )?,
            licence: source.licence.clone(),
            attribution: source.attribution.clone(),
            fetched_at: Utc::now(),
            complete: source.complete,
        };
        let applied = sync::apply(conn, &target)?;
        for (external_id, times) in &applied.repeated_ids {
            collected.reject(Reject {
                external_id: Some(external_id.clone()),
                position_in_feed: String::new(),
                reason: format!("the feed lists this id {times} times; the last one was kept"),
                raw: String::new(),
            });
        }
        let c = &mut collected.counts;
        c.created = applied.created;
        c.updated = applied.updated;
        c.unchanged = applied.unchanged;
        c.withdrawn = applied.withdrawn;
        c.restored = applied.restored;
        c.conflicts = applied.conflicts;
        c.duplicates = applied.duplicates;
        if options.dry_run {
            return Err(Abort::DryRun(collected));
        }
        import_run::save_rejects(conn, run_id, &collected.rejects)?;
        let (taxonomy_url, taxonomy) = taxonomy.unzip();
        import_run::save_classification(
            conn,
            run_id,
            &Classification {
                to_classify: collected.counts.to_classify,
                unmapped: collected.unmapped(),
                taxonomy_url,
                taxonomy,
            },
        )?;
        import_run::finish(conn, run_id, RunStatus::Succeeded, &collected.counts)?;
        source::set_validators(
            conn,
            &source.id,
            feed.validators.etag.as_deref(),
            feed.validators.last_modified.as_deref(),
        )?;
        Ok(collected)
    });
    match outcome {
        Ok(collected) | Err(Abort::DryRun(collected)) => Ok(collected),
        Err(Abort::Failed(e)) => Err(e),
    }
}

/// Runs one source now.
pub async fn run(
    pool: &Pool,
    fetcher: Arc<Fetcher>,
    source_id: &str,
    options: RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<Outcome, ImportError> {
    Ok(start(pool, fetcher, source_id, options)
        .await?
        .finish(progress)
        .await)
}

/// Runs every source whose refresh interval has passed, one after the other.
pub async fn run_due(
    pool: &Pool,
    fetcher: Arc<Fetcher>,
    trigger: &str,
    progress: Arc<dyn Progress>,
) -> Result<Vec<Result<Outcome, ImportError>>, ImportError> {
    let p = pool.clone();
    let due = tokio::task::spawn_blocking(move || -> Result<Vec<Source>, ImportError> {
        let mut conn = p.get().map_err(StoreError::from)?;
        Ok(source::due(&mut conn)?)
    })
    .await
    .map_err(|e| ImportError::Internal(e.to_string()))??;
    let mut outcomes = Vec::new();
    for source in due {
        let options = RunOptions {
            dry_run: false,
            trigger: trigger.to_string(),
        };
        outcomes.push(run(pool, fetcher.clone(), &source.id, options, progress.clone()).await);
    }
    Ok(outcomes)
}

/// A sentence for people about an outcome, in French and English.
pub fn summary(outcome: &Outcome) -> archipel_store::Text {
    let c = &outcome.counts;
    match outcome.status {
        RunStatus::NotModified => {
            text!("{}: the feed has not changed since the last import", outcome.source_id;
                                        "{} : le flux n'a pas changé depuis le dernier import", outcome.source_id)
        }
        RunStatus::Failed => {
            text!("{}: failed: {}", outcome.source_id, outcome.error.clone().unwrap_or_default();
                                   "{} : échec : {}", outcome.source_id, outcome.error.clone().unwrap_or_default())
        }
        _ => {
            text!("{}: {} read, {} created, {} updated, {} unchanged, {} withdrawn, {} restored, {} rejected, {} skipped, {} to classify, {} conflicts, {} possible duplicates",
                   outcome.source_id, c.fetched, c.created, c.updated, c.unchanged, c.withdrawn, c.restored, c.rejected, c.skipped, c.to_classify, c.conflicts, c.duplicates;
                   "{} : {} lus, {} créés, {} mis à jour, {} inchangés, {} retirés, {} restaurés, {} rejetés, {} ignorés, {} à classer, {} conflits, {} doublons possibles",
                   outcome.source_id, c.fetched, c.created, c.updated, c.unchanged, c.withdrawn, c.restored, c.rejected, c.skipped, c.to_classify, c.conflicts, c.duplicates)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A feed of `len` skipped elements that fails at `fail_at`, if given; counts what it read.
    struct Counting {
        len: usize,
        fail_at: Option<usize>,
        read: AtomicUsize,
    }

    impl adapters::Adapter for Counting {
        fn read(
            &self,
            _: &std::path::Path,
            sink: &mut adapters::Sink<'_>,
        ) -> Result<(), FeedError> {
            for i in 0..self.len {
                if self.fail_at == Some(i) {
                    return Err(FeedError::malformed(
                        "cut short",
                        Some(format!("element {i}")),
                    ));
                }
                self.read.fetch_add(1, Ordering::Relaxed);
                sink(Item::Skip)?;
            }
            Ok(())
        }
    }

    fn nothing_known() -> Known {
        Known::none("test", &serde_json::Value::Null, None)
    }

    fn feed(len: usize, fail_at: Option<usize>) -> Counting {
        Counting {
            len,
            fail_at,
            read: AtomicUsize::new(0),
        }
    }

    /// Reads `adapter` through [`read_beside`] into a writer that takes everything: what the
    /// writer took, and how the reading ended.
    fn read_all(adapter: &Counting) -> (usize, Result<(), FeedError>) {
        let mut taken = 0;
        let result = read_beside(adapter, std::path::Path::new("-"), &nothing_known(), |_| {
            taken += 1;
            Ok(())
        });
        (taken, result)
    }

    #[test]
    fn every_element_reaches_the_writer_once() {
        let (taken, result) = read_all(&feed(10 * BATCH + 7, None));
        result.expect("a whole feed");
        assert_eq!(taken, 10 * BATCH + 7);
    }

    #[test]
    fn a_broken_feed_is_reported_after_what_came_before_it() {
        let (taken, result) = read_all(&feed(10 * BATCH, Some(3 * BATCH + 5)));
        let err = result.expect_err("the feed breaks");
        assert!(err.to_string().contains("cut short (element 773)"), "{err}");
        // The last partial batch is not written: the COPY is aborted anyway.
        assert_eq!(taken, 3 * BATCH);
    }

    #[test]
    fn a_failed_write_stops_the_reading_and_is_the_error_reported() {
        let adapter = feed(1_000 * BATCH, None);
        let err = read_beside(
            &adapter,
            std::path::Path::new("-"),
            &nothing_known(),
            |_| {
                Err(FeedError::Io(std::io::Error::other(
                    "the database went away",
                )))
            },
        )
        .expect_err("the write fails");
        assert!(err.to_string().contains("the database went away"), "{err}");
        // The reader stopped within the few batches the channel holds, not at the end.
        assert!(adapter.read.load(Ordering::Relaxed) < 10 * BATCH);
    }
}
