//! CSV and spreadsheets exported as CSV: `,` `;` or tab (detected), UTF-8 with or without BOM or
//! Windows-1252/Latin-1 (declared, or detected from the bytes), quoted line breaks, bare `\r`
//! line ends, coordinates in two columns, one "lat,lon" column or WKT. The data.gouv.fr
//! "lieux de médiation numérique" schema is a built-in mapping.

use super::{Adapter, Sink, unmapped};
use crate::error::FeedError;
use crate::mapping::{Fields, Mapping, Slugs, Unmapped};
use crate::properties::Reader;
use crate::record::{Item, Record, Reject, clip_raw};
use serde_json::{Map, Value};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// schema.data.gouv.fr "Lieux de médiation numérique" (LaMednum/standard-mediation-num).
    MediationNumerique,
}

pub struct Csv {
    pub mapping: Mapping,
    pub preset: Option<Preset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Windows1252,
    Utf16,
}

const SAMPLE: usize = 1 << 20;

fn one(name: &str) -> Option<Fields> {
    Some(Fields::One(name.into()))
}

fn many(names: &[&str]) -> Option<Fields> {
    Some(Fields::Many(names.iter().map(|n| n.to_string()).collect()))
}

fn mednum() -> Mapping {
    let mut mapping = Mapping::default();
    let f = &mut mapping.fields;
    f.id = one("id");
    f.name = one("nom");
    f.description = many(&["presentation_resume", "presentation_detail"]);
    f.set_attribute("street", many(&["adresse", "complement_adresse"]));
    f.set_attribute("postcode", one("code_postal"));
    f.set_attribute("city", one("commune"));
    f.set_attribute("insee_code", one("code_insee"));
    f.set_attribute("website", one("site_web"));
    f.set_attribute("email", one("courriels"));
    f.set_attribute("phone", one("telephone"));
    f.set_attribute("opening_hours", one("horaires"));
    // The place's accessibility record on acceslibre.beta.gouv.fr (the schema has no yes/no field).
    f.links = one("fiche_acces_libre");
    f.tags = one("services");
    f.lat = one("latitude");
    f.lon = one("longitude");
    mapping.category_field = one("typologie");
    mapping.categories.insert(
        "TIERS_LIEUX".into(),
        Slugs::Many(vec!["digital-inclusion".into(), "tiers-lieu".into()]),
    );
    mapping.default_category = Some("digital-inclusion".into());
    mapping.separator = Some("|".into());
    mapping.default_country = Some("FR".into());
    mapping
}

/// `whole`: the sample is the whole file (so a character cut at its end is really broken).
fn resolve_encoding(
    sample: &[u8],
    whole: bool,
    declared: Option<&str>,
) -> Result<Encoding, FeedError> {
    if sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]) {
        return Ok(Encoding::Utf16);
    }
    let utf8 = match std::str::from_utf8(sample) {
        Ok(_) => Ok(()),
        // A sample may end in the middle of a character.
        Err(e) if e.error_len().is_none() && !whole => Ok(()),
        Err(e) => Err(e.valid_up_to()),
    };
    let Some(declared) = declared else {
        return Ok(if utf8.is_ok() {
            Encoding::Utf8
        } else {
            Encoding::Windows1252
        });
    };
    match declared.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => match utf8 {
            Ok(()) => Ok(Encoding::Utf8),
            Err(at) => Err(FeedError::malformed(
                "the file is declared UTF-8 but is not (Windows-1252/Latin-1?): set encoding = \"windows-1252\" in the source's mapping",
                Some(format!("byte {at}")),
            )),
        },
        "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "iso-8859-15" => {
            if utf8.is_ok() && !sample.is_ascii() {
                let at = sample.iter().position(|b| !b.is_ascii()).unwrap_or(0);
                return Err(FeedError::malformed(
                    format!(
                        "the file is declared {declared} but its accented letters are encoded in UTF-8: remove the encoding from the source's mapping"
                    ),
                    Some(format!("byte {at}")),
                ));
            }
            Ok(Encoding::Windows1252)
        }
        other => Err(FeedError::malformed(
            format!("unknown encoding '{other}': use utf-8 or windows-1252"),
            None,
        )),
    }
}

/// The delimiter of the header line: the most frequent of `;`, `,` and tab outside quotes.
fn detect_delimiter(first_line: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(1);
    [b';', b',', b'\t'][best]
}

fn declared_delimiter(raw: &str) -> Result<u8, FeedError> {
    match raw {
        "," => Ok(b','),
        ";" => Ok(b';'),
        "tab" | "\t" => Ok(b'\t'),
        "|" => Ok(b'|'),
        other => Err(FeedError::malformed(
            format!("unknown delimiter '{other}': use ',', ';', '|' or 'tab'"),
            None,
        )),
    }
}

fn csv_error(e: &csv::Error) -> FeedError {
    let position = e
        .position()
        .map(|p| format!("row {}, byte {}", p.line(), p.byte()));
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => FeedError::malformed(
            "the file is not valid UTF-8 here: set encoding = \"windows-1252\" in the source's mapping",
            position,
        ),
        csv::ErrorKind::Io(io) => FeedError::malformed(format!("reading the file: {io}"), position),
        _ => FeedError::malformed(format!("the file is not readable as CSV: {e}"), position),
    }
}

impl Csv {
    fn mapping(&self) -> Mapping {
        match self.preset {
            Some(Preset::MediationNumerique) => self.mapping.clone().over(mednum()),
            None => self.mapping.clone(),
        }
    }

