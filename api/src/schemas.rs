//! The OpenAPI schemas and parameter sets of the API's own wire forms: the bodies handlers read
//! (described from the parsers' constants and `FIELDS` where they exist), the envelopes written
//! around rows the database serialises (their Features are PostgreSQL's text, so these types
//! describe them without producing them; the API tests check real responses against them), and
//! the shared patterns. Routes refer to this module; `openapi.rs` gathers it with the routes.

use crate::input::{self, Shape};
use archipel_store::domain::{Moderation, Status};
use archipel_store::fields::{FIELDS, Group};
use archipel_store::openapi::from_json;
use serde_json::{Value, json};
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{IntoParams, ToSchema};

/// A territory as the server reads it (`TerritoryRef::parse`): a commune (`31555`, `2A004`), an
/// EPCI SIREN, a département (`31`, `2A`, `974`) or a région (`76`), optionally after its level.
pub const TERRITORY_PATTERN: &str = "^(commune:([0-9]{5}|2[ABab][0-9]{3})|epci:[0-9]{9}|departement:([0-9]{2}|2[ABab]|97[0-9])|region:[0-9]{2}|[0-9]{5}|2[ABab][0-9]{3}|[0-9]{9}|[0-9]{2}|2[ABab]|97[0-9])$";

/// `minLon,minLat,maxLon,maxLat` with longitudes in -180..180 and latitudes in -90..90 (that
/// minLat ≤ maxLat no pattern can say).
pub const BBOX_PATTERN: &str = r"^-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?),-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?),-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?)$";

/// Filters of the initiative listings. Unknown or repeated parameters are refused with 400.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParamsDoc {
    /// `minLon,minLat,maxLon,maxLat` (WGS 84 degrees); minLon > maxLon crosses the antimeridian.
    bbox: Option<String>,
    /// Comma-separated category slugs; a family includes its practices. Unknown slugs are refused (400).
    #[param(pattern = "^([a-z0-9]+(-[a-z0-9]+)*(,[a-z0-9]+(-[a-z0-9]+)*)*)?$")]
    category: Option<String>,
    /// Words to find in names, descriptions, cities and tags; accent- and case-insensitive, each
    /// word matches as a prefix ("repar" finds "Réparation"). Results are ordered by relevance;
    /// with a `bbox` (not across the antimeridian), the matches nearest its centre (about twice
    /// `limit`, at least 20) come first, by relevance, then the box's other matches, by relevance.
    /// Blank, or at least one word of two letters or digits; at most 200 characters and 10 words.
    // Blank is Unicode White_Space, what the server trims, spelled out: the \s of the document's
    // regular expressions (ECMA-262) also holds U+FEFF, which the server reads as a character.
    #[param(
        max_length = 200,
        pattern = r"^[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$|[\p{L}\p{N}][^\s\u0000-\u001f\u007f-\u009f,'’-]*[\p{L}\p{N}]"
    )]
    q: Option<String>,
    /// `lat,lon`: only initiatives within `radius` of this place, nearest first (adds `distance_m`).
    #[param(
        pattern = r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$"
    )]
    near: Option<String>,
    /// Metres around `near` (default 10000, at most 1000000); only with `near`.
    #[param(exclusive_minimum = 0, maximum = 1000000)]
    radius: Option<f64>,
    /// Comma-separated: active, inactive, closed.
    #[param(pattern = r"^((active|inactive|closed)(,(active|inactive|closed))*)?$")]
    status: Option<String>,
    /// Comma-separated: pending, published, rejected, archived. Anything but `published` needs an editor token.
    #[param(
        pattern = r"^((pending|published|rejected|archived)(,(pending|published|rejected|archived))*)?$"
    )]
    moderation: Option<String>,
    /// Only initiatives changed at or after this RFC 3339 date-time (incremental harvest).
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// Only initiatives in this territory: an INSEE commune code (31555), an EPCI SIREN
    /// (243100518), a département (31) or, after its level, any territory (`region:76`). A bare
    /// code names the smallest level that has it. Unknown territories are refused (400).
    territory: Option<String>,
    // Described in page_size (a parameter given its schema that way loses its doc comment).
    #[param(schema_with = page_size)]
    limit: Option<i64>,
    /// Opaque position of the next page; follow the `next` link rather than building it.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
    /// `fr` or `en`: language of error messages (default from Accept-Language).
    lang: Option<String>,
}

/// `limit` of the listings: a whole number of at least 1 and of any size, a larger one than
/// 10000 (past 64 bits too) being reduced to 10000; so no int64 format.
fn page_size() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .description(Some(
            "Page size, default 100; larger than 10000 (past 64 bits too) is reduced to 10000.",
        ))
        .build()
}

