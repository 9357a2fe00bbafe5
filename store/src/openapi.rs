//! Schemas for the OpenAPI document that a derive cannot say of the store's types: the closed sets
//! they hold as text, and the GeoJSON they hold as JSON values.

use serde_json::{Value, json};
use utoipa::openapi::{RefOr, schema::Schema};

/// A schema written as JSON.
pub fn from_json(schema: Value) -> RefOr<Schema> {
    serde_json::from_value(schema).expect("a schema utoipa reads")
}

/// A string of a closed set.
pub fn one_of(values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    from_json(json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()}))
}

/// A string of a closed set, or null.
pub fn one_of_or_null(values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
    values.push(Value::Null);
    from_json(json!({"type": ["string", "null"], "enum": values}))
}

/// A GeoJSON Feature of an initiative: the API's `FeatureDoc`, which the representation defines.
pub fn feature() -> RefOr<Schema> {
    utoipa::openapi::Ref::from_schema_name("FeatureDoc").into()
}

/// A [`feature`] or null.
pub fn feature_or_null() -> RefOr<Schema> {
    from_json(json!({"oneOf": [{"$ref": "#/components/schemas/FeatureDoc"}, {"type": "null"}]}))
}

/// A GeoJSON position (RFC 7946): longitude and latitude, in range.
pub fn position() -> Value {
    json!({
        "type": "array", "minItems": 2, "maxItems": 2,
        "prefixItems": [
            {"type": "number", "minimum": -180, "maximum": 180},
            {"type": "number", "minimum": -90, "maximum": 90},
        ],
        "items": {"type": "number"},
    })
}

/// The coordinates of a GeoJSON Polygon: rings of at least four positions.
pub fn polygon() -> Value {
    json!({
        "type": "array", "minItems": 1,
        "items": {"type": "array", "minItems": 4, "items": position()},
    })
}

/// A GeoJSON geometry of `kind` with these coordinates.
pub fn geometry(kind: &str, coordinates: Value) -> Value {
    json!({
        "type": "object", "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string", "enum": [kind]}, "coordinates": coordinates},
    })
}

/// The coordinates of a GeoJSON MultiPolygon.
pub fn multi_polygon_coordinates() -> Value {
    json!({"type": "array", "minItems": 1, "items": polygon()})
}

/// A GeoJSON MultiPolygon (RFC 7946), longitude first.
pub fn multi_polygon() -> RefOr<Schema> {
    from_json(geometry("MultiPolygon", multi_polygon_coordinates()))
}
