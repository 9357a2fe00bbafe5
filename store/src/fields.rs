//! The initiative's attributes, declared once.
//!
//! An *attribute* is an optional, single-valued text member of an initiative: its address, its
//! contact details, its opening hours, its wheelchair access. Each one is a column of
//! `initiatives` of the same name, a member of the JSON representation (inside `address` or
//! `contact`, or at the top level, after its [`Group`]), a flat property of the GeoJSON Feature,
//! a CSV column, an OGC API queryable, an input member, an importer target and an OpenAPI schema.
//! Everything that handles attributes iterates over [`FIELDS`]: adding one is a migration (the
//! column, and the stored Feature's function), one entry here, and its place on the card.
//!
//! The initiative's other members (name, description, geometry, categories, tags, links, status,
//! moderation, provenance, dates) each have rules of their own and are handled by name.

use crate::domain::{
    Email, OpeningHours, Phone, WebUrl, parse_country_code, parse_insee_code, parse_short_text,
};
use crate::error::FieldError;
use crate::text;
use serde_json::{Value, json};

/// Where an attribute sits in the JSON representation (the Feature's properties are flat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// In the `address` object.
    Address,
    /// In the `contact` object, before the `links` list.
    Contact,
    /// At the top level, after `contact`.
    Top,
}

impl Group {
    /// The JSON member holding the group, if any.
    pub fn member(self) -> Option<&'static str> {
        match self {
            Group::Address => Some("address"),
            Group::Contact => Some("contact"),
            Group::Top => None,
        }
    }
}

/// What values an attribute takes, and how they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text, at most this many characters.
    Text(usize),
    /// Letters, digits, spaces and dashes, at most 12 characters.
    Postcode,
    /// ISO 3166-1 alpha-2.
    CountryCode,
    /// French INSEE commune code.
    InseeCode,
    Url,
    Email,
    Phone,
    OpeningHours,
    /// One of these values (lower case); a feed's usual synonyms are read as them.
    Choice(
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
    ),
}

/// One attribute of an initiative.
#[derive(Debug)]
pub struct Field {
    /// Its name everywhere: column, JSON member, Feature property, CSV column, queryable, input.
    pub name: &'static str,
    pub group: Group,
    pub kind: Kind,
    /// What it is, in English (OpenAPI, Table Schema, queryables).
    pub about: &'static str,
    /// Whether listings, GeoJSON and exports filter on it (`?name=value,value`).
    pub filter: bool,
    /// Whether OGC API filters may use it.
    pub queryable: bool,
    /// Property or column names feeds usually give it, tried in order when a source's mapping
    /// does not say.
    pub feed_names: &'static [&'static str],
    /// The OpenStreetMap tag holding it.
    pub osm_tag: Option<&'static str>,
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Field {}

/// The initiative's attributes, in the order they appear in the representations.
pub static FIELDS: &[Field] = &[
    attribute("street", Group::Address, Kind::Text(200), "Street address")
        .feed(&["street", "adresse", "address", "addr", "voie", "adresse_postale"]),
    attribute("postcode", Group::Address, Kind::Postcode, "Postcode")
        .feed(&["postcode", "cp", "code_postal", "zip", "postal_code", "codepostal"])
        .osm("addr:postcode"),
    attribute("city", Group::Address, Kind::Text(100), "Commune or city")
        .feed(&["city", "commune", "ville", "town", "localite"])
        .osm("addr:city"),
    attribute("country_code", Group::Address, Kind::CountryCode, "ISO 3166-1 alpha-2 country code")
        .feed(&["country_code", "country", "pays"])
        .osm("addr:country"),
    attribute("insee_code", Group::Address, Kind::InseeCode, "INSEE code of the commune")
        .feed(&["insee_code", "code_insee", "insee", "insee_com", "com_insee", "code_commune"])
        .osm("ref:INSEE"),
    attribute("website", Group::Contact, Kind::Url, "Website"),
    Field {
        queryable: false,
        ..attribute("email", Group::Contact, Kind::Email, "Public contact address of the initiative")
    },
    attribute("phone", Group::Contact, Kind::Phone, "Phone number"),
    attribute("opening_hours", Group::Top, Kind::OpeningHours, "Opening hours (OpenStreetMap opening_hours syntax)")
        .feed(&["opening_hours", "horaires", "hours", "horaires_osm"])
        .osm("opening_hours"),
    Field {
        filter: true,
        ..attribute(
            "wheelchair",
            Group::Top,
            Kind::Choice(
                &["yes", "limited", "no"],
                &[
                    ("oui", "yes"), ("true", "yes"), ("1", "yes"), ("accessible", "yes"),
                    ("designated", "yes"), ("partiel", "limited"), ("partielle", "limited"),
                    ("partiellement", "limited"), ("non", "no"), ("false", "no"), ("0", "no"),
                ],
            ),
            "Wheelchair access, as OpenStreetMap's wheelchair=*: yes, limited (partly) or no; null when unknown",
        )
        .feed(&["wheelchair", "accessibilite", "accessibilite_pmr", "acces_pmr", "pmr", "accessible_pmr", "handicap_moteur"])
        .osm("wheelchair")
    },
];

