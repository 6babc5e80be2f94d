//! Any demand by its tracking number, from any channel.

use std::future::Future;

use axum::{
    Json,
    extract::{Path, State},
    http::Uri,
};
use guichet_kit::{
    Owner, TrackingNumber,
    demand::access::list_limit,
    grpc::{TracedChannel, datetime, timestamp},
};
use guichet_proto::{
    demand::v1::{
        self as demand_pb, ChangeStatusRequest, GetDemandRequest, ListDemandsRequest,
        ListDemandsResponse, PostMessageRequest, demands_client::DemandsClient,
    },
    names,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::Demand;
use crate::{
    auth::{Agent, Bearer},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{Cursor, Page},
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

/// Every silo that owns demands.
pub(super) const OWNERS: [Owner; 3] = [Owner::Teleservices, Owner::Complaints, Owner::Rapo];

/// Asks every silo the same `Demands` question and merges the answers newest first
/// (then by number, as the silos sort), `limit` at most (as
/// `kit::demand::access::list_limit` reads it); says too whether a silo may hold more.
async fn merged<F, Fut>(
    state: &AppState,
    limit: u32,
    ask: F,
) -> Result<(Vec<demand_pb::Demand>, bool), ApiError>
where
    F: Fn(DemandsClient<TracedChannel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<ListDemandsResponse>, tonic::Status>>,
{
    let limit = usize::try_from(list_limit(limit)).unwrap_or(usize::MAX);
    let (mut demands, mut more) = (Vec::new(), false);
    for owner in OWNERS {
        let answer = ask(state.demands_for(owner))
            .await
            .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
            .into_inner()
            .demands;
        more |= answer.len() >= limit;
        demands.extend(answer);
    }
    demands.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)));
    more |= demands.len() > limit;
    demands.truncate(limit);
    Ok((demands, more))
}

fn sort_key(demand: &demand_pb::Demand) -> (Option<(i64, i32)>, &str) {
    (
        demand.created_at.map(|t| (t.seconds, t.nanos)),
        demand.tracking_number.as_str(),
    )
}

/// [`merged`], as the API shows demands.
pub(super) async fn from_every_silo<F, Fut>(
    state: &AppState,
    limit: u32,
    ask: F,
) -> Result<Vec<Demand>, ApiError>
where
    F: Fn(DemandsClient<TracedChannel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<ListDemandsResponse>, tonic::Status>>,
{
    let (demands, _) = merged(state, limit, ask).await?;
    Ok(demands.into_iter().map(Demand::from).collect())
}

/// One page of a list of every silo's demands (`list` selects whose), newest first,
/// from the query's cursor on.
pub(super) async fn page_of_every_silo(
    state: &AppState,
    bearer: &Bearer,
    uri: Uri,
    list: ListDemandsRequest,
    cursor: &str,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let after = Cursor::parse(cursor)?;
    let request = ListDemandsRequest {
        before_created_at: after.as_ref().map(|c| timestamp(c.at)),
        before_number: after.map(|c| c.key).unwrap_or_default(),
        ..list
    };
    let (demands, more) = merged(state, request.limit, |mut silo| {
        let request = bearer.request(request.clone());
        async move { silo.list_demands(request).await }
    })
    .await?;
    let next = demands.last().filter(|_| more).and_then(|last| {
        Some(Cursor {
            at: datetime(last.created_at.as_ref()?)?,
            key: last.tracking_number.clone(),
        })
    });
    Ok(Page {
        items: demands.into_iter().map(Demand::from).collect(),
        next,
        uri,
    })
}

/// A tracking number as typed (case, dashes and look-alikes forgiven), or 400 naming
/// the field. The one parser every route taking a number uses.
pub(super) fn parse_number(input: &str) -> Result<TrackingNumber, ApiError> {
    TrackingNumber::parse(input).map_err(|_| {
        ApiError::bad_field(
            "invalid_tracking_number",
            "tracking_number",
            "Ce numéro de suivi n'est pas valide : vérifiez chaque caractère.",
        )
    })
}

/// A number of `owner`'s silo, canonical; another silo's number answers as an unknown
/// one would.
pub(super) fn number_of(input: &str, owner: Owner) -> Result<String, ApiError> {
    let number = parse_number(input)?;
    if number.owner() == owner {
        Ok(number.to_string())
    } else {
        Err(ApiError::not_found("demand_not_found"))
    }
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
