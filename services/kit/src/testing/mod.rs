//! Test helpers (feature `test-util`): every test gets its own database and its own
//! RabbitMQ vhost, so tests run side by side against the real servers. `oidc` starts the
//! OpenID Connect provider standing in for FranceConnect; `photos` makes photos that
//! carry what phones write beside the pixels (a GPS position first).

pub mod broker;
pub mod cluster;
pub mod oidc;
pub mod photos;

use anyhow::Context as _;
use secrecy::SecretString;

use crate::config::{AmqpConfig, AuthConfig, DatabaseConfig, ServerConfig, ServiceSettings};

/// A unique database name for one test; the database is created on first connect.
/// `infra/test` drops the `guichet_test_*` databases of earlier runs.
pub fn database(hint: &str) -> DatabaseConfig {
    DatabaseConfig::named(&format!("guichet_test_{hint}_{}", short_id()))
}

/// A service's settings for one test: its own database and vhost, a port the system
/// chooses, tokens verified with the issuer at `identity_url`.
pub async fn service_settings(hint: &str, identity_url: &str) -> anyhow::Result<ServiceSettings> {
    Ok(ServiceSettings {
        database: database(hint),
        amqp: vhost(hint).await?,
        grpc: ServerConfig::on_port(0),
        auth: AuthConfig {
            identity_url: identity_url.to_owned(),
        },
        ..ServiceSettings::default()
    })
}

/// A fresh vhost with fast retries, created through the RabbitMQ management API
/// (`GUICHET_TEST_RABBITMQ_API`, default `http://127.0.0.1:15672` as guest).
pub async fn vhost(hint: &str) -> anyhow::Result<AmqpConfig> {
    let api = std::env::var("GUICHET_TEST_RABBITMQ_API")
        .unwrap_or_else(|_| "http://127.0.0.1:15672".to_owned());
    let name = format!("guichet_test_{hint}_{}", short_id());
    // No pooled connections: the management API closes idle ones, which would fail the
    // next request when many tests create vhosts at once.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let put = |url: String, body: Option<serde_json::Value>| {
        let client = client.clone();
        async move {
            let mut request = client.put(url).basic_auth("guest", Some("guest"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            request
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
        }
    };
    let permissions = serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"});
    let mut attempt = 0;
    loop {
        attempt += 1;
        let created = match put(format!("{api}/api/vhosts/{name}"), None).await {
            Ok(_) => {
                put(
                    format!("{api}/api/permissions/{name}/guest"),
                    Some(permissions.clone()),
                )
                .await
            }
            Err(error) => Err(error),
        };
        match created {
            Ok(_) => break,
            // A busy broker (every test creating vhosts at once) may drop a request.
            Err(_) if attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await
            }
            Err(error) => {
                return Err(error).context(
                    "creating a test vhost: is the management plugin on? \
                     (rabbitmq-plugins enable rabbitmq_management; infra/test does it)",
                );
            }
        }
    }
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

/// Polls `check` until it returns `Some` or twenty seconds pass: events cross the broker
/// asynchronously, so tests wait for an outcome instead of sleeping a fixed time. The
/// limit only costs a failing test; it is generous because CI runs a whole platform per
/// test on two cores, with other tests beside it.
pub async fn eventually<T, F, Fut>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
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

/// Issues tokens for service tests, and publishes its key over a real gRPC `Keys`
/// server, so a service under test verifies tokens exactly as in production.
/// End-to-end tests use the real identity service instead.
pub struct TokenIssuer {
    pub url: String,
    kid: String,
    key: jsonwebtoken::EncodingKey,
    _stop: tokio::sync::oneshot::Sender<()>,
}

struct TestKeys(String);

#[tonic::async_trait]
impl guichet_proto::identity::v1::keys_server::Keys for TestKeys {
    async fn get_jwks(
        &self,
        _request: tonic::Request<guichet_proto::identity::v1::GetJwksRequest>,
    ) -> Result<tonic::Response<guichet_proto::identity::v1::Jwks>, tonic::Status> {
        Ok(tonic::Response::new(guichet_proto::identity::v1::Jwks {
            json: self.0.clone(),
        }))
    }
}

impl TokenIssuer {
    pub async fn start() -> anyhow::Result<Self> {
        use base64::Engine as _;
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("encoding the test key: {e}"))?;
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(signing.verifying_key().to_bytes());
        let kid = format!("test-{}", short_id());
        let jwks = serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid, "x": x}]});
        let listener = crate::grpc::bind(&crate::config::ServerConfig::on_port(0)).await?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let services = crate::grpc::Services::default().add_service(
            guichet_proto::identity::v1::keys_server::KeysServer::new(TestKeys(jwks.to_string())),
        );
        tokio::spawn(crate::grpc::serve(listener, services, None, async {
            stopped.await.ok();
        }));
        Ok(Self {
            url,
            kid,
            key: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
            _stop: stop,
        })
    }

    /// Signs `claims` as the identity service would.
    pub fn sign(&self, claims: &crate::auth::Claims) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap_or_default()
    }

    fn claims(role: crate::auth::Role, sub: &str, channel: &str) -> crate::auth::Claims {
        let now = chrono::Utc::now().timestamp();
        crate::auth::Claims {
            iss: crate::auth::ISSUER.to_owned(),
            aud: crate::auth::AUDIENCE.to_owned(),
            sub: sub.to_owned(),
            exp: now + 600,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            role,
            roles: Vec::new(),
            departments: Vec::new(),
            themes: Vec::new(),
            channel: channel.to_owned(),
            device: None,
            sid: None,
            name: String::new(),
            businesses: Vec::new(),
        }
    }

    /// A signed-in resident on the web.
    pub fn resident(&self, account: &str) -> String {
        let mut claims = Self::claims(crate::auth::Role::Resident, account, "web");
        claims.name = "Jeanne Martin".to_owned();
        self.sign(&claims)
    }

    /// An agent of `departments`, handling `themes`, working on `channel`.
    pub fn agent(
        &self,
        name: &str,
        departments: &[&str],
        themes: &[&str],
        channel: &str,
    ) -> String {
        let mut claims = Self::claims(crate::auth::Role::Agent, &format!("agent-{name}"), channel);
        claims.name = name.to_owned();
        claims.roles = vec!["agent".to_owned()];
        claims.departments = departments.iter().map(|d| (*d).to_owned()).collect();
        claims.themes = themes.iter().map(|t| (*t).to_owned()).collect();
        self.sign(&claims)
    }

    /// A registered device (`kiosk`, `counter`, `phone`, `app`) acting on its own.
    pub fn device(&self, channel: &str) -> String {
        self.sign(&Self::claims(
            crate::auth::Role::Device,
            "device-1",
            channel,
        ))
    }
}

