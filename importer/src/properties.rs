//! Records from flat properties — GeoJSON feature properties, CSV rows — read through a source's
//! [`Mapping`], falling back to the usual field names of French and English open data.

use crate::mapping::{Fields, Mapping};
use crate::record::{Position, Record, split_values};
use archipel_store::fields::FIELDS;
use geo::{Geometry, Point};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Usual names of each member, tried in order when the mapping does not say.
pub mod usual {
    pub const ID: &[&str] = &["id", "identifiant", "uid", "uuid", "gid", "objectid", "fid"];
    pub const NAME: &[&str] = &[
        "name",
        "nom",
        "title",
        "titre",
        "libelle",
        "denomination",
        "nom_structure",
    ];
    pub const DESCRIPTION: &[&str] = &[
        "description",
        "descriptif",
        "desc",
        "presentation",
        "resume",
    ];
    pub const WEBSITE: &[&str] = &[
        "website",
        "site",
        "site_web",
        "siteweb",
        "url",
        "web",
        "site_internet",
    ];
    pub const EMAIL: &[&str] = &[
        "email",
        "mail",
        "courriel",
        "e-mail",
        "courriels",
        "adresse_mail",
    ];
    pub const PHONE: &[&str] = &["phone", "tel", "telephone", "téléphone", "tél"];
    pub const LINKS: &[&str] = &["links", "liens"];
    pub const TAGS: &[&str] = &["tags", "mots_cles", "keywords", "etiquettes"];
    pub const STATUS: &[&str] = &["status", "statut", "etat"];
    pub const LAT: &[&str] = &["latitude", "lat", "y", "lat_wgs84"];
    pub const LON: &[&str] = &["longitude", "lon", "lng", "long", "x", "lon_wgs84"];
    pub const LATLON: &[&str] = &[
        "geo_point_2d",
        "geo_point",
        "coordonnees",
        "coordinates",
        "geolocalisation",
    ];
    pub const WKT: &[&str] = &["wkt", "geometry", "geom", "the_geom", "geometrie"];
}

/// Text of a property: strings as they are, numbers printed, arrays of scalars joined.
pub fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(text_of)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// The property at `path` (dots descend into objects: `address.city`).
pub fn get<'a>(props: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = props.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut current = props.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// Reads members of one record through a mapping.
pub struct Reader<'a> {
    pub props: &'a Map<String, Value>,
    pub mapping: &'a Mapping,
}

