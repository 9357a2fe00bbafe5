//! What adapters read from a feed, and how it becomes a valid record of the directory.
//!
//! Adapters are lenient: they copy what the feed says into a [`Record`]. [`normalise`] then
//! applies the directory's rules. A record without a usable name, position or category is
//! rejected with a reason; a bad optional value (an e-mail written "hidden", a website without a
//! scheme that cannot be repaired…) is dropped rather than rejecting the whole record.

use archipel_store::domain::{Email, Name, Phone, WebUrl, parse_long_text, parse_tag};
use archipel_store::fields::{Attributes, FIELDS, Field, Kind};
use archipel_store::geometry::Location;
use archipel_store::sync::{StagedRecord, TO_CLASSIFY};
use geo::Geometry;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where a record's position came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Position {
    #[default]
    Missing,
    /// The feed gave something unusable; the reason says what.
    Invalid(String),
    Known(Geometry<f64>),
}

/// A record as read from a feed, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub external_id: Option<String>,
    /// Where in the feed (e.g. `element 12`, `line 4`).
    pub position_in_feed: String,
    pub name: Option<String>,
    /// Paragraphs of the description, joined with blank lines.
    pub description: Vec<String>,
    pub location: Position,
    /// Attributes as the feed gave them, by name (see `archipel_store::fields`); the contact
    /// details are the candidate lists below.
    pub attributes: BTreeMap<&'static str, String>,
    /// Candidate websites: the first valid one becomes the website, the others links.
    pub websites: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
    /// Category slugs, main first (already mapped by the adapter).
    pub categories: Vec<String>,
    /// What the adapter looked at to choose categories, for the reject reason when none matched.
    pub category_hint: Option<String>,
    /// No category matched and the mapping says `unmapped = "pending"`: stored pending, with no
    /// category and the `to-classify` tag, for an editor to classify.
    pub to_classify: bool,
    /// The record's values that mapped to no category (option names, tags…), for the run report.
    pub unmapped_values: Vec<String>,
    pub status: Option<&'static str>,
    pub source_url: Option<String>,
    /// The record as received, for the rejects report.
    pub raw: Raw,
    /// The digest of the feed element it was read from, for the next run to recognise it
    /// (see `known`); adapters that do not take digests leave it out.
    pub digest: Option<crate::known::ElementDigest>,
}

/// A record as received, kept for the rejects report. A JSON element is kept as it was parsed
/// and written out only if the record is rejected: most records are not, and printing every
/// feature again was a tenth of an import's own time.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Text(String),
    Json(serde_json::Value),
}

impl Default for Raw {
    fn default() -> Self {
        Raw::Text(String::new())
    }
}

impl From<String> for Raw {
    fn from(text: String) -> Self {
        Raw::Text(text)
    }
}

impl Raw {
    /// The record as the rejects report shows it (shortened, see [`clip_raw`]).
    pub fn clipped(&self) -> String {
        match self {
            Raw::Text(text) => clip_raw(text),
            Raw::Json(value) => clip_raw(&value.to_string()),
        }
    }
}

impl Record {
    /// Sets attribute `name` to what the feed gave, if anything.
    pub fn set(&mut self, name: &'static str, value: Option<String>) {
        debug_assert!(Field::named(name).is_some(), "{name} is not an attribute");
        match value {
            Some(value) => self.attributes.insert(name, value),
            None => self.attributes.remove(name),
        };
    }

