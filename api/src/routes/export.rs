//! `/api/v1/export/initiatives.geojson`: every published initiative in one FeatureCollection, for
//! harvesters. It starts at once and streams: the server never holds the whole body.
//!
//! An export runs on a connection of its own pool, so downloads never take the connections other
//! requests need; how many run at once is bounded in all and per client ([`ExportGate`]); and a
//! client that stops reading is dropped after `export_stall_timeout`, freeing its connection.
//! A stream that ends early (stalled client, database failure) is cut off without the final
//! chunk, so no client can mistake a truncated file for a complete one.

use crate::client;
use crate::error::ApiError;
use crate::export_gate::{ExportGate, Refused};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
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

/// All published initiatives as a GeoJSON FeatureCollection, streamed.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.geojson", tag = "initiatives",
    responses(
        (status = 200, description = "Every published initiative (same Feature shape as the listings), streamed", content_type = "application/geo+json"),
        (status = 429, description = "This client already runs its share of exports; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every export slot is taken, or the database is unavailable; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let address = client::address(&req, state.settings.trust_forwarded);
    let permit = state
        .exports
        .admit(address)
        .map_err(|why| refused(why, &state.exports))?;
    let pool = state.export_pool.clone();
    let stall = state.settings.export_stall_timeout;
    let mut conn = actix_web::web::block(move || pool.get())
        .await?
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    // Small and bounded: the database reads no faster than the client takes.
    let (tx, mut rx) = mpsc::channel::<Bytes>(8);
    let cut_off = Arc::new(AtomicBool::new(false));
    let cut = Arc::clone(&cut_off);
    let runtime = tokio::runtime::Handle::current();
    actix_web::rt::task::spawn_blocking(move || {
        let _permit = permit;
        let mut buffer = String::with_capacity(CHUNK + 4096);
        buffer.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
        let mut first = true;
        let mut stalled = false;
        // False when the client left or read nothing for `stall`.
        let mut send = |buffer: &mut String| {
            let chunk = Bytes::from(std::mem::take(buffer));
            match runtime.block_on(tokio::time::timeout(stall, tx.send(chunk))) {
                Ok(Ok(())) => true,
                Ok(Err(_)) => false,
                Err(_) => {
                    stalled = true;
                    false
                }
            }
        };
        let mut ended = true;
        let result = export::features(&mut conn, |feature| {
            if !first {
                buffer.push(',');
            }
            first = false;
            buffer.push_str(feature);
            ended = buffer.len() < CHUNK || send(&mut buffer);
            ended
        });
        drop(conn);
        match result {
            Ok(_) if ended => {
                buffer.push_str("]}");
                send(&mut buffer);
                return;
            }
            Ok(_) if stalled => tracing::info!(
                seconds = stall.as_secs(),
                "export dropped: its client read nothing for too long"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "export stopped"),
        }
        cut.store(true, Ordering::Release);
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|chunk| match chunk {
            Some(chunk) => Some(Ok(chunk)),
            // Ended early: an error makes the server cut the connection instead of closing the
            // body normally.
            None if cut_off.load(Ordering::Acquire) => Some(Err(std::io::Error::other(
                "the export ended before its last feature",
            ))),
            None => None,
        })
    });
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"initiatives.geojson\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(body))
}
