//! How a source's fields and values map onto the directory, declared per source (in
//! `sources.toml`, a `--mapping` file, or the API) and checked when the source is declared.
//!
//! ```toml
//! [mapping]
//! default_category = "shared-garden"        # when nothing else matches
//! category_field = "type"                   # a field whose values are mapped below
//! unmapped = "reject"                       # "skip" or "pending": records of no category
//! taxonomy = "https://…/api/taxonomy.json"  # GoGoCarto: where option ids are named
//! [mapping.fields]                          # where to read each member (defaults guess)
//! name = "nom"
//! description = ["slogan", "porteur_projet"]
//! [mapping.categories]                      # feed value (or OSM tag "key=value") -> category
//! "Jardin partagé" = "shared-garden"
//! "10427" = ["food-gardens"]
//! [mapping.status_values]
//! ouvert = "active"
//! ```

use archipel_store::fields::{FIELDS, Field};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One field name or several (joined, or tried in order).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Fields {
    One(String),
    Many(Vec<String>),
}

impl Fields {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Fields::One(name) => vec![name.as_str()],
            Fields::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// Where each member is read from. Unset members are looked for under usual names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, try_from = "RawFieldMap")]
pub struct FieldMap {
    pub id: Option<Fields>,
    pub name: Option<Fields>,
    pub description: Option<Fields>,
    /// The initiative's attributes (`street`, `website`, `wheelchair`…: see
    /// `archipel_store::fields`), by name.
    pub attributes: BTreeMap<String, Fields>,
    pub links: Option<Fields>,
    pub tags: Option<Fields>,
    pub status: Option<Fields>,
    pub lat: Option<Fields>,
    pub lon: Option<Fields>,
    /// One column holding "lat,lon".
    pub latlon: Option<Fields>,
    /// One column holding WKT (optionally `SRID=4326;`).
    pub wkt: Option<Fields>,
}

/// [`FieldMap`] as written: the attributes beside the other members, checked by name.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFieldMap {
    id: Option<Fields>,
    name: Option<Fields>,
    description: Option<Fields>,
    links: Option<Fields>,
    tags: Option<Fields>,
    status: Option<Fields>,
    lat: Option<Fields>,
    lon: Option<Fields>,
    latlon: Option<Fields>,
    wkt: Option<Fields>,
    #[serde(flatten)]
    attributes: BTreeMap<String, Fields>,
}

impl TryFrom<RawFieldMap> for FieldMap {
    type Error = String;

    fn try_from(raw: RawFieldMap) -> Result<Self, String> {
        if let Some(unknown) = raw.attributes.keys().find(|k| Field::named(k).is_none()) {
            let known: Vec<&str> = ["id", "name", "description", "links", "tags", "status"]
                .into_iter()
                .chain(FIELDS.iter().map(|f| f.name))
                .chain(["lat", "lon", "latlon", "wkt"])
                .collect();
            return Err(format!(
                "unknown field `{unknown}`, expected one of {}",
                known.join(", ")
            ));
        }
        Ok(FieldMap {
            id: raw.id,
            name: raw.name,
            description: raw.description,
            attributes: raw.attributes,
            links: raw.links,
            tags: raw.tags,
            status: raw.status,
            lat: raw.lat,
            lon: raw.lon,
            latlon: raw.latlon,
            wkt: raw.wkt,
        })
    }
}

impl FieldMap {
    /// Where attribute `name` is read from, when the mapping says.
    pub fn attribute(&self, name: &str) -> Option<&Fields> {
        self.attributes.get(name)
    }

    /// Reads attribute `name` from `fields`.
    pub fn set_attribute(&mut self, name: &str, fields: Option<Fields>) {
        debug_assert!(Field::named(name).is_some(), "{name} is not an attribute");
        match fields {
            Some(fields) => self.attributes.insert(name.to_string(), fields),
            None => self.attributes.remove(name),
        };
    }
}

/// What to do with records that no category matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmapped {
    /// Refused, with the values that matched nothing in the reason.
    #[default]
    Reject,
    /// Counted, not imported (outside the directory's scope).
    Skip,
    /// Stored pending with no category, tagged `to-classify`, its values listed in the run.
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Slugs {
    One(String),
    Many(Vec<String>),
}

