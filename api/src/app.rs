//! The actix application: routes, middleware, and the server bound to a listener (port 0 in tests).

use crate::error::{ApiError, localise};
use crate::lang::Lang;
use crate::openapi;
use crate::routes::{
    catalog, categories, changes, evaluation, export, frontend, health, imports, initiatives,
    links, ogc, session, suggest, suggestions, territories, tiles, tokens, users,
};
use crate::routes::{ogc_html, ogc_openapi};
use crate::state::AppState;
use actix_web::dev::{Server, Service};
use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpServer, middleware, web};
use archipel_store::text;
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api_error = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge(
                text!("the request body is larger than 1 MiB"; "le corps de la requête dépasse 1 Mio"),
            )
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(text!(
            "send the body as JSON with 'Content-Type: application/json'";
            "envoyez le corps en JSON avec « Content-Type: application/json »")),
        JsonPayloadError::Deserialize(e) => ApiError::bad_request(
            "invalid_json",
            text!(
            "the body is not valid JSON: {}", e; "le corps n'est pas du JSON valide : {}", e),
        ),
        other => ApiError::bad_request(
            "invalid_body",
            text!(
            "the body could not be read: {}", other; "le corps n'a pas pu être lu : {}", other),
        ),
    };
    api_error.into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(
        "invalid_query",
        text!(
        "the query string is malformed: {}", err; "la chaîne de requête est mal formée : {}", err),
    )
    .into()
}

async fn no_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(text!(
        "there is nothing at this address; the API is described at /api/docs";
        "il n'y a rien à cette adresse ; l'API est décrite sur /api/docs")))
}

/// Every route of the API. Used by `serve` and by the tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY)
            .content_type(|mime| {
                mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
            })
            .content_type_required(true)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PayloadConfig::default().limit(MAX_BODY))
    .service(web::resource("/healthz").route(web::get().to(health::healthz)))
    .service(web::resource("/readyz").route(web::get().to(health::readyz)))
    .service(
        web::scope("/api/v1")
            // The map's tiles first: they are most of the requests, and actix tries the
            // resources in this order, each one with a parameter through a regex (a fifth of a
            // cached tile's time when they were last).
            .service(web::resource("/tiles/{z}/{x}/{y}").route(web::get().to(tiles::tile)))
            .service(
                web::resource("/initiatives")
                    .route(web::get().to(initiatives::list_json))
                    .route(web::post().to(initiatives::create)),
            )
            .service(
                web::resource("/initiatives.geojson")
                    .route(web::get().to(initiatives::list_geojson)),
            )
            .service(
                web::resource("/initiatives/{key}/revisions")
                    .route(web::get().to(initiatives::revisions)),
            )
            .service(
                web::resource("/initiatives/{key}/merge").route(web::post().to(initiatives::merge)),
            )
            .service(
                web::resource("/initiatives/{key}/revisions/{revision_id}/restore")
                    .route(web::post().to(initiatives::restore)),
            )
            .service(web::resource("/to-check").route(web::get().to(initiatives::to_check)))
            .service(
                web::resource("/users")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::invite)),
            )
            .service(web::resource("/users/{id}").route(web::patch().to(users::change)))
            .service(web::resource("/users/{id}/link").route(web::post().to(users::new_link)))
            .service(
                web::resource("/initiatives/{key}/links")
                    .route(web::get().to(links::list))
                    .route(web::post().to(links::add)),
            )
            .service(
                web::resource("/initiatives/{key}/links/{link_id}")
                    .route(web::delete().to(links::remove)),
            )
            .service(
                web::resource("/initiatives/{key}/assessments")
                    .route(web::get().to(evaluation::assessments))
                    .route(web::post().to(evaluation::assess)),
            )
            .service(
                web::resource("/evaluation/criteria")
                    .route(web::get().to(evaluation::criteria))
                    .route(web::post().to(evaluation::add_criterion)),
            )
            .service(
                web::resource("/evaluation/criteria/{slug}")
                    .route(web::put().to(evaluation::revise_criterion)),
            )
            .service(
                web::resource("/territories/{code}/evaluation.csv")
                    .route(web::get().to(evaluation::territory_csv)),
            )
            .service(
                web::resource("/initiatives/{key}/reports")
                    .route(web::post().to(suggestions::report_correction)),
            )
            .service(
                web::resource("/suggestions")
                    .route(web::get().to(suggestions::list_suggestions))
                    .route(web::post().to(suggestions::suggest)),
            )
            .service(web::resource("/reports").route(web::get().to(suggestions::list_reports)))
            .service(
                web::resource("/reports/{id}").route(web::patch().to(suggestions::close_report)),
            )
            .service(
                web::resource("/initiatives/{key}")
                    .route(web::get().to(initiatives::get_one))
                    .route(web::patch().to(initiatives::update))
                    .route(web::delete().to(initiatives::archive)),
            )
            .service(web::resource("/categories").route(web::get().to(categories::list)))
            .service(web::resource("/territories").route(web::get().to(territories::list)))
            .service(
                web::resource("/territories/{code}").route(web::get().to(territories::get_one)),
            )
            .service(web::resource("/changes").route(web::get().to(changes::feed)))
            .service(web::resource("/suggest").route(web::get().to(suggest::suggest)))
            .service(web::resource("/config").route(web::get().to(frontend::config)))
            .service(
                web::resource("/export/initiatives.geojson").route(web::get().to(export::geojson)),
            )
            .service(
                web::resource("/export/initiatives.geojsonseq")
                    .route(web::get().to(export::geojsonseq)),
            )
            .service(web::resource("/export/initiatives.csv").route(web::get().to(export::csv)))
            .service(web::resource("/export/links.csv").route(web::get().to(links::export_csv)))
            .service(
                web::resource("/export/initiatives.schema.json")
                    .route(web::get().to(export::csv_schema)),
            )
            .service(web::resource("/sources").route(web::get().to(imports::list_sources)))
            .service(
                web::resource("/sources/{id}/runs")
                    .route(web::get().to(imports::list_runs))
                    .route(web::post().to(imports::start_run)),
            )
            .service(web::resource("/import-runs/{id}").route(web::get().to(imports::get_run)))
            .service(
                web::resource("/import-conflicts").route(web::get().to(imports::list_conflicts)),
            )
            .service(
                web::resource("/import-conflicts/{id}")
                    .route(web::patch().to(imports::resolve_conflict)),
            )
            .service(web::resource("/duplicates").route(web::get().to(imports::list_duplicates)))
            .service(
                web::resource("/duplicates/{id}").route(web::patch().to(imports::judge_duplicate)),
            )
            .service(
                web::resource("/tokens")
                    .route(web::get().to(tokens::list))
                    .route(web::post().to(tokens::create)),
            )
            .service(web::resource("/tokens/{name}").route(web::delete().to(tokens::revoke)))
            .service(
                web::resource("/session")
                    .route(web::get().to(session::current))
                    .route(web::post().to(session::login))
                    .route(web::delete().to(session::logout)),
            )
            .service(
                web::resource("/session/password").route(web::post().to(session::set_password)),
            )
            .default_service(web::to(no_route)),
    )
    .service(
        web::scope("/ogc")
            .service(web::resource(["", "/"]).route(web::get().to(ogc::landing)))
            .service(web::resource("/api").route(web::get().to(ogc_openapi::definition)))
            .service(web::resource("/style.css").route(web::get().to(ogc_html::stylesheet)))
            .service(web::resource("/conformance").route(web::get().to(ogc::conformance)))
            .service(web::resource("/collections").route(web::get().to(ogc::collections)))
            .service(web::resource("/collections/{id}").route(web::get().to(ogc::collection)))
            .service(
                web::resource("/collections/{id}/queryables").route(web::get().to(ogc::queryables)),
            )
            .service(
                web::resource("/collections/{id}/items")
                    .route(web::get().to(ogc::items))
                    .route(web::post().to(ogc::create_item)),
            )
            .service(
                web::resource("/collections/{id}/items/{feature_id}")
                    .route(web::get().to(ogc::item))
                    .route(web::put().to(ogc::write_item))
                    .route(web::patch().to(ogc::write_item))
                    .route(web::delete().to(ogc::delete_item)),
            )
            .default_service(web::to(no_route)),
    )
    .service(
        web::resource("/catalog")
            .route(web::get().to(catalog::catalog))
            .route(web::head().to(catalog::catalog)),
    )
    .service(
        web::resource("/catalog.{suffix}")
            .route(web::get().to(catalog::catalog))
            .route(web::head().to(catalog::catalog)),
    )
    .service(
        SwaggerUi::new("/api/docs/{_:.*}")
            .external_url_unchecked("/api/openapi.json", openapi::document()),
    )
    .default_service(web::to(frontend::serve));
}

