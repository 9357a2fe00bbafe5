//! Archipel's integration tests: real PostGIS (a database per test), the real server on port 0.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod bad_input;
mod catalog;
mod changes;
mod cluster;
mod contributions;
mod evaluation;
mod exports;
mod faults;
mod hardening;
mod imports;
mod links;
mod listing;
mod merges;
mod migrations;
mod ogc;
mod ogc_parts;
mod openapi;
mod peer_imports;
mod privacy;
mod replica;
mod sessions;
mod stories;
mod suggest;
mod territories;
mod tiles;
mod wheelchair;
mod workspace;

use serde_json::{Value, json};

/// A small initiative at `lat`, `lon`.
pub fn initiative(name: &str, lat: f64, lon: f64) -> Value {
    json!({ "name": name, "lat": lat, "lon": lon })
}

/// The `name` property of every feature, sorted.
pub fn feature_names(collection: &Value) -> Vec<String> {
    let mut names: Vec<String> = collection["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}
