//! Every malformed request gets its 4xx, a problem+json body a person can act on, and leaves the
//! database exactly as it was.

use archipel_tests::TestApp;
use serde_json::{Value, json};

/// Who sends the request.
#[derive(Clone, Copy)]
enum As {
    Public,
    Editor,
    Garbage,
    Basic,
}

struct Case {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    who: As,
    content_type: Option<&'static str>,
    body: Option<String>,
    if_match: Option<&'static str>,
    status: u16,
    code: &'static str,
}

fn case(
    what: &'static str,
    method: &'static str,
    path: &'static str,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        what,
        method,
        path,
        who: As::Public,
        content_type: None,
        body: None,
        if_match: None,
        status,
        code,
    }
}

fn post(what: &'static str, body: Value, status: u16, code: &'static str) -> Case {
    Case {
        who: As::Editor,
        content_type: Some("application/json"),
        body: Some(body.to_string()),
        ..case(what, "POST", "/api/v1/initiatives", status, code)
    }
}

fn valid() -> Value {
    json!({"name": "Repair café", "lat": 43.6, "lon": 1.44})
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn cases() -> Vec<Case> {
    let l = "/api/v1/initiatives";
    vec![
        // Query strings of the listings: 400.
        case(
            "bbox with three numbers",
            "GET",
            "/api/v1/initiatives?bbox=1,2,3",
            400,
            "invalid_bbox",
        ),
        case(
            "bbox with words",
            "GET",
            "/api/v1/initiatives?bbox=a,b,c,d",
            400,
            "invalid_bbox",
        ),
        case(
            "bbox upside down",
            "GET",
            "/api/v1/initiatives?bbox=0,50,10,40",
            400,
            "invalid_bbox",
        ),
        case(
            "bbox longitude out of range",
            "GET",
            "/api/v1/initiatives.geojson?bbox=-200,0,10,10",
            400,
            "invalid_bbox",
        ),
        case(
            "bbox with NaN",
            "GET",
            "/api/v1/initiatives.geojson?bbox=NaN,0,1,1",
            400,
            "invalid_bbox",
        ),
        case(
            "limit zero",
            "GET",
            "/api/v1/initiatives?limit=0",
            400,
            "invalid_limit",
        ),
        case(
            "negative limit",
            "GET",
            "/api/v1/initiatives?limit=-5",
            400,
            "invalid_limit",
        ),
        case(
            "limit in words",
            "GET",
            "/api/v1/initiatives?limit=ten",
            400,
            "invalid_limit",
        ),
        case(
            "near with one number",
            "GET",
            "/api/v1/initiatives?near=43.6",
            400,
            "invalid_near",
        ),
        case(
            "near latitude out of range",
            "GET",
            "/api/v1/initiatives?near=95,1",
            400,
            "invalid_near",
        ),
        case(
            "radius without near",
            "GET",
            "/api/v1/initiatives?radius=500",
            400,
            "radius_without_near",
        ),
        case(
            "negative radius",
            "GET",
            "/api/v1/initiatives?near=43.6,1.4&radius=-1",
            400,
            "invalid_radius",
        ),
        case(
            "radius beyond 1000 km",
            "GET",
            "/api/v1/initiatives?near=43.6,1.4&radius=5000000",
            400,
            "invalid_radius",
        ),
        case(
            "unknown status",
            "GET",
            "/api/v1/initiatives?status=open",
            400,
            "invalid_status",
        ),
        case(
            "unknown moderation state",
            "GET",
            "/api/v1/initiatives?moderation=hidden",
            400,
            "invalid_moderation",
        ),
        case(
            "pending without a token",
            "GET",
            "/api/v1/initiatives?moderation=pending",
            401,
            "unauthorized",
        ),
        case(
            "date that is not RFC 3339",
            "GET",
            "/api/v1/initiatives?updated_since=yesterday",
            400,
            "invalid_updated_since",
        ),
        case(
            "impossible date",
            "GET",
            "/api/v1/initiatives?updated_since=2026-13-45T00:00:00Z",
            400,
            "invalid_updated_since",
        ),
        case(
            "forged cursor",
            "GET",
            "/api/v1/initiatives?cursor=garbage",
            400,
            "invalid_cursor",
        ),
        case(
            "unknown category",
            "GET",
            "/api/v1/initiatives?category=no-such-practice",
            400,
            "unknown_category",
        ),
        case(
            "category that is not a slug",
            "GET",
            "/api/v1/initiatives?category=Repair%20Caf%C3%A9",
            400,
            "unknown_category",
        ),
        case(
            "unknown parameter",
            "GET",
            "/api/v1/initiatives?bbbox=1,2,3,4",
            400,
            "unknown_parameter",
        ),
        case(
            "repeated parameter",
            "GET",
            "/api/v1/initiatives?limit=1&limit=2",
            400,
            "repeated_parameter",
        ),
        case(
            "q without any word",
            "GET",
            "/api/v1/initiatives?q=%21%21%21",
            400,
            "invalid_q",
        ),
        case(
            "q of eleven words",
            "GET",
            "/api/v1/initiatives?q=a+b+c+d+e+f+g+h+i+j+k",
            400,
            "invalid_q",
        ),
        // Addresses.
        case(
            "unknown initiative",
            "GET",
            "/api/v1/initiatives/no-such-slug",
            404,
            "not_found",
        ),
        case(
            "unknown route",
            "GET",
            "/api/v1/nothing-here",
            404,
            "not_found",
        ),
        Case {
            who: As::Editor,
            ..case(
                "revisions of an unknown initiative",
                "GET",
                "/api/v1/initiatives/no-such-slug/revisions",
                404,
                "not_found",
            )
        },
        case(
            "revisions without a token (the history is for editors)",
            "GET",
            "/api/v1/initiatives/no-such-slug/revisions",
            401,
            "unauthorized",
        ),
        case("unsupported method", "PUT", l, 405, "method_not_allowed"),
        case(
            "TRACE on a probe",
            "TRACE",
            "/healthz",
            405,
            "method_not_allowed",
        ),
        case(
            "DELETE on a page of the map",
            "DELETE",
            "/",
            405,
            "method_not_allowed",
        ),
        // Tokens.
        Case {
            content_type: Some("application/json"),
            body: Some(valid().to_string()),
            ..case("write without a token", "POST", l, 401, "unauthorized")
        },
        Case {
            who: As::Garbage,
            content_type: Some("application/json"),
            body: Some(valid().to_string()),
            ..case(
                "write with an unknown token",
                "POST",
                l,
                401,
                "unauthorized",
            )
        },
        Case {
            who: As::Basic,
            content_type: Some("application/json"),
            body: Some(valid().to_string()),
            ..case("write with Basic auth", "POST", l, 401, "unauthorized")
        },
        Case {
            who: As::Editor,
            ..case(
                "editor listing tokens",
                "GET",
                "/api/v1/tokens",
                403,
                "forbidden",
            )
        },
        case(
            "archive without a token",
            "DELETE",
            "/api/v1/initiatives/existing",
            401,
            "unauthorized",
        ),
        // Bodies: 400, 413, 415.
        Case {
            body: Some("{\"name\": ".into()),
            ..post("truncated JSON", json!(null), 400, "invalid_json")
        },
        Case {
            body: Some("".into()),
            ..post("empty body", json!(null), 400, "invalid_json")
        },
        Case {
            content_type: Some("text/plain"),
            ..post("not JSON", valid(), 415, "unsupported_media_type")
        },
        Case {
            content_type: None,
            ..post("no content type", valid(), 415, "unsupported_media_type")
        },
        Case {
            body: Some(
                json!({"name": "x", "lat": 43.6, "lon": 1.4, "description": "x".repeat(1_100_000)})
                    .to_string(),
            ),
            ..post("body over 1 MiB", json!(null), 413, "payload_too_large")
        },
        // Invalid fields: 422.
        post(
            "an array instead of an object",
            json!([]),
            422,
            "validation_failed",
        ),
        post(
            "no name",
            json!({"lat": 43.6, "lon": 1.44}),
            422,
            "validation_failed",
        ),
        post(
            "name of 201 characters",
            with(valid(), "name", json!("x".repeat(201))),
            422,
            "validation_failed",
        ),
        post(
            "name is a number",
            with(valid(), "name", json!(42)),
            422,
            "validation_failed",
        ),
        post(
            "no location",
            json!({"name": "Repair café"}),
            422,
            "validation_failed",
        ),
        post(
            "latitude 91",
            with(valid(), "lat", json!(91)),
            422,
            "validation_failed",
        ),
        post(
            "null island",
            json!({"name": "x", "lat": 0, "lon": 0}),
            422,
            "validation_failed",
        ),
        post(
            "an area without coordinates (was a 500, found by schemathesis)",
            json!({"name": "x", "geometry": {"type": "MultiPolygon", "coordinates": []}}),
            422,
            "validation_failed",
        ),
        post(
            "latitude as text",
            with(valid(), "lat", json!("43.6")),
            422,
            "validation_failed",
        ),
        post(
            "both geometry and lat/lon",
            with(
                valid(),
                "geometry",
                json!({"type": "Point", "coordinates": [1.44, 43.6]}),
            ),
            422,
            "validation_failed",
        ),
        post(
            "unclosed polygon",
            json!({"name": "x", "geometry": {"type": "Polygon", "coordinates": [[[1.0, 43.0], [1.1, 43.0], [1.1, 43.1], [1.0, 43.1]]]}}),
            422,
            "validation_failed",
        ),
        post(
            "self-intersecting polygon",
            json!({"name": "x", "geometry": {"type": "Polygon", "coordinates": [[[1.0, 43.0], [1.1, 43.1], [1.1, 43.0], [1.0, 43.1], [1.0, 43.0]]]}}),
            422,
            "validation_failed",
        ),
        post(
            "a line",
            json!({"name": "x", "geometry": {"type": "LineString", "coordinates": [[1.0, 43.0], [1.1, 43.1]]}}),
            422,
            "validation_failed",
        ),
        post(
            "geometry that is not GeoJSON",
            json!({"name": "x", "geometry": {"kind": "dot"}}),
            422,
            "validation_failed",
        ),
        post(
            "website that is not a URL",
            with(valid(), "contact", json!({"website": "not a url"})),
            422,
            "validation_failed",
        ),
        post(
            "e-mail without a domain",
            with(valid(), "contact", json!({"email": "someone@localhost"})),
            422,
            "validation_failed",
        ),
        post(
            "phone in words",
            with(valid(), "contact", json!({"phone": "call me"})),
            422,
            "validation_failed",
        ),
        post(
            "opening hours in prose",
            with(valid(), "opening_hours", json!("whenever we can")),
            422,
            "validation_failed",
        ),
        post(
            "unknown category",
            with(valid(), "categories", json!(["no-such-practice"])),
            422,
            "validation_failed",
        ),
        post(
            "unknown field",
            with(valid(), "colour", json!("red")),
            422,
            "validation_failed",
        ),
        post(
            "unknown status",
            with(valid(), "status", json!("open")),
            422,
            "validation_failed",
        ),
        post(
            "INSEE code with letters",
            with(valid(), "address", json!({"insee_code": "ABCDE"})),
            422,
            "validation_failed",
        ),
        post(
            "country code of three letters",
            with(valid(), "address", json!({"country_code": "FRA"})),
            422,
            "validation_failed",
        ),
        post(
            "confirmation date in the future",
            with(valid(), "last_confirmed_at", json!("2999-01-01T00:00:00Z")),
            422,
            "validation_failed",
        ),
        post(
            "31 tags",
            with(
                valid(),
                "tags",
                json!((0..31).map(|i| format!("t{i}")).collect::<Vec<_>>()),
            ),
            422,
            "validation_failed",
        ),
        // Corrections.
        Case {
            if_match: Some("\"99.json\""),
            ..Case {
                method: "PATCH",
                path: "/api/v1/initiatives/existing",
                ..post(
                    "stale If-Match",
                    json!({"name": "Renamed"}),
                    412,
                    "stale_version",
                )
            }
        },
        Case {
            method: "PATCH",
            path: "/api/v1/initiatives/no-such-slug",
            ..post(
                "correcting an unknown initiative",
                json!({"name": "x"}),
                404,
                "not_found",
            )
        },
        Case {
            method: "PATCH",
            path: "/api/v1/initiatives/existing",
            ..post(
                "clearing the name",
                json!({"name": null}),
                422,
                "validation_failed",
            )
        },
        Case {
            method: "PATCH",
            path: "/api/v1/initiatives/existing",
            ..post(
                "moving it to 0,0",
                json!({"lat": 0, "lon": 0}),
                422,
                "validation_failed",
            )
        },
        // Declared GeoJSON, not a Feature (the flat object belongs to application/json).
        Case {
            method: "PATCH",
            path: "/api/v1/initiatives/existing",
            content_type: Some("application/geo+json"),
            ..post(
                "an empty object sent as GeoJSON",
                json!({}),
                422,
                "validation_failed",
            )
        },
        Case {
            content_type: Some("application/geo+json; charset=utf-8"),
            ..post(
                "a flat initiative sent as GeoJSON",
                valid(),
                422,
                "validation_failed",
            )
        },
        Case {
            method: "POST",
            path: "/api/v1/tokens",
            who: As::Editor,
            ..post(
                "editor creating a token",
                json!({"name": "x", "role": "admin"}),
                403,
                "forbidden",
            )
        },
    ]
}

#[actix_web::test]
async fn every_malformed_request_gets_its_4xx_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create(json!({"name": "Existing", "lat": 43.6, "lon": 1.44}))
        .await;
    let cases = cases();
    assert!(cases.len() >= 30);
    let before = app.db.fingerprint();
    let mut failures = Vec::new();
    for c in &cases {
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
        let mut request = app.client.request(method, app.url(c.path));
        request = match c.who {
            As::Public => request,
            As::Editor => request.bearer_auth(&app.editor_token),
            As::Garbage => request.bearer_auth("arch_not-a-real-token"),
            As::Basic => request.basic_auth("alice", Some("secret")),
        };
        if let Some(ct) = c.content_type {
            request = request.header("Content-Type", ct);
        }
        if let Some(tag) = c.if_match {
            request = request.header("If-Match", tag);
        }
        if let Some(body) = &c.body {
            request = request.body(body.clone());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let detail_ok = body["detail"].as_str().is_some_and(|d| d.len() > 10);
        let ok = status == c.status
            && content_type.as_deref() == Some("application/problem+json")
            && body["status"] == c.status
            && body["code"] == c.code
            && detail_ok
            && (c.status != 422 || body["errors"].as_array().is_some_and(|e| !e.is_empty()));
        if !ok {
            failures.push(format!("{}: got {status} {content_type:?} {body}", c.what));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        app.db.fingerprint(),
        before,
        "a refused request changed the database"
    );
}

#[actix_web::test]
async fn a_422_names_each_field_to_correct() {
    let app = TestApp::spawn().await;
    let response = app.send_as(reqwest::Method::POST, "/api/v1/initiatives", &app.editor_token, &json!({"name": "", "lat": 43.6, "lon": 1.44, "contact": {"email": "nope", "website": "ftp://example.org"}, "categories": ["repair-cafe", "nope"]})).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["/name", "/contact/website", "/contact/email"]);
}
