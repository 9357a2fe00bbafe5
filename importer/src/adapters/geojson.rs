//! GeoJSON FeatureCollections (RFC 7946), OpenDataSoft exports included: their `geo_point_2d`
//! property is [lat, lon] while the geometry is [lon, lat]; the geometry wins when present, so a
//! garden keeps its area.

use super::{Adapter, Sink, unmapped};
use crate::error::FeedError;
use crate::json_stream;
use crate::known::Known;
use crate::mapping::{Mapping, Unmapped};
use crate::properties::Reader;
use crate::record::{Item, Position, Raw, Record, Reject, clip_raw};
use geo::Geometry;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

pub struct GeoJson {
    pub mapping: Mapping,
}

fn geometry(value: &Value) -> Position {
    // Read in place (`&Value` is a deserializer): no copy of the coordinates.
    let parsed = <geojson::Geometry as serde::Deserialize>::deserialize(value);
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
    fn feature(&self, index: usize, feature: Value, known: Option<&Known>) -> Item {
        let digest = known.map(|k| k.digest(&feature));
        if let (Some(known), Some(digest)) = (known, &digest)
            && let Some((external_id, content_hash)) = known.get(digest)
        {
            return Item::Known {
                external_id: external_id.to_string(),
                content_hash,
            };
        }
        let position_in_feed = format!("feature {index}");
        let Some(object) = feature
            .as_object()
            .filter(|o| o.get("type").and_then(Value::as_str) == Some("Feature"))
        else {
            return Item::Reject(Reject {
                external_id: None,
                position_in_feed,
                reason: "an element of 'features' that is not a GeoJSON Feature".into(),
                raw: clip_raw(&feature.to_string()),
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
            digest,
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
        record.raw = Raw::Json(feature);
        if record.categories.is_empty() {
            return unmapped(&self.mapping, Unmapped::Reject, record);
        }
        Item::Record(Box::new(record))
    }
}

impl Adapter for GeoJson {
    fn read(&self, path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        self.read_with(path, None, sink)
    }

    fn read_known(&self, path: &Path, known: &Known, sink: &mut Sink<'_>) -> Result<(), FeedError> {
        self.read_with(path, Some(known), sink)
    }
}

impl GeoJson {
    fn read_with(
        &self,
        path: &Path,
        known: Option<&Known>,
        sink: &mut Sink<'_>,
    ) -> Result<(), FeedError> {
        let file = std::fs::File::open(path)?;
        let mut on =
            |_: &str, index: usize, feature: Value| sink(self.feature(index, feature, known));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::normalise;
    use serde_json::json;

    fn items(adapter: &GeoJson, feed: &Value, known: &Known) -> Vec<Item> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), feed.to_string()).unwrap();
        let mut items = Vec::new();
        adapter
            .read_known(file.path(), known, &mut |item| {
                items.push(item);
                Ok(())
            })
            .unwrap();
        items
    }

    #[test]
    fn an_element_read_before_is_recognised_by_its_digest_and_no_other() {
        let mapping = json!({"default_category": "shared-garden", "fields": {"id": "ref"}});
        let adapter = GeoJson {
            mapping: Mapping::from_json(&mapping).unwrap(),
        };
        let feature = |name: &str| {
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.44, 43.6]},
                   "properties": {"ref": name, "name": format!("Jardin {name}")}})
        };
        let feed = json!({"type": "FeatureCollection", "features": [feature("a"), feature("b")]});

        // First run: nothing known, both read in full, each with its digest.
        let mut known = Known::none("geojson", &mapping, None);
        let first = items(&adapter, &feed, &known);
        let mut staged = Vec::new();
        for item in first {
            let Item::Record(record) = item else {
                panic!("read in full the first time: {item:?}");
            };
            let record = normalise(*record).unwrap();
            assert!(record.digest.is_some());
            staged.push(record);
        }
        // The run remembers the first one only (say the second was rejected downstream).
        known.remember(
            known.digest(&feature("a")),
            &staged[0].external_id,
            &staged[0].content_hash,
        );
        let second = items(&adapter, &feed, &known);
        assert!(
            matches!(&second[0], Item::Known { external_id, content_hash }
                if *external_id == staged[0].external_id && *content_hash == staged[0].content_hash),
            "{:?}",
            second[0]
        );
        assert!(matches!(&second[1], Item::Record(_)), "{:?}", second[1]);

        // Another mapping reads every element again.
        let other = Known::none("geojson", &json!({"fields": {"id": "ref"}}), None);
        assert_ne!(other.digest(&feature("a")), known.digest(&feature("a")));
    }
}
