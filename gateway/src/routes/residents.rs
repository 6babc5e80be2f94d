//! Residents' accounts: sign-up, email verification, sessions and password reset.
//!
//! Calls that open a session pass the identity service the caller's address (failed
//! logins are slowed per address, answered here as 429) and the device token the
//! request came with, from which the service derives the channel.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::StatusCode,
};
use guichet_proto::identity::v1 as pb;
use tonic::Code;

use super::dto::Created;
use super::identity_dto::{
    AccountCreated, Login, NoStore, PasswordReset, PasswordResetConfirm, RefreshToken, SignUp,
    Tokens, VerifyEmail,
};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
};

/// Creates a resident account and sends a verification link to the address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/signup",
    tag = "auth",
    security((), ("bearer" = [])),
    request_body = SignUp,
    responses(
        (status = 201, body = AccountCreated),
        (status = 409, description = "Address already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_up(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<Created<Json<AccountCreated>>, ApiError> {
    let request = pb::SignUpRequest {
        email: body.email,
        password: body.password,
        attributes: body.attributes.into_iter().collect(),
        client: Some(bearer.client(peer)),
    };
    let created = state
        .accounts
        .clone()
        .sign_up(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    // The account is read and changed at `/me` once its holder signs in.
    Ok(Created(
        "/api/v1/me".to_owned(),
        Json(AccountCreated {
            account_id: created.account_id,
        }),
    ))
}

/// Confirms the address with the token of the link sent at sign-up.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    tag = "auth",
    security((), ("bearer" = [])),
    request_body = VerifyEmail,
    responses(
        (status = 204, description = "Address verified"),
        (status = 404, description = "Unknown or expired link", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify_email(
    bearer: Bearer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyEmail>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .clone()
        .verify_email(bearer.request(pb::VerifyEmailRequest { token: body.token }))
        .await
        .map_err(|s| ApiError::from_status(s, "link_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens a session with email and password. Repeated failures from one address are
/// slowed down: 429 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "resident_login",
    tag = "auth",
    request_body = Login,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Tokens, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
pub async fn login(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<Login>,
) -> Result<NoStore<Tokens>, ApiError> {
    let request = pb::LoginRequest {
        email: body.email,
        password: body.password,
        client: Some(bearer.client(peer)),
    };
    let tokens = state
        .accounts
        .clone()
        .login(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(NoStore(tokens.into()))
}

/// Exchanges a refresh token for a new pair. The refresh token is single use: keep the
/// new one, the old one no longer works.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshToken,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Tokens, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, description = "Unknown, used or expired refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<RefreshToken>,
) -> Result<NoStore<Tokens>, ApiError> {
    let request = pb::RefreshRequest {
        refresh_token: body.refresh_token,
        client: Some(bearer.client(peer)),
    };
    let tokens = state
        .accounts
        .clone()
        .refresh(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(NoStore(tokens.into()))
}

/// Ends the session of a refresh token. Ending one already ended is not an error.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "resident_logout",
    tag = "auth",
    security((), ("bearer" = [])),
    request_body = RefreshToken,
    responses((status = 204, description = "Session ended"))
)]
pub async fn logout(
    bearer: Bearer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshToken>,
) -> Result<StatusCode, ApiError> {
    let request = pb::LogoutRequest {
        refresh_token: body.refresh_token,
    };
    match state.accounts.clone().logout(bearer.request(request)).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(status) if status.code() == Code::NotFound => Ok(StatusCode::NO_CONTENT),
        Err(status) => Err(ApiError::from_status(status, "account_not_found")),
    }
}

/// Sends a reset link if an account has this address. The answer is the same whether
/// it has or not, so this cannot be used to learn who has an account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    security((), ("bearer" = [])),
    request_body = PasswordReset,
    responses(
        (status = 202, description = "A link is on its way if the address has an account"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_password_reset(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    let request = pb::RequestPasswordResetRequest {
        email: body.email,
        client: Some(bearer.client(peer)),
    };
    match state
        .accounts
        .clone()
        .request_password_reset(bearer.request(request))
        .await
    {
        // An unknown address answers like a known one.
        Ok(_) => Ok(StatusCode::ACCEPTED),
        Err(status) if status.code() == Code::NotFound => Ok(StatusCode::ACCEPTED),
        Err(status) => Err(ApiError::from_status(status, "account_not_found")),
    }
}

/// Sets a new password with the token of the reset link.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "auth",
    security((), ("bearer" = [])),
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed"),
        (status = 404, description = "Unknown or expired link", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_password_reset(
    bearer: Bearer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    let request = pb::ResetPasswordRequest {
        token: body.token,
        new_password: body.new_password,
    };
    state
        .accounts
        .clone()
        .reset_password(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "link_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}
