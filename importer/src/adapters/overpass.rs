//! Overpass API JSON (OpenStreetMap): nodes carry `lat`/`lon`; ways and relations carry a
//! position only with `out center` (`center`, sometimes `{}`) or `out bb` (`bounds`). Errors and
//! timeouts arrive as HTTP 200 with a top-level `remark`: that is a failed fetch, never an empty
//! feed.

use super::{Adapter, Sink, unmapped};
use crate::error::FeedError;
use crate::json_stream;
use crate::mapping::{Mapping, Unmapped};
use crate::record::{Item, Position, Record, Reject, clip_raw};
use archipel_store::fields::FIELDS;
use geo::{Geometry, Point};
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

pub struct Overpass {
    pub mapping: Mapping,
}

/// Built-in OSM tag rules, in order: the first match gives the main category.
fn categories(tags: &Map<String, Value>, mapping: &Mapping) -> Vec<String> {
    let tag = |k: &str| tags.get(k).and_then(Value::as_str).unwrap_or("");
    let is = |k: &str, v: &str| tag(k).split(';').any(|x| x.trim().eq_ignore_ascii_case(v));
    let named = |pattern: &[&str]| {
        let text = format!("{} {} {}", tag("name"), tag("network"), tag("brand")).to_lowercase();
        pattern.iter().any(|p| text.contains(p))
    };
    let mut out: Vec<&str> = Vec::new();
    if is("repair", "assisted_self_service")
        || named(&["repair café", "repair cafe", "repaircafé", "repaircafe"])
    {
        out.push("repair-cafe");
    }
    if is("service:bicycle:diy", "yes")
        || named(&[
            "atelier vélo",
            "atelier velo",
            "vélo-école",
            "cyclofficine",
            "recyclerie vélo",
        ])
    {
        out.push("bike-workshop");
    }
    if is("leisure", "garden") && (is("garden:type", "community") || is("garden:type", "shared")) {
        out.push("shared-garden");
    }
    if is("leisure", "hackerspace")
        || is("workshop", "fablab")
        || is("network", "fablab")
        || is("amenity", "fablab")
        || is("leisure", "makerspace")
    {
        out.push("fablab");
    }
    if is("office", "coworking") || is("amenity", "coworking_space") {
        out.push("tiers-lieu");
    }
    if named(&["recyclerie", "ressourcerie"])
        && (is("amenity", "recycling") || is("shop", "second_hand") || is("shop", "charity"))
    {
        out.push("recyclerie");
    }
    if is("shop", "second_hand") || is("shop", "charity") {
        out.push("second-hand");
    }
    if is("amenity", "give_box") {
        out.push("give-box");
    }
    if is("amenity", "public_bookcase") {
        out.push("book-box");
    }
    if is("amenity", "toy_library") {
        out.push("toy-library");
    }
    if is("social_facility", "food_bank") {
        out.push("food-bank");
    }
    if is("shop", "repair") {
        out.push("repair-shop");
    }
    let mut slugs: Vec<String> = out.into_iter().map(str::to_string).collect();
    for (rule, mapped) in &mapping.categories {
        if let Some((k, v)) = rule.split_once('=')
            && is(k.trim(), v.trim())
        {
            slugs.extend(mapped.slugs());
        }
    }
    if slugs.is_empty() {
        slugs.extend(mapping.default_category.clone());
    }
    slugs
}

fn coordinate(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64)
}

fn position(kind: &str, element: &Map<String, Value>) -> Position {
    let point = |lat: Option<f64>, lon: Option<f64>| match (lat, lon) {
        (Some(lat), Some(lon)) => Position::Known(Geometry::Point(Point::new(lon, lat))),
        _ => Position::Missing,
    };
    if kind == "node" {
        return point(
            coordinate(element.get("lat")),
            coordinate(element.get("lon")),
        );
    }
    if let Some(center) = element.get("center") {
        return match center.as_object() {
            Some(c) if c.contains_key("lat") && c.contains_key("lon") => {
                point(coordinate(c.get("lat")), coordinate(c.get("lon")))
            }
            _ => Position::Invalid(
                "the element's center is empty: Overpass could not compute it".into(),
            ),
        };
    }
    if let Some(b) = element.get("bounds").and_then(Value::as_object) {
        let v = |k: &str| coordinate(b.get(k));
        if let (Some(s), Some(w), Some(n), Some(e)) =
            (v("minlat"), v("minlon"), v("maxlat"), v("maxlon"))
        {
            return point(Some((s + n) / 2.0), Some((w + e) / 2.0));
        }
    }
    Position::Invalid(format!(
        "a {kind} has no position: query it with `out center`"
    ))
}