    /// The same record with these attributes set.
    pub fn with(
        mut self,
        attributes: impl IntoIterator<Item = (&'static str, Option<String>)>,
    ) -> Self {
        for (name, value) in attributes {
            self.set(name, value);
        }
        self
    }
}

/// What an adapter hands over for each element of a feed.
#[derive(Debug)]
pub enum Item {
    Record(Box<Record>),
    /// An element the source's last runs read, recognised by its digest: the record it gives is
    /// already in the directory, unchanged.
    Known {
        external_id: String,
        content_hash: String,
    },
    /// Outside the directory's scope (e.g. an OSM object of no mapped category); counted only.
    Skip,
    /// Unusable, with the reason.
    Reject(Reject),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub external_id: Option<String>,
    pub position_in_feed: String,
    pub reason: String,
    pub raw: String,
}

const MAX_RAW: usize = 4000;

/// Shortens the raw record kept with a reject.
pub fn clip_raw(raw: &str) -> String {
    if raw.len() <= MAX_RAW {
        return raw.to_string();
    }
    let mut end = MAX_RAW;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &raw[..end])
}

fn clip_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Splits a field that may hold several values ("a@x.fr; b@y.fr", "https://a | https://b").
pub fn split_values(raw: &str, separators: &[char]) -> Vec<String> {
    raw.split(|c| separators.contains(&c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn first_website(candidates: &[String]) -> (Option<WebUrl>, Vec<WebUrl>) {
    let mut valid = Vec::new();
    for raw in candidates {
        let parsed = WebUrl::parse("website", raw)
            .or_else(|_| WebUrl::parse("website", &format!("https://{}", raw.trim())));
        if let Ok(url) = parsed
            && !valid.contains(&url)
        {
            valid.push(url);
        }
    }
    let mut valid = valid.into_iter();
    (valid.next(), valid.take(20).collect())
}

fn reject(record: &Record, reason: String) -> Reject {
    Reject {
        external_id: record.external_id.clone(),
        position_in_feed: record.position_in_feed.clone(),
        reason,
        raw: record.raw.clipped(),
    }
}

/// Applies the directory's rules to a record: a [`StagedRecord`] ready to import, or a reject.
pub fn normalise(record: Record) -> Result<StagedRecord, Reject> {
    let Some(external_id) = record
        .external_id
        .clone()
        .filter(|id| !id.trim().is_empty())
    else {
        return Err(reject(
            &record,
            "no identifier: the record cannot be followed from one import to the next".into(),
        ));
    };
    // Every fatal problem is reported at once, so one look at the rejects tells what to fix.
    let mut problems: Vec<String> = Vec::new();
    let name = match record
        .name
        .as_deref()
        .map(|n| clip_chars(n.trim(), Name::MAX))
    {
        Some(n) => Name::parse("name", &n)
            .map_err(|e| problems.push(e.message.en))
            .ok(),
        None => {
            problems.push("no name".into());
            None
        }
    };
    let location = match &record.location {
        Position::Missing => {
            problems.push("no coordinates".into());
            None
        }
        Position::Invalid(why) => {
            problems.push(why.clone());
            None
        }
        Position::Known(geometry) => Location::from_geometry("geometry", geometry.clone())
            .map_err(|e| problems.push(e.message.en))
            .ok(),
    };
    if record.categories.is_empty() && !record.to_classify {
        let hint = record.category_hint.as_deref().unwrap_or("nothing");
        problems.push(format!("no category of the directory matches {hint}"));
    }
    let (Some(name), Some(location), true) = (name, location, problems.is_empty()) else {
        return Err(reject(&record, problems.join("; ")));
    };

    let mut description: Vec<String> = record
        .description
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    // Free-text hours are still useful to people: what is not in OpenStreetMap's syntax goes
    // into the description.
    for field in FIELDS.iter().filter(|f| f.kind == Kind::OpeningHours) {
        if let Some(raw) = record.attributes.get(field.name).map(|v| v.trim())
            && !raw.is_empty()
            && field.from_feed(raw).is_none()
        {
            description.push(format!("Horaires / opening hours: {raw}"));
        }
    }
    let description = clip_chars(&description.join("\n\n"), 10_000);
    let description = parse_long_text("description", &description, 10_000).unwrap_or_default();

    let email = record
        .emails
        .iter()
        .flat_map(|e| split_values(e, &[';', ',', ' ', '|', '\n', '\r']))
        .find_map(|e| Email::parse("email", &e).ok());
    let phone = record
        .phones
        .iter()
        .find_map(|p| Phone::parse("phone", p).ok());
    let (website, links) = first_website(&record.websites);
    let mut attributes = Attributes::default();
    for field in FIELDS {
        let value = match field.kind {
            Kind::Url => website.as_ref().map(|w| w.as_str().to_string()),
            Kind::Email => email.as_ref().map(|e| e.as_str().to_string()),
            Kind::Phone => phone.as_ref().map(|p| p.as_str().to_string()),
            _ => record
                .attributes
                .get(field.name)
                .and_then(|raw| field.from_feed(raw)),
        };
        attributes.set(field, value);
    }
    // The `to-classify` mark is the importer's alone: a feed's own tag of that name is dropped.
    let mut tags: Vec<String> = Vec::new();
    if record.to_classify {
        tags.push(TO_CLASSIFY.to_string());
    }
    for tag in record.tags.iter().filter_map(|t| parse_tag("tag", t).ok()) {
        if !tags.contains(&tag) && tag != TO_CLASSIFY && tags.len() < 30 {
            tags.push(tag);
        }
    }
    let mut categories: Vec<String> = Vec::new();
    for slug in record.categories.iter().filter(|_| !record.to_classify) {
        if !categories.contains(slug) {
            categories.push(slug.clone());
        }
    }

    let mut staged = StagedRecord {
        external_id: clip_chars(external_id.trim(), 300),
        content_hash: String::new(),
        name: name.as_str().to_string(),
        description,
        location,
        attributes,
        links: links.iter().map(|l| l.as_str().to_string()).collect(),
        tags,
        categories,
        status: record.status.unwrap_or("active"),
        source_url: record
            .source_url
            .as_deref()
            .and_then(|u| WebUrl::parse("", u).ok())
            .map(|u| u.as_str().to_string()),
        // A record to classify is read again each time, for the run's report of what it could
        // not classify.
        digest: record
            .digest
            .filter(|_| !record.to_classify)
            .map(|d| crate::known::hex(&d)),
    };
    staged.content_hash = content_hash(&staged);
    Ok(staged)
}

/// How many attributes the first version of [`content_hash`] knew.
const FIRST_HASHED: usize = 9;

/// A digest of everything an import writes: equal digests mean the record did not change.
pub fn content_hash(r: &StagedRecord) -> String {
    // The attributes of the first version of this digest in their places (null included), so
    // that declaring a new attribute does not make every record of every feed look changed; the
    // later ones join it only when set.
    let mut canonical = vec![
        json!(r.name),
        json!(r.description),
        json!(r.location.to_ewkt()),
    ];
    let values = r.attributes.values();
    canonical.extend(values[..8].iter().map(|v| json!(v)));
    canonical.push(json!(r.links));
    canonical.push(json!(values[8]));
    canonical.extend([
        json!(r.tags),
        json!(r.categories),
        json!(r.status),
        json!(r.source_url),
    ]);
    for (field, value) in r.attributes.iter().skip(FIRST_HASHED) {
        if let Some(value) = value {
            canonical.push(json!([field.name, value]));
        }
    }
    let canonical = serde_json::Value::Array(canonical);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    crate::known::hex(&first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;

    fn record() -> Record {
        Record {
            external_id: Some("node/1".into()),
            name: Some("Repair Café".into()),
            location: Position::Known(Geometry::Point(Point::new(1.44, 43.6))),
            categories: vec!["repair-cafe".into()],
            ..Record::default()
        }
    }

    #[test]
    fn hidden_emails_and_bare_domains_are_handled() {
        let staged = normalise(Record {
            emails: vec!["hidden".into(), "contact@example.org".into()],
            websites: vec!["www.example.org".into()],
            ..record()
        })
        .unwrap();
        assert_eq!(staged.attributes.get("email"), Some("contact@example.org"));
        assert_eq!(
            staged.attributes.get("website"),
            Some("https://www.example.org/")
        );
    }

    #[test]
    fn emails_with_line_breaks_are_cleaned() {
        let staged = normalise(Record {
            emails: vec!["jardin@example.org\r\n".into()],
            ..record()
        })
        .unwrap();
        assert_eq!(staged.attributes.get("email"), Some("jardin@example.org"));
    }

    #[test]
    fn free_text_hours_move_to_the_description() {
        let staged =
            normalise(record().with([("opening_hours", Some("le jeudi de 18h à 19h".into()))]))
                .unwrap();
        assert_eq!(staged.attributes.get("opening_hours"), None);
        assert!(staged.description.contains("le jeudi de 18h à 19h"));
    }

    #[test]
    fn records_without_position_name_or_category_are_rejected_with_a_reason() {
        assert_eq!(
            normalise(Record {
                location: Position::Missing,
                ..record()
            })
            .unwrap_err()
            .reason,
            "no coordinates"
        );
        assert_eq!(
            normalise(Record {
                name: None,
                ..record()
            })
            .unwrap_err()
            .reason,
            "no name"
        );
        let none = normalise(Record {
            categories: vec![],
            category_hint: Some("shop=bakery".into()),
            ..record()
        })
        .unwrap_err();
        assert_eq!(
            none.reason,
            "no category of the directory matches shop=bakery"
        );
        let island = normalise(Record {
            location: Position::Known(Geometry::Point(Point::new(0.0, 0.0))),
            ..record()
        });
        assert!(island.unwrap_err().reason.contains("0,0"));
    }

    #[test]
    fn a_record_to_classify_lands_with_no_category_and_the_mark() {
        let staged = normalise(Record {
            categories: vec![],
            to_classify: true,
            tags: vec!["to-classify".into(), "Vélo".into()],
            ..record()
        })
        .unwrap();
        assert!(staged.categories.is_empty());
        assert_eq!(staged.tags, ["to-classify", "vélo"]);
        let mapped = normalise(Record {
            tags: vec!["to-classify".into()],
            ..record()
        })
        .unwrap();
        assert!(mapped.tags.is_empty(), "a feed cannot mark its own records");
    }

    #[test]
    fn wheelchair_values_are_read_leniently_and_change_the_hash() {
        let plain = normalise(record()).unwrap();
        let staged = normalise(record().with([("wheelchair", Some("Oui".into()))])).unwrap();
        assert_eq!(staged.attributes.get("wheelchair"), Some("yes"));
        assert_ne!(staged.content_hash, plain.content_hash);
        let unknown = normalise(record().with([("wheelchair", Some("?".into()))])).unwrap();
        assert_eq!(unknown.attributes.get("wheelchair"), None);
        assert_eq!(unknown.content_hash, plain.content_hash);
    }

    #[test]
    fn the_hash_of_a_record_without_new_attributes_is_the_first_versions() {
        let r = normalise(record().with([
            ("city", Some("Toulouse".into())),
            ("opening_hours", Some("Mo 10:00-12:00".into())),
        ]))
        .unwrap();
        // The digest as its first version wrote it, members by name.
        let first = serde_json::json!([
            r.name,
            r.description,
            r.location.to_ewkt(),
            None::<String>,
            None::<String>,
            "Toulouse",
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            r.links,
            "Mo 10:00-12:00",
            r.tags,
            r.categories,
            r.status,
            r.source_url,
        ]);
        let digest = Sha256::digest(first.to_string().as_bytes());
        let expected: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(r.content_hash, expected);
    }

    #[test]
    fn the_hash_changes_with_the_content_only() {
        let a = normalise(record()).unwrap();
        let b = normalise(record()).unwrap();
        assert_eq!(a.content_hash, b.content_hash);
        let c = normalise(Record {
            name: Some("Repair Café 2".into()),
            ..record()
        })
        .unwrap();
        assert_ne!(a.content_hash, c.content_hash);
    }
}
