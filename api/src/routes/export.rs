//! `/api/v1/export/initiatives.{geojson,geojsonseq,csv}`: every published initiative, for
//! harvesters — one GeoJSON FeatureCollection, GeoJSON text sequences (RFC 8142), or CSV (RFC
//! 4180) described by the Frictionless Table Schema at `initiatives.schema.json`. Each starts at
//! once and streams: the server never holds the whole body. The listing's filters apply (`bbox`,
//! `category`, `status`, `updated_since`); any other parameter is refused (400).
//!
//! An export runs on a connection of its own pool, so downloads never take the connections other
//! requests need; how many run at once is bounded in all and per client ([`ExportGate`]); and a
//! client that stops reading is dropped after `export_stall_timeout`, freeing its connection.
//! A stream that ends early (stalled client, database failure) is cut off without the final
//! chunk, so no client can mistake a truncated file for a complete one.

use crate::client;
use crate::error::ApiError;
use crate::export_gate::{ExportGate, Refused};
use crate::extract::{FromQuery, Pairs, Params};
use crate::list_params::{self, ListRequest};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::export::Format;
use archipel_store::listing::ListQuery;
use archipel_store::{StoreError, export, text};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;

const CHUNK: usize = 64 * 1024;

/// Seconds a refused client is asked to wait: an export of a large directory takes about that.
const RETRY_AFTER: u64 = 30;

fn refused(why: Refused, gate: &ExportGate) -> ApiError {
    match why {
        Refused::ClientBusy => ApiError::TooManyRequests {
            message: text!(
                "you are already downloading this export; wait until it ends before starting another";
                "vous téléchargez déjà cet export ; attendez qu'il se termine avant d'en lancer un autre"),
            retry_after: RETRY_AFTER,
        },
        Refused::Full => ApiError::Busy {
            code: "exports_busy",
            message: text!(
                "{} exports are being downloaded right now, the most this server streams at once; try again in a minute", gate.max();
                "{} exports sont en cours de téléchargement, le maximum que ce serveur diffuse à la fois ; réessayez dans une minute", gate.max()),
            retry_after: RETRY_AFTER,
        },
    }
}

/// Parameters of the exports: the listing's filters that make sense for a whole download.
pub const EXPORT_PARAMS: &[&str] = &[
    "bbox",
    "category",
    "status",
    "updated_since",
    "territory",
    "lang",
];

/// The export's filters, parsed as the listing's are; a parameter the export does not take is
/// refused (400).
pub struct ExportFilters(ListRequest);

impl FromQuery for ExportFilters {
    fn from_pairs(pairs: Pairs) -> Result<Self, ApiError> {
        if let Some((key, _)) = pairs.iter().find(|(k, _)| {
            !EXPORT_PARAMS.contains(&k.as_str()) && list_params::filter_field(k).is_none()
        }) {
            let known = list_params::known_parameters(EXPORT_PARAMS);
            return Err(ApiError::bad_request(
                "unknown_parameter",
                text!(
                "'{}' is not a parameter of this export; known parameters: {}", key, known;
                "« {} » n'est pas un paramètre de cet export ; paramètres connus : {}", key, known),
            ));
        }
        list_params::parse(&pairs).map(ExportFilters)
    }
}

impl ExportFilters {
    /// The store query, category slugs and territory resolved (unknown category: 400).
    async fn resolve(self, state: &AppState) -> Result<ListQuery, ApiError> {
        let ListRequest {
            mut query,
            category_slugs,
            territory,
            ..
        } = self.0;
        state
            .read(move |conn| {
                (query.category_ids, query.territory) =
                    list_params::resolve_filters(conn, &category_slugs, territory.as_ref())?;
                Ok(query)
            })
            .await
    }
}

/// How a format lays its rows out.
struct Layout {
    format: Format,
    content_type: &'static str,
    filename: &'static str,
    /// Before the first row.
    head: fn() -> String,
    /// Between two rows, before the second.
    separator: &'static str,
    /// Before and after every row.
    prefix: &'static str,
    suffix: &'static str,
    tail: &'static str,
}

const GEOJSON: Layout = Layout {
    format: Format::Feature,
    content_type: "application/geo+json",
    filename: "initiatives.geojson",
    head: || "{\"type\":\"FeatureCollection\",\"features\":[".into(),
    separator: ",",
    prefix: "",
    suffix: "",
    tail: "]}",
};

const GEOJSONSEQ: Layout = Layout {
    format: Format::Feature,
    content_type: "application/geo+json-seq",
    filename: "initiatives.geojsonseq",
    head: String::new,
    separator: "",
    prefix: "\u{1e}",
    suffix: "\n",
    tail: "",
};

const CSV: Layout = Layout {
    format: Format::CsvLine,
    content_type: "text/csv; charset=utf-8",
    filename: "initiatives.csv",
    head: || export::csv_header() + "\r\n",
    separator: "",
    prefix: "",
    suffix: "\r\n",
    tail: "",
};