/// Deletes the vhost of a test's broker URL, with everything in it, without async (for
/// `Drop`): quorum queues are heavy, and a suite leaving hundreds behind slows the broker
/// for every later test. Best effort: `infra/test` removes leftovers anyway.
pub fn delete_vhost_blocking(amqp: &AmqpConfig) {
    use secrecy::ExposeSecret as _;
    use std::io::{Read as _, Write as _};
    let url = amqp.url.expose_secret();
    let Some(vhost) = url
        .rsplit('/')
        .next()
        .filter(|v| v.starts_with("guichet_test_"))
    else {
        return;
    };
    let deleted = (|| -> std::io::Result<()> {
        let timeout = Some(std::time::Duration::from_secs(5));
        let mut stream = std::net::TcpStream::connect("127.0.0.1:15672")?;
        stream.set_read_timeout(timeout)?;
        stream.set_write_timeout(timeout)?;
        write!(
            stream,
            "DELETE /api/vhosts/{vhost} HTTP/1.1\r\nHost: 127.0.0.1:15672\r\n\
             Authorization: Basic Z3Vlc3Q6Z3Vlc3Q=\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(())
    })();
    if let Err(error) = deleted {
        tracing::debug!(%error, vhost, "test vhost left for infra/test to remove");
    }
}

/// Rows of any table of `pool`, the service's own or the kit's, whose text contains
/// `needle` (case-insensitive), each as `schema.table: row`: what erasure tests look
/// for after a resident is gone.
pub async fn rows_mentioning(pool: &sqlx::PgPool, needle: &str) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
         WHERE table_schema IN ('public', 'kit') AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .context("listing tables")?;
    let mut found = Vec::new();
    for table in tables {
        // Table names come from the catalogue, quoted by format('%I').
        let sql = format!("SELECT t::text FROM {table} t WHERE t::text ILIKE $1");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(format!("%{needle}%"))
            .fetch_all(pool)
            .await
            .with_context(|| format!("searching {table}"))?;
        found.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    Ok(found)
}
