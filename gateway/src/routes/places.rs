//! The city's contact points: where residents are received, with opening hours,
//! exceptional closures and what can be done there. Listed publicly (nearest first
//! from a position: the portal's map, a kiosk's "near here"); kept by administrators.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use guichet_kit::{
    grpc::datetime,
    validate::{is_latitude, is_longitude},
};
use guichet_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Created;
use crate::{
    auth::Admin,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
};

/// One opening slot of a weekday, Paris time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OpeningSlot {
    /// 1 Monday … 7 Sunday.
    pub weekday: u32,
    /// `08:30`.
    pub opens: String,
    pub closes: String,
}

/// An exceptional closure, both days included.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Closure {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub until: String,
    pub reason: String,
}

/// A place where the city receives residents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPoint {
    /// A stable code (`hotel-de-ville`).
    pub id: String,
    pub name: String,
    /// `mairie`, `mairie_annexe`, `mru`, `allo_mairie`, `autre`.
    pub kind: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub phone: String,
    pub opening_hours: Vec<OpeningSlot>,
    pub closures: Vec<Closure>,
    /// What can be done there, in French.
    pub services: Vec<String>,
    /// From the position asked, in metres; absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<u32>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ContactPoint {
    fn from_pb(p: pb::ContactPoint, located: bool) -> Self {
        Self {
            distance_m: located.then_some(p.distance_m),
            updated_at: p.updated_at.as_ref().and_then(datetime),
            id: p.id,
            name: p.name,
            kind: p.kind,
            address: p.address,
            latitude: p.latitude,
            longitude: p.longitude,
            phone: p.phone,
            opening_hours: p
                .opening_hours
                .into_iter()
                .map(|s| OpeningSlot {
                    weekday: s.weekday,
                    opens: s.opens,
                    closes: s.closes,
                })
                .collect(),
            closures: p
                .closures
                .into_iter()
                .map(|c| Closure {
                    from: c.from,
                    until: c.until,
                    reason: c.reason,
                })
                .collect(),
            services: p.services,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct NearQuery {
    /// With `lon`: nearest first from there, each with its distance.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

async fn list(state: &AppState, near: Option<(f64, f64)>) -> Result<Vec<ContactPoint>, ApiError> {
    let points = state
        .contact_points
        .clone()
        .list_contact_points(pb::ListContactPointsRequest {
            latitude: near.map(|(lat, _)| lat),
            longitude: near.map(|(_, lon)| lon),
        })
        .await
        .map_err(|s| ApiError::from_status(s, "contact_point_not_found"))?
        .into_inner()
        .contact_points;
    Ok(points
        .into_iter()
        .map(|p| ContactPoint::from_pb(p, near.is_some()))
        .collect())
}

/// The city's places where residents are received, nearest first from `lat`/`lon`
/// (by name without them).
#[utoipa::path(
    get,
    path = "/api/v1/contact-points",
    tag = "city",
    params(NearQuery),
    responses(
        (status = 200, body = Vec<ContactPoint>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn contact_points(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<NearQuery>,
) -> Result<Json<Vec<ContactPoint>>, ApiError> {
    let near = match (query.lat, query.lon) {
        (Some(lat), Some(lon)) if is_latitude(lat) && is_longitude(lon) => Some((lat, lon)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_field(
                "invalid_query",
                "lat",
                "Donnez lat et lon ensemble, en degrés décimaux.",
            ));
        }
    };
    Ok(Json(list(&state, near).await?))
}

/// One contact point.
#[utoipa::path(
    get,
    path = "/api/v1/contact-points/{id}",
    tag = "city",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ContactPoint),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn contact_point(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ContactPoint>, ApiError> {
    list(&state, None)
        .await?
        .into_iter()
        .find(|p| p.id == id.trim())
        .map(Json)
        .ok_or_else(|| ApiError::not_found("contact_point_not_found"))
}

/// A contact point as an administrator writes it; the code is in the path.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContactPointBody {
    pub name: String,
    /// `mairie`, `mairie_annexe`, `mru`, `allo_mairie`, `autre`.
    pub kind: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub phone: String,
    pub opening_hours: Vec<OpeningSlot>,
    pub closures: Vec<Closure>,
    pub services: Vec<String>,
}

/// Creates or replaces a contact point (`201` with `Location` when created).
#[utoipa::path(
    put,
    path = "/api/v1/admin/contact-points/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "A stable code: lower case, digits and dashes")),
    request_body = ContactPointBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = ContactPoint),
        (status = 201, description = "Created", body = ContactPoint),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_contact_point(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactPointBody>,
) -> Result<Response, ApiError> {
    let point = pb::ContactPoint {
        id,
        name: body.name,
        kind: body.kind,
        address: body.address,
        latitude: body.latitude,
        longitude: body.longitude,
        phone: body.phone,
        opening_hours: body
            .opening_hours
            .into_iter()
            .map(|s| pb::OpeningSlot {
                weekday: s.weekday,
                opens: s.opens,
                closes: s.closes,
            })
            .collect(),
        closures: body
            .closures
            .into_iter()
            .map(|c| pb::Closure {
                from: c.from,
                until: c.until,
                reason: c.reason,
            })
            .collect(),
        services: body.services,
        ..pb::ContactPoint::default()
    };
    let saved = state
        .contact_points
        .clone()
        .upsert_contact_point(admin.bearer().request(pb::UpsertContactPointRequest {
            contact_point: Some(point),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "contact_point_not_found"))?
        .into_inner();
    let point = ContactPoint::from_pb(saved.contact_point.unwrap_or_default(), false);
    Ok(if saved.created {
        Created(format!("/api/v1/contact-points/{}", point.id), Json(point)).into_response()
    } else {
        Json(point).into_response()
    })
}

/// Removes a contact point.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/contact-points/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_contact_point(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .contact_points
        .clone()
        .delete_contact_point(admin.bearer().request(pb::DeleteContactPointRequest { id }))
        .await
        .map_err(|s| ApiError::from_status(s, "contact_point_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}