/// Filters of the exports (those of the listings that make sense for a whole download).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportParamsDoc {
    /// `minLon,minLat,maxLon,maxLat` (WGS 84 degrees); minLon > maxLon crosses the antimeridian.
    bbox: Option<String>,
    /// Comma-separated category slugs; a family includes its practices. Unknown slugs are refused (400).
    #[param(pattern = "^([a-z0-9]+(-[a-z0-9]+)*(,[a-z0-9]+(-[a-z0-9]+)*)*)?$")]
    category: Option<String>,
    /// Comma-separated: active, inactive, closed.
    #[param(pattern = r"^((active|inactive|closed)(,(active|inactive|closed))*)?$")]
    status: Option<String>,
    /// Only initiatives changed at or after this RFC 3339 date-time (incremental harvest).
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// Only initiatives in this territory (as in the listings: `31555`, `243100518`, `region:76`).
    territory: Option<String>,
    /// `fr` or `en`: language of error messages (default from Accept-Language).
    lang: Option<String>,
}

/// A GeoJSON geometry (RFC 7946): Point, Polygon or MultiPolygon, longitude first, in CRS84.
/// Rings are closed (first position = last) and simple; a schema cannot say so, the server checks.
pub struct GeometryDoc;

impl utoipa::PartialSchema for GeometryDoc {
    fn schema() -> RefOr<Schema> {
        use archipel_store::openapi::{geometry, multi_polygon_coordinates, polygon, position};
        from_json(json!({
            "oneOf": [
                geometry("Point", position()),
                geometry("Polygon", polygon()),
                geometry("MultiPolygon", multi_polygon_coordinates()),
            ],
            "example": {"type": "Point", "coordinates": [1.444, 43.6045]},
        }))
    }
}

impl ToSchema for GeometryDoc {}

/// The values of a closed set of the store, as a schema.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Value {
    json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()})
}

/// Moderation states a person may set or read (`merged` initiatives redirect instead).
fn settable_moderation() -> Value {
    one_of(
        Moderation::ALL
            .iter()
            .filter(|m| **m != Moderation::Merged)
            .map(|m| m.as_str()),
    )
}

/// What the JSON representation adds to its derived members: the top-level attributes, and the
/// closed sets of the store.
fn initiative_members(o: &mut Value) {
    add_attributes(o, &[Group::Top], true);
    o["properties"]["status"] = one_of(Status::ALL.iter().map(|s| s.as_str()));
    o["properties"]["moderation"] = settable_moderation();
}

/// The `address` object: the attributes of [`Group::Address`].
pub struct AddressDoc;

impl utoipa::PartialSchema for AddressDoc {
    fn schema() -> RefOr<Schema> {
        let mut object = json!({"type": "object", "properties": {}});
        add_attributes(&mut object, &[Group::Address], true);
        from_json(object)
    }
}

impl ToSchema for AddressDoc {}

/// The `contact` object: the attributes of [`Group::Contact`] and the other links.
pub struct ContactDoc;

impl utoipa::PartialSchema for ContactDoc {
    fn schema() -> RefOr<Schema> {
        let mut object = json!({"type": "object", "properties": {}});
        add_attributes(&mut object, &[Group::Contact], true);
        object["properties"]["links"] = json!({
            "type": "array", "items": {"type": "string", "format": "uri"},
            "description": "Other web addresses",
        });
        object["required"]
            .as_array_mut()
            .expect("required")
            .push(json!("links"));
        from_json(object)
    }
}

impl ToSchema for ContactDoc {}

/// Adds the attributes of `groups` (see `archipel_store::fields`) to an object schema.
fn add_attributes(object: &mut Value, groups: &[Group], required: bool) {
    for field in FIELDS.iter().filter(|f| groups.contains(&f.group)) {
        object["properties"][field.name] = field.json_schema();
        if required {
            match object.get_mut("required").and_then(Value::as_array_mut) {
                Some(list) => list.push(json!(field.name)),
                None => object["required"] = json!([field.name]),
            }
        }
    }
}

