//! What the workspace at /workspace needs from the API: restoring an old version, the people
//! with accounts (administrators only), the initiatives to check, and import conflicts resolved
//! by taking the feed's values.

use archipel_store::token::{self, Role};
use archipel_tests::TestApp;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut app.db.connect())
        .unwrap();
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn an_editor_restores_an_old_version_as_a_new_revision() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({"name": "Repair Café Bellecour", "lat": 45.757, "lon": 4.832,
                       "opening_hours": "Sa 14:00-18:00", "contact": {"website": "https://repair.example.org"}}))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let patched = app
        .patch(
            &format!("/api/v1/initiatives/{id}"),
            &json!({"name": "Repair Café Ainay", "opening_hours": null, "lat": 45.75, "lon": 4.83}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    let first = history["revisions"][0]["id"].as_i64().unwrap();

    let (status, restored) = send(
        &app,
        Method::POST,
        &format!("/api/v1/initiatives/{id}/revisions/{first}/restore?reason=the%20move%20was%20a%20mistake"),
        &app.editor_token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["name"], "Repair Café Bellecour");
    assert_eq!(restored["opening_hours"], "Sa 14:00-18:00");
    assert_eq!(restored["point"], json!({"lon": 4.832, "lat": 45.757}));
    assert_eq!(
        restored["contact"]["website"],
        "https://repair.example.org/"
    );
    assert_eq!(restored["moderation"], "published");

    let history = app
        .get_json_as(
            &format!("/api/v1/initiatives/{id}/revisions"),
            &app.editor_token,
        )
        .await;
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(
        revisions.len(),
        3,
        "nothing is rewritten: a new revision is added"
    );
    let last = &revisions[2];
    assert_eq!(last["action"], "restore");
    assert_eq!(last["author"], "editor");
    assert_eq!(last["reason"], "the move was a mistake");
    assert_eq!(
        last["changed"],
        json!(["geometry", "name", "opening_hours"])
    );
}

#[actix_web::test]
async fn restoring_keeps_the_moderation_state_and_refuses_strangers() {
    let app = TestApp::spawn().await;
    let one = app
        .create(json!({"name": "Jardin des Pentes", "lat": 45.77, "lon": 4.83}))
        .await;
    let other = app
        .create(json!({"name": "Fablab Gerland", "lat": 45.73, "lon": 4.83}))
        .await;
    let id = one["id"].as_str().unwrap();
    let archived = app
        .client
        .delete(app.url(&format!("/api/v1/initiatives/{id}")))
        .bearer_auth(&app.editor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 204);
    let revisions = |key: String| {
        let app = &app;
        async move {
            app.get_json_as(
                &format!("/api/v1/initiatives/{key}/revisions"),
                &app.editor_token,
            )
            .await["revisions"]
                .clone()
        }
    };
    let first = revisions(id.to_string()).await[0]["id"].as_i64().unwrap();
    let of_other = revisions(other["id"].as_str().unwrap().to_string()).await[0]["id"]
        .as_i64()
        .unwrap();

    // The create revision was published; restoring it does not publish the archived initiative.
    let path = format!("/api/v1/initiatives/{id}/revisions/{first}/restore");
    let (status, body) = send(&app, Method::POST, &path, &app.editor_token, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moderation"], "archived");
    // Another initiative's revision, or none: 404.
    for missing in [
        format!("/api/v1/initiatives/{id}/revisions/{of_other}/restore"),
        format!("/api/v1/initiatives/{id}/revisions/999999/restore"),
        format!("/api/v1/initiatives/no-such-slug/revisions/{first}/restore"),
    ] {
        let (status, _) = send(&app, Method::POST, &missing, &app.editor_token, None).await;
        assert_eq!(status, 404, "{missing}");
    }
    // A moderator may not restore; nobody without a token may.
    let moderator = token::create(&mut app.db.connect(), "mo", Role::Moderator).unwrap();
    let (status, _) = send(&app, Method::POST, &path, &moderator, None).await;
    assert_eq!(status, 403);
    let anonymous = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[actix_web::test]
async fn an_administrator_invites_changes_and_disables_people() {
    let app = TestApp::spawn().await;
    let (status, invited) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(json!({"email": "ana@mairie.example", "name": "Ana Lopez", "role": "editor", "territories": ["31555"]})),
    )
    .await;
    assert_eq!(status, 201, "{invited}");
    assert_eq!(invited["purpose"], "invitation");
    assert_eq!(invited["user"]["role"], "editor");
    assert_eq!(invited["user"]["territories"], json!(["31555"]));
    let url = invited["url"].as_str().unwrap();
    let prefix = format!("{}/workspace/invitation?token=", app.address);
    assert!(url.starts_with(&prefix), "{url}");
    let user_id = invited["user"]["id"].as_i64().unwrap();

    // The link sets a password; the person logs in.
    let token = &url[prefix.len()..];
    let set = app
        .client
        .post(app.url("/api/v1/session/password"))
        .json(&json!({"token": token, "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/session"))
                .json(&json!({"email": "ana@mairie.example", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login("a long enough password").await, 200);

    // Twice the same e-mail: 409; bad fields: 422 listing each.
    let again = json!({"email": "ANA@mairie.example", "name": "Ana", "role": "editor"});
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(again),
    )
    .await;
    assert_eq!(status, 409);
    let bad = json!({"email": "nope", "name": "", "role": "boss", "territories": ["12"]});
    let (status, problem) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(bad),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/email", "/name", "/territories/0", "/role"]);

    // Role and scope change; then disabled, the person can no longer log in.
    let path = format!("/api/v1/users/{user_id}");
    let (status, changed) = send(
        &app,
        Method::PATCH,
        &path,
        &app.admin_token,
        Some(json!({"role": "moderator", "territories": ["243100518", "31555"]})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["role"], "moderator");
    assert_eq!(changed["territories"], json!(["243100518", "31555"]));
    let (status, listed) = send(&app, Method::GET, "/api/v1/users", &app.admin_token, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["users"][0]["email"], "ana@mairie.example");
    assert!(listed["users"][0]["last_login_at"].is_string());
    let (status, disabled) = send(
        &app,
        Method::PATCH,
        &path,
        &app.admin_token,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!((status, &disabled["active"]), (200, &json!(false)));
    assert_eq!(login("a long enough password").await, 401);
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{path}/link"),
        &app.admin_token,
        None,
    )
    .await;
    assert_eq!(status, 404, "no link for a disabled account");
    let (status, _) = send(
        &app,
        Method::PATCH,
        "/api/v1/users/999999",
        &app.admin_token,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(status, 404);

    // Enabled again: a new link is a reset link, since a password was set.
    send(
        &app,
        Method::PATCH,
        &path,
        &app.admin_token,
        Some(json!({"active": true})),
    )
    .await;
    let (status, link) = send(
        &app,
        Method::POST,
        &format!("{path}/link"),
        &app.admin_token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["purpose"], "reset");
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .contains("/workspace/reset?token=")
    );

    // Only administrators manage people.
    for (method, path, body) in [
        (Method::GET, "/api/v1/users".to_string(), None),
        (
            Method::POST,
            "/api/v1/users".to_string(),
            Some(json!({"email": "x@y.example", "name": "X", "role": "admin"})),
        ),
        (Method::PATCH, path.clone(), Some(json!({"role": "admin"}))),
        (Method::POST, format!("{path}/link"), None),
    ] {
        let (status, _) = send(&app, method.clone(), &path, &app.editor_token, body).await;
        assert_eq!(status, 403, "{method} {path}");
    }
}

#[actix_web::test]
async fn the_last_active_administrator_stays() {
    let app = TestApp::spawn().await;
    let (_, boss) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(json!({"email": "boss@mairie.example", "name": "Boss", "role": "admin"})),
    )
    .await;
    let path = format!("/api/v1/users/{}", boss["user"]["id"]);
    for change in [json!({"role": "editor"}), json!({"active": false})] {
        let (status, problem) =
            send(&app, Method::PATCH, &path, &app.admin_token, Some(change)).await;
        assert_eq!(status, 409, "{problem}");
    }
    let (_, second) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(json!({"email": "second@mairie.example", "name": "Second", "role": "admin"})),
    )
    .await;
    assert_eq!(second["user"]["role"], "admin");
    let (status, _) = send(
        &app,
        Method::PATCH,
        &path,
        &app.admin_token,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn initiatives_not_confirmed_for_a_year_are_listed_oldest_first() {
    let app = TestApp::spawn().await;
    for name in [
        "Fresh",
        "Confirmed long ago",
        "Never confirmed, old",
        "Pending, old",
    ] {
        app.create(json!({"name": name, "lat": 45.7, "lon": 4.8}))
            .await;
    }
    sql(
        &app,
        "UPDATE initiatives SET last_confirmed_at = now() - interval '14 months' WHERE name = 'Confirmed long ago'",
    );
    sql(
        &app,
        "UPDATE initiatives SET created_at = now() - interval '3 years' WHERE name IN ('Never confirmed, old', 'Pending, old')",
    );
    sql(
        &app,
        "UPDATE initiatives SET moderation = 'pending' WHERE name = 'Pending, old'",
    );
    let names = |body: &Value| -> Vec<String> {
        body["initiatives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = app.get_json_as("/api/v1/to-check", &app.editor_token).await;
    assert_eq!(
        names(&listed),
        ["Never confirmed, old", "Confirmed long ago"]
    );
    let recent = app
        .get_json_as("/api/v1/to-check?months=24", &app.editor_token)
        .await;
    assert_eq!(names(&recent), ["Never confirmed, old"]);

    // "Still active": one PATCH, and it leaves the list.
    let slug = listed["initiatives"][0]["slug"].as_str().unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    let confirmed = app
        .patch(
            &format!("/api/v1/initiatives/{slug}"),
            &json!({"last_confirmed_at": now}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let listed = app.get_json_as("/api/v1/to-check", &app.editor_token).await;
    assert_eq!(names(&listed), ["Confirmed long ago"]);

    let (status, _) = send(
        &app,
        Method::GET,
        "/api/v1/to-check?months=0",
        &app.editor_token,
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(
        &app,
        Method::GET,
        "/api/v1/to-check?sort=name",
        &app.editor_token,
        None,
    )
    .await;
    assert_eq!(status, 400);
    let moderator = token::create(&mut app.db.connect(), "mo", Role::Moderator).unwrap();
    let (status, _) = send(&app, Method::GET, "/api/v1/to-check", &moderator, None).await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn an_import_conflict_is_resolved_by_taking_the_feeds_values() {
    let app = TestApp::spawn().await;
    let created = app
        .create(
            json!({"name": "Jardin du Verrier", "description": "ours", "lat": 43.6, "lon": 1.44}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    sql(
        &app,
        "INSERT INTO sources (id, name, format, location) VALUES ('toulouse', 'Toulouse', 'geojson', 'x.geojson')",
    );
    sql(
        &app,
        "INSERT INTO import_runs (source_id, status) VALUES ('toulouse', 'succeeded')",
    );
    for (conflict, description) in [(1, "from the feed"), (2, "from another feed")] {
        sql(&app, &format!(
            "INSERT INTO import_conflicts (id, run_id, initiative_id, incoming_hash, incoming, current, fields)
             OVERRIDING SYSTEM VALUE SELECT {conflict}, (SELECT max(id) FROM import_runs), id, 'h{conflict}', jsonb_build_object('name', 'Jardin partagé du Verrier', 'description', '{description}',
                    'geometry', '{{\"type\":\"Point\",\"coordinates\":[1.45,43.61]}}'::jsonb, 'tags', '[\"compost\"]'::jsonb),
                    feature::jsonb, ARRAY['description', 'geometry', 'tags'] FROM initiatives WHERE id = '{id}'"
        ));
    }
    let resolve = |conflict: i64, body: Value| {
        let app = &app;
        async move {
            send(
                app,
                Method::PATCH,
                &format!("/api/v1/import-conflicts/{conflict}"),
                &app.editor_token,
                Some(body),
            )
            .await
            .0
        }
    };
    assert_eq!(
        resolve(1, json!({"status": "resolved", "keep": "theirs"})).await,
        422
    );
    assert_eq!(
        resolve(1, json!({"status": "resolved", "keep": "feed"})).await,
        204
    );
    let now = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
    assert_eq!(now["description"], "from the feed");
    assert_eq!(
        now["name"], "Jardin du Verrier",
        "fields not in conflict stay"
    );
    assert_eq!(now["point"], json!({"lon": 1.45, "lat": 43.61}));
    assert_eq!(now["tags"], json!(["compost"]));
    assert_eq!(
        resolve(1, json!({"status": "resolved", "keep": "feed"})).await,
        409
    );
    // Keeping ours changes nothing but the conflict.
    assert_eq!(
        resolve(2, json!({"status": "resolved", "keep": "ours"})).await,
        204
    );
    let after = app.get_json(&format!("/api/v1/initiatives/{id}")).await;
    assert_eq!(after["description"], "from the feed");
    assert_eq!(
        resolve(99, json!({"status": "resolved", "keep": "feed"})).await,
        404
    );
    let open = app
        .get_json_as("/api/v1/import-conflicts", &app.editor_token)
        .await;
    assert_eq!(open["conflicts"], json!([]));
}

#[actix_web::test]
async fn with_smtp_invitation_and_reset_links_are_e_mailed() {
    use archipel_api::Settings;
    use archipel_api::mail::SmtpSettings;
    use archipel_tests::smtp::SmtpSink;
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(Settings {
        smtp: Some(SmtpSettings {
            url: sink.url(),
            from: "Archipel <archipel@mairie.example>".into(),
        }),
        ..Settings::default()
    })
    .await;

    // An administrator invites someone in the workspace: the link is shown and e-mailed.
    let (status, invited) = send(
        &app,
        Method::POST,
        "/api/v1/users",
        &app.admin_token,
        Some(json!({"email": "lea@mairie.example", "name": "Léa Martin", "role": "moderator", "territories": []})),
    )
    .await;
    assert_eq!(status, 201, "{invited}");
    assert_eq!(invited["emailed"], true);
    let url = invited["url"].as_str().unwrap();
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["lea@mairie.example"]);
    // The body is quoted-printable or plain: the token is there either way once soft line breaks
    // are undone.
    let body = mails[0].data.replace("=\r\n", "").replace("=3D", "=");
    assert!(
        body.contains(url),
        "the link is in the message:\n{}",
        mails[0].data
    );
    assert!(body.contains("From: Archipel <archipel@mairie.example>"));

    // A new link (reset, since no password was ever set it is an invitation again) is e-mailed too.
    let id = invited["user"]["id"].as_i64().unwrap();
    let (status, again) = send(
        &app,
        Method::POST,
        &format!("/api/v1/users/{id}/link"),
        &app.admin_token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["emailed"], true);
    assert_eq!(sink.received().len(), 2);

    // The command line e-mails the links it prints too.
    let output = std::process::Command::new(archipel_tests::archipel_binary())
        .args([
            "user",
            "create",
            "--email",
            "noe@mairie.example",
            "--name",
            "Noé",
            "--role",
            "editor",
        ])
        .env("DATABASE_URL", &app.db.url)
        .env("ARCHIPEL_SMTP_URL", sink.url())
        .env("ARCHIPEL_SMTP_FROM", "Archipel <archipel@mairie.example>")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("E-mailed it to noe@mairie.example"));
    let mails = sink.received();
    assert_eq!(mails.len(), 3);
    assert_eq!(mails[2].to, ["noe@mairie.example"]);
    assert!(
        mails[2]
            .data
            .replace("=\r\n", "")
            .replace("=3D", "=")
            .contains(&printed),
        "{printed}"
    );

    // Without SMTP nothing is e-mailed, and the answer says so.
    let plain = TestApp::spawn().await;
    let (status, invited) = send(
        &plain,
        Method::POST,
        "/api/v1/users",
        &plain.admin_token,
        Some(json!({"email": "tom@mairie.example", "name": "Tom", "role": "editor", "territories": []})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(invited["emailed"], false);
    assert_eq!(sink.received().len(), 3);
}
