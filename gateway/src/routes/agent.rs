//! The agents' intranet: signing in, the tabs of their departments, and the live feed
//! of what concerns them. Everything but the login takes a verified agent token
//! (`Agent`); the services called check it again.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::Uri,
};
use guichet_kit::grpc::{datetime, timestamp};
use guichet_proto::{identity::v1 as pb, notifications::v1::ListFeedRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    dto::{Feed, FeedItem},
    identity_dto::{AgentLogin, Departments, NoStore, TabPreferences, Tabs, Tokens},
};
use crate::{
    auth::{Agent, Bearer},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Cursor, Page},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct FeedQuery {
    /// Comma-separated department codes (`VOIRIE,PROPRETE`); empty for all.
    pub department: String,
    /// Items to return, newest first (default 50, at most 500).
    pub limit: u32,
    /// Only the items of this tab: a theme (`complaint:NID_DE_POULE`) or a department.
    pub tab: String,
    /// Only the items not marked read.
    pub unread: bool,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// Recent feed items of the given departments, with the agent's read marks.
#[utoipa::path(
    get,
    path = "/api/v1/agent/feed",
    tag = "agent",
    params(FeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Feed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn feed(
    agent: Agent,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Page<Feed>, ApiError> {
    let after = Cursor::parse(&query.cursor)?;
    let size = page::size(query.limit, 50, 500);
    let departments = query
        .department
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let request = ListFeedRequest {
        departments,
        limit: size,
        tab: query.tab,
        unread_only: query.unread,
        before_at: after.as_ref().map(|c| timestamp(c.at)),
        // A key that is no position resumes nowhere.
        before_seq: after.map_or(0, |c| c.key.parse().unwrap_or(0)),
    };
    let items = state
        .feed
        .clone()
        .list_feed(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .items;
    let next = page::next_after(&items, size, |last| {
        Some(Cursor {
            at: datetime(last.at.as_ref()?)?,
            key: last.seq.to_string(),
        })
    });
    Ok(Page {
        items: Feed {
            items: items.into_iter().map(FeedItem::from).collect(),
        },
        next,
        uri,
    })
}

/// Opens an agent's session with their own login. On a counter or phone-desk
/// workstation, send the device's token as `Authorization: Bearer …`: the session then
/// belongs to that channel. Repeated failures are slowed down (429).
#[utoipa::path(
    post,
    path = "/api/v1/agent/login",
    operation_id = "agent_login",
    tag = "agent",
    request_body = AgentLogin,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Tokens, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, description = "Wrong login or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
pub async fn login(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<AgentLogin>,
) -> Result<NoStore<Tokens>, ApiError> {
    let request = pb::AgentLoginRequest {
        login: body.login,
        password: body.password,
        client: Some(bearer.client(peer)),
    };
    let tokens = state
        .staff
        .clone()
        .agent_login(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner();
    Ok(NoStore(tokens.into()))
}

/// Every department of the city (code, French name, themes): what the intranet shows
/// for a code, and where a complaint can be reassigned.
#[utoipa::path(
    get,
    path = "/api/v1/agent/departments",
    tag = "agent",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Departments),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn departments(
    agent: Agent,
    State(state): State<AppState>,
) -> Result<Json<Departments>, ApiError> {
    super::admin::departments(
        &state,
        agent.bearer().request(pb::ListDepartmentsRequest {}),
    )
    .await
}

/// The agent's tabs: the themes and views of their departments, in their order.
#[utoipa::path(
    get,
    path = "/api/v1/agent/tabs",
    tag = "agent",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Tabs),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tabs(agent: Agent, State(state): State<AppState>) -> Result<Json<Tabs>, ApiError> {
    let tabs = state
        .staff
        .clone()
        .get_tabs(agent.bearer().request(pb::GetTabsRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner();
    Ok(Json(tabs.into()))
}

/// Reorders and hides tabs; answers the tabs as they now are.
#[utoipa::path(
    put,
    path = "/api/v1/agent/tabs",
    tag = "agent",
    request_body = TabPreferences,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Tabs),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_tabs(
    agent: Agent,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TabPreferences>,
) -> Result<Json<Tabs>, ApiError> {
    let request = pb::SetTabPreferencesRequest {
        preferences: body
            .preferences
            .into_iter()
            .map(|p| pb::TabPreference {
                code: p.code,
                position: p.position,
                hidden: p.hidden,
            })
            .collect(),
    };
    let tabs = state
        .staff
        .clone()
        .set_tab_preferences(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner();
    Ok(Json(tabs.into()))
}
