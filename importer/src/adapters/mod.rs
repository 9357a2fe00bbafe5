//! One adapter per feed format, behind one trait. Adapters stream: they hand each element to the
//! sink as soon as it is read, so memory stays flat whatever the size of the feed.

use crate::error::FeedError;
use crate::known::Known;
use crate::mapping::{Mapping, Unmapped};
use crate::record::Item;
use crate::taxonomy::Taxonomy;
use std::path::Path;

mod csv;
mod fablabs;
mod geojson;
mod gogocarto;
mod openfairdb;
mod overpass;

pub use self::csv::Csv;

/// Receives each element read from a feed.
pub type Sink<'a> = dyn FnMut(Item) -> Result<(), FeedError> + 'a;

pub trait Adapter: Send + Sync {
    /// Reads the whole feed in `path`. An error means the file itself is unusable.
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError>;

    /// Reads the feed, handing over [`Item::Known`](crate::record::Item::Known) for the
    /// elements `known` recognises and taking the digests of the others. Formats that do not
    /// take digests read everything.
    fn read_known(
        &self,
        path: &Path,
        _known: &Known,
        sink: &mut Sink<'_>,
    ) -> Result<(), FeedError> {
        self.read(path, sink)
    }
}

/// The adapter of a source's format, configured by its mapping.
pub fn for_format(format: &str, mapping: Mapping) -> Option<Box<dyn Adapter>> {
    Some(match format {
        "overpass" => Box::new(overpass::Overpass { mapping }),
        "geojson" => Box::new(geojson::GeoJson { mapping }),
        "csv" => Box::new(Csv {
            mapping,
            preset: None,
        }),
        "mednum" => Box::new(Csv {
            mapping,
            preset: Some(csv::Preset::MediationNumerique),
        }),
        "gogocarto" => Box::new(gogocarto::GoGoCarto {
            mapping,
            taxonomy: Taxonomy::default(),
        }),
        "openfairdb" => Box::new(openfairdb::OpenFairDb { mapping }),
        "fablabs" => Box::new(fablabs::Fablabs { mapping }),
        _ => return None,
    })
}

/// The adapter of a source's format, with what the run fetched beside the feed (a GoGoCarto
/// taxonomy).
pub fn for_source(
    format: &str,
    mapping: Mapping,
    taxonomy: Option<Taxonomy>,
) -> Option<Box<dyn Adapter>> {
    match (format, taxonomy) {
        ("gogocarto", Some(taxonomy)) => Some(Box::new(gogocarto::GoGoCarto { mapping, taxonomy })),
        (format, _) => for_format(format, mapping),
    }
}

/// A record of no mapped category: rejected (the normaliser says why), skipped, or stored
/// pending "to classify", as the mapping says.
fn unmapped(mapping: &Mapping, default: Unmapped, mut record: crate::record::Record) -> Item {
    match mapping.unmapped(default) {
        Unmapped::Skip => Item::Skip,
        Unmapped::Reject => Item::Record(Box::new(record)),
        Unmapped::Pending => {
            record.to_classify = true;
            Item::Record(Box::new(record))
        }
    }
}

/// Categories for a record's values: each value `[categories]` names gets what it says (the
/// mapping wins), the others what the built-in rules find in their label; practices before
/// families, the mapping's first.
fn categories_with_rules<'a>(
    mapping: &Mapping,
    values: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut explicit: Vec<String> = Vec::new();
    let mut built_in: Vec<&'static str> = Vec::new();
    for (value, label) in values {
        let named = mapping.explicit_categories([value, label]);
        if named.is_empty() {
            built_in.extend(crate::practices::categories_of(label));
        }
        explicit.extend(named);
    }
    built_in.sort_by_key(|slug| crate::practices::is_family(slug));
    let mut out: Vec<String> = Vec::new();
    for slug in explicit
        .into_iter()
        .chain(built_in.into_iter().map(str::to_string))
    {
        if !out.contains(&slug) {
            out.push(slug);
        }
    }
    out
}
