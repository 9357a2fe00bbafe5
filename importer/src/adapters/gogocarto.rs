//! GoGoCarto's `/api/elements.json` (Transiscope, Près de chez nous…), in both ontologies:
//! `gogofull` elements are objects; `gogocompact` elements are arrays
//! `[id, name, lat, lng, [option ids], status?, moderationState?]`. Categories come from the
//! map's taxonomy (fetched by the run, see [`crate::taxonomy`]), which names the option ids;
//! the mapping's `[categories]` (by id or name) and then the built-in rules of
//! [`crate::practices`] turn them into the directory's categories. An element none of whose
//! options (nor their parents) names a category is stored pending "to classify" by default.

use super::{Adapter, Sink, categories_with_rules, unmapped};
use crate::error::FeedError;
use crate::json_stream;
use crate::mapping::{Mapping, Unmapped};
use crate::properties::text_of;
use crate::record::{Item, Position, Record, Reject, clip_raw};
use crate::taxonomy::Taxonomy;
use geo::{Geometry, Point};
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

pub struct GoGoCarto {
    pub mapping: Mapping,
    /// Names of the map's option ids (empty when the run found none).
    pub taxonomy: Taxonomy,
}

const DAYS: &[(&str, &str)] = &[
    ("Mo", "Mo"),
    ("Tu", "Tu"),
    ("We", "We"),
    ("Th", "Th"),
    ("Fr", "Fr"),
    ("Sa", "Sa"),
    ("Su", "Su"),
];

/// GoGoCarto's `openHours` ({"Mo": "09:00-12:00,14:00-18:00", …}) in OSM syntax.
fn opening_hours(value: Option<&Value>) -> Option<String> {
    let hours = value?.as_object()?;
    let rules: Vec<String> = DAYS
        .iter()
        .filter_map(|(key, osm)| {
            let spans = hours.get(*key).and_then(Value::as_str)?.replace(' ', "");
            (!spans.is_empty()).then(|| format!("{osm} {spans}"))
        })
        .collect();
    (!rules.is_empty()).then(|| rules.join("; "))
}

fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn point(lat: Option<f64>, lon: Option<f64>) -> Position {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Position::Known(Geometry::Point(Point::new(lon, lat))),
        (None, None) => Position::Missing,
        _ => Position::Invalid("only one of latitude and longitude is given".into()),
    }
}

/// GoGoCarto statuses below 1 are pending, refused or deleted elements.
fn published(status: Option<&Value>) -> bool {
    status.and_then(Value::as_i64).is_none_or(|s| s >= 1)
}

impl GoGoCarto {
    /// Option ids are named by the taxonomy; names (newer servers) stand for themselves.
    fn label<'a>(&'a self, value: &'a str) -> &'a str {
        self.taxonomy.name(value).unwrap_or(value)
    }

    fn categories(&self, values: &[String], record: &mut Record) {
        let pairs = || values.iter().map(|v| (v.as_str(), self.label(v)));
        let mut categories = categories_with_rules(&self.mapping, pairs());
        if categories.is_empty() {
            // A sub-option the rules do not know may sit under one they do.
            let parents: Vec<(&str, &str)> = values
                .iter()
                .flat_map(|v| self.taxonomy.ancestors(v))
                .map(|name| (name, name))
                .collect();
            categories = categories_with_rules(&self.mapping, parents);
        }
        if categories.is_empty() {
            categories.extend(self.mapping.default_category.clone());
        }
        record.categories = categories;
        if record.categories.is_empty() {
            let labels: Vec<String> = pairs().map(|(_, label)| label.to_string()).collect();
            record.category_hint = Some(format!("the options {labels:?}"));
            record.unmapped_values = labels;
        }
    }