const fn attribute(name: &'static str, group: Group, kind: Kind, about: &'static str) -> Field {
    Field {
        name,
        group,
        kind,
        about,
        filter: false,
        queryable: true,
        feed_names: &[],
        osm_tag: None,
    }
}

impl Field {
    const fn feed(self, names: &'static [&'static str]) -> Self {
        Field {
            feed_names: names,
            ..self
        }
    }

    const fn osm(self, tag: &'static str) -> Self {
        Field {
            osm_tag: Some(tag),
            ..self
        }
    }

    /// The attribute of this name.
    pub fn named(name: &str) -> Option<&'static Field> {
        FIELDS.iter().find(|f| f.name == name)
    }

    /// Its position in [`FIELDS`] (and in [`Attributes`]).
    pub fn index(&'static self) -> usize {
        FIELDS
            .iter()
            .position(|f| std::ptr::eq(f, self))
            .expect("a declared field")
    }

    /// The attributes of one group, in order.
    pub fn of(group: Group) -> impl Iterator<Item = &'static Field> {
        FIELDS.iter().filter(move |f| f.group == group)
    }

    /// Checks what a person gave (`field` is where, for the error). Blank text and blank hours
    /// clear it; other kinds refuse a blank value (null clears them).
    pub fn parse(&self, field: &str, raw: &str) -> Result<Option<String>, FieldError> {
        let owned = |v: &str| Some(v.to_string());
        match self.kind {
            Kind::Text(max) => parse_short_text(field, raw, max),
            Kind::OpeningHours if raw.trim().is_empty() => Ok(None),
            Kind::Postcode => {
                let postcode = parse_short_text(field, raw, 12)?;
                match &postcode {
                    Some(code)
                        if !code
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') =>
                    {
                        Err(FieldError::new(
                            field,
                            "invalid_postcode",
                            text!("'{}' is not a postcode", code; "« {} » n'est pas un code postal", code),
                        ))
                    }
                    _ => Ok(postcode),
                }
            }
            Kind::CountryCode => parse_country_code(field, raw).map(Some),
            Kind::InseeCode => parse_insee_code(field, raw).map(Some),
            Kind::Url => WebUrl::parse(field, raw).map(|v| owned(v.as_str())),
            Kind::Email => Email::parse(field, raw).map(|v| owned(v.as_str())),
            Kind::Phone => Phone::parse(field, raw).map(|v| owned(v.as_str())),
            Kind::OpeningHours => OpeningHours::parse(field, raw).map(|v| owned(v.as_str())),
            Kind::Choice(values, _) => {
                let value = raw.trim();
                match values.iter().find(|v| **v == value) {
                    Some(v) => Ok(owned(v)),
                    None => {
                        let allowed = values.join(", ");
                        Err(FieldError::new(
                            field,
                            "invalid_choice",
                            text!("'{}' is not a value of {}; use one of: {} (or null when unknown)", value, self.name, allowed;
                                  "« {} » n'est pas une valeur de {} ; utilisez : {} (ou null si on ne sait pas)", value, self.name, allowed),
                        ))
                    }
                }
            }
        }
    }

    /// What a feed gave, read leniently: the usual synonyms of a choice are understood, and a
    /// value that cannot be read is dropped rather than rejecting the record.
    pub fn from_feed(&self, raw: &str) -> Option<String> {
        if let Kind::Choice(_, synonyms) = self.kind {
            let lower = raw.trim().to_lowercase();
            let value = synonyms
                .iter()
                .find(|(from, _)| *from == lower)
                .map_or(lower.as_str(), |(_, to)| to);
            return self.parse("", value).ok().flatten();
        }
        self.parse("", raw).ok().flatten()
    }

    /// Its JSON Schema (for OpenAPI, queryables): a string, or null.
    pub fn json_schema(&self) -> Value {
        let mut schema = json!({"type": ["string", "null"], "description": self.about});
        match self.kind {
            Kind::Text(max) => schema["maxLength"] = json!(max),
            Kind::Postcode => schema["pattern"] = json!("^[0-9A-Za-z -]{1,12}$"),
            Kind::CountryCode => schema["pattern"] = json!("^[A-Z]{2}$"),
            Kind::InseeCode => schema["pattern"] = json!("^([0-9]{5}|2[AB][0-9]{3})$"),
            Kind::Url => schema["format"] = json!("uri"),
            Kind::Email => schema["format"] = json!("idn-email"),
            Kind::Phone | Kind::OpeningHours => {}
            Kind::Choice(values, _) => {
                let mut values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
                values.push(Value::Null);
                schema["enum"] = Value::Array(values);
            }
        }
        schema
    }

    /// Its JSON Schema as a value a person writes (what [`Field::parse`] accepts, as far as a
    /// schema can say: surrounding spaces are trimmed, codes are read in either case).
    pub fn input_schema(&self) -> Value {
        let mut schema = self.json_schema();
        let pattern = match self.kind {
            Kind::Text(_) => return schema,
            // Spaces and control characters separate the parts (a run of them collapses to one
            // space): at most 12 characters once collapsed, each run counted as one.
            Kind::Postcode => {
                let c = r"[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
                let p = "[0-9A-Za-z-]";
                format!("^{c}*({p}({p}|{c}+){{0,10}}{p}|{p})?{c}*$")
            }
            Kind::CountryCode => format!("^{B}[A-Za-z]{{2}}{B}$"),
            Kind::InseeCode => format!("^{B}([0-9]{{5}}|2[ABab][0-9]{{3}}){B}$"),
            Kind::Url => format!(
                "^{B}https?://([A-Za-z0-9-]+\\.)+[A-Za-z][A-Za-z0-9-]*(:0*([0-9]{{1,4}}|[1-5][0-9]{{4}}|6[0-4][0-9]{{3}}|65[0-4][0-9]{{2}}|655[0-2][0-9]|6553[0-5]))?([/?#][^\\s]*)?{B}$"
            ),
            // Addresses the parser (`domain::Email`) always accepts: up to three dot-atoms, up
            // to five host-name labels, short enough to stay within its limits (64 characters
            // before the @, 254 in all).
            Kind::Email => email_pattern(),
            Kind::Phone => format!("^{B}\\+?([ ./()-]*[0-9]){{3,20}}[ ./()-]*{B}$"),
            Kind::OpeningHours => format!("^{B}$|[^\\s]"),
            Kind::Choice(values, _) => format!("^{B}({}){B}$", values.join("|")),
        };
        schema["pattern"] = json!(pattern);
        if let Some(map) = schema.as_object_mut() {
            map.remove("format");
            map.remove("enum");
        }
        schema
    }

    /// Its Frictionless Table Schema field (without the name), for the CSV export.
    pub fn table_schema(&self) -> Value {
        let mut field = json!({"type": "string", "description": self.about});
        match self.kind {
            Kind::CountryCode => field["constraints"] = json!({"pattern": "[A-Z]{2}"}),
            Kind::InseeCode => field["constraints"] = json!({"pattern": "[0-9]{5}|2[AB][0-9]{3}"}),
            Kind::Choice(values, _) => field["constraints"] = json!({"enum": values}),
            _ => {}
        }
        field
    }

    /// Whether its values can hold commas, quotes or line breaks (CSV quoting).
    pub fn is_free_text(&self) -> bool {
        !matches!(
            self.kind,
            Kind::CountryCode | Kind::InseeCode | Kind::Choice(..)
        )
    }
}

