//! The identity service's public keys, for anyone who wants to check a Guichet token
//! (a partner, an app checking its own session).

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use guichet_proto::identity::v1::GetJwksRequest;

use crate::{
    auth::Bearer,
    error::{ApiError, Problem},
    state::AppState,
};

/// How long clients and caches may keep the key set. A token naming a key id the
/// cached set lacks means the keys changed: fetch the set again then.
const MAX_AGE: &str = "public, max-age=300";

/// The RFC 7517 JSON Web Key Set of the keys that may have signed a live access token
/// (Ed25519, `EdDSA`).
#[utoipa::path(
    get,
    path = "/api/v1/.well-known/jwks.json",
    tag = "keys",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "JSON Web Key Set", body = Object, content_type = "application/json",
         headers(("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn jwks(bearer: Bearer, State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = state
        .keys
        .clone()
        .get_jwks(bearer.request(GetJwksRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .json;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE)),
        ],
        jwks,
    )
        .into_response())
}
