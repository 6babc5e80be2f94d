//! Teleservices for form designers (agents): building, reading, piloting and publishing.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use guichet_proto::teleservices::v1 as pb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{VersionQuery, is_zero, teleservice_error};
use crate::routes::dto::Created;
use crate::{
    auth::Agent,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
};

/// A teleservice as its designers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Teleservice {
    pub slug: String,
    /// `draft`, `pilot`, `published` or `retired`.
    pub state: String,
    /// The version residents fill (absent before the first pilot or publication).
    pub live_version: Option<u32>,
    /// The version being edited, if any.
    pub draft_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot: Option<Pilot>,
    /// Which version `definition` is.
    pub version: Option<u32>,
    /// Null when the version asked for has none (no draft being edited, say).
    #[schema(value_type = Option<Object>)]
    pub definition: Value,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Who may use a piloted teleservice.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Pilot {
    /// `agents`, `cohort` or `percentage`.
    pub mode: String,
    /// Account ids of the cohort.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub residents: Vec<String>,
    /// 1 to 99: share of residents, always the same ones.
    #[serde(skip_serializing_if = "is_zero")]
    pub percentage: u32,
}

impl From<pb::Teleservice> for Teleservice {
    fn from(t: pb::Teleservice) -> Self {
        let some = |n: u32| (n > 0).then_some(n);
        Self {
            live_version: some(t.live_version),
            draft_version: some(t.draft_version),
            version: some(t.version),
            pilot: t.pilot.map(|p| Pilot {
                mode: p.mode,
                residents: p.residents,
                percentage: p.percentage,
            }),
            definition: serde_json::from_str(&t.definition_json).unwrap_or_default(),
            updated_at: t.updated_at.as_ref().and_then(guichet_kit::grpc::datetime),
            slug: t.slug,
            state: t.state,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StateChange {
    /// `pilot`, `published` or `retired`.
    pub state: String,
    /// Required for `pilot`.
    pub pilot: Option<Pilot>,
}

/// Every teleservice in every state: the form designers' list.
#[utoipa::path(
    get,
    path = "/api/v1/agent/teleservices",
    tag = "agent",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Teleservice>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
pub async fn designer_list(
    agent: Agent,
    State(state): State<AppState>,
) -> Result<Json<Vec<Teleservice>>, ApiError> {
    let list = state
        .teleservices
        .clone()
        .list_teleservices(
            agent
                .bearer()
                .request(pb::ListTeleservicesRequest { all: true }),
        )
        .await
        .map_err(teleservice_error)?
        .into_inner()
        .teleservices;
    Ok(Json(list.into_iter().map(Teleservice::from).collect()))
}

/// Saves a definition: creates the teleservice, or a new draft version of a published
/// one (what residents fill does not change until it is published), or replaces the
/// current draft. An invalid definition is refused with the path of each fault.
#[utoipa::path(
    post,
    path = "/api/v1/agent/teleservices",
    tag = "agent",
    request_body(content = Object, description = "The definition: slug, title, theme, department, description, audience, channels, sla_days, sub_statuses, pages"),
    params(("If-None-Match" = Option<String>, Header, description = "`*`: create only; a slug already taken is refused (422 on `slug`) instead of saving a new draft of that teleservice")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An existing teleservice's draft saved", body = Teleservice),
        (status = 201, description = "The teleservice created", body = Teleservice),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_definition(
    agent: Agent,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(definition): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let create_only = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"*");
    let saved = state
        .teleservices
        .clone()
        .save_definition(agent.bearer().request(pb::SaveDefinitionRequest {
            definition_json: definition.to_string(),
            create_only,
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(if saved.created {
        let location = format!("/api/v1/agent/teleservices/{}", saved.slug);
        Created(location, Json(Teleservice::from(saved))).into_response()
    } else {
        Json(Teleservice::from(saved)).into_response()
    })
}

/// A teleservice for its designers: the live version, the draft, or any version.
#[utoipa::path(
    get,
    path = "/api/v1/agent/teleservices/{slug}",
    tag = "agent",
    params(("slug" = String, Path), VersionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Teleservice, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn designer_get(
    agent: Agent,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Response, ApiError> {
    let t = state
        .teleservices
        .clone()
        .get_definition(agent.bearer().request(pb::GetDefinitionRequest {
            slug,
            version: query.version,
            draft: query.draft,
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(crate::cache::tagged(&headers, &Teleservice::from(t)))
}

/// Pilots (agents, a cohort or a stable percentage of residents), publishes or retires
/// a teleservice. Piloting or publishing freezes the draft version; demands already
/// filed keep the version they were filled with.
#[utoipa::path(
    post,
    path = "/api/v1/agent/teleservices/{slug}/state",
    tag = "agent",
    params(("slug" = String, Path)),
    request_body = StateChange,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Teleservice),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_state(
    agent: Agent,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<StateChange>,
) -> Result<Json<Teleservice>, ApiError> {
    let t = state
        .teleservices
        .clone()
        .change_state(agent.bearer().request(pb::ChangeStateRequest {
            slug,
            state: body.state,
            pilot: body.pilot.map(|p| pb::Pilot {
                mode: p.mode,
                residents: p.residents,
                percentage: p.percentage,
            }),
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(Json(Teleservice::from(t)))
}