impl<'a> Reader<'a> {
    fn names(&self, mapped: Option<&'a Fields>, usual: &'a [&'a str]) -> Vec<&'a str> {
        match mapped {
            Some(fields) => fields.names(),
            None => usual.to_vec(),
        }
    }

    /// The first non-empty value among the member's fields.
    pub fn first(&self, mapped: Option<&'a Fields>, usual: &'a [&'a str]) -> Option<String> {
        self.names(mapped, usual)
            .into_iter()
            .find_map(|name| get(self.props, name).and_then(text_of))
    }

    /// Every non-empty value among the member's fields.
    pub fn all(&self, mapped: Option<&'a Fields>, usual: &'a [&'a str]) -> Vec<String> {
        let names = self.names(mapped, usual);
        // With usual names, one match is enough (several usual names are synonyms).
        let values = names
            .into_iter()
            .filter_map(|name| get(self.props, name).and_then(text_of));
        if mapped.is_some() {
            values.collect()
        } else {
            values.take(1).collect()
        }
    }

    /// Values of a multi-valued member, split on the mapping's separators.
    pub fn split(&self, mapped: Option<&'a Fields>, usual: &'a [&'a str]) -> Vec<String> {
        let separators = self.mapping.separators();
        self.all(mapped, usual)
            .iter()
            .flat_map(|v| split_values(v, &separators))
            .collect()
    }
}

fn number(text: &str, decimal_comma: bool) -> Option<f64> {
    let text = text.trim();
    let parsed = if decimal_comma {
        text.replace(',', ".")
    } else {
        text.to_string()
    };
    parsed.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `[lat, lon]`, `{lat, lon}` or "lat,lon" (OpenDataSoft's `geo_point_2d` is [lat, lon]).
fn lat_lon_of(value: &Value) -> Option<(f64, f64)> {
    match value {
        Value::Array(pair) if pair.len() == 2 => Some((pair[0].as_f64()?, pair[1].as_f64()?)),
        Value::Object(o) => {
            let lat = o.get("lat").or_else(|| o.get("latitude"))?;
            let lon = o
                .get("lon")
                .or_else(|| o.get("lng"))
                .or_else(|| o.get("longitude"))?;
            Some((as_number(lat)?, as_number(lon)?))
        }
        Value::String(s) => {
            let parts: Vec<&str> = s.split([',', ';', ' ']).filter(|p| !p.is_empty()).collect();
            match parts[..] {
                [lat, lon] => Some((number(lat, false)?, number(lon, false)?)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => number(s, s.contains(',') && !s.contains('.')),
        _ => None,
    }
}

/// A geometry from WKT or EWKT (SRID 4326 only).
pub fn parse_wkt(raw: &str) -> Position {
    let raw = raw.trim();
    let body = match raw.split_once(';') {
        Some((srid, body)) if srid.to_ascii_uppercase().starts_with("SRID=") => {
            if srid[5..].trim() != "4326" {
                return Position::Invalid(format!(
                    "the geometry is in {srid}; only WGS 84 (SRID=4326) longitude/latitude is read"
                ));
            }
            body
        }
        _ => raw,
    };
    match body.parse::<wkt::Wkt<f64>>() {
        Ok(parsed) => match Geometry::<f64>::try_from(parsed) {
            Ok(Geometry::MultiPoint(mp)) if mp.0.len() == 1 => {
                Position::Known(Geometry::Point(mp.0[0]))
            }
            Ok(g) => Position::Known(g),
            Err(e) => Position::Invalid(format!("unusable WKT geometry: {e}")),
        },
        Err(e) => Position::Invalid(format!(
            "'{}' is not WKT: {e}",
            crate::record::clip_raw(body)
        )),
    }
}

impl Reader<'_> {
    /// The record's position from its fields: latitude and longitude, one "lat,lon" field, or WKT.
    /// `decimal_comma`: numbers like "43,6" (CSV separated by semicolons).
    pub fn position(&self, decimal_comma: bool) -> Position {
        let fields = &self.mapping.fields;
        let lat = self.first(fields.lat.as_ref(), usual::LAT);
        let lon = self.first(fields.lon.as_ref(), usual::LON);
        match (&lat, &lon) {
            (Some(lat), Some(lon)) => {
                return match (number(lat, decimal_comma), number(lon, decimal_comma)) {
                    (Some(lat), Some(lon)) => {
                        Position::Known(Geometry::Point(Point::new(lon, lat)))
                    }
                    _ => Position::Invalid(format!(
                        "the coordinates '{lat}', '{lon}' are not numbers"
                    )),
                };
            }
            (Some(_), None) | (None, Some(_)) => {
                return Position::Invalid("only one of latitude and longitude is given".into());
            }
            _ => {}
        }
        let names: Vec<&str> = match &fields.latlon {
            Some(f) => f.names(),
            None => usual::LATLON.to_vec(),
        };
        if let Some(value) = names
            .into_iter()
            .find_map(|n| get(self.props, n).filter(|v| !v.is_null()))
        {
            return match lat_lon_of(value) {
                Some((lat, lon)) => Position::Known(Geometry::Point(Point::new(lon, lat))),
                None => Position::Invalid(format!("'{value}' is not a latitude,longitude pair")),
            };
        }
        if let Some(wkt) = self.first(fields.wkt.as_ref(), usual::WKT) {
            return parse_wkt(&wkt);
        }
        Position::Missing
    }

    /// Fills the members every property-based format shares.
    pub fn fill(&self, record: &mut Record) {
        let f = &self.mapping.fields;
        record.name = self.first(f.name.as_ref(), usual::NAME);
        record.description = self.all(f.description.as_ref(), usual::DESCRIPTION);
        for field in FIELDS.iter().filter(|f| !f.feed_names.is_empty()) {
            let mapped = f.attribute(field.name);
            // A street may be spread over several fields (number, street, complement).
            let value = if field.name == "street" {
                Some(self.all(mapped, field.feed_names).join(", ")).filter(|s| !s.is_empty())
            } else {
                self.first(mapped, field.feed_names)
            };
            record.set(field.name, value);
        }
        if !record.attributes.contains_key("country_code") {
            record.set("country_code", self.mapping.default_country.clone());
        }
        let separators = self.mapping.separators();
        let url_separators: Vec<char> = separators
            .iter()
            .copied()
            .filter(|c| *c != ',')
            .chain([' '])
            .collect();
        record.websites = self
            .all(f.attribute("website"), usual::WEBSITE)
            .iter()
            .flat_map(|v| split_values(v, &url_separators))
            .collect();
        record.websites.extend(
            self.all(f.links.as_ref(), usual::LINKS)
                .iter()
                .flat_map(|v| split_values(v, &url_separators)),
        );
        record.emails = self.all(f.attribute("email"), usual::EMAIL);
        record.phones = self
            .all(f.attribute("phone"), usual::PHONE)
            .iter()
            .flat_map(|v| split_values(v, &['|', ';', '/']))
            .collect();
        record.tags = self.split(f.tags.as_ref(), usual::TAGS);
        record.status = self
            .first(f.status.as_ref(), usual::STATUS)
            .and_then(|s| self.mapping.status_for(&s));
        let values: Vec<String> = match &self.mapping.category_field {
            Some(fields) => fields
                .names()
                .into_iter()
                .filter_map(|n| get(self.props, n).and_then(text_of))
                .flat_map(|v| split_values(&v, &separators))
                .collect(),
            None => Vec::new(),
        };
        record.categories = self
            .mapping
            .categories_for(values.iter().map(String::as_str));
        if record.categories.is_empty() {
            record.category_hint = Some(if values.is_empty() {
                "this record (no category value)".into()
            } else {
                format!("{values:?}")
            });
            record.unmapped_values = values;
        }
    }

    /// The record's identifier: the mapped or usual id field, else `fallback` (e.g. the GeoJSON
    /// Feature's id), else a digest of its name and position (so it stays stable as long as they
    /// do).
    pub fn identifier(&self, fallback: Option<String>, record: &Record) -> Option<String> {
        self.first(self.mapping.fields.id.as_ref(), usual::ID)
            .or(fallback)
            .or_else(|| {
                let name = record.name.as_deref()?;
                let Position::Known(geometry) = &record.location else {
                    return None;
                };
                let c = geo::Centroid::centroid(geometry)?;
                let digest = Sha256::digest(format!("{name}|{:.5}|{:.5}", c.x(), c.y()).as_bytes());
                Some(format!(
                    "h:{}",
                    digest[..8]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ))
            })
    }
}
