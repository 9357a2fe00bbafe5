//! Request bodies of initiative writes, parsed into validated changes.
//!
//! POST and PATCH share the same document shape as the JSON representation (nested `address` and
//! `contact`). PATCH follows JSON Merge Patch (RFC 7396): an absent member is left as is, `null`
//! clears it. Every problem is collected, so one 422 lists all the fields to correct.

use crate::error::ApiError;
use crate::extract::FromBody;
use archipel_store::domain::{
    Moderation, Name, Status, WebUrl, parse_category_slug, parse_long_text, parse_short_text,
    parse_tag,
};
use archipel_store::fields::{FIELDS, Field, Group, Kind};
use archipel_store::geometry::Location;
use archipel_store::initiative::InitiativeDraft;
use archipel_store::{FieldError, text};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Top-level members besides the attributes of [`Group::Top`].
const TOP_LEVEL: &[&str] = &[
    "name",
    "description",
    "geometry",
    "lat",
    "lon",
    "address",
    "contact",
    "tags",
    "categories",
    "status",
    "moderation",
    "licence",
    "attribution",
    "last_confirmed_at",
    "reason",
];
/// Read-only members of the JSON representation: accepted (so a client may send back what it read)
/// but ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "slug",
    "point",
    "provenance",
    "created_at",
    "updated_at",
    "version",
];

/// The members an object of the document may hold: `fixed` and the attributes of `group`.
fn known(fixed: &[&'static str], group: Group) -> Vec<&'static str> {
    fixed
        .iter()
        .copied()
        .chain(Field::of(group).map(|f| f.name))
        .collect()
}

pub const MAX_TAGS: usize = 30;
pub const MAX_LINKS: usize = 20;
pub const MAX_CATEGORIES: usize = 10;

/// Members editors set and visitors may not.
pub const EDITOR_ONLY: &[&str] = &[
    "moderation",
    "status",
    "licence",
    "attribution",
    "last_confirmed_at",
    "reason",
];

/// Validated changes to an initiative. `Some(None)` clears an optional value.
#[derive(Debug, Default)]
pub struct Changes {
    name: Option<Name>,
    description: Option<String>,
    location: Option<Location>,
    /// Attributes given, with their new value (`None` clears one).
    attributes: Vec<(&'static Field, Option<String>)>,
    links: Option<Vec<WebUrl>>,
    tags: Option<Vec<String>>,
    categories: Option<Vec<String>>,
    status: Option<Status>,
    moderation: Option<Moderation>,
    licence: Option<Option<String>>,
    attribution: Option<Option<String>>,
    last_confirmed_at: Option<Option<DateTime<Utc>>>,
    /// Why the change is made; stored in the revision.
    pub reason: Option<String>,
}

macro_rules! set_if {
    ($target:expr, $value:expr) => {
        if let Some(v) = $value {
            $target = v;
        }
    };
}

impl Changes {
    /// Clears every attribute of `group`.
    fn clear(&mut self, group: Group) {
        self.attributes.extend(Field::of(group).map(|f| (f, None)));
    }

    /// The new place, when the changes move the initiative.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The changes on top of `draft`.
    pub fn apply(self, mut draft: InitiativeDraft) -> InitiativeDraft {
        set_if!(draft.name, self.name);
        set_if!(draft.description, self.description);
        set_if!(draft.location, self.location);
        for (field, value) in self.attributes {
            draft.attributes.set(field, value);
        }
        set_if!(draft.links, self.links);
        set_if!(draft.tags, self.tags);
        set_if!(draft.categories, self.categories);
        set_if!(draft.status, self.status);
        set_if!(draft.moderation, self.moderation);
        set_if!(draft.licence, self.licence);
        set_if!(draft.attribution, self.attribution);
        set_if!(draft.last_confirmed_at, self.last_confirmed_at);
        draft
    }

    /// The whole initiative these changes describe, replacing `current` (PUT): what is absent is
    /// cleared, except the moderation state, which stays unless given.
    pub fn replacing(self, current: &InitiativeDraft) -> Result<InitiativeDraft, Vec<FieldError>> {
        let keep_moderation = self.moderation.is_none();
        let mut draft = self.into_draft()?;
        if keep_moderation {
            draft.moderation = current.moderation;
        }
        Ok(draft)
    }

    /// A new initiative from these changes; name and location are required.
    pub fn into_draft(mut self) -> Result<InitiativeDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.take();
        let location = self.location.take();
        if name.is_none() {
            errors.push(FieldError::new(
                "/name",
                "required",
                text!("a name is required"; "un nom est obligatoire"),
            ));
        }
        if location.is_none() {
            errors.push(FieldError::new(
                "/geometry",
                "required",
                text!("a location is required: 'geometry' (GeoJSON Point, Polygon or MultiPolygon) or 'lat' and 'lon'";
                      "un emplacement est obligatoire : « geometry » (Point, Polygon ou MultiPolygon GeoJSON) ou « lat » et « lon »"),
            ));
        }
        match (name, location) {
            (Some(name), Some(location)) => Ok(self.apply(InitiativeDraft::new(name, location))),
            _ => Err(errors),
        }
    }
}

fn type_error(field: &str, expected_en: &str, expected_fr: &str) -> FieldError {
    FieldError::new(
        field,
        "wrong_type",
        text!("expected {}", expected_en; "attendu : {}", expected_fr),
    )
}

fn as_str<'v>(field: &str, value: &'v Value) -> Result<&'v str, FieldError> {
    value
        .as_str()
        .ok_or_else(|| type_error(field, "a string", "une chaîne de caractères"))
}

