//! Every HTTP route, grouped by area, and the OpenAPI document generated from them.
//!
//! Each silo (`complaints`, `demands`, `rapo`, `teleservices`) is a folder split by who
//! calls: `public` (anyone, with an account or without), `resident` (signed in),
//! `agent`, `admin`; its `mod.rs` holds the shapes and steps they share, and its routes.

mod admin;
mod agent;
mod announcements;
mod complaints;
mod demands;
mod devices;
mod dto;
mod franceconnect;
mod health;
mod identity_dto;
mod keys;
mod me;
mod notifications;
mod open311;
mod open311_format;
// Residents' pages until the portal exists; they call the API's own handlers.
mod pages;
mod places;
mod privacy;
mod problems;
mod rapo;
mod residents;
mod sse;
mod teleservices;
mod themes;

use axum::{Json, Router, http::Request, middleware, routing::get};
use tower_http::trace::TraceLayer;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guichet API",
        description = "Le guichet unique de la ville : démarches, doléances et recours, sur tous les canaux.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Comptes des usagers : inscription, connexion, mot de passe"),
        (name = "me", description = "Le profil de l'usager connecté"),
        (name = "teleservices", description = "Démarches en ligne : catalogue, formulaires, brouillons, pièces jointes, dépôt"),
        (name = "complaints", description = "Doléances sur l'espace public"),
        (name = "rapo", description = "Recours contre les forfaits post-stationnement (RAPO)"),
        (name = "demands", description = "Suivi de toute demande par son numéro"),
        (name = "agent", description = "Intranet des agents"),
        (name = "admin", description = "Administration : services, agents, appareils, journal d'audit"),
        (name = "devices", description = "Bornes, guichets, postes téléphoniques et applications mobiles"),
        (name = "keys", description = "Clés publiques de vérification des jetons"),
        (name = "announcements", description = "Annonces de la ville (JSON et Atom)"),
        (name = "city", description = "La ville : nom, apparence, coordonnées, carte")
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the routes' `security` refers to.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}

