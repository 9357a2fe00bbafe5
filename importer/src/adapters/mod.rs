//! One adapter per feed format, behind one trait. Adapters stream: they hand each element to the
//! sink as soon as it is read, so memory stays flat whatever the size of the feed.

use crate::error::FeedError;
use crate::mapping::{Mapping, Unmapped};
use crate::record::Item;
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
        "gogocarto" => Box::new(gogocarto::GoGoCarto { mapping }),
        "openfairdb" => Box::new(openfairdb::OpenFairDb { mapping }),
        "fablabs" => Box::new(fablabs::Fablabs { mapping }),
        _ => return None,
    })
}

/// A record of no mapped category: rejected or skipped, as the mapping says.
fn unmapped(mapping: &Mapping, default: Unmapped, record: crate::record::Record) -> Item {
    match mapping.unmapped(default) {
        Unmapped::Skip => Item::Skip,
        Unmapped::Reject => Item::Record(Box::new(record)),
    }
}
