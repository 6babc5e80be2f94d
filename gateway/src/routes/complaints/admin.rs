//! Complaints for administrators: the categories and the Open311 API keys.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use guichet_kit::grpc::datetime;
use guichet_proto::complaints::v1::{self as pb, ListCategoriesRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::routes::dto::{Category, Created};
use crate::{
    auth::Admin,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// A category as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCategory {
    #[serde(flatten)]
    pub category: Category,
    pub active: bool,
}

/// Every complaint category, inactive ones included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/complaints/categories",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<AdminCategory>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn admin_categories(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<AdminCategory>>, ApiError> {
    let categories = state
        .complaints
        .clone()
        .list_categories(admin.bearer().request(ListCategoriesRequest {
            include_inactive: true,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .categories;
    Ok(Json(
        categories
            .into_iter()
            .map(|c| AdminCategory {
                active: c.active,
                category: Category::from(c),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CategoryEdit {
    pub label: String,
    /// Department new complaints of this category are routed to.
    pub department: String,
    /// Service-level target, days.
    pub sla_days: u32,
    /// Offered to residents.
    pub active: bool,
    /// `P1`, `P2` (default), `P3`.
    pub priority: String,
    /// `commune` (default), `metropole`, `partagee`.
    pub competence: String,
}

/// Creates or edits a complaint category. Complaints already filed keep their
/// department.
#[utoipa::path(
    put,
    path = "/api/v1/admin/complaints/categories/{code}",
    tag = "admin",
    params(("code" = String, Path)),
    request_body = CategoryEdit,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminCategory),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_category(
    admin: Admin,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<CategoryEdit>,
) -> Result<Json<AdminCategory>, ApiError> {
    let saved = state
        .complaints
        .clone()
        .upsert_category(admin.bearer().request(pb::UpsertCategoryRequest {
            category: Some(pb::Category {
                code,
                label: body.label,
                department: body.department,
                priority: body.priority,
                sla_days: body.sla_days,
                competence: body.competence,
                active: body.active,
            }),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(AdminCategory {
        active: saved.active,
        category: Category::from(saved),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewApiKey {
    /// Who the key is for.
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    pub id: String,
    pub label: String,
    /// Shown this once: only its SHA-256 is kept.
    pub api_key: String,
    pub created_at: Option<DateTime<Utc>>,
}

/// Issues an Open311 API key for a client application (`POST /open311/v2/requests`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/open311/keys",
    tag = "admin",
    request_body = NewApiKey,
    security(("bearer" = [])),
    responses(
        (status = 201, body = IssuedApiKey),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    let key = state
        .complaints
        .clone()
        .issue_api_key(
            admin
                .bearer()
                .request(pb::IssueApiKeyRequest { label: body.label }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Created(
        format!("/api/v1/admin/open311/keys/{}", key.id),
        Json(IssuedApiKey {
            created_at: key.created_at.as_ref().and_then(datetime),
            id: key.id,
            label: key.label,
            api_key: key.key,
        }),
    ))
}

/// An issued key, as administrators see it (the key itself is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub label: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Set once revoked: requests signed with it are refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<pb::ApiKey> for ApiKeyInfo {
    fn from(key: pb::ApiKey) -> Self {
        Self {
            created_at: key.created_at.as_ref().and_then(datetime),
            revoked_at: key.revoked_at.as_ref().and_then(datetime),
            id: key.id,
            label: key.label,
        }
    }
}

async fn open311_keys(admin: &Admin, state: &AppState) -> Result<Vec<ApiKeyInfo>, ApiError> {
    let keys = state
        .complaints
        .clone()
        .list_api_keys(admin.bearer().request(pb::ListApiKeysRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .keys;
    Ok(keys.into_iter().map(ApiKeyInfo::from).collect())
}

/// Every Open311 key issued, revoked ones included, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open311/keys",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ApiKeyInfo>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_open311_keys(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    Ok(Json(open311_keys(&admin, &state).await?))
}

/// One Open311 key.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open311/keys/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiKeyInfo),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    open311_keys(&admin, &state)
        .await?
        .into_iter()
        .find(|key| key.id == id.trim())
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Aucune clé ne correspond à cet identifiant.",
            )
        })
}

/// Revokes an Open311 API key: requests signed with it get 403 from then on.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/open311/keys/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiKeyInfo),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    let key = state
        .complaints
        .clone()
        .revoke_api_key(admin.bearer().request(pb::RevokeApiKeyRequest { id }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(ApiKeyInfo::from(key)))
}
