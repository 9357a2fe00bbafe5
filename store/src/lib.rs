//! archipel-store: everything of Archipel that touches PostgreSQL — the schema, the migrations,
//! the query functions, the local development cluster — and the validated domain types that the
//! other crates build before asking the store to write anything.

pub mod catalog;
pub mod category;
pub mod change;
pub mod cluster;
pub mod cql2;
pub mod crs;
pub mod db;
pub mod domain;
pub mod duplicate;
pub mod error;
pub mod evaluation;
pub mod export;
pub mod fields;
pub mod filter;
pub mod form_limit;
pub mod geometry;
pub mod import_run;
pub mod initiative;
pub mod link;
pub mod listing;
pub mod map_changes;
pub mod merge;
pub mod migrate;
pub mod openapi;
pub mod report;
pub mod representation;
pub mod revision;
pub mod schema;
pub mod session;
pub mod source;
pub mod statement;
pub mod suggest;
pub mod suggestion;
pub mod sync;
pub mod territory;
pub mod text;
pub mod tiles;
pub mod to_check;
pub mod token;
pub mod user;

pub use db::{Conn, Pool};
pub use error::{FieldError, StoreError};
pub use text::Text;
