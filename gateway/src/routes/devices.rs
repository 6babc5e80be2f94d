//! The city's devices signing in (kiosks, counters, phone desks), and mobile app
//! installations registering themselves. A device's token then goes with every request
//! made through it, as `Authorization: Bearer …`, and fixes the channel.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
};
use guichet_proto::identity::v1 as pb;

use super::dto::Created;
use super::identity_dto::{
    Device, DeviceCredentials, DeviceLogin, NewAppInstallation, NoStore, Tokens,
};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// Opens a device's session with the credentials given at registration.
#[utoipa::path(
    post,
    path = "/api/v1/devices/login",
    operation_id = "device_login",
    tag = "devices",
    security((), ("bearer" = [])),
    request_body = DeviceLogin,
    responses(
        (status = 200, body = Tokens, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, description = "Unknown device or wrong secret", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
pub async fn login(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<DeviceLogin>,
) -> Result<NoStore<Tokens>, ApiError> {
    let request = pb::DeviceLoginRequest {
        device_id: body.device_id,
        secret: body.secret,
        client: Some(bearer.client(peer)),
    };
    let tokens = state
        .devices
        .clone()
        .device_login(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    Ok(NoStore(tokens.into()))
}

/// The calling device's own registration, with its device token: a kiosk reads where it
/// stands, to file complaints there and show what is near it.
#[utoipa::path(
    get,
    path = "/api/v1/devices/me",
    tag = "devices",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Device),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(bearer: Bearer, State(state): State<AppState>) -> Result<Json<Device>, ApiError> {
    let device = state
        .devices
        .clone()
        .get_my_device(bearer.request(pb::GetMyDeviceRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    Ok(Json(device.into()))
}

/// Registers a mobile app installation; no token needed. Keep the secret on the phone:
/// the app signs in with `POST /api/v1/devices/login`.
#[utoipa::path(
    post,
    path = "/api/v1/devices/app",
    tag = "devices",
    security((), ("bearer" = [])),
    request_body = NewAppInstallation,
    responses(
        (status = 201, body = DeviceCredentials, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register_app(
    bearer: Bearer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAppInstallation>,
) -> Result<Created<NoStore<DeviceCredentials>>, ApiError> {
    let request = pb::RegisterDeviceRequest {
        kind: pb::DeviceKind::App as i32,
        label: body.label,
        location: String::new(),
        latitude: None,
        longitude: None,
    };
    let credentials = state
        .devices
        .clone()
        .register_device(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    // Administrators read and revoke an installation there.
    Ok(Created(
        format!("/api/v1/admin/devices/{}", credentials.device_id),
        NoStore(credentials.into()),
    ))
}