    fn row(
        &self,
        mapping: &Mapping,
        headers: &[String],
        row: &csv::StringRecord,
        line: u64,
        decimal_comma: bool,
    ) -> Item {
        let mut props = Map::new();
        for (header, value) in headers.iter().zip(row.iter()) {
            if !header.is_empty() && !props.contains_key(header) {
                props.insert(header.clone(), Value::String(value.to_string()));
            }
        }
        let raw = row.iter().collect::<Vec<_>>().join(" | ");
        let reader = Reader {
            props: &props,
            mapping,
        };
        let mut record = Record {
            position_in_feed: format!("row {line}"),
            raw: raw.into(),
            ..Record::default()
        };
        reader.fill(&mut record);
        record.location = reader.position(decimal_comma);
        record.external_id = reader.identifier(None, &record);
        if let Some(id) = &record.external_id {
            record.source_url = mapping.source_url(id);
        }
        if record.categories.is_empty() {
            return unmapped(mapping, Unmapped::Reject, record);
        }
        Item::Record(Box::new(record))
    }
}

impl Adapter for Csv {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let mapping = self.mapping();
        let mut file = std::fs::File::open(path)?;
        let mut sample = Vec::with_capacity(SAMPLE);
        (&mut file).take(SAMPLE as u64).read_to_end(&mut sample)?;
        if sample.is_empty() {
            return Err(FeedError::malformed("the file is empty", None));
        }
        let encoding =
            resolve_encoding(&sample, sample.len() < SAMPLE, mapping.encoding.as_deref())?;
        let bom = if encoding == Encoding::Utf8 && sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        file.seek(SeekFrom::Start(bom))?;
        let first_line: String = match encoding {
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252
                .decode(&sample)
                .0
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
            Encoding::Utf16 => encoding_rs::UTF_16LE
                .decode(&sample)
                .0
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
            Encoding::Utf8 => String::from_utf8_lossy(&sample[bom as usize..])
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        };
        if first_line.trim_start().starts_with('{') || first_line.trim_start().starts_with('[') {
            return Err(FeedError::malformed(
                "this looks like JSON, not CSV: check the source's format",
                Some("row 1".into()),
            ));
        }
        let delimiter = match &mapping.delimiter {
            Some(d) => declared_delimiter(d)?,
            None => detect_delimiter(&first_line),
        };
        let input: Box<dyn Read> = match encoding {
            Encoding::Utf8 => Box::new(BufReader::with_capacity(1 << 16, file)),
            Encoding::Windows1252 => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::WINDOWS_1252))
                    .build(BufReader::with_capacity(1 << 16, file)),
            ),
            Encoding::Utf16 => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .bom_sniffing(true)
                    .build(file),
            ),
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&e))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        if headers.len() < 2 {
            return Err(FeedError::malformed(
                format!(
                    "only one column found: the delimiter is not one of ',', ';' or tab, or this is not CSV (header: '{}')",
                    clip_raw(&first_line)
                ),
                Some("row 1".into()),
            ));
        }
        let decimal_comma = delimiter != b',';
        // A row with the wrong number of fields is rejected, unless it is the last one: then the
        // file was cut short. Positions are rows as a spreadsheet numbers them (the header is row
        // 1; a quoted line break stays inside its row).
        let mut held: Option<(csv::StringRecord, u64)> = None;
        for row in reader.records() {
            let row = row.map_err(|e| csv_error(&e))?;
            let line = row.position().map_or(0, csv::Position::line);
            if let Some((bad, bad_line)) = held.take() {
                sink(Item::Reject(Reject {
                    external_id: None,
                    position_in_feed: format!("row {bad_line}"),
                    reason: format!(
                        "this row has {} fields where the header has {}",
                        bad.len(),
                        headers.len()
                    ),
                    raw: clip_raw(&bad.iter().collect::<Vec<_>>().join(" | ")),
                }))?;
            }
            if row.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if row.len() != headers.len() {
                held = Some((row, line));
                continue;
            }
            sink(self.row(&mapping, &headers, &row, line, decimal_comma))?;
        }
        if let Some((bad, line)) = held {
            return Err(FeedError::malformed(
                format!(
                    "the last row has {} fields where the header has {}: the file looks truncated",
                    bad.len(),
                    headers.len()
                ),
                Some(format!("row {line}")),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        assert_eq!(detect_delimiter("nom;adresse;\"a, b\""), b';');
        assert_eq!(detect_delimiter("name,lat,lon"), b',');
        assert_eq!(detect_delimiter("name\tlat\tlon"), b'\t');
    }

    #[test]
    fn encodings_are_detected_or_checked() {
        assert_eq!(
            resolve_encoding("café".as_bytes(), true, None).unwrap(),
            Encoding::Utf8
        );
        assert_eq!(
            resolve_encoding(b"caf\xe9", true, None).unwrap(),
            Encoding::Windows1252
        );
        assert_eq!(
            resolve_encoding(b"caf\xe9 au lait", true, None).unwrap(),
            Encoding::Windows1252
        );
        assert!(resolve_encoding(b"caf\xe9", true, Some("utf-8")).is_err());
        assert!(resolve_encoding("café".as_bytes(), true, Some("windows-1252")).is_err());
        assert_eq!(
            resolve_encoding(b"plain ascii", true, Some("latin1")).unwrap(),
            Encoding::Windows1252
        );
        // A multi-byte character cut by the end of a partial sample is not an error.
        assert_eq!(
            resolve_encoding(&"é".as_bytes()[..1], false, None).unwrap(),
            Encoding::Utf8
        );
    }
}
