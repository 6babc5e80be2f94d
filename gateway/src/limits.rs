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
    sync::atomic::{AtomicU64, Ordering},
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
    state::AppState,
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

/// Writes worth limiting, each with its own quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Filing,
    Upload,
    Draft,
    Message,
    SignUp,
    PasswordReset,
}

/// Which routes are which write, by method and matched route. A unit test checks every
/// route here exists, so a renamed route cannot silently lose its limit.
const WRITES: &[(Method, &str, Write)] = &[
    (Method::POST, "/api/v1/complaints", Write::Filing),
    (
        Method::POST,
        "/api/v1/teleservices/{slug}/demands",
        Write::Filing,
    ),
    (Method::POST, "/api/v1/drafts/{id}/submit", Write::Filing),
    (Method::POST, "/api/v1/rapo/disputes", Write::Filing),
    (Method::POST, "/open311/v2/{file}", Write::Filing),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/photos",
        Write::Upload,
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/attachments",
        Write::Upload,
    ),
    (
        Method::POST,
        "/api/v1/drafts/{id}/attachments",
        Write::Upload,
    ),
    (
        Method::POST,
        "/api/v1/teleservices/{slug}/drafts",
        Write::Draft,
    ),
    (Method::PUT, "/api/v1/drafts/{id}", Write::Draft),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/messages",
        Write::Message,
    ),
    (Method::POST, "/api/v1/auth/signup", Write::SignUp),
    (
        Method::POST,
        "/api/v1/auth/password-reset",
        Write::PasswordReset,
    ),
    (
        Method::POST,
        "/api/v1/auth/password-reset/confirm",
        Write::PasswordReset,
    ),
];

/// Routes that reach a demand by its tracking number (or a draft by its id), counted
/// per minute so numbers cannot be guessed; a claim is a lookup by number too.
const LOOKUPS: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/demands/{tracking_number}"),
    (Method::POST, "/api/v1/demands/{tracking_number}/dossier"),
    (Method::POST, "/api/v1/demands/{tracking_number}/messages"),
    (Method::POST, "/api/v1/demands/{tracking_number}/rating"),
    (Method::GET, "/api/v1/demands/{tracking_number}/photos"),
    (Method::POST, "/api/v1/demands/{tracking_number}/photos"),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/photos/{photo_id}",
    ),
    (
        Method::POST,
        "/api/v1/demands/{tracking_number}/attachments",
    ),
    (Method::GET, "/api/v1/demands/{tracking_number}/answers"),
    (
        Method::GET,
        "/api/v1/demands/{tracking_number}/attachments/{id}",
    ),
    (Method::GET, "/api/v1/rapo/disputes/{tracking_number}"),
    (
        Method::GET,
        "/api/v1/rapo/disputes/{tracking_number}/letter",
    ),
    (
        Method::GET,
        "/api/v1/rapo/disputes/{tracking_number}/pieces/{piece_id}",
    ),
    (Method::GET, "/api/v1/drafts/{id}"),
    (Method::POST, "/api/v1/me/demands/claim"),
];

fn is_lookup(method: &Method, route: &str) -> bool {
    LOOKUPS.iter().any(|(m, r)| m == method && *r == route)
}

/// Whether the gateway may refuse a request to `route` with `429` (the OpenAPI document
/// says so for exactly these).
pub fn limited(method: &Method, route: &str) -> bool {
    write_of(method, route).is_some() || is_lookup(method, route)
}

fn write_of(method: &Method, route: &str) -> Option<Write> {
    WRITES
        .iter()
        .find(|(m, r, _)| m == method && *r == route)
        .map(|(_, _, write)| *write)
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

    fn counter(&self, write: Write) -> &Counter {
        match write {
            Write::Filing => &self.filings,
            Write::Upload => &self.uploads,
            Write::Draft => &self.drafts,
            Write::Message => &self.messages,
            Write::SignUp => &self.sign_ups,
            Write::PasswordReset => &self.password_resets,
        }
    }

    fn count(&self, counter: &Counter, caller: &Counted) -> Result<(), ApiError> {
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
        counter.count(caller)
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

impl AppState {
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
    /// pages), which [`LOOKUPS`] does not cover.
    pub async fn check_lookup(&self, bearer: &Bearer, address: IpAddr) -> Result<(), ApiError> {
        let caller = self.counted(bearer, address).await;
        self.limiters.count(&self.limiters.lookups, &caller)
    }
}

/// Middleware on every route: counts the writes listed in [`WRITES`], then the lookups
/// listed in [`LOOKUPS`], before the handler runs, so a refused request costs the
/// services nothing.
pub async fn writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(route) = request.extensions().get::<MatchedPath>() else {
        return next.run(request).await;
    };
    let write = write_of(request.method(), route.as_str());
    let lookup = is_lookup(request.method(), route.as_str());
    if write.is_some() || lookup {
        let address = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        // A malformed header counts as no token; the handler refuses it.
        let bearer = Bearer::from_headers(request.headers()).unwrap_or_default();
        let caller = state.counted(&bearer, address).await;
        let counters = write
            .map(|write| state.limiters.counter(write))
            .into_iter()
            .chain(lookup.then_some(&state.limiters.lookups));
        for counter in counters {
            if let Err(refused) = state.limiters.count(counter, &caller) {
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
        let lookups = LOOKUPS.iter().map(|(method, route)| (method, route));
        let writes = WRITES.iter().map(|(method, route, _)| (method, route));
        for (method, route) in writes.chain(lookups) {
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
}