/// Countries where the house number follows the street name.
const NUMBER_AFTER_STREET: &[&str] = &[
    "DE", "AT", "CH", "NL", "BE-NL", "DK", "SE", "NO", "FI", "PL", "CZ", "SK", "IT", "ES", "PT",
    "HR", "SI", "HU",
];

impl Overpass {
    fn element(&self, index: usize, element: Value) -> Item {
        let raw = element.to_string();
        let Value::Object(element) = element else {
            return Item::Reject(Reject {
                external_id: None,
                position_in_feed: format!("element {index}"),
                reason: "an element that is not a JSON object".into(),
                raw: clip_raw(&raw),
            });
        };
        let kind = element.get("type").and_then(Value::as_str).unwrap_or("");
        let id = element.get("id").and_then(Value::as_i64);
        let (Some(id), true) = (id, matches!(kind, "node" | "way" | "relation")) else {
            return Item::Reject(Reject {
                external_id: None,
                position_in_feed: format!("element {index}"),
                reason: "an element without a type (node, way, relation) and a numeric id".into(),
                raw: clip_raw(&raw),
            });
        };
        let empty = Map::new();
        let tags = element
            .get("tags")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        // Untagged elements are the nodes of ways: geometry, not places.
        if tags.is_empty() {
            return Item::Skip;
        }
        let tag = |k: &str| tags.get(k).and_then(Value::as_str).map(str::to_string);
        let first = |keys: &[&str]| keys.iter().find_map(|k| tag(k));
        let country = tag("addr:country");
        let street = match (
            tag("addr:street").or_else(|| tag("addr:place")),
            tag("addr:housenumber"),
        ) {
            (Some(street), Some(number))
                if country
                    .as_deref()
                    .is_some_and(|c| NUMBER_AFTER_STREET.contains(&c)) =>
            {
                Some(format!("{street} {number}"))
            }
            (Some(street), Some(number)) => Some(format!("{number} {street}")),
            (street, _) => street,
        };
        let external_id = format!("{kind}/{id}");
        let mut record = Record {
            external_id: Some(external_id.clone()),
            position_in_feed: format!("element {index} ({external_id})"),
            name: first(&["name", "name:fr", "name:en", "official_name", "brand"]),
            description: first(&["description:fr", "description", "description:en"])
                .into_iter()
                .collect(),
            location: position(kind, &element),
            websites: ["website", "contact:website", "url", "contact:facebook"]
                .iter()
                .filter_map(|k| tag(k))
                .collect(),
            emails: ["email", "contact:email"]
                .iter()
                .filter_map(|k| tag(k))
                .collect(),
            phones: ["phone", "contact:phone", "contact:mobile"]
                .iter()
                .filter_map(|k| tag(k))
                .flat_map(|p| p.split(';').map(str::to_string).collect::<Vec<_>>())
                .collect(),
            categories: categories(tags, &self.mapping),
            source_url: Some(format!("https://www.openstreetmap.org/{kind}/{id}")),
            raw: raw.into(),
            ..Record::default()
        }
        .with(
            FIELDS
                .iter()
                .filter_map(|f| Some((f.name, tag(f.osm_tag?)))),
        )
        .with([
            ("street", street),
            (
                "country_code",
                country.or_else(|| self.mapping.default_country.clone()),
            ),
        ]);
        if record.categories.is_empty() {
            let summary: Vec<String> = tags
                .iter()
                .filter(|(k, _)| {
                    [
                        "amenity",
                        "shop",
                        "leisure",
                        "office",
                        "craft",
                        "social_facility",
                    ]
                    .contains(&k.as_str())
                })
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            record.category_hint = Some(if summary.is_empty() {
                "its tags".into()
            } else {
                summary.join(", ")
            });
            return unmapped(&self.mapping, Unmapped::Skip, record);
        }
        Item::Record(Box::new(record))
    }
}

impl Adapter for Overpass {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let file = std::fs::File::open(path)?;
        let mut count = 0usize;
        let mut on = |_: &str, index: usize, element: Value| {
            count += 1;
            sink(self.element(index, element))
        };
        let rest = json_stream::stream(
            BufReader::with_capacity(1 << 16, file),
            &["elements"],
            "Overpass API JSON",
            &mut on,
        )?;
        if let Some(remark) = rest.members.get("remark").and_then(Value::as_str) {
            let failed = ["error", "timed out", "timeout", "out of memory"]
                .iter()
                .any(|w| remark.to_lowercase().contains(w));
            if count == 0 || failed {
                return Err(FeedError::Remark(remark.to_string()));
            }
            tracing::warn!(remark, "Overpass added a remark to its answer");
        }
        if !rest.found.iter().any(|a| a == "elements") {
            return Err(FeedError::malformed(
                "no 'elements' array: this is not an Overpass API JSON answer",
                None,
            ));
        }
        Ok(())
    }
}