fn as_list<'v>(field: &str, value: &'v Value, max: usize) -> Result<&'v Vec<Value>, FieldError> {
    let list = value
        .as_array()
        .ok_or_else(|| type_error(field, "an array", "un tableau"))?;
    if list.len() > max {
        return Err(FieldError::new(
            field,
            "too_many",
            text!("at most {} items are allowed", max; "{} éléments au plus sont permis", max),
        ));
    }
    Ok(list)
}

/// Collects errors while reading one JSON object.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    prefix: &'static str,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(
        object: &'a Map<String, Value>,
        prefix: &'static str,
        known: &[&str],
        ignored: &[&str],
    ) -> Self {
        let mut errors = Vec::new();
        for key in object.keys() {
            if !known.contains(&key.as_str()) && !ignored.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    format!("{prefix}/{key}"),
                    "unknown_field",
                    text!("'{}' is not a field of this object; known fields: {}", key, known.join(", ");
                          "« {} » n'est pas un champ de cet objet ; champs connus : {}", key, known.join(", ")),
                ));
            }
        }
        Self {
            object,
            prefix,
            errors,
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}/{key}", self.prefix)
    }

    /// `None` when absent; `Some(None)` when null.
    fn get(&self, key: &str) -> Option<Option<&'a Value>> {
        self.object
            .get(key)
            .map(|v| if v.is_null() { None } else { Some(v) })
    }

    fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// An optional value: absent → unchanged, null → cleared, else parsed.
    fn optional<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str, &Value) -> Result<Option<T>, FieldError>,
    ) -> Option<Option<T>> {
        let path = self.path(key);
        match self.get(key)? {
            None => Some(None),
            Some(value) => self
                .keep(parse(&path, value))
                .map(Some)
                .map(Option::flatten),
        }
    }

    /// A value that cannot be cleared: null is refused.
    fn required<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str, &Value) -> Result<T, FieldError>,
    ) -> Option<T> {
        let path = self.path(key);
        match self.get(key)? {
            None => {
                self.errors.push(FieldError::new(
                    path,
                    "required",
                    text!("this field cannot be null"; "ce champ ne peut pas être null"),
                ));
                None
            }
            Some(value) => self.keep(parse(&path, value)),
        }
    }

    /// The attributes of `group` this object gives: absent ones are left out, null clears.
    fn attributes(&mut self, group: Group) -> Vec<(&'static Field, Option<String>)> {
        Field::of(group)
            .filter_map(|field| {
                self.optional(field.name, |p, v| field.parse(p, as_str(p, v)?))
                    .map(|value| (field, value))
            })
            .collect()
    }

    fn short_text(&mut self, key: &str, max: usize) -> Option<Option<String>> {
        self.optional(key, |path, v| parse_short_text(path, as_str(path, v)?, max))
    }
}

fn parse_timestamp(path: &str, value: &Value) -> Result<Option<DateTime<Utc>>, FieldError> {
    let raw = as_str(path, value)?;
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            FieldError::new(
                path,
                "invalid_datetime",
                text!("'{}' is not an RFC 3339 date-time such as 2026-05-01T10:00:00Z", raw;
                      "« {} » n'est pas une date RFC 3339 comme 2026-05-01T10:00:00Z", raw),
            )
        })?
        .with_timezone(&Utc);
    if at > Utc::now() + chrono::Duration::days(1) {
        return Err(FieldError::new(
            path,
            "in_future",
            text!("this date is in the future"; "cette date est dans le futur"),
        ));
    }
    Ok(Some(at))
}

