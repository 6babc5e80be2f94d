//! Layered configuration: code defaults < optional `guichet.toml` < `GUICHET__SECTION__KEY`
//! environment variables. Sections every service shares live here.

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::SecretString;
use serde::{Deserialize, de::DeserializeOwned};

/// Loads a service's settings. Missing keys take the struct's `Default` (each settings
/// struct is `#[serde(default)]`), so a service starts with no file at all.
///
/// The file is `guichet.toml` in the working directory, or the path in `GUICHET_CONFIG`.
pub fn load<T: DeserializeOwned>() -> anyhow::Result<T> {
    read(config::Config::builder())
}

/// Loads a domain service's settings with its own defaults: database `guichet_<name>`
/// and gRPC port `port`, both still overridable by file and environment.
pub fn load_service<T: DeserializeOwned>(name: &str, port: u16) -> anyhow::Result<T> {
    let defaults = config::Config::builder()
        .set_default("database.name", format!("guichet_{name}"))?
        .set_default("grpc.port", port)?;
    read(defaults)
}

/// Adds the file and the environment over `defaults`, then deserializes.
fn read<T: DeserializeOwned>(
    defaults: config::ConfigBuilder<config::builder::DefaultState>,
) -> anyhow::Result<T> {
    let file = std::env::var("GUICHET_CONFIG").unwrap_or_else(|_| "guichet".to_owned());
    defaults
        .add_source(config::File::with_name(&file).required(false))
        .add_source(environment())
        .build()
        .context("reading configuration")?
        .try_deserialize()
        .context("invalid configuration")
}

fn environment() -> config::Environment {
    config::Environment::with_prefix("GUICHET")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        // The few list settings, comma-separated in the environment.
        .list_separator(",")
        .with_list_parse_key("http.trusted_proxies")
        .with_list_parse_key("http.cors_origins")
}

/// The settings every domain service has: its database, the broker, telemetry and
/// its gRPC address. A service needing more embeds this with `#[serde(flatten)]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    pub database: DatabaseConfig,
    pub amqp: AmqpConfig,
    pub telemetry: TelemetryConfig,
    pub grpc: ServerConfig,
    pub auth: AuthConfig,
}

/// Where the identity service publishes the keys tokens are verified with.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    pub identity_url: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            identity_url: "http://127.0.0.1:50051".to_owned(),
        }
    }
}

/// Where a service's own PostgreSQL database lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// Server URL without a database name; it may hold a password, hence secret.
    pub url: SecretString,
    /// The service's own database, created at start if missing and allowed.
    pub name: String,
    /// Whether start-up may create the database when it does not exist, which needs a
    /// role with `CREATEDB`. On by default for a workstation; off in production, where
    /// each service's role owns a database created beforehand and start-up only checks
    /// that it exists (failing with a message naming it when it does not).
    pub create_if_missing: bool,
    /// Pool size: a service is small, a handful of connections is plenty.
    pub max_connections: u32,
    /// How long a request or a consumer waits for a connection before the database
    /// counts as unavailable (503 for a request, the delivery handed back for a
    /// consumer), in milliseconds.
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres@127.0.0.1:5432"),
            name: "guichet".to_owned(),
            create_if_missing: true,
            max_connections: 10,
            acquire_timeout_ms: 5_000,
        }
    }
}

impl DatabaseConfig {
    /// The default server, with the service's database name.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }
}

/// How to reach RabbitMQ and how consumers retry.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AmqpConfig {
    /// Broker URL including the vhost; may hold a password, hence secret.
    pub url: SecretString,
    /// The one topic exchange every event goes through.
    pub exchange: String,
    /// Deliveries a consumer retries before dead-lettering a message.
    pub max_retries: u32,
    /// First retry delay; each further retry doubles it.
    pub retry_base_ms: u64,
    /// Unacknowledged messages a consumer holds at once.
    pub prefetch: u16,
    /// How long the relay waits before publishing again an event no queue took.
    pub unroutable_retry_ms: u64,
    /// How often the relay looks for events no commit of its own process announced:
    /// those another replica wrote while its relay was down.
    pub relay_poll_ms: u64,
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f"),
            exchange: "guichet.events".to_owned(),
            max_retries: 5,
            retry_base_ms: 1_000,
            prefetch: 16,
            unroutable_retry_ms: 60_000,
            relay_poll_ms: 500,
        }
    }
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    /// OTLP/gRPC collector endpoint (`http://127.0.0.1:4317`); traces are exported only
    /// when it is set.
    pub otlp_endpoint: Option<String>,
    /// `json` for machines (the default), `pretty` for a person at a terminal.
    pub log_format: String,
    /// Default filter when `RUST_LOG` is unset.
    pub log_level: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            log_format: "json".to_owned(),
            log_level: "info".to_owned(),
        }
    }
}

