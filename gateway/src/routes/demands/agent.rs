//! Demands for agents: changing a status, a department's list of every kind.

use axum::{
    Json,
    extract::{Path, State},
    http::Uri,
};
use guichet_proto::{
    demand::v1::{ChangeStatusRequest, ListDemandsRequest},
    names,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{page_of_every_silo, parse_number};
use crate::routes::dto::Demand;
use crate::{
    auth::Agent,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::Page,
    state::AppState,
};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatusChange {
    /// `received`, `in_progress` (take it), `awaiting_resident` (ask the resident),
    /// `resolved` (accept), `rejected`, `closed`.
    pub status: String,
    /// A finer status the demand's service defines.
    pub sub_status: String,
    /// Required to reject and to ask the resident: shown to them.
    pub reason: String,
}

/// An agent handling a demand moves it on; each change is in the timeline and heard
/// by the resident and the department's feed.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/status",
    tag = "agent",
    params(("tracking_number" = String, Path)),
    request_body = StatusChange,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_status(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<StatusChange>,
) -> Result<Json<Demand>, ApiError> {
    let number = parse_number(&tracking_number)?;
    let status = names::parse_status(body.status.trim()).ok_or_else(|| {
        ApiError::bad_field(
            "validation_failed",
            "status",
            "Statut inconnu : received, in_progress, awaiting_resident, resolved, rejected ou closed.",
        )
    })?;
    let demand = state
        .demands_for(number.owner())
        .change_status(agent.bearer().request(ChangeStatusRequest {
            tracking_number: number.to_string(),
            author: None,
            channel: 0,
            status: status as i32,
            sub_status: body.sub_status,
            reason: body.reason,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DepartmentQuery {
    /// One of the agent's departments.
    pub department: String,
    /// At most this many (50 unless asked, 200 at most).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// A department's demands of every kind (teleservices, complaints, RAPO), newest
/// first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/agent/demands",
    tag = "agent",
    params(DepartmentQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Demand>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn agent_list(
    agent: Agent,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<DepartmentQuery>,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let list = ListDemandsRequest {
        department: query.department,
        limit: query.limit,
        ..ListDemandsRequest::default()
    };
    page_of_every_silo(&state, agent.bearer(), uri, list, &query.cursor).await
}