fn parse_list<T>(
    path: &str,
    value: &Value,
    max: usize,
    item: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(path, value, max)?.iter().enumerate() {
        let item_path = format!("{path}/{i}");
        out.push(item(&item_path, as_str(&item_path, entry)?)?);
    }
    Ok(out)
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn read_location(reader: &mut Reader<'_>) -> Option<Location> {
    let has_geometry = reader.object.contains_key("geometry");
    let has_lat_lon = reader.object.contains_key("lat") || reader.object.contains_key("lon");
    if has_geometry && has_lat_lon {
        reader.errors.push(FieldError::new(
            "/geometry",
            "ambiguous_location",
            text!("give either 'geometry' or 'lat' and 'lon', not both"; "donnez « geometry » ou « lat » et « lon », pas les deux"),
        ));
        return None;
    }
    if has_geometry {
        return reader.required("geometry", Location::from_geojson);
    }
    if !has_lat_lon {
        return None;
    }
    let number = |reader: &mut Reader<'_>, key: &str| {
        reader.required(key, |path, v| {
            v.as_f64()
                .ok_or_else(|| type_error(path, "a number", "un nombre"))
        })
    };
    let lat = number(reader, "lat");
    let lon = number(reader, "lon");
    match (lat, lon) {
        (Some(lat), Some(lon)) => reader.keep(Location::from_lat_lon("/lat", lat, lon)),
        _ => {
            if !reader.object.contains_key("lat") || !reader.object.contains_key("lon") {
                reader.errors.push(FieldError::new(
                    "/lat",
                    "required",
                    text!("'lat' and 'lon' go together"; "« lat » et « lon » vont ensemble"),
                ));
            }
            None
        }
    }
}

/// Members of a Feature's flat `properties` that read-only members of reads carry.
const FEATURE_READ_ONLY: &[&str] = &[
    "id",
    "slug",
    "main_category",
    "source_id",
    "external_id",
    "source_url",
    "fetched_at",
    "created_at",
    "updated_at",
    "version",
    "distance_m",
];

/// A GeoJSON Feature with the flat properties that reads return, as the document shape: what a
/// client reads as GeoJSON it can write back. Errors name `/properties/…` members.
fn document_of_feature(feature: &Map<String, Value>) -> Result<Value, Vec<FieldError>> {
    let mut document = Map::new();
    let mut address = Map::new();
    let mut contact = Map::new();
    let mut errors = Vec::new();
    for (key, value) in feature {
        match key.as_str() {
            "type" | "id" | "bbox" | "links" => {}
            "geometry" => {
                document.insert(key.clone(), value.clone());
            }
            "properties" => match value {
                Value::Null => {}
                Value::Object(properties) => {
                    for (name, value) in properties {
                        let name = name.as_str();
                        let group = Field::named(name).map(|f| f.group);
                        let target = if group == Some(Group::Address) {
                            &mut address
                        } else if group == Some(Group::Contact) || name == "links" {
                            &mut contact
                        } else if FEATURE_READ_ONLY.contains(&name) {
                            continue;
                        } else {
                            &mut document
                        };
                        target.insert(name.to_string(), value.clone());
                    }
                }
                _ => errors.push(type_error("/properties", "a JSON object", "un objet JSON")),
            },
            other => errors.push(FieldError::new(
                format!("/{other}"),
                "unknown_member",
                text!("'{}' is not a member of a GeoJSON Feature here: write the initiative's fields in 'properties'", other;
                      "« {} » n'est pas un membre d'une Feature GeoJSON ici : écrivez les champs de l'initiative dans « properties »", other),
            )),
        }
    }
    if !address.is_empty() {
        document.insert("address".into(), Value::Object(address));
    }
    if !contact.is_empty() {
        document.insert("contact".into(), Value::Object(contact));
    }
    if errors.is_empty() {
        Ok(Value::Object(document))
    } else {
        Err(errors)
    }
}

/// Field paths of the document shape as the Feature's (`/address/city` → `/properties/city`).
fn feature_paths(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    for error in &mut errors {
        if error.field.starts_with("/geometry")
            || error.field.starts_with("/lat")
            || error.field.starts_with("/lon")
        {
            continue;
        }
        let flat = error
            .field
            .strip_prefix("/address")
            .or_else(|| error.field.strip_prefix("/contact"))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(&error.field)
            .to_string();
        error.field = format!("/properties{flat}");
    }
    errors
}

