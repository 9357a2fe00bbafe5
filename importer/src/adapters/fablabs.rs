//! fablabs.io's `labs.json`: a bare array (older answers: `{"labs": […]}`) of labs. Latitude and
//! longitude may be null: such labs are rejected with that reason.

use super::{Adapter, Sink};
use crate::error::FeedError;
use crate::json_stream;
use crate::mapping::Mapping;
use crate::properties::text_of;
use crate::record::{Item, Position, Record, Reject, clip_raw};
use geo::{Geometry, Point};
use serde_json::Value;
use std::io::BufReader;
use std::path::Path;

pub struct Fablabs {
    pub mapping: Mapping,
}

impl Fablabs {
    fn lab(&self, index: usize, lab: Value) -> Item {
        let raw = lab.to_string();
        let Some(l) = lab.as_object() else {
            return Item::Reject(Reject {
                external_id: None,
                position_in_feed: format!("lab {index}"),
                reason: "a lab that is not a JSON object".into(),
                raw: clip_raw(&raw),
            });
        };
        let s = |k: &str| l.get(k).and_then(text_of);
        let location = match (l.get("latitude"), l.get("longitude")) {
            (Some(Value::Null) | None, _) | (_, Some(Value::Null) | None) => {
                Position::Invalid("latitude/longitude are null in fablabs.io".into())
            }
            (Some(lat), Some(lon)) => match (lat.as_f64(), lon.as_f64()) {
                (Some(lat), Some(lon)) => Position::Known(Geometry::Point(Point::new(lon, lat))),
                _ => Position::Invalid("latitude/longitude are not numbers".into()),
            },
        };
        let street = [s("address_1"), s("address_2")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let mut websites: Vec<String> = l
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|link| link.get("url").and_then(text_of))
            .collect();
        let slug = s("slug");
        if let Some(slug) = &slug {
            websites.push(format!("https://www.fablabs.io/labs/{slug}"));
        }
        let status = match s("activity_status").as_deref() {
            Some("closed") => Some("closed"),
            Some("planned" | "corona" | "inactive") => Some("inactive"),
            _ => Some("active"),
        };
        let record = Record {
            external_id: s("id"),
            position_in_feed: format!("lab {index}"),
            name: s("name"),
            description: [s("blurb"), s("description")]
                .into_iter()
                .flatten()
                .collect(),
            location,
            websites,
            emails: s("email").into_iter().collect(),
            phones: s("phone").into_iter().collect(),
            tags: l
                .get("capabilities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(text_of)
                .collect(),
            categories: self
                .mapping
                .categories_for(s("kind_name").as_deref())
                .into_iter()
                .chain(["fablab".to_string()])
                .collect(),
            status,
            source_url: slug.map(|slug| format!("https://www.fablabs.io/labs/{slug}")),
            raw: raw.into(),
            ..Record::default()
        }
        .with([
            ("street", (!street.is_empty()).then_some(street)),
            ("postcode", s("postal_code")),
            ("city", s("city")),
            (
                "country_code",
                s("country_code").or_else(|| self.mapping.default_country.clone()),
            ),
        ]);
        Item::Record(Box::new(record))
    }
}

impl Adapter for Fablabs {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let file = std::fs::File::open(path)?;
        let mut on = |_: &str, index: usize, lab: Value| sink(self.lab(index, lab));
        let rest = json_stream::stream(
            BufReader::new(file),
            &["labs"],
            "fablabs.io labs.json",
            &mut on,
        )?;
        if !rest.was_array && !rest.found.iter().any(|f| f == "labs") {
            return Err(FeedError::malformed(
                "neither an array of labs nor {\"labs\": […]}: this is not fablabs.io's labs.json",
                None,
            ));
        }
        Ok(())
    }
}
