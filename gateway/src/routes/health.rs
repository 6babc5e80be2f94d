//! Liveness and readiness for operators and Kubernetes probes.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use futures::future::join_all;
use serde_json::{Map, Value, json};

use crate::{error::ApiError, state::AppState};

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The gateway's own readiness: it serves as long as it runs, so one silo down never
/// takes the whole API out of the load balancer; the routes of a service that is down
/// answer `503` on their own. Each service's health (which follows its database and
/// broker) is reported beside it, for operators.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = state.services.iter().map(|(name, channel)| async move {
        (*name, guichet_kit::grpc::is_serving(channel.clone()).await)
    });
    let results = join_all(checks).await;
    let all_up = results.iter().all(|(_, up)| *up);
    let services: Map<String, Value> = results
        .into_iter()
        .map(|(name, up)| {
            (
                name.to_owned(),
                Value::from(if up { "serving" } else { "unavailable" }),
            )
        })
        .collect();
    (
        StatusCode::OK,
        Json(json!({"status": if all_up { "ready" } else { "degraded" }, "services": services})),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "Cette adresse n'existe pas.",
    )
}
