//! Complaint intake: the catalogue of categories and filing.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintRequest, ListCategoriesRequest},
    demand::v1::Channel,
};

use super::dto::{Category, Demand, NewComplaint};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// Longest `Idempotency-Key` accepted; UUIDs and ULIDs fit with room to spare.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Complaint categories, in the order residents see them.
#[utoipa::path(
    get,
    path = "/api/v1/complaints/categories",
    tag = "complaints",
    responses((status = 200, body = Vec<Category>), (status = 503, body = Problem, content_type = "application/problem+json"))
)]
pub async fn list_categories(
    bearer: Bearer,
    State(state): State<AppState>,
) -> Result<Json<Vec<Category>>, ApiError> {
    let categories = state
        .complaints
        .clone()
        .list_categories(bearer.request(ListCategoriesRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .categories;
    Ok(Json(categories.into_iter().map(Category::from).collect()))
}

/// Files a complaint, with or without an account. The answer carries the tracking
/// number to follow it on any channel. Send an `Idempotency-Key` header so a retry
/// never files twice. A signed-in resident, or a kiosk, counter or phone desk, sends
/// its token as `Authorization: Bearer …`; the complaints service takes the account and
/// channel from it.
#[utoipa::path(
    post,
    path = "/api/v1/complaints",
    tag = "complaints",
    request_body = NewComplaint,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; the same key files once")),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Demand, headers(("Location" = String, description = "Where to follow the demand"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn file_complaint(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewComplaint>,
) -> Result<impl IntoResponse, ApiError> {
    let idempotency_key = idempotency_key(&headers)?;
    let location = body.location.unwrap_or_default();
    let contact = body.contact.unwrap_or_default();
    let request = FileComplaintRequest {
        category: body.category,
        description: body.description,
        location: Some(pb::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            address: location.address,
        }),
        contact: Some(pb::Contact {
            name: contact.name,
            email: contact.email,
            phone: contact.phone,
        }),
        // What an anonymous web caller is; with a token, the complaints service takes
        // the channel and the account from the verified token instead.
        channel: Channel::Web as i32,
        idempotency_key,
        resident_id: String::new(),
        siret: body.siret,
    };
    let demand = state
        .complaints
        .clone()
        .file_complaint(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .demand
        .ok_or_else(ApiError::unavailable)?;
    let demand = Demand::from(demand);
    let location = HeaderValue::from_str(&format!("/api/v1/demands/{}", demand.tracking_number))
        .map_err(|_| ApiError::unavailable())?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(demand),
    ))
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(String::new());
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_field(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "L'en-tête Idempotency-Key doit contenir entre 1 et 255 caractères imprimables.",
            )
        })
}
