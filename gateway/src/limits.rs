//! Abuse limits, counted in this gateway's memory (each replica counts apart; see
//! `docs/decisions.md`, "Request limits"). Two kinds:
//!
//! - lookups (reading or writing a demand by its tracking number), per minute, so
//!   numbers cannot be guessed;
//! - writes that cost the city something (filings, uploads, drafts, messages, sign-ups,
//!   password resets), per hour, so nobody floods the agents' feeds or the mail server.
//!
//! Anonymous callers count by client address (the real one, see [`crate::client`]),
//! signed-in residents and the city's registered devices by account, agents apart and
//! generously: a limit meant for abusers never stops an agent's work.

use std::{
    hash::Hash,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse as _, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};
use guichet_kit::auth::{Claims, Role};
use guichet_proto::demand::v1::Channel;
use http::Method;

use crate::{
    auth::Bearer,
    config::{Limits, WriteLimits},
    error::ApiError,
};

/// How often (in counted requests) idle keys are forgotten, so memory follows the
/// callers of the last minutes, not every address ever seen.
const PRUNE_EVERY: u64 = 10_000;

/// One quota, counted apart for anonymous addresses, residents and agents.
struct Counter {
    anonymous: DefaultKeyedRateLimiter<IpAddr>,
    residents: DefaultKeyedRateLimiter<String>,
    agents: DefaultKeyedRateLimiter<String>,
}

impl Counter {
    fn new(anonymous: Quota, residents: Quota, agents: Quota) -> Self {
        Self {
            anonymous: RateLimiter::keyed(anonymous),
            residents: RateLimiter::keyed(residents),
            agents: RateLimiter::keyed(agents),
        }
    }

    /// Counts one request of `caller`; 429 with the true wait when its quota is spent.
    fn count(&self, caller: &Counted) -> Result<(), ApiError> {
        match caller {
            Counted::Agent(sub) => check(&self.agents, sub),
            Counted::Resident(sub) => check(&self.residents, sub),
            Counted::Anonymous(address) => check(&self.anonymous, address),
        }
    }

    fn prune(&self) {
        self.anonymous.retain_recent();
        self.residents.retain_recent();
        self.agents.retain_recent();
    }
}

/// Who a request counts against.
enum Counted {
    Agent(String),
    /// A resident's account, or a kiosk, counter or phone desk the city registered.
    Resident(String),
    /// No valid token, or an app installation (anyone can register as many as they
    /// like): the client address.
    Anonymous(IpAddr),
}

impl Counted {
    fn of(claims: Option<Claims>, address: IpAddr) -> Self {
        match claims {
            Some(claims) if claims.role == Role::Agent => Self::Agent(claims.sub),
            Some(claims) if claims.role == Role::Resident || claims.channel() != Channel::App => {
                Self::Resident(claims.sub)
            }
            _ => Self::Anonymous(address),
        }
    }
}

/// What a limited request counts against: the lookups, or one of the writes, each with
/// its own quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// Reaching a demand by its tracking number (or a draft by its id), per minute.
    Lookup,
    Filing,
    Upload,
    Draft,
    Message,
    SignUp,
    PasswordReset,
}

/// Which routes count against which limit, by method and matched route; a write that
/// reaches a demand by its number is listed as a lookup too, and both are counted. A
/// unit test checks every route here exists, so a renamed route cannot silently lose its
/// limit.
const LIMITED: &[(Method, &str, Limit)] = &[
    (Method::POST, "/api/v1/complaints", Limit::Filing),
    (
        Method::POST,
        "/api/v1/teleservices/{slug}/demands",
        Limit::Filing,
    ),
    (Method::POST, "/api/v1/drafts/{id}/submit", Limit::Filing),
    (Method::POST, "/api/v1/rapo/disputes", Limit::Filing),
    (Method::POST, "/open311/v2/{file}", Limit::Filing),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/photos",
        Limit::Upload,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/attachments",
        Limit::Upload,
    ),
    (
        Method::POST,
        "/api/v1/drafts/{id}/attachments",
        Limit::Upload,
    ),
    (
        Method::POST,
        "/api/v1/teleservices/{slug}/drafts",
        Limit::Draft,
    ),
    (Method::PUT, "/api/v1/drafts/{id}", Limit::Draft),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/messages",
        Limit::Message,
    ),
    (Method::POST, "/api/v1/auth/signup", Limit::SignUp),
    (
        Method::POST,
        "/api/v1/auth/password-reset",
        Limit::PasswordReset,
    ),
    (
        Method::POST,
        "/api/v1/auth/password-reset/confirm",
        Limit::PasswordReset,
    ),
    // Lookups, after the writes: a refused write costs no lookup. A claim is a lookup
    // by number too.
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}",
        Limit::Lookup,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/dossier",
        Limit::Lookup,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/messages",
        Limit::Lookup,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/rating",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/photos",
        Limit::Lookup,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/photos",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/photos/{photo_id}",
        Limit::Lookup,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/attachments",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/answers",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/attachments/{id}",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/rapo/disputes/{tracking_number}",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/rapo/disputes/{tracking_number}/letter",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/rapo/disputes/{tracking_number}/pieces/{piece_id}",
        Limit::Lookup,
    ),
    (Method::GET, "/api/v1/drafts/{id}", Limit::Lookup),
    (Method::DELETE, "/api/v1/drafts/{id}", Limit::Lookup),
    (
        Method::DELETE,
        "/api/v1/drafts/{id}/attachments/{attachment_id}",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/rating",
        Limit::Lookup,
    ),
    (
        Method::GET,
        "/api/v1/drafts/{id}/attachments/{attachment_id}",
        Limit::Lookup,
    ),
    (Method::POST, "/api/v1/me/demands/claim", Limit::Lookup),
];

