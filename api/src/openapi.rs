//! The OpenAPI document, generated from the handlers' annotations, the store's serialised types
//! and the wire forms of `schemas.rs`. This module gathers the routes; the routes refer to
//! `schemas` and never to this module, so the two do not import each other.

use crate::routes;
use crate::schemas::*;
use archipel_store::fields::FIELDS;
use archipel_store::openapi::from_json;
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Archipel",
        description = "Directory and map of a territory's collaborative initiatives (repair cafés, shared gardens, fablabs, tiers-lieux, AMAPs…). Reads are public; writes need a bearer token, or the session cookie of a person logged in with its CSRF token in X-CSRF-Token and a same-origin Origin. Errors are RFC 9457 problem+json, in French or English (Accept-Language).",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        routes::initiatives::list_json,
        routes::initiatives::list_geojson,
        routes::initiatives::get_one,
        routes::initiatives::create,
        routes::initiatives::update,
        routes::initiatives::archive,
        routes::initiatives::merge,
        routes::initiatives::revisions,
        routes::initiatives::restore,
        routes::initiatives::to_check,
        routes::users::list,
        routes::users::invite,
        routes::users::change,
        routes::users::new_link,
        routes::links::add,
        routes::links::list,
        routes::links::remove,
        routes::links::export_csv,
        routes::export::geojson,
        routes::export::geojsonseq,
        routes::export::csv,
        routes::export::csv_schema,
        routes::changes::feed,
        routes::suggest::suggest,
        routes::catalog::catalog,
        routes::categories::list,
        routes::tiles::tile,
        routes::territories::list,
        routes::territories::get_one,
        routes::evaluation::territory_csv,
        routes::evaluation::criteria,
        routes::evaluation::add_criterion,
        routes::evaluation::revise_criterion,
        routes::evaluation::assess,
        routes::evaluation::assessments,
        routes::frontend::config,
        routes::suggestions::suggest,
        routes::suggestions::list_suggestions,
        routes::suggestions::report_correction,
        routes::suggestions::list_reports,
        routes::suggestions::close_report,
        routes::imports::list_sources,
        routes::imports::start_run,
        routes::imports::list_runs,
        routes::imports::get_run,
        routes::imports::list_conflicts,
        routes::imports::resolve_conflict,
        routes::imports::list_duplicates,
        routes::imports::judge_duplicate,
        routes::tokens::list,
        routes::tokens::create,
        routes::tokens::revoke,
        routes::session::login,
        routes::session::current,
        routes::session::logout,
        routes::session::set_password,
        routes::health::healthz,
        routes::health::readyz,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField, FeatureDoc)),
    modifiers(&BearerAuth, &SessionAlternative, &SharedParameters, &AttributeFilters, &StandardProblems),
    tags(
        (name = "initiatives", description = "The directory's entries"),
        (name = "categories", description = "The taxonomy of collaborative practices"),
        (name = "map", description = "Vector tiles for the map"),
        (name = "territories", description = "Communes, EPCI, départements and régions: what each has and lacks"),
        (name = "evaluation", description = "The evaluation grid and the assessments of initiatives"),
        (name = "contributions", description = "Suggestions and corrections from visitors, reviewed by editors"),
        (name = "imports", description = "Open-data sources, import runs, conflicts and duplicates"),
        (name = "tokens", description = "Administrators manage who may write"),
        (name = "users", description = "Administrators manage the people who have accounts"),
        (name = "session", description = "People log in: a session cookie, and a CSRF token for every change"),
        (name = "operations", description = "Probes for orchestrators"),
        (name = "open data", description = "The DCAT catalogue for harvesters"),
    )
)]
pub struct ApiDoc;

/// Carries JSON Schema keywords utoipa's types have no field for (`not`, `dependentRequired`)
/// through them: [`document`] puts its members in the schema that holds it.
const JSON_SCHEMA_EXTRA: &str = "x-json-schema";

/// The OpenAPI document as served at /api/openapi.json and committed as docs/openapi.json.
pub fn document() -> Value {
    fn lift(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(extra)) = map.remove(JSON_SCHEMA_EXTRA) {
                    map.extend(extra);
                }
                map.values_mut().for_each(lift);
            }
            Value::Array(items) => items.iter_mut().for_each(lift),
            _ => {}
        }
    }
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    lift(&mut document);
    document
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // People: the session cookie, with the CSRF token in X-CSRF-Token for every change.
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Listings and exports filter on the attributes declared filterable (`wheelchair=yes,limited`):
/// one query parameter each, added to every operation that has the listing's `bbox` and
/// `updated_since`.
struct AttributeFilters;

