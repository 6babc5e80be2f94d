//! Test helpers (feature `test-util`): every test gets its own database and its own
//! RabbitMQ vhost, so tests run side by side against the real servers.

use anyhow::Context as _;
use secrecy::SecretString;

use crate::config::{AmqpConfig, DatabaseConfig};

/// A unique database name for one test; the database is created on first connect.
/// `infra/test` drops the `guichet_test_*` databases of earlier runs.
pub fn database(hint: &str) -> DatabaseConfig {
    DatabaseConfig::named(&format!("guichet_test_{hint}_{}", short_id()))
}

/// A fresh vhost with fast retries, created through the RabbitMQ management API
/// (`GUICHET_TEST_RABBITMQ_API`, default `http://127.0.0.1:15672` as guest).
pub async fn vhost(hint: &str) -> anyhow::Result<AmqpConfig> {
    let api = std::env::var("GUICHET_TEST_RABBITMQ_API")
        .unwrap_or_else(|_| "http://127.0.0.1:15672".to_owned());
    let name = format!("guichet_test_{hint}_{}", short_id());
    let client = reqwest::Client::new();
    client
        .put(format!("{api}/api/vhosts/{name}"))
        .basic_auth("guest", Some("guest"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context(
            "creating a test vhost: is the management plugin on? \
             (rabbitmq-plugins enable rabbitmq_management; infra/test does it)",
        )?;
    client
        .put(format!("{api}/api/permissions/{name}/guest"))
        .basic_auth("guest", Some("guest"))
        .json(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("granting guest access to the test vhost")?;
    Ok(AmqpConfig {
        url: SecretString::from(format!("amqp://guest:guest@127.0.0.1:5672/{name}")),
        max_retries: 2,
        retry_base_ms: 50,
        ..AmqpConfig::default()
    })
}

/// Logs for a test run when `TEST_LOG=1`.
pub fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let cfg = crate::config::TelemetryConfig {
            log_format: "pretty".to_owned(),
            log_level: "debug,sqlx=warn,lapin=warn,h2=warn,hyper=warn,tower=warn".to_owned(),
            ..Default::default()
        };
        // The guard holds no exporter without an endpoint: nothing to keep alive.
        drop(crate::telemetry::init("test", &cfg));
    }
}

/// Polls `check` until it returns `Some` or ten seconds pass (generous: CI has two cores): events cross the broker
/// asynchronously, so tests wait for an outcome instead of sleeping a fixed time.
pub async fn eventually<T, F, Fut>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}