    fn full(&self, index: usize, e: &Map<String, Value>, raw: String) -> Item {
        if !published(e.get("status")) {
            return Item::Skip;
        }
        let s = |k: &str| e.get(k).and_then(text_of);
        let address = e.get("address").and_then(Value::as_object);
        let a = |k: &str| address.and_then(|a| a.get(k)).and_then(text_of);
        let geo = e.get("geo").and_then(Value::as_object);
        let id = s("id");
        let mut record = Record {
            external_id: id.clone(),
            position_in_feed: format!("element {index}"),
            name: s("name"),
            description: ["description", "descriptionMore", "commitment"]
                .iter()
                .filter_map(|k| s(k))
                .collect(),
            location: point(
                number(geo.and_then(|g| g.get("latitude"))),
                number(geo.and_then(|g| g.get("longitude"))),
            ),
            websites: s("website").into_iter().collect(),
            // GoGoCarto writes "hidden" for private addresses: the normaliser drops non-addresses.
            emails: s("email").into_iter().collect(),
            phones: s("telephone").into_iter().collect(),
            source_url: id.as_deref().and_then(|id| self.mapping.source_url(id)),
            raw: raw.into(),
            ..Record::default()
        }
        .with([
            ("street", a("streetAddress")),
            ("postcode", a("postalCode")),
            ("city", a("addressLocality")),
            (
                "country_code",
                a("addressCountry").or_else(|| self.mapping.default_country.clone()),
            ),
            (
                "opening_hours",
                opening_hours(e.get("openHours")).or_else(|| s("openHoursMoreInfos")),
            ),
        ]);
        // Option ids (older servers), category names (newer ones), or full category objects.
        let mut values: Vec<String> = Vec::new();
        for key in ["optionValues", "categories", "categoriesFull"] {
            for v in e.get(key).and_then(Value::as_array).into_iter().flatten() {
                match v {
                    Value::Object(o) => values.extend(
                        ["id", "name"]
                            .iter()
                            .filter_map(|k| o.get(*k).and_then(text_of)),
                    ),
                    other => values.extend(text_of(other)),
                }
            }
        }
        self.categories(&values, &mut record);
        if record.categories.is_empty() {
            return unmapped(&self.mapping, Unmapped::Pending, record);
        }
        Item::Record(Box::new(record))
    }

    fn compact(&self, index: usize, e: &[Value], raw: String) -> Item {
        if !published(e.get(5)) {
            return Item::Skip;
        }
        let id = e.first().and_then(text_of);
        let mut record = Record {
            external_id: id.clone(),
            position_in_feed: format!("element {index}"),
            name: e.get(1).and_then(text_of),
            location: point(number(e.get(2)), number(e.get(3))),
            source_url: id.as_deref().and_then(|id| self.mapping.source_url(id)),
            raw: raw.into(),
            ..Record::default()
        }
        .with([("country_code", self.mapping.default_country.clone())]);
        let values: Vec<String> = e
            .get(4)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(text_of)
            .collect();
        self.categories(&values, &mut record);
        if record.categories.is_empty() {
            return unmapped(&self.mapping, Unmapped::Pending, record);
        }
        Item::Record(Box::new(record))
    }

    fn element(&self, index: usize, element: Value) -> Item {
        let raw = element.to_string();
        match &element {
            Value::Object(e) => self.full(index, e, raw),
            Value::Array(e) => self.compact(index, e, raw),
            _ => Item::Reject(Reject {
                external_id: None,
                position_in_feed: format!("element {index}"),
                reason: "an element that is neither a gogofull object nor a gogocompact array"
                    .into(),
                raw: clip_raw(&raw),
            }),
        }
    }
}

impl Adapter for GoGoCarto {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let file = std::fs::File::open(path)?;
        let mut on = |_: &str, index: usize, element: Value| sink(self.element(index, element));
        let rest = json_stream::stream(
            BufReader::new(file),
            &["data"],
            "GoGoCarto elements (/api/elements.json)",
            &mut on,
        )?;
        if !rest.found.iter().any(|f| f == "data") {
            return Err(FeedError::malformed(
                "no 'data' array: this is not a GoGoCarto /api/elements.json answer",
                None,
            ));
        }
        Ok(())
    }
}
