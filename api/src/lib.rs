//! archipel-api: the HTTP API over the store (and, for imports, the importer). Handlers are thin:
//! they extract, validate into domain types, call one store function and shape the response.

pub mod app;
pub mod auth;
pub mod client;
pub mod conditional;
pub mod error;
pub mod export_gate;
pub mod extract;
pub mod input;
pub mod lang;
pub mod list_params;
pub mod mail;
pub mod openapi;
pub mod routes;
pub mod schemas;
pub mod state;
pub mod tile_cache;
pub mod tile_warm;

pub use app::{build, configure};
pub use state::{AppState, Settings};