/// The body of an initiative write (a GeoJSON Feature or a flat object; a JSON Merge Patch for
/// PATCH), read as JSON by the extractor and parsed by [`parse`] once the handler has checked who
/// sends it (a refused caller hears 401 or 403, not what is wrong with the body).
/// The second member: the body was sent as `application/geo+json`, so it must be a Feature.
pub struct InitiativeBody(pub Value, bool);

impl FromBody for InitiativeBody {
    fn from_json(body: Value) -> Result<Self, ApiError> {
        Ok(InitiativeBody(body, false))
    }

    fn from_request_json(req: &actix_web::HttpRequest, body: Value) -> Result<Self, ApiError> {
        use actix_web::HttpMessage;
        let geojson = req
            .content_type()
            .eq_ignore_ascii_case(crate::routes::initiatives::GEOJSON);
        Ok(InitiativeBody(body, geojson))
    }
}

impl InitiativeBody {
    /// The changes the body asks for (422 with every field error).
    pub fn changes(&self) -> Result<Changes, ApiError> {
        if self.1 && !is_feature(&self.0) {
            return Err(ApiError::Unprocessable(vec![FieldError::new(
                "/type",
                "not_a_feature",
                text!("a body sent as application/geo+json is a GeoJSON Feature (\"type\": \"Feature\"); send the flat object as application/json";
                      "un corps envoyé en application/geo+json est une Feature GeoJSON (\"type\": \"Feature\") ; envoyez l'objet simple en application/json"),
            )]));
        }
        parse(&self.0).map_err(ApiError::Unprocessable)
    }
}

fn is_feature(body: &Value) -> bool {
    body.get("type").and_then(Value::as_str) == Some("Feature")
}

/// Parses a POST, PUT or PATCH body: the JSON representation's shape, or a GeoJSON Feature with
/// flat properties (`"type": "Feature"`).
pub fn parse(body: &Value) -> Result<Changes, Vec<FieldError>> {
    match body.as_object() {
        Some(feature) if is_feature(body) => {
            let document = document_of_feature(feature)?;
            parse_document(&document).map_err(feature_paths)
        }
        _ => parse_document(body),
    }
}

fn parse_document(body: &Value) -> Result<Changes, Vec<FieldError>> {
    let Some(object) = body.as_object() else {
        return Err(vec![type_error("/", "a JSON object", "un objet JSON")]);
    };
    let mut r = Reader::new(object, "", &known(TOP_LEVEL, Group::Top), READ_ONLY);
    let mut changes = Changes {
        name: r.required("name", |p, v| Name::parse(p, as_str(p, v)?)),
        description: r
            .optional("description", |p, v| {
                parse_long_text(p, as_str(p, v)?, 10_000).map(Some)
            })
            .map(Option::unwrap_or_default),
        tags: r
            .optional("tags", |p, v| {
                parse_list(p, v, MAX_TAGS, parse_tag).map(dedup).map(Some)
            })
            .map(Option::unwrap_or_default),
        categories: r
            .optional("categories", |p, v| {
                parse_list(p, v, MAX_CATEGORIES, parse_category_slug)
                    .map(dedup)
                    .map(Some)
            })
            .map(Option::unwrap_or_default),
        status: r.required("status", |p, v| Status::parse(p, as_str(p, v)?)),
        moderation: r.required("moderation", |p, v| {
            Moderation::parse_settable(p, as_str(p, v)?)
        }),
        licence: r.short_text("licence", 100),
        attribution: r.short_text("attribution", 500),
        last_confirmed_at: r.optional("last_confirmed_at", parse_timestamp),
        reason: r.short_text("reason", 500).flatten(),
        ..Changes::default()
    };
    changes.location = read_location(&mut r);
    changes.attributes = r.attributes(Group::Top);
    let mut errors = std::mem::take(&mut r.errors);

    match r.get("address") {
        None => {}
        Some(None) => changes.clear(Group::Address),
        Some(Some(Value::Object(address))) => {
            let mut a = Reader::new(address, "/address", &known(&[], Group::Address), &[]);
            changes.attributes.extend(a.attributes(Group::Address));
            errors.append(&mut a.errors);
        }
        Some(Some(_)) => errors.push(type_error("/address", "an object", "un objet")),
    }

    match r.get("contact") {
        None => {}
        Some(None) => {
            changes.clear(Group::Contact);
            changes.links = Some(Vec::new());
        }
        Some(Some(Value::Object(contact))) => {
            let mut c = Reader::new(contact, "/contact", &known(&["links"], Group::Contact), &[]);
            changes.attributes.extend(c.attributes(Group::Contact));
            changes.links = c
                .optional("links", |p, v| {
                    parse_list(p, v, MAX_LINKS, WebUrl::parse)
                        .map(dedup)
                        .map(Some)
                })
                .map(Option::unwrap_or_default);
            errors.append(&mut c.errors);
        }
        Some(Some(_)) => errors.push(type_error("/contact", "an object", "un objet")),
    }

    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// Characters the server trims (Unicode White_Space), for the patterns below.
const BLANK: &str =
    r"[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Text that holds something once trimmed and stripped of control characters.
fn visible_text(max: usize) -> Value {
    json!({
        "type": "string", "minLength": 1, "maxLength": max,
        "pattern": r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    })
}

fn nullable(mut schema: Value) -> Value {
    schema["type"] = json!([schema["type"].clone(), "null"]);
    schema
}

/// A member a client may send back as it read it, which the server ignores: any JSON value.
fn read_only_member() -> Value {
    json!({
        "type": ["string", "number", "integer", "boolean", "array", "object", "null"],
        "description": "Read-only: accepted and ignored",
    })
}

/// What a body may be: the JSON document, or a GeoJSON Feature with flat properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Json,
    Feature,
}

