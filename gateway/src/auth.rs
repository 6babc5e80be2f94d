//! Who is calling. The caller's `Authorization: Bearer …` token is read once per request
//! and forwarded to every service as gRPC metadata, so each service verifies and
//! authorizes the caller itself. The agents' and administrators' areas are also guarded
//! here, before any service is called: defence in depth, and a clear 401 or 403 without
//! a round trip.
//!
//! Tokens are secrets: nothing here logs them, and `Debug` prints them redacted.

use std::{fmt, net::SocketAddr};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};
use guichet_kit::auth::{Claims, Role, Verifier, with_bearer};
use guichet_proto::identity::v1::Client;

use crate::error::ApiError;

const MALFORMED: &str =
    "L'en-tête Authorization doit être de la forme « Bearer <jeton> » : reconnectez-vous.";
const NO_TOKEN: &str = "Veuillez vous identifier.";
const REFUSED: &str = "Session expirée ou invalide : reconnectez-vous.";
const AGENTS_ONLY: &str = "Cet espace est réservé aux agents.";
const ADMINS_ONLY: &str = "Cet espace est réservé aux administrateurs.";

/// The caller's bearer token, if the request carries one: a resident's, an agent's, or
/// the token of the registered device (kiosk, counter, phone desk, app) the request
/// came through. An absent header is an anonymous caller; a malformed one is refused
/// with 401 `unauthenticated`, never silently dropped.
#[derive(Clone, Default)]
pub struct Bearer(pub Option<String>);

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.0.is_some() {
            "Some(<redacted>)"
        } else {
            "None"
        };
        f.debug_tuple("Bearer")
            .field(&format_args!("{shown}"))
            .finish()
    }
}

impl Bearer {
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The token, or 401 for a caller who sent none (routes with no anonymous use).
    pub fn required(&self) -> Result<&str, ApiError> {
        self.token()
            .ok_or_else(|| ApiError::unauthenticated(NO_TOKEN))
    }

    /// A gRPC request carrying the caller's token, if any, in its metadata.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        with_bearer(tonic::Request::new(message), self.token())
    }

    /// Where an identity call comes from: the peer address (failed logins are
    /// throttled by it) and the device token the request came with. The identity
    /// service derives the channel from that token, never from anything the caller
    /// declares.
    pub fn client(&self, peer: SocketAddr) -> Client {
        Client {
            address: peer.ip().to_string(),
            device_token: self.0.clone().unwrap_or_default(),
        }
    }

    pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(ApiError::unauthenticated(MALFORMED));
        }
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthenticated(MALFORMED))?;
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| ApiError::unauthenticated(MALFORMED))?;
        let token = token.trim_start_matches(' ');
        // RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. A token
        // that passes is also valid gRPC metadata, so forwarding it cannot fail.
        if !scheme.eq_ignore_ascii_case("bearer") || !is_b64token(token) {
            return Err(ApiError::unauthenticated(MALFORMED));
        }
        Ok(Self(Some(token.to_owned())))
    }
}

/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_headers(&parts.headers)
    }
}

/// A caller who sent a token, for routes with no anonymous use (`/api/v1/me`): 401
/// without one, before the body is read. The token is verified by the service called.
#[derive(Debug)]
pub struct SignedIn(Bearer);

impl SignedIn {
    pub fn bearer(&self) -> &Bearer {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let bearer = Bearer::from_headers(&parts.headers)?;
        bearer.required()?;
        Ok(Self(bearer))
    }
}

/// Verifies the caller's token with the identity service's published keys and checks
/// it is an agent's: 401 without a token or with a refused one, 403 for a resident's or
/// a device's.
async fn verified_agent<S>(parts: &Parts, state: &S) -> Result<(Bearer, Claims), ApiError>
where
    Verifier: FromRef<S>,
{
    let bearer = Bearer::from_headers(&parts.headers)?;
    let claims = Verifier::from_ref(state)
        .verify(bearer.required()?)
        .await
        .map_err(|error| {
            tracing::info!(%error, "token refused");
            ApiError::unauthenticated(REFUSED)
        })?;
    if claims.role != Role::Agent {
        return Err(ApiError::forbidden(AGENTS_ONLY));
    }
    Ok((bearer, claims))
}

/// The way into `/api/v1/agent/**`: a verified agent's token.
#[derive(Debug)]
pub struct Agent(Bearer);

impl Agent {
    /// The verified token, to forward.
    pub fn bearer(&self) -> &Bearer {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Agent
where
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (bearer, _) = verified_agent(parts, state).await?;
        Ok(Self(bearer))
    }
}

/// The way into `/api/v1/admin/**`: a verified agent's token with the `admin` role;
/// any other agent gets 403.
#[derive(Debug)]
pub struct Admin(Bearer);

impl Admin {
    /// The verified token, to forward.
    pub fn bearer(&self) -> &Bearer {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin
where
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (bearer, claims) = verified_agent(parts, state).await?;
        if !claims.is_admin() {
            return Err(ApiError::forbidden(ADMINS_ONLY));
        }
        Ok(Self(bearer))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use axum::http::HeaderValue;

    use super::*;

    fn parse(value: &str) -> Result<Option<String>, u16> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        Bearer::from_headers(&headers)
            .map(|b| b.0)
            .map_err(|e| e.status().as_u16())
    }

    #[test]
    fn no_header_is_an_anonymous_caller() {
        assert_eq!(Bearer::from_headers(&HeaderMap::new()).unwrap().0, None);
    }

    #[test]
    fn a_bearer_token_is_read_whatever_the_scheme_case() {
        assert_eq!(
            parse("Bearer abc.DEF-_~+/=").unwrap().as_deref(),
            Some("abc.DEF-_~+/=")
        );
        assert_eq!(parse("bearer  abc").unwrap().as_deref(), Some("abc"));
    }

    #[test]
    fn anything_else_is_refused() {
        for value in [
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Bearer a b",
            "Bearer a,b",
            "Token abc",
            "Bearer ===",
            "abc",
        ] {
            assert_eq!(parse(value), Err(401), "{value:?}");
        }
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let mut headers = HeaderMap::new();
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert!(Bearer::from_headers(&headers).is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let shown = format!("{:?}", Bearer(Some("secret-token".into())));
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn the_client_carries_the_address_and_the_device_token() {
        let client = Bearer(Some("device.jwt".into())).client("203.0.113.7:5000".parse().unwrap());
        assert_eq!(client.address, "203.0.113.7");
        assert_eq!(client.device_token, "device.jwt");
        assert_eq!(
            Bearer(None).client("[::1]:1".parse().unwrap()).device_token,
            ""
        );
    }
}
