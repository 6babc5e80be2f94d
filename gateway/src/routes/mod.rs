//! Every HTTP route, grouped by area, and the OpenAPI document generated from them.

mod agent;
mod complaints;
mod demands;
mod dto;
mod health;

use axum::{Json, Router, http::Request, routing::get};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guichet API",
        description = "Le guichet unique de la ville : démarches, doléances et recours, sur tous les canaux.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "complaints", description = "Doléances sur l'espace public"),
        (name = "demands", description = "Suivi de toute demande par son numéro"),
        (name = "agent", description = "Intranet des agents")
    )
)]
struct ApiDoc;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(complaints::list_categories))
        .routes(routes!(complaints::file_complaint))
        .routes(routes!(demands::get_demand))
        .routes(routes!(agent::feed))
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = api().split_for_parts();
    let doc = Json(doc);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { doc.clone() }),
        )
        .merge(api)
        .fallback(health::not_found)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let span = tracing::info_span!(
                    "http request",
                    otel.kind = "server",
                    http.method = %request.method(),
                    http.route = %request.uri().path(),
                );
                guichet_kit::telemetry::adopt_http(&span, request.headers());
                span
            }),
        )
        .with_state(state)
}
