//! Karte von morgen / OpenFairDB: the `/search` JSON answer (`visible` and `invisible` entries)
//! or its CSV import format (read with a built-in column mapping). Categories come from the
//! entries' tags (e.g. `repaircafe`, `solawi`), with the mapping's additions.

use super::{Adapter, Csv, Sink, unmapped};
use crate::error::FeedError;
use crate::json_stream;
use crate::mapping::{Fields, Mapping, Slugs, Unmapped};
use crate::properties::text_of;
use crate::record::{Item, Position, Record};
use geo::{Geometry, Point};
use serde_json::Value;
use std::io::{BufReader, Read};
use std::path::Path;

pub struct OpenFairDb {
    pub mapping: Mapping,
}

/// Tags used on Karte von morgen for the directory's practices.
const TAG_RULES: &[(&str, &str)] = &[
    ("repaircafe", "repair-cafe"),
    ("repair-cafe", "repair-cafe"),
    ("reparatur", "repair-cafe"),
    ("fahrradwerkstatt", "bike-workshop"),
    ("selbsthilfewerkstatt", "bike-workshop"),
    ("gemeinschaftsgarten", "shared-garden"),
    ("urbangardening", "shared-garden"),
    ("urban-gardening", "shared-garden"),
    ("interkulturellergarten", "shared-garden"),
    ("kompost", "shared-composting"),
    ("solawi", "amap"),
    ("csa", "amap"),
    ("teikei", "amap"),
    ("solidarischelandwirtschaft", "amap"),
    ("foodcoop", "cooperative-grocery"),
    ("food-coop", "cooperative-grocery"),
    ("mitgliederladen", "cooperative-grocery"),
    ("saatgut", "seed-library"),
    ("saatgutbibliothek", "seed-library"),
    ("fablab", "fablab"),
    ("makerspace", "fablab"),
    ("hackerspace", "fablab"),
    ("offenewerkstatt", "fablab"),
    ("offene-werkstatt", "fablab"),
    ("werkstatt", "fablab"),
    ("coworking", "tiers-lieu"),
    ("dritter-ort", "tiers-lieu"),
    ("umsonstladen", "give-box"),
    ("giveaway", "give-box"),
    ("tauschregal", "give-box"),
    ("foodsharing", "give-box"),
    ("leihladen", "tool-library"),
    ("bibliothekderdinge", "tool-library"),
    ("werkzeugverleih", "tool-library"),
    ("buecherschrank", "book-box"),
    ("bücherschrank", "book-box"),
    ("offenerbücherschrank", "book-box"),
    ("secondhand", "second-hand"),
    ("second-hand", "second-hand"),
    ("kleidertausch", "second-hand"),
    ("upcycling", "second-hand"),
    ("tauschring", "local-exchange"),
    ("regionalgeld", "local-exchange"),
    ("regiogeld", "local-exchange"),
    ("zeitbank", "local-exchange"),
    ("wohnprojekt", "participatory-housing"),
    ("gemeinschaftlich-wohnen", "participatory-housing"),
    ("ökodorf", "participatory-housing"),
    ("nachbarschaftscafé", "community-cafe"),
    ("repaircafé", "repair-cafe"),
    ("tafel", "food-bank"),
];

fn categories(tags: &[String], mapping: &Mapping) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let key = tag.trim().to_lowercase();
        for (rule, slug) in TAG_RULES {
            if key == *rule && !out.iter().any(|s| s == slug) {
                out.push(slug.to_string());
            }
        }
    }
    let extra = mapping.categories_for(tags.iter().map(String::as_str));
    for slug in extra {
        if !out.contains(&slug) {
            out.push(slug);
        }
    }
    out
}

/// The CSV import format of OpenFairDB (`ofdb-cli`).
fn csv_mapping(mapping: &Mapping) -> Mapping {
    let mut base = Mapping::default();
    let one = |n: &str| Some(Fields::One(n.into()));
    base.fields.name = one("title");
    base.fields.lat = one("lat");
    base.fields.lon = one("lng");
    base.fields.street = one("street");
    base.fields.postcode = one("zip");
    base.fields.city = one("city");
    base.fields.country_code = one("country");
    base.fields.email = one("contact_email");
    base.fields.phone = one("contact_phone");
    base.fields.opening_hours = one("opening_hours");
    base.fields.website = one("homepage");
    base.fields.tags = one("tags");
    base.category_field = one("tags");
    for (rule, slug) in TAG_RULES {
        base.categories
            .entry((*rule).to_string())
            .or_insert_with(|| Slugs::One((*slug).to_string()));
    }
    base.separator = Some(",".into());
    mapping.clone().over(base)
}

impl OpenFairDb {
    fn entry(&self, list: &str, index: usize, entry: Value) -> Item {
        let raw = entry.to_string();
        let s = |k: &str| entry.get(k).and_then(text_of);
        let tags: Vec<String> = entry
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(text_of)
            .collect();
        let id = s("id");
        let location = match (
            entry.get("lat").and_then(Value::as_f64),
            entry.get("lng").and_then(Value::as_f64),
        ) {
            (Some(lat), Some(lon)) => Position::Known(Geometry::Point(Point::new(lon, lat))),
            _ => Position::Missing,
        };
        let mut record = Record {
            external_id: id.clone(),
            position_in_feed: format!("{list} {index}"),
            name: s("title"),
            description: s("description").into_iter().collect(),
            location,
            country_code: self.mapping.default_country.clone(),
            categories: categories(&tags, &self.mapping),
            source_url: id.as_deref().map(|id| {
                self.mapping
                    .source_url(id)
                    .unwrap_or_else(|| format!("https://kartevonmorgen.org/#/?entry={id}"))
            }),
            raw,
            ..Record::default()
        };
        record.tags = tags.into_iter().filter(|t| !t.trim().is_empty()).collect();
        if record.categories.is_empty() {
            record.category_hint = Some(format!("the tags {:?}", record.tags));
            return unmapped(&self.mapping, Unmapped::Reject, record);
        }
        Item::Record(Box::new(record))
    }
}

impl Adapter for OpenFairDb {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let mut first = [0u8; 64];
        let n = std::fs::File::open(path)?.read(&mut first)?;
        let looks_json = first[..n]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
        if !looks_json {
            return Csv {
                mapping: csv_mapping(&self.mapping),
                preset: None,
            }
            .read(path, sink);
        }
        let file = std::fs::File::open(path)?;
        let mut on = |list: &str, index: usize, entry: Value| sink(self.entry(list, index, entry));
        let rest = json_stream::stream(
            BufReader::new(file),
            &["visible", "invisible"],
            "a Karte von morgen /search answer",
            &mut on,
        )?;
        if rest.found.is_empty() {
            return Err(FeedError::malformed(
                "no 'visible' or 'invisible' list: this is not a Karte von morgen /search answer",
                None,
            ));
        }
        Ok(())
    }
}