impl Modify for AttributeFilters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Parameter, ParameterIn};
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(parameters) = operation.parameters.as_mut() else {
                    continue;
                };
                let has = |name: &str| {
                    parameters
                        .iter()
                        .any(|p| matches!(p, RefOr::T(p) if p.name == name))
                };
                if !has("bbox") || !has("updated_since") {
                    continue;
                }
                for field in FIELDS.iter().filter(|f| f.filter) {
                    let mut parameter = Parameter::new(field.name);
                    parameter.parameter_in = ParameterIn::Query;
                    parameter.required = utoipa::openapi::Required::False;
                    parameter.description = Some(format!(
                        "{}. Comma-separated values: only initiatives with one of them",
                        field.about
                    ));
                    let values = match field.kind {
                        archipel_store::fields::Kind::Choice(values, _) => values.join("|"),
                        _ => "[^,]+".into(),
                    };
                    // Items are trimmed (Unicode White_Space) and empty ones ignored.
                    let blank = r"[\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*";
                    let item = format!("{blank}({values})?{blank}");
                    parameter.schema = Some(from_json(json!({
                        "type": "string",
                        "pattern": format!("^{item}(,{item})*$"),
                    })));
                    parameters.push(RefOr::T(parameter));
                }
            }
        }
    }
}

/// Every operation that takes a bearer token also takes the session cookie of a person (with
/// `X-CSRF-Token` and a same-origin `Origin` for changes): the extractors accept either.
struct SessionAlternative;

impl Modify for SessionAlternative {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::SecurityRequirement;
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/api/v1/session") {
                continue;
            }
            for operation in operations(item) {
                if let Some(security) = operation.security.as_mut().filter(|s| !s.is_empty()) {
                    security.push(SecurityRequirement::new("session", Vec::<String>::new()));
                }
            }
        }
    }
}

/// The operations of a path.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Adds to every operation the problem responses the server gives for it whatever its handler
/// does, so that the document lists every status a client can meet: 400 for a malformed
/// parameter or body, 401 and 403 where a token is needed, 404 where the path names something, 413, 415
/// and 422 where there is a body, 503 (with `Retry-After`) everywhere the database is asked.
/// What an operation documents itself is kept.
struct StandardProblems;

impl Modify for StandardProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        crate::error::PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in operations(item) {
                let has_query = operation.parameters.as_ref().is_some_and(|p| {
                    p.iter().any(|p| {
                        matches!(p, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                    })
                });
                let has_body = operation.request_body.is_some();
                let secured = operation.security.is_some();
                let mut wanted = Vec::new();
                if has_query || has_body {
                    wanted.push(("400", "A malformed parameter or body"));
                }
                if secured {
                    wanted.push((
                        "401",
                        "Not logged in and no token, or an unknown or revoked token",
                    ));
                    wanted.push((
                        "403",
                        "A role that may not do this, a territory outside the account's, or a change made with a session without its CSRF token",
                    ));
                }
                if path.contains('{') {
                    wanted.push(("404", "Nothing has this identifier"));
                }
                if has_body {
                    wanted.push(("413", "The body is larger than 1 MiB"));
                    wanted.push((
                        "415",
                        "The body is not JSON (send Content-Type: application/json)",
                    ));
                    wanted.push(("422", "Invalid fields, each listed in `errors`"));
                }
                if !path.starts_with("/healthz") {
                    wanted.push((
                        "503",
                        "The database is unavailable, restarting or busy; try again after Retry-After seconds",
                    ));
                }
                let responses = &mut operation.responses.responses;
                for (status, description) in wanted {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}

/// Gives the parameters that several operations share one shape wherever they appear: a
/// territory (`territory` in a query, `code` in a path) and a `bbox`.
struct SharedParameters;

impl Modify for SharedParameters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    let RefOr::T(parameter) = parameter else {
                        continue;
                    };
                    let pattern = match (parameter.name.as_str(), &parameter.parameter_in) {
                        ("territory", ParameterIn::Query) | ("code", ParameterIn::Path) => {
                            TERRITORY_PATTERN
                        }
                        ("bbox", ParameterIn::Query) => BBOX_PATTERN,
                        _ => continue,
                    };
                    parameter.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(pattern))
                            .into(),
                    );
                }
            }
        }
    }
}