/// The values of every attribute of one initiative, already checked, in [`FIELDS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes(Vec<Option<String>>);

impl Default for Attributes {
    fn default() -> Self {
        Self(vec![None; FIELDS.len()])
    }
}

impl Attributes {
    /// Values read back from the database, in [`FIELDS`] order (they were checked when written).
    pub fn trusted(values: Vec<Option<String>>) -> Self {
        assert_eq!(values.len(), FIELDS.len(), "one value per attribute");
        Self(values)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        Field::named(name).and_then(|f| self.0[f.index()].as_deref())
    }

    /// Sets an attribute; the value must come from [`Field::parse`] or [`Field::from_feed`].
    pub fn set(&mut self, field: &'static Field, value: Option<String>) {
        self.0[field.index()] = value;
    }

    /// Every attribute with its value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Field, Option<&str>)> {
        FIELDS.iter().zip(self.0.iter().map(Option::as_deref))
    }

    /// The values, in [`FIELDS`] order.
    pub fn values(&self) -> &[Option<String>] {
        &self.0
    }
}

/// `i.street, i.postcode, …`: the attribute columns of table alias `alias`.
pub fn columns(alias: &str) -> String {
    FIELDS
        .iter()
        .map(|f| {
            format!(
                "{alias}{}{}",
                if alias.is_empty() { "" } else { "." },
                f.name
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ARRAY[i.street, …]`: every attribute of a row as one `text[]`, in [`FIELDS`] order.
pub fn array_sql(alias: &str) -> String {
    format!("ARRAY[{}]::text[]", columns(alias))
}

/// Any run of the characters `str::trim` removes (JSON Schema's `\s` also holds U+FEFF).
const B: &str = r"[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*";

/// The documented shape of an e-mail address a person writes (surrounding spaces allowed): up to
/// three dot-separated atoms of 20 letters (accented Latin ones included), digits or the symbols
/// RFC 5322 allows, and two to five host-name labels of up to 36 such letters, digits or inner
/// hyphens. Narrower than what
/// [`Email::parse`](crate::domain::Email) takes, never wider, so that what a client checks
/// against it is accepted; and close enough that what it refuses, the parser nearly always
/// refuses too.
pub fn email_pattern() -> String {
    let letter = r"0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f";
    let atom = format!("[{letter}!#$%&'*+/=?^_`{{|}}~-]{{1,20}}");
    let label = format!("[{letter}]([{letter}-]{{0,34}}[{letter}])?");
    format!("^{B}{atom}(\\.{atom}){{0,2}}@{label}(\\.{label}){{1,4}}{B}$")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field and its documented input pattern, compiled.
    fn with_pattern(name: &str) -> (&'static Field, regex::Regex) {
        let f = Field::named(name).unwrap();
        let pattern = f.input_schema()["pattern"].as_str().unwrap().to_string();
        (f, regex::Regex::new(&pattern).unwrap())
    }

    /// The documented input pattern of the postcode says what the parser does: the same
    /// samples are accepted by both, or refused by both.
    #[test]
    fn the_postcode_pattern_agrees_with_the_parser() {
        let (f, pattern) = with_pattern("postcode");
        for sample in [
            "31000",
            "  31000 ",
            "SW1A 1AA",
            "SW1A\t\t1AA",
            "1234567890AB",
            "12345 67890A",
            "12345\u{2028}\u{2028}67890A",
            "1234567890ABC",
            "12345 678901A",
            "a b c d e f g",
            "a b c d e f",
            "31000!",
            "",
        ] {
            let parsed = f.parse("/address/postcode", sample).is_ok();
            assert_eq!(pattern.is_match(sample), parsed, "{sample:?}");
        }
    }

    /// What the documented e-mail pattern accepts, the parser accepts; and the parser refuses
    /// what the `idn-email` format of the API's responses refuses (a host-name label ending with
    /// a hyphen was once accepted and answered, and the API fuzzer caught the response).
    #[test]
    fn the_email_pattern_and_format_agree_with_the_parser() {
        let (f, pattern) = with_pattern("email");
        for good in [
            "contact@repair-cafe.fr",
            " jean.pierre.dupont@mairie.ville.gouv.fr ",
            "k-KPIHE91{^mqI@liztyhdy-d4ej4-t.example.org",
            "a@b.c",
        ] {
            assert!(pattern.is_match(good), "{good:?}");
            assert!(f.parse("/contact/email", good).is_ok(), "{good:?}");
        }
        for bad in [
            "a@gcamtel-.org",
            "a@-gcamtel.org",
            "a@b..org",
            "a@b.org.",
            ".a@b.org",
            "a.@b.org",
            "a..b@b.org",
            "a\\b@b.org",
            "a@b",
            &format!("a@{}.org", "b".repeat(64)),
        ] {
            assert!(!pattern.is_match(bad), "{bad:?}");
            assert!(f.parse("/contact/email", bad).is_err(), "{bad:?}");
        }
        // Accented addresses are taken (and documented as `idn-email`), their lengths counted
        // in characters as JSON Schema counts them.
        assert!(pattern.is_match("élise@mairie-écully.fr"));
        assert!(f.parse("/contact/email", "élise@mairie-écully.fr").is_ok());
        let long_label = format!("a@{}.fr", "é".repeat(36));
        assert!(pattern.is_match(&long_label));
        assert!(f.parse("/contact/email", &long_label).is_ok());
        assert!(!pattern.is_match("a@b×c.fr") && f.parse("/contact/email", "a@b×c.fr").is_err());
        assert!(f.parse("/contact/email", "a@١٢.fr").is_err());
        assert_eq!(f.json_schema()["format"], "idn-email");
    }

    #[test]
    fn wheelchair_takes_osm_values_and_refuses_others() {
        let f = Field::named("wheelchair").unwrap();
        assert_eq!(
            f.parse("/wheelchair", "limited").unwrap().as_deref(),
            Some("limited")
        );
        assert!(
            f.parse("/wheelchair", " ").is_err(),
            "null clears it, not a blank"
        );
        assert_eq!(
            f.parse("/wheelchair", "maybe").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(f.from_feed("Oui").as_deref(), Some("yes"));
        assert_eq!(f.from_feed("partiel").as_deref(), Some("limited"));
        assert_eq!(f.from_feed("peut-être"), None);
    }

    #[test]
    fn names_are_unique_and_indexes_follow_the_list() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(Field::named(f.name).unwrap().index(), i);
        }
    }
}