/// Where a gRPC server listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub host: String,
    /// 0 picks a free port (tests); the application reports the one it got.
    pub port: u16,
}

impl ServerConfig {
    pub fn on_port(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::on_port(0)
    }
}

/// How gRPC travels between services, from the `grpc` section every binary reads (a
/// service's server and its clients, the gateway's clients) beside a service's
/// `grpc.host` and `grpc.port`. Unset, calls go in plain text to the one address each
/// URL names, as on a workstation.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TransportConfig {
    /// PEM certificate chain the server presents; with `tls_key`, the server speaks TLS
    /// and nothing else.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// PEM bundle of the CAs that sign the services' certificates. Set, every client
    /// speaks TLS (an `http://` URL is taken as `https://`) and trusts these CAs only.
    pub tls_ca: Option<PathBuf>,
    /// The name clients expect in the servers' certificates, when it is not the host of
    /// the URL they call.
    pub tls_domain: Option<String>,
    /// A second port serving only `grpc.health.v1`, in plain text, for the kubelet's
    /// gRPC probes, which cannot speak TLS; unset, none.
    pub health_port: Option<u16>,
    /// Clients resolve each URL's host name periodically and spread calls over every
    /// address it has (a headless Kubernetes Service names every ready pod), rather than
    /// holding one HTTP/2 connection to one address.
    pub balance: bool,
    /// How often a balancing client resolves its names again, in seconds.
    pub resolve_seconds: u64,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            tls_cert: None,
            tls_key: None,
            tls_ca: None,
            tls_domain: None,
            health_port: None,
            balance: false,
            resolve_seconds: 15,
        }
    }
}

/// Reads [`TransportConfig`] from the `grpc` section of the file and the environment
/// (`GUICHET__GRPC__TLS_CA`...), whatever else the binary's settings hold.
pub fn load_transport() -> anyhow::Result<TransportConfig> {
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Section {
        grpc: TransportConfig,
    }
    let section: Section = load()?;
    Ok(section.grpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Http {
        trusted_proxies: Vec<String>,
    }

    #[derive(Deserialize)]
    struct Settings {
        http: Http,
    }

    #[test]
    fn trusted_proxies_come_comma_separated_from_the_environment() {
        let variables = [(
            "GUICHET__HTTP__TRUSTED_PROXIES".to_owned(),
            "10.0.0.0/8,192.168.1.1".to_owned(),
        )];
        let settings: Settings = config::Config::builder()
            .add_source(environment().source(Some(variables.into_iter().collect())))
            .build()
            .and_then(config::Config::try_deserialize)
            .unwrap();
        assert_eq!(settings.http.trusted_proxies, ["10.0.0.0/8", "192.168.1.1"]);
    }

    #[derive(Deserialize)]
    struct Service {
        grpc: TransportConfig,
        database: DatabaseConfig,
    }

    #[test]
    fn tls_balancing_and_database_creation_come_from_the_environment() {
        let variables = [
            ("GUICHET__GRPC__TLS_CERT", "/tls/tls.crt"),
            ("GUICHET__GRPC__TLS_KEY", "/tls/tls.key"),
            ("GUICHET__GRPC__TLS_CA", "/tls/ca.crt"),
            ("GUICHET__GRPC__TLS_DOMAIN", "guichet.internal"),
            ("GUICHET__GRPC__BALANCE", "true"),
            ("GUICHET__GRPC__RESOLVE_SECONDS", "10"),
            ("GUICHET__GRPC__HEALTH_PORT", "50061"),
            ("GUICHET__GRPC__PORT", "50051"),
            ("GUICHET__DATABASE__CREATE_IF_MISSING", "false"),
        ]
        .map(|(key, value)| (key.to_owned(), value.to_owned()));
        let settings: Service = config::Config::builder()
            .add_source(environment().source(Some(variables.into_iter().collect())))
            .build()
            .and_then(config::Config::try_deserialize)
            .unwrap();
        let grpc = settings.grpc;
        assert_eq!(grpc.tls_cert.unwrap(), PathBuf::from("/tls/tls.crt"));
        assert_eq!(grpc.tls_key.unwrap(), PathBuf::from("/tls/tls.key"));
        assert_eq!(grpc.tls_ca.unwrap(), PathBuf::from("/tls/ca.crt"));
        assert_eq!(grpc.tls_domain.as_deref(), Some("guichet.internal"));
        assert!(grpc.balance);
        assert_eq!(grpc.resolve_seconds, 10);
        assert_eq!(grpc.health_port, Some(50061));
        assert!(!settings.database.create_if_missing);
        assert!(DatabaseConfig::default().create_if_missing);
        assert!(!TransportConfig::default().balance);
    }
}
