//! The signed-in resident's own profile: attributes with how each is known, and the
//! businesses the account acts for. The identity service checks the token is a
//! resident's; the gateway only refuses a request with no token at all.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use guichet_kit::grpc::datetime;
use guichet_proto::identity::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::Created;
use super::identity_dto::{Business, NoStore, Profile, ProfileUpdate};
use crate::{
    auth::SignedIn,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// The resident's profile.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_profile(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<NoStore<Profile>, ApiError> {
    let bearer = signed_in.bearer();
    let profile = state
        .accounts
        .clone()
        .get_profile(bearer.request(pb::GetProfileRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(NoStore(profile.into()))
}

/// Sets declared attributes; an empty value removes one. Attributes certified by
/// FranceConnect (`read_only`) cannot be changed.
#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "me",
    request_body = ProfileUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_profile(
    signed_in: SignedIn,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ProfileUpdate>,
) -> Result<NoStore<Profile>, ApiError> {
    let bearer = signed_in.bearer();
    let request = pb::UpdateProfileRequest {
        attributes: body.attributes.into_iter().collect(),
    };
    let profile = state
        .accounts
        .clone()
        .update_profile(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(NoStore(profile.into()))
}

/// Adds a business (SIRET) the account acts for, as a professional.
#[utoipa::path(
    post,
    path = "/api/v1/me/businesses",
    tag = "me",
    request_body = Business,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Profile),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_business(
    signed_in: SignedIn,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Business>,
) -> Result<Created<NoStore<Profile>>, ApiError> {
    let bearer = signed_in.bearer();
    let request = pb::AddBusinessRequest {
        siret: body.siret,
        name: body.name,
        address: body.address,
    };
    let profile = state
        .accounts
        .clone()
        .add_business(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(Created("/api/v1/me".to_owned(), NoStore(profile.into())))
}

/// A session the resident opened: where and when.
#[derive(Serialize, ToSchema)]
pub struct ResidentSession {
    pub id: String,
    /// `web`, `app`, `kiosk`, `counter`, `phone`.
    pub channel: String,
    pub created_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The session this request belongs to.
    pub current: bool,
    /// Opened with FranceConnect.
    pub franceconnect: bool,
}

/// The resident's open sessions, most recently used first.
#[utoipa::path(
    get,
    path = "/api/v1/me/sessions",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ResidentSession>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sessions(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<NoStore<Vec<ResidentSession>>, ApiError> {
    let sessions = state
        .accounts
        .clone()
        .list_sessions(signed_in.bearer().request(pb::ListSessionsRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner()
        .sessions;
    Ok(NoStore(
        sessions
            .into_iter()
            .map(|s| ResidentSession {
                created_at: s.created_at.as_ref().and_then(datetime),
                last_seen_at: s.last_seen_at.as_ref().and_then(datetime),
                id: s.id,
                channel: s.channel,
                current: s.current,
                franceconnect: s.franceconnect,
            })
            .collect(),
    ))
}

/// Ends one of the resident's sessions (a phone lost, a computer left signed in): its
/// refresh token stops working at once, its access token expires within minutes.
#[utoipa::path(
    delete,
    path = "/api/v1/me/sessions/{id}",
    tag = "me",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn end_session(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .clone()
        .end_session(
            signed_in
                .bearer()
                .request(pb::EndSessionRequest { session_id: id }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "session_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}
