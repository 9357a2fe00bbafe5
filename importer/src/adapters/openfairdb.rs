//! Karte von morgen / OpenFairDB: the `/search` JSON answer (`visible` and `invisible` entries)
//! or its CSV import format (read with a built-in column mapping). Categories come from the
//! entries' tags (e.g. `repaircafe`, `solawi`): the mapping's `[categories]` first, then the
//! built-in German and English rules of [`crate::practices`]. An entry's Karte von morgen
//! category (`non-profit`, `commercial`, `event`, from its ids) can be mapped too. Entries that
//! nothing classifies are stored pending "to classify" by default.

use super::{Adapter, Csv, Sink, categories_with_rules, unmapped};
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

/// Karte von morgen's categories: its ids and the names a mapping may use for them.
const KVM_CATEGORIES: &[(&str, &str)] = &[
    ("2cd00bebec0c48ba9db761da48678134", "non-profit"),
    ("77b3c33a92554bcf8e8c2c86cedd6f6f", "commercial"),
    ("c2dc278a2d6a4b9b8a50cb606fc017ed", "event"),
];

/// The name of a Karte von morgen category id (the id itself when unknown).
fn kvm_category(id: &str) -> &str {
    KVM_CATEGORIES
        .iter()
        .find(|(known, _)| *known == id.trim())
        .map_or(id, |(_, name)| name)
}

/// Tags of the CSV import format's built-in mapping.
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

/// Categories from the tags (the mapping, then the rules), else from the mapping of the entry's
/// Karte von morgen categories.
fn categories(tags: &[String], kvm: &[String], mapping: &Mapping) -> Vec<String> {
    let found = categories_with_rules(mapping, tags.iter().map(|t| (t.as_str(), t.as_str())));
    if !found.is_empty() {
        return found;
    }
    let named = kvm.iter().map(|id| (id.as_str(), kvm_category(id)));
    let mut found: Vec<String> = Vec::new();
    for (id, name) in named {
        found.extend(mapping.explicit_categories([id, name]));
    }
    if found.is_empty() {
        found.extend(mapping.default_category.clone());
    }
    found
}

/// The CSV import format of OpenFairDB (`ofdb-cli`).
fn csv_mapping(mapping: &Mapping) -> Mapping {
    let mut base = Mapping::default();
    let one = |n: &str| Some(Fields::One(n.into()));
    base.fields.name = one("title");
    base.fields.lat = one("lat");
    base.fields.lon = one("lng");
    base.fields.set_attribute("street", one("street"));
    base.fields.set_attribute("postcode", one("zip"));
    base.fields.set_attribute("city", one("city"));
    base.fields.set_attribute("country_code", one("country"));
    base.fields.set_attribute("email", one("contact_email"));
    base.fields.set_attribute("phone", one("contact_phone"));
    base.fields
        .set_attribute("opening_hours", one("opening_hours"));
    base.fields.set_attribute("website", one("homepage"));
    base.fields.tags = one("tags");
    base.category_field = one("tags");
    for (rule, slug) in TAG_RULES {
        base.categories
            .entry((*rule).to_string())
            .or_insert_with(|| Slugs::One((*slug).to_string()));
    }
    base.separator = Some(",".into());
    base.unmapped = Some(Unmapped::Pending);
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
        let kvm: Vec<String> = entry
            .get("categories")
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
            categories: categories(&tags, &kvm, &self.mapping),
            source_url: id.as_deref().map(|id| {
                self.mapping
                    .source_url(id)
                    .unwrap_or_else(|| format!("https://kartevonmorgen.org/#/?entry={id}"))
            }),
            raw: raw.into(),
            ..Record::default()
        }
        .with([("country_code", self.mapping.default_country.clone())]);
        record.tags = tags.into_iter().filter(|t| !t.trim().is_empty()).collect();
        if record.categories.is_empty() {
            record.category_hint = Some(format!("the tags {:?}", record.tags));
            // An entry without tags is reported by its Karte von morgen category.
            record.unmapped_values = if record.tags.is_empty() {
                kvm.iter().map(|id| kvm_category(id).to_string()).collect()
            } else {
                record.tags.clone()
            };
            return unmapped(&self.mapping, Unmapped::Pending, record);
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
