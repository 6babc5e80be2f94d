//! Liveness and readiness for operators and Kubernetes probes.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use futures::future::join_all;
use serde_json::{Map, Value, json};

use crate::{error::ApiError, state::AppState};

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready only when every service answers its gRPC health check.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = state.services.iter().map(|(name, channel)| async move {
        (*name, guichet_kit::grpc::is_serving(channel.clone()).await)
    });
    let results = join_all(checks).await;
    let ready = results.iter().all(|(_, up)| *up);
    let services: Map<String, Value> = results
        .into_iter()
        .map(|(name, up)| {
            (
                name.to_owned(),
                Value::from(if up { "serving" } else { "unavailable" }),
            )
        })
        .collect();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"status": if ready { "ready" } else { "not_ready" }, "services": services})),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "Cette adresse n'existe pas.",
    )
}