/// The limits a request to `route` counts against, in [`LIMITED`]'s order.
fn limits_of<'a>(method: &'a Method, route: &'a str) -> impl Iterator<Item = Limit> + 'a {
    LIMITED
        .iter()
        .filter(move |(m, r, _)| m == method && *r == route)
        .map(|(_, _, limit)| *limit)
}

/// Whether the gateway may refuse a request to `route` with `429` (the OpenAPI document
/// says so for exactly these).
pub fn limited(method: &Method, route: &str) -> bool {
    limits_of(method, route).next().is_some()
}

/// Every limiter of the gateway.
pub struct Limiters {
    lookups: Counter,
    filings: Counter,
    uploads: Counter,
    drafts: Counter,
    messages: Counter,
    sign_ups: Counter,
    password_resets: Counter,
    counted: AtomicU64,
}

impl Limiters {
    pub fn new(limits: &Limits) -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        let per_hour = |n: u32| Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        let writes = |n: u32, w: &WriteLimits| {
            Counter::new(
                per_hour(n),
                per_hour(n),
                per_hour(n.saturating_mul(w.agent_factor)),
            )
        };
        let w = &limits.writes;
        Self {
            lookups: Counter::new(
                per_minute(limits.lookups_per_minute),
                per_minute(limits.resident_lookups_per_minute),
                per_minute(limits.agent_lookups_per_minute),
            ),
            filings: writes(w.filings_per_hour, w),
            uploads: writes(w.uploads_per_hour, w),
            drafts: writes(w.drafts_per_hour, w),
            messages: writes(w.messages_per_hour, w),
            sign_ups: writes(w.sign_ups_per_hour, w),
            password_resets: writes(w.password_resets_per_hour, w),
            counted: AtomicU64::new(0),
        }
    }

    fn counter(&self, limit: Limit) -> &Counter {
        match limit {
            Limit::Lookup => &self.lookups,
            Limit::Filing => &self.filings,
            Limit::Upload => &self.uploads,
            Limit::Draft => &self.drafts,
            Limit::Message => &self.messages,
            Limit::SignUp => &self.sign_ups,
            Limit::PasswordReset => &self.password_resets,
        }
    }

    fn count(&self, limit: Limit, caller: &Counted) -> Result<(), ApiError> {
        if self.counted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            for counter in [
                &self.lookups,
                &self.filings,
                &self.uploads,
                &self.drafts,
                &self.messages,
                &self.sign_ups,
                &self.password_resets,
            ] {
                counter.prune();
            }
        }
        self.counter(limit).count(caller)
    }
}

/// Counts one request for `key`; 429 with the true wait, in whole seconds.
fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|refused| {
        let wait = refused.wait_time_from(limiter.clock().now());
        ApiError::too_many_requests((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    })
}

/// What counting needs of the gateway's state: the limiters, shared by every clone, and
/// the verifier that tells an agent's token.
#[derive(Clone)]
pub struct Counting {
    pub limiters: Arc<Limiters>,
    pub verifier: guichet_kit::auth::Verifier,
}

impl Counting {
    /// Who is calling, for counting: a token that fails verification buys nothing more
    /// than no token (the service called refuses it anyway).
    async fn counted(&self, bearer: &Bearer, address: IpAddr) -> Counted {
        let claims = match bearer.token() {
            Some(token) => self.verifier.verify(token).await.ok(),
            None => None,
        };
        Counted::of(claims, address)
    }

    /// Counts one tracking-number lookup made outside the API's routes (the residents'
    /// pages, which answer a refusal as a page), which [`LIMITED`] does not cover.
    pub async fn check_lookup(&self, bearer: &Bearer, address: IpAddr) -> Result<(), ApiError> {
        let caller = self.counted(bearer, address).await;
        self.limiters.count(Limit::Lookup, &caller)
    }
}

/// Middleware on every route: counts what the route is listed for in [`LIMITED`]
/// before the handler runs, so a refused request costs the services nothing.
pub async fn writes(State(state): State<Counting>, request: Request, next: Next) -> Response {
    let Some(route) = request.extensions().get::<MatchedPath>() else {
        return next.run(request).await;
    };
    let limits: Vec<Limit> = limits_of(request.method(), route.as_str()).collect();
    if !limits.is_empty() {
        let address = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        // A malformed header counts as no token; the handler refuses it.
        let bearer = Bearer::from_headers(request.headers()).unwrap_or_default();
        let caller = state.counted(&bearer, address).await;
        for limit in limits {
            if let Err(refused) = state.limiters.count(limit, &caller) {
                return refused.into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limited_route_exists() {
        let doc = serde_json::to_value(crate::routes::openapi()).unwrap_or_default();
        for (method, route, _) in LIMITED {
            if route.starts_with("/open311/") {
                continue; // Outside the OpenAPI document, in its own router.
            }
            let method = method.as_str().to_lowercase();
            assert!(
                doc["paths"][route][&method].is_object(),
                "{method} {route} is limited but not served"
            );
        }
    }

    #[test]
    fn every_route_open_to_a_number_holder_counts_as_a_lookup() {
        // Whoever may call it without a token could try number after number.
        let doc = serde_json::to_value(crate::routes::openapi()).unwrap_or_default();
        let paths = doc["paths"].as_object().into_iter().flatten();
        for (route, item) in paths.filter(|(route, _)| route.contains("{tracking_number}")) {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let anonymous = operation["security"]
                    .as_array()
                    .is_some_and(|any_of| any_of.iter().any(|s| s == &serde_json::json!({})));
                if !anonymous {
                    continue;
                }
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                assert!(
                    limits_of(&method, route).any(|limit| limit == Limit::Lookup),
                    "{method} {route} is open without a token but counts no lookup"
                );
            }
        }
    }
}
