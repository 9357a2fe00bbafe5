//! GeoJSON FeatureCollections (RFC 7946), OpenDataSoft exports included: their `geo_point_2d`
//! property is [lat, lon] while the geometry is [lon, lat]; the geometry wins when present, so a
//! garden keeps its area.

use super::{Adapter, Sink, unmapped};
use crate::error::FeedError;
use crate::json_stream;
use crate::mapping::{Mapping, Unmapped};
use crate::properties::Reader;
use crate::record::{Item, Position, Record, Reject, clip_raw};
use geo::Geometry;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

pub struct GeoJson {
    pub mapping: Mapping,
}

fn geometry(value: &Value) -> Position {
    let parsed: Result<geojson::Geometry, _> = serde_json::from_value(value.clone());
    let geometry = match parsed {
        Ok(g) => g,
        Err(e) => return Position::Invalid(format!("not a GeoJSON geometry: {e}")),
    };
    match Geometry::<f64>::try_from(&geometry.value) {
        Ok(Geometry::MultiPoint(mp)) if mp.0.len() == 1 => {
            Position::Known(Geometry::Point(mp.0[0]))
        }
        Ok(g @ (Geometry::Point(_) | Geometry::Polygon(_) | Geometry::MultiPolygon(_))) => {
            Position::Known(g)
        }
        Ok(_) => Position::Invalid(format!(
            "a {} is not a place: only Point, Polygon and MultiPolygon are read",
            geometry.value.type_name()
        )),
        Err(e) => Position::Invalid(format!("unusable geometry: {e}")),
    }
}

impl GeoJson {
    fn feature(&self, index: usize, feature: Value) -> Item {
        let raw = feature.to_string();
        let position_in_feed = format!("feature {index}");
        let Some(object) = feature
            .as_object()
            .filter(|o| o.get("type").and_then(Value::as_str) == Some("Feature"))
        else {
            return Item::Reject(Reject {
                external_id: None,
                position_in_feed,
                reason: "an element of 'features' that is not a GeoJSON Feature".into(),
                raw: clip_raw(&raw),
            });
        };
        let empty = Map::new();
        let props = object
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let reader = Reader {
            props,
            mapping: &self.mapping,
        };
        let mut record = Record {
            position_in_feed,
            raw,
            ..Record::default()
        };
        reader.fill(&mut record);
        record.location = match object.get("geometry") {
            Some(g) if !g.is_null() => geometry(g),
            _ => reader.position(false),
        };
        let feature_id = object.get("id").and_then(crate::properties::text_of);
        record.external_id = reader.identifier(feature_id, &record);
        if let Some(id) = &record.external_id {
            record.source_url = self.mapping.source_url(id);
        }
        if record.categories.is_empty() {
            return unmapped(&self.mapping, Unmapped::Reject, record);
        }
        Item::Record(Box::new(record))
    }
}

impl Adapter for GeoJson {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        let file = std::fs::File::open(path)?;
        let mut on = |_: &str, index: usize, feature: Value| sink(self.feature(index, feature));
        let rest = json_stream::stream(
            BufReader::with_capacity(1 << 16, file),
            &["features"],
            "a GeoJSON FeatureCollection",
            &mut on,
        )?;
        let kind = rest.members.get("type").and_then(Value::as_str);
        if rest.was_array
            || kind.is_some_and(|k| k != "FeatureCollection")
            || !rest.found.iter().any(|f| f == "features")
        {
            return Err(FeedError::malformed(
                format!(
                    "this is not a GeoJSON FeatureCollection (type: {})",
                    kind.unwrap_or(if rest.was_array { "an array" } else { "none" })
                ),
                None,
            ));
        }
        Ok(())
    }
}
