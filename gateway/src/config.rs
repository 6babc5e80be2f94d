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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_minute: 30,
            resident_lookups_per_minute: 120,
            agent_lookups_per_minute: 1_200,
        }
    }
}
