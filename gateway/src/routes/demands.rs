//! Any demand by its tracking number, from any channel.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, Path, State},
};
use guichet_kit::TrackingNumber;
use guichet_proto::demand::v1::GetDemandRequest;

use super::dto::Demand;
use crate::{
    auth::Bearer,
    error::{ApiError, Problem},
    state::AppState,
};

/// A demand with its status and timeline. Lookups are rate limited per client; a
/// number that does not exist and one that is not yours answer the same. A signed-in
/// caller sends their token; the owning service decides what they may see.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}",
    tag = "demands",
    params(("tracking_number" = String, Path, description = "As given at filing; case, dashes and O/0, I/L/1 confusions are forgiven")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_demand(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(tracking_number): Path<String>,
) -> Result<Json<Demand>, ApiError> {
    state.check_lookup(client.ip())?;
    let number = TrackingNumber::parse(&tracking_number).map_err(|_| {
        ApiError::bad_field(
            "invalid_tracking_number",
            "tracking_number",
            "Ce numéro de suivi n'est pas valide : vérifiez chaque caractère.",
        )
    })?;
    let demand = state
        .demands_for(number.owner())
        .get_demand(bearer.request(GetDemandRequest {
            tracking_number: number.to_string(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}
