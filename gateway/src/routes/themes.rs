//! Themes agents' tabs are made of (administrators), and attributes checked on a
//! document at a counter (counter agents).

use axum::{
    Json,
    extract::{Path, State},
};
use guichet_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::identity_dto::{NoStore, Profile};
use crate::{
    auth::{Admin, Agent},
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// A theme: a complaint category, a teleservice theme, RAPO.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Theme {
    /// `complaint:NID_DE_POULE`, `teleservice:ETAT_CIVIL`, `rapo`.
    pub code: String,
    pub label: String,
    /// Order of the tab.
    pub position: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Themes {
    pub themes: Vec<Theme>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ThemeUpdate {
    pub label: String,
    pub position: u32,
}

/// The themes teleservices and complaints are grouped by, with their French labels, in
/// the city's order: what the portal shows its catalogue under. Codes are
/// `teleservice:<theme>` (a catalogue entry's `theme`), `complaint:<category>`, `rapo`.
#[utoipa::path(
    get,
    path = "/api/v1/themes",
    tag = "teleservices",
    responses(
        (status = 200, body = Themes, headers(("ETag" = String))),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn public_themes(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    let themes = all_themes(&state, tonic::Request::new(pb::ListThemesRequest {})).await?;
    Ok(crate::cache::tagged(&headers, &themes))
}

async fn all_themes(
    state: &AppState,
    request: tonic::Request<pb::ListThemesRequest>,
) -> Result<Themes, ApiError> {
    let themes = state
        .staff
        .clone()
        .list_themes(request)
        .await
        .map_err(|s| ApiError::from_status(s, "theme_not_found"))?
        .into_inner()
        .themes;
    Ok(Themes {
        themes: themes
            .into_iter()
            .map(|t| Theme {
                code: t.code,
                label: t.label,
                position: t.position,
            })
            .collect(),
    })
}

/// Every theme departments can handle.
#[utoipa::path(
    get,
    path = "/api/v1/admin/themes",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Themes),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_themes(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Themes>, ApiError> {
    Ok(Json(
        all_themes(&state, admin.bearer().request(pb::ListThemesRequest {})).await?,
    ))
}

/// Creates or renames a theme.
#[utoipa::path(
    put,
    path = "/api/v1/admin/themes/{code}",
    tag = "admin",
    params(("code" = String, Path, description = "Theme code (`complaint:NID_DE_POULE`)")),
    request_body = ThemeUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Theme),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_theme(
    admin: Admin,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ThemeUpdate>,
) -> Result<Json<Theme>, ApiError> {
    let request = pb::UpsertThemeRequest {
        theme: Some(pb::Theme {
            code,
            label: body.label,
            position: body.position,
        }),
    };
    let theme = state
        .staff
        .clone()
        .upsert_theme(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "theme_not_found"))?
        .into_inner();
    Ok(Json(Theme {
        code: theme.code,
        label: theme.label,
        position: theme.position,
    }))
}

/// An attribute a counter agent checked on a document.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Certification {
    /// `family_name`, `birthdate`, `address`…
    pub name: String,
    pub value: String,
}

/// Certifies a resident's attribute after checking a document at the counter (only
/// from a counter device's session).
#[utoipa::path(
    post,
    path = "/api/v1/agent/residents/{account_id}/certify",
    tag = "agent",
    params(("account_id" = String, Path, description = "The resident's account")),
    request_body = Certification,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn certify(
    agent: Agent,
    State(state): State<AppState>,
    Path(account_id): Path<String>,
    ApiJson(body): ApiJson<Certification>,
) -> Result<NoStore<Profile>, ApiError> {
    let request = pb::CertifyAttributeRequest {
        account_id,
        name: body.name,
        value: body.value,
    };
    let profile = state
        .accounts
        .clone()
        .certify_attribute(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(NoStore(profile.into()))
}
