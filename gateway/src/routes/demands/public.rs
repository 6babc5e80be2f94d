//! Any demand, for its owner, whoever holds its number, or an agent handling it:
//! reading it, its dossier, writing a message.

use axum::{
    Json,
    extract::{Path, State},
};
use guichet_proto::demand::v1::{GetDemandRequest, PostMessageRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::parse_number;
use crate::routes::dto::Demand;
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, Problem},
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
    Path(tracking_number): Path<String>,
) -> Result<Json<Demand>, ApiError> {
    read(
        &state,
        &bearer,
        &tracking_number,
        GetDemandRequest::default(),
    )
    .await
}

/// Asks the owning silo for one demand (with `proof`, the contact a holder gives).
async fn read(
    state: &AppState,
    bearer: &Bearer,
    tracking_number: &str,
    proof: GetDemandRequest,
) -> Result<Json<Demand>, ApiError> {
    let number = parse_number(tracking_number)?;
    let demand = state
        .demands_for(number.owner())
        .get_demand(bearer.request(GetDemandRequest {
            tracking_number: number.to_string(),
            ..proof
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

/// The contact left when filing without an account, given back as proof.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContactProof {
    /// The e-mail given at filing (case does not matter)…
    pub email: String,
    /// …or the phone number (any French form).
    pub phone: String,
}

/// A demand filed without an account, with its dossier (what was written, the
/// contact, the files) for whoever gives the e-mail or phone left at filing. A wrong
/// contact answers as an unknown number does. Signed-in owners and agents get the
/// dossier from `GET /api/v1/demands/{tracking_number}` already.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/dossier",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    request_body = ContactProof,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dossier(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(proof): ApiJson<ContactProof>,
) -> Result<Json<Demand>, ApiError> {
    let demand = read(
        &state,
        &bearer,
        &tracking_number,
        GetDemandRequest {
            tracking_number: String::new(),
            email: proof.email,
            phone: proof.phone,
        },
    )
    .await?;
    if demand.dossier.is_none() {
        return Err(ApiError::not_found("demand_not_found"));
    }
    Ok(demand)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewMessage {
    /// 1 to 4,000 characters.
    pub text: String,
}

/// Writes in a demand's timeline: the resident who owns it (or holds the number of one
/// filed without account), or an agent handling it. A resident's answer to a request
/// for information hands the demand back to the agents.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/messages",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    request_body = NewMessage,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn post_message(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<Json<Demand>, ApiError> {
    let number = parse_number(&tracking_number)?;
    let demand = state
        .demands_for(number.owner())
        .post_message(bearer.request(PostMessageRequest {
            tracking_number: number.to_string(),
            author: None,
            channel: 0,
            text: body.text,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}
