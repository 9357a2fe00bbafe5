//! A real HTTP server for feeds, so that imports go through their whole fetch path: status codes,
//! retries, ETags and 304s.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Served {
    body: Vec<u8>,
    content_type: String,
    /// Send an ETag and honour If-None-Match.
    etag: bool,
    /// Answer 500 this many times before the body.
    failures_left: u32,
    /// Send only this many bytes of the body, then nothing more, never ending it.
    stall_after: Option<usize>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Served>,
    hits: HashMap<String, u32>,
}

/// Feeds at `http://127.0.0.1:<port>/<name>`.
pub struct FeedServer {
    pub base: String,
    state: Arc<Mutex<State>>,
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

async fn serve(req: HttpRequest, state: web::Data<Arc<Mutex<State>>>) -> HttpResponse {
    let name = req.path().trim_start_matches('/').to_string();
    let mut state = state.lock().expect("feed state");
    *state.hits.entry(name.clone()).or_default() += 1;
    let Some(served) = state.files.get_mut(&name) else {
        return HttpResponse::NotFound().body("no such feed");
    };
    if served.failures_left > 0 {
        served.failures_left -= 1;
        return HttpResponse::InternalServerError().body("upstream is having a bad day");
    }
    let mut response = HttpResponse::Ok();
    if let Some(sent) = served.stall_after {
        let head = bytes::Bytes::from(served.body[..sent.min(served.body.len())].to_vec());
        let stalled = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) })
            .chain(futures_util::stream::pending());
        return response
            .content_type(served.content_type.clone())
            .streaming(stalled);
    }
    if served.etag {
        let tag = etag_of(&served.body);
        let matches = req
            .headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some(tag.as_str());
        if matches {
            return HttpResponse::NotModified().finish();
        }
        response.insert_header(("ETag", tag));
    }
    response
        .content_type(served.content_type.clone())
        .body(served.body.clone())
}

impl FeedServer {
    /// Starts the server on a free port. Call from an actix runtime.
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let data = web::Data::new(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(serve))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        Self { base, state }
    }

    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// Serves `body` at `name` (replacing what was there), with an ETag.
    pub fn put(&self, name: &str, body: impl Into<Vec<u8>>) {
        let content_type = if name.ends_with(".csv") {
            "text/csv"
        } else {
            "application/json"
        };
        self.state.lock().expect("feed state").files.insert(
            name.to_string(),
            Served {
                body: body.into(),
                content_type: content_type.into(),
                etag: true,
                failures_left: 0,
                stall_after: None,
            },
        );
    }

    /// Serves a fixture file.
    pub fn put_file(&self, name: &str, path: &Path) {
        self.put(
            name,
            std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        );
    }

    /// Serves `name` without ETag, so that every fetch reads it again.
    pub fn without_etag(&self, name: &str) {
        if let Some(served) = self.state.lock().expect("feed state").files.get_mut(name) {
            served.etag = false;
        }
    }

    /// Makes the next `times` requests of `name` fail with 500.
    pub fn fail(&self, name: &str, times: u32) {
        if let Some(served) = self.state.lock().expect("feed state").files.get_mut(name) {
            served.failures_left = times;
        }
    }

    /// Makes `name` send its first `bytes` bytes, then stall forever mid-body.
    pub fn stall_after(&self, name: &str, bytes: usize) {
        if let Some(served) = self.state.lock().expect("feed state").files.get_mut(name) {
            served.stall_after = Some(bytes);
        }
    }

    /// Requests received for `name`.
    pub fn hits(&self, name: &str) -> u32 {
        self.state
            .lock()
            .expect("feed state")
            .hits
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}
