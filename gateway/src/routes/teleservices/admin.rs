//! Teleservices for administrators: loading the starting catalogue.

use axum::{Json, extract::State};
use guichet_proto::teleservices::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::teleservice_error;
use crate::{
    auth::Admin,
    error::{ApiError, Problem},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Seeded {
    /// Teleservices created and published; existing ones are left alone.
    pub created: u32,
}

/// Loads the city's starting catalogue of teleservices (demo data, first install).
#[utoipa::path(
    post,
    path = "/api/v1/admin/teleservices/seed",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = Seeded), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
pub async fn seed(admin: Admin, State(state): State<AppState>) -> Result<Json<Seeded>, ApiError> {
    let created = state
        .teleservices
        .clone()
        .seed_catalog(admin.bearer().request(pb::SeedCatalogRequest {}))
        .await
        .map_err(teleservice_error)?
        .into_inner()
        .created;
    Ok(Json(Seeded { created }))
}
