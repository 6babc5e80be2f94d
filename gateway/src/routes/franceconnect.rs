//! Signing in with FranceConnect: the browser is sent to the provider, comes back to the
//! callback with a code, and the identity service (the relying party) turns it into a
//! Guichet session. Linking an existing account and logging out go through it too.
//!
//! The identity service keeps each sign-in's `state` and `nonce`; this module ties the
//! sign-in to the browser that started it. Starting one (`/login`, `/link`) sets the
//! `guichet_fc` cookie to the sign-in's `state`; the callback goes to the identity
//! service only when that cookie comes back, alone, equal to the `state` in the address.
//! Someone who sends their own provider address to another person (login CSRF: the
//! victim's FranceConnect identity would open, or be linked to, the sender's account)
//! is thus stopped here, before anything changes: the victim's browser holds no such
//! cookie, and other sites cannot give it one (but see `docs/decisions.md` on sibling
//! sub-domains).

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
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

/// The cookie that ties a FranceConnect sign-in to the browser that started it.
const FLOW_COOKIE: &str = "guichet_fc";

/// Only the FranceConnect routes receive the cookie; the callback is the one that reads it.
const FLOW_COOKIE_PATH: &str = "/api/v1/auth/franceconnect";

/// How long the cookie lives, in seconds: as long as the identity service keeps a sign-in
/// (`LOGIN_TIMEOUT` in `services/identity/src/grpc/franceconnect.rs`), after which its
/// `state` is worthless anyway.
const FLOW_LIFETIME_SECS: u32 = 600;

/// The longest `state` accepted from the identity service (it issues 43 characters).
const MAX_STATE_LEN: usize = 128;

/// What a resident is told when the callback is not their browser's to complete.
const NOT_THIS_BROWSER: &str = "Cette connexion FranceConnect n'a pas été commencée depuis ce \
     navigateur, a été remplacée par une autre ou a expiré : recommencez depuis Guichet.";

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
#[into_params(parameter_in = Query)]
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
    operation_id = "franceconnect_login",
    tag = "auth",
    security((), ("bearer" = [])),
    responses(
        (status = 302, description = "Redirection to FranceConnect", headers(
            ("Location" = String),
            ("Set-Cookie" = String, description = "`guichet_fc=<state>; Path=/api/v1/auth/franceconnect; Max-Age=600; HttpOnly; SameSite=Lax` (and `Secure` when the callback is https): the callback is refused without it"),
        )),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(bearer: Bearer, State(state): State<AppState>) -> Result<Response, ApiError> {
    let flow = start(&state, &bearer, false).await?;
    let location = HeaderValue::from_str(&flow.url).map_err(|_| ApiError::unavailable())?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::SET_COOKIE, flow.cookie),
        ],
    )
        .into_response())
}

/// Starts linking FranceConnect to the signed-in resident's account. The browser that
/// makes this call must be the one sent to `url`: it receives the cookie the callback
/// asks for (same origin, or `credentials: "include"`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/franceconnect/link",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Redirect, headers(
            ("Set-Cookie" = String, description = "`guichet_fc=<state>; Path=/api/v1/auth/franceconnect; Max-Age=600; HttpOnly; SameSite=Lax` (and `Secure` when the callback is https): the callback is refused without it"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn link(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let flow = start(&state, signed_in.bearer(), true).await?;
    Ok((
        [(header::SET_COOKIE, flow.cookie)],
        Json(Redirect { url: flow.url }),
    )
        .into_response())
}

/// A sign-in the identity service started, as the browser gets it.
#[derive(Debug)]
struct Flow {
    /// FranceConnect's authorization URL.
    url: String,
    /// `Set-Cookie` binding the sign-in's `state` to this browser.
    cookie: HeaderValue,
}

async fn start(state: &AppState, bearer: &Bearer, link: bool) -> Result<Flow, ApiError> {
    let url = state
        .franceconnect
        .clone()
        .start(bearer.request(pb::StartFranceConnectRequest { link }))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner()
        .authorize_url;
    let cookie = flow_cookie(&url).ok_or_else(|| {
        tracing::error!("the FranceConnect authorization URL has no usable state");
        ApiError::unavailable()
    })?;
    Ok(Flow { url, cookie })
}

/// What the gateway reads of the authorization URL the identity service built.
#[derive(Deserialize)]
struct Authorize {
    state: String,
    /// The callback's public address, registered with FranceConnect.
    redirect_uri: String,
}

/// The `Set-Cookie` that binds the sign-in of `authorize_url` to the browser: its value
/// is the sign-in's `state`. `Secure` when the provider sends the browser back over
/// https, which is how the gateway learns its public scheme without a setting of its own.
fn flow_cookie(authorize_url: &str) -> Option<HeaderValue> {
    let uri: Uri = authorize_url.parse().ok()?;
    let Query(Authorize {
        state,
        redirect_uri,
    }) = Query::try_from_uri(&uri).ok()?;
    // The identity service issues base64url: nothing a cookie value would need to quote.
    let usable = !state.is_empty()
        && state.len() <= MAX_STATE_LEN
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !usable {
        return None;
    }
    let secure = redirect_uri
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    let mut cookie = format!(
        "{FLOW_COOKIE}={state}; Path={FLOW_COOKIE_PATH}; Max-Age={FLOW_LIFETIME_SECS}; HttpOnly; SameSite=Lax"
    );
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).ok()
}

