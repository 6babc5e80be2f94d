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

/// Abuse limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Tracking-number lookups allowed per client address and minute: numbers are the
    /// only key an anonymous resident holds, so guessing must stay hopeless.
    pub lookups_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_minute: 30,
        }
    }
}