fn api() -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(complaints::routes())
        .merge(demands::routes())
        .routes(routes!(agent::feed))
        .routes(routes!(sse::feed_stream))
        .routes(routes!(notifications::unread))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::deliveries))
        .routes(routes!(
            notifications::get_settings,
            notifications::set_settings
        ))
        .routes(routes!(notifications::messages))
        .routes(routes!(notifications::rate, notifications::rating))
        .routes(routes!(notifications::satisfaction))
        .routes(routes!(notifications::figures))
        .routes(routes!(announcements::list_all, announcements::publish))
        .routes(routes!(announcements::withdraw))
        .routes(routes!(announcements::list))
        .routes(routes!(announcements::get))
        .routes(routes!(announcements::atom))
        .routes(routes!(residents::sign_up))
        .routes(routes!(residents::verify_email))
        .routes(routes!(residents::login))
        .routes(routes!(residents::refresh))
        .routes(routes!(residents::logout))
        .routes(routes!(residents::request_password_reset))
        .routes(routes!(residents::confirm_password_reset))
        .routes(routes!(me::get_profile, me::update_profile, privacy::erase))
        .routes(routes!(privacy::my_demands))
        .routes(routes!(privacy::claim))
        .routes(routes!(privacy::export))
        .routes(routes!(themes::list_themes))
        .routes(routes!(themes::upsert_theme))
        .routes(routes!(themes::certify))
        .routes(routes!(me::add_business))
        .routes(routes!(me::sessions))
        .routes(routes!(me::end_session))
        .routes(routes!(agent::login))
        .routes(routes!(agent::tabs, agent::set_tabs))
        .routes(routes!(admin::list_departments))
        .routes(routes!(agent::departments))
        .routes(routes!(admin::upsert_department))
        .routes(routes!(admin::list_agents, admin::create_agent))
        .routes(routes!(admin::get_agent, admin::update_agent))
        .routes(routes!(admin::list_devices, admin::register_device))
        .routes(routes!(admin::get_device, admin::revoke_device))
        .routes(routes!(admin::audit))
        .routes(routes!(devices::login))
        .routes(routes!(devices::register_app))
        .routes(routes!(devices::me))
        .routes(routes!(keys::jwks))
        .routes(routes!(crate::portal::city))
        .routes(routes!(themes::public_themes))
        .routes(routes!(places::contact_points))
        .routes(routes!(places::contact_point))
        .routes(routes!(
            places::upsert_contact_point,
            places::delete_contact_point
        ))
        .routes(routes!(franceconnect::login))
        .routes(routes!(franceconnect::link))
        .routes(routes!(franceconnect::callback))
        .routes(routes!(franceconnect::logout))
        .routes(routes!(franceconnect::logged_out))
        .merge(teleservices::routes())
        .merge(rapo::routes());
    problems::document(api.get_openapi_mut());
    api
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// Every route with its middleware. Fails on settings that cannot be applied (a
/// mistyped origin).
pub fn router(state: AppState, http: &crate::HttpConfig) -> anyhow::Result<Router> {
    let edge = crate::web::Edge::new(http, state.proxies.clone())?;
    let (api, doc) = api().split_for_parts();
    let doc = Json(doc);
    Ok(Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { doc.clone() }),
        )
        // The same document, browsable, with nothing loaded from another site.
        .route("/api/docs", get(crate::web::docs_page))
        .route("/api/docs/docs.js", get(crate::web::docs_script))
        .route("/api/docs/docs.css", get(crate::web::docs_style))
        .merge(api)
        // Open311 GeoReport v2 speaks its own formats, outside `/api/v1` and its document.
        .merge(open311::router())
        .merge(pages::router(state.portal.is_some()))
        // Inside routing, where the matched route is known.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::limits::writes,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), deadline))
        .route_layer(middleware::from_fn(name_route))
        // After the route layers, so a refused method counts as no write and waits for
        // nothing: a problem, with the `Allow` header the router adds.
        .method_not_allowed_fallback(crate::web::method_not_allowed)
        .fallback(fallback)
        // Write limits and deadlines under `/open311/v2` answer in Open311's formats.
        .layer(middleware::from_fn(open311::errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::client::real_address,
        ))
        // Preflights are answered here, before any limit counts them.
        .layer(middleware::from_fn_with_state(
            edge.clone(),
            crate::web::cors,
        ))
        .layer(middleware::from_fn(crate::web::trace_response))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                // The route is recorded once matched (`name_route`): the raw path holds
                // tracking numbers and tokens, which are credentials.
                let id = crate::request_id::current();
                let span = tracing::info_span!(
                    "http request",
                    otel.kind = "server",
                    otel.status_code = tracing::field::Empty,
                    http.method = %request.method(),
                    http.route = tracing::field::Empty,
                    http.response.status_code = tracing::field::Empty,
                    request_id = id.map(tracing::field::display),
                );
                guichet_kit::telemetry::adopt_http(&span, request.headers());
                span
            }),
        )
        // Outermost, so every answer gets the request id and the security headers,
        // those made by the layers above included.
        .layer(middleware::from_fn_with_state(edge, crate::web::stamp))
        .with_state(state))
}

/// What no route took: a page or file of the front end, or a `404` problem.
async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match state.portal {
        Some(portal) if portal.serves(&request) => portal.serve(request).await,
        _ => health::not_found().await.into_response(),
    }
}

/// Routes that stream for as long as the client listens: no deadline.
const STREAMS: &[&str] = &["/api/v1/agent/feed/stream"];

/// Answers `504` with `Retry-After` when a request outlives `timeouts.request_seconds`,
/// whatever hangs behind it. A form upload goes at the client's pace instead: a phone
/// on a slow network may take minutes to send its photos, and every wait of its own is
/// bounded already (a part silent for `upload::IDLE`, its turn in the upload budget,
/// each service call's deadline).
async fn deadline(
    axum::extract::State(state): axum::extract::State<AppState>,
    route: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if STREAMS.contains(&route.as_str()) || crate::upload::is_form(request.headers()) {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            crate::error::ApiError::gateway_timeout().into_response()
        }
    }
}

/// Names the request's span after its matched route (`/api/v1/demands/{tracking_number}`),
/// never its path, records its status there, and counts it in
/// `http.server.request.duration` under that route.
async fn name_route(
    route: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let span = tracing::Span::current();
    span.record("http.route", route.as_str());
    let method = request.method().clone();
    guichet_kit::telemetry::rename(&span, || format!("{method} {}", route.as_str()));
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    if guichet_kit::telemetry::exporting() {
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
    }
    guichet_kit::metrics::http_request(&method, route.as_str(), status.as_u16(), started.elapsed());
    response
}