impl Slugs {
    pub fn slugs(&self) -> Vec<String> {
        match self {
            Slugs::One(s) => vec![s.clone()],
            Slugs::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    pub fields: FieldMap,
    /// A field whose values are looked up in `categories`.
    pub category_field: Option<Fields>,
    /// Feed value → category slug(s). For Overpass, keys are OSM tags `key=value` that add to
    /// the built-in rules.
    pub categories: BTreeMap<String, Slugs>,
    pub default_category: Option<String>,
    pub unmapped: Option<Unmapped>,
    /// GoGoCarto: the taxonomy naming option ids (a URL, or a file); by default
    /// `/api/taxonomy.json` beside an `/api/elements…` URL.
    pub taxonomy: Option<String>,
    /// Feed value of the status field → active, inactive or closed.
    pub status_values: BTreeMap<String, String>,
    /// Separators of multi-valued fields (default `|`, `;` and `,` for tags and categories).
    pub separator: Option<String>,
    /// CSV: `utf-8`, `windows-1252` or `latin1`; detected when unset.
    pub encoding: Option<String>,
    /// CSV: `,`, `;` or `tab`; detected when unset.
    pub delimiter: Option<String>,
    /// Country of records that do not say (ISO 3166-1 alpha-2).
    pub default_country: Option<String>,
    /// Page of a record at the source, with `{id}` replaced by its identifier.
    pub url_template: Option<String>,
}

impl Mapping {
    /// Reads a mapping from its JSON form (as stored), with a message naming what is wrong.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }

    /// Every category slug the mapping mentions, to check they exist.
    pub fn category_slugs(&self) -> Vec<String> {
        let mut slugs: Vec<String> = self.categories.values().flat_map(Slugs::slugs).collect();
        slugs.extend(self.default_category.clone());
        slugs.sort();
        slugs.dedup();
        slugs
    }

    /// Categories for the values found in a record, main first; the default when none matches.
    pub fn categories_for<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out = self.explicit_categories(values);
        if out.is_empty() {
            out.extend(self.default_category.clone());
        }
        out
    }

    /// Categories that `[categories]` gives the values, main first (no default).
    pub fn explicit_categories<'a>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for value in values {
            let key = value.trim();
            let found = self.categories.get(key).or_else(|| {
                self.categories
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
            for slug in found.map(Slugs::slugs).unwrap_or_default() {
                if !out.contains(&slug) {
                    out.push(slug);
                }
            }
        }
        out
    }

    /// The directory status for a feed value, if the mapping knows it.
    pub fn status_for(&self, value: &str) -> Option<&'static str> {
        let mapped = self
            .status_values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(value.trim()))
            .map(|(_, v)| v.as_str())?;
        match mapped {
            "active" => Some("active"),
            "inactive" => Some("inactive"),
            "closed" => Some("closed"),
            _ => None,
        }
    }

    pub fn separators(&self) -> Vec<char> {
        match &self.separator {
            Some(s) if !s.is_empty() => s.chars().collect(),
            _ => vec!['|', ';', ','],
        }
    }

    pub fn unmapped(&self, default: Unmapped) -> Unmapped {
        self.unmapped.unwrap_or(default)
    }

    pub fn source_url(&self, id: &str) -> Option<String> {
        self.url_template.as_ref().map(|t| t.replace("{id}", id))
    }
}

macro_rules! or_base {
    ($self:ident, $base:ident, $($field:ident),+) => {
        $( $self.fields.$field = $self.fields.$field.or($base.fields.$field); )+
    };
}

impl Mapping {
    /// This mapping, with what it leaves unset taken from `base` (a format's preset).
    pub fn over(mut self, base: Mapping) -> Mapping {
        or_base!(
            self,
            base,
            id,
            name,
            description,
            links,
            tags,
            status,
            lat,
            lon,
            latlon,
            wkt
        );
        for (k, v) in base.fields.attributes {
            self.fields.attributes.entry(k).or_insert(v);
        }
        self.category_field = self.category_field.or(base.category_field);
        for (k, v) in base.categories {
            self.categories.entry(k).or_insert(v);
        }
        self.default_category = self.default_category.or(base.default_category);
        self.unmapped = self.unmapped.or(base.unmapped);
        self.taxonomy = self.taxonomy.or(base.taxonomy);
        for (k, v) in base.status_values {
            self.status_values.entry(k).or_insert(v);
        }
        self.separator = self.separator.or(base.separator);
        self.encoding = self.encoding.or(base.encoding);
        self.delimiter = self.delimiter.or(base.delimiter);
        self.default_country = self.default_country.or(base.default_country);
        self.url_template = self.url_template.or(base.url_template);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_typo_in_a_mapping_is_named() {
        let err = Mapping::from_json(&json!({"fields": {"nmae": "nom"}})).unwrap_err();
        assert!(err.contains("nmae"), "{err}");
    }

    #[test]
    fn values_map_to_categories_with_a_default() {
        let mapping = Mapping::from_json(&json!({
            "categories": {"Jardin partagé": "shared-garden", "AMAP": ["amap", "food-gardens"]},
            "default_category": "food-gardens"
        }))
        .unwrap();
        assert_eq!(
            mapping.categories_for(["jardin partagé"]),
            vec!["shared-garden"]
        );
        assert_eq!(
            mapping.categories_for(["AMAP"]),
            vec!["amap", "food-gardens"]
        );
        assert_eq!(mapping.categories_for(["autre"]), vec!["food-gardens"]);
    }
}