/// The `Set-Cookie` that removes the cookie once its sign-in is over.
fn clear_flow_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "guichet_fc=; Path=/api/v1/auth/franceconnect; Max-Age=0; HttpOnly; SameSite=Lax",
    )
}

/// Why a callback is not this browser's to complete (for logs: no value is ever logged).
#[derive(Debug, PartialEq, Eq)]
enum Unbound {
    /// No `guichet_fc` cookie: the sign-in was started elsewhere, or the cookie expired.
    Missing,
    /// More than one: someone planted another, from a sibling domain or another path.
    Several,
    /// Another sign-in's cookie: a later start in this browser, or someone else's state.
    Mismatch,
}

/// Checks the browser holds exactly one `guichet_fc` cookie and that it is `state`.
fn check_binding(headers: &HeaderMap, state: &str) -> Result<(), Unbound> {
    let mut values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == FLOW_COOKIE)
        .map(|(_, value)| value);
    let Some(cookie) = values.next() else {
        return Err(Unbound::Missing);
    };
    if values.next().is_some() {
        return Err(Unbound::Several);
    }
    if state.is_empty() || !same(cookie.as_bytes(), state.as_bytes()) {
        return Err(Unbound::Mismatch);
    }
    Ok(())
}

/// Compares in a time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Where FranceConnect sends the browser back: opens the Guichet session. Only the
/// browser that started the sign-in may complete it: the `guichet_fc` cookie must be
/// present, once, and equal to `state`; otherwise `403 franceconnect_browser_mismatch`,
/// and the identity service is not called (the sign-in stays pending until it expires).
#[utoipa::path(
    get,
    path = "/api/v1/auth/franceconnect/callback",
    tag = "auth",
    security((), ("bearer" = [])),
    params(
        Callback,
        ("guichet_fc" = String, Cookie, description = "Set when the sign-in started; must equal `state`"),
    ),
    responses(
        (status = 200, body = FranceConnectLogin, headers(
            ("Cache-Control" = String, description = "no-store"),
            ("Set-Cookie" = String, description = "`guichet_fc=; Path=/api/v1/auth/franceconnect; Max-Age=0; HttpOnly; SameSite=Lax`: the sign-in is over"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json",
         description = "`franceconnect_browser_mismatch`: this browser did not start this sign-in"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn callback(
    bearer: Bearer,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<Callback>,
) -> Result<impl IntoResponse, ApiError> {
    if !query.error.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "franceconnect_cancelled",
            "La connexion FranceConnect a été annulée ou a échoué.",
        ));
    }
    if let Err(why) = check_binding(&headers, &query.state) {
        tracing::warn!(reason = ?why, "FranceConnect callback from another browser refused");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "franceconnect_browser_mismatch",
            NOT_THIS_BROWSER,
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
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::SET_COOKIE, clear_flow_cookie()),
        ],
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
    operation_id = "franceconnect_logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Redirect),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the session was not opened with FranceConnect", body = Problem, content_type = "application/problem+json"),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    const STATE: &str = "n2Wq0nXbZr1yqXh7dT0l3m9pYf5kQ8sVjA4cHuE6wGo";

    fn authorize(redirect_uri: &str, state: &str) -> String {
        format!(
            "https://fc.example/api/v2/authorize?response_type=code&client_id=guichet\
             &state={state}&nonce=abc&redirect_uri={redirect_uri}&scope=openid"
        )
    }

    fn cookies(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(header::COOKIE, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    #[test]
    fn the_cookie_carries_the_state_for_the_franceconnect_routes_only() {
        let url = authorize(
            "http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fv1%2Fauth%2Ffranceconnect%2Fcallback",
            STATE,
        );
        let cookie = flow_cookie(&url).unwrap();
        assert_eq!(
            cookie,
            format!(
                "guichet_fc={STATE}; Path=/api/v1/auth/franceconnect; Max-Age=600; HttpOnly; SameSite=Lax"
            )
        );
    }

    #[test]
    fn the_cookie_is_secure_when_the_callback_is_https() {
        let url = authorize(
            "HTTPS%3A%2F%2Fguichet.example.fr%2Fapi%2Fv1%2Fauth%2Ffranceconnect%2Fcallback",
            STATE,
        );
        let cookie = flow_cookie(&url).unwrap();
        assert!(cookie.to_str().unwrap().ends_with("; SameSite=Lax; Secure"));
    }

    #[test]
    fn an_authorization_url_without_a_usable_state_sets_no_cookie() {
        let redirect = "https%3A%2F%2Fguichet.example.fr%2Fcallback";
        assert!(flow_cookie(&authorize(redirect, "")).is_none());
        assert!(
            flow_cookie(&authorize(redirect, "a%3Bb")).is_none(),
            "a `;` would split the cookie"
        );
        assert!(flow_cookie(&authorize(redirect, &"a".repeat(129))).is_none());
        assert!(flow_cookie("https://fc.example/api/v2/authorize?redirect_uri=x").is_none());
        assert!(flow_cookie("not a url").is_none());
    }

    #[test]
    fn the_clearing_cookie_names_the_same_cookie_and_path() {
        let clear = clear_flow_cookie();
        let clear = clear.to_str().unwrap();
        assert!(clear.starts_with(&format!("{FLOW_COOKIE}=; Path={FLOW_COOKIE_PATH};")));
        assert!(clear.contains("Max-Age=0"));
    }

    #[test]
    fn only_the_browser_holding_the_state_completes_the_sign_in() {
        let own = cookies(&[&format!("theme=dark; guichet_fc={STATE}")]);
        assert_eq!(check_binding(&own, STATE), Ok(()));

        assert_eq!(check_binding(&cookies(&[]), STATE), Err(Unbound::Missing));
        assert_eq!(
            check_binding(&cookies(&["other_guichet_fc=x"]), STATE),
            Err(Unbound::Missing)
        );
        let other = cookies(&["guichet_fc=sOmEoThErStAtE"]);
        assert_eq!(check_binding(&other, STATE), Err(Unbound::Mismatch));
        let longer = cookies(&[&format!("guichet_fc={STATE}x")]);
        assert_eq!(check_binding(&longer, STATE), Err(Unbound::Mismatch));
        let empty = cookies(&["guichet_fc="]);
        assert_eq!(check_binding(&empty, ""), Err(Unbound::Mismatch));
    }

    #[test]
    fn a_planted_second_cookie_makes_the_callback_fail() {
        // A sibling domain can add a cookie of the same name; neither one is trusted then.
        let planted = cookies(&[&format!("guichet_fc=planted; guichet_fc={STATE}")]);
        assert_eq!(check_binding(&planted, STATE), Err(Unbound::Several));
        let two_lines = cookies(&[&format!("guichet_fc={STATE}"), "guichet_fc=planted"]);
        assert_eq!(check_binding(&two_lines, STATE), Err(Unbound::Several));
    }
}
