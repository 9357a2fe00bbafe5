//! People log in with an e-mail and a password; their session cookie writes like a token, with a
//! CSRF token and a same-origin Origin; failures lock out; sessions expire and end.

use archipel_api::Settings;
use archipel_store::token::Role;
use archipel_store::user::{self, NewUser};
use archipel_tests::{TestApp, archipel_binary};
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// Creates an account that can log in at once.
fn person(app: &TestApp, email: &str, name: &str, role: Role) {
    let new = NewUser::parse(email, name, role, &[]).unwrap();
    user::create(&mut app.db.connect(), &new, Some(PASSWORD)).unwrap();
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut app.db.connect())
        .unwrap();
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A browser holding a session: its cookie and its CSRF token.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn log_in(app: &'a TestApp, email: &str) -> Browser<'a> {
        let response = login(app, email, PASSWORD).await;
        assert_eq!(response.status(), 200);
        let cookie = set_cookie(&response).split(';').next().unwrap().to_string();
        let body: Value = response.json().await.unwrap();
        Browser {
            app,
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    /// A request with the cookie, and the CSRF token and Origin when given.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        csrf: Option<&str>,
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("Cookie", &self.cookie);
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// A request as the workspace's pages make it: CSRF token and our own Origin.
    async fn write(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        self.send(
            method,
            path,
            body,
            Some(&self.csrf),
            Some(&self.app.address),
        )
        .await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.send(Method::GET, path, None, None, None).await
    }
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_string()
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

#[actix_web::test]
async fn logging_in_sets_a_session_cookie_and_the_session_says_who_and_ends_on_logout() {
    let app = TestApp::spawn().await;
    person(&app, "Ana@Mairie.example", "Ana Lopez", Role::Editor);
    person(
        &app,
        "Élodie@mairie.example",
        "Élodie Roux",
        Role::Moderator,
    );
    // Whatever the case of the address typed, accents included.
    assert_eq!(
        login(&app, " élodie@MAIRIE.example ", PASSWORD)
            .await
            .status(),
        200
    );
    let response = login(&app, "ana@mairie.example", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("archipel_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "Ana@mairie.example");
    assert_eq!(body["user"]["name"], "Ana Lopez");
    assert_eq!(body["user"]["role"], "editor");
    assert_eq!(body["user"]["territories"], json!([]));
    assert!(body["csrf_token"].as_str().unwrap().len() >= 43);
    // Only the SHA-256 of the cookie's secret is stored.
    let secret = cookie.split(';').next().unwrap()["archipel_session=".len()..].to_string();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored = diesel::sql_query(
        "SELECT count(*) AS n FROM sessions WHERE secret_sha256 = sha256(convert_to($1, 'UTF8'))",
    )
    .bind::<diesel::sql_types::Text, _>(&secret)
    .get_result::<N>(&mut app.db.connect())
    .unwrap();
    assert_eq!(stored.n, 1);

    let browser = Browser::log_in(&app, "ana@mairie.example").await;
    let who = browser.get("/api/v1/session").await;
    assert_eq!(who.status(), 200);
    let who: Value = who.json().await.unwrap();
    assert_eq!(who["user"]["name"], "Ana Lopez");
    assert_eq!(who["csrf_token"], browser.csrf.as_str());

    // Logging out is a change: it needs the CSRF token too.
    let refused = browser
        .send(
            Method::DELETE,
            "/api/v1/session",
            None,
            None,
            Some(&app.address),
        )
        .await;
    problem(refused, 403).await;
    let out = browser.write(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(out.status(), 204);
    let cleared = set_cookie(&out);
    assert!(cleared.starts_with("archipel_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    problem(browser.get("/api/v1/session").await, 401).await;
    // Without a cookie, nobody is logged in.
    problem(app.get("/api/v1/session").await, 401).await;
}

#[actix_web::test]
async fn over_https_the_cookie_is_secure_and_a_foreign_page_cannot_log_in() {
    let app = TestApp::spawn_with(Settings {
        public_url: Some("https://carte.example.fr".into()),
        ..Settings::default()
    })
    .await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let response = login(&app, "ana@mairie.example", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookie(&response).contains("Secure"));
    let foreign = app
        .client
        .post(app.url("/api/v1/session"))
        .header("Origin", "https://evil.example")
        .json(&json!({"email": "ana@mairie.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(foreign.headers().get("set-cookie").is_none());
    assert_eq!(problem(foreign, 403).await["code"], "forbidden");
    let ours = app
        .client
        .post(app.url("/api/v1/session"))
        .header("Origin", "https://carte.example.fr")
        .json(&json!({"email": "ana@mairie.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 200);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_scheme_decides_secure() {
    let app = TestApp::spawn_with(Settings {
        trust_forwarded: true,
        ..Settings::default()
    })
    .await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let via = |proto: &'static str| {
        app.client
            .post(app.url("/api/v1/session"))
            .header("X-Forwarded-Proto", proto)
            .json(&json!({"email": "ana@mairie.example", "password": PASSWORD}))
            .send()
    };
    assert!(set_cookie(&via("https").await.unwrap()).contains("Secure"));
    assert!(!set_cookie(&via("http").await.unwrap()).contains("Secure"));
    // Without trust, the header means nothing.
    let untrusted = TestApp::spawn().await;
    person(&untrusted, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let response = untrusted
        .client
        .post(untrusted.url("/api/v1/session"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"email": "ana@mairie.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(!set_cookie(&response).contains("Secure"));
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let wrong_password = login(&app, "ana@mairie.example", "not her password at all").await;
    assert!(wrong_password.headers().get("set-cookie").is_none());
    let wrong_password = problem(wrong_password, 401).await;
    let unknown = problem(login(&app, "nobody@mairie.example", PASSWORD).await, 401).await;
    assert_eq!(wrong_password, unknown);
    assert_eq!(unknown["detail"], "wrong e-mail or password");
}

#[actix_web::test]
async fn repeated_failures_lock_the_account_and_then_the_address() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    person(&app, "bob@mairie.example", "Bob Martin", Role::Editor);
    for _ in 0..5 {
        assert_eq!(
            login(&app, "ana@mairie.example", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    // Locked: even the right password is refused, and the answer says when to try again.
    let locked = login(&app, "ana@mairie.example", PASSWORD).await;
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let body = problem(locked, 429).await;
    assert_eq!(body["code"], "rate_limited");
    // Another account from the same address is not locked yet…
    assert_eq!(
        login(&app, "bob@mairie.example", PASSWORD).await.status(),
        200
    );
    // …until the address has failed 20 times within 15 minutes, whatever the accounts.
    for i in 0..15 {
        let status = login(
            &app,
            &format!("guess{i}@mairie.example"),
            "guess guess guess",
        )
        .await
        .status();
        assert_eq!(status, 401);
    }
    problem(login(&app, "bob@mairie.example", PASSWORD).await, 429).await;
    // Once the failures are older than 15 minutes, both log in again.
    sql(
        &app,
        "UPDATE login_failures SET at = at - interval '16 minutes'",
    );
    assert_eq!(
        login(&app, "ana@mairie.example", PASSWORD).await.status(),
        200
    );
    assert_eq!(
        login(&app, "bob@mairie.example", PASSWORD).await.status(),
        200
    );
}

#[actix_web::test]
async fn parallel_guesses_cannot_slip_past_the_count() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move {
            login(app, "ana@mairie.example", &format!("guess number {i:02}"))
                .await
                .status()
                .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(guesses).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [[401; 5].as_slice(), &[429; 7]].concat());
}

#[actix_web::test]
async fn a_session_ends_after_8_idle_hours_or_7_days_in_all() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let idle = Browser::log_in(&app, "ana@mairie.example").await;
    sql(
        &app,
        "UPDATE sessions SET last_seen_at = now() - interval '7 hours 50 minutes'",
    );
    assert_eq!(idle.get("/api/v1/session").await.status(), 200);
    // Used just now: its idle time starts again.
    sql(
        &app,
        "UPDATE sessions SET last_seen_at = last_seen_at - interval '7 hours 50 minutes'",
    );
    assert_eq!(idle.get("/api/v1/session").await.status(), 200);
    sql(
        &app,
        "UPDATE sessions SET last_seen_at = now() - interval '8 hours 1 minute'",
    );
    problem(idle.get("/api/v1/session").await, 401).await;

    let busy = Browser::log_in(&app, "ana@mairie.example").await;
    sql(
        &app,
        "UPDATE sessions SET created_at = now() - interval '7 days 1 minute', last_seen_at = now() WHERE revoked_at IS NULL",
    );
    problem(busy.get("/api/v1/session").await, 401).await;
    // An ended session on a public read is simply the public.
    assert_eq!(busy.get("/api/v1/initiatives").await.status(), 200);
}

#[actix_web::test]
async fn a_cookie_write_needs_the_csrf_token_and_our_origin_and_names_the_person() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let created = app
        .create(crate::initiative("Repair Café", 43.6, 1.44))
        .await;
    let path = format!("/api/v1/initiatives/{}", created["id"].as_str().unwrap());
    let browser = Browser::log_in(&app, "ana@mairie.example").await;
    let before = app.db.fingerprint();
    let change = json!({"opening_hours": "Sa 10:00-12:00", "reason": "checked on site"});

    let no_csrf = browser
        .send(
            Method::PATCH,
            &path,
            Some(change.clone()),
            None,
            Some(&app.address),
        )
        .await;
    let body = problem(no_csrf, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    let wrong_csrf = browser
        .send(
            Method::PATCH,
            &path,
            Some(change.clone()),
            Some("forged"),
            Some(&app.address),
        )
        .await;
    problem(wrong_csrf, 403).await;
    let foreign = browser
        .send(
            Method::PATCH,
            &path,
            Some(change.clone()),
            Some(&browser.csrf),
            Some("http://evil.example"),
        )
        .await;
    problem(foreign, 403).await;
    let no_origin = browser
        .send(
            Method::PATCH,
            &path,
            Some(change.clone()),
            Some(&browser.csrf),
            None,
        )
        .await;
    problem(no_origin, 403).await;
    assert_eq!(
        app.db.fingerprint(),
        before,
        "a refused write changed nothing"
    );

    let accepted = browser.write(Method::PATCH, &path, Some(change)).await;
    assert_eq!(accepted.status(), 200);
    let history = app
        .get_json_as(&format!("{path}/revisions"), &app.editor_token)
        .await;
    let last = history["revisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"], "Ana Lopez");
    assert_eq!(last["reason"], "checked on site");
    // Creating works the same way.
    let new = browser
        .write(
            Method::POST,
            "/api/v1/initiatives",
            Some(crate::initiative("Fablab", 43.61, 1.45)),
        )
        .await;
    assert_eq!(new.status(), 201);
}

#[actix_web::test]
async fn a_moderator_publishes_a_suggestion_but_cannot_edit_fields() {
    let app = TestApp::spawn().await;
    person(&app, "mo@mairie.example", "Mo Diallo", Role::Moderator);
    let suggested: Value = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .json(&json!({"name": "Outilthèque", "lat": 45.77, "lon": 4.83, "honeypot": ""}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/initiatives/{}", suggested["id"].as_str().unwrap());
    let browser = Browser::log_in(&app, "mo@mairie.example").await;
    let inbox: Value = browser
        .get("/api/v1/suggestions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["suggestions"][0]["name"], "Outilthèque");
    assert_eq!(browser.get("/api/v1/reports").await.status(), 200);
    assert_eq!(
        browser.get(&format!("{path}/revisions")).await.status(),
        200
    );
    assert_eq!(
        browser
            .get("/api/v1/initiatives?moderation=pending")
            .await
            .status(),
        200
    );

    let before = app.db.fingerprint();
    let edit = browser
        .write(
            Method::PATCH,
            &path,
            Some(json!({"moderation": "published", "name": "Renamed"})),
        )
        .await;
    let body = problem(edit, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("name"), "{body}");
    let create = browser
        .write(
            Method::POST,
            "/api/v1/initiatives",
            Some(crate::initiative("X", 45.0, 4.0)),
        )
        .await;
    problem(create, 403).await;
    problem(browser.get("/api/v1/sources").await, 403).await;
    assert_eq!(app.db.fingerprint(), before);

    let publish = browser
        .write(
            Method::PATCH,
            &path,
            Some(json!({"moderation": "published", "reason": "checked"})),
        )
        .await;
    assert_eq!(publish.status(), 200);
    assert_eq!(app.get(&path).await.status(), 200);
    // Reports of visitors: listed and closed by the moderator.
    let published = app.create(crate::initiative("Jardin", 43.6, 1.44)).await;
    let reported = app
        .client
        .post(app.url(&format!(
            "/api/v1/initiatives/{}/reports",
            published["id"].as_str().unwrap()
        )))
        .json(&json!({"message": "Fermé le lundi", "honeypot": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 201);
    let reports: Value = browser.get("/api/v1/reports").await.json().await.unwrap();
    let report = reports["reports"][0]["id"].as_i64().unwrap();
    let closed = browser
        .write(
            Method::PATCH,
            &format!("/api/v1/reports/{report}"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(closed.status(), 204);
    let history: Value = browser
        .get(&format!("{path}/revisions"))
        .await
        .json()
        .await
        .unwrap();
    let last = history["revisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"], "Mo Diallo");
}

#[actix_web::test]
async fn a_disabled_persons_session_stops_at_once() {
    let app = TestApp::spawn().await;
    person(&app, "ana@mairie.example", "Ana Lopez", Role::Editor);
    let browser = Browser::log_in(&app, "ana@mairie.example").await;
    assert!(user::disable(&mut app.db.connect(), "ANA@mairie.example").unwrap());
    problem(browser.get("/api/v1/session").await, 401).await;
    let write = browser
        .write(
            Method::POST,
            "/api/v1/initiatives",
            Some(crate::initiative("X", 45.0, 4.0)),
        )
        .await;
    problem(write, 401).await;
    problem(login(&app, "ana@mairie.example", PASSWORD).await, 401).await;
}

async fn set_password(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/session/password"))
        .json(&json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_invitation_sets_a_password_once_and_an_expired_one_is_refused() {
    let app = TestApp::spawn().await;
    let new = NewUser::parse("ana@mairie.example", "Ana Lopez", Role::Editor, &[]).unwrap();
    let (_, token) = user::create(&mut app.db.connect(), &new, None).unwrap();
    let token = token.unwrap();
    // Not yet a password: nobody logs in.
    problem(login(&app, "ana@mairie.example", PASSWORD).await, 401).await;
    let short = problem(set_password(&app, &token, "too short").await, 422).await;
    assert_eq!(short["errors"][0]["field"], "/password");
    assert_eq!(set_password(&app, &token, PASSWORD).await.status(), 204);
    assert_eq!(
        login(&app, "ana@mairie.example", PASSWORD).await.status(),
        200
    );
    let again = problem(
        set_password(&app, &token, "another long password").await,
        422,
    )
    .await;
    assert_eq!(again["errors"][0]["field"], "/token");
    assert_eq!(
        login(&app, "ana@mairie.example", PASSWORD).await.status(),
        200
    );

    let late = NewUser::parse("bob@mairie.example", "Bob Martin", Role::Editor, &[]).unwrap();
    let (_, late_token) = user::create(&mut app.db.connect(), &late, None).unwrap();
    sql(
        &app,
        "UPDATE user_links SET expires_at = now() - interval '1 second'",
    );
    problem(
        set_password(&app, &late_token.unwrap(), PASSWORD).await,
        422,
    )
    .await;
    problem(set_password(&app, "made-up", PASSWORD).await, 422).await;
}

fn archipel(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(archipel_binary())
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("ARCHIPEL_PUBLIC_URL", &app.address)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[actix_web::test]
async fn the_user_command_invites_lists_resets_and_disables_people() {
    let app = TestApp::spawn().await;
    assert_eq!(user::count(&mut app.db.connect()).unwrap(), 0);
    let (ok, link, err) = archipel(
        &app,
        &[
            "user",
            "create",
            "--email",
            "cli@mairie.example",
            "--name",
            "Camille Roux",
            "--role",
            "editor",
            "--territory",
            "31555,243100518",
        ],
        None,
    );
    assert!(ok, "{err}");
    let prefix = format!("{}/workspace/invitation?token=", app.address);
    let token = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(set_password(&app, token, PASSWORD).await.status(), 204);
    let logged: Value = login(&app, "cli@mairie.example", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(logged["user"]["territories"], json!(["31555", "243100518"]));

    let (ok, _, err) = archipel(
        &app,
        &[
            "user",
            "create",
            "--email",
            "mo@mairie.example",
            "--name",
            "Mo",
            "--role",
            "moderator",
            "--password-stdin",
        ],
        Some("a password read from stdin\n"),
    );
    assert!(ok, "{err}");
    assert_eq!(
        login(&app, "mo@mairie.example", "a password read from stdin")
            .await
            .status(),
        200
    );
    let (ok, _, err) = archipel(
        &app,
        &[
            "user",
            "create",
            "--email",
            "MO@mairie.example",
            "--name",
            "Mo",
            "--role",
            "editor",
            "--password-stdin",
        ],
        Some("another password here\n"),
    );
    assert!(!ok && err.contains("already has an account"), "{err}");

    let (ok, list, err) = archipel(&app, &["user", "list"], None);
    assert!(ok, "{err}");
    assert!(
        list.contains("cli@mairie.example") && list.contains("31555,243100518"),
        "{list}"
    );
    assert!(list.contains("moderator"), "{list}");
    assert_eq!(user::count(&mut app.db.connect()).unwrap(), 2);

    let (ok, reset, err) = archipel(
        &app,
        &["user", "reset-password", "--email", "cli@mairie.example"],
        None,
    );
    assert!(ok, "{err}");
    let prefix = format!("{}/workspace/reset?token=", app.address);
    let token = reset
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{reset}"));
    assert_eq!(
        set_password(&app, token, "a brand new password")
            .await
            .status(),
        204
    );
    problem(login(&app, "cli@mairie.example", PASSWORD).await, 401).await;
    assert_eq!(
        login(&app, "cli@mairie.example", "a brand new password")
            .await
            .status(),
        200
    );

    let (ok, _, err) = archipel(
        &app,
        &["user", "disable", "--email", "cli@mairie.example"],
        None,
    );
    assert!(ok, "{err}");
    problem(
        login(&app, "cli@mairie.example", "a brand new password").await,
        401,
    )
    .await;
    let (ok, _, _) = archipel(
        &app,
        &["user", "disable", "--email", "nobody@mairie.example"],
        None,
    );
    assert!(!ok);
}

#[actix_web::test]
async fn a_moderator_token_moderates_like_a_moderator_person() {
    let app = TestApp::spawn().await;
    let created = app
        .send_as(
            Method::POST,
            "/api/v1/tokens",
            &app.admin_token,
            &json!({"name": "moderation-bot", "role": "moderator"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let token: Value = created.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let initiative = app.create(crate::initiative("Jardin", 43.6, 1.44)).await;
    let path = format!("/api/v1/initiatives/{}", initiative["id"].as_str().unwrap());
    let rename = app
        .send_as(Method::PATCH, &path, &token, &json!({"name": "Renamed"}))
        .await;
    problem(rename, 403).await;
    let reject = app
        .send_as(
            Method::PATCH,
            &path,
            &token,
            &json!({"moderation": "rejected", "reason": "not collaborative"}),
        )
        .await;
    assert_eq!(reject.status(), 200);
}

#[actix_web::test]
async fn a_person_limited_to_a_territory_changes_only_what_is_there() {
    let app = TestApp::spawn().await;
    crate::territories::import_all(&app);
    let brest = app
        .create(json!({"name": "Repair café de Brest", "lat": 48.39, "lon": -4.5}))
        .await;
    let guipavas = app
        .create(json!({"name": "Jardin de Guipavas", "lat": 48.40, "lon": -4.35}))
        .await;
    let laval = app
        .create(json!({"name": "Recyclerie de Laval", "lat": 48.05, "lon": -0.75}))
        .await;
    let path = |v: &Value| format!("/api/v1/initiatives/{}", v["id"].as_str().unwrap());
    let scoped = |email: &str, codes: &[&str]| {
        let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        let new = NewUser::parse(email, "Élu de secteur", Role::Editor, &codes).unwrap();
        user::create(&mut app.db.connect(), &new, Some(PASSWORD)).unwrap();
    };
    scoped("brest@mairie.example", &["29019"]);
    scoped("metropole@mairie.example", &["242900314"]);

    // Limited to the commune of Brest.
    let commune = Browser::log_in(&app, "brest@mairie.example").await;
    let rename = json!({"description": "Le samedi matin"});
    assert_eq!(
        commune
            .write(Method::PATCH, &path(&brest), Some(rename.clone()))
            .await
            .status(),
        200
    );
    let before = app.db.fingerprint();
    let refused = commune
        .write(Method::PATCH, &path(&laval), Some(rename.clone()))
        .await;
    let body = problem(refused, 403).await;
    assert!(body.to_string().contains("29019"), "{body}");
    problem(
        commune
            .write(Method::PATCH, &path(&guipavas), Some(rename.clone()))
            .await,
        403,
    )
    .await;
    problem(
        commune.write(Method::DELETE, &path(&laval), None).await,
        403,
    )
    .await;
    // Moving one of its own out of the territory, or creating elsewhere, is refused too.
    problem(
        commune
            .write(
                Method::PATCH,
                &path(&brest),
                Some(json!({"lat": 48.05, "lon": -0.75})),
            )
            .await,
        403,
    )
    .await;
    problem(
        commune
            .write(
                Method::POST,
                "/api/v1/initiatives",
                Some(json!({"name": "Ailleurs", "lat": 48.05, "lon": -0.75})),
            )
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.db.fingerprint(),
        before,
        "a refused change changes nothing"
    );
    assert_eq!(
        commune
            .write(
                Method::POST,
                "/api/v1/initiatives",
                Some(json!({"name": "Troc de Brest", "lat": 48.40, "lon": -4.48}))
            )
            .await
            .status(),
        201
    );

    // Limited to the EPCI (Brest métropole): both of its communes.
    let epci = Browser::log_in(&app, "metropole@mairie.example").await;
    assert_eq!(
        epci.write(Method::PATCH, &path(&guipavas), Some(rename.clone()))
            .await
            .status(),
        200
    );
    assert_eq!(
        epci.write(Method::PATCH, &path(&brest), Some(rename.clone()))
            .await
            .status(),
        200
    );
    problem(
        epci.write(Method::PATCH, &path(&laval), Some(rename)).await,
        403,
    )
    .await;
}