/// Streams the initiatives matching `filters` in `layout`, on a connection of the export pool.
async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    filters: ExportFilters,
    layout: &'static Layout,
) -> Result<HttpResponse, ApiError> {
    let query = filters.resolve(&state).await?;
    let address = client::address(&req, state.settings.trust_forwarded);
    let permit = state
        .exports
        .admit(address)
        .map_err(|why| refused(why, &state.exports))?;
    let pool = state.export_pool.clone();
    let conn = actix_web::web::block(move || pool.get())
        .await?
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    // Small and bounded: the database reads no faster than the client takes.
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let cut_off = Arc::new(AtomicBool::new(false));
    let writer = Writer {
        tx,
        stall: state.settings.export_stall_timeout,
        runtime: tokio::runtime::Handle::current(),
        stalled: false,
    };
    let cut = Arc::clone(&cut_off);
    actix_web::rt::task::spawn_blocking(move || {
        let _permit = permit;
        if !writer.write(conn, layout, &query) {
            cut.store(true, Ordering::Release);
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(layout.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", layout.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(body(rx, cut_off)))
}

/// Sends an export's chunks to the response from a blocking thread.
struct Writer {
    tx: mpsc::Sender<Bytes>,
    stall: std::time::Duration,
    runtime: tokio::runtime::Handle,
    /// The client read nothing for `stall`.
    stalled: bool,
}

impl Writer {
    /// Sends `buffer`; false when the client left or read nothing for `stall`.
    fn send(&mut self, buffer: &mut String) -> bool {
        let chunk = Bytes::from(std::mem::take(buffer));
        match self
            .runtime
            .block_on(tokio::time::timeout(self.stall, self.tx.send(chunk)))
        {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                self.stalled = true;
                false
            }
        }
    }

    /// Writes every row of `query` in `layout`; false when the export ended early.
    fn write(
        mut self,
        mut conn: archipel_store::db::Conn,
        layout: &Layout,
        query: &ListQuery,
    ) -> bool {
        let mut buffer = String::with_capacity(CHUNK + 4096);
        buffer.push_str(&(layout.head)());
        let mut first = true;
        let mut ended = true;
        let result = export::rows(&mut conn, layout.format, query, |row| {
            if !first {
                buffer.push_str(layout.separator);
            }
            first = false;
            buffer.push_str(layout.prefix);
            buffer.push_str(row);
            buffer.push_str(layout.suffix);
            ended = buffer.len() < CHUNK || self.send(&mut buffer);
            ended
        });
        drop(conn);
        match result {
            Ok(_) if ended => {
                buffer.push_str(layout.tail);
                self.send(&mut buffer);
                return true;
            }
            Ok(_) if self.stalled => tracing::info!(
                seconds = self.stall.as_secs(),
                "export dropped: its client read nothing for too long"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "export stopped"),
        }
        false
    }
}

/// The response body: the chunks as they come; cut off when the export ended early.
fn body(
    mut rx: mpsc::Receiver<Bytes>,
    cut_off: Arc<AtomicBool>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|chunk| match chunk {
            Some(chunk) => Some(Ok(chunk)),
            // Ended early: an error makes the server cut the connection instead of closing the
            // body normally.
            None if cut_off.load(Ordering::Acquire) => Some(Err(std::io::Error::other(
                "the export ended before its last row",
            ))),
            None => None,
        })
    })
}

/// All published initiatives as a GeoJSON FeatureCollection, streamed.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.geojson", tag = "initiatives",
    params(crate::schemas::ExportParamsDoc),
    responses(
        (status = 200, description = "Every published initiative (same Feature shape as the listings), streamed", content_type = "application/geo+json"),
        (status = 400, description = "A malformed or unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "This client already runs its share of exports; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every export slot is taken, or the database is unavailable; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    Params(filters): Params<ExportFilters>,
) -> Result<HttpResponse, ApiError> {
    stream(req, state, filters, &GEOJSON).await
}

/// All published initiatives as GeoJSON text sequences (RFC 8142), streamed.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.geojsonseq", tag = "initiatives",
    params(crate::schemas::ExportParamsDoc),
    responses(
        (status = 200, description = "Every published initiative as one GeoJSON Feature per record (RFC 8142: each preceded by the RS character 0x1E and followed by a line feed), streamed", content_type = "application/geo+json-seq"),
        (status = 400, description = "A malformed or unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "This client already runs its share of exports; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every export slot is taken, or the database is unavailable; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geojsonseq(
    req: HttpRequest,
    state: web::Data<AppState>,
    Params(filters): Params<ExportFilters>,
) -> Result<HttpResponse, ApiError> {
    stream(req, state, filters, &GEOJSONSEQ).await
}

/// All published initiatives as CSV, streamed.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.csv", tag = "initiatives",
    params(crate::schemas::ExportParamsDoc),
    responses(
        (status = 200, description = "Every published initiative, one row each: UTF-8, comma-separated, RFC 4180 quoting, CRLF line ends, a header line; multi-valued columns joined by |; lon/lat of the map point; the licence and attribution of each record. Described by /api/v1/export/initiatives.schema.json", content_type = "text/csv; charset=utf-8"),
        (status = 400, description = "A malformed or unknown parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "This client already runs its share of exports; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every export slot is taken, or the database is unavailable; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    Params(filters): Params<ExportFilters>,
) -> Result<HttpResponse, ApiError> {
    stream(req, state, filters, &CSV).await
}

/// The Frictionless Table Schema of the CSV export.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.schema.json", tag = "initiatives",
    responses(
        (status = 200, description = "The Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/) of /api/v1/export/initiatives.csv: its columns with types, formats and constraints", body = Object, content_type = "application/json"),
    )
)]
pub async fn csv_schema() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(export::csv_table_schema())
}
