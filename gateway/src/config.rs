//! Gateway settings: where it listens and where each service answers.

use guichet_kit::config::TelemetryConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub http: HttpConfig,
    pub services: ServiceUrls,
    pub telemetry: TelemetryConfig,
    pub limits: Limits,
    pub timeouts: Timeouts,
    pub web: crate::portal::WebConfig,
    pub city: crate::portal::City,
}

/// How long anything may take, so a hung service never hangs a resident's page.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    /// A whole request, in seconds (the live feed's stream excepted): beyond it the
    /// gateway answers `504` with `Retry-After`.
    pub request_seconds: u64,
    /// The deadline of each gRPC call to a service, in seconds; shorter than a request,
    /// so the gateway answers `503` itself before the request's own limit.
    pub call_seconds: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request_seconds: 30,
            call_seconds: 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Reverse proxies (addresses or CIDR blocks, `10.0.0.0/8`) whose `Forwarded` and
    /// `X-Forwarded-For` headers name the real client; none by default, so a client
    /// cannot choose the address limits count it under. Set it to exactly the ingress
    /// controller's addresses.
    pub trusted_proxies: Vec<String>,
    /// Origins (`https://portail.example.org`) whose pages may call the API from a
    /// browser; none by default, so no other site's script can read an answer. Open311
    /// reads are open to every origin whatever this says.
    pub cors_origins: Vec<String>,
    /// `Strict-Transport-Security`'s `max-age`, in seconds, sent on answers to requests
    /// that came over HTTPS; 0 never sends it.
    pub hsts_seconds: u64,
    /// Every request reached the city over HTTPS, though the proxy in front does not say
    /// so (no `X-Forwarded-Proto` or `Forwarded: proto=`): send HSTS on every answer.
    pub behind_tls: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            // A year, what browsers' preload lists ask for.
            hsts_seconds: 31_536_000,
            behind_tls: false,
        }
    }
}

/// gRPC URL of every service.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServiceUrls {
    pub identity: String,
    pub teleservices: String,
    pub complaints: String,
    pub rapo: String,
    pub notifications: String,
}

impl Default for ServiceUrls {
    fn default() -> Self {
        Self {
            identity: "http://127.0.0.1:50051".to_owned(),
            teleservices: "http://127.0.0.1:50052".to_owned(),
            complaints: "http://127.0.0.1:50053".to_owned(),
            rapo: "http://127.0.0.1:50054".to_owned(),
            notifications: "http://127.0.0.1:50055".to_owned(),
        }
    }
}

/// Abuse limits. Lookups (reading or writing a demand by its tracking number) are
/// counted per minute: anonymous callers by address, signed-in callers by account, so
/// a town hall or a call centre behind one address never runs out because of its
/// neighbours. A token that fails verification counts as anonymous.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Lookups per client address and minute for callers without a valid token:
    /// numbers are the only key an anonymous resident holds, so guessing must stay
    /// hopeless. Also the quota of app installations, which register themselves.
    pub lookups_per_minute: u32,
    /// Lookups per resident account and minute (and per kiosk, counter or phone desk
    /// the city registered, for what they do on their own): more than a person reads.
    pub resident_lookups_per_minute: u32,
    /// Lookups per agent account and minute: far above what an agent at a desk or on
    /// the phone does in a busy hour, so limits never stop their work, while a stolen
    /// agent token still cannot walk the whole city at machine speed.
    pub agent_lookups_per_minute: u32,
    /// Writes per hour (filings, uploads, drafts, messages, sign-ups, password resets).
    pub writes: WriteLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_minute: 30,
            resident_lookups_per_minute: 120,
            agent_lookups_per_minute: 1_200,
            writes: WriteLimits::default(),
        }
    }
}

/// Writes per hour, for each client address without a valid token, each resident
/// account and each device the city registered; agents get `agent_factor` times more.
/// A burst up to the quota is allowed, then one more every hour / quota.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WriteLimits {
    /// Complaints, teleservice demands, RAPO disputes, Open311 requests.
    pub filings_per_hour: u32,
    /// Photos, draft attachments, documents added to a demand.
    pub uploads_per_hour: u32,
    /// Drafts started or saved (a form saves as the resident types).
    pub drafts_per_hour: u32,
    /// Messages to the agents on a demand.
    pub messages_per_hour: u32,
    pub sign_ups_per_hour: u32,
    /// Reset requests and confirmations (each request sends a mail).
    pub password_resets_per_hour: u32,
    pub agent_factor: u32,
}

impl Default for WriteLimits {
    fn default() -> Self {
        Self {
            filings_per_hour: 30,
            uploads_per_hour: 120,
            drafts_per_hour: 600,
            messages_per_hour: 60,
            sign_ups_per_hour: 10,
            password_resets_per_hour: 10,
            agent_factor: 50,
        }
    }
}
