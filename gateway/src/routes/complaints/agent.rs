//! Complaints for agents: reassigning, merging a duplicate, the supervisors' overdue
//! list, and the desk's search for a resident or a demand.

use axum::{
    Json,
    extract::{Path, State},
    http::Uri,
};
use guichet_kit::{Owner, TrackingNumber};
use guichet_proto::{
    complaints::v1 as pb, demand::v1::SearchDemandsRequest, identity::v1::FindResidentsRequest,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::routes::demands::{after_due, due_cursor, from_every_silo, number_of};
use crate::routes::dto::Demand;
use crate::{
    auth::Agent,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Page},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Reassignment {
    /// The department that will handle it (`ECLAIRAGE`).
    pub department: String,
    /// Why: shown in the timeline.
    pub reason: String,
}

/// Sends a complaint to another department, with the reason (timeline and event).
#[utoipa::path(
    post,
    path = "/api/v1/agent/complaints/{tracking_number}/reassign",
    tag = "agent",
    params(("tracking_number" = String, Path)),
    request_body = Reassignment,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reassign(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<Reassignment>,
) -> Result<Json<Demand>, ApiError> {
    let demand = state
        .complaints
        .clone()
        .reassign(agent.bearer().request(pb::ReassignRequest {
            tracking_number: number_of(&tracking_number, Owner::Complaints)?,
            department: body.department,
            reason: body.reason,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MergeBody {
    /// Tracking number of the complaint kept; the one in the path is closed as its
    /// duplicate.
    pub into: String,
}

/// Merges a duplicate into the complaint kept: the duplicate is closed (`duplicate`),
/// its author and followers follow the kept one and hear its outcome.
#[utoipa::path(
    post,
    path = "/api/v1/agent/complaints/{tracking_number}/merge",
    tag = "agent",
    params(("tracking_number" = String, Path, description = "The duplicate")),
    request_body = MergeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand, description = "The complaint kept"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Demand>, ApiError> {
    let demand = state
        .complaints
        .clone()
        .merge(agent.bearer().request(pb::MergeRequest {
            duplicate: number_of(&tracking_number, Owner::Complaints)?,
            kept: body.into,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct OverdueQuery {
    /// One department; every department the supervisor sees when absent.
    pub department: String,
    /// At most (default 50, at most 200).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// Supervisors: open complaints past their service-level date, most overdue first. MRU
/// supervisors see the whole city.
#[utoipa::path(
    get,
    path = "/api/v1/agent/complaints/overdue",
    tag = "agent",
    params(OverdueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Demand>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn overdue(
    agent: Agent,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<OverdueQuery>,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let (after_due_at, after_number) = after_due(&query.cursor)?;
    let size = page::size(query.limit, 50, 200);
    let listed = state
        .complaints
        .clone()
        .list_overdue(agent.bearer().request(pb::ListOverdueRequest {
            department: query.department,
            limit: size,
            after_due_at,
            after_number,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let next = page::next_after(&listed.demands, size, |last| {
        due_cursor(last.due_at.as_ref(), &last.tracking_number)
    });
    Ok(Page {
        items: listed.demands.into_iter().map(Demand::from).collect(),
        next,
        uri,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchQuery {
    /// A tracking number, a name, an e-mail address or a phone number.
    pub q: String,
}

/// A resident's account the desk may file for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentMatch {
    /// Send as `resident_id` when filing on their behalf.
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Accounts matching the query (name, e-mail, phone).
    pub residents: Vec<ResidentMatch>,
    /// Demands matching the query or filed by those accounts, newest first.
    pub demands: Vec<Demand>,
}

/// The desk finds any demand by tracking number, resident name, e-mail or phone, and
/// the residents' accounts to file for. Every lookup is audited.
#[utoipa::path(
    get,
    path = "/api/v1/agent/search",
    tag = "agent",
    params(SearchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    agent: Agent,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let q = query.q.trim().to_owned();
    // A tracking number names one demand: no account to look for.
    let residents = if TrackingNumber::parse(&q).is_ok() {
        Vec::new()
    } else {
        state
            .staff
            .clone()
            .find_residents(agent.bearer().request(FindResidentsRequest {
                query: q.clone(),
                limit: 0,
            }))
            .await
            .map_err(|s| ApiError::from_status(s, "account_not_found"))?
            .into_inner()
            .residents
    };
    let resident_ids: Vec<String> = residents.iter().map(|r| r.account_id.clone()).collect();
    // Every silo answers the same search over what the agent reaches.
    let demands = from_every_silo(&state, 0, |mut silo| {
        let request = agent.bearer().request(SearchDemandsRequest {
            query: q.clone(),
            resident_ids: resident_ids.clone(),
            limit: 0,
        });
        async move { silo.search_demands(request).await }
    })
    .await?;
    Ok(Json(SearchResults {
        residents: residents
            .into_iter()
            .map(|r| ResidentMatch {
                account_id: r.account_id,
                name: r.name,
                email: r.email,
                phone: r.phone,
            })
            .collect(),
        demands,
    }))
}
