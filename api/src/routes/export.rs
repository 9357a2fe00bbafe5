//! `/api/v1/export/initiatives.geojson`: every published initiative in one FeatureCollection, for
//! harvesters. It starts at once and streams: the server never holds the whole body.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use archipel_store::export;
use bytes::Bytes;
use tokio::sync::mpsc;

const CHUNK: usize = 64 * 1024;

/// All published initiatives as a GeoJSON FeatureCollection, streamed.
#[utoipa::path(
    get, path = "/api/v1/export/initiatives.geojson", tag = "initiatives",
    responses((status = 200, description = "Every published initiative (same Feature shape as the listings), streamed", content_type = "application/geo+json"))
)]
pub async fn geojson(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    // Small and bounded: the database reads no faster than the client takes.
    let (tx, mut rx) = mpsc::channel::<Bytes>(8);
    let mut conn = actix_web::web::block(move || pool.get())
        .await?
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    actix_web::rt::task::spawn_blocking(move || {
        let mut buffer = String::with_capacity(CHUNK + 4096);
        buffer.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
        let mut first = true;
        let send = |buffer: &mut String| {
            tx.blocking_send(Bytes::from(std::mem::take(buffer)))
                .is_ok()
        };
        let result = export::features(&mut conn, |feature| {
            if !first {
                buffer.push(',');
            }
            first = false;
            buffer.push_str(feature);
            buffer.len() < CHUNK || send(&mut buffer)
        });
        match result {
            Ok(_) => {
                buffer.push_str("]}");
                send(&mut buffer);
            }
            // The status line is gone: end the body early so the client sees invalid JSON rather
            // than a complete-looking file.
            Err(e) => tracing::error!(error = %e, "export stopped"),
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, std::io::Error>))
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
