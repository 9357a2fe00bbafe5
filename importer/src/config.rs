//! Declaring sources: `sources.toml` (for `archipel source sync-config`) or command-line flags.
//!
//! ```toml
//! [[source]]
//! id = "osm-toulouse"
//! name = "OpenStreetMap — Toulouse"
//! format = "overpass"
//! url = "https://overpass-api.de/api/interpreter?data=…"
//! licence = "ODbL-1.0"
//! attribution = "© OpenStreetMap contributors"
//! refresh = "24h"
//! [source.mapping]
//! default_country = "FR"
//! ```
//! Relative paths are read from the directory of the file that declares them.

use crate::mapping::Mapping;
use archipel_store::domain::Moderation;
use archipel_store::source::{FORMATS, SourceConfig};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDecl {
    pub id: String,
    pub name: Option<String>,
    pub format: String,
    /// An http(s) or file:// URL.
    pub url: Option<String>,
    /// A local file, relative to the declaring file.
    pub path: Option<String>,
    pub licence: Option<String>,
    pub attribution: Option<String>,
    /// e.g. `30m`, `24h`, `7d`; none means on demand only.
    pub refresh: Option<String>,
    /// Whether the feed lists everything the source has (what is missing gets withdrawn).
    #[serde(default = "yes")]
    pub complete: bool,
    /// `published` (default) or `pending` (an editor publishes each one).
    pub moderation: Option<String>,
    #[serde(default)]
    pub mapping: Option<toml::Table>,
    /// A TOML or JSON file holding the mapping instead.
    pub mapping_file: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<SourceDecl>,
}

/// Reads a mapping file (`.json`, else TOML).
pub fn read_mapping_file(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::to_value(table).map_err(|e| e.to_string())?
    };
    // A file may hold the mapping itself or a [mapping] table.
    Ok(value.get("mapping").cloned().unwrap_or(value))
}

/// `24h` → seconds.
pub fn parse_refresh(raw: &str) -> Result<i64, String> {
    let duration = humantime::parse_duration(raw.trim())
        .map_err(|e| format!("refresh '{raw}': {e} (write e.g. 30m, 24h, 7d)"))?;
    i64::try_from(duration.as_secs()).map_err(|_| format!("refresh '{raw}' is too long"))
}

impl SourceDecl {
    /// Checks the declaration and resolves relative paths against `base`.
    pub fn into_config(self, base: &Path) -> Result<SourceConfig, String> {
        let context = |msg: String| format!("source '{}': {msg}", self.id);
        if !FORMATS.contains(&self.format.as_str()) {
            return Err(context(format!(
                "unknown format '{}'; use one of: {}",
                self.format,
                FORMATS.join(", ")
            )));
        }
        let location = match (&self.url, &self.path) {
            (Some(url), None) => url.clone(),
            (None, Some(path)) => {
                let full = base.join(path);
                let full = std::fs::canonicalize(&full)
                    .map_err(|e| context(format!("{}: {e}", full.display())))?;
                full.display().to_string()
            }
            _ => return Err(context("give either url or path".into())),
        };
        let mapping = match (&self.mapping, &self.mapping_file) {
            (Some(_), Some(_)) => {
                return Err(context("give either mapping or mapping_file".into()));
            }
            (Some(table), None) => {
                serde_json::to_value(table).map_err(|e| context(e.to_string()))?
            }
            (None, Some(file)) => read_mapping_file(&base.join(file)).map_err(context)?,
            (None, None) => serde_json::json!({}),
        };
        let mut mapping = mapping;
        resolve_taxonomy_path(&mut mapping, base).map_err(context)?;
        Mapping::from_json(&mapping).map_err(|e| context(format!("mapping: {e}")))?;
        let moderation = match self.moderation.as_deref() {
            None | Some("published") => Moderation::Published,
            Some("pending") => Moderation::Pending,
            Some(other) => {
                return Err(context(format!(
                    "moderation '{other}': use published or pending"
                )));
            }
        };
        let refresh_seconds = self
            .refresh
            .as_deref()
            .map(parse_refresh)
            .transpose()
            .map_err(context)?;
        Ok(SourceConfig {
            name: self.name.clone().unwrap_or_else(|| self.id.clone()),
            id: self.id,
            format: self.format,
            location,
            mapping,
            licence: self.licence,
            attribution: self.attribution,
            refresh_seconds,
            complete: self.complete,
            moderation,
        })
    }
}

/// A mapping's `taxonomy` given as a relative path is read from the declaring file's directory.
fn resolve_taxonomy_path(mapping: &mut serde_json::Value, base: &Path) -> Result<(), String> {
    let Some(taxonomy) = mapping.get_mut("taxonomy") else {
        return Ok(());
    };
    let Some(raw) = taxonomy.as_str() else {
        return Ok(()); // the mapping's own check names the wrong type
    };
    if raw.contains("://") || Path::new(raw).is_absolute() {
        return Ok(());
    }
    let full = base.join(raw);
    let full =
        std::fs::canonicalize(&full).map_err(|e| format!("taxonomy {}: {e}", full.display()))?;
    *taxonomy = serde_json::Value::String(full.display().to_string());
    Ok(())
}

/// The sources declared in a `sources.toml`.
pub fn read_sources_file(path: &Path) -> Result<Vec<SourceConfig>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: SourcesFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut ids = std::collections::HashSet::new();
    file.source
        .into_iter()
        .map(|decl| {
            if !ids.insert(decl.id.clone()) {
                return Err(format!(
                    "{}: source '{}' is declared twice",
                    path.display(),
                    decl.id
                ));
            }
            decl.into_config(base)
        })
        .collect()
}
