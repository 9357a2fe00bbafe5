//! archipel-importer: pulls open-data feeds (OpenStreetMap via Overpass, GeoJSON, CSV,
//! GoGoCarto, Karte von morgen, fablabs.io, data.gouv schemas) into the directory, again and
//! again, without losing a person's edits or the data already stored.
//!
//! feed → [`fetch`] → [`adapters`] (one per format) → [`record::normalise`] → staging (COPY) →
//! `archipel_store::sync` (set-based upsert) → run report.

pub mod adapters;
pub mod config;
pub mod error;
pub mod fetch;
mod json_stream;
pub mod known;
pub mod mapping;
pub mod practices;
mod properties;
pub mod record;
pub mod run;
pub mod taxonomy;

pub use error::ImportError;
pub use fetch::{FetchSettings, Fetcher};
pub use run::{Outcome, Progress, RunOptions, Silent};