/// A documentation type whose schema is a derived `$core`'s with attributes added by `$add`.
macro_rules! with_attributes {
    ($(#[$meta:meta])* $doc:ident = $core:ty, $add:expr) => {
        $(#[$meta])*
        pub struct $doc;

        impl utoipa::PartialSchema for $doc {
            fn schema() -> RefOr<Schema> {
                let mut object = serde_json::to_value(<$core as utoipa::PartialSchema>::schema())
                    .expect("a schema serialises");
                let add: fn(&mut Value) = $add;
                add(&mut object);
                from_json(object)
            }
        }

        impl ToSchema for $doc {
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$core as ToSchema>::schemas(schemas);
            }
        }
    };
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProvenanceDoc {
    /// The import source, for imported initiatives.
    #[schema(required = true)]
    source_id: Option<String>,
    /// The record's id in that source, e.g. `node/123` for OpenStreetMap.
    #[schema(required = true)]
    external_id: Option<String>,
    #[schema(required = true)]
    source_url: Option<String>,
    #[schema(required = true, format = DateTime)]
    fetched_at: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PointDoc {
    lon: f64,
    lat: f64,
}

with_attributes!(
    /// An initiative as JSON.
    InitiativeDoc = InitiativeCoreDoc,
    initiative_members
);

/// An initiative as JSON, its top-level attributes aside.
#[derive(ToSchema)]
#[allow(dead_code)]
struct InitiativeCoreDoc {
    #[schema(format = Uuid)]
    id: String,
    slug: String,
    name: String,
    description: String,
    geometry: GeometryDoc,
    /// The point shown on the map (inside the area for polygons).
    point: PointDoc,
    /// Category slugs, main category first.
    categories: Vec<String>,
    address: AddressDoc,
    contact: ContactDoc,
    tags: Vec<String>,
    status: String,
    moderation: String,
    #[schema(required = true)]
    licence: Option<String>,
    #[schema(required = true)]
    attribution: Option<String>,
    provenance: ProvenanceDoc,
    #[schema(required = true, format = DateTime)]
    last_confirmed_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    version: i32,
    /// Metres from `near`, in listings ordered by distance.
    distance_m: Option<f64>,
}

/// An e-mail address as a person writes it (see `fields`), or nothing (blank is ignored).
fn blank_or_email() -> String {
    let email = archipel_store::fields::Field::named("email")
        .map(|f| {
            f.input_schema()["pattern"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    format!(
        r"^[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$|{email}"
    )
}

/// A documentation type whose schema is built by `$build` (it may refer to GeometryDoc).
macro_rules! built_schema {
    ($(#[$meta:meta])* $doc:ident => $build:expr) => {
        $(#[$meta])*
        pub struct $doc;

        impl utoipa::PartialSchema for $doc {
            fn schema() -> RefOr<Schema> {
                from_json($build)
            }
        }

        impl ToSchema for $doc {
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                use utoipa::PartialSchema;
                schemas.push(("GeometryDoc".into(), GeometryDoc::schema()));
            }
        }
    };
}

built_schema!(
    /// The body of PATCH (JSON Merge Patch): the writable members of the JSON representation;
    /// null clears an optional member.
    InitiativeInputDoc => input::body_schema(Shape::Json, false, &[], Value::Null)
);
built_schema!(
    /// The body of POST: the writable members of the JSON representation, with a name and a
    /// location (`geometry`, or `lat` and `lon`).
    InitiativeCreateDoc => input::body_schema(Shape::Json, true, &[], Value::Null)
);
built_schema!(
    /// PATCH as a GeoJSON Feature with the flat properties that reads return (what a client
    /// reads as GeoJSON it can send back; read-only properties are ignored).
    FeatureInputDoc => input::body_schema(Shape::Feature, false, &[], Value::Null)
);
built_schema!(
    /// POST as a GeoJSON Feature: a geometry, and properties with a name.
    FeatureCreateDoc => input::body_schema(Shape::Feature, true, &[], Value::Null)
);
built_schema!(
    /// A visitor's suggestion: the body of POST without the members editors set, plus an
    /// optional address to hear back at and the form's trap for robots, which must stay empty.
    SuggestionInputDoc => input::body_schema(
        Shape::Json,
        true,
        input::EDITOR_ONLY,
        json!({
            "submitter_email": {"type": ["string", "null"], "pattern": blank_or_email(),
                "description": "Where to tell the visitor what became of the suggestion; erased afterwards"},
            "honeypot": {"type": ["string", "number", "integer", "boolean", "array", "object", "null"],
                "pattern": r"^[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
                "description": "Left empty by people; a filled text is refused (400), anything else ignored"},
        }),
    )
);

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InitiativeListDoc {
    items: Vec<InitiativeDoc>,
    number_returned: i64,
    /// URL of the next page, or null on the last page.
    #[schema(required = true)]
    next: Option<String>,
}

with_attributes!(
    /// Flat properties of a GeoJSON Feature.
    FeaturePropertiesDoc = FeaturePropertiesCoreDoc,
    |o| add_attributes(o, &[Group::Address, Group::Contact, Group::Top], true)
);

#[derive(ToSchema)]
#[allow(dead_code)]
struct FeaturePropertiesCoreDoc {
    name: String,
    slug: String,
    description: String,
    categories: Vec<String>,
    main_category: Option<String>,
    links: Vec<String>,
    tags: Vec<String>,
    status: String,
    moderation: String,
    licence: Option<String>,
    attribution: Option<String>,
    source_id: Option<String>,
    external_id: Option<String>,
    source_url: Option<String>,
    fetched_at: Option<String>,
    last_confirmed_at: Option<String>,
    created_at: String,
    updated_at: String,
    distance_m: Option<f64>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeatureDoc {
    #[schema(example = "Feature")]
    r#type: String,
    #[schema(format = Uuid)]
    id: String,
    geometry: GeometryDoc,
    properties: FeaturePropertiesDoc,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LinkDoc {
    rel: String,
    r#type: String,
    href: String,
}

/// A GeoJSON FeatureCollection with paging links (as in OGC API – Features).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeatureCollectionDoc {
    #[schema(example = "FeatureCollection")]
    r#type: String,
    #[schema(rename = "numberReturned")]
    number_returned: i64,
    links: Vec<LinkDoc>,
    features: Vec<FeatureDoc>,
}