/// The JSON Schema of a write's body, from the same constants and attributes the parser reads:
/// `create` requires a name and a location; `left_out` members are refused (suggestions);
/// `extra` members are added (the suggestion form's own). The keywords utoipa has no field for
/// are under `x-json-schema` (see `openapi::document`).
pub fn body_schema(shape: Shape, create: bool, left_out: &[&str], extra: Value) -> Value {
    let timestamp = json!({"type": ["string", "null"], "format": "date-time",
        "description": "RFC 3339; not in the future"});
    let tags = json!({"type": ["array", "null"], "maxItems": MAX_TAGS, "items": visible_text(50)});
    let slug = format!("^{BLANK}*[a-z0-9-]{{1,60}}{BLANK}*$");
    let categories = json!({"type": ["array", "null"], "maxItems": MAX_CATEGORIES,
        "items": {"type": "string", "pattern": slug},
        "description": "Existing category slugs, main category first"});
    let url = FIELDS.iter().find(|f| f.kind == Kind::Url).map_or(
        json!({"type": "string"}),
        |f| json!({"type": "string", "pattern": f.input_schema()["pattern"]}),
    );
    let links = json!({"type": ["array", "null"], "maxItems": MAX_LINKS, "items": url});
    let mut members = serde_json::Map::new();
    members.insert("name".into(), visible_text(200));
    members.insert(
        "description".into(),
        json!({"type": ["string", "null"], "maxLength": 10_000}),
    );
    members.insert("tags".into(), tags);
    members.insert("categories".into(), categories);
    members.insert("status".into(), json!({"type": "string", "enum": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}));
    let settable: Vec<&str> = Moderation::ALL
        .iter()
        .filter(|m| **m != Moderation::Merged)
        .map(|m| m.as_str())
        .collect();
    members.insert(
        "moderation".into(),
        json!({"type": "string", "enum": settable}),
    );
    members.insert(
        "licence".into(),
        nullable(json!({"type": "string", "maxLength": 100})),
    );
    members.insert(
        "attribution".into(),
        nullable(json!({"type": "string", "maxLength": 500})),
    );
    members.insert("last_confirmed_at".into(), timestamp);
    members.insert(
        "reason".into(),
        nullable(json!({"type": "string", "maxLength": 500})),
    );
    let attributes = |groups: &[Group]| -> serde_json::Map<String, Value> {
        FIELDS
            .iter()
            .filter(|f| groups.contains(&f.group))
            .map(|f| (f.name.to_string(), f.input_schema()))
            .collect()
    };
    let read_only = |names: &[&str]| -> serde_json::Map<String, Value> {
        names
            .iter()
            .map(|n| (n.to_string(), read_only_member()))
            .collect()
    };
    let geometry = json!({"$ref": "#/components/schemas/GeometryDoc"});
    let mut body = match shape {
        Shape::Json => {
            members.extend(attributes(&[Group::Top]));
            let mut contact = attributes(&[Group::Contact]);
            contact.insert("links".into(), links);
            members.insert(
                "address".into(),
                json!({"type": ["object", "null"],
                "properties": attributes(&[Group::Address]), "additionalProperties": false}),
            );
            members.insert(
                "contact".into(),
                json!({"type": ["object", "null"],
                "properties": contact, "additionalProperties": false}),
            );
            members.insert("geometry".into(), geometry);
            members.insert(
                "lat".into(),
                json!({"type": "number", "minimum": -90, "maximum": 90}),
            );
            members.insert(
                "lon".into(),
                json!({"type": "number", "minimum": -180, "maximum": 180}),
            );
            members.extend(read_only(READ_ONLY));
            let mut body = json!({"type": "object", "additionalProperties": false,
            "x-json-schema": {
                "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
                "not": {"anyOf": [
                    {"required": ["geometry", "lat"]},
                    {"required": ["geometry", "lon"]},
                    {"required": ["lat", "lon"], "properties": {"lat": {"const": 0}, "lon": {"const": 0}}},
                ]},
            }});
            if create {
                body["required"] = json!(["name"]);
                body["x-json-schema"]["anyOf"] =
                    json!([{"required": ["geometry"]}, {"required": ["lat", "lon"]}]);
            }
            body
        }
        Shape::Feature => {
            members.extend(attributes(&[Group::Address, Group::Contact, Group::Top]));
            members.insert("links".into(), links);
            members.extend(read_only(FEATURE_READ_ONLY));
            let mut body = json!({"type": "object", "additionalProperties": false,
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "geometry": geometry,
                "id": read_only_member(),
                "bbox": read_only_member(),
                "links": read_only_member(),
            }});
            if create {
                body["required"] = json!(["type", "geometry", "properties"]);
            }
            body
        }
    };
    for member in left_out {
        members.remove(*member);
    }
    if let Value::Object(extra) = extra {
        members.extend(extra);
    }
    let mut properties =
        json!({"type": "object", "properties": members, "additionalProperties": false});
    match shape {
        Shape::Json => {
            body["properties"] = properties["properties"].take();
        }
        Shape::Feature => {
            if create {
                properties["required"] = json!(["name"]);
            } else {
                properties["type"] = json!(["object", "null"]);
            }
            body["properties"]["properties"] = properties;
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(result: Result<Changes, Vec<FieldError>>) -> Vec<(String, &'static str)> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn every_body_schema_is_one_utoipa_reads() {
        use utoipa::openapi::{RefOr, schema::Schema};
        for shape in [Shape::Json, Shape::Feature] {
            for create in [false, true] {
                let body = body_schema(shape, create, &[], Value::Null);
                let mut parts = Vec::new();
                if let Some(inner) = body["properties"]["properties"]["properties"].as_object() {
                    parts.extend(
                        inner
                            .iter()
                            .map(|(k, v)| (format!("properties/{k}"), v.clone())),
                    );
                }
                for (k, v) in body["properties"].as_object().unwrap() {
                    parts.push((k.clone(), v.clone()));
                }
                parts.push(("body".to_string(), body.clone()));
                for (name, part) in parts {
                    if let Err(e) = serde_json::from_value::<RefOr<Schema>>(part.clone()) {
                        panic!("{shape:?} {create} {name}: {e}: {part}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_minimal_initiative_parses() {
        let draft = parse(&json!({"name": "Repair Café Capitole", "lat": 43.6045, "lon": 1.4440}))
            .unwrap()
            .into_draft()
            .unwrap();
        assert_eq!(draft.name.as_str(), "Repair Café Capitole");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = codes(parse(
            &json!({"name": "", "lat": 43.6, "lon": 1.4, "contact": {"email": "nope", "website": "ftp://x"}, "colour": "red"}),
        ));
        assert!(errors.contains(&("/name".into(), "required")));
        assert!(errors.contains(&("/contact/email".into(), "invalid_email")));
        assert!(errors.contains(&("/contact/website".into(), "invalid_url")));
        assert!(errors.contains(&("/colour".into(), "unknown_field")));
    }

    #[test]
    fn null_clears_an_optional_field_but_not_the_name() {
        let changes = parse(&json!({"opening_hours": null})).unwrap();
        assert!(matches!(changes.attributes[..], [(f, None)] if f.name == "opening_hours"));
        assert_eq!(
            codes(parse(&json!({"name": null}))),
            vec![("/name".into(), "required")]
        );
    }

    #[test]
    fn lat_without_lon_is_refused() {
        assert_eq!(
            codes(parse(&json!({"name": "x", "lat": 43.6}))),
            vec![("/lat".into(), "required")]
        );
    }
}