/// Builds the server on `listener`; the caller awaits or spawns it.
pub fn build(
    listener: TcpListener,
    state: AppState,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(configure)
            .wrap_fn(|req, srv| {
                // An editor's write that succeeded may have changed the map: built tiles are
                // dropped at once (other processes' writes arrive through the tile cache's
                // listener; people's writes carry their session cookie). Anonymous writes (suggestions, reports) only add pending things the
                // map does not show, so they never empty the cache.
                let writes = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
                    && (req
                        .headers()
                        .contains_key(actix_web::http::header::AUTHORIZATION)
                        || req.cookie(crate::auth::SESSION_COOKIE).is_some());
                let state = writes
                    .then(|| req.app_data::<web::Data<AppState>>().cloned())
                    .flatten();
                let response = srv.call(req);
                async move {
                    let response = response.await?;
                    if let Some(state) = state
                        && response.status().is_success()
                    {
                        // The author's next read (on the replica, if any) and tile request see
                        // the change.
                        state.await_replica().await;
                        state.tiles.sync().await;
                    }
                    Ok(response)
                }
            })
            .wrap_fn(|req, srv| {
                let lang = Lang::from_request(req.headers(), req.query_string());
                let response = srv.call(req);
                async move { Ok(localise(response.await?, lang)) }
            })
            .wrap(
                // On every response, errors included (pages add their Content-Security-Policy).
                middleware::DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin")),
            )
            .wrap(middleware::Compress::default())
            .wrap(TracingLogger::default())
            .wrap(
                actix_cors::Cors::default()
                    .allow_any_origin()
                    .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
                    .allow_any_header()
                    .expose_headers(["ETag", "Link", "Location"])
                    .max_age(3600),
            )
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
