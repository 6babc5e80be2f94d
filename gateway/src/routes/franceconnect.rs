//! Signing in with FranceConnect: the browser is sent to the provider, comes back to the
//! callback with a code, and the identity service (the relying party) turns it into a
//! Guichet session. Linking an existing account and logging out go through it too.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use guichet_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::identity_dto::Tokens;
use crate::{
    auth::{Bearer, SignedIn},
    error::{ApiError, ApiQuery, Problem},
    state::AppState,
};

/// Where to send the browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redirect {
    pub url: String,
}

/// The answer of a completed FranceConnect login (no `Debug`: it carries tokens).
#[derive(Serialize, ToSchema)]
pub struct FranceConnectLogin {
    pub tokens: Tokens,
    /// A new account was created for this identity.
    pub created: bool,
    /// FranceConnect was linked to an existing account.
    pub linked: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct Callback {
    pub code: String,
    pub state: String,
    /// Set by the provider when the resident cancelled or the login failed.
    pub error: String,
}

/// Starts a FranceConnect login: answers a redirection to the provider.
#[utoipa::path(
    get,
    path = "/api/v1/auth/franceconnect/login",
    tag = "auth",
    responses(
        (status = 302, description = "Redirection to FranceConnect", headers(("Location" = String))),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(bearer: Bearer, State(state): State<AppState>) -> Result<Response, ApiError> {
    let url = start(&state, &bearer, false).await?;
    let location = HeaderValue::from_str(&url).map_err(|_| ApiError::unavailable())?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// Starts linking FranceConnect to the signed-in resident's account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/franceconnect/link",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Redirect),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn link(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Json<Redirect>, ApiError> {
    let url = start(&state, signed_in.bearer(), true).await?;
    Ok(Json(Redirect { url }))
}

async fn start(state: &AppState, bearer: &Bearer, link: bool) -> Result<String, ApiError> {
    Ok(state
        .franceconnect
        .clone()
        .start(bearer.request(pb::StartFranceConnectRequest { link }))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner()
        .authorize_url)
}

/// Where FranceConnect sends the browser back: opens the Guichet session.
#[utoipa::path(
    get,
    path = "/api/v1/auth/franceconnect/callback",
    tag = "auth",
    params(Callback),
    responses(
        (status = 200, body = FranceConnectLogin),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn callback(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(query): ApiQuery<Callback>,
) -> Result<impl IntoResponse, ApiError> {
    if !query.error.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "franceconnect_cancelled",
            "La connexion FranceConnect a été annulée ou a échoué.",
        ));
    }
    let finished = state
        .franceconnect
        .clone()
        .finish(bearer.request(pb::FinishFranceConnectRequest {
            code: query.code,
            state: query.state,
            client: Some(bearer.client(peer)),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "link_not_found"))?
        .into_inner();
    let tokens = finished.tokens.ok_or_else(ApiError::unavailable)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(FranceConnectLogin {
            tokens: tokens.into(),
            created: finished.created,
            linked: finished.linked,
        }),
    ))
}

/// Ends the session and answers where to send the browser so FranceConnect ends its own.
#[utoipa::path(
    post,
    path = "/api/v1/auth/franceconnect/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Redirect),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Json<Redirect>, ApiError> {
    let url = state
        .franceconnect
        .clone()
        .logout(
            signed_in
                .bearer()
                .request(pb::FranceConnectLogoutRequest {}),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner()
        .logout_url;
    Ok(Json(Redirect { url }))
}

/// Where FranceConnect sends the browser after logging out.
#[utoipa::path(
    get,
    path = "/api/v1/auth/franceconnect/logged-out",
    tag = "auth",
    responses((status = 200, description = "Logged out of Guichet and FranceConnect"))
)]
pub async fn logged_out() -> Json<serde_json::Value> {
    Json(
        serde_json::json!({"status": "logged_out", "detail": "Vous êtes déconnecté de Guichet et de FranceConnect."}),
    )
}
